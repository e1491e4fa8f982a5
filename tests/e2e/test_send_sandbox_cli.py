"""`smsspec sandbox`, `sandbox inbox` and `send --sandbox`: the whole path with no provider account."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from smsspec.sandbox import Sandbox
from tests.e2e.send_helpers import (
    closed_port,
    ctrl_c_as_in_a_terminal,
    run_cli,
    subprocess_env,
    wait_for,
)
from tests.recording_receiver import Receiver

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def copy_examples(tmp_path: Path) -> list[str]:
    """The runnable examples (not the deliberately invalid ones), with what they read."""
    shutil.copytree(EXAMPLES, tmp_path, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".smsspec", "invalid"))
    return sorted(str(p) for p in tmp_path.glob("*.sms.yaml"))


def test_send_examples_to_a_sandbox_started_for_the_run(tmp_path: Path) -> None:
    specs = copy_examples(tmp_path)

    first = run_cli(["send", *specs, "--sandbox"])

    assert first.code == 0, first.stdout + first.stderr
    assert "rejected  0" in first.stdout and "unknown   0" in first.stdout
    assert "sandbox inbox" in first.stdout
    assert "Thanks!" in first.stdout  # the WhatCounts example, as the sandbox stored it
    assert (tmp_path / ".smsspec" / "sandbox-ledger.db").exists()
    assert not (tmp_path / ".smsspec" / "ledger.db").exists()

    again = run_cli(["send", *specs, "--sandbox", "--format", "json"])

    assert again.code == 0
    data = again.json()
    assert data["requests"] == [] and data["sandbox_inbox"] == []
    assert {row["reason"] for row in data["skipped"]} == {"already-accepted"}
    shown = run_cli(["ledger", "show", "--sandbox", "--config", str(tmp_path / "smsspec.yaml")])
    assert "greetings-from-marc" in shown.stdout


def _foreground_sandbox(port: int, *options: str) -> subprocess.Popen[str]:
    """`smsspec sandbox` in the foreground, stopped by the test with Ctrl-C (SIGINT)."""
    return subprocess.Popen(
        [sys.executable, "-m", "smsspec", "sandbox", "--port", str(port), *options],
        env=subprocess_env(),
        preexec_fn=ctrl_c_as_in_a_terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sandbox_serves_in_the_foreground_until_interrupted(tmp_path: Path) -> None:
    port = closed_port()
    store = tmp_path / "inbox.jsonl"
    server = _foreground_sandbox(port, "--store", str(store))
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(url), "the sandbox to listen")
        response = httpx.get(
            f"{url}/api_web",
            params={"r": "sandbox", "p": "sandbox", "c": "smssendmessagetophone",
                    "phone": "12065551212", "sender_code": "1201", "message_text": "Hi"},
        )
        assert response.text.startswith("SUCCESS")
        inbox = run_cli(["sandbox", "inbox", "--url", url])
        as_json = run_cli(["sandbox", "inbox", "--url", url, "--format", "json"])
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=20)
    assert server.returncode == 0, err
    assert f"listening on {url}" in out
    assert f"{url}/skycore/v2/sendsms" in out and f"{url}/api_web" in out
    assert "'sandbox'" in out  # the credentials it accepts
    assert inbox.code == 0 and "12065551212" in inbox.stdout
    assert as_json.json()[0]["text"] == "Hi"
    assert store.read_text().count("\n") == 1


def test_sandbox_inbox_without_a_sandbox_is_a_clear_error() -> None:
    out = run_cli(["sandbox", "inbox", "--url", f"http://127.0.0.1:{closed_port()}"])

    assert out.code == 2
    assert "no sandbox answers at" in out.stderr


def test_sandbox_inbox_lists_what_a_sandbox_holds() -> None:
    with Sandbox() as sandbox:
        empty = run_cli(["sandbox", "inbox", "--url", sandbox.url])
    assert (empty.code, empty.stdout.strip()) == (0, "No messages.")


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/_sandbox/stats", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_sandbox_account_settings_come_from_the_command_line() -> None:
    port = closed_port()
    server = _foreground_sandbox(port, "--setting", "enforce_campaign_check=true", "--setting", "realm=acme")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(url), "the sandbox to listen")
        skycore = httpx.post(
            f"{url}/skycore/v2/sendsms",
            headers={"x-api-key": "sandbox"},
            json={"action": "sendsms", "message-text": "Hi", "to": "+15551234888", "from": "60856"},
        )
        whatcounts = httpx.get(
            f"{url}/api_web",
            params={"r": "acme", "p": "sandbox", "c": "smssendmessagetophone",
                    "phone": "12065551212", "sender_code": "1201", "message_text": "Hi"},
        )
    finally:
        server.send_signal(signal.SIGINT)
        out, _ = server.communicate(timeout=20)
    assert skycore.json()["error-code"] == "E714"
    assert whatcounts.text.startswith("SUCCESS")
    assert "account setting enforce_campaign_check = true (skycore, skycore-xml)" in out
    assert "account setting realm = 'acme' (whatcounts)" in out


def test_an_unknown_sandbox_setting_is_a_usage_error() -> None:
    out = run_cli(["sandbox", "--setting", "enforce_campaign_chek=true"])
    assert out.code == 2
    assert "NAME one of: enforce_campaign_check, realm" in out.stderr


def test_sandbox_posts_receipts_to_the_url_it_was_given() -> None:
    receiver = Receiver()
    port = closed_port()
    token = "receipt-token-0123456789"
    server = _foreground_sandbox(
        port, "--receipts-url", f"{receiver.url}/receipts/sky/{token}", "--receipts", "delay=0,failed=1,seed=3"
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(url), "the sandbox to listen")
        answer = httpx.post(
            f"{url}/skycore/v2/sendsms",
            headers={"x-api-key": "sandbox"},
            json={"action": "sendsms", "message-text": "Hi", "to": "+15551234888", "from": "60856"},
        )
        wait_for(lambda: len(receiver.bodies(f"/receipts/sky/{token}")) == 2, "the two postbacks")
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=20)
        receiver.stop()
    assert server.returncode == 0, err
    codes = [json.loads(body)["code"] for body in receiver.bodies(f"/receipts/sky/{token}")]
    assert codes == ["N201", "E202"]
    assert json.loads(receiver.bodies(f"/receipts/sky/{token}")[1])["tracking-id"] == answer.json()["tracking-id"]
    assert "delivery receipts: posted 0 s after a message is accepted; failed 100%" in out
    assert f"{receiver.url}/receipts/sky/***" in out and token not in out + err


def test_bad_receipt_options_are_usage_errors() -> None:
    for options in (["--receipts-url", "ftp://x/y"], ["--receipts", "failed=1.5"], ["--receipts", "colour=red"]):
        out = run_cli(["sandbox", *options])
        assert out.code == 2, options
        assert out.stderr.startswith("smsspec: --receipts-url/--receipts: ")


def test_send_sandbox_receipts_options_reach_the_sandbox(tmp_path: Path) -> None:
    specs = copy_examples(tmp_path)

    wrong = run_cli(["send", *specs, "--sandbox-receipts", "failed=1"])
    assert (wrong.code, wrong.stderr.strip()) == (2, "smsspec: --sandbox-receipts goes with --sandbox")
    bad = run_cli(["send", *specs, "--sandbox", "--sandbox-receipts", "failed=3"])
    assert bad.code == 2 and "--sandbox-receipts: the failed share must be between 0 and 1" in bad.stderr

    sent = run_cli(["send", *specs, "--sandbox", "--sandbox-receipts", "failed=1,delay=0", "--format", "json"])
    assert sent.code == 0, sent.stderr
    inbox = sent.json()["sandbox_inbox"]
    decided = {m["provider"]: m["delivery"] and m["delivery"]["outcome"] for m in inbox}
    assert decided["skycore"] == "failed" and decided["whatcounts"] is None
