"""The inbox page over plain HTTP: what it is served with, and the feed it polls."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator

import httpx
import pytest

from smsspec.sandbox import Sandbox
from smsspec.sandbox.web import BODY_LIMIT, FEED_LIMIT, conversation_of, feed
from smsspec.sms.encoding import split_segments
from tests.browser.conftest import HOSTILE


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, timeout=10) as http:
        yield http


def send(client: httpx.Client, text: str = "Hello", to: str = "+447400123456") -> None:
    answer = client.post(
        "/skycore/v2/sendsms",
        json={"action": "sendsms", "to": to, "from": "60856", "message-text": text},
        headers={"x-api-key": "sandbox"},
    )
    assert answer.status_code == 200, answer.text


def sha256(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


def embedded(page: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="inbox-data">(.*?)</script>', page, re.DOTALL)
    assert found is not None
    data: dict[str, object] = json.loads(found.group(1))
    return data


def test_the_page_is_html_with_the_inbox_written_in(client: httpx.Client) -> None:
    send(client, "Hi there")
    answer = client.get("/")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    data = embedded(answer.text)
    assert [m["text"] for m in data["messages"]] == ["Hi there"]  # type: ignore[index]
    assert data["reset"] is True and data["total"] == 1


def test_the_page_allows_only_its_own_script_and_style(client: httpx.Client) -> None:
    page = client.get("/")
    policy = page.headers["content-security-policy"]
    script = re.search(r"<script>(.*?)</script>", page.text, re.DOTALL)
    style = re.search(r"<style>(.*?)</style>", page.text, re.DOTALL)
    assert script and style
    assert f"script-src {sha256(script.group(1))};" in policy
    assert f"style-src {sha256(style.group(1))};" in policy
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy
    assert "unsafe-inline" not in policy and "http" not in policy
    assert page.headers["x-content-type-options"] == "nosniff"


def test_untrusted_text_cannot_close_the_data_element(client: httpx.Client) -> None:
    send(client, HOSTILE + " <!-- & -->")
    page = client.get("/").text
    assert HOSTILE not in page and "<!--" not in page
    assert embedded(page)["messages"][0]["text"] == HOSTILE + " <!-- & -->"  # type: ignore[index]


def test_the_feed_gives_what_is_new_since_the_last_message_seen(client: httpx.Client) -> None:
    send(client, "one")
    first = client.get("/_sandbox/inbox").json()
    assert (first["reset"], [m["text"] for m in first["messages"]]) == (True, ["one"])
    nothing_new = client.get("/_sandbox/inbox", params={"after": first["last"]}).json()
    assert isinstance(nothing_new.pop("now"), str)  # the sandbox clock, for the delivery states
    assert nothing_new == {"messages": [], "last": first["last"], "reset": False, "total": 1}
    send(client, "two")
    send(client, "three")
    later = client.get("/_sandbox/inbox", params={"after": first["last"]}).json()
    assert (later["reset"], [m["text"] for m in later["messages"]], later["total"]) == (False, ["two", "three"], 3)
    assert later["last"] == later["messages"][-1]["id"]


def test_the_feed_starts_over_when_the_store_was_cleared(client: httpx.Client) -> None:
    send(client, "before")
    seen = client.get("/_sandbox/inbox").json()["last"]
    client.delete("/_sandbox/messages")
    cleared = client.get("/_sandbox/inbox", params={"after": seen}).json()
    del cleared["now"]
    assert cleared == {"messages": [], "last": None, "reset": True, "total": 0}
    send(client, "after")
    again = client.get("/_sandbox/inbox", params={"after": seen}).json()
    assert (again["reset"], [m["text"] for m in again["messages"]]) == (True, ["after"])


def test_each_message_carries_its_segments_and_conversation(client: httpx.Client) -> None:
    text = "Ünïcödé 🎉 " * 14  # 154 UTF-16 units
    send(client, text, to="+12015550123")
    message = client.get("/_sandbox/inbox").json()["messages"][0]
    assert message["parts"] == split_segments(text)
    assert len(message["parts"]) == message["segments"] == 3
    assert message["conversation"] == "+12015550123"
    assert message["request"]["headers"]["x-api-key"] == "***"


def test_page_requests_are_not_counted_as_provider_traffic(client: httpx.Client) -> None:
    client.get("/")
    client.get("/_sandbox/inbox")
    assert client.get("/favicon.ico").status_code == 204
    assert client.get("/_sandbox/stats").json()["total"] == 0


def test_only_get_is_allowed(client: httpx.Client) -> None:
    for path in ("/", "/_sandbox/inbox"):
        answer = client.post(path, content=b"x")
        assert answer.status_code == 405 and answer.headers["allow"] == "GET"


def test_the_feed_is_bounded() -> None:
    records = [{"id": str(i), "text": "x", "recipient": "+447400123456"} for i in range(FEED_LIMIT + 10)]
    everything = feed(records, None)
    assert len(everything["messages"]) == FEED_LIMIT  # type: ignore[arg-type]
    assert everything["messages"][0]["id"] == "10"  # type: ignore[index]
    behind = feed(records, "0")
    assert behind["reset"] is True and len(behind["messages"]) == FEED_LIMIT  # type: ignore[arg-type]
    long_body = {"id": "b", "text": "x", "recipient": "1", "request": {"body": "y" * (BODY_LIMIT + 5)}}
    cut = feed([long_body], None)["messages"][0]["request"]["body"]  # type: ignore[index]
    assert cut.startswith("y" * BODY_LIMIT) and cut.endswith("(5 more characters)")


@pytest.mark.parametrize(
    ("carried", "conversation"),
    [
        ("+447400123456", "+447400123456"),
        ("972-50-2345678", "+972502345678"),
        ("12015550123", "+12015550123"),
        ("0044 7400 123456", "+447400123456"),
        ("(201) 555-0123", "(201) 555-0123"),  # national: kept as written
        ("0501234567", "0501234567"),
        ("SHORTCODE", "SHORTCODE"),
    ],
)
def test_a_conversation_is_kept_under_one_number(carried: str, conversation: str) -> None:
    assert conversation_of(carried) == conversation
