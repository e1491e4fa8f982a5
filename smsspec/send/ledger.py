"""Append-only delivery ledger: at most one send of each delivery.

A *delivery* is one message to one recipient through one account
(:class:`DeliveryKey`).  A *request* is one HTTP call that carries one or
more deliveries.  The sender follows a write-ahead protocol::

    previous = ledger.state(key)
    if decide(previous, content_hash, ...) is Decision.SEND:
        ledger.record_intents([Intent(request_id, account, message_id, ...)])
        # durable from here on: only now may the request go out
        response = provider.send(...)
        ledger.record_outcomes([RequestOutcome(request_id, ...)])

If the process dies between the intent and the outcome, the next
:meth:`Ledger.open` finds the delivery PENDING and turns it into UNKNOWN with
``interrupted=True``; :func:`decide` then skips it unless the operator asks to
retry unknown deliveries.  So a crash can lose a send, never double it.

File format: JSON Lines, UTF-8, append-only.  The first line is a header::

    {"type":"header","format":"smsspec-ledger","version":1}

followed by ``intent`` and ``outcome`` records (see :meth:`Ledger.record_intents`
and :meth:`Ledger.record_outcomes`).  Existing bytes are never rewritten; the
only repair is appending a newline after a line torn by a kill mid-write.

Secrets: the ledger is a plain file that operators read, copy and attach to
bug reports.  Callers must never put secrets (API keys, tokens, passwords,
rendered text that embeds them) in any field, ``meta`` included.  The content
hash must be computed over the rendered message *without* secrets; it is
checked to be a hex SHA-256 so that text cannot end up there by mistake.

Concurrency: one writer at a time, enforced by ``flock`` on ``<path>.lock``
(which holds the writer's pid and is never deleted: deleting it while a run
holds it would let a second writer in).  :meth:`Ledger.read` takes no lock.
Within a process, a :class:`Ledger` may be shared by threads (writes are
serialised) but not across ``fork()``: only the process that opened it writes.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import gc
import io
import json
import os
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

__all__ = [
    "FORMAT",
    "VERSION",
    "Decision",
    "DeliveryKey",
    "DeliveryState",
    "DeliveryStatus",
    "Intent",
    "IntentDelivery",
    "Ledger",
    "LedgerCorrupt",
    "LedgerError",
    "LedgerLocked",
    "LedgerView",
    "Outcome",
    "RecordedOutcome",
    "RequestOutcome",
    "RequestRecord",
    "decide",
]

FORMAT = "smsspec-ledger"
VERSION = 1

_HEADER_LINE = (
    json.dumps({"type": "header", "format": FORMAT, "version": VERSION}, separators=(",", ":"))
    + "\n"
).encode("utf-8")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
_INTERRUPTED_META: Mapping[str, Any] = {"reason": "interrupted"}
_LOCK_POLL_SECONDS = 0.05


# --------------------------------------------------------------------------- errors


class LedgerError(Exception):
    """Base class for ledger errors."""


class LedgerLocked(LedgerError):
    """Another process (or another :class:`Ledger` in this one) holds the ledger."""

    def __init__(self, path: Path, pid: int | None) -> None:
        holder = f"pid {pid}" if pid is not None else "pid unknown"
        super().__init__(f"ledger {path} is in use by another smsspec run ({holder})")
        self.path = path
        self.pid = pid


class LedgerCorrupt(LedgerError):
    """The file is not a ledger at all (missing or wrong header).

    A torn last line is not corruption: :meth:`Ledger.open` repairs it.
    """


# --------------------------------------------------------------------------- values


class DeliveryStatus(str, Enum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class DeliveryKey:
    """Identity of a delivery; ``recipient`` is in E.164."""

    account: str
    message_id: str
    recipient: str


@dataclass(frozen=True)
class DeliveryState:
    """Latest known state of a delivery: the latest outcome of its latest request.

    ``interrupted`` is true when the delivery was found PENDING, left by a run
    that died between intent and outcome; ``status`` is then UNKNOWN.
    ``at`` is the ISO 8601 UTC time of the record that set this state.
    """

    key: DeliveryKey
    content_hash: str
    status: DeliveryStatus
    definitive: bool
    provider_id: str | None
    error_code: str | None
    error_text: str | None
    request_id: str
    at: str
    interrupted: bool


@dataclass(frozen=True)
class Outcome:
    """What the provider said about one recipient of a request.

    ``definitive`` matters for REJECTED: the provider refused this content for
    good (as opposed to a throttle or a transient refusal).
    """

    recipient: str
    status: DeliveryStatus
    definitive: bool = False
    provider_id: str | None = None
    error_code: str | None = None
    error_text: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.status, DeliveryStatus):
            # Accept the plain string values too ("accepted", ...).
            object.__setattr__(self, "status", DeliveryStatus(self.status))


class IntentDelivery(NamedTuple):
    recipient: str
    content_hash: str


@dataclass(frozen=True)
class Intent:
    """One request about to be sent.  ``meta`` must be JSON and free of secrets."""

    request_id: str
    account: str
    message_id: str
    deliveries: Sequence[tuple[str, str]]
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "deliveries", tuple(IntentDelivery(r, h) for r, h in self.deliveries)
        )

    def keys(self) -> tuple[DeliveryKey, ...]:
        return tuple(DeliveryKey(self.account, self.message_id, r) for r, _ in self.deliveries)


@dataclass(frozen=True)
class RequestOutcome:
    """Outcomes of (some or all) deliveries of one request.  ``meta``: JSON, no secrets."""

    request_id: str
    deliveries: Sequence[Outcome]
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "deliveries", tuple(self.deliveries))


@dataclass(frozen=True)
class RecordedOutcome:
    """One outcome record as replayed from the file."""

    at: str
    deliveries: tuple[Outcome, ...]
    meta: Mapping[str, Any]
    interrupted: bool


@dataclass(frozen=True)
class RequestRecord:
    """A request as replayed from the file: its intent and every outcome recorded for it."""

    request_id: str
    account: str
    message_id: str
    at: str
    deliveries: tuple[IntentDelivery, ...]
    meta: Mapping[str, Any]
    outcomes: tuple[RecordedOutcome, ...]


# --------------------------------------------------------------------------- policy


class Decision(str, Enum):
    SEND = "send"
    SKIP_ACCEPTED = "skip-accepted"
    SKIP_UNKNOWN = "skip-unknown"
    SKIP_REJECTED = "skip-rejected"
    SKIP_CHANGED_AFTER_ACCEPT = "skip-changed-after-accept"


def decide(
    previous: DeliveryState | None,
    content_hash: str,
    *,
    retry_rejected: bool,
    retry_unknown: bool,
    resend_changed: bool,
) -> Decision:
    """Re-run policy shared by the sender and ``plan``.

    UNKNOWN (and PENDING) is skipped by default because the provider may have
    delivered it: re-sending risks a duplicate, which is worse than a miss.
    """
    if previous is None:
        return Decision.SEND
    status = previous.status
    if status is DeliveryStatus.ACCEPTED:
        if previous.content_hash == content_hash:
            return Decision.SKIP_ACCEPTED
        return Decision.SEND if resend_changed else Decision.SKIP_CHANGED_AFTER_ACCEPT
    if status in (DeliveryStatus.UNKNOWN, DeliveryStatus.PENDING):
        return Decision.SEND if retry_unknown else Decision.SKIP_UNKNOWN
    # REJECTED: a definitive refusal of content that has since changed is worth a new try.
    if previous.definitive and previous.content_hash != content_hash:
        return Decision.SEND
    if retry_rejected:
        return Decision.SEND
    return Decision.SKIP_REJECTED


# --------------------------------------------------------------------------- replay

_OUTCOME_STATUSES = {s.value: s for s in DeliveryStatus if s is not DeliveryStatus.PENDING}


class _BadRecord(Exception):
    pass


def _get_str(obj: Mapping[str, Any], name: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str):
        raise _BadRecord(name)
    return value


def _get_opt_str(obj: Mapping[str, Any], name: str) -> str | None:
    value = obj.get(name)
    if value is not None and not isinstance(value, str):
        raise _BadRecord(name)
    return value


def _get_meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("meta", {})
    if not isinstance(meta, dict):
        raise _BadRecord("meta")
    return meta


def _get_list(obj: Mapping[str, Any], name: str) -> list[Any]:
    value = obj.get(name)
    if not isinstance(value, list):
        raise _BadRecord(name)
    return value


@dataclass
class _Request:
    request_id: str
    account: str
    message_id: str
    at: str
    deliveries: tuple[IntentDelivery, ...]
    meta: Mapping[str, Any]
    outcomes: list[RecordedOutcome] = field(default_factory=list)
    hashes: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.hashes = dict(self.deliveries)

    def freeze(self) -> RequestRecord:
        return RequestRecord(
            self.request_id,
            self.account,
            self.message_id,
            self.at,
            self.deliveries,
            self.meta,
            tuple(self.outcomes),
        )


@dataclass
class _Replay:
    """Delivery states folded from the records, in file order."""

    states: dict[DeliveryKey, DeliveryState] = field(default_factory=dict)
    requests: dict[str, _Request] = field(default_factory=dict)
    skipped_lines: int = 0
    ignored_records: int = 0

    def apply_line(self, line: bytes) -> None:
        if not line.strip():
            return
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise _BadRecord("not an object")
            self.apply(record)
        except (ValueError, _BadRecord):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            self.skipped_lines += 1

    def apply(self, record: Mapping[str, Any]) -> None:
        kind = record.get("type")
        if kind == "intent":
            self._apply_intent(record)
        elif kind == "outcome":
            self._apply_outcome(record)
        else:
            self.ignored_records += 1

    def _apply_intent(self, record: Mapping[str, Any]) -> None:
        request_id = _get_str(record, "request_id")
        at = _get_str(record, "at")
        account = _get_str(record, "account")
        message_id = _get_str(record, "message_id")
        meta = _get_meta(record)
        deliveries: list[IntentDelivery] = []
        for item in _get_list(record, "deliveries"):
            if not isinstance(item, dict):
                raise _BadRecord("delivery")
            deliveries.append(
                IntentDelivery(_get_str(item, "recipient"), _get_str(item, "content_hash"))
            )
        if request_id in self.requests:
            raise _BadRecord("duplicate request_id")
        self.requests[request_id] = _Request(
            request_id, account, message_id, at, tuple(deliveries), meta
        )
        for recipient, content_hash in deliveries:
            key = DeliveryKey(account, message_id, recipient)
            self.states[key] = DeliveryState(
                key=key,
                content_hash=content_hash,
                status=DeliveryStatus.PENDING,
                definitive=False,
                provider_id=None,
                error_code=None,
                error_text=None,
                request_id=request_id,
                at=at,
                interrupted=False,
            )

    def _apply_outcome(self, record: Mapping[str, Any]) -> None:
        request_id = _get_str(record, "request_id")
        at = _get_str(record, "at")
        meta = _get_meta(record)
        outcomes: list[Outcome] = []
        for item in _get_list(record, "deliveries"):
            if not isinstance(item, dict):
                raise _BadRecord("delivery")
            definitive = item.get("definitive", False)
            if not isinstance(definitive, bool):
                raise _BadRecord("definitive")
            status = _OUTCOME_STATUSES.get(item.get("status"))
            if status is None:
                raise _BadRecord("status")
            outcomes.append(
                Outcome(
                    recipient=_get_str(item, "recipient"),
                    status=status,
                    definitive=definitive,
                    provider_id=_get_opt_str(item, "provider_id"),
                    error_code=_get_opt_str(item, "error_code"),
                    error_text=_get_opt_str(item, "error_text"),
                )
            )
        request = self.requests.get(request_id)
        if request is None:
            self.ignored_records += 1
            return
        interrupted = meta.get("reason") == _INTERRUPTED_META["reason"]
        request.outcomes.append(RecordedOutcome(at, tuple(outcomes), meta, interrupted))
        hashes = request.hashes
        for outcome in outcomes:
            if outcome.recipient not in hashes:
                continue
            key = DeliveryKey(request.account, request.message_id, outcome.recipient)
            current = self.states.get(key)
            if current is None or current.request_id != request_id:
                continue  # a later request for this delivery supersedes this outcome
            self.states[key] = DeliveryState(
                key=key,
                content_hash=hashes[outcome.recipient],
                status=outcome.status,
                definitive=outcome.definitive,
                provider_id=outcome.provider_id,
                error_code=outcome.error_code,
                error_text=outcome.error_text,
                request_id=request_id,
                at=at,
                interrupted=interrupted and outcome.status is DeliveryStatus.UNKNOWN,
            )


@dataclass(frozen=True)
class _Scan:
    """How the file ended, as far as :meth:`Ledger.open` needs to repair it."""

    header_prefix: bytes | None  # not None: the header is missing or torn; these bytes start it
    torn_tail: bool


def _is_header(line: bytes) -> bool:
    try:
        obj = json.loads(line)
    except ValueError:
        return False
    if not isinstance(obj, dict) or obj.get("type") != "header" or obj.get("format") != FORMAT:
        return False
    version = obj.get("version")
    if version != VERSION:
        raise LedgerCorrupt(
            f"unsupported ledger version {version!r} (this smsspec reads {VERSION})"
        )
    return True


def _scan(stream: io.BufferedReader, path: Path, replay: _Replay) -> _Scan:
    first = stream.readline()
    if not first.endswith(b"\n"):
        # Empty, or a single unterminated line: a creation cut short is a torn header.
        if _HEADER_LINE.startswith(first):
            return _Scan(header_prefix=first, torn_tail=False)
        raise LedgerCorrupt(f"{path} is not an smsspec ledger (no header line)")
    if not _is_header(first):
        raise LedgerCorrupt(f"{path} is not an smsspec ledger (unexpected first line)")
    torn = False
    # Replay only allocates objects that live on; cyclic GC passes over the
    # growing heap would cost more than the replay itself on large ledgers.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for line in stream:
            if not line.endswith(b"\n"):
                # Only the last line can lack its newline: a write cut short by a kill.
                # It was never acknowledged, so it is skipped even if it happens to parse.
                torn = True
                replay.skipped_lines += 1
                break
            replay.apply_line(line)
    finally:
        if gc_was_enabled:
            gc.enable()
    return _Scan(header_prefix=None, torn_tail=torn)


# --------------------------------------------------------------------------- I/O helpers


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _fsync(fd: int) -> None:
    # On macOS fsync() does not flush the drive cache; F_FULLFSYNC does.
    full = getattr(fcntl, "F_FULLFSYNC", None)
    if full is not None:
        try:
            fcntl.fcntl(fd, full)
            return
        except OSError:
            pass
    os.fsync(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        _fsync(fd)
    finally:
        os.close(fd)


def _makedirs_durable(directory: Path) -> None:
    """Create missing directories, making each new entry durable in its parent."""
    missing: list[Path] = []
    current = directory
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for new in reversed(missing):
        with contextlib.suppress(FileExistsError):
            os.mkdir(new)
        _fsync_dir(new.parent)


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _acquire_lock(ledger_path: Path, wait: float) -> io.FileIO:
    lock_path = ledger_path.with_name(ledger_path.name + ".lock")
    deadline = time.monotonic() + wait
    while True:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        lock = io.FileIO(fd, "r+", closefd=True)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES):
                        raise
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise LedgerLocked(ledger_path, _read_pid(fd))
                time.sleep(min(_LOCK_POLL_SECONDS, remaining))
            # The lock file must still be the one at lock_path (not unlinked and replaced).
            try:
                same = os.stat(lock_path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
                return lock
        except BaseException:
            lock.close()
            raise
        lock.close()


def _dumps(obj: Mapping[str, Any]) -> bytes:
    return (
        json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n"
    ).encode("utf-8")


def _check_text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string, got {value!r}")
    if "\x00" in value:
        raise ValueError(f"{what} must not contain NUL characters")
    return value


def _check_opt_text(value: object, what: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{what} must be a string or None, got {type(value).__name__}")
    return value


def _check_meta(meta: object) -> dict[str, Any]:
    if not isinstance(meta, Mapping):
        raise TypeError(f"meta must be a mapping, got {type(meta).__name__}")
    for name in meta:
        if not isinstance(name, str):
            raise TypeError(f"meta keys must be strings, got {name!r}")
    return dict(meta)


# --------------------------------------------------------------------------- view and ledger


class LedgerView:
    """Read-only replay of a ledger (see :meth:`Ledger.read`).

    Taken without the lock: a delivery shown PENDING may be in flight in a live
    run, or left by a dead one (the next :meth:`Ledger.open` settles it).
    """

    def __init__(self, path: Path, replay: _Replay, *, exists: bool) -> None:
        self._path = path
        self._replay = replay
        self._exists = exists

    @property
    def path(self) -> Path:
        return self._path

    @property
    def exists(self) -> bool:
        """False when there was no ledger file yet (the view is then empty)."""
        return self._exists

    @property
    def skipped_lines(self) -> int:
        """Unparseable lines, including a torn last line."""
        return self._replay.skipped_lines

    @property
    def ignored_records(self) -> int:
        """Well-formed records that do not apply (unknown type, outcome of an unknown request)."""
        return self._replay.ignored_records

    def state(self, key: DeliveryKey) -> DeliveryState | None:
        return self._replay.states.get(key)

    def states(self) -> Iterator[DeliveryState]:
        """Every delivery's state, in order of first appearance."""
        return iter(tuple(self._replay.states.values()))

    def requests(self) -> Iterator[RequestRecord]:
        """Every request with its intent and outcomes, in intent order."""
        return iter(tuple(r.freeze() for r in self._replay.requests.values()))


class Ledger(LedgerView):
    """The writable ledger: holds the exclusive lock from :meth:`open` to :meth:`close`."""

    def __init__(
        self, path: Path, replay: _Replay, file: io.FileIO, lock: io.FileIO, *, repaired_tail: bool
    ) -> None:
        super().__init__(path, replay, exists=True)
        self._file = file
        self._lock = lock
        self._failure: BaseException | None = None
        self._mutex = threading.Lock()
        self._owner_pid = os.getpid()
        self._repaired_tail = repaired_tail
        self._interrupted: tuple[DeliveryKey, ...] = ()

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, wait: float = 0.0) -> Ledger:
        """Lock, replay and repair the ledger at *path*, creating it if needed.

        Raises :class:`LedgerLocked` if another holder keeps the lock for more
        than *wait* seconds, :class:`LedgerCorrupt` if the file is not a ledger.
        Deliveries left PENDING by an earlier run become UNKNOWN/interrupted,
        and an outcome record saying so is appended.
        """
        if wait < 0:
            raise ValueError("wait must be >= 0")
        ledger_path = Path(path)
        _makedirs_durable(ledger_path.parent)
        lock = _acquire_lock(ledger_path, wait)
        file: io.FileIO | None = None
        try:
            try:
                fd = os.open(ledger_path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o600)
                created = True
            except FileExistsError:
                fd = os.open(ledger_path, os.O_RDWR | os.O_APPEND)
                created = False
            file = io.FileIO(fd, "r+", closefd=True)
            replay = _Replay()
            # A duplicate descriptor reads the very file we append to, whatever the path does.
            with open(os.dup(fd), "rb", closefd=True) as stream:
                scan = _scan(stream, ledger_path, replay)
            repair = b""
            if scan.header_prefix is not None:
                repair = _HEADER_LINE[len(scan.header_prefix) :]
            elif scan.torn_tail:
                repair = b"\n"
            if repair:
                cls._write_all(fd, repair)
                _fsync(fd)
            if created:
                _fsync_dir(ledger_path.parent)
            ledger = cls(ledger_path, replay, file, lock, repaired_tail=scan.torn_tail)
            ledger._settle_interrupted()
            return ledger
        except BaseException:
            if file is not None:
                file.close()
            lock.close()
            raise

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> LedgerView:
        """Replay the ledger without locking or modifying it.

        A missing file reads as an empty ledger, so ``--dry-run`` works before
        the first send.  A torn last line is skipped (a live writer may be
        mid-write) and counted in ``skipped_lines``.
        """
        ledger_path = Path(path)
        replay = _Replay()
        try:
            with open(ledger_path, "rb") as stream:
                _scan(stream, ledger_path, replay)
        except FileNotFoundError:
            return LedgerView(ledger_path, _Replay(), exists=False)
        return LedgerView(ledger_path, replay, exists=True)

    # ------------------------------------------------------------------ properties

    @property
    def closed(self) -> bool:
        return self._file.closed

    @property
    def repaired_tail(self) -> bool:
        """True when open() found a torn last line and terminated it."""
        return self._repaired_tail

    @property
    def interrupted_on_open(self) -> tuple[DeliveryKey, ...]:
        """Deliveries that open() found PENDING and marked UNKNOWN/interrupted."""
        return self._interrupted

    # ------------------------------------------------------------------ writing

    def record_intents(self, intents: Sequence[Intent]) -> None:
        """Append intent records with one fsync; return only once they are durable.

        Each record is ``{"type":"intent","request_id","at","account",
        "message_id","deliveries":[{"recipient","content_hash"}],"meta"}``.
        Refuses (ValueError, nothing written) a known request id, a recipient
        not in E.164 (another spelling would escape deduplication), a repeated
        recipient, or a delivery that already has a request in flight here.
        """
        with self._mutex:
            self._record_intents(intents)

    def _record_intents(self, intents: Sequence[Intent]) -> None:
        self._check_usable()
        at = _now()
        batch_ids: set[str] = set()
        batch_keys: set[DeliveryKey] = set()
        lines: list[bytes] = []
        for intent in intents:
            request_id = _check_text(intent.request_id, "request_id")
            if request_id in self._replay.requests or request_id in batch_ids:
                raise ValueError(f"request_id {request_id!r} is already in the ledger")
            batch_ids.add(request_id)
            account = _check_text(intent.account, "account")
            message_id = _check_text(intent.message_id, "message_id")
            if not intent.deliveries:
                raise ValueError(f"intent {request_id!r} has no deliveries")
            deliveries: list[dict[str, str]] = []
            for recipient, content_hash in intent.deliveries:
                if not isinstance(recipient, str) or not _E164.fullmatch(recipient):
                    raise ValueError(f"recipient {recipient!r} is not in E.164 (+<digits>)")
                if not isinstance(content_hash, str) or not _SHA256_HEX.fullmatch(content_hash):
                    raise ValueError("content_hash must be a lowercase hex SHA-256 digest")
                key = DeliveryKey(account, message_id, recipient)
                if key in batch_keys:
                    raise ValueError(f"{key} appears twice in one batch of intents")
                batch_keys.add(key)
                current = self._replay.states.get(key)
                if current is not None and current.status is DeliveryStatus.PENDING:
                    raise ValueError(
                        f"{key} already has request {current.request_id!r} in flight;"
                        " record its outcome first"
                    )
                deliveries.append({"recipient": recipient, "content_hash": content_hash})
            lines.append(
                _dumps(
                    {
                        "type": "intent",
                        "request_id": request_id,
                        "at": at,
                        "account": account,
                        "message_id": message_id,
                        "deliveries": deliveries,
                        "meta": _check_meta(intent.meta),
                    }
                )
            )
        self._append(lines)

    def record_outcomes(self, outcomes: Sequence[RequestOutcome]) -> None:
        """Append outcome records with one fsync; return only once they are durable.

        Each record is ``{"type":"outcome","request_id","at","deliveries":
        [{"recipient","status","definitive","provider_id","error_code",
        "error_text"}],"meta"}``.  A later outcome for the same delivery (say, a
        delivery report resolving UNKNOWN) replaces the earlier one.
        """
        with self._mutex:
            self._record_outcomes(outcomes)

    def _record_outcomes(self, outcomes: Sequence[RequestOutcome]) -> None:
        self._check_usable()
        at = _now()
        lines: list[bytes] = []
        for outcome in outcomes:
            request_id = _check_text(outcome.request_id, "request_id")
            request = self._replay.requests.get(request_id)
            if request is None:
                raise ValueError(f"no intent recorded for request_id {request_id!r}")
            recipients = request.hashes
            if not outcome.deliveries:
                raise ValueError(f"outcome for {request_id!r} has no deliveries")
            meta = _check_meta(outcome.meta)
            if meta.get("reason") == _INTERRUPTED_META["reason"]:
                raise ValueError('meta {"reason": "interrupted"} is reserved for the ledger itself')
            seen: set[str] = set()
            deliveries: list[dict[str, Any]] = []
            for item in outcome.deliveries:
                if item.recipient not in recipients:
                    raise ValueError(f"{item.recipient!r} is not a recipient of {request_id!r}")
                if item.recipient in seen:
                    raise ValueError(f"{item.recipient!r} appears twice in one outcome")
                seen.add(item.recipient)
                if item.status is DeliveryStatus.PENDING:
                    raise ValueError("an outcome cannot be pending")
                if not isinstance(item.definitive, bool):
                    raise TypeError("definitive must be a bool")
                deliveries.append(
                    {
                        "recipient": item.recipient,
                        "status": item.status.value,
                        "definitive": item.definitive,
                        "provider_id": _check_opt_text(item.provider_id, "provider_id"),
                        "error_code": _check_opt_text(item.error_code, "error_code"),
                        "error_text": _check_opt_text(item.error_text, "error_text"),
                    }
                )
            lines.append(
                _dumps(
                    {
                        "type": "outcome",
                        "request_id": request_id,
                        "at": at,
                        "deliveries": deliveries,
                        "meta": meta,
                    }
                )
            )
        self._append(lines)

    def close(self) -> None:
        """Release the lock.  Safe to call twice."""
        with self._mutex:
            try:
                self._file.close()
            finally:
                self._lock.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ internals

    def _check_usable(self) -> None:
        if self._file.closed:
            raise LedgerError(f"ledger {self._path} is closed")
        if os.getpid() != self._owner_pid:
            raise LedgerError(
                f"ledger {self._path} was opened by pid {self._owner_pid}, not this one"
            )
        if self._failure is not None:
            raise LedgerError(
                f"ledger {self._path} failed a write ({self._failure!r}); close and reopen it"
            ) from self._failure

    def _settle_interrupted(self) -> None:
        pending: dict[str, list[str]] = {}
        keys: list[DeliveryKey] = []
        for state in self._replay.states.values():
            if state.status is DeliveryStatus.PENDING:
                pending.setdefault(state.request_id, []).append(state.key.recipient)
                keys.append(state.key)
        if not pending:
            return
        at = _now()
        lines = [
            _dumps(
                {
                    "type": "outcome",
                    "request_id": request_id,
                    "at": at,
                    "deliveries": [
                        {
                            "recipient": recipient,
                            "status": DeliveryStatus.UNKNOWN.value,
                            "definitive": False,
                            "provider_id": None,
                            "error_code": None,
                            "error_text": None,
                        }
                        for recipient in recipients
                    ],
                    "meta": dict(_INTERRUPTED_META),
                }
            )
            for request_id, recipients in pending.items()
        ]
        self._append(lines)
        self._interrupted = tuple(keys)

    @staticmethod
    def _write_all(fd: int, data: bytes) -> None:
        # One write() for the whole batch; the loop only finishes a short write
        # (disk nearly full) so the file does not end in a torn line.
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]

    def _append(self, lines: list[bytes]) -> None:
        if not lines:
            return
        data = b"".join(lines)
        try:
            self._write_all(self._file.fileno(), data)
            _fsync(self._file.fileno())
        except BaseException as exc:
            # What reached the disk is unknown: refuse further writes; the next
            # open() replays whatever is there and marks its intents interrupted.
            self._failure = exc
            raise
        # Fold exactly the bytes that were written, so memory matches a replay.
        for line in lines:
            self._replay.apply_line(line)
