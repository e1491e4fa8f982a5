"""An answer that trickles in never holds a run: each request has an overall deadline, and a
stop signal ends a run within seconds, recording what was in flight as unknown.

The sandbox's ``drip`` fault answers one byte every half second: every read gets a byte well
within the read timeout, so only the deadline or the stop can end the request. The waits
below are hang guards, not speed assertions.
"""

from __future__ import annotations

import signal
import subprocess

from smsspec.sandbox import Sandbox
from smsspec.send.ledger import DeliveryStatus, Ledger
from tests.e2e.send_helpers import (
    DeliveryOutcome,
    Project,
    read_line,
    received,
    start_cli,
    wait_for,
)

HANG_GUARD = 120.0


def finished(process: subprocess.Popen[str]) -> DeliveryOutcome:
    try:
        out, err = process.communicate(timeout=HANG_GUARD)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(f"smsspec did not end: {out}{err}") from None
    return DeliveryOutcome(process.returncode, out, err)


def test_a_dripping_answer_ends_at_the_request_deadline_as_unknown(project: Project, sandbox: Sandbox) -> None:
    spec = project.provider_spec("skycore")
    sandbox.add_fault("drip", "skycore")

    run = start_cli(
        ["send", str(spec), "--format", "json", "--read-timeout", "5", "--request-deadline", "2"], project.root
    )
    out = finished(run)

    assert out.code == 1, out.stdout + out.stderr
    [row] = out.json()["requests"]
    assert (row["status"], row["attempts"]) == ("unknown", 1)
    assert "no complete answer within the request deadline (2 s)" in row["error_text"]
    assert received(sandbox, "skycore") == 1
    assert len(sandbox.messages()) == 1  # the provider took it; the run could not learn so
    [state] = Ledger.read(project.ledger).states()
    assert state.status is DeliveryStatus.UNKNOWN


def test_sigterm_during_a_dripping_answer_ends_the_run_and_records_the_request_unknown(
    project: Project, sandbox: Sandbox
) -> None:
    first = str(project.provider_spec("skycore"))
    rest = str(project.provider_spec("whatcounts"))
    sandbox.add_fault("drip", "skycore")
    run = start_cli(["send", first, rest, "--concurrency", "1", "--read-timeout", "60"], project.root)
    try:
        wait_for(lambda: received(sandbox, "skycore") == 1, "the request that drips")
        run.send_signal(signal.SIGTERM)
        notice = read_line(run, "stopping: no new requests")
    finally:
        out = finished(run)  # the dripping answer would take minutes; the stop does not wait for it

    assert "recorded as unknown" in notice
    assert out.code == 130, out.stdout + out.stderr
    assert "unknown   1" in out.stdout
    assert "stopped while waiting for the answer" in out.stdout
    assert received(sandbox, "whatcounts") == 0
    states = {s.key.recipient: s for s in Ledger.read(project.ledger).states()}
    assert list(states) == ["+447400123456"]
    assert (states["+447400123456"].status, states["+447400123456"].interrupted) == (DeliveryStatus.UNKNOWN, False)
