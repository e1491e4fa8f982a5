"""The sandbox's delivery receipts (issue 14): the documented bytes, the seeded decisions, the
background poster, and inwise's status call, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from smsspec.sandbox import Sandbox
from smsspec.sandbox.postman import ReceiptPoster
from smsspec.sandbox.providers import receipt_providers
from smsspec.sandbox.providers.base import Notification
from smsspec.sandbox.providers.skycore import postback
from smsspec.sandbox.providers.skycore_xml import (
    postgres_time,
    receipt_notification,
    sent_notification,
)
from smsspec.sandbox.receipts import (
    ReceiptSettings,
    masked_url,
    parse_receipt_options,
    receipt_urls,
)
from tests.conftest import ROOT
from tests.e2e.send_helpers import closed_port
from tests.recording_receiver import Receiver

GOLDEN = ROOT / "tests" / "golden" / "sandbox-receipts"
KEY = {"x-api-key": "sandbox"}


# the documented bytes --------------------------------------------------------------


def golden(name: str) -> bytes:
    return (GOLDEN / name).read_bytes()


def test_skycore_xml_postbacks_are_the_sendsms_pages_examples_byte_for_byte() -> None:
    # Values of the page's two examples (provider-docs/003, "Postback Notification").
    sent = sent_notification(
        325, "2011-07-26 10:22:26.975911-04", 236990, "15551234888", "SMS_12345", "2011-07-26 10:22:25.262743-04"
    )
    receipt = receipt_notification(
        326, "2011-07-26 10:22:27.146582-04", 236990, "15551234888", "SMS_12345", ("4", "0"),
        "2011-07-26 10:22:25.262743-04",
    )
    assert sent.encode() == golden("skycore-xml-sent.xml")
    assert receipt.encode() == golden("skycore-xml-receipt.xml")
    edt = timezone(timedelta(hours=-4))
    assert postgres_time(datetime(2011, 7, 26, 10, 22, 25, 262743, tzinfo=edt)) == "2011-07-26 10:22:25.262743-04"
    assert postgres_time(datetime(2011, 7, 26, 10, 22, 25, tzinfo=timezone(timedelta(hours=5, minutes=30)))) == (
        "2011-07-26 10:22:25.000000+05:30"
    )


def test_skycore_v2_postback_is_the_pages_n201_example_byte_for_byte() -> None:
    body = postback({
        "origin": "SMS_MT", "code": "N201", "sent-as": "SMS", "status": "Sent", "from": "000000",
        "to": "10000000000", "tracking-id": "xxxxxxxxxxxx", "operator-id": "0001470", "operator-name": "AT&T",
        "timestamp": "2021-01-26T18:00:07.990498+00:00",
    })
    assert body.encode() == golden("skycore-n201.json")


# a receiver that records what it gets ----------------------------------------------


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.stop()


def urls(receiver: Receiver) -> dict[str, str]:
    return {provider: f"{receiver.url}/receipts/{provider}/token" for provider in receipt_providers()}


def send_one_each(client: httpx.Client, number: str, text: str = "Your code is 1234", *, sync: bool = False) -> dict[str, str]:
    """One message to each provider that documents receipts; provider -> the id it answered."""
    sky = client.post(
        "/skycore/v2/sendsms", headers=KEY, json={"action": "sendsms", "to": number, "from": "60856", "message-text": text}
    ).json()
    xml = f"<REQUEST><ACTION>sendSMS</ACTION><API_KEY>sandbox</API_KEY><TO>{number[1:]}</TO><FROM>60856</FROM><TEXT>{text}</TEXT></REQUEST>"
    answer = client.post("/skycore/v1/sendsms", data={"xml": xml}).text
    tracking = answer.split("<TRACKINGID>")[1].split("<")[0]
    body: dict[str, object] = {"message": {"content": text, "to": [{"mobile_number": number}]}}
    if not sync:
        body["async"] = True
    inwise = client.post("/transactional/SMS/send", headers=KEY, json=body).json()[0]
    return {"skycore": sky["tracking-id"], "skycore-xml": tracking, "inwise": inwise["transaction_id"]}


def decisions(sandbox: Sandbox) -> dict[str, dict[str, object]]:
    return {str(m["provider_id"]): m["delivery"] for m in sandbox.messages()}  # type: ignore[misc]


# what is posted --------------------------------------------------------------------


def test_each_provider_posts_its_documented_shape_to_its_url(receiver: Receiver) -> None:
    settings = ReceiptSettings(urls(receiver), delay=0)
    with Sandbox(receipts=settings) as sandbox, httpx.Client(base_url=sandbox.url, timeout=10) as client:
        ids = send_one_each(client, "+15551234888")
        assert sandbox.wait_for_receipts(30)
        stats = sandbox.stats()["receipts"]

    assert stats == {"scheduled": 5, "posted": 5, "failed": 0, "dropped": 0, "outstanding": 0}
    sky = [json.loads(b) for b in receiver.bodies("/receipts/skycore/token")]
    assert [(p["code"], p["status"], p["tracking-id"], p["to"]) for p in sky] == [
        ("N201", "Sent", ids["skycore"], "+15551234888"), ("N202", "Delivered", ids["skycore"], "+15551234888"),
    ]
    sent, receipt = (b.decode() for b in receiver.bodies("/receipts/skycore-xml/token"))
    assert sent.startswith('<NOTIFICATION  ID="') and f"<TRACKINGID>{ids['skycore-xml']}</TRACKINGID>" in sent
    assert "<STATUS" not in sent and '<STATUS PROTOCOL="4" STATUS="0"/>' in receipt
    assert receipt.startswith('<NOTIFICATION id="') and "<TO>15551234888</TO>" in receipt
    assert [json.loads(b) for b in receiver.bodies("/receipts/inwise/token")] == [
        {"transaction_id": ids["inwise"], "mobile_number": "+15551234888", "status": "sent", "reject_reason": None},
    ]
    types = {path.split("/")[2]: kind for path, kind, _ in receiver.got}
    assert types == {"skycore": "application/json", "skycore-xml": "text/xml", "inwise": "application/json"}


def test_failed_deliveries_carry_each_providers_failure_code(receiver: Receiver) -> None:
    settings = ReceiptSettings({"*": receiver.url + "/all"}, delay=0, failed=1.0)
    with Sandbox(receipts=settings) as sandbox, httpx.Client(base_url=sandbox.url, timeout=10) as client:
        ids = send_one_each(client, "+15551234888")
        sync = send_one_each(client, "+15551234999", sync=True)["inwise"]
        assert sandbox.wait_for_receipts(30)
        decided = decisions(sandbox)

    assert {provider: (decided[i]["outcome"], decided[i]["code"]) for provider, i in ids.items()} == {
        "skycore": ("failed", "E202"), "skycore-xml": ("failed", "4:13"), "inwise": ("failed", "bounced"),
    }
    # A sync inwise send was answered "sent", a final status: it cannot fail afterwards.
    assert decided[sync]["outcome"] == "delivered"
    bodies = [b.decode() for b in receiver.bodies("/all")]
    assert any('"code":"E202",\n"sent-as":"SMS",\n"status":"Rejected"' in b for b in bodies)
    assert any('<STATUS PROTOCOL="4" STATUS="13"/>' in b for b in bodies)
    assert any(json.loads(b).get("reject_reason") == "bounced" for b in bodies if b.startswith('{"'))


def test_duplicated_reordered_and_lost_receipts(receiver: Receiver) -> None:
    with Sandbox(receipts=ReceiptSettings(urls(receiver), delay=0, duplicated=1.0, reordered=1.0)) as sandbox, httpx.Client(
        base_url=sandbox.url, timeout=10
    ) as client:
        send_one_each(client, "+15551234888")
        assert sandbox.wait_for_receipts(30)
    codes = [json.loads(b)["code"] for b in receiver.bodies("/receipts/skycore/token")]
    assert codes == ["N202", "N202", "N201"]  # the final one twice, then the first one
    first, second, third = receiver.bodies("/receipts/skycore-xml/token")
    assert first == second and b"<STATUS" in first and b"<STATUS" not in third
    assert len(receiver.bodies("/receipts/inwise/token")) == 2

    receiver.got.clear()
    with Sandbox(receipts=ReceiptSettings(urls(receiver), delay=0, lost=1.0)) as sandbox, httpx.Client(
        base_url=sandbox.url, timeout=10
    ) as client:
        send_one_each(client, "+15551234888")
        assert sandbox.wait_for_receipts(30)
        assert all(d["lost"] and d["outcome"] == "delivered" for d in decisions(sandbox).values())
    assert receiver.got == []


def test_the_same_seed_decides_the_same_and_providers_without_receipts_decide_nothing() -> None:
    def decide_all(seed: int) -> list[tuple[object, ...]]:
        settings = ReceiptSettings(delay=0, failed=0.5, lost=0.3, duplicated=0.3, reordered=0.3, seed=seed)
        with Sandbox(receipts=settings) as sandbox, httpx.Client(base_url=sandbox.url, timeout=10) as client:
            for n in range(12):
                send_one_each(client, f"+1555123{n:04d}")
            found = sorted(
                (m["provider"], m["recipient"], *(m["delivery"][k] for k in ("outcome", "lost", "duplicated", "reordered")))  # type: ignore[index]
                for m in sandbox.messages()
            )
            client.post("/sms/send", json={"message": "x", "personalization": [{"to": ["+40712034567"]}]}, auth=("sandbox", "sandbox"))
            assert sandbox.messages()[-1]["delivery"] is None
        return found

    first, again = decide_all(7), decide_all(7)
    assert first == again
    assert {row[2] for row in first} == {"delivered", "failed"}
    assert decide_all(8) != first


def test_a_receiver_that_is_down_does_not_break_the_sandbox() -> None:
    settings = ReceiptSettings({"*": f"http://127.0.0.1:{closed_port()}/receipts/a/t"}, delay=0)
    with Sandbox(receipts=settings) as sandbox, httpx.Client(base_url=sandbox.url, timeout=10) as client:
        send_one_each(client, "+15551234888")
        assert sandbox.wait_for_receipts(30)
        again = client.post(
            "/skycore/v2/sendsms", headers=KEY, json={"action": "sendsms", "to": "+15550001111", "from": "60856", "message-text": "hi"}
        )
        assert again.json()["status"] == "Success"
        stats = sandbox.stats()["receipts"]
    assert (stats["posted"], stats["failed"], stats["scheduled"]) == (0, 5, 7)


def test_the_sandbox_answers_while_the_receiver_holds_its_receipts() -> None:
    gate = threading.Event()
    receiver = Receiver(gate)
    settings = ReceiptSettings({"*": receiver.url + "/hang"}, delay=0)
    try:
        with Sandbox(receipts=settings) as sandbox, httpx.Client(base_url=sandbox.url, timeout=30) as client:
            send_one_each(client, "+15551234888")
            assert receiver.arrived.wait(30)  # a receipt is in the receiver, which does not answer
            later = send_one_each(client, "+15551234999")  # answered all the same
            assert set(later) == {"skycore", "skycore-xml", "inwise"}
            assert sandbox.stats()["receipts"]["outstanding"] > 0
            gate.set()
            assert sandbox.wait_for_receipts(30)
            assert sandbox.stats()["receipts"]["posted"] == 10
    finally:
        gate.set()
        receiver.stop()


def test_the_poster_keeps_a_bounded_number_of_messages_waiting() -> None:
    poster = ReceiptPoster(limit=2)
    poster.start()
    try:
        note = Notification(b"{}", "application/json")
        assert [poster.post_later("http://127.0.0.1:9/r", [note], 3600) for _ in range(3)] == [True, True, False]
        assert poster.stats() == {"scheduled": 2, "posted": 0, "failed": 0, "dropped": 1, "outstanding": 2}
        assert not poster.wait_idle(0)
    finally:
        poster.stop()
    assert poster.outstanding == 0


# inwise's status call --------------------------------------------------------------


def test_inwise_status_call_answers_from_the_sandboxs_decisions() -> None:
    now = [datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)]
    numbers = [f"972-54-11111{n:02d}" for n in range(10)]
    with Sandbox(clock=lambda: now[0], receipts=ReceiptSettings(delay=30, failed=0.5, seed=2)) as sandbox, httpx.Client(
        base_url=sandbox.url, timeout=10, headers=KEY
    ) as client:
        sent = client.post(
            "/transactional/SMS/send",
            json={"message": {"content": "hi", "to": [{"mobile_number": n} for n in numbers]}, "async": True},
        ).json()
        ids = [entry["transaction_id"] for entry in sent]

        def info(transaction_id: str) -> httpx.Response:
            return client.get("/transactional/sms/info", params={"transaction_id": transaction_id})

        assert [info(i).json()[0]["status"] for i in ids] == ["queued"] * 10
        now[0] += timedelta(seconds=31)
        decided = decisions(sandbox)
        answers = [info(i).json() for i in ids]
        assert answers == [
            [{
                "transaction_id": i, "mobile_number": n,
                "status": "sent" if decided[i]["outcome"] == "delivered" else "rejected",
                "reject_reason": None if decided[i]["outcome"] == "delivered" else "bounced",
            }]
            for i, n in zip(ids, numbers, strict=True)
        ]
        assert {a[0]["status"] for a in answers} == {"sent", "rejected"}

        # Found where a client joins "info" to the send endpoint's path, too.
        same = client.get("/transactional/SMS/info", params={"transaction_id": ids[0]})
        assert same.json() == answers[0]
        assert info("no-such-id").status_code == 404
        assert client.get("/transactional/sms/info").status_code == 400
        assert client.get("/transactional/sms/info", params={"transaction_id": ids[0]}, headers={"x-api-key": "wrong"}).status_code == 401
        assert client.post("/transactional/sms/info").status_code == 405


# options ---------------------------------------------------------------------------


def test_receipt_options_are_read_and_checked() -> None:
    assert parse_receipt_options("failed=0.2, lost=0.1,delay=0.5,seed=7") == {
        "failed": 0.2, "lost": 0.1, "delay": 0.5, "seed": 7,
    }
    for bad in ("failed=2", "delay=-1", "colour=red", "failed", "seed=x"):
        with pytest.raises(ValueError):
            parse_receipt_options(bad)
    assert receipt_urls(["http://h/r/a/t", "inwise=http://h/r/b/t"]) == {"*": "http://h/r/a/t", "inwise": "http://h/r/b/t"}
    with pytest.raises(ValueError):
        receipt_urls(["ftp://h/x"])
    assert masked_url("http://user:pw@127.0.0.1:8080/receipts/acct/s3cret?k=v") == "http://127.0.0.1:8080/receipts/acct/***?***"

