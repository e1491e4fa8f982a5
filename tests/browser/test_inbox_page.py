"""The inbox page in a real headless Chromium: send through the sandbox, open the page, look."""

from __future__ import annotations

import json
import struct
import subprocess
from pathlib import Path

import httpx

from smsspec.sandbox import Sandbox
from smsspec.sms.encoding import split_segments
from tests.browser.conftest import HOSTILE, send_specs
from tests.browser.devtools import DEADLINE, Browser, chromium_command
from tests.browser.dom import Element, parse

RECEIPT = (
    "Your receipt: order 1234 was paid. Thank you for shopping with us. We will send another "
    "message when your parcel leaves the warehouse, and one more when it is out for delivery."
)
PARTY = (
    "Party on Friday 🎉 — bring snacks, bring friends, and bring your best dance moves; "
    "the office closes at 4pm so everyone can come!"
)


def dump_dom(chromium: str, url: str, profile: Path) -> Element:
    done = subprocess.run(
        chromium_command(chromium, profile, "--dump-dom", url),
        capture_output=True, text=True, timeout=DEADLINE * 4, check=True,
    )
    return parse(done.stdout)


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def threads(document: Element) -> dict[str, Element]:
    return {t.attrs["data-recipient"]: t for t in document.all("thread", "section")}


def shown(message: Element) -> dict[str, object]:
    return {
        "sender": message.one("sender").text,
        "parts": [p.text for p in message.all("segment-text")],
        "segment labels": [p.text for p in message.all("segment-no")],
        "encoding": message.one("encoding").text,
        "segments": message.one("segments").text,
        "request": " ".join(message.one(tag="summary").text.split()),
    }


def sent_to(thread: Element, path: str) -> Element:
    """The message in ``thread`` that came from a request to ``path`` (sends run concurrently)."""
    found = [m for m in thread.all("message", "li") if str(shown(m)["request"]).endswith(" " + path)]
    assert len(found) == 1
    return found[0]


def test_the_page_shows_each_message_as_a_phone_would(chromium: str, sandbox: Sandbox, tmp_path: Path, artifacts: Path) -> None:
    sent = send_specs(sandbox, tmp_path)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert len(sandbox.messages()) == 7

    document = dump_dom(chromium, sandbox.url + "/", tmp_path / "profile-dom")

    conversations = threads(document)
    # One conversation per phone, whatever form the provider carried the number in
    # (Skycore XML sends 12015550123, inwise 972-50-2345678, WhatCounts 12065551212).
    assert set(conversations) == {"+447400123456", "+12015550123", "+40712034567", "+972502345678", "+12065551212"}
    counts = {number: len(t.all("message", "li")) for number, t in conversations.items()}
    assert counts == {"+447400123456": 2, "+12015550123": 2, "+40712034567": 1, "+972502345678": 1, "+12065551212": 1}
    assert "7 messages · 5 conversations" in document.one(tag="div", class_name="counts").text

    ann = [shown(sent_to(conversations["+447400123456"], path)) for path in ("/skycore/v2/sendsms", "/sms/send")]
    assert ann[0] == {
        "sender": "60856",
        "parts": ["Hi Ann, welcome to Dunder Mifflin! Reply STOP to opt out."],
        "segment labels": [],
        "encoding": "GSM-7",
        "segments": "1 segment",
        "request": "POST /skycore/v2/sendsms",
    }
    assert ann[1]["parts"] == split_segments(PARTY) and len(ann[1]["parts"]) == 2
    assert ann[1]["segment labels"] == ["segment 1/2", "segment 2/2"]
    assert (ann[1]["encoding"], ann[1]["segments"], ann[1]["request"]) == ("UCS-2", "2 segments", "POST /sms/send")
    assert ann[1]["sender"] == "no sender in the request"

    receipt = sent_to(conversations["+12015550123"], "/skycore/v1/sendsms")
    assert shown(receipt)["parts"] == split_segments(RECEIPT)
    assert shown(receipt)["segments"] == "2 segments"
    assert "sent as 12015550123" in receipt.text
    body = receipt.one("body", "pre").text
    assert body.startswith("xml = <REQUEST>")  # the form variable `xml`, shown decoded
    assert "<API_KEY>***</API_KEY>" in body and "<API_KEY>sandbox" not in body

    # Request headers are listed with credentials masked.
    first = sent_to(conversations["+447400123456"], "/skycore/v2/sendsms")
    headers = dict(zip([d.text for d in first.all(tag="dt")], [d.text for d in first.all(tag="dd")], strict=True))
    assert headers["x-api-key"] == "***"
    assert json.loads(first.one("body", "pre").text)["message-text"].startswith("Hi Ann")

    # The hostile name is shown as text: no element came out of it and no script ran.
    hostile = sent_to(conversations["+12015550123"], "/skycore/v2/sendsms")
    assert shown(hostile)["parts"] == [f"Hi {HOSTILE}, welcome to Dunder Mifflin! Reply STOP to opt out."]
    assert document.all(tag="img") == []
    assert len(document.all(tag="script")) == 1  # the page's own
    assert document.one(tag="title").text == "smsspec sandbox inbox"

    # A picture for people: the same page as a browser window shows it.
    screenshot = artifacts / "inbox.png"
    screenshot.unlink(missing_ok=True)
    subprocess.run(
        chromium_command(chromium, tmp_path / "profile-shot", f"--screenshot={screenshot}", "--window-size=1200,900", sandbox.url + "/"),
        capture_output=True, timeout=DEADLINE * 4, check=True,
    )
    assert png_size(screenshot) == (1200, 900)


SHOWN = """
[...document.querySelectorAll("section.thread")].map((t) => ({
  recipient: t.dataset.recipient,
  texts: [...t.querySelectorAll("li.message")].map((m) =>
    [...m.querySelectorAll(".segment-text")].map((s) => s.textContent).join("")),
}))
"""


def skycore(client: httpx.Client, to: str, text: str) -> None:
    answer = client.post(
        "/skycore/v2/sendsms",
        json={"action": "sendsms", "to": to, "from": "60856", "message-text": text},
        headers={"x-api-key": "sandbox"},
    )
    assert answer.status_code == 200, answer.text


def test_the_page_updates_as_messages_arrive(chromium: str, sandbox: Sandbox, tmp_path: Path, artifacts: Path) -> None:
    with httpx.Client(base_url=sandbox.url, timeout=DEADLINE) as client, Browser(chromium, sandbox.url + "/", tmp_path / "profile") as page:
        page.wait_for("document.querySelector('.empty') && document.querySelector('.empty').textContent", "its empty state")

        skycore(client, "+447400123456", "First message")
        page.wait_for("document.querySelectorAll('li.message').length === 1", "the first message")

        skycore(client, "+447400123456", "Second message, same phone")
        skycore(client, "+33612345678", HOSTILE)
        page.wait_for("document.querySelectorAll('li.message').length === 3", "the new messages")

        by_number = {t["recipient"]: t["texts"] for t in page.evaluate(SHOWN)}
        assert by_number == {
            "+447400123456": ["First message", "Second message, same phone"],
            "+33612345678": [HOSTILE],
        }
        # The most recently active conversation comes first.
        assert page.evaluate("document.querySelector('section.thread').dataset.recipient") == "+33612345678"
        assert page.evaluate("document.title") == "smsspec sandbox inbox"
        assert page.evaluate("document.querySelectorAll('img').length") == 0
        assert page.evaluate("document.getElementById('counts').textContent") == "3 messages · 2 conversations"
        assert page.evaluate("document.getElementById('status-text').textContent") == "live"

        page.evaluate("document.getElementById('show-requests').click()")
        assert page.evaluate("[...document.querySelectorAll('details.request')].every((d) => d.open)")
        page.screenshot(artifacts / "inbox-live.png")
        assert png_size(artifacts / "inbox-live.png") == (1200, 900)

        # Clearing the sandbox clears the page.
        assert client.delete("/_sandbox/messages").json() == {"cleared": 3}
        page.wait_for("document.querySelectorAll('li.message').length === 0 && !!document.querySelector('.empty')", "an empty inbox again")
