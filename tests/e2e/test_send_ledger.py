"""Re-runs, concurrent runs and killed runs: at most one send per delivery."""

from __future__ import annotations

import json
import os
import signal

import pytest

from smsspec.sandbox import Sandbox
from smsspec.send.ledger import DeliveryStatus, Ledger
from tests.e2e.send_helpers import (
    Project,
    account_name,
    read_line,
    received,
    run_cli,
    sandbox_accounts,
    start_cli,
    stored_recipients,
    wait_for,
)


def test_a_definitive_rejection_is_resent_when_the_text_changes_and_only_then(
    project: Project, sandbox: Sandbox
) -> None:
    sandbox.accounts.settings["enforce_campaign_check"] = True  # Skycore answers E714 without a campaign
    spec = project.provider_spec("skycore")

    assert run_cli(["send", str(spec)]).code == 1
    unchanged = run_cli(["send", str(spec)])

    assert unchanged.code == 1
    assert received(sandbox, "skycore") == 1
    assert "skipped, rejected in an earlier run:" in unchanged.stdout
    assert "E714" in unchanged.stdout

    retried = run_cli(["send", str(spec), "--retry-rejected"])

    assert retried.code == 1
    assert received(sandbox, "skycore") == 2

    project.provider_spec("skycore", campaign="spring")  # the fix: a campaign reference
    fixed = run_cli(["send", str(spec)])

    assert fixed.code == 0, fixed.stdout
    assert received(sandbox, "skycore") == 3
    assert len(sandbox.messages()) == 1


def test_changing_an_accepted_message_does_not_send_it_again_unless_asked(
    project: Project, sandbox: Sandbox
) -> None:
    spec = project.provider_spec("whatcounts")
    assert run_cli(["send", str(spec)]).code == 0
    project.provider_spec("whatcounts", text="Thanks again!")

    changed = run_cli(["send", str(spec)])

    assert changed.code == 0
    assert "changed after it was accepted" in changed.stdout
    assert "--resend-changed" in changed.stdout
    assert received(sandbox, "whatcounts") == 1

    resent = run_cli(["send", str(spec), "--resend-changed"])

    assert resent.code == 0
    assert [m["text"] for m in sandbox.messages()] == ["Thanks!", "Thanks again!"]


def test_dry_run_sends_nothing_and_writes_no_ledger(project: Project, sandbox: Sandbox) -> None:
    spec = project.provider_spec("sendmachine")

    out = run_cli(["send", str(spec), "--dry-run", "--format", "json"])

    assert out.code == 0
    [row] = out.json()["requests"]
    assert row["status"] == "would-send"
    assert row["recipients"] == ["+40712034567", "+40722123456"]
    assert sandbox.stats()["total"] == 0
    assert not project.ledger.exists()
    assert not project.ledger.parent.exists()

    assert run_cli(["send", str(spec)]).code == 0
    after = run_cli(["send", str(spec), "--dry-run"])

    assert after.code == 0
    assert "dry run: nothing to send" in after.stdout
    assert received(sandbox, "sendmachine") == 1


def test_a_missing_credential_stops_the_run_before_any_request(project: Project, sandbox: Sandbox) -> None:
    first = project.provider_spec("skycore")
    second = project.provider_spec("whatcounts")

    out = run_cli(["send", str(first), str(second)], env={"T_PASSWORD": ""})

    assert out.code == 2
    assert "T_PASSWORD" in out.stderr
    assert sandbox.stats()["total"] == 0
    assert list(Ledger.read(project.ledger).states()) == []


@pytest.mark.parametrize(
    ("provider", "env", "words"),
    [
        ("skycore", {"T_API_KEY": "key-from-a-file\n"}, "holds a control character (U+000A) at character 16"),
        ("inwise", {"T_API_KEY": "clé"}, "outside ASCII, which the X-Api-Key header cannot carry"),
        ("sendmachine", {"T_USERNAME": "team:ops"}, "holds a colon"),
        ("whatcounts", {"T_PASSWORD": "pass\tword"}, "control character (U+0009)"),
    ],
)
def test_a_credential_its_request_cannot_carry_stops_the_run_unquoted(
    project: Project, sandbox: Sandbox, provider: str, env: dict[str, str], words: str
) -> None:
    spec = project.provider_spec(provider)

    out = run_cli(["send", str(spec)], env=env)

    assert out.code == 2
    assert words in out.stderr and "nothing was sent" in out.stderr
    for value in env.values():
        assert value not in out.stdout + out.stderr and value.strip() not in out.stdout + out.stderr
    assert sandbox.stats()["total"] == 0


def test_validation_errors_send_nothing(project: Project, sandbox: Sandbox) -> None:
    good = project.provider_spec("skycore")
    bad = project.provider_spec("whatcounts", text="x" * 200)

    out = run_cli(["send", str(good), str(bad)])

    assert out.code == 1
    assert "WHATCOUNTS-TEXT-LENGTH" in out.stderr
    assert "nothing was sent" in out.stderr
    assert sandbox.stats()["total"] == 0
    assert not project.ledger.exists()


def test_warnings_block_sending_only_under_strict(project: Project, sandbox: Sandbox) -> None:
    spec = project.provider_spec("whatcounts", text="Hello – friend")  # a dash that forces UCS-2

    strict = run_cli(["send", str(spec), "--strict"])
    relaxed = run_cli(["send", str(spec)])

    assert strict.code == 1
    assert "warning" in strict.stderr
    assert relaxed.code == 0
    assert received(sandbox, "whatcounts") == 1


def test_a_second_run_skips_what_a_live_run_holds_as_in_progress_elsewhere(project: Project) -> None:
    # A sandbox of its own, so the test decides when the hung request ends: by stopping it.
    with Sandbox(accounts=sandbox_accounts()) as own:
        project.base_url = own.url
        project.write_config()
        specs = [str(project.provider_spec(p)) for p in ("skycore", "whatcounts", "inwise")]
        own.add_fault("hang", "skycore")
        args = ["send", *specs, "--read-timeout", "60"]
        first = start_cli(args, project.root)
        try:
            wait_for(lambda: received(own, "skycore") == 1, "the first run's request")
            wait_for(lambda: received(own, "inwise") == 1 and received(own, "whatcounts") == 1, "the rest")
            second = start_cli([*args, "--format", "json"], project.root)
            out, err = second.communicate(timeout=60)
            assert second.returncode == 0, out + err  # in progress elsewhere is not an error
            skipped = {row["recipient"]: row["reason"] for row in json.loads(out)["skipped"]}
            assert skipped["+447400123456"] == "in-progress-elsewhere"
            assert received(own, "skycore") == 1
        finally:
            own.stop()  # drops the held connection: the first run learns nothing more
            first_out, first_err = first.communicate(timeout=60)
    assert first.returncode == 1, first_out + first_err  # the hung request is unknown
    assert "unknown   1" in first_out


def test_two_runs_started_together_split_the_work_and_send_each_delivery_once(
    project: Project, sandbox: Sandbox
) -> None:
    recipients = [f"+4474001234{n:02d}" for n in range(30)]
    spec = project.spec("many", [
        {"id": "many", "account": account_name("skycore"), "from": "60856", "text": "Hi", "to": recipients}
    ])
    runs = [start_cli(["send", str(spec)], project.root) for _ in range(2)]
    results = [(run.wait(timeout=60), *run.communicate()) for run in runs]

    assert [code for code, _, _ in results] == [0, 0], results
    assert received(sandbox, "skycore") == len(recipients)
    assert stored_recipients(sandbox) == sorted(recipients)


def test_a_run_killed_mid_request_leaves_its_deliveries_unknown_and_they_are_not_resent(
    project: Project, sandbox: Sandbox
) -> None:
    specs = [str(project.provider_spec(p)) for p in ("skycore", "whatcounts")]
    sandbox.add_fault("hang_after_store", "skycore")

    victim = start_cli(["send", *specs, "--concurrency", "1", "--read-timeout", "60"], project.root)
    try:
        wait_for(lambda: received(sandbox, "skycore") == 1, "the request that hangs")
    finally:
        os.kill(victim.pid, signal.SIGKILL)
        victim.communicate(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    stored_before = stored_recipients(sandbox)
    assert "+447400123456" in stored_before  # the provider has it; the run never learnt so

    after = run_cli(["send", *specs, "--format", "json"])

    assert after.code == 1
    data = after.json()
    skipped = {row["recipient"]: row for row in data["skipped"]}
    assert skipped["+447400123456"]["reason"] == "unknown-earlier"
    assert skipped["+447400123456"]["interrupted"] is True
    assert received(sandbox, "skycore") == 1
    assert stored_recipients(sandbox).count("+447400123456") == 1
    state = Ledger.read(project.ledger).state(
        next(s.key for s in Ledger.read(project.ledger).states() if s.key.recipient == "+447400123456")
    )
    assert state is not None
    assert (state.status, state.interrupted) == (DeliveryStatus.UNKNOWN, True)

    shown = run_cli(["ledger", "show", "--config", str(project.config)])
    assert "unknown (interrupted mid-request)" in shown.stdout


def test_ledger_show_lists_each_message_and_recipient(project: Project, sandbox: Sandbox) -> None:
    sandbox.accounts.rejections["972502345679"] = "unsubscribe"
    spec = project.provider_spec("inwise")
    run_cli(["send", str(spec)])

    text = run_cli(["ledger", "show", "--ledger", str(project.ledger)])
    as_json = run_cli(["ledger", "show", "--config", str(project.config), "--format", "json"])
    only = run_cli(["ledger", "show", "--ledger", str(project.ledger), "--message", "other"])

    assert text.code == 0
    assert "inwise-hello  (inwise-acct, inwise," in text.stdout
    assert "+972502345678" in text.stdout and "accepted" in text.stdout
    assert "unsubscribe" in text.stdout
    rows = {r["recipient"]: r for r in json.loads(as_json.stdout)["deliveries"]}
    assert rows["+972502345678"]["status"] == "accepted"
    assert rows["+972502345679"]["status"] == "rejected"
    assert rows["+972502345679"]["error_code"] == "unsubscribe"
    assert rows["+972502345679"]["http_status"] == 200
    assert "no deliveries" in only.stdout


def test_a_terminated_run_stops_starting_requests_and_records_the_one_in_flight(project: Project) -> None:
    with Sandbox(accounts=sandbox_accounts()) as own:
        project.base_url = own.url
        project.write_config()
        first = str(project.provider_spec("skycore"))
        rest = str(project.provider_spec("whatcounts"))
        own.add_fault("hang", "skycore")
        run = start_cli(["send", first, rest, "--concurrency", "1", "--read-timeout", "60"], project.root)
        try:
            wait_for(lambda: received(own, "skycore") == 1, "the request that hangs")
            run.send_signal(signal.SIGTERM)
            notice = read_line(run, "stopping: no new requests")  # written once no request can start
        finally:
            own.stop()  # ends the held request: the run records it as unknown and exits
            out, err = run.communicate(timeout=60)
        assert "stopping: no new requests" in notice, notice + err
        assert run.returncode == 130, out + err
        assert received(own, "whatcounts") == 0
    states = {s.key.recipient: s for s in Ledger.read(project.ledger).states()}
    assert list(states) == ["+447400123456"]
    assert (states["+447400123456"].status, states["+447400123456"].interrupted) == (DeliveryStatus.UNKNOWN, False)
