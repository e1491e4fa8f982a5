"""The ledger stores: the same tests against SQLite and a real PostgreSQL server."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from smsspec.send.ledger import (
    SCHEMA_VERSION,
    Decision,
    DeliveryKey,
    DeliveryOutcome,
    DeliveryState,
    DeliveryStatus,
    Intent,
    Ledger,
    LedgerCorrupt,
    LedgerError,
    RequestOutcome,
    decide,
    parse_location,
    redact_url,
)
from smsspec.send.ledger.jsonl import import_jsonl

REPO = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("ledger_child.py")

A = DeliveryStatus.ACCEPTED
R = DeliveryStatus.REJECTED
U = DeliveryStatus.UNKNOWN
P = DeliveryStatus.PENDING


def h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def key(recipient: str, message_id: str = "m1", account: str = "acc") -> DeliveryKey:
    return DeliveryKey(account, message_id, recipient)


def start_child(where: str, *recipients: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    child = subprocess.Popen(
        [sys.executable, str(CHILD), where, "claim", *recipients],
        env=env, text=True, stdout=subprocess.PIPE,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "claimed"
    return child


# --------------------------------------------------------------------------- both stores


def test_claims_and_outcomes_survive_reopening(location: str) -> None:
    with Ledger.open(location) as ledger:
        [claim] = ledger.claim(
            [Intent("r1", "acc", "m1", [("+15550001", h("a")), ("+15550002", h("a"))], {"file": "f"})]
        )
        assert claim.claimed == ("+15550001", "+15550002") and claim.refused == ()
        ledger.record_outcomes([
            RequestOutcome(
                "r1",
                [DeliveryOutcome("+15550001", A, provider_id="sk-1"),
                 DeliveryOutcome("+15550002", R, definitive=True, error_code="21", error_text="bad")],
                {"http_status": 200},
                sent_at="2026-01-01T00:00:01+00:00",
                answered_at="2026-01-01T00:00:02+00:00",
            )
        ])

    view = Ledger.read(location)
    states = {s.key.recipient: s for s in view.states()}
    assert (states["+15550001"].status, states["+15550001"].provider_id) == (A, "sk-1")
    second = states["+15550002"]
    assert (second.status, second.definitive, second.error_code) == (R, True, "21")
    assert (second.sent_at, second.answered_at) == ("2026-01-01T00:00:01+00:00", "2026-01-01T00:00:02+00:00")
    assert second.account == "acc"
    assert view.request_meta(["r1"])["r1"] == ({"file": "f"}, {"http_status": 200})


def test_reading_a_ledger_that_does_not_exist_is_empty_and_creates_nothing(location: str) -> None:
    view = Ledger.read(location)
    assert not view.exists
    assert list(view.states()) == [] and view.state(key("+15550001")) is None
    if not location.startswith("postgresql"):
        assert not Path(location).parent.exists()


def test_the_account_is_not_part_of_a_deliverys_identity(location: str) -> None:
    with Ledger.open(location) as ledger:
        ledger.claim([Intent("r1", "primary", "m1", [("+15550001", h("a"))])])
        ledger.record_outcomes([RequestOutcome("r1", [DeliveryOutcome("+15550001", A)])])
        # the fallback account finds the delivery done, whatever account carries it
        [claim] = ledger.claim([Intent("r2", "fallback", "m1", [("+15550001", h("a"))])])
    assert claim.claimed == ()
    [state] = claim.refused
    assert (state.status, state.account) == (A, "primary")
    assert Ledger.read(location).state(key("+15550001", account="fallback")) == state


def test_a_claim_needs_the_state_the_run_planned_against(location: str) -> None:
    with Ledger.open(location) as ledger:
        ledger.claim([Intent("r1", "acc", "m1", [("+15550001", h("a"))])])
        ledger.record_outcomes([RequestOutcome("r1", [DeliveryOutcome("+15550001", R)])])
        stale = ledger.claim([Intent("r2", "acc", "m1", [("+15550001", h("a"))], expected={"+15550001": "old"})])
        fresh = ledger.claim([Intent("r3", "acc", "m1", [("+15550001", h("a"))], expected={"+15550001": "r1"})])
        # an outcome of a superseded request changes nothing
        with pytest.raises(ValueError):
            ledger.record_outcomes([RequestOutcome("r2", [DeliveryOutcome("+15550001", A)])])
    assert stale[0].claimed == () and fresh[0].claimed == ("+15550001",)
    state = Ledger.read(location).state(key("+15550001"))
    assert state is not None and (state.status, state.request_id, state.interrupted) == (U, "r3", True)  # its run ended


@pytest.mark.parametrize(
    ("intent", "message"),
    [
        (Intent("r", "acc", "m1", [("07400123456", "0" * 64)]), "E.164"),
        (Intent("r", "acc", "m1", [("+15550001", "not-a-hash")]), "SHA-256"),
        (Intent("r", "acc", "m1", []), "no deliveries"),
        (Intent("r", "", "m1", [("+15550001", "0" * 64)]), "account"),
        (Intent("r", "acc", "m1", [("+15550001", "0" * 64), ("+15550001", "0" * 64)]), "twice"),
    ],
)
def test_invalid_intents_write_nothing(location: str, intent: Intent, message: str) -> None:
    with Ledger.open(location) as ledger:
        with pytest.raises(ValueError, match=message):
            ledger.claim([Intent("ok", "acc", "m1", [("+15550009", "0" * 64)]), intent])
        assert list(ledger.states()) == []


def test_runs_racing_for_the_same_deliveries_each_get_a_share_and_none_twice(location: str) -> None:
    recipients = [f"+1555000{n:04d}" for n in range(200)]
    Ledger.open(location).close()  # the schema first, so the race is about claims
    got: dict[int, list[str]] = {}

    def run(n: int) -> None:
        with Ledger.open(location) as ledger:
            mine: list[str] = []
            for start in range(0, len(recipients), 10):
                chunk = recipients[start : start + 10]
                [claim] = ledger.claim([Intent(f"r{n}-{start}", "acc", "m1", [(r, h("a")) for r in chunk])])
                mine += claim.claimed
            got[n] = mine

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    claimed = [r for mine in got.values() for r in mine]
    assert sorted(claimed) == recipients  # each exactly once


def test_a_delivery_claimed_by_a_live_run_is_in_progress_elsewhere(location: str) -> None:
    child = start_child(location, "+15550001")
    try:
        state = Ledger.read(location).state(key("+15550001"))
        assert state is not None and (state.status, state.in_progress) == (P, True)
        assert decide(state, "0" * 64, retry_rejected=True, retry_unknown=True, resend_changed=True) is Decision.SKIP_IN_PROGRESS
        with Ledger.open(location) as ledger:
            assert ledger.interrupted_on_open == ()
            [claim] = ledger.claim([Intent("r2", "acc", "m1", [("+15550001", "0" * 64)], expected={"+15550001": "child-request"})])
        assert claim.claimed == ()
    finally:
        child.kill()
        child.wait()


def test_a_claim_left_by_a_dead_run_is_unknown_interrupted(location: str) -> None:
    child = start_child(location, "+15550001", "+15550002")
    child.send_signal(signal.SIGKILL)
    child.wait()

    seen = Ledger.read(location).state(key("+15550001"))
    assert seen is not None and (seen.status, seen.interrupted, seen.in_progress) == (U, True, False)
    with Ledger.open(location) as ledger:
        assert sorted(k.recipient for k in ledger.interrupted_on_open) == ["+15550001", "+15550002"]
    with Ledger.open(location) as again:
        assert again.interrupted_on_open == ()  # recorded once
    state = Ledger.read(location).state(key("+15550002"))
    assert state is not None and (state.status, state.interrupted) == (U, True)


def test_threads_may_share_a_ledger(location: str) -> None:
    with Ledger.open(location) as ledger:

        def work(n: int) -> None:
            for i in range(20):
                rid = f"r{n}-{i}"
                ledger.claim([Intent(rid, "acc", "m1", [(f"+1555{n:02d}{i:04d}", h("x"))])])
                ledger.record_outcomes([RequestOutcome(rid, [DeliveryOutcome(f"+1555{n:02d}{i:04d}", A)])])

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sum(1 for s in Ledger.read(location).states() if s.status is A) == 160


def test_a_schema_newer_than_this_smsspec_is_refused_clearly(location: str) -> None:
    with Ledger.open(location) as ledger, ledger._guard(), ledger._transaction() as db:
        db.execute("UPDATE smsspec_schema SET version = 99")
    for opener in (Ledger.open, Ledger.read):
        with pytest.raises(LedgerError, match=f"schema version 99; this smsspec knows up to {SCHEMA_VERSION}"):
            opener(location)


def test_the_opt_out_list_is_added_to_listed_and_removed_from(location: str) -> None:
    with Ledger.open(location) as ledger:
        assert ledger.add_opt_outs(["+15550001", "+15550002"], "STOP reply") == 2
        assert ledger.add_opt_outs(["+15550002", "+15550003"], "import stops.csv") == 1  # one was on it
        assert ledger.remove_opt_outs(["+15550001", "+15550009"]) == 1
    with Ledger.read(location) as view:
        assert [(n, s) for n, _, s in view.opt_outs()] == [("+15550002", "STOP reply"), ("+15550003", "import stops.csv")]
        assert view.opted_out(["+15550001", "+15550002", "+15550004"]) == {"+15550002"}
    with Ledger.read(location, "another-project") as other:
        assert other.opt_outs() == []  # each project keeps its own list


def test_a_claim_never_takes_a_number_on_the_opt_out_list(location: str) -> None:
    """Checked in the claim's own transaction: an opt-out written by another connection
    after a run planned stops that run from sending to the number."""
    with Ledger.open(location) as run:
        with Ledger.open(location) as other:
            other.add_opt_outs(["+15550002"], "STOP reply")
        [claim] = run.claim([Intent("r1", "acc", "m1", [("+15550001", h("a")), ("+15550002", h("a"))], {})])
        assert claim.claimed == ("+15550001",)
        assert claim.opted_out == ("+15550002",) and claim.refused == ()
        assert run.states_for("m1", ["+15550002"]) == {}


def test_import_of_an_old_jsonl_ledger_is_idempotent(location: str, tmp_path: Path) -> None:
    old = tmp_path / "ledger.jsonl"
    at = "2026-01-01T00:00:00+00:00"
    lines = [
        {"type": "header", "format": "smsspec-ledger", "version": 1},
        {"type": "intent", "request_id": "a", "at": at, "account": "acc", "message_id": "m1",
         "deliveries": [{"recipient": "+15550001", "content_hash": h("x")},
                        {"recipient": "+15550002", "content_hash": h("x")}], "meta": {"file": "f"}},
        {"type": "outcome", "request_id": "a", "at": at, "deliveries": [
            {"recipient": "+15550001", "status": "accepted", "definitive": False, "provider_id": "p1",
             "error_code": None, "error_text": None}], "meta": {"http_status": 200}},
    ]
    old.write_text("".join(json.dumps(line) + "\n" for line in lines) + "{torn", encoding="utf-8")
    with Ledger.open(location) as ledger:
        assert import_jsonl(old, ledger) == (2, 0, 1)
    with Ledger.open(location) as ledger:
        assert import_jsonl(old, ledger) == (0, 2, 1)
    states = {s.key.recipient: s for s in Ledger.read(location).states()}
    assert (states["+15550001"].status, states["+15550001"].provider_id) == (A, "p1")
    assert (states["+15550002"].status, states["+15550002"].interrupted) == (U, True)  # left pending


# --------------------------------------------------------------------------- SQLite files


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "ledger.db"


def test_an_older_ledger_reads_as_no_opt_outs_and_gets_the_table_when_a_run_opens_it(db: Path) -> None:
    with Ledger.open(db):
        pass
    with sqlite3.connect(db) as raw:  # as a ledger of schema version 2 (before opt-outs) left it
        raw.execute("DROP TABLE smsspec_opt_outs")
        raw.execute("UPDATE smsspec_schema SET version = 2")
    with Ledger.read(db) as view:
        assert view.opted_out(["+15550001"]) == set() and view.opt_outs() == []
    with Ledger.open(db) as ledger:
        assert ledger.add_opt_outs(["+15550001"], "STOP reply") == 1
    with sqlite3.connect(db) as raw:
        assert raw.execute("SELECT version FROM smsspec_schema").fetchone() == (SCHEMA_VERSION,)


def test_a_new_sqlite_ledger_is_private_and_in_wal_mode(db: Path) -> None:
    Ledger.open(db).close()
    assert db.stat().st_mode & 0o077 == 0  # recipients are personal data
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_lookup_is_an_index_probe_not_a_replay(db: Path) -> None:
    Ledger.open(db).close()
    with sqlite3.connect(db) as conn:
        plan = conn.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM smsspec_deliveries WHERE project = ? AND message_id = ?"
            " AND recipient IN (?, ?)", ("p", "m", "+1", "+2"),
        ).fetchall()
    assert any("USING PRIMARY KEY" in row[-1] or "USING INDEX" in row[-1] for row in plan), plan


@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
def test_what_is_not_a_regular_file_is_refused_without_reading_it(tmp_path: Path, kind: str) -> None:
    if kind == "fifo":
        target = tmp_path / "fifo"
        os.mkfifo(target)
    elif kind == "device":
        target = Path("/dev/zero")
    else:
        target = tmp_path
    for opener in (Ledger.open, Ledger.read):
        with pytest.raises(LedgerError, match=r"cannot use .* as a ledger"):
            opener(target)


def test_two_spellings_of_one_file_are_one_ledger(db: Path, tmp_path: Path) -> None:
    link = tmp_path / "other-name.db"
    with Ledger.open(db) as ledger:
        ledger.claim([Intent("r1", "acc", "m1", [("+15550001", h("a"))])])
        ledger.record_outcomes([RequestOutcome("r1", [DeliveryOutcome("+15550001", A)])])
    link.symlink_to(db)
    with Ledger.open(link) as through_link:
        [claim] = through_link.claim([Intent("r2", "acc", "m1", [("+15550001", h("a"))])])
    assert claim.claimed == ()
    assert not (tmp_path / "other-name.db-wal").exists()


def test_a_hard_linked_ledger_is_refused(db: Path, tmp_path: Path) -> None:
    Ledger.open(db).close()
    os.link(db, tmp_path / "second-name.db")
    with pytest.raises(LedgerError, match="2 names"):
        Ledger.open(db)


def test_a_damaged_file_is_a_clear_error(db: Path) -> None:
    with Ledger.open(db) as ledger:
        for n in range(300):
            ledger.claim([Intent(f"r{n}", "acc", "m1", [(f"+1555{n:07d}", h("a"))])])
    data = bytearray(db.read_bytes())
    page = 4096
    for start in range(page, len(data), page):  # every b-tree page header after the schema's
        data[start : start + 16] = b"\xff" * 16
    db.write_bytes(bytes(data))
    with pytest.raises(LedgerCorrupt, match="damaged or not an smsspec ledger"):
        list(Ledger.read(db).states())


def test_an_old_jsonl_file_given_as_the_ledger_points_to_import(tmp_path: Path) -> None:
    old = tmp_path / "ledger.jsonl"
    old.write_text('{"type":"header","format":"smsspec-ledger","version":1}\n', encoding="utf-8")
    with pytest.raises(LedgerCorrupt, match="ledger import"):
        Ledger.open(old)


# --------------------------------------------------------------------------- locations


def test_a_url_password_is_never_shown() -> None:
    url = "postgresql://ops:s3cr%2Ft@db.example:5432/ledger?sslmode=require&password=other"
    where = parse_location(url)
    assert where.is_postgres
    shown = where.shown()
    assert "s3cr" not in shown and "other" not in shown
    assert shown == redact_url(url) == "postgresql://ops:***@db.example:5432/ledger?sslmode=require&password=***"
    assert {"other", "s3cr%2Ft", "s3cr/t"} <= set(where.secrets())


# --------------------------------------------------------------------------- policy (pure)


def prev(status: DeliveryStatus, content_hash: str = "", definitive: bool = False, in_progress: bool = False) -> DeliveryState:
    return DeliveryState(
        key=key("+15550001"),
        content_hash=content_hash or h("old"),
        status=status,
        definitive=definitive,
        provider_id=None,
        error_code=None,
        error_text=None,
        request_id="r1",
        at="2024-01-01T00:00:00+00:00",
        interrupted=False,
        in_progress=in_progress,
    )


SAME, CHANGED = h("old"), h("new")
NO_FLAGS = {"retry_rejected": False, "retry_unknown": False, "resend_changed": False}
ALL_FLAGS = {"retry_rejected": True, "retry_unknown": True, "resend_changed": True}


@pytest.mark.parametrize(
    ("previous", "content_hash", "flags", "expected"),
    [
        (None, SAME, {}, Decision.SEND),
        (prev(A), SAME, {}, Decision.SKIP_ACCEPTED),
        (prev(A), SAME, {"resend_changed": True}, Decision.SKIP_ACCEPTED),
        (prev(A), SAME, {"retry_rejected": True, "retry_unknown": True}, Decision.SKIP_ACCEPTED),
        (prev(A), CHANGED, {}, Decision.SKIP_CHANGED_AFTER_ACCEPT),
        (prev(A), CHANGED, {"resend_changed": True}, Decision.SEND),
        (prev(U), SAME, {}, Decision.SKIP_UNKNOWN),
        (prev(U), CHANGED, {"resend_changed": True}, Decision.SKIP_UNKNOWN),
        (prev(U), SAME, {"retry_unknown": True}, Decision.SEND),
        (prev(P), SAME, {}, Decision.SKIP_UNKNOWN),
        (prev(P), SAME, {"retry_unknown": True}, Decision.SEND),
        (prev(P, in_progress=True), SAME, ALL_FLAGS, Decision.SKIP_IN_PROGRESS),
        (prev(R, definitive=True), SAME, {}, Decision.SKIP_REJECTED),
        (prev(R, definitive=True), CHANGED, {}, Decision.SEND),
        (prev(R, definitive=False), CHANGED, {}, Decision.SKIP_REJECTED),
        (prev(R, definitive=False), SAME, {"retry_rejected": True}, Decision.SEND),
        (prev(R, definitive=True), SAME, {"retry_rejected": True}, Decision.SEND),
        (prev(R), SAME, {"retry_unknown": True, "resend_changed": True}, Decision.SKIP_REJECTED),
    ],
)
def test_decide(
    previous: DeliveryState | None, content_hash: str, flags: dict[str, bool], expected: Decision
) -> None:
    assert decide(previous, content_hash, **{**NO_FLAGS, **flags}) is expected


def test_states_of_many_messages_returns_exactly_the_pairs_asked_for(location: str) -> None:
    # 3 messages x 300 recipients: more than one query's worth, and the asked pairs cross
    # (m1 to +1..., m2 to +2...), so rows of other pairs must not leak into the answer.
    numbers = {m: [f"+1555{m[-1]}{n:06d}" for n in range(300)] for m in ("m1", "m2", "m3")}
    with Ledger.open(location) as ledger:
        ledger.claim([Intent(f"r-{m}", "acc", m, [(n, h(m)) for n in numbers[m]]) for m in numbers])
        asked = [(m, n) for m in ("m1", "m2") for n in numbers[m][::2]] + [("m1", numbers["m2"][1]), ("m9", "+15550001")]
        found = ledger.states_of(asked)
        assert set(found) == {(m, n) for m in ("m1", "m2") for n in numbers[m][::2]}
        assert all(s.status is P and s.key.message_id == m and s.key.recipient == n for (m, n), s in found.items())
        assert ledger.states_of([]) == {}
    assert Ledger.read(location).states_of([("m3", numbers["m3"][7])])[("m3", numbers["m3"][7])].request_id == "r-m3"


def test_one_claim_batch_reports_each_intents_refusals_with_their_states(location: str) -> None:
    with Ledger.open(location) as first, Ledger.open(location) as second:
        first.claim([Intent("a1", "acc", "m1", [("+15550001", h("a"))]), Intent("a2", "acc", "m2", [("+15550002", h("a"))])])
        got = second.claim([
            Intent("b1", "acc", "m1", [("+15550001", h("a")), ("+15550003", h("a"))]),
            Intent("b2", "acc", "m2", [("+15550002", h("a"))]),
            Intent("b3", "acc", "m3", [("+15550001", h("a"))]),
        ])
    assert [c.claimed for c in got] == [("+15550003",), (), ("+15550001",)]
    assert [[(s.key.message_id, s.request_id, s.in_progress) for s in c.refused] for c in got] == [
        [("m1", "a1", True)], [("m2", "a2", True)], []]
