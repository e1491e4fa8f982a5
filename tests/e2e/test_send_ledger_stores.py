"""The ledger as a user meets it: where it lives, shared by runners, and what it refuses."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from smsspec.sandbox import Sandbox
from tests.e2e.send_helpers import (
    Project,
    account_name,
    received,
    run_cli,
    start_cli,
)
from tests.ledger_stores import postgres_server

NUMBERS = [f"+4474001{n:05d}" for n in range(48)]
ISRAELI = [f"+9725023{n:05d}" for n in range(20)]  # inwise is sent Israeli numbers only (INWISE-NUMBER-COUNTRY)


def many(project: Project) -> Path:
    return project.spec("many", [
        {"id": "many", "account": account_name("skycore"), "from": "60856", "text": "Hi", "to": NUMBERS},
        {"id": "more", "account": account_name("inwise"), "text": "Hello", "to": ISRAELI},
    ])


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_runners_in_separate_working_copies_share_one_ledger_and_send_each_delivery_once(
    project: Project, sandbox: Sandbox, tmp_path: Path, store: str, request: pytest.FixtureRequest
) -> None:
    many(project)
    where = str(tmp_path / "shared" / "ledger.db") if store == "sqlite" else request.getfixturevalue("postgres_url")
    copies = []
    for n in range(4):  # each runner has its own checkout, as CI runners do
        copy = tmp_path / f"runner-{n}"
        copy.mkdir()
        for name in ("smsspec.yaml", "many.sms.yaml"):
            shutil.copy(project.root / name, copy / name)
        copies.append(copy)
    runs = [
        start_cli(["send", "many.sms.yaml", "--concurrency", "4", "--format", "json", "--ledger", where], copy)
        for copy in copies
    ]
    outputs = [run.communicate(timeout=120) for run in runs]

    assert [run.returncode for run in runs] == [0, 0, 0, 0], [err for _, err in outputs]
    delivered = Counter((m["provider"], str(m["recipient"]).lstrip("+")) for m in sandbox.messages())
    assert len(delivered) == len(NUMBERS) + 20 and set(delivered.values()) == {1}  # everything, once
    accepted = sum(json.loads(out)["summary"]["accepted"] for out, _ in outputs)
    assert accepted == len(NUMBERS) + 20
    for copy in copies:
        assert not (copy / ".smsspec").exists()  # nobody fell back to a local ledger

    again = run_cli(["send", str(copies[0] / "many.sms.yaml"), "--format", "json", "--ledger", where])
    assert again.code == 0 and again.json()["summary"]["skipped"] == len(NUMBERS) + 20
    assert received(sandbox, "skycore") + received(sandbox, "inwise") == accepted_requests(outputs)


def accepted_requests(outputs: list[tuple[str, str]]) -> int:
    return sum(json.loads(out)["summary"]["requests"] for out, _ in outputs)


def test_switching_a_message_to_its_fallback_account_does_not_send_it_again(
    project: Project, sandbox: Sandbox
) -> None:
    message = {"id": "code", "account": account_name("skycore"), "from": "60856", "text": "Code 1",
               "to": ["+447400123456", "+447400123457"]}
    spec = project.spec("code", [message])
    assert run_cli(["send", str(spec)]).code == 0

    project.spec("code", [{**message, "account": account_name("whatcounts"), "from": "120162701555"}])
    planned = run_cli(["plan", str(spec), "--format", "json"])
    sent = run_cli(["send", str(spec), "--format", "json"])

    assert json.loads(planned.stdout)["totals"]["recipients"] == 0
    assert sent.code == 0
    assert {row["reason"] for row in sent.json()["skipped"]} == {"accepted-through-another-account"}
    assert received(sandbox, "whatcounts") == 0
    rows = run_cli(["ledger", "show", "--config", str(project.config), "--format", "json"]).json()["deliveries"]
    assert {row["account"] for row in rows} == {account_name("skycore")}  # the account that sent them


def test_sandbox_runs_never_touch_the_real_ledger(project: Project, sandbox: Sandbox, tmp_path: Path) -> None:
    real = tmp_path / "real" / "ledger.db"
    spec = project.provider_spec("whatcounts")

    looped = run_cli(["send", str(spec)], env={"SMSSPEC_LEDGER": str(real)})  # accounts on 127.0.0.1
    sandboxed = run_cli(["send", str(spec), "--sandbox"], env={"SMSSPEC_LEDGER": str(real)})

    assert looped.code == 0 and sandboxed.code == 0
    assert not real.exists() and not (project.root / ".smsspec" / "ledger.db").exists()
    assert project.ledger.exists()
    planned = run_cli(["plan", str(spec), "--ledger", str(real), "--format", "json"])
    assert json.loads(planned.stdout)["totals"]["recipients"] == 1  # the real plan is untouched


@pytest.mark.parametrize("command", ["send", "plan", "ledger show", "send --dry-run"])
@pytest.mark.parametrize("kind", ["fifo", "/dev/zero", "corrupt", "jsonl"])
def test_a_ledger_that_is_not_one_is_refused_with_exit_2_and_nothing_sent(
    project: Project, sandbox: Sandbox, tmp_path: Path, command: str, kind: str
) -> None:
    spec = project.provider_spec("whatcounts")
    if kind == "fifo":
        where = tmp_path / "fifo"
        os.mkfifo(where)
    elif kind == "/dev/zero":
        where = Path("/dev/zero")
    elif kind == "corrupt":
        where = tmp_path / "ledger.db"
        assert run_cli(["send", str(project.provider_spec("skycore")), "--ledger", str(where)]).code == 0
        sandbox.clear()
        data = bytearray(where.read_bytes())
        for start in range(4096, len(data), 4096):
            data[start : start + 16] = b"\xff" * 16
        where.write_bytes(bytes(data))
    else:
        where = tmp_path / "ledger.jsonl"
        where.write_text('{"type":"header","format":"smsspec-ledger","version":1}\n', encoding="utf-8")
    args = command.split() + (["--config", str(project.config)] if command == "ledger show" else [str(spec)])

    out = run_cli([*args, "--ledger", str(where)])

    assert out.code == 2, out.stdout + out.stderr
    assert "ledger" in out.stderr and "internal error" not in out.stderr and "Traceback" not in out.stderr
    assert {"fifo": "not a regular file", "/dev/zero": "not a regular file", "corrupt": "damaged",
            "jsonl": "ledger import"}[kind] in out.stderr
    assert sandbox.stats()["total"] == 0


def test_a_ledger_url_password_is_never_printed(project: Project, sandbox: Sandbox) -> None:
    spec = project.provider_spec("whatcounts")
    url = "postgresql://ops:Pa55-w0rd-XYZ@127.0.0.1:1/ledger"

    outs = [
        run_cli(["send", str(spec), "--ledger", url]),
        run_cli(["plan", str(spec), "--ledger", url]),
        run_cli(["send", str(spec)], env={"SMSSPEC_LEDGER": url}),  # sandbox-bound: never used
        run_cli(["ledger", "show", "--ledger", url]),
    ]

    for out in outs[:2] + outs[3:]:
        assert out.code == 2 and "postgresql://ops:***@127.0.0.1:1/ledger" in out.stderr
    for out in outs:
        assert "Pa55" not in out.stdout + out.stderr
    assert sandbox.stats()["total"] == 1  # only the sandbox-bound run sent


def test_smsspec_yaml_names_the_ledger_through_an_environment_variable(
    project: Project, sandbox: Sandbox, tmp_path: Path
) -> None:
    project.endpoints[account_name("whatcounts")] = "http://smsspec-test.invalid/api_web"
    project.write_config()
    with project.config.open("a", encoding="utf-8") as config:
        config.write("ledger: ${TEAM_LEDGER}\n")
    spec = project.provider_spec("whatcounts")
    where = tmp_path / "team" / "ledger.db"

    unset = run_cli(["plan", str(spec)])
    planned = run_cli(["send", str(spec), "--dry-run"], env={"TEAM_LEDGER": str(where)})

    assert unset.code == 2 and "`ledger: ${TEAM_LEDGER}`, but TEAM_LEDGER is not set" in unset.stderr
    assert planned.code == 0 and f"ledger: {where}" in planned.stdout


def test_a_dns_failure_is_not_sent_and_no_request_is_counted(project: Project, sandbox: Sandbox) -> None:
    project.endpoints[account_name("whatcounts")] = "http://smsspec-test.invalid/api_web"
    project.write_config()
    spec = project.provider_spec("whatcounts")

    out = run_cli(["send", str(spec), "--max-attempts", "1", "--format", "json"], env={"CI": ""})

    assert out.code == 1
    summary = out.json()["summary"]
    assert (summary["requests"], summary["accepted"], summary["rejected"]) == (0, 0, 1)
    [row] = out.json()["requests"]
    assert row["error_code"] == "not-sent"
    [state] = run_cli(["ledger", "show", "--config", str(project.config), "--format", "json"]).json()["deliveries"]
    assert state["sent_at"] is None and state["error_code"] == "not-sent"


def test_ci_with_a_fresh_local_ledger_warns_that_a_throwaway_runner_forgets(
    project: Project, sandbox: Sandbox
) -> None:
    project.endpoints[account_name("whatcounts")] = "http://smsspec-test.invalid/api_web"
    project.write_config()
    spec = project.provider_spec("whatcounts")

    first = run_cli(["send", str(spec), "--max-attempts", "1"], env={"CI": "true"})
    second = run_cli(["send", str(spec), "--max-attempts", "1", "--retry-rejected"], env={"CI": "true"})

    assert "warning: CI is set and the ledger" in first.stderr and "PostgreSQL" in first.stderr
    assert "warning" not in second.stderr  # the ledger was there before this run


def test_each_request_records_when_it_went_out_and_when_its_answer_came(
    project: Project, sandbox: Sandbox
) -> None:
    specs = [str(project.provider_spec(p)) for p in ("skycore", "whatcounts", "inwise")]
    assert run_cli(["send", *specs, "--concurrency", "1"]).code == 0

    rows = run_cli(["ledger", "show", "--config", str(project.config), "--format", "json"]).json()["deliveries"]
    sent = sorted({(r["sent_at"], r["answered_at"]) for r in rows})
    assert len(sent) == 3  # one per request, not one per run
    for went, came in sent:
        assert went is not None and came is not None and went <= came
    assert sent[0][1] <= sent[1][0]  # one at a time: each answer came before the next request
    assert {r["state"] for r in rows} == {"accepted"}


def test_import_of_an_old_jsonl_ledger_then_plan_skips_what_it_sent(project: Project, sandbox: Sandbox, tmp_path: Path) -> None:
    spec = project.provider_spec("whatcounts")
    db = tmp_path / "from-old.db"
    assert run_cli(["send", str(spec), "--ledger", str(db)]).code == 0
    old = tmp_path / "ledger.jsonl"
    with sqlite3.connect(db) as conn:
        [(request_id, content_hash)] = conn.execute("SELECT request_id, content_hash FROM smsspec_deliveries")
    at = "2026-01-01T00:00:00+00:00"
    old.write_text("\n".join(json.dumps(line) for line in [
        {"type": "header", "format": "smsspec-ledger", "version": 1},
        {"type": "intent", "request_id": request_id, "at": at, "account": account_name("whatcounts"),
         "message_id": "whatcounts-hello", "deliveries": [{"recipient": "+12065551212", "content_hash": content_hash}],
         "meta": {}},
        {"type": "outcome", "request_id": request_id, "at": at, "deliveries": [
            {"recipient": "+12065551212", "status": "accepted", "definitive": False}], "meta": {}},
    ]) + "\n", encoding="utf-8")

    first = run_cli(["ledger", "import", str(old), "--config", str(project.config)])
    second = run_cli(["ledger", "import", str(old), "--config", str(project.config)])
    planned = run_cli(["plan", str(spec), "--format", "json"])

    assert first.code == 0 and "imported 1 delivery" in first.stdout
    assert second.code == 0 and "imported 0 deliveries" in second.stdout and "1 already known" in second.stdout
    assert json.loads(planned.stdout)["totals"]["recipients"] == 0
    exported = run_cli(["ledger", "export", "--config", str(project.config)])
    [line] = exported.stdout.splitlines()
    assert json.loads(line)["status"] == "accepted"


def test_postgres_tests_need_a_server_in_ci() -> None:
    if os.environ.get("CI") == "true":
        assert postgres_server()


def test_a_ledger_that_runs_out_of_room_mid_run_never_counts_as_accepted_what_it_did_not_record(
    project: Project, sandbox: Sandbox
) -> None:
    import resource
    import subprocess
    import sys

    from tests.e2e.send_helpers import subprocess_env

    spec = many(project)
    assert run_cli(["send", str(project.provider_spec("whatcounts"))]).code == 0  # the ledger exists
    room = project.ledger.stat().st_size + 48 * 1024  # the disk fills up a few requests in

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (room, room))  # writes past it fail (EFBIG)

    run = subprocess.run(
        [sys.executable, "-m", "smsspec", "send", str(spec), "--concurrency", "2", "--format", "json"],
        cwd=project.root, env=subprocess_env(), capture_output=True, text=True, timeout=120,
        preexec_fn=small_disk,
    )

    assert run.returncode == 1, run.stdout + run.stderr
    summary = json.loads(run.stdout)["summary"]
    assert summary["ledger_problem"]
    rows = run_cli(["ledger", "show", "--config", str(project.config), "--format", "json"]).json()["deliveries"]
    recorded = sum(1 for r in rows if r["status"] == "accepted" and r["message"] in ("many", "more"))
    assert summary["accepted"] == recorded  # the summary says what the ledger says
    assert all(r["state"] != "pending" for r in rows)
    unknown = [r for r in rows if r["status"] == "unknown"]
    # everything unknown was claimed and may have gone out; nothing that never left is unknown
    sent = Counter((m["provider"], str(m["recipient"]).lstrip("+")) for m in sandbox.messages())
    assert len(unknown) <= sum(sent.values()) - recorded - 1


def test_an_old_jsonl_ledger_beside_the_new_default_must_be_imported_before_sending(
    project: Project, sandbox: Sandbox
) -> None:
    spec = project.provider_spec("whatcounts")
    old = project.root / ".smsspec" / "sandbox-ledger.jsonl"  # what smsspec before the database wrote
    old.parent.mkdir()
    old.write_text('{"type":"header","format":"smsspec-ledger","version":1}\n', encoding="utf-8")

    refused = [run_cli(["send", str(spec)]), run_cli(["plan", str(spec)])]
    imported = run_cli(["ledger", "import", str(old), "--config", str(project.config)])
    sent = run_cli(["send", str(spec)])

    for out in refused:
        assert out.code == 2 and f"smsspec ledger import {old}" in out.stderr
    assert sandbox.stats()["total"] == 1 and imported.code == 0 and sent.code == 0
