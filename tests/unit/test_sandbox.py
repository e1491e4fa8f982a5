"""The sandbox over real HTTP on 127.0.0.1: provider answers, storage, faults, wire rules."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from xml.etree import ElementTree

import httpx
import pytest

from smsspec.sandbox import (
    FaultKind,
    Sandbox,
    SandboxAccounts,
    endpoint_paths,
    format_inbox,
    read_jsonl,
)
from smsspec.sandbox.store import MessageStore

SKYCORE = "/skycore/v2/sendsms"
SKYCORE_XML = "/skycore/v1/sendsms"
SENDMACHINE = "/sms/send"
INWISE = "/transactional/SMS/send"
WHATCOUNTS = "/api_web"


@pytest.fixture(scope="module")
def shared() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(shared: Sandbox) -> Iterator[Sandbox]:
    shared.clear()
    shared.accounts.settings.clear()
    shared.accounts.rejections.clear()
    yield shared
    shared.clear()


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, timeout=10) as http:
        yield http


# request builders -----------------------------------------------------------


def skycore_body(**fields: object) -> dict[str, object]:
    body: dict[str, object] = {
        "action": "sendsms",
        "message-text": "Hello from the sandbox",
        "to": "+15551234888",
        "from": "60856",
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


def skycore(client: httpx.Client, key: str | None = "sandbox", **fields: object) -> httpx.Response:
    headers = {"x-api-key": key} if key is not None else {}
    return client.post(SKYCORE, json=skycore_body(**fields), headers=headers)


def skycore_xml_body(**fields: str | None) -> str:
    values: dict[str, str | None] = {
        "ACTION": "sendSMS",
        "API_KEY": "sandbox",
        "TO": "15551234888",
        "FROM": "60856",
        "TEXT": "Hello Jerry",
    }
    values.update(fields)
    inner = "".join(f"<{k}>{v}</{k}>" for k, v in values.items() if v is not None)
    return f"<REQUEST>{inner}</REQUEST>"


def skycore_xml_post(client: httpx.Client, body: str) -> httpx.Response:
    """As Skycore's HTTP API v1.3 asks: the XML form-encoded in the POST variable `xml`."""
    return client.post(SKYCORE_XML, data={"xml": body})


def skycore_xml(client: httpx.Client, body: str) -> ElementTree.Element:
    response = skycore_xml_post(client, body)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    return ElementTree.fromstring(response.content)


def sendmachine(
    client: httpx.Client, body: object, auth: tuple[str, str] = ("sandbox", "sandbox")
) -> httpx.Response:
    return client.post(SENDMACHINE, json=body, auth=auth)


def sm_body(
    *numbers: str, message: str = "Your code is 1234", **extra: object
) -> dict[str, object]:
    return {
        "personalization": [{"to": list(numbers or ["+40712345678"])}],
        "message": message,
        **extra,
    }


def inwise(client: httpx.Client, body: object, key: str | None = "sandbox") -> httpx.Response:
    headers = {"X-Api-Key": key} if key is not None else {}
    return client.post(INWISE, json=body, headers=headers)


def inwise_body(
    *numbers: str, content: str = "BODY of the message", **extra: object
) -> dict[str, object]:
    to = [{"mobile_number": n} for n in numbers or ["972-54-1111111"]]
    return {"message": {"content": content, "charset": "unicode", "to": to}, **extra}


def whatcounts(client: httpx.Client, **params: str | None) -> httpx.Response:
    query: dict[str, str | None] = {
        "r": "sandbox",
        "p": "sandbox",
        "c": "smssendmessagetophone",
        "phone": "12065551212",
        "sender_code": "120162701555",
        "message_text": "Thanks!",
    }
    query.update(params)
    return client.get(WHATCOUNTS, params={k: v for k, v in query.items() if v is not None})


def accepted_request(client: httpx.Client, path: str) -> httpx.Response:
    """A request each provider accepts, for fault tests."""
    if path == SKYCORE:
        return skycore(client)
    if path == SKYCORE_XML:
        return skycore_xml_post(client, skycore_xml_body())
    if path == SENDMACHINE:
        return sendmachine(client, sm_body())
    if path == INWISE:
        return inwise(client, inwise_body())
    return whatcounts(client)


# paths ----------------------------------------------------------------------


def test_endpoint_paths_name_all_five_providers() -> None:
    assert endpoint_paths() == {
        "skycore": SKYCORE,
        "skycore-xml": SKYCORE_XML,
        "sendmachine": SENDMACHINE,
        "inwise": INWISE,
        "whatcounts": WHATCOUNTS,
    }


def test_url_points_at_the_listening_port(sandbox: Sandbox) -> None:
    assert sandbox.url == f"http://127.0.0.1:{sandbox.port}"
    assert sandbox.port > 0


def test_unknown_path_is_404_and_wrong_method_405(client: httpx.Client) -> None:
    assert client.get("/nope").status_code == 404
    response = client.get(SKYCORE)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert client.post(WHATCOUNTS).status_code == 405


# skycore JSON ---------------------------------------------------------------


def test_skycore_success_answers_and_stores(client: httpx.Client, sandbox: Sandbox) -> None:
    response = skycore(client, **{"campaign-ref": "campaign2345", "click-tracking": True})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"status", "tracking-id", "to", "from", "status-details"}
    assert body["status"] == "Success"
    assert body["to"] == "+15551234888"
    assert body["from"] == "60856"
    assert body["status-details"] == "SMS request accepted and queued for delivery"
    [message] = sandbox.messages()
    assert message["provider"] == "skycore"
    assert message["provider_id"] == body["tracking-id"]
    assert message["recipient"] == "+15551234888"
    assert message["sender"] == "60856"
    assert message["campaign"] == "campaign2345"
    assert message["text"] == "Hello from the sandbox"
    assert (message["encoding"], message["segments"]) == ("GSM-7", 1)


def test_skycore_action_is_case_insensitive(client: httpx.Client) -> None:
    assert skycore(client, action="SendSMS").json()["status"] == "Success"


def test_skycore_mask_is_cut_to_eleven_characters(client: httpx.Client, sandbox: Sandbox) -> None:
    response = skycore(client, **{"from-mask": "Dunder Mifflin"})
    assert response.json()["status"] == "Success"
    assert sandbox.messages()[0]["mask"] == "Dunder Miff"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"from": "Dunder"}, "E111"),
        ({"from": "+1-555-0100"}, "E111"),
        ({"to": "not-a-number"}, "E110"),
        ({"to": "+12"}, "E110"),
        ({"action": "sendmms"}, "E101"),
        ({"message-text": None}, "E712"),
        ({"to": None}, "E201"),
        ({"from": None}, "E111"),
        ({"click-tracking": "yes"}, "E100"),
    ],
)
def test_skycore_failures_arrive_in_a_200_body(
    client: httpx.Client, sandbox: Sandbox, fields: dict[str, object], code: str
) -> None:
    response = skycore(client, **fields)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"status", "error-code", "error-info", "to"}
    assert body["status"] == "Failure"
    assert body["error-code"] == code
    assert sandbox.messages() == []


def test_skycore_invalid_sender_uses_the_documented_code(client: httpx.Client) -> None:
    body = skycore(client, **{"from": "ACME"}).json()
    assert body == {
        "status": "Failure",
        "error-code": "E111",
        "error-info": "Invalid Sender.",
        "to": "+15551234888",
    }


@pytest.mark.parametrize(("key", "code"), [(None, "E102"), ("wrong", "E104"), ("SANDBOX", "E104")])
def test_skycore_bad_key_is_401_with_a_failure_body(
    client: httpx.Client, sandbox: Sandbox, key: str | None, code: str
) -> None:
    """Skycore's authentication codes are E100-E109 (messaging-api-v2-intro: "Authentication Error codes")."""
    response = skycore(client, key=key)
    assert response.status_code == 401
    assert response.json()["status"] == "Failure"
    assert response.json()["error-code"] == code
    assert sandbox.messages() == []


def test_skycore_campaign_check_requires_campaign_ref(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    sandbox.accounts.settings["enforce_campaign_check"] = True
    missing = skycore(client).json()
    assert (missing["status"], missing["error-code"]) == ("Failure", "E714")
    assert skycore(client, **{"campaign-ref": "77676"}).json()["status"] == "Success"
    assert len(sandbox.messages()) == 1


def test_skycore_unreadable_body_is_a_failure(client: httpx.Client) -> None:
    response = client.post(SKYCORE, content=b"{not json", headers={"x-api-key": "sandbox"})
    assert response.status_code == 200
    assert response.json()["error-code"] == "E100"


# skycore XML ----------------------------------------------------------------


def test_skycore_xml_success(client: httpx.Client, sandbox: Sandbox) -> None:
    body = skycore_xml_body(TO="15551234888 ", ACTION="sendSMS ", CAMPAIGNREF="77676", SPID="9")
    root = skycore_xml(client, body)
    assert root.tag == "RESPONSE"
    assert [child.tag for child in root] == ["STATUS", "TRACKINGID", "TO"]
    assert root.findtext("STATUS") == "Success"
    tracking = root.findtext("TRACKINGID") or ""
    assert tracking.startswith("SMS_")
    assert root.findtext("TO") == "15551234888"
    [message] = sandbox.messages()
    assert message["provider"] == "skycore-xml"
    assert message["provider_id"] == tracking
    assert message["campaign"] == "77676"
    assert message["text"] == "Hello Jerry"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"FROM": "ACME"}, "E111"),
        ({"TO": "12ab"}, "E110"),
        ({"TEXT": None}, "E712"),
        ({"TO": None}, "E201"),
        ({"ACTION": "getSMS"}, "E101"),
        ({"API_KEY": "wrong"}, "E104"),
        ({"API_KEY": None}, "E102"),
    ],
)
def test_skycore_xml_failures(
    client: httpx.Client, sandbox: Sandbox, fields: dict[str, str | None], code: str
) -> None:
    root = skycore_xml(client, skycore_xml_body(**fields))
    assert [child.tag for child in root] == ["STATUS", "ERRORCODE", "ERRORINFO", "TO"]
    assert root.findtext("STATUS") == "Failure"
    assert root.findtext("ERRORCODE") == code
    assert sandbox.messages() == []


def test_skycore_xml_campaign_check(client: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.accounts.settings["enforce_campaign_check"] = True
    assert skycore_xml(client, skycore_xml_body()).findtext("ERRORCODE") == "E714"


def test_skycore_xml_refuses_entities(client: httpx.Client, sandbox: Sandbox) -> None:
    body = (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY k "sandbox">]>'
        "<REQUEST><ACTION>sendSMS</ACTION><API_KEY>&k;</API_KEY><TO>15551234888</TO>"
        "<FROM>60856</FROM><TEXT>hi</TEXT></REQUEST>"
    )
    root = skycore_xml(client, body)
    assert (root.findtext("STATUS"), root.findtext("ERRORCODE")) == ("Failure", "E108")
    assert sandbox.messages() == []


@pytest.mark.parametrize(
    "send",
    [
        lambda c: c.post(SKYCORE_XML, content=skycore_xml_body().encode(), headers={"content-type": "application/xml"}),
        lambda c: c.post(SKYCORE_XML, data={"XML": skycore_xml_body()}),
        lambda c: c.post(SKYCORE_XML, data={"xml": ""}),
        lambda c: c.post(SKYCORE_XML, content=b"xml=%FF", headers={"content-type": "application/x-www-form-urlencoded"}),
    ],
    ids=["raw-xml-body", "other-variable", "empty-variable", "not-utf8"],
)
def test_skycore_xml_takes_the_xml_only_in_the_form_variable_xml(
    client: httpx.Client, sandbox: Sandbox, send: Any
) -> None:
    """Skycore HTTP API v1.3 (https://www.skycore.com/help/skycore-http-v1-3/): "POST Request - with XML
    data passed inside an 'xml' variable"; APPENDIX_B.md: "E100 Invalid request. ... send valid XML inside
    'xml' field via POST"."""
    response = send(client)
    assert response.status_code == 200
    root = ElementTree.fromstring(response.content)
    assert (root.findtext("STATUS"), root.findtext("ERRORCODE")) == ("Failure", "E100")
    assert sandbox.messages() == []


def test_skycore_xml_escapes_echoed_values(client: httpx.Client) -> None:
    root = skycore_xml(client, skycore_xml_body(TO="1&lt;2"))
    assert root.findtext("TO") == "1<2"


# sendmachine ----------------------------------------------------------------


def test_sendmachine_counts_distinct_recipients_and_segments(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    body = {
        "personalization": [
            {"to": ["+40712345678", "+40712345678", "+40787654321"], "macros": {"NAME": "Ana"}},
            {"to": ["+40712345678"], "metadata": {"order": 7}},
        ],
        "message": "x" * 161,
        "message_type": "transactional",
        "click_tracking": 1,
    }
    response = sendmachine(client, body)
    assert response.status_code == 202
    result = response.json()
    assert set(result) == {"status", "count", "segments", "request_id"}
    assert result["status"] == "accepted"
    assert result["count"] == 3
    assert result["segments"] == 6
    assert len(result["request_id"]) == 36
    messages = sandbox.messages()
    assert [m["recipient"] for m in messages] == ["+40712345678", "+40787654321", "+40712345678"]
    assert {m["provider_id"] for m in messages} == {result["request_id"]}
    assert all(m["state"] == "accepted" and m["segments"] == 2 for m in messages)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"message": "hi"}, "missing_personalization"),
        ({"personalization": [], "message": "hi"}, "missing_personalization"),
        ({"personalization": [{"to": ["+40712345678"]}]}, "missing_message"),
        ({"personalization": [{"to": ["+40712345678"]}], "message": ""}, "missing_message"),
        (sm_body("0712 ABC"), "invalid_recipient"),
        (sm_body(message_type="promo"), "invalid_type"),
        (sm_body(click_tracking=2), "invalid_field_value"),
        (sm_body(click_tracking="1"), "invalid_field_value"),
        (sm_body(click_tracking=True), "invalid_field_value"),
        ({"personalization": [{"to": []}], "message": "hi"}, "empty_field_value"),
        (
            {
                "personalization": [{"to": ["+40712345678"], "macros": {"date": "x"}}],
                "message": "hi",
            },
            "invalid_macros",
        ),
        (
            {"personalization": [{"to": ["+40712345678"], "metadata": []}], "message": "hi"},
            "invalid_metadata",
        ),
        ([1, 2], "invalid_json"),
    ],
)
def test_sendmachine_validation_errors(
    client: httpx.Client, sandbox: Sandbox, body: object, code: str
) -> None:
    response = sendmachine(client, body)
    assert response.status_code == 400
    result = response.json()
    assert set(result) == {"status", "error_reason"}
    assert (result["status"], result["error_reason"]) == ("validation_error", code)
    assert sandbox.messages() == []


def test_sendmachine_unparsable_json(client: httpx.Client) -> None:
    response = client.post(SENDMACHINE, content=b"{", auth=("sandbox", "sandbox"))
    assert response.status_code == 400
    assert response.json()["error_reason"] == "invalid_json"


def test_sendmachine_limits(client: httpx.Client) -> None:
    numbers = [f"+4071234{i:04d}" for i in range(100)]
    assert sendmachine(client, sm_body(*numbers[:99])).status_code == 202
    too_many = sendmachine(client, sm_body(*numbers)).json()
    assert too_many["error_reason"] == "field_value_overflow"
    entries = [{"to": [n]} for n in numbers]
    assert sendmachine(client, {"personalization": entries[:99], "message": "m"}).status_code == 202
    too_many_entries = sendmachine(client, {"personalization": entries, "message": "m"}).json()
    assert too_many_entries["error_reason"] == "pers_limit_reached"


@pytest.mark.parametrize("auth", [("sandbox", "wrong"), ("other", "sandbox")])
def test_sendmachine_bad_auth_is_denied(
    client: httpx.Client, sandbox: Sandbox, auth: tuple[str, str]
) -> None:
    response = sendmachine(client, sm_body(), auth=auth)
    assert response.status_code == 401
    assert response.json() == {"status": "denied"}
    no_auth = client.post(SENDMACHINE, json=sm_body())
    assert no_auth.status_code == 401
    assert sandbox.messages() == []


@pytest.mark.parametrize(
    ("hour", "minute", "state"),
    [
        (23, 30, "paused"),
        (22, 0, "paused"),
        (6, 59, "paused"),
        (7, 0, "accepted"),
        (12, 0, "accepted"),
    ],
)
def test_sendmachine_campaign_pauses_at_night(hour: int, minute: int, state: str) -> None:
    moment = datetime(2024, 3, 1, hour, minute, tzinfo=timezone.utc)
    with Sandbox(clock=lambda: moment) as sandbox, httpx.Client(base_url=sandbox.url) as http:
        campaign = sendmachine(http, sm_body(message_type="campaign", campaign_name="spring"))
        transactional = sendmachine(http, sm_body(message_type="transactional"))
        assert (campaign.status_code, transactional.status_code) == (202, 202)
        first, second = sandbox.messages()
    assert (first["state"], first["campaign"]) == (state, "spring")
    assert second["state"] == "accepted"
    assert first["received_at"].startswith(f"2024-03-01T{hour:02d}:{minute:02d}")


def test_sendmachine_segments_follow_the_encoding(client: httpx.Client, sandbox: Sandbox) -> None:
    result = sendmachine(client, sm_body("+40712345678", "+40787654321", message="ş" * 71)).json()
    assert result["segments"] == 4
    assert sandbox.messages()[0]["encoding"] == "UCS-2"


# inwise ---------------------------------------------------------------------


def test_inwise_sync_send(client: httpx.Client, sandbox: Sandbox) -> None:
    response = inwise(client, inwise_body("972-54-1111111", "972-54-2222222"))
    assert response.status_code == 200
    results = response.json()
    assert [set(r) for r in results] == [{"mobile_number", "status", "reject_reason", "transaction_id"}] * 2
    assert [(r["mobile_number"], r["status"], r["reject_reason"]) for r in results] == [
        ("972-54-1111111", "sent", None),
        ("972-54-2222222", "sent", None),
    ]
    assert [m["provider_id"] for m in sandbox.messages()] == [r["transaction_id"] for r in results]


def test_inwise_async_is_queued(client: httpx.Client, sandbox: Sandbox) -> None:
    body = inwise_body(**{"async": True, "send_at": "2020-01-20 13:05:00+02:00"})
    [result] = inwise(client, body).json()
    assert result["status"] == "queued"
    [message] = sandbox.messages()
    assert message["state"] == "queued"
    assert message["details"]["send_at"] == "2020-01-20 13:05:00+02:00"


def test_inwise_invalid_number_spoils_only_that_recipient(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    results = inwise(client, inwise_body("972-54-1111111", "05x-call-me")).json()
    assert [(r["status"], r["reject_reason"]) for r in results] == [
        ("sent", None),
        ("invalid", "invalid-number"),
    ]
    assert [m["recipient"] for m in sandbox.messages()] == ["972-54-1111111"]


def test_inwise_configured_rejections(client: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.accounts.rejections.update(
        {"972583200000": "kosher-number", "972541111111": "insufficient-funds"}
    )
    results = inwise(
        client, inwise_body("972-58-3200000", "972-54-1111111", "972-54-2222222")
    ).json()
    assert [(r["status"], r["reject_reason"]) for r in results] == [
        ("rejected", "kosher-number"),
        ("queued", "insufficient-funds"),
        ("sent", None),
    ]
    assert [m["recipient"] for m in sandbox.messages()] == ["972-54-2222222"]


def test_inwise_fills_field_vars(client: httpx.Client, sandbox: Sandbox) -> None:
    body = inwise_body("972-54-1111111", content="Hi #field1#, your package was sent.")
    body["message"]["field_vars"] = [  # type: ignore[index]
        {
            "rcpt": "972-54-1111111",
            "fields": [{"name": "field1", "content": "Dana", "type": "string"}],
        }
    ]
    assert inwise(client, body).status_code == 200
    assert sandbox.messages()[0]["text"] == "Hi Dana, your package was sent."


@pytest.mark.parametrize("key", [None, "wrong"])
def test_inwise_bad_key_is_401_plain_text(
    client: httpx.Client, sandbox: Sandbox, key: str | None
) -> None:
    response = inwise(client, inwise_body(), key=key)
    assert response.status_code == 401
    assert response.text == "you are not authorized to use rest API"
    assert response.headers["content-type"].startswith("text/plain")
    assert sandbox.messages() == []


@pytest.mark.parametrize(
    "body",
    [
        {"message": {"to": [{"mobile_number": "972-54-1111111"}]}},
        {"message": {"content": "hi", "to": []}},
        {"message": {"content": "hi", "to": [{"mobile_number": "972-54-1111111"}]}, "async": "yes"},
        {
            "message": {"content": "hi", "to": [{"mobile_number": "972-54-1111111"}]},
            "send_at": "soon",
        },
        {"content": "hi"},
    ],
)
def test_inwise_malformed_request_is_400(client: httpx.Client, body: object) -> None:
    response = inwise(client, body)
    assert response.status_code == 400
    assert response.json()["status"] == "error"


# whatcounts -----------------------------------------------------------------


def test_whatcounts_success_with_short_and_long_names(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    short = whatcounts(client)
    assert short.status_code == 200
    assert short.text == "SUCCESS: Sending message to phone was successful"
    assert short.headers["content-type"].startswith("text/plain")
    long = whatcounts(
        client, r=None, p=None, c=None, realm="sandbox", pwd="sandbox", cmd="smssendmessagetophone"
    )
    assert long.text.startswith("SUCCESS:")
    first, _ = sandbox.messages()
    assert (first["recipient"], first["sender"], first["text"]) == (
        "12065551212",
        "120162701555",
        "Thanks!",
    )


def test_whatcounts_decodes_plus_as_space(client: httpx.Client, sandbox: Sandbox) -> None:
    client.get(
        WHATCOUNTS + "?r=sandbox&p=sandbox&c=smssendmessagetophone&phone=1206&sender_code=1"
        "&message_text=Your+message%20is+here"
    )
    assert sandbox.messages()[0]["text"] == "Your message is here"


@pytest.mark.parametrize(
    "params",
    [
        {"p": "wrong"},
        {"r": "elsewhere"},
        {"phone": None},
        {"phone": "(206) 555-1212"},
        {"phone": "+12065551212"},
        {"sender_code": None},
        {"message_text": "x" * 161},
        {"c": "smssendmessage"},
        {"c": None},
    ],
)
def test_whatcounts_failures(
    client: httpx.Client, sandbox: Sandbox, params: dict[str, str | None]
) -> None:
    response = whatcounts(client, **params)
    assert response.status_code == 200
    assert response.text.startswith("FAILURE: ")
    assert len(response.text) > len("FAILURE: ")
    assert sandbox.messages() == []


def test_whatcounts_allows_exactly_160_characters(client: httpx.Client) -> None:
    assert whatcounts(client, message_text="x" * 160).text.startswith("SUCCESS:")


# storage, inbox, stats --------------------------------------------------------


def test_store_file_gets_every_accepted_message_with_secrets_redacted(tmp_path: Path) -> None:
    store = tmp_path / "out" / "messages.jsonl"
    accounts = SandboxAccounts(api_key="k-SECRET-1", password="pw-SECRET-2", settings={"realm": "acme"})
    with (
        Sandbox(store=store, accounts=accounts) as sandbox,
        httpx.Client(base_url=sandbox.url) as http,
    ):
        assert skycore(http, key="k-SECRET-1").json()["status"] == "Success"
        xml = skycore_xml_body(API_KEY="k-SECRET-1")
        assert skycore_xml(http, xml).findtext("STATUS") == "Success"
        assert sendmachine(http, sm_body(), auth=("sandbox", "k-SECRET-1")).status_code == 202
        assert inwise(http, inwise_body(), key="k-SECRET-1").status_code == 200
        assert whatcounts(http, r="acme", p="pw-SECRET-2").text.startswith("SUCCESS")
        assert skycore(http, key="k-SECRET-1", to="bad").json()["status"] == "Failure"
        in_memory = sandbox.messages()
    text = store.read_text(encoding="utf-8")
    assert "SECRET" not in text
    assert len(text.splitlines()) == 5
    stored = read_jsonl(store)
    assert stored == in_memory
    assert [m["provider"] for m in stored] == [
        "skycore",
        "skycore-xml",
        "sendmachine",
        "inwise",
        "whatcounts",
    ]
    requests = [m["request"] for m in stored]
    assert requests[0]["headers"]["x-api-key"] == "***"
    assert "<API_KEY>***</API_KEY>" in parse_qs(requests[1]["body"])["xml"][0]
    assert requests[2]["headers"]["authorization"] == "***"
    assert requests[3]["headers"]["x-api-key"] == "***"
    assert "p=***" in requests[4]["path"] and "r=acme" in requests[4]["path"]
    assert requests[0]["method"] == "POST"
    assert json.loads(requests[0]["body"])["to"] == "+15551234888"


def test_store_file_is_appended_across_runs(tmp_path: Path) -> None:
    store = tmp_path / "messages.jsonl"
    for _ in range(2):
        with Sandbox(store=store) as sandbox, httpx.Client(base_url=sandbox.url) as http:
            whatcounts(http)
            http.delete("/_sandbox/messages")
    assert len(read_jsonl(store)) == 2


def test_memory_keeps_the_newest_messages_the_file_keeps_all(tmp_path: Path) -> None:
    store = MessageStore(tmp_path / "m.jsonl", memory_limit=2)
    store.add([{"n": 1}, {"n": 2}])
    store.add([{"n": 3}])
    store.close()
    assert store.messages() == [{"n": 2}, {"n": 3}]
    assert read_jsonl(tmp_path / "m.jsonl") == [{"n": 1}, {"n": 2}, {"n": 3}]


def test_inbox_api_lists_and_clears(client: httpx.Client) -> None:
    skycore(client, **{"message-text": "first"})
    whatcounts(client, message_text="second")
    listed = client.get("/_sandbox/messages").json()
    assert [m["text"] for m in listed] == ["first", "second"]
    assert client.delete("/_sandbox/messages").json() == {"cleared": 2}
    assert client.get("/_sandbox/messages").json() == []


def test_stats_count_requests_per_path(client: httpx.Client) -> None:
    skycore(client)
    skycore(client, key="wrong")
    whatcounts(client)
    client.get("/nope")
    stats = client.get("/_sandbox/stats").json()
    assert stats == {
        "requests": {"/api_web": 1, "/nope": 1, SKYCORE: 2},
        "total": 4,
        "stored": 2,
    }


def test_format_inbox_shows_a_row_per_message(client: httpx.Client, sandbox: Sandbox) -> None:
    skycore(client, **{"from-mask": "Dunder Mifflin", "message-text": "Hello\nthere"})
    whatcounts(client, message_text="ş" * 100)
    table = format_inbox(sandbox.messages())
    lines = table.splitlines()
    assert lines[0].split() == ["provider", "recipient", "from", "encoding", "segments", "delivery", "text"]
    assert "delivered" in lines[2] and "delivered" not in lines[3]  # WhatCounts documents no receipts
    assert "Dunder Miff" in lines[2] and "Hello there" in lines[2] and "GSM-7" in lines[2]
    assert "120162701555" in lines[3] and "UCS-2" in lines[3]
    assert lines[-1] == "2 messages"
    assert format_inbox([]) == "No messages."


# keep-alive and the wire ------------------------------------------------------


def test_keep_alive_serves_many_requests_on_one_connection(sandbox: Sandbox) -> None:
    ports = set()
    with httpx.Client(base_url=sandbox.url) as http:
        for path in [SKYCORE, SKYCORE_XML, SENDMACHINE, INWISE, WHATCOUNTS] * 3:
            response = accepted_request(http, path)
            assert response.status_code in (200, 202)
            stream = response.extensions["network_stream"]
            ports.add(stream.get_extra_info("client_addr")[1])
    assert len(ports) == 1
    assert len(sandbox.messages()) == 15


HOST = b"@HOST@"
"""Stands for this sandbox's own address in raw requests (``_raw`` fills it in)."""


def _raw(sandbox: Sandbox, payload: bytes, expect_close: bool = True) -> bytes:
    payload = payload.replace(HOST, f"127.0.0.1:{sandbox.port}".encode())
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=10) as sock:
        sock.sendall(payload)
        if not expect_close:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def _get(path: str, extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: @HOST@\r\n{extra}\r\n".encode()


def test_pipelined_requests_are_answered_in_order(sandbox: Sandbox) -> None:
    query = "?r=sandbox&p=sandbox&c=smssendmessagetophone&phone=1&sender_code=2&message_text="
    payload = b"".join(
        [
            _get(WHATCOUNTS + query + "one"),
            _get("/missing"),
            _get(WHATCOUNTS + query + "three", "Connection: close\r\n"),
        ]
    )
    answer = _raw(sandbox, payload)
    assert answer.count(b"HTTP/1.1 ") == 3
    first, second, third = answer.split(b"HTTP/1.1 ")[1:]
    assert first.startswith(b"200") and first.endswith(b"successful")
    assert second.startswith(b"404")
    assert third.startswith(b"200") and b"Connection: close" in third
    assert [m["text"] for m in sandbox.messages()] == ["one", "three"]


def test_connection_close_ends_the_connection(sandbox: Sandbox) -> None:
    answer = _raw(sandbox, _get("/_sandbox/stats", "Connection: close\r\n"))
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\nConnection: close\r\n" in answer


def test_http_1_0_closes_unless_asked_to_keep_alive(sandbox: Sandbox) -> None:
    answer = _raw(sandbox, b"GET /_sandbox/stats HTTP/1.0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Connection: close" in answer


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (b"POST /sms/send HTTP/1.1\r\nHost: @HOST@\r\nContent-Length: 2000000\r\n\r\n", b"413"),
        (
            b"POST /sms/send HTTP/1.1\r\nHost: @HOST@\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            b"501",
        ),
        (b"GET /sms/send\r\nHost: @HOST@\r\n\r\n", b"400"),
        (b"GET /sms/send HTTP/1.1\r\n\r\n", b"400"),
        (b"GET /sms/send HTTP/1.1\r\nHost : x\r\n\r\n", b"400"),
        (b"GET /sms/send HTTP/1.1\r\nHost: @HOST@\r\nX-A: a\x01b\r\n\r\n", b"400"),
        (b"POST /sms/send HTTP/1.1\r\nHost: @HOST@\r\nContent-Length: 1, 2\r\n\r\n", b"400"),
        (b"POST /sms/send HTTP/1.1\r\nHost: @HOST@\r\nContent-Length: -1\r\n\r\n", b"400"),
        (b"GET /sms/send HTTP/2.0\r\nHost: @HOST@\r\n\r\n", b"505"),
        (b"GET sms HTTP/1.1\r\nHost: @HOST@\r\n\r\n", b"400"),
    ],
)
def test_malformed_requests_get_an_error_and_a_closed_connection(
    sandbox: Sandbox, payload: bytes, status: bytes
) -> None:
    answer = _raw(sandbox, payload)
    assert answer.startswith(b"HTTP/1.1 " + status + b" ")
    assert b"Connection: close" in answer


@pytest.mark.parametrize("path", ["/_sandbox/messages", "/", "/_sandbox/inbox", SKYCORE])
@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1:1", "127.0.0.1"])
def test_a_host_that_does_not_name_the_sandbox_is_refused(
    client: httpx.Client, sandbox: Sandbox, path: str, host: str
) -> None:
    """DNS rebinding: a page on another site reaches 127.0.0.1 under its own name."""
    assert skycore(client).status_code == 200  # a stored message the page must not see
    request = f"GET {path} HTTP/1.1\r\nHost: {host.format(port=sandbox.port)}\r\n\r\n"
    answer = _raw(sandbox, request.encode())
    assert answer.startswith(b"HTTP/1.1 421 Misdirected Request\r\n")
    assert b"Connection: close" in answer
    assert b"+15551234888" not in answer and b"Hello from the sandbox" not in answer
    assert sandbox.stats()["requests"] == {SKYCORE: 1}


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LocalHost:{port}", "[::1]:{port}"])
def test_names_of_the_sandbox_address_are_served(sandbox: Sandbox, host: str) -> None:
    request = f"GET /_sandbox/stats HTTP/1.1\r\nHost: {host.format(port=sandbox.port)}\r\n\r\n"
    assert _raw(sandbox, request.encode(), expect_close=False).startswith(b"HTTP/1.1 200 OK\r\n")


def test_a_configured_host_name_is_served() -> None:
    with Sandbox(host="localhost") as named:
        request = f"GET /_sandbox/stats HTTP/1.1\r\nHost: localhost:{named.port}\r\n\r\n"
        with socket.create_connection(("localhost", named.port), timeout=10) as sock:
            sock.sendall(request.encode())
            assert sock.recv(100).startswith(b"HTTP/1.1 200 OK\r\n")


def test_header_section_over_the_limit_gets_431(sandbox: Sandbox) -> None:
    big = "X-Pad: " + "a" * (17 * 1024) + "\r\n"
    answer = _raw(sandbox, _get("/_sandbox/stats", big))
    assert answer.startswith(b"HTTP/1.1 431 ")


def test_oversized_body_sent_anyway_still_gets_413(sandbox: Sandbox) -> None:
    with httpx.Client(base_url=sandbox.url) as http:
        response = http.post(
            SENDMACHINE, content=b"x" * (1024 * 1024 + 1), auth=("sandbox", "sandbox")
        )
    assert response.status_code == 413
    assert sandbox.messages() == []


def test_body_of_exactly_the_limit_is_read(sandbox: Sandbox) -> None:
    with httpx.Client(base_url=sandbox.url) as http:
        response = http.post(SENDMACHINE, content=b" " * (1024 * 1024), auth=("sandbox", "sandbox"))
    assert response.status_code == 400
    assert response.json()["error_reason"] == "invalid_json"


def test_expect_continue_is_answered_before_the_body(sandbox: Sandbox) -> None:
    body = json.dumps(sm_body()).encode()
    head = (
        f"POST {SENDMACHINE} HTTP/1.1\r\nHost: 127.0.0.1:{sandbox.port}\r\nAuthorization: Basic c2FuZGJveDpzYW5kYm94\r\n"
        f"Expect: 100-continue\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=10) as sock:
        sock.sendall(head)
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 202 Accepted\r\n")


def test_body_arriving_in_pieces(sandbox: Sandbox) -> None:
    body = json.dumps(skycore_body()).encode()
    head = (
        f"POST {SKYCORE} HTTP/1.1\r\nHost: 127.0.0.1:{sandbox.port}\r\nx-api-key: sandbox\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=10) as sock:
        for piece in (head[:7], head[7:], body[:5], body[5:]):
            sock.sendall(piece)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b'"status":"Success"' in answer


# faults ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status"), [("status_429", 429), ("status_503", 503), ("status_529", 529)]
)
def test_status_faults_store_nothing_and_carry_retry_after(
    client: httpx.Client, sandbox: Sandbox, kind: str, status: int
) -> None:
    sandbox.add_fault(kind, retry_after=3)
    response = sendmachine(client, sm_body())
    assert response.status_code == status
    assert response.headers["retry-after"] == "3"
    assert sandbox.messages() == []
    assert sendmachine(client, sm_body()).status_code == 202
    assert len(sandbox.messages()) == 1


def test_status_fault_without_retry_after_has_no_header(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    sandbox.add_fault("status_503", path=SKYCORE)
    response = skycore(client)
    assert response.status_code == 503
    assert "retry-after" not in response.headers


def test_sendmachine_529_carries_its_documented_status(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    sandbox.add_fault("status_529")
    assert sendmachine(client, sm_body()).json() == {"status": "sendingspeed_exceeded"}


def test_fractional_retry_after(client: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.add_fault("status_429", retry_after=0.25)
    assert whatcounts(client).headers["retry-after"] == "0.25"


def test_500_after_store_keeps_the_message(client: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.add_fault(FaultKind.STATUS_500_AFTER_STORE, path="inwise")
    response = inwise(client, inwise_body())
    assert response.status_code == 500
    assert len(sandbox.messages()) == 1


def test_hang_stores_nothing_and_does_not_block_others(sandbox: Sandbox) -> None:
    sandbox.add_fault("hang", path=SKYCORE)
    timeout = httpx.Timeout(10.0, read=0.3)
    with httpx.Client(base_url=sandbox.url, timeout=timeout) as held:
        with pytest.raises(httpx.ReadTimeout):
            skycore(held)
        with httpx.Client(base_url=sandbox.url, timeout=10) as other:
            assert skycore(other).json()["status"] == "Success"
    [message] = sandbox.messages()
    assert sandbox.stats()["requests"] == {SKYCORE: 2}
    assert message["provider"] == "skycore"


def test_hang_after_store_keeps_the_message(sandbox: Sandbox) -> None:
    sandbox.add_fault("hang_after_store")
    timeout = httpx.Timeout(10.0, read=0.3)
    with (
        httpx.Client(base_url=sandbox.url, timeout=timeout) as held,
        pytest.raises(httpx.ReadTimeout),
    ):
        accepted_request(held, SKYCORE_XML)
    assert len(sandbox.messages()) == 1


def test_held_connections_end_when_the_sandbox_stops() -> None:
    sandbox = Sandbox()
    sandbox.start()
    sandbox.add_fault("hang")
    outcome: list[BaseException] = []

    def send() -> None:
        with httpx.Client(base_url=sandbox.url, timeout=30) as http:
            try:
                whatcounts(http)
            except httpx.HTTPError as problem:
                outcome.append(problem)

    thread = threading.Thread(target=send)
    thread.start()
    while sandbox.stats()["total"] == 0:
        threading.Event().wait(0.01)
    sandbox.stop()
    thread.join(30)
    assert not thread.is_alive()
    assert len(outcome) == 1
    assert isinstance(outcome[0], (httpx.RemoteProtocolError, httpx.ReadError))


def test_close_mid_response_keeps_the_message(client: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.add_fault("close_mid_response", path=SENDMACHINE)
    with pytest.raises(httpx.RemoteProtocolError):
        sendmachine(client, sm_body())
    assert len(sandbox.messages()) == 1
    assert sendmachine(client, sm_body()).status_code == 202


def test_close_mid_response_on_the_wire(sandbox: Sandbox) -> None:
    sandbox.add_fault("close_mid_response")
    answer = _raw(
        sandbox,
        _get(
            WHATCOUNTS
            + "?r=sandbox&p=sandbox&c=smssendmessagetophone&phone=1&sender_code=2&message_text=x"
        ),
    )
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"Content-Length: 48" in head
    assert body == b"SUCCESS: Sending message"


@pytest.mark.parametrize("path", [SKYCORE, SKYCORE_XML, SENDMACHINE, INWISE, WHATCOUNTS])
def test_malformed_body_keeps_the_message(
    client: httpx.Client, sandbox: Sandbox, path: str
) -> None:
    sandbox.add_fault("malformed_body", path=path)
    response = accepted_request(client, path)
    assert response.status_code == (202 if path == SENDMACHINE else 200)
    if path == SKYCORE_XML:
        with pytest.raises(ElementTree.ParseError):
            ElementTree.fromstring(response.content)
    elif path == WHATCOUNTS:
        text = response.content.decode("utf-8", errors="replace")
        assert not text.startswith(("SUCCESS:", "FAILURE:"))
    else:
        with pytest.raises(ValueError):
            json.loads(response.content)
    assert len(sandbox.messages()) == 1


def test_refuse_drops_the_connection_and_stores_nothing(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    sandbox.add_fault("refuse")
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        skycore(client)
    assert sandbox.messages() == []
    assert sandbox.stats()["requests"] == {SKYCORE: 1}
    assert skycore(client).json()["status"] == "Success"


def test_faults_are_consumed_in_order_and_by_path(client: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.add_fault("status_503", path="whatcounts", times=2)
    sandbox.add_fault("status_429")
    assert skycore(client).status_code == 429
    assert skycore(client).status_code == 200
    assert [whatcounts(client).status_code for _ in range(3)] == [503, 503, 200]


def test_faults_over_http(client: httpx.Client, sandbox: Sandbox) -> None:
    queued = client.post(
        "/_sandbox/faults",
        json={"path": SENDMACHINE, "fault": "status_529", "times": 2, "retry_after": 1},
    )
    assert queued.status_code == 201
    assert client.get("/_sandbox/faults").json() == [
        {"fault": "status_529", "path": SENDMACHINE, "retry_after": 1.0, "times": 2}
    ]
    assert sendmachine(client, sm_body()).status_code == 529
    assert client.delete("/_sandbox/faults").json() == {"cleared": 1}
    assert sendmachine(client, sm_body()).status_code == 202


@pytest.mark.parametrize(
    "body",
    [
        {"fault": "explode"},
        {"fault": "hang", "times": 0},
        {"fault": "hang", "path": "/typo"},
        {"fault": "hang", "retry_after": -1},
        {"fault": "hang", "colour": "red"},
        {"path": SKYCORE},
    ],
)
def test_bad_fault_requests_are_refused(client: httpx.Client, body: object) -> None:
    response = client.post("/_sandbox/faults", json=body)
    assert response.status_code == 400
    assert "error" in response.json()
    assert client.get("/_sandbox/faults").json() == []


def test_add_fault_rejects_unknown_kinds(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        sandbox.add_fault("explode")


def test_faults_do_not_touch_control_paths(client: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.add_fault("refuse")
    assert client.get("/_sandbox/messages").status_code == 200
    assert client.get("/_sandbox/stats").json()["total"] == 0
    assert len(client.get("/_sandbox/faults").json()) == 1


# lifecycle ------------------------------------------------------------------


def test_stop_is_idempotent_and_frees_the_port() -> None:
    sandbox = Sandbox()
    sandbox.start()
    port = sandbox.port
    sandbox.stop()
    sandbox.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/_sandbox/stats")


def test_start_fails_loudly_when_the_port_is_taken(sandbox: Sandbox) -> None:
    with pytest.raises(OSError):
        Sandbox(port=sandbox.port).start()


# module structure -------------------------------------------------------------


def test_no_sandbox_module_imports_its_own_package() -> None:
    """`sandbox/__init__` -> server -> dispatch -> `sandbox` was a cycle; submodules import submodules."""
    import ast

    package = Path(__file__).resolve().parents[2] / "smsspec" / "sandbox"
    offenders = []
    for source in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "smsspec.sandbox":
                offenders.append(f"{source.relative_to(package)}:{node.lineno}")
            if isinstance(node, ast.Import) and any(a.name == "smsspec.sandbox" for a in node.names):
                offenders.append(f"{source.relative_to(package)}:{node.lineno}")
    assert offenders == []


def test_the_package_loads_nothing_until_a_name_is_used() -> None:
    import subprocess
    import sys

    probe = (
        "import sys, smsspec.sandbox as s\n"
        "print(sorted(m for m in sys.modules if m.startswith('smsspec.sandbox.')))\n"
        "print(all(getattr(s, name) is not None for name in s.__all__))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[:2] == ["[]", "True"]


def test_provider_knowledge_stays_in_the_provider_modules() -> None:
    """A provider is data: outside sandbox/providers/, no provider id or provider setting name."""
    from smsspec.sandbox.providers import ENDPOINTS, setting_defaults

    root = Path(__file__).resolve().parents[2] / "smsspec"
    words = {e.provider for e in ENDPOINTS} | {"whatcounts", "sendmachine", "inwise", "skycore"}
    words |= set(setting_defaults()) | {"realm", "enforce_campaign_check", "campaign check"}
    files = list((root / "sandbox").glob("*.py"))  # session.py (was send/sandboxed.py) included
    found = {
        f"{path.relative_to(root)}: {word}"
        for path in files
        for word in words
        if word in path.read_text(encoding="utf-8").lower()
    }
    assert found == set()


def test_drip_writes_the_answer_a_byte_at_a_time_after_storing(sandbox: Sandbox) -> None:
    sandbox.add_fault("drip", path=WHATCOUNTS)
    query = "?r=sandbox&p=sandbox&c=smssendmessagetophone&phone=1&sender_code=2&message_text=x"
    request = _get(WHATCOUNTS + query).replace(HOST, f"127.0.0.1:{sandbox.port}".encode())
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=10) as sock:
        sock.sendall(request)
        first = sock.recv(65536)
        second = sock.recv(65536)
    assert (first, second) == (b"H", b"T")
    assert len(sandbox.messages()) == 1
