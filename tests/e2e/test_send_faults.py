"""Every way a provider can fail: what it stored, what the ledger says, what a re-run does.

Nothing may be stored twice by the sender's own choice, and nothing may go
missing from the record.
"""

from __future__ import annotations

from typing import Any

import pytest

from smsspec.sandbox import Sandbox
from smsspec.send.ledger import DeliveryStatus, Ledger
from tests.e2e.send_helpers import Project, account_name, closed_port, received, run_cli

FAST = ["--format", "json", "--read-timeout", "0.5", "--connect-timeout", "0.5"]
# For faults the sandbox answers at once (a reset, a cut, a broken body): timeouts long enough
# that a busy machine never turns them into a read timeout before the sandbox has read the request.
PATIENT = ["--format", "json", "--read-timeout", "20", "--connect-timeout", "10"]


def states(project: Project) -> dict[str, Any]:
    return {s.key.recipient: s for s in Ledger.read(project.ledger).states()}


@pytest.mark.parametrize(
    ("provider", "fault"),
    [("skycore", "status_429"), ("skycore", "status_503"), ("sendmachine", "status_529")],
)
def test_a_throttle_with_retry_after_is_retried_and_stored_once(
    project: Project, sandbox: Sandbox, provider: str, fault: str
) -> None:
    spec = project.provider_spec(provider)
    sandbox.add_fault(fault, provider, times=2, retry_after=0.1)

    out = run_cli(["send", str(spec), *FAST])

    assert out.code == 0, out.stdout + out.stderr
    [row] = out.json()["requests"]
    assert (row["status"], row["attempts"], row["http_status"]) == ("accepted", 3, row["http_status"])
    assert received(sandbox, provider) == 3
    assert len(sandbox.messages()) == len(row["recipients"])
    assert {s.status for s in states(project).values()} == {DeliveryStatus.ACCEPTED}


def test_throttling_that_outlasts_the_attempts_is_recorded_as_not_sent(project: Project, sandbox: Sandbox) -> None:
    spec = project.provider_spec("skycore")
    sandbox.add_fault("status_503", "skycore", times=3, retry_after=0.05)

    out = run_cli(["send", str(spec), *FAST, "--max-attempts", "3"])

    assert out.code == 1
    [row] = out.json()["requests"]
    assert (row["status"], row["error_code"], row["attempts"]) == ("rejected", "not-sent", 3)
    assert "HTTP 503" in row["error_text"]
    assert received(sandbox, "skycore") == 3
    assert sandbox.messages() == []
    [state] = states(project).values()
    assert (state.status, state.definitive) == (DeliveryStatus.REJECTED, False)


def test_the_ledger_says_the_attempts_a_request_gave_up_after_once(project: Project, sandbox: Sandbox) -> None:
    spec = project.provider_spec("skycore")
    sandbox.add_fault("status_503", "skycore", times=2, retry_after=0.05)
    assert run_cli(["send", str(spec), *FAST, "--max-attempts", "2"]).code == 1

    shown = run_cli(["ledger", "show", "--ledger", str(project.ledger)])

    [line] = [line for line in shown.stdout.splitlines() if "HTTP 503" in line]
    assert line.count("attempts") == 1 and "gave up after 2 attempts" in line, line


def test_a_retry_after_beyond_the_cap_stops_at_once(project: Project, sandbox: Sandbox) -> None:
    spec = project.provider_spec("skycore")
    sandbox.add_fault("status_429", "skycore", retry_after=3600)

    out = run_cli(["send", str(spec), *FAST])

    assert out.code == 1
    [row] = out.json()["requests"]
    assert (row["status"], row["error_code"], row["attempts"]) == ("rejected", "not-sent", 1)
    assert "3600" in row["error_text"]


def test_a_status_the_provider_does_not_document_as_throttling_is_unknown(project: Project, sandbox: Sandbox) -> None:
    spec = project.provider_spec("skycore")  # Skycore does not list 529
    sandbox.add_fault("status_529", "skycore", retry_after=0.1)

    out = run_cli(["send", str(spec), *FAST])

    assert out.code == 1
    [row] = out.json()["requests"]
    assert (row["status"], row["attempts"], row["http_status"]) == ("unknown", 1, 529)
    assert received(sandbox, "skycore") == 1


def test_a_500_after_storing_is_unknown_never_retried_and_resent_only_on_request(
    project: Project, sandbox: Sandbox
) -> None:
    spec = project.provider_spec("skycore")
    sandbox.add_fault("status_500_after_store", "skycore")

    first = run_cli(["send", str(spec), *FAST])

    assert first.code == 1
    [row] = first.json()["requests"]
    assert (row["status"], row["attempts"], row["http_status"]) == ("unknown", 1, 500)
    assert received(sandbox, "skycore") == 1
    assert len(sandbox.messages()) == 1
    [state] = states(project).values()
    assert state.status is DeliveryStatus.UNKNOWN

    again = run_cli(["send", str(spec)])

    assert again.code == 1
    assert received(sandbox, "skycore") == 1
    assert "skipped, unknown from an earlier run:" in again.stdout
    assert "+447400123456" in again.stdout
    assert "--retry-unknown" in again.stdout

    forced = run_cli(["send", str(spec), "--retry-unknown"])

    assert forced.code == 0, forced.stdout
    assert received(sandbox, "skycore") == 2
    [state] = states(project).values()
    assert state.status is DeliveryStatus.ACCEPTED


@pytest.mark.parametrize(("fault", "stores"), [("hang", False), ("hang_after_store", True)])
def test_no_answer_within_the_read_timeout_is_unknown(
    project: Project, sandbox: Sandbox, fault: str, stores: bool
) -> None:
    spec = project.provider_spec("whatcounts")
    sandbox.add_fault(fault, "whatcounts")

    out = run_cli(["send", str(spec), *FAST])

    assert out.code == 1
    [row] = out.json()["requests"]
    assert (row["status"], row["attempts"]) == ("unknown", 1)
    assert "read timeout" in row["error_text"]
    assert received(sandbox, "whatcounts") == 1
    assert len(sandbox.messages()) == (1 if stores else 0)
    [state] = states(project).values()
    assert state.status is DeliveryStatus.UNKNOWN


@pytest.mark.parametrize("provider", ["skycore", "skycore-xml", "sendmachine", "inwise", "whatcounts"])
@pytest.mark.parametrize("fault", ["close_mid_response", "malformed_body", "refuse"])
def test_a_broken_answer_is_unknown_and_not_retried(
    project: Project, sandbox: Sandbox, provider: str, fault: str
) -> None:
    spec = project.provider_spec(provider)
    sandbox.add_fault(fault, provider)

    out = run_cli(["send", str(spec), *PATIENT])

    assert out.code == 1, out.stdout
    [row] = out.json()["requests"]
    assert (row["status"], row["attempts"]) == ("unknown", 1)
    assert row["error_text"]
    assert received(sandbox, provider) == 1
    stored = len(sandbox.messages())
    assert stored == (0 if fault == "refuse" else len(row["recipients"]))
    assert {s.status for s in states(project).values()} == {DeliveryStatus.UNKNOWN}
    assert run_cli(["send", str(spec)]).code == 1
    assert received(sandbox, provider) == 1


def test_a_refused_connection_is_retried_then_recorded_as_not_sent(project: Project, sandbox: Sandbox) -> None:
    project.endpoints[account_name("skycore")] = f"http://127.0.0.1:{closed_port()}/skycore/v2/sendsms"
    project.write_config()
    spec = project.provider_spec("skycore")

    out = run_cli(["send", str(spec), *FAST, "--max-attempts", "2"])

    assert out.code == 1
    [row] = out.json()["requests"]
    assert (row["status"], row["error_code"], row["attempts"]) == ("rejected", "not-sent", 2)
    assert "could not connect" in row["error_text"]
    [state] = states(project).values()
    assert (state.status, state.definitive, state.error_code) == (DeliveryStatus.REJECTED, False, "not-sent")
    text = run_cli(["send", str(spec), "--max-attempts", "1"])  # not-sent: the next run tries again (issue 15)
    assert text.code == 1
    assert "skipped, rejected in an earlier run:" not in text.stdout
    assert "The next run sends these again" in text.stdout and "--retry-rejected" not in text.stdout


def test_a_wrong_key_is_rejected(project: Project, sandbox: Sandbox) -> None:
    spec = project.provider_spec("skycore")

    out = run_cli(["send", str(spec), *FAST], env={"T_API_KEY": "not-the-key"})

    assert out.code == 1
    [row] = out.json()["requests"]
    assert (row["status"], row["http_status"], row["error_code"]) == ("rejected", 401, "E104")
    assert sandbox.messages() == []


def test_a_failure_inside_a_200_answer_is_a_rejection_with_the_providers_code(
    project: Project, sandbox: Sandbox
) -> None:
    project.rules["SKYCORE-FROM"] = "off"  # let a sender through that Skycore refuses
    project.write_config()
    spec = project.provider_spec("skycore", **{"from": "12"})

    out = run_cli(["send", str(spec), *FAST])

    assert out.code == 1
    [row] = out.json()["requests"]
    assert (row["status"], row["http_status"]) == ("rejected", 200)
    assert (row["error_code"], row["error_text"]) == ("E111", "Invalid Sender.")
    [state] = states(project).values()
    assert (state.status, state.definitive) == (DeliveryStatus.REJECTED, True)
    text = run_cli(["send", str(spec)])
    assert "E111 Invalid Sender." in text.stdout


def test_whatcounts_failure_text_is_the_reason(project: Project, sandbox: Sandbox) -> None:
    spec = project.provider_spec("whatcounts")

    out = run_cli(["send", str(spec), *FAST], env={"T_PASSWORD": "wrong-password"})

    [row] = out.json()["requests"]
    assert (row["status"], row["error_text"]) == ("rejected", "Realm and password do not match")


def test_inwise_rejects_one_recipient_and_accepts_the_other(project: Project, sandbox: Sandbox) -> None:
    sandbox.accounts.rejections["972502345679"] = "kosher-number"
    spec = project.provider_spec("inwise")

    out = run_cli(["send", str(spec), *FAST])

    assert out.code == 1
    [row] = out.json()["requests"]
    assert row["status"] == "partial"
    by_recipient = {d["recipient"]: d for d in row["deliveries"]}
    assert by_recipient["+972502345678"]["status"] == "accepted"
    assert by_recipient["+972502345678"]["provider_id"]
    assert by_recipient["+972502345679"]["status"] == "rejected"
    assert by_recipient["+972502345679"]["error_code"] == "kosher-number"
    assert [m["recipient"] for m in sandbox.messages()] == ["972-50-2345678"]
    recorded = states(project)
    assert recorded["+972502345678"].status is DeliveryStatus.ACCEPTED
    assert recorded["+972502345679"].status is DeliveryStatus.REJECTED

    sandbox.accounts.rejections.clear()
    again = run_cli(["send", str(spec), "--retry-rejected", "--format", "json"])

    assert again.code == 0
    [row] = again.json()["requests"]
    assert row["recipients"] == ["+972502345679"]
