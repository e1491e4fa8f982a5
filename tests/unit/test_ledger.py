from __future__ import annotations

import errno
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smsspec.send.ledger import (
    Decision,
    DeliveryKey,
    DeliveryState,
    DeliveryStatus,
    Intent,
    Ledger,
    LedgerCorrupt,
    LedgerError,
    LedgerLocked,
    Outcome,
    RequestOutcome,
    decide,
)

REPO = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("ledger_child.py")
HEADER = b'{"type":"header","format":"smsspec-ledger","version":1}\n'

A = DeliveryStatus.ACCEPTED
R = DeliveryStatus.REJECTED
U = DeliveryStatus.UNKNOWN
P = DeliveryStatus.PENDING


def h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def key(recipient: str, message_id: str = "m1", account: str = "acc") -> DeliveryKey:
    return DeliveryKey(account, message_id, recipient)


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")


def child(*args: str, **kwargs: object) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [sys.executable, str(CHILD), *args], env=env, text=True, **kwargs
    )


def probe(path: Path) -> str:
    proc = child("probe", str(path), stdout=subprocess.PIPE)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    return out.strip()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "ledger.jsonl"


# --------------------------------------------------------------------------- basics


def test_new_ledger_starts_with_header_and_creates_dirs(path: Path) -> None:
    with Ledger.open(path) as ledger:
        assert list(ledger.states()) == []
    assert path.read_bytes() == HEADER
    assert (path.parent / "ledger.jsonl.lock").exists()
    assert path.stat().st_mode & 0o077 == 0  # recipients are personal data


def test_replay_after_reopen(path: Path) -> None:
    with Ledger.open(path) as ledger:
        ledger.record_intents(
            [
                Intent("r1", "acc", "m1", [("+15550001", h("a")), ("+15550002", h("a"))], {"p": 1}),
                Intent("r2", "acc", "m2", [("+15550001", h("b"))]),
            ]
        )
        ledger.record_outcomes(
            [
                RequestOutcome(
                    "r1",
                    [
                        Outcome("+15550001", A, provider_id="sk-1"),
                        Outcome("+15550002", R, definitive=True, error_code="21", error_text="bad"),
                    ],
                    {"http_status": 200, "provider": "skycore"},
                ),
                RequestOutcome("r2", [Outcome("+15550001", U)], {"http_status": 504}),
            ]
        )
        before = list(ledger.states())
        requests_before = list(ledger.requests())

    with Ledger.open(path) as reopened:
        assert list(reopened.states()) == before
        assert list(reopened.requests()) == requests_before
        assert reopened.skipped_lines == 0
        assert reopened.interrupted_on_open == ()
        accepted = reopened.state(key("+15550001"))
        assert accepted is not None
        assert (accepted.status, accepted.provider_id, accepted.content_hash) == (A, "sk-1", h("a"))
        rejected = reopened.state(key("+15550002"))
        assert rejected is not None
        assert (rejected.status, rejected.definitive, rejected.error_code, rejected.error_text) == (
            R,
            True,
            "21",
            "bad",
        )
        unknown = reopened.state(key("+15550001", "m2"))
        assert unknown is not None
        assert unknown.status is U and not unknown.interrupted
        assert reopened.state(key("+15559999")) is None

    view = Ledger.read(path)
    assert list(view.states()) == before
    assert list(view.requests()) == requests_before
    [r1, r2] = requests_before
    assert (r1.request_id, r1.meta, r1.outcomes[0].meta["provider"]) == ("r1", {"p": 1}, "skycore")
    assert r2.outcomes[0].deliveries == (Outcome("+15550001", U),)


def test_records_have_the_documented_shape(path: Path) -> None:
    with Ledger.open(path) as ledger:
        ledger.record_intents([Intent("r1", "acc", "m1", [("+15550001", h("a"))], {"x": "é"})])
        ledger.record_outcomes([RequestOutcome("r1", [Outcome("+15550001", A, provider_id="id")])])
    header, intent, outcome, end = lines_of(path)
    assert header + b"\n" == HEADER and end == b""
    assert json.loads(intent) == {
        "type": "intent",
        "request_id": "r1",
        "at": json.loads(intent)["at"],
        "account": "acc",
        "message_id": "m1",
        "deliveries": [{"recipient": "+15550001", "content_hash": h("a")}],
        "meta": {"x": "é"},
    }
    assert "é".encode() in intent  # UTF-8, not \u escapes
    assert json.loads(outcome)["deliveries"] == [
        {
            "recipient": "+15550001",
            "status": "accepted",
            "definitive": False,
            "provider_id": "id",
            "error_code": None,
            "error_text": None,
        }
    ]
    assert json.loads(outcome)["at"].endswith("+00:00")


def test_text_with_line_separators_stays_on_one_line(path: Path) -> None:
    tricky = 'a\nb\r\nc\u2028d\u2029e\x85f"g\\'
    with Ledger.open(path) as ledger:
        ledger.record_intents([Intent("r1", "acc", "m1", [("+15550001", h("a"))], {"t": tricky})])
        ledger.record_outcomes([RequestOutcome("r1", [Outcome("+15550001", R, error_text=tricky)])])
    assert len(path.read_bytes().split(b"\n")) == 4
    view = Ledger.read(path)
    assert view.skipped_lines == 0
    [request] = view.requests()
    assert request.meta == {"t": tricky}
    state = view.state(key("+15550001"))
    assert state is not None and state.error_text == tricky


def test_read_of_missing_file_is_empty_and_creates_nothing(path: Path) -> None:
    view = Ledger.read(path)
    assert not view.exists
    assert list(view.states()) == [] and list(view.requests()) == []
    assert not path.parent.exists()


def test_later_outcome_replaces_earlier_one(path: Path) -> None:
    with Ledger.open(path) as ledger:
        ledger.record_intents([Intent("r1", "acc", "m1", [("+15550001", h("a"))])])
        ledger.record_outcomes([RequestOutcome("r1", [Outcome("+15550001", U)])])
        ledger.record_outcomes([RequestOutcome("r1", [Outcome("+15550001", A, provider_id="x")])])
        state = ledger.state(key("+15550001"))
        assert state is not None and state.status is A
    [request] = Ledger.read(path).requests()
    assert [o.deliveries[0].status for o in request.outcomes] == [U, A]


def test_outcome_of_superseded_request_does_not_change_state(path: Path) -> None:
    with Ledger.open(path) as ledger:
        ledger.record_intents([Intent("r1", "acc", "m1", [("+15550001", h("a"))])])
        ledger.record_outcomes([RequestOutcome("r1", [Outcome("+15550001", U)])])
        ledger.record_intents([Intent("r2", "acc", "m1", [("+15550001", h("a"))])])
        ledger.record_outcomes([RequestOutcome("r2", [Outcome("+15550001", R)])])
        # A late delivery report for the first request is kept, but the state
        # follows the latest request.
        ledger.record_outcomes([RequestOutcome("r1", [Outcome("+15550001", A)])])
        state = ledger.state(key("+15550001"))
        assert state is not None and (state.request_id, state.status) == ("r2", R)
    state = Ledger.read(path).state(key("+15550001"))
    assert state is not None and (state.request_id, state.status) == ("r2", R)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("intents", "message"),
    [
        ([Intent("r0", "acc", "m1", [("+15550001", h("a"))])], "already in the ledger"),
        (
            [
                Intent("r9", "acc", "m9", [("+15550001", h("a"))]),
                Intent("r9", "acc", "m8", [("+15550001", h("a"))]),
            ],
            "already in the ledger",
        ),
        ([Intent("r1", "acc", "m1", [("+15550001", "not-a-hash")])], "SHA-256"),
        ([Intent("r1", "acc", "m1", [("+15550001", h("a").upper())])], "SHA-256"),
        ([Intent("r1", "acc", "m1", [])], "no deliveries"),
        ([Intent("r1", "acc", "m1", [("15550001", h("a"))])], "E.164"),
        ([Intent("r1", "acc", "m1", [("+1 555 0001", h("a"))])], "E.164"),
        ([Intent("r1", "", "m1", [("+15550001", h("a"))])], "account"),
        (
            [Intent("r1", "acc", "m1", [("+15550001", h("a")), ("+15550001", h("b"))])],
            "twice",
        ),
        (
            [
                Intent("r1", "acc", "m1", [("+15550001", h("a"))]),
                Intent("r2", "acc", "m1", [("+15550001", h("a"))]),
            ],
            "twice",
        ),
        ([Intent("r1", "acc", "m0", [("+15550000", h("a"))])], "in flight"),
    ],
)
def test_invalid_intents_write_nothing(path: Path, intents: list[Intent], message: str) -> None:
    with Ledger.open(path) as ledger:
        ledger.record_intents([Intent("r0", "acc", "m0", [("+15550000", h("a"))])])
        size = path.stat().st_size
        states = list(ledger.states())
        with pytest.raises(ValueError, match=message):
            ledger.record_intents(intents)
        assert path.stat().st_size == size
        assert list(ledger.states()) == states
        # The ledger stays usable after a refused call.
        ledger.record_outcomes([RequestOutcome("r0", [Outcome("+15550000", A)])])


@pytest.mark.parametrize(
    ("outcome", "error"),
    [
        (RequestOutcome("nope", [Outcome("+15550000", A)]), ValueError),
        (RequestOutcome("r0", [Outcome("+15559999", A)]), ValueError),
        (RequestOutcome("r0", [Outcome("+15550000", P)]), ValueError),
        (RequestOutcome("r0", []), ValueError),
        (RequestOutcome("r0", [Outcome("+15550000", A), Outcome("+15550000", R)]), ValueError),
        (RequestOutcome("r0", [Outcome("+15550000", U)], {"reason": "interrupted"}), ValueError),
        (RequestOutcome("r0", [Outcome("+15550000", A)], {"x": object()}), TypeError),
        (RequestOutcome("r0", [Outcome("+15550000", A)], {"x": float("nan")}), ValueError),
        (RequestOutcome("r0", [Outcome("+15550000", A, error_code=21)]), TypeError),  # type: ignore[arg-type]
    ],
)
def test_invalid_outcomes_write_nothing(
    path: Path, outcome: RequestOutcome, error: type[Exception]
) -> None:
    with Ledger.open(path) as ledger:
        ledger.record_intents([Intent("r0", "acc", "m0", [("+15550000", h("a"))])])
        size = path.stat().st_size
        with pytest.raises(error):
            ledger.record_outcomes([RequestOutcome("r0", [Outcome("+15550000", A)]), outcome])
        assert path.stat().st_size == size
        state = ledger.state(key("+15550000", "m0"))
        assert state is not None and state.status is P


def test_use_after_close_is_refused(path: Path) -> None:
    ledger = Ledger.open(path)
    ledger.close()
    ledger.close()
    with pytest.raises(LedgerError, match="closed"):
        ledger.record_intents([Intent("r1", "acc", "m1", [("+15550001", h("a"))])])


def test_failed_write_poisons_the_ledger(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = Ledger.open(path)
    real_write = os.write

    def full_disk(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full_disk)
    with pytest.raises(OSError, match="No space"):
        ledger.record_intents([Intent("r1", "acc", "m1", [("+15550001", h("a"))])])
    monkeypatch.setattr(os, "write", real_write)
    assert ledger.state(key("+15550001")) is None
    with pytest.raises(LedgerError, match="failed a write"):
        ledger.record_intents([Intent("r2", "acc", "m1", [("+15550002", h("a"))])])
    ledger.close()
    with Ledger.open(path) as reopened:
        assert list(reopened.states()) == []


def test_threads_may_share_a_ledger(path: Path) -> None:
    def work(thread: int) -> None:
        for i in range(25):
            request_id = f"t{thread}-{i}"
            recipient = f"+1555{thread:03d}{i:04d}"
            ledger.record_intents([Intent(request_id, "acc", "m1", [(recipient, h("a"))])])
            ledger.record_outcomes([RequestOutcome(request_id, [Outcome(recipient, A)])])

    with Ledger.open(path) as ledger:
        threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    view = Ledger.read(path)
    assert view.skipped_lines == 0
    assert len(list(view.requests())) == 100
    assert {s.status for s in view.states()} == {A}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_forked_child_cannot_write(path: Path) -> None:
    with Ledger.open(path) as ledger:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            try:
                ledger.record_intents([Intent("r1", "acc", "m1", [("+15550001", h("a"))])])
            except LedgerError:
                os._exit(0)
            os._exit(1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    assert list(Ledger.read(path).requests()) == []


# --------------------------------------------------------------------------- decide()


def prev(
    status: DeliveryStatus, content_hash: str = h("old"), definitive: bool = False
) -> DeliveryState:
    return DeliveryState(
        key=key("+15550001"),
        content_hash=content_hash,
        status=status,
        definitive=definitive,
        provider_id=None,
        error_code=None,
        error_text=None,
        request_id="r1",
        at="2024-01-01T00:00:00+00:00",
        interrupted=False,
    )


SAME, CHANGED = h("old"), h("new")
NO_FLAGS = {"retry_rejected": False, "retry_unknown": False, "resend_changed": False}


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


# --------------------------------------------------------------------------- torn lines, headers


def test_torn_last_line_is_repaired_and_earlier_records_survive(path: Path) -> None:
    with Ledger.open(path) as ledger:
        ledger.record_intents([Intent("r1", "acc", "m1", [("+15550001", h("a"))])])
        ledger.record_outcomes([RequestOutcome("r1", [Outcome("+15550001", A)])])
        expected = list(ledger.states())
    whole = json.dumps(
        {
            "type": "intent",
            "request_id": "r2",
            "at": "2024-01-01T00:00:00+00:00",
            "account": "acc",
            "message_id": "m2",
            "deliveries": [{"recipient": "+15550002", "content_hash": h("b")}],
            "meta": {"preview": "ünïcödé"},
        },
        ensure_ascii=False,
    ).encode()
    cut = whole.index("ï".encode()) + 1  # in the middle of a multi-byte character
    with path.open("ab") as f:
        f.write(whole[:cut])
    torn = path.read_bytes()

    view = Ledger.read(path)  # a reader must not touch the file
    assert view.skipped_lines == 1 and list(view.states()) == expected
    assert path.read_bytes() == torn

    with Ledger.open(path) as ledger:
        assert ledger.repaired_tail and ledger.skipped_lines == 1
        assert list(ledger.states()) == expected
        assert ledger.state(key("+15550002", "m2")) is None  # never acknowledged
        assert path.read_bytes() == torn + b"\n"  # only a newline appended
        ledger.record_intents([Intent("r3", "acc", "m3", [("+15550003", h("c"))])])

    with Ledger.open(path) as ledger:
        assert not ledger.repaired_tail and ledger.skipped_lines == 1
        state = ledger.state(key("+15550003", "m3"))
        assert state is not None and state.status is U and state.interrupted
        assert ledger.state(key("+15550001")) == expected[0]
    assert path.read_bytes().startswith(torn + b"\n")


def test_garbage_line_in_the_middle_is_skipped(path: Path) -> None:
    with Ledger.open(path) as ledger:
        ledger.record_intents([Intent("r1", "acc", "m1", [("+15550001", h("a"))])])
    with path.open("ab") as f:
        f.write(b'\x00\x00\x00\n[1,2]\n{"type":"outcome"}\n{"type":"future","x":1}\n')
    with Ledger.open(path) as ledger:
        assert ledger.skipped_lines == 3
        assert ledger.ignored_records == 1
        state = ledger.state(key("+15550001"))
        assert state is not None and state.interrupted


def test_empty_file_gets_a_header(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.touch()
    with Ledger.open(path):
        pass
    assert path.read_bytes() == HEADER


@pytest.mark.parametrize("cut", [1, 10, len(HEADER) - 1])
def test_torn_header_is_completed(path: Path, cut: int) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(HEADER[:cut])
    assert list(Ledger.read(path).states()) == []
    with Ledger.open(path) as ledger:
        ledger.record_intents([Intent("r1", "acc", "m1", [("+15550001", h("a"))])])
    assert path.read_bytes().startswith(HEADER)
    assert Ledger.read(path).skipped_lines == 0


@pytest.mark.parametrize(
    "content",
    [
        b"hello world\n",
        b"hello",
        b"recipient,status\n+15550001,accepted\n",
        b'{"type":"header","format":"something-else","version":1}\n',
        b'{"type":"header","format":"smsspec-ledger","version":2}\n',
        b'{"type":"intent","request_id":"r1"}\n',
    ],
)
def test_not_a_ledger_is_corrupt_and_left_alone(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with pytest.raises(LedgerCorrupt):
        Ledger.open(path)
    with pytest.raises(LedgerCorrupt):
        Ledger.read(path)
    assert path.read_bytes() == content
    # The failed open released the lock.
    path.write_bytes(HEADER)
    Ledger.open(path).close()


# --------------------------------------------------------------------------- interrupted runs


def test_pending_from_dead_process_becomes_unknown_interrupted(path: Path) -> None:
    proc = child("die", str(path), stdout=subprocess.PIPE)
    out, _ = proc.communicate(timeout=60)
    assert (out, proc.returncode) == ("committed\n", -signal.SIGKILL)
    keys = [DeliveryKey("acc", "m-die", "+15550001"), DeliveryKey("acc", "m-die", "+15550002")]

    view = Ledger.read(path)  # a reader cannot tell a dead run from a live one
    assert [view.state(k).status for k in keys] == [P, P]  # type: ignore[union-attr]

    with Ledger.open(path) as ledger:
        assert ledger.interrupted_on_open == tuple(keys)
        for k in keys:
            state = ledger.state(k)
            assert state is not None
            assert (state.status, state.interrupted, state.request_id) == (U, True, "die-1")
            assert decide(state, state.content_hash, **NO_FLAGS) is Decision.SKIP_UNKNOWN
            flags = {**NO_FLAGS, "retry_unknown": True}
            assert decide(state, state.content_hash, **flags) is Decision.SEND
    last = json.loads(lines_of(path)[-2])
    assert (last["type"], last["request_id"], last["meta"]) == (
        "outcome",
        "die-1",
        {"reason": "interrupted"},
    )
    assert [d["status"] for d in last["deliveries"]] == ["unknown", "unknown"]
    # The file itself tells the story: a second open finds nothing to settle and adds nothing.
    size = path.stat().st_size
    with Ledger.open(path) as ledger:
        assert ledger.interrupted_on_open == ()
        state = ledger.state(keys[0])
        assert state is not None and state.interrupted
    assert path.stat().st_size == size


def test_interrupted_is_recorded_in_the_file(path: Path) -> None:
    with Ledger.open(path) as ledger:
        ledger.record_intents(
            [
                Intent("r1", "acc", "m1", [("+15550001", h("a")), ("+15550002", h("a"))]),
                Intent("r2", "acc", "m2", [("+15550003", h("b"))]),
            ]
        )
        ledger.record_outcomes([RequestOutcome("r1", [Outcome("+15550001", A)])])
        # closing without outcomes for the rest is what a dead run leaves behind
    with Ledger.open(path) as ledger:
        assert set(ledger.interrupted_on_open) == {key("+15550002"), key("+15550003", "m2")}
        for k in ledger.interrupted_on_open:
            state = ledger.state(k)
            assert state is not None and (state.status, state.interrupted) == (U, True)
        first = ledger.state(key("+15550001"))
        assert first is not None and first.status is A and not first.interrupted
        # --retry-unknown: a new request for the same delivery is allowed and clears the flag.
        ledger.record_intents([Intent("r3", "acc", "m2", [("+15550003", h("b"))])])
        ledger.record_outcomes([RequestOutcome("r3", [Outcome("+15550003", A)])])
    records = [json.loads(line) for line in lines_of(path)[1:] if line]
    interrupted = [r for r in records if r.get("meta") == {"reason": "interrupted"}]
    assert {
        (r["request_id"], d["recipient"], d["status"]) for r in interrupted for d in r["deliveries"]
    } == {
        ("r1", "+15550002", "unknown"),
        ("r2", "+15550003", "unknown"),
    }
    view = Ledger.read(path)
    state = view.state(key("+15550003", "m2"))
    assert state is not None and (state.status, state.interrupted, state.request_id) == (
        A,
        False,
        "r3",
    )
    r1 = next(r for r in view.requests() if r.request_id == "r1")
    assert [o.interrupted for o in r1.outcomes] == [False, True]


# --------------------------------------------------------------------------- locking


def test_second_open_in_same_process_is_locked(path: Path) -> None:
    with Ledger.open(path):
        with pytest.raises(LedgerLocked, match=f"pid {os.getpid()}") as info:
            Ledger.open(path)
        assert info.value.pid == os.getpid()
        # Reading needs no lock.
        assert Ledger.read(path).exists
    Ledger.open(path).close()


def test_lock_across_processes(path: Path) -> None:
    ledger = Ledger.open(path)
    assert probe(path) == f"locked {os.getpid()}"
    ledger.close()
    assert probe(path) == "ok"


def test_lock_is_released_when_the_holder_is_killed(path: Path) -> None:
    holder = child("hold", str(path), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert holder.stdout is not None and holder.stdin is not None
    try:
        assert holder.stdout.readline() == "ready\n"
        with pytest.raises(LedgerLocked) as info:
            Ledger.open(path)
        assert info.value.pid == holder.pid
        assert str(holder.pid) in str(info.value)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        holder.stdin.close()
        holder.stdout.close()
    Ledger.open(path).close()


def test_open_waits_for_the_holder(path: Path) -> None:
    holder = child("hold", str(path), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert holder.stdout is not None and holder.stdin is not None
    assert holder.stdout.readline() == "ready\n"
    release = threading.Timer(0.3, holder.stdin.close)
    release.start()
    try:
        with Ledger.open(path, wait=120.0) as ledger:
            assert not ledger.closed
        assert holder.wait(timeout=60) == 0
    finally:
        release.cancel()
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        holder.stdout.close()


# --------------------------------------------------------------------------- SIGKILL


@dataclass
class Committed:
    intents: dict[str, tuple[str, str, list[str]]]
    outcomes: dict[tuple[str, str], str]


def run_and_kill(path: Path, run: str, rng: random.Random) -> Committed:
    """Start a writer, let it commit a random amount, SIGKILL it, return what it acknowledged."""
    proc = child("writer", str(path), run, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stdout.readline() == "ready\n"
    seen = [proc.stdout.readline() for _ in range(rng.randint(0, 60))]
    # Let the writer run on for a random stretch, then kill it wherever it is.
    time.sleep(rng.random() * 0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    rest = proc.stdout.read()
    proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL, "the writer died on its own"
    return parse_committed("".join(seen) + rest)


def parse_committed(text: str) -> Committed:
    committed = Committed({}, {})
    for line in text.split("\n")[:-1]:  # the last piece may be cut mid-print
        parts = line.split()
        if parts[0] == "I":
            committed.intents[parts[1]] = (parts[2], parts[3], parts[4:])
        elif parts[0] == "O":
            committed.outcomes[(parts[1], parts[2])] = parts[3]
    return committed


def test_sigkill_never_loses_a_committed_record(path: Path) -> None:
    rng = random.Random(os.environ.get("LEDGER_KILL_SEED", "smsspec"))
    all_intents: dict[str, tuple[str, str, list[str]]] = {}
    all_outcomes: dict[tuple[str, str], str] = {}
    for run in range(8):
        committed = run_and_kill(path, f"run{run}", rng)
        all_intents.update(committed.intents)
        all_outcomes.update(committed.outcomes)

        with Ledger.open(path) as ledger:
            requests = {r.request_id: r for r in ledger.requests()}
            for request_id, (account, message_id, recipients) in all_intents.items():
                assert request_id in requests, f"committed intent {request_id} lost"
                assert [d.recipient for d in requests[request_id].deliveries] == recipients
                for recipient in recipients:
                    state = ledger.state(DeliveryKey(account, message_id, recipient))
                    assert state is not None and state.request_id == request_id
                    assert state.status is not P
                    expected = all_outcomes.get((request_id, recipient))
                    if expected is not None:
                        assert state.status.value == expected
                        assert not state.interrupted
            assert ledger.skipped_lines <= run + 1  # at most one torn tail per kill

        # Every line of the file is complete and, torn tails aside, valid JSON.
        raw = path.read_bytes()
        assert raw.endswith(b"\n")
        bad = 0
        for line in raw.split(b"\n")[:-1]:
            try:
                json.loads(line)
            except ValueError:
                bad += 1
        assert bad == Ledger.read(path).skipped_lines
    assert all_intents, "the writer never committed anything"


# --------------------------------------------------------------------------- model-based


ACCOUNTS = ["a1", "a2"]
MESSAGES = ["m1", "m2"]
RECIPIENTS = ["+15550001", "+15550002", "+15550003"]
HASHES = [h("x"), h("y"), h("z")]
texts = st.none() | st.text(max_size=12)
metas = st.dictionaries(
    st.sampled_from(["provider", "http", "preview"]), texts | st.integers(), max_size=2
)


@dataclass
class ModelState:
    content_hash: str
    status: DeliveryStatus
    definitive: bool
    provider_id: str | None
    error_code: str | None
    error_text: str | None
    request_id: str
    interrupted: bool


def comparable(states: Iterator[DeliveryState]) -> dict[DeliveryKey, ModelState]:
    return {
        s.key: ModelState(
            s.content_hash,
            s.status,
            s.definitive,
            s.provider_id,
            s.error_code,
            s.error_text,
            s.request_id,
            s.interrupted,
        )
        for s in states
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_replay_matches_in_memory_model(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ledger.jsonl"
        model: dict[DeliveryKey, ModelState] = {}
        requests: dict[str, tuple[str, str, list[str]]] = {}
        ledger = Ledger.open(path)
        try:
            for step in range(data.draw(st.integers(1, 25), label="steps")):
                op = data.draw(st.sampled_from(["intents", "outcomes", "reopen"]), label="op")
                if op == "intents":
                    batch: list[Intent] = []
                    taken: set[DeliveryKey] = set()
                    for n in range(data.draw(st.integers(1, 3))):
                        account = data.draw(st.sampled_from(ACCOUNTS))
                        message_id = data.draw(st.sampled_from(MESSAGES))
                        chosen = data.draw(st.lists(st.sampled_from(RECIPIENTS), unique=True))
                        free = [
                            r
                            for r in chosen
                            if DeliveryKey(account, message_id, r) not in taken
                            and getattr(
                                model.get(DeliveryKey(account, message_id, r)), "status", None
                            )
                            is not P
                        ]
                        if not free:
                            continue
                        deliveries = [(r, data.draw(st.sampled_from(HASHES))) for r in free]
                        request_id = f"r{step}-{n}"
                        batch.append(
                            Intent(request_id, account, message_id, deliveries, data.draw(metas))
                        )
                        taken.update(DeliveryKey(account, message_id, r) for r in free)
                        requests[request_id] = (account, message_id, free)
                    ledger.record_intents(batch)
                    for intent in batch:
                        for r, content_hash in intent.deliveries:
                            model[DeliveryKey(intent.account, intent.message_id, r)] = ModelState(
                                content_hash, P, False, None, None, None, intent.request_id, False
                            )
                elif op == "outcomes" and requests:
                    outcomes: list[RequestOutcome] = []
                    for _ in range(data.draw(st.integers(1, 3))):
                        request_id = data.draw(st.sampled_from(sorted(requests)))
                        account, message_id, recipients = requests[request_id]
                        chosen = data.draw(
                            st.lists(st.sampled_from(recipients), min_size=1, unique=True)
                        )
                        outcomes.append(
                            RequestOutcome(
                                request_id,
                                [
                                    Outcome(
                                        r,
                                        data.draw(st.sampled_from([A, R, U])),
                                        data.draw(st.booleans()),
                                        data.draw(texts),
                                        data.draw(texts),
                                        data.draw(texts),
                                    )
                                    for r in chosen
                                ],
                                data.draw(metas),
                            )
                        )
                    ledger.record_outcomes(outcomes)
                    for outcome in outcomes:
                        account, message_id, _ = requests[outcome.request_id]
                        for o in outcome.deliveries:
                            k = DeliveryKey(account, message_id, o.recipient)
                            current = model[k]
                            if current.request_id == outcome.request_id:
                                model[k] = ModelState(
                                    current.content_hash,
                                    o.status,
                                    o.definitive,
                                    o.provider_id,
                                    o.error_code,
                                    o.error_text,
                                    outcome.request_id,
                                    False,
                                )
                elif op == "reopen":
                    assert comparable(Ledger.read(path).states()) == model
                    ledger.close()
                    ledger = Ledger.open(path)
                    for k, s in model.items():
                        if s.status is P:
                            model[k] = ModelState(
                                s.content_hash, U, False, None, None, None, s.request_id, True
                            )
                assert comparable(ledger.states()) == model
        finally:
            ledger.close()
        view = Ledger.read(path)
        assert view.skipped_lines == 0
        assert comparable(view.states()) == model
        assert {r.request_id for r in view.requests()} == set(requests)
