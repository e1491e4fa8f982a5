"""`send --sandbox` wires up delivery receipts itself: the run's sandbox posts them to an
in-process receiver that records into the sandbox ledger, and `status --sandbox` right after
shows delivered / failed exactly as the sandbox decided (issue 14)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.send_helpers import run_cli

RECEIVING = ("skycore", "skycore-xml", "inwise")
CONFIG = """\
version: 1
accounts:
  sky:
    provider: skycore
    endpoint: http://127.0.0.1:8765/skycore/v2/sendsms
    allow_insecure_http: true
    credentials: {api_key: "${SKY_KEY}"}
  skyxml:
    provider: skycore-xml
    endpoint: http://127.0.0.1:8765/skycore/v1/sendsms
    allow_insecure_http: true
    credentials: {api_key: "${SKY_KEY}"}
  wise:
    provider: inwise
    endpoint: http://127.0.0.1:8765/transactional/SMS/send
    allow_insecure_http: true
    credentials: {api_key: "${SKY_KEY}"}
  mach:
    provider: sendmachine
    endpoint: http://127.0.0.1:8765/sms/send
    allow_insecure_http: true
    credentials: {username: "${SKY_KEY}", api_key: "${SKY_KEY}"}
"""
NUMBERS = [f"+1201555{n:04d}" for n in range(8)]
SPEC = f"""\
version: 1
messages:
  - id: login-code
    account: sky
    from: "60856"
    text: "Your login code is 4321"
    to: {NUMBERS}
  - id: greeting
    account: skyxml
    from: "60856"
    text: "Hello from the XML API"
    to: {NUMBERS}
  - id: parcel
    account: wise
    text: "Your parcel is on its way"
    send_at: "2030-01-20T13:05:00+02:00"
    to: {[f"+97250234{n:04d}" for n in range(8)]}
  - id: promo
    account: mach
    type: transactional
    text: "No receipts for this one"
    to: ["+40712034567"]
"""


def project(folder: Path) -> list[str]:
    folder.mkdir()
    (folder / "smsspec.yaml").write_text(CONFIG, encoding="utf-8")
    (folder / "receipts.sms.yaml").write_text(SPEC, encoding="utf-8")
    return [str(folder / "receipts.sms.yaml"), "--config", str(folder / "smsspec.yaml")]


def send_then_status(folder: Path, receipts: str) -> tuple[list[dict[str, Any]], dict[str, Any], str]:
    args = project(folder)
    sent = run_cli(["send", *args, "--sandbox", "--sandbox-receipts", receipts, "--format", "json"], {"SKY_KEY": "x"})
    assert sent.code == 0, sent.stderr
    status = run_cli(["status", *args, "--sandbox", "--format", "json"])
    assert status.code in (0, 1), status.stderr
    return sent.json()["sandbox_inbox"], status.json(), sent.stderr


def by_recipient(status: dict[str, Any]) -> dict[tuple[str, str], tuple[str, str | None]]:
    return {(d["message"], d["number"]): (d["status"], d["code"]) for d in status["deliveries"]}


def test_status_shows_what_the_sandbox_decided_for_every_provider_with_receipts(tmp_path: Path) -> None:
    inbox, status, said = send_then_status(tmp_path / "p", "failed=0.5,seed=5,delay=0")

    assert "waiting for the sandbox's delivery receipts" in said and "giving up after 30 s without one" in said
    decided = {m["provider_id"]: m["delivery"] for m in inbox if m["delivery"]}
    shown = {d["provider_id"]: d for d in status["deliveries"] if d["provider"] in RECEIVING}
    assert len(decided) == len(shown) == 24
    for provider_id, delivery in decided.items():
        entry = shown[provider_id]
        assert entry["status"] == delivery["outcome"], (entry, delivery)
        if delivery["outcome"] == "failed" and entry["provider"] != "inwise":
            assert entry["code"] == delivery["code"]
    outcomes = {(d["provider"], d["status"]) for d in shown.values()}
    assert outcomes == {(p, s) for p in RECEIVING for s in ("delivered", "failed")}  # seed 5 fails some of each
    assert {d["status"] for d in status["deliveries"] if d["provider"] == "sendmachine"} == {"accepted"}
    failed = sum(1 for d in decided.values() if d["outcome"] == "failed")
    assert status["summary"]["failed"] == failed


def test_duplicated_and_reordered_receipts_change_nothing(tmp_path: Path) -> None:
    _, plain, _ = send_then_status(tmp_path / "plain", "failed=0.5,seed=5,delay=0")
    inbox, shuffled, _ = send_then_status(tmp_path / "shuffled", "failed=0.5,seed=5,delay=0,duplicated=1,reordered=1")

    assert all(m["delivery"]["duplicated"] and m["delivery"]["reordered"] for m in inbox if m["delivery"])
    assert by_recipient(shuffled) == by_recipient(plain)
    assert shuffled["summary"] == plain["summary"]


def test_lost_receipts_leave_deliveries_as_the_send_answer_left_them(tmp_path: Path) -> None:
    _, status, said = send_then_status(tmp_path / "p", "failed=0.5,seed=5,delay=0,lost=1")

    assert "waiting" not in said  # nothing to wait for
    assert len(status["deliveries"]) == 25
    assert {d["status"] for d in status["deliveries"]} <= {"accepted", "pending"}  # no receipt said more
