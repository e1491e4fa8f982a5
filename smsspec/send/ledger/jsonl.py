"""Reading the JSON Lines ledger of smsspec before 0.x, for ``smsspec ledger import``.

The old format: a header line ``{"type":"header","format":"smsspec-ledger",
"version":1}``, then ``intent`` and ``outcome`` records. Replaying it gives
each delivery's latest state; :func:`import_jsonl` writes those into a store,
leaving deliveries the store already knows untouched (so importing twice
changes nothing). Deliveries the old file left PENDING come in as UNKNOWN
(interrupted): whether they went out cannot be known.
"""

from __future__ import annotations

import gc
import io
import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smsspec.send.ledger.records import (
    DeliveryKey,
    DeliveryState,
    DeliveryStatus,
    IntentDelivery,
    LedgerCorrupt,
    LedgerError,
    Outcome,
)
from smsspec.send.ledger.store import Ledger, now

FORMAT = "smsspec-ledger"
VERSION = 1
_INTERRUPTED_META: Mapping[str, Any] = {"reason": "interrupted"}
_HEADER_LINE = (
    json.dumps({"type": "header", "format": FORMAT, "version": VERSION}, separators=(",", ":"))
    + "\n"
).encode("utf-8")


@dataclass(frozen=True)
class RecordedOutcome:
    """One outcome record as replayed from the file."""

    at: str
    deliveries: tuple[Outcome, ...]
    meta: Mapping[str, Any]
    interrupted: bool


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



def read_jsonl(path: Path) -> _Replay:
    """Replay an old ledger file; refuses what is not a regular file."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO or a device would never end
            raise LedgerError(f"{path} is not a regular file")
        with open(path, "rb") as stream:
            replay = _Replay()
            _scan(stream, path, replay)
    except FileNotFoundError as exc:
        raise LedgerError(f"{path}: no such file") from exc
    return replay


def import_jsonl(path: Path, ledger: Ledger) -> tuple[int, int, int]:
    """Bring the deliveries of an old ledger file into ``ledger``.

    Returns (deliveries added, deliveries already known, unreadable lines).
    """
    replay = read_jsonl(path)
    # One delivery per (message, recipient) now: when the old file has it under
    # several accounts, the latest state wins.
    latest: dict[tuple[str, str], DeliveryState] = {}
    for state in replay.states.values():
        key = (state.key.message_id, state.key.recipient)
        if key not in latest or latest[key].at <= state.at:
            latest[key] = state
    added = 0
    with ledger._guard(), ledger._transaction() as db:
        for request in replay.requests.values():
            outcome_meta = dict(request.outcomes[-1].meta) if request.outcomes else {}
            answered = request.outcomes[-1].at if request.outcomes else None
            db.execute(
                ledger._sql(
                    "INSERT INTO smsspec_requests (request_id, project, run_id, account, message_id,"
                    " meta, claimed_at, sent_at, answered_at, outcome_meta)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (request_id) DO NOTHING"
                ),
                (request.request_id, ledger.project, ledger.run_id, request.account,
                 request.message_id, json.dumps(dict(request.meta)), request.at, request.at,
                 answered, json.dumps(outcome_meta)),
            )
        for state in latest.values():
            pending = state.status is DeliveryStatus.PENDING
            cursor = db.execute(
                ledger._sql(
                    "INSERT INTO smsspec_deliveries (project, message_id, recipient, account,"
                    " content_hash, status, definitive, provider_id, error_code, error_text,"
                    " request_id, run_id, at, sent_at, interrupted)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (project, message_id, recipient) DO NOTHING"
                ),
                (ledger.project, state.key.message_id, state.key.recipient, state.key.account,
                 state.content_hash, "unknown" if pending else state.status.value,
                 int(state.definitive), state.provider_id, state.error_code, state.error_text,
                 state.request_id, ledger.run_id, state.at or now(),
                 replay.requests[state.request_id].at if state.request_id in replay.requests else None,
                 int(pending or state.interrupted)),
            )
            added += cursor.rowcount == 1
    return added, len(latest) - added, replay.skipped_lines
