"""Each provider end to end: sent once, recorded as accepted, and never sent again."""

from __future__ import annotations

import pytest

from smsspec.sandbox import Sandbox
from smsspec.send.ledger import DeliveryStatus, Ledger
from tests.e2e.send_helpers import MESSAGES, Project, account_name, run_cli, stored_recipients


@pytest.mark.parametrize("provider", sorted(MESSAGES))
def test_a_message_is_accepted_stored_once_and_not_sent_again(
    project: Project, sandbox: Sandbox, provider: str
) -> None:
    spec = project.provider_spec(provider)
    recipients = MESSAGES[provider][1]

    first = run_cli(["send", str(spec), "--format", "json"])

    assert first.code == 0, first.stderr
    summary = first.json()["summary"]
    assert (summary["accepted"], summary["rejected"], summary["unknown"]) == (len(recipients), 0, 0)
    assert len(sandbox.messages()) == len(recipients)
    states = list(Ledger.read(project.ledger).states())
    assert sorted(s.key.recipient for s in states) == sorted(recipients)
    assert {s.status for s in states} == {DeliveryStatus.ACCEPTED}
    assert {s.key.account for s in states} == {account_name(provider)}
    if provider != "whatcounts":  # WhatCounts answers no id
        assert all(s.provider_id for s in states)

    before = sandbox.stats()
    second = run_cli(["send", str(spec)])

    assert second.code == 0, second.stderr
    assert sandbox.stats() == before
    assert f"skipped   {len(recipients)}  ({len(recipients)} already accepted)" in second.stdout


def test_all_providers_in_one_run_report_requests_and_segments(project: Project, sandbox: Sandbox) -> None:
    specs = [str(project.provider_spec(p)) for p in sorted(MESSAGES)]

    out = run_cli(["send", *specs, "--format", "json", "--concurrency", "3"])

    assert out.code == 0, out.stderr
    data = out.json()
    everyone = sorted(r for _, recipients in MESSAGES.values() for r in recipients)
    assert data["summary"]["accepted"] == len(everyone)
    assert data["summary"]["segments_billed"] == len(everyone)
    # sendmachine and inwise batch both recipients in one request; the others send one each
    assert data["summary"]["requests"] == 5
    for row in data["requests"]:
        assert row["status"] == "accepted"
        assert row["http_status"] in (200, 202)
        assert row["attempts"] == 1
    assert len(stored_recipients(sandbox)) == len(everyone)


def test_message_and_account_filters_send_only_what_was_asked(project: Project, sandbox: Sandbox) -> None:
    sky = project.provider_spec("skycore")
    wc = project.provider_spec("whatcounts")
    inw = project.provider_spec("inwise")

    by_message = run_cli(["send", str(sky), str(wc), str(inw), "--message", "skycore-hello"])
    by_account = run_cli(["send", str(sky), str(wc), str(inw), "--account", account_name("whatcounts")])

    assert (by_message.code, by_account.code) == (0, 0)
    assert stored_recipients(sandbox) == sorted(MESSAGES["skycore"][1] + ["12065551212"])
    unknown = run_cli(["send", str(sky), "--message", "nope"])
    assert unknown.code == 2
    assert "no message with that id" in unknown.stderr


def test_a_native_scheduler_gets_send_at_and_a_holding_one_waits(project: Project, sandbox: Sandbox) -> None:
    later = "2999-01-01T10:00:00+00:00"
    inw = project.provider_spec("inwise", send_at=later)
    sky = project.provider_spec("skycore", send_at=later)

    out = run_cli(["send", str(inw), str(sky), "--format", "json"])

    assert out.code == 0, out.stderr
    data = out.json()
    assert data["summary"]["accepted"] == 2
    assert data["summary"]["scheduled"] == 1
    [held] = data["skipped"]
    assert (held["message"], held["reason"], held["due"]) == ("skycore-hello", "scheduled", later)
    stored = sandbox.messages()
    assert {m["provider"] for m in stored} == {"inwise"}
    assert all(m["state"] == "queued" for m in stored)  # inwise async mode, scheduled by inwise
    text = run_cli(["send", str(sky)])
    assert text.code == 0
    assert f"due {later}" in text.stdout
