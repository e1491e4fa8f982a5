"""The inbox page shows each message's delivery: pending until the sandbox's receipt is due,
then delivered or failed with the provider's code, as the sandbox decided (issue 14)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

from smsspec.sandbox import Sandbox
from smsspec.sandbox.receipts import ReceiptSettings
from tests.browser.devtools import DEADLINE, Browser

STATES = """
Object.fromEntries([...document.querySelectorAll("li.message")].map((m) => [
  m.dataset.id, m.querySelector(".chip.delivery").textContent]))
"""


def expected(record: dict[str, object]) -> str:
    delivery = record["delivery"]
    if not isinstance(delivery, dict):
        return "no delivery receipts"
    if delivery["outcome"] == "failed":
        return f"failed {delivery['code']} {delivery['reason']}"
    return "delivered"


def test_the_page_shows_pending_then_the_decided_outcome(chromium: str, tmp_path: Path) -> None:
    now = [datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)]
    receipts = ReceiptSettings(delay=60, failed=0.5, seed=4)
    numbers = [f"+1201555{n:04d}" for n in range(8)]
    with Sandbox(clock=lambda: now[0], receipts=receipts) as sandbox, httpx.Client(
        base_url=sandbox.url, timeout=DEADLINE, headers={"x-api-key": "sandbox"}
    ) as client, Browser(chromium, sandbox.url + "/", tmp_path / "profile") as page:
        for number in numbers:
            answer = client.post(
                "/skycore/v2/sendsms",
                json={"action": "sendsms", "to": number, "from": "60856", "message-text": "Your code is 1234"},
            )
            assert answer.json()["status"] == "Success"
        answer = client.post(
            "/sms/send",
            json={"message": "No receipts here", "personalization": [{"to": ["+40712034567"]}]},
            auth=("sandbox", "sandbox"),
        )
        assert answer.status_code == 202
        page.wait_for("document.querySelectorAll('li.message').length === 9", "the nine messages")

        records = {str(m["id"]): m for m in sandbox.messages()}
        outcomes = [m["delivery"]["outcome"] for m in records.values() if isinstance(m["delivery"], dict)]
        assert sorted(set(outcomes)) == ["delivered", "failed"]  # seed 4 fails some, not all
        before = page.evaluate(STATES)
        assert before == {
            key: "pending" if isinstance(m["delivery"], dict) else "no delivery receipts"
            for key, m in records.items()
        }

        now[0] += timedelta(seconds=61)  # the receipts are due: the next poll shows the outcomes
        page.wait_for("![...document.querySelectorAll('.chip.delivery')].some((c) => c.textContent === 'pending')", "the outcomes")
        assert page.evaluate(STATES) == {key: expected(m) for key, m in records.items()}
        assert "failed E202 Rejected" in page.evaluate(STATES).values()
