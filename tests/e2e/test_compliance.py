"""Who must not get it, end to end against the sandbox on 127.0.0.1, counting what arrived:
opt-outs (files in smsspec.yaml, the ledger's own list, one recorded while a run is under
way) and quiet hours (the project's, in each recipient's zone; a provider's own pause, in
the account's zone). Times are fixed with SMSSPEC_TEST_NOW, so no test depends on the clock.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest

from smsspec.sandbox import Sandbox
from smsspec.send.ledger import Ledger
from smsspec.send.plan import Policy, make_plan
from smsspec.send.redact import Redactor
from smsspec.send.service import SendSettings, requests_of, run_requests
from smsspec.send.transport import Timeouts
from smsspec.validate.check import check_paths
from tests.e2e.send_helpers import API_KEY, Project, account_name, run_cli

BUCHAREST = "+40722123456"  # Europe/Bucharest: UTC+2 in December
LONDON = "+447400123456"  # Europe/London: UTC in December
LONDON_2 = "+447400123457"
SEATTLE = "+12065551212"  # America/Los_Angeles: UTC-8 in December
EVENING = "2026-12-01T20:30:00Z"  # 22:30 in Bucharest, 20:30 in London
BUCHAREST_MORNING = "2026-12-02T06:00:00+00:00"  # 08:00 in Bucharest: the window opens


def arrived(sandbox: Sandbox) -> Counter[str]:
    """Messages the sandbox accepted, per recipient (E.164)."""
    return Counter("+" + str(m["recipient"]).lstrip("+") for m in sandbox.messages())


def add_to_config(project: Project, text: str) -> None:
    with project.config.open("a", encoding="utf-8") as handle:
        handle.write(text)


def campaign(project: Project, to: list[str], message_id: str = "offer", **fields: object) -> Path:
    return project.spec(message_id, [{
        "id": message_id, "account": account_name("skycore"), "from": "60856", "type": "campaign",
        "text": "Winter sale: 20% off", "to": to, **fields,
    }])


# --------------------------------------------------------------------------- opt-outs


def test_no_campaign_reaches_an_opted_out_number(project: Project, sandbox: Sandbox) -> None:
    (project.root / "optouts.csv").write_text("number,when\n+44 7400 123456,2026-11-30\n", encoding="utf-8")
    add_to_config(project, "opt_out:\n  files: [optouts.csv]\n")
    spec = campaign(project, [LONDON, LONDON_2, BUCHAREST, SEATTLE])
    added = run_cli(["opt-out", "add", "0040 722 123 456", "--source", "STOP reply", "--sandbox",
                     "--config", str(project.config)])
    assert added.code == 0, added.stderr

    checked = run_cli(["validate", str(spec)])
    assert checked.code == 0
    assert "warning[RECIPIENT-OPTED-OUT] message 'offer': +447400123456 is on the opt-out list" in checked.stdout

    sent = run_cli(["send", str(spec), "--format", "json"])
    assert sent.code == 0, sent.stdout + sent.stderr
    assert arrived(sandbox) == Counter({LONDON_2: 1, SEATTLE: 1})  # the file's and the ledger's opt-outs got nothing
    skipped = {row["recipient"]: row["reason"] for row in sent.json()["skipped"]}
    assert skipped == {LONDON: "opted-out", BUCHAREST: "opted-out"}

    text = run_cli(["send", str(spec)])  # nothing new; the text report names them
    assert "skipped, opted out:" in text.stdout and BUCHAREST in text.stdout
    assert arrived(sandbox) == Counter({LONDON_2: 1, SEATTLE: 1})


def test_an_opt_out_raised_to_an_error_blocks_the_whole_send(project: Project, sandbox: Sandbox) -> None:
    (project.root / "optouts.txt").write_text(f"{LONDON}\n", encoding="utf-8")
    add_to_config(project, "opt_out:\n  files: [optouts.txt]\nrules:\n  RECIPIENT-OPTED-OUT: error\n")
    spec = campaign(project, [LONDON, LONDON_2])

    sent = run_cli(["send", str(spec)])

    assert sent.code == 1
    assert "error[RECIPIENT-OPTED-OUT]" in sent.stdout + sent.stderr
    assert arrived(sandbox) == Counter()


def test_an_opt_out_file_that_cannot_be_read_sends_nothing(project: Project, sandbox: Sandbox) -> None:
    (project.root / "optouts.txt").write_text(f"{LONDON}\n07400 123457\n", encoding="utf-8")
    add_to_config(project, "opt_out:\n  files: [optouts.txt]\n")
    spec = campaign(project, [LONDON_2])

    sent = run_cli(["send", str(spec)])

    assert sent.code == 1
    assert "optouts.txt:2:1: error[OPT-OUT-FILE]" in sent.stdout + sent.stderr
    assert arrived(sandbox) == Counter()


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_an_opt_out_recorded_during_a_run_stops_the_rest_for_that_number(
    project: Project, sandbox: Sandbox, tmp_path: Path, store: str, request: pytest.FixtureRequest
) -> None:
    """The run plans with LONDON on no list; the opt-out lands after the plan, before the
    claims (as a STOP reply would while a long run is under way): nothing more reaches it."""
    where = str(tmp_path / "ledger.db") if store == "sqlite" else request.getfixturevalue("postgres_url")
    project.spec("two", [
        {"id": f"part-{n}", "account": account_name("skycore"), "from": "60856", "text": f"Part {n}", "to": [LONDON, LONDON_2]}
        for n in (1, 2)
    ])
    checked = check_paths([str(project.root / "two.sms.yaml")])
    assert checked.errors == 0
    run = Ledger.open(where)
    try:
        plan = make_plan(checked.checked, run, Policy(), datetime.now(timezone.utc))
        assert plan.recipients == 4
        with Ledger.open(where) as other:  # another process, as `smsspec opt-out add` is
            assert other.add_opt_outs([LONDON], "STOP reply") == 1
        credentials = {account_name("skycore"): {"api_key": API_KEY}}
        settings = SendSettings(1, None, Timeouts(5.0, 10.0, None), 1)
        result = run_requests(requests_of(plan, credentials), run, Redactor(), settings, credentials)
    finally:
        run.close()

    assert arrived(sandbox) == Counter({LONDON_2: 2})
    assert sorted(n for r in result.results for n in r.opted_out) == [LONDON, LONDON]
    with Ledger.read(where) as view:
        assert view.states_for("part-1", [LONDON]) == {}  # never claimed, never recorded as sent


# --------------------------------------------------------------------------- quiet hours


def test_recipients_inside_quiet_hours_are_held_and_a_later_run_sends_them(project: Project, sandbox: Sandbox) -> None:
    add_to_config(project, 'quiet_hours: {from: "21:00", to: "08:00", types: [campaign]}\n')
    spec = campaign(project, [BUCHAREST, LONDON])

    evening = run_cli(["send", str(spec), "--format", "json"], env={"SMSSPEC_TEST_NOW": EVENING})

    assert evening.code == 0, evening.stdout + evening.stderr  # held is not an error
    assert arrived(sandbox) == Counter({LONDON: 1})  # 20:30 in London; 22:30 in Bucharest is held
    [held] = evening.json()["skipped"]
    assert (held["recipient"], held["reason"], held["due"]) == (BUCHAREST, "quiet-hours", BUCHAREST_MORNING)
    assert "22:30 in Europe/Bucharest" in held["note"]

    text = run_cli(["send", str(spec)], env={"SMSSPEC_TEST_NOW": "2026-12-01T23:00:00Z"})
    assert "skipped, held for quiet hours:" in text.stdout
    assert f"held until {BUCHAREST_MORNING}" in text.stdout and text.code == 0
    assert arrived(sandbox) == Counter({LONDON: 1})

    morning = run_cli(["send", str(spec), "--format", "json"], env={"SMSSPEC_TEST_NOW": BUCHAREST_MORNING})
    assert morning.code == 0
    assert arrived(sandbox) == Counter({LONDON: 1, BUCHAREST: 1})  # now sent, and London not again


def test_quiet_hours_apply_only_to_the_types_named(project: Project, sandbox: Sandbox) -> None:
    add_to_config(project, 'quiet_hours: {from: "21:00", to: "08:00", types: [campaign]}\n')
    spec = campaign(project, [BUCHAREST], message_id="receipt", type="transactional")

    sent = run_cli(["send", str(spec)], env={"SMSSPEC_TEST_NOW": EVENING})

    assert sent.code == 0 and arrived(sandbox) == Counter({BUCHAREST: 1})


def test_an_accounts_quiet_hours_replace_the_projects(project: Project, sandbox: Sandbox) -> None:
    add_to_config(project, 'quiet_hours: {from: "21:00", to: "08:00"}\n')
    text = project.config.read_text(encoding="utf-8").replace(
        "    provider: skycore\n", '    provider: skycore\n    quiet_hours: {from: "23:00", to: "06:00"}\n', 1)
    project.config.write_text(text, encoding="utf-8")
    spec = campaign(project, [BUCHAREST])

    sent = run_cli(["send", str(spec)], env={"SMSSPEC_TEST_NOW": EVENING})  # 22:30 there: before 23:00

    assert sent.code == 0 and arrived(sandbox) == Counter({BUCHAREST: 1})


def test_plan_shows_what_opt_outs_remove_and_when_each_held_group_goes(project: Project, sandbox: Sandbox) -> None:
    (project.root / "optouts.txt").write_text(f"{LONDON_2}\n", encoding="utf-8")
    add_to_config(project, 'opt_out: {files: [optouts.txt]}\nquiet_hours: {from: "21:00", to: "08:00"}\n')
    spec = campaign(project, [BUCHAREST, "+40722123457", LONDON, LONDON_2, "+61412345678"])

    planned = run_cli(["plan", str(spec)], env={"SMSSPEC_TEST_NOW": EVENING})
    as_json = run_cli(["plan", str(spec), "--format", "json"], env={"SMSSPEC_TEST_NOW": EVENING})

    assert planned.code == 0, planned.stderr
    assert "skip     1  opted-out" in planned.stdout
    assert f"hold     2  quiet hours, go at {BUCHAREST_MORNING}" in planned.stdout
    # Australia spans UTC+6:30 (Cocos) to UTC+11 (Sydney): 08:00 on the Cocos Islands is the first allowed moment
    assert "hold     1  quiet hours, go at 2026-12-02T01:30:00+00:00" in planned.stdout
    [account] = as_json.json()["accounts"]
    assert account["recipients"] == 1 and account["skipped"] == {"opted-out": 1}
    assert account["held_for_quiet_hours"] == {"2026-12-02T01:30:00+00:00": 1, BUCHAREST_MORNING: 2}
    assert arrived(sandbox) == Counter()


# --------------------------------------------------------------------------- a provider's own pause


def sendmachine_campaign(project: Project) -> Path:
    return project.spec("sm", [{
        "id": "sm-offer", "account": account_name("sendmachine"), "type": "campaign",
        "text": "Winter sale", "to": [SEATTLE],
    }])


def test_sendmachines_pause_holds_an_immediate_campaign_at_night_in_the_accounts_zone(
    project: Project, sandbox: Sandbox
) -> None:
    """21:30Z is 23:30 in Bucharest, Sendmachine's default zone (13:30 for the Seattle recipient)."""
    spec = sendmachine_campaign(project)

    sent = run_cli(["send", str(spec), "--format", "json"], env={"SMSSPEC_TEST_NOW": "2026-12-01T21:30:00Z"})

    assert sent.code == 0
    assert arrived(sandbox) == Counter()
    [held] = sent.json()["skipped"]
    assert held["reason"] == "quiet-hours" and held["due"] == "2026-12-02T05:00:00+00:00"  # 07:00 in Bucharest
    assert held["note"].startswith("SENDMACHINE-QUIET-HOURS: 23:30 in Europe/Bucharest")


def test_the_accounts_time_zone_setting_moves_sendmachines_pause(project: Project, sandbox: Sandbox) -> None:
    text = project.config.read_text(encoding="utf-8").replace(
        "    provider: sendmachine\n", "    provider: sendmachine\n    settings:\n      time_zone: Europe/London\n", 1)
    project.config.write_text(text, encoding="utf-8")
    spec = sendmachine_campaign(project)

    sent = run_cli(["send", str(spec)], env={"SMSSPEC_TEST_NOW": "2026-12-01T21:30:00Z"})  # 21:30 in London

    assert sent.code == 0 and arrived(sandbox) == Counter({SEATTLE: 1})


def test_a_scheduled_sendmachine_campaign_inside_its_pause_is_reported_in_the_accounts_zone(project: Project) -> None:
    spec = project.spec("sm", [{
        "id": "sm-offer", "account": account_name("sendmachine"), "type": "campaign",
        "send_at": "2026-12-01T21:30:00Z", "text": "Winter sale", "to": [SEATTLE],
    }])

    checked = run_cli(["validate", str(spec)])

    assert checked.code == 0
    assert "warning[SENDMACHINE-QUIET-HOURS]" in checked.stdout
    assert "(Europe/Bucharest); send_at 2026-12-01T21:30:00Z is 23:30 there" in checked.stdout


def test_a_bad_test_clock_is_a_usage_error(project: Project) -> None:
    spec = campaign(project, [LONDON])
    sent = run_cli(["send", str(spec)], env={"SMSSPEC_TEST_NOW": "tonight"})
    assert sent.code == 2 and "SMSSPEC_TEST_NOW" in sent.stderr


def test_providers_show_names_sendmachines_pause_its_doc_sentence_and_default_zone() -> None:
    shown = run_cli(["providers", "show", "sendmachine"])
    assert shown.code == 0
    assert "campaign messages, 22:00 to 07:00 in the account's `time_zone` (default Europe/Bucharest)" in shown.stdout
    assert '"Messages with type campaign are paused when sent in time range 22:00 - 07:00"' in shown.stdout
    assert "why that default:" in shown.stdout
