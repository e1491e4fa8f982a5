"""The receiver on 127.0.0.1 under uvicorn, posted to with httpx; the ledger on SQLite and PostgreSQL.

Golden inputs: the postback examples of Skycore's own pages (the sendSMS page in
provider-docs for v1 XML, the SMS MT Postback V2 page for JSON).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from smsspec.receipts.app import MAX_BODY_BYTES, start_in_thread
from smsspec.receipts.setup import receiver_for
from smsspec.send.ledger import DeliveryOutcome, DeliveryStatus, Intent, Ledger, RequestOutcome
from tests.e2e.send_helpers import ENV, Project, subprocess_env

TOKENS = {"SKY_TOKEN": "sky-token-0123456789abcdef", "XML_TOKEN": "xml-token-0123456789abcdef",
          "INW_TOKEN": "inw-token-0123456789abcdef"}

# provider-docs/003_d519ebe123f2734c.txt, "Postback Notification": sent, then the delivery receipt.
XML_SENT = b"""<NOTIFICATION  ID="325" CREATED="2011-07-26 10:22:26.975911-04" >
\t<ORIGIN>SMS_MT</ORIGIN>
\t<CODE>N201</CODE>
\t<BODY>
\t<HISTORYID>236990</HISTORYID>
\t<TO>15551234888</TO>
\t<TRACKINGID>SMS_12345</TRACKINGID>
\t<TIMESTAMP>2011-07-26 10:22:25.262743-04</TIMESTAMP>
\t</BODY>
</NOTIFICATION>"""
XML_DELIVERED = b"""<NOTIFICATION id="326" created=" 2011-07-26 10:22:27.146582-04">
\t<ORIGIN>SMS_MT</ORIGIN>
 \t<CODE>N201</CODE>
\t<BODY>
\t<HISTORYID>236990</HISTORYID>
 \t<TO>15551234888</TO>
\t<TRACKINGID>SMS_12345</TRACKINGID>
\t<STATUS PROTOCOL="4" STATUS="0"/>
\t<TIMESTAMP>2011-07-26 10:22:25.262743-04</TIMESTAMP>
\t</BODY>
</NOTIFICATION>"""


def v2(code: str, status: str, tracking_id: str = "xxxxxxxxxxxx") -> bytes:
    """https://www.skycore.com/help/sms-mt-postback-v2/: the N201 example, with the code and status given."""
    return json.dumps({
        "origin": "SMS_MT", "code": code, "sent-as": "SMS", "status": status, "from": "000000",
        "to": "10000000000", "tracking-id": tracking_id, "operator-id": "0001470",
        "operator-name": "AT&T", "timestamp": "2021-01-26T18:00:07.990498+00:00",
    }).encode()


# https://www.skycore.com/help/opt-in-status-postback-v1/, "Mobile Unsubscribe": a number opted out.
XML_UNSUBSCRIBED = b"""<?xml version='1.0'?>
<POSTBACK>
    <ORIGIN>SUB</ORIGIN>
    <CODE>N302</CODE>
    <MOBILE>16502424956</MOBILE>
    <CAMPAIGNREF>1478</CAMPAIGNREF>
    <TIMESTAMP>2014-07-02T14:32:23-04</TIMESTAMP>
    <SHORTCODE>123456</SHORTCODE>
    <CAMPAIGNTITLE>My Campaign Name</CAMPAIGNTITLE>
    <BRANDNAME>My Brand Name</BRANDNAME>
    <SOURCE>API</SOURCE>
</POSTBACK>"""


ENTITY_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<NOTIFICATION><CODE>N201</CODE><BODY><TRACKINGID>&lol3;</TRACKINGID><STATUS PROTOCOL="4" STATUS="0"/></BODY></NOTIFICATION>"""


def write_config(root: Path) -> Path:
    config = root / "smsspec.yaml"
    config.write_text(
        "version: 1\naccounts:\n"
        "  sky:\n    provider: skycore\n    endpoint: https://api.example.net/skycore\n"
        "    credentials: {api_key: '${T_API_KEY}'}\n    receipts_token: ${SKY_TOKEN}\n"
        "  skyxml:\n    provider: skycore-xml\n    endpoint: https://api.example.net/skycore/xml\n"
        "    credentials: {api_key: '${T_API_KEY}'}\n    receipts_token: ${XML_TOKEN}\n"
        "  inw:\n    provider: inwise\n"
        "    credentials: {api_key: '${T_API_KEY}'}\n    receipts_token: ${INW_TOKEN}\n",
        encoding="utf-8",
    )
    return config


SENT = {  # account -> (message, number, provider id)
    "skyxml": ("welcome", "+15551234888", "SMS_12345"),
    "sky": ("code", "+10000000000", "xxxxxxxxxxxx"),
    "inw": ("parcel", "+972541111111", "tx-1"),
}


def seed(location: str) -> None:
    """The sends these receipts are about, as `send` records them."""
    with Ledger.open(location) as ledger:
        for account, (message, number, provider_id) in SENT.items():
            request_id = f"req-{account}"
            ledger.claim([Intent(request_id, account, message, [(number, hashlib.sha256(b"t").hexdigest())])])
            ledger.record_outcomes([RequestOutcome(
                request_id, [DeliveryOutcome(number, DeliveryStatus.ACCEPTED, provider_id=provider_id)])])


@dataclass
class Receiver:
    url: str
    location: str
    config: Path

    def post(self, account: str, body: bytes, *, token: str | None = None, **kwargs: object) -> httpx.Response:
        token = token or TOKENS[{"sky": "SKY_TOKEN", "skyxml": "XML_TOKEN", "inw": "INW_TOKEN"}.get(account, "SKY_TOKEN")]
        return httpx.post(f"{self.url}/receipts/{account}/{token}", content=body, **kwargs)  # type: ignore[arg-type]

    def state(self, account: str) -> tuple[str | None, str | None, str | None]:
        message, number, _ = SENT[account]
        with Ledger.read(self.location) as view:
            found = view.states_for(message, [number])[number]
        return found.delivery, found.delivery_code, found.delivery_reason

    def snapshot(self) -> tuple[list[object], list[dict[str, object]]]:
        with Ledger.read(self.location) as view:
            return list(view.states()), view.receipts()


@pytest.fixture
def receiver(tmp_path: Path, location: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    for name, value in {**TOKENS, **ENV}.items():
        monkeypatch.setenv(name, value)
    config = write_config(tmp_path)
    seed(location)
    app, _ = receiver_for(str(config), location)
    running = start_in_thread(app)
    try:
        yield Receiver(running.url, location, config)
    finally:
        running.stop()


def test_the_golden_skycore_xml_postbacks_give_pending_then_delivered(receiver: Receiver) -> None:
    answer = receiver.post("skyxml", XML_SENT, headers={"content-type": "text/xml"})
    assert (answer.status_code, answer.json()) == (200, {"recorded": "applied"})
    assert receiver.state("skyxml") == ("pending", "N201", "Message Sent")
    answer = receiver.post("skyxml", XML_DELIVERED, headers={"content-type": "text/xml"})
    assert (answer.status_code, answer.json()) == (200, {"recorded": "applied"})
    assert receiver.state("skyxml") == ("delivered", "4:0", "Successfully executed")


def test_an_xml_postback_in_the_form_variable_xml_is_read_too(receiver: Receiver) -> None:
    answer = httpx.post(f"{receiver.url}/receipts/skyxml/{TOKENS['XML_TOKEN']}", data={"xml": XML_DELIVERED.decode()})
    assert answer.json() == {"recorded": "applied"}
    assert receiver.state("skyxml")[0] == "delivered"


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [("N201", "Sent", "pending"), ("N202", "Delivered", "delivered"), ("E201", "Failed", "failed"),
     ("E202", "Rejected", "failed")],
)
def test_the_skycore_v2_postback_codes(receiver: Receiver, code: str, status: str, expected: str) -> None:
    assert receiver.post("sky", v2(code, status), headers={"content-type": "application/json"}).status_code == 200
    assert receiver.state("sky") == (expected, code, status)


def test_an_inwise_notification_with_a_reject_reason_is_a_failure(receiver: Receiver) -> None:
    body = json.dumps({"transaction_id": "tx-1", "mobile_number": "972-54-1111111", "status": "rejected",
                       "reject_reason": "kosher-number"}).encode()
    assert receiver.post("inw", body).json() == {"recorded": "applied"}
    assert receiver.state("inw") == ("failed", "kosher-number", "kosher-number")


def test_duplicates_and_reordering_change_nothing(receiver: Receiver) -> None:
    for body in (v2("N202", "Delivered"), v2("N201", "Sent"), v2("N202", "Delivered"), v2("N201", "Sent")):
        assert receiver.post("sky", body).status_code == 200
    assert receiver.state("sky") == ("delivered", "N202", "Delivered")
    assert len(receiver.snapshot()[1]) == 2


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/receipts/sky/wrong-token-0123456789abcdef"), ("POST", "/receipts/nobody/sky-token-0123456789abcdef"),
     ("GET", "/receipts/sky/sky-token-0123456789abcdef"), ("POST", "/receipts/sky"),
     ("POST", "/receipts/sky/sky-token-0123456789abcdef/more"), ("POST", "/")],
    ids=["wrong-token", "unknown-account", "get", "no-token", "longer-path", "root"],
)
def test_anything_but_a_post_with_the_account_token_is_404_and_recorded_nowhere(
    receiver: Receiver, method: str, path: str
) -> None:
    before = receiver.snapshot()
    answer = httpx.request(method, receiver.url + path, content=v2("N202", "Delivered"))
    assert answer.status_code == 404
    assert "token" not in answer.text
    assert receiver.snapshot() == before


def test_an_oversized_body_is_413_whether_declared_or_streamed(receiver: Receiver) -> None:
    before = receiver.snapshot()
    big = b" " * (MAX_BODY_BYTES + 1)
    assert receiver.post("sky", big).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the receiver stops reading at the limit
        for _ in range(MAX_BODY_BYTES // 1024 + 2):
            yield b" " * 1024

    assert httpx.post(f"{receiver.url}/receipts/sky/{TOKENS['SKY_TOKEN']}", content=chunks()).status_code == 413
    assert receiver.snapshot() == before


@pytest.mark.parametrize(
    "body",
    [ENTITY_BOMB, b"\x00\xff garbage", b"{not json", b"[1, 2]", b"<NOTIFICATION><CODE>N999</CODE></NOTIFICATION>"],
    ids=["entity-bomb", "binary", "broken-json", "json-list", "unknown-shape"],
)
def test_unreadable_bodies_are_kept_as_unreadable_answered_200_and_change_no_delivery(
    receiver: Receiver, body: bytes
) -> None:
    states, _ = receiver.snapshot()
    account = "skyxml" if body.lstrip().startswith(b"<") else "sky"
    answer = receiver.post(account, body)
    assert (answer.status_code, answer.json()) == (200, {"recorded": "unreadable"})
    after, receipts = receiver.snapshot()
    assert after == states
    assert [(r["account"], r["state"], r["provider_id"]) for r in receipts] == [(account, None, None)]


def test_a_receipt_for_an_id_nobody_sent_is_answered_and_recorded_nowhere(receiver: Receiver) -> None:
    before = receiver.snapshot()
    answer = receiver.post("sky", v2("N202", "Delivered", tracking_id="never-sent"))
    assert (answer.status_code, answer.json()) == (200, {"recorded": "unknown"})
    assert receiver.snapshot() == before


def test_status_shows_what_the_receipts_said_and_fails_on_a_failed_delivery(receiver: Receiver) -> None:
    receiver.post("skyxml", XML_DELIVERED)
    receiver.post("sky", v2("E202", "Rejected"))
    run = subprocess.run(
        [sys.executable, "-m", "smsspec", "status", "--config", str(receiver.config), "--ledger",
         receiver.location, "--format", "json"],
        capture_output=True, text=True, env=subprocess_env(), check=False,
    )
    assert run.returncode == 1, run.stderr
    report = json.loads(run.stdout)
    assert report["summary"] == {"delivered": 1, "failed": 1, "pending": 0, "accepted": 1, "unknown": 0}
    by_message = {d["message"]: d for d in report["deliveries"]}
    assert by_message["code"] == {
        "message": "code", "number": "+10000000000", "account": "sky", "provider": None, "status": "failed",
        "provider_id": "xxxxxxxxxxxx", "code": "E202", "reason": "Rejected", "sent_at": None,
        "updated_at": by_message["code"]["updated_at"],
    }
    assert by_message["welcome"]["status"] == "delivered" and by_message["parcel"]["status"] == "accepted"


def test_the_receiver_serves_nothing_without_a_token_in_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_config(tmp_path)
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SKY_TOKEN", TOKENS["SKY_TOKEN"])
    monkeypatch.setenv("XML_TOKEN", "short")
    monkeypatch.delenv("INW_TOKEN", raising=False)
    run = subprocess.run(
        [sys.executable, "-m", "smsspec", "receipts", "serve", "--config", str(config), "--port", "0"],
        capture_output=True, text=True, env={k: v for k, v in subprocess_env().items() if k != "INW_TOKEN"},
        check=False, timeout=60,
    )
    assert run.returncode == 2
    assert "INW_TOKEN" in run.stderr and "XML_TOKEN" in run.stderr and "short" not in run.stderr
    assert TOKENS["SKY_TOKEN"] not in run.stderr + run.stdout


def test_the_receiver_keeps_working_while_a_send_runs_against_the_same_postgres_ledger(
    project: Project, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in TOKENS.items():
        monkeypatch.setenv(name, value)
    text = project.config.read_text(encoding="utf-8")
    project.config.write_text(
        text.replace("  skycore-acct:\n", "  skycore-acct:\n    receipts_token: ${SKY_TOKEN}\n"), encoding="utf-8")
    numbers = [f"+4474001{n:05d}" for n in range(40)]
    spec = project.provider_spec("skycore", to=numbers)
    app, _ = receiver_for(str(project.config), postgres_url)
    running = start_in_thread(app)
    url = f"{running.url}/receipts/skycore-acct/{TOKENS['SKY_TOKEN']}"
    answers: list[int] = []
    stop = threading.Event()

    def keep_posting() -> None:
        n = 0
        with httpx.Client() as client:
            while not stop.is_set():
                n += 1
                answers.append(client.post(url, content=v2("N201", "Sent", tracking_id=f"early-{n}")).status_code)

    poster = threading.Thread(target=keep_posting)
    try:
        poster.start()
        sent = subprocess.run(
            [sys.executable, "-m", "smsspec", "send", str(spec), "--ledger", postgres_url, "--yes"],
            capture_output=True, text=True, env=subprocess_env(dict(TOKENS)), cwd=project.root,
            check=False, timeout=300,
        )
        stop.set()
        poster.join()
        assert sent.returncode == 0, sent.stderr
        assert answers and set(answers) == {200}
        with Ledger.read(postgres_url) as view:
            ids = [s.provider_id for s in view.states()]
        assert len(ids) == len(numbers) and all(ids)
        with httpx.Client() as client:
            for provider_id in ids:
                assert client.post(url, content=v2("N202", "Delivered", tracking_id=str(provider_id))).json() == {
                    "recorded": "applied"}
        with Ledger.read(postgres_url) as view:
            assert {s.delivery for s in view.states()} == {"delivered"}
    finally:
        stop.set()
        running.stop()


def test_ledger_show_gains_the_delivery_state(receiver: Receiver) -> None:
    from tests.e2e.send_helpers import run_cli

    receiver.post("skyxml", XML_DELIVERED)
    shown = run_cli(["ledger", "show", "--ledger", receiver.location, "--format", "json"])
    rows = {r["message"]: r for r in json.loads(shown.stdout)["deliveries"]}
    assert (rows["welcome"]["delivery"], rows["welcome"]["delivery_code"]) == ("delivered", "4:0")
    assert rows["code"]["delivery"] is None
    text = run_cli(["ledger", "show", "--ledger", receiver.location]).stdout
    assert "delivery delivered (4:0 Successfully executed)" in text


def test_status_escapes_what_a_receipt_says(receiver: Receiver) -> None:
    from tests.e2e.send_helpers import run_cli

    hostile = "bad\x1b]0;pwned\x07\n::error::injected"
    receiver.post("sky", v2("E202", hostile))
    text = run_cli(["status", "--config", str(receiver.config), "--ledger", receiver.location])
    assert text.code == 1
    assert "\x1b" not in text.stdout and "\x07" not in text.stdout
    assert not [line for line in text.stdout.splitlines() if line.lstrip().startswith("::")]
    assert "bad\\x1b]0;pwned\\x07" in text.stdout
    as_json = run_cli(["status", "--config", str(receiver.config), "--ledger", receiver.location, "--format", "json"])
    assert [d["reason"] for d in json.loads(as_json.stdout)["deliveries"] if d["message"] == "code"] == [hostile]


@pytest.mark.parametrize("stop", ["SIGINT", "SIGTERM"])
def test_receipts_serve_runs_the_receiver_under_uvicorn_until_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stop: str
) -> None:
    import signal

    from tests.e2e.send_helpers import closed_port, ctrl_c_as_in_a_terminal, wait_for

    config = write_config(tmp_path)
    ledger = str(tmp_path / "ledger.db")
    for name, value in {**TOKENS, **ENV}.items():
        monkeypatch.setenv(name, value)
    seed(ledger)
    port = closed_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "smsspec", "receipts", "serve", "--config", str(config), "--ledger", ledger,
         "--port", str(port)],
        env=subprocess_env(dict(TOKENS)), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=ctrl_c_as_in_a_terminal,
    )
    url = f"http://127.0.0.1:{port}/receipts/sky/{TOKENS['SKY_TOKEN']}"

    def answers() -> bool:
        try:
            return httpx.post(url, content=v2("N202", "Delivered")).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(answers, "the receiver to listen", 60)
    finally:
        server.send_signal(getattr(signal, stop))
        out, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    assert out.endswith("receiver stopped\n")
    assert f"receiving for sky at http://127.0.0.1:{port}/receipts/sky/<token>" in out
    assert all(token not in out + err for token in TOKENS.values())
    with Ledger.read(ledger) as view:
        assert view.states_for("code", ["+10000000000"])["+10000000000"].delivery == "delivered"


def test_skycores_unsubscribe_postback_puts_the_number_on_the_ledgers_opt_out_list(receiver: Receiver) -> None:
    states, receipts = receiver.snapshot()
    for _ in range(2):  # a provider's retry is the same opt-out
        answer = receiver.post("skyxml", XML_UNSUBSCRIBED, headers={"content-type": "text/xml"})
        assert (answer.status_code, answer.json()) == (200, {"recorded": "opted-out"})
    with Ledger.read(receiver.location) as view:
        assert [(n, s) for n, _, s in view.opt_outs()] == [("+16502424956", "provider STOP, skyxml")]
    assert receiver.snapshot() == (states, receipts)  # no delivery changed, no receipt kept

    # the subscribe postback of the same page (N301) is no opt-out: kept as unreadable
    subscribed = XML_UNSUBSCRIBED.replace(b"N302", b"N301").replace(b"16502424956", b"16501112222")
    answer = receiver.post("skyxml", subscribed, headers={"content-type": "text/xml"})
    assert (answer.status_code, answer.json()) == (200, {"recorded": "unreadable"})
    with Ledger.read(receiver.location) as view:
        assert [n for n, _, _ in view.opt_outs()] == ["+16502424956"]
