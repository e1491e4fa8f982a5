"""A send_at already past (issue 16), end to end against the sandbox: `send` sends it now by
default and says so, `--late skip` holds it back without an error, and a provider that
schedules natively (inwise) is never handed the past time. Now is fixed with SMSSPEC_TEST_NOW."""

from __future__ import annotations

from smsspec.sandbox import Sandbox
from tests.e2e.send_helpers import Project, run_cli

NOW = {"SMSSPEC_TEST_NOW": "2026-12-01T10:05:00Z"}
PAST = "2026-12-01T10:00:00Z"  # five minutes before now: a pipeline that ran late


def test_a_late_message_is_sent_now_and_the_report_says_so(project: Project, sandbox: Sandbox) -> None:
    spec = project.provider_spec("skycore", send_at=PAST)

    text = run_cli(["send", str(spec)], env=NOW)
    assert text.code == 0, text.stdout + text.stderr
    assert f"send_at {PAST} is past: sent now" in text.stdout
    assert len(sandbox.messages()) == 1

    planned = run_cli(["plan", str(project.provider_spec("skycore", "again", send_at=PAST))], env=NOW)
    assert f"note: message 'again' (skycore-acct): send_at {PAST} is past: sent now" in planned.stdout


def test_late_skip_sends_nothing_and_exits_0(project: Project, sandbox: Sandbox) -> None:
    spec = project.provider_spec("skycore", send_at=PAST)

    result = run_cli(["send", str(spec), "--late", "skip", "--format", "json"], env=NOW)

    assert result.code == 0, result.stdout + result.stderr
    assert sandbox.messages() == []
    report = result.json()
    assert {s["reason"] for s in report["skipped"]} == {"late"}
    assert [m["note"] for m in report["late"]] == [f"send_at {PAST} is past: skipped, late"]
    text = run_cli(["send", str(spec), "--late", "skip"], env=NOW)
    assert "skipped, late" in text.stdout and text.code == 0


def test_inwise_is_not_handed_a_past_send_at(project: Project, sandbox: Sandbox) -> None:
    spec = project.provider_spec("inwise", send_at=PAST)

    result = run_cli(["send", str(spec), "--format", "json"], env=NOW)

    assert result.code == 0, result.stdout + result.stderr
    arrived = sandbox.messages()
    assert len(arrived) == 2
    assert all("send_at" not in dict(m.get("details") or {}) for m in arrived)  # type: ignore[call-overload]
    assert [m["note"] for m in result.json()["late"]] == [f"send_at {PAST} is past: sent now"]


def test_inwise_still_gets_a_send_at_ahead(project: Project, sandbox: Sandbox) -> None:
    spec = project.provider_spec("inwise", send_at="2026-12-01T12:00:00Z")

    result = run_cli(["send", str(spec), "--format", "json"], env=NOW)

    assert result.code == 0, result.stdout + result.stderr
    assert all("send_at" in dict(m.get("details") or {}) for m in sandbox.messages())  # type: ignore[call-overload]
    assert result.json()["late"] == []
