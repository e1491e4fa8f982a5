"""The ledger interface, and the SQL both stores share.

Tables (prefixed ``smsspec_`` so a shared database can hold other things):

* ``smsspec_schema``: the schema version; :data:`MIGRATIONS` bring a store
  up to date when a run opens it for writing.
* ``smsspec_runs``: one row per ``send`` run, how to tell whether it is alive.
* ``smsspec_deliveries``: the latest state of each delivery, keyed by
  (project, message id, recipient): a lookup costs one index probe, whatever
  the history.
* ``smsspec_requests``: every request: its deliveries' account and message,
  meta (file, provider, URL, preview), when it was claimed, sent, answered.
* ``smsspec_receipts`` (schema 2): what providers said after accepting, one
  row per notification (keyed by account and the body's SHA-256, so the same
  notification twice is one row). A delivery's ``delivery`` columns hold the
  highest-ranked word of its receipts (pending < delivered < failed): the same
  whatever order they came in. A receipt whose provider id is not known yet
  while the account has a request in flight is kept (``matched = 0``) and
  applied when that request's outcome is recorded.
* ``smsspec_opt_outs`` (schema 3): numbers of the project that must get nothing
  (``smsspec opt-out``); :meth:`Ledger.claim` never claims one.

A run claims deliveries before it sends them (:meth:`Ledger.claim`): one
transaction writes the request and turns each delivery to PENDING under this
run, but only where its state is still the one the run planned against (an
``INSERT ... ON CONFLICT DO NOTHING`` for a new delivery, an ``UPDATE`` that
checks the previous request id otherwise). Concurrent runs thus split the
work, and none sends a delivery another run has claimed or settled since.
A PENDING delivery whose run is alive is *in progress elsewhere*; one whose
run died is UNKNOWN (interrupted): it may have reached the provider.
"""

from __future__ import annotations

import importlib
import json
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timezone
from types import TracebackType
from typing import Any, ClassVar

from smsspec.errors import LedgerError
from smsspec.send.ledger.location import Location, parse_location
from smsspec.send.ledger.records import (
    RECEIPT_RANK,
    Claim,
    DeliveryKey,
    DeliveryState,
    DeliveryStatus,
    Intent,
    Receipt,
    RequestOutcome,
    check_intent,
    check_opt_text,
    check_outcome,
)

DEFAULT_PROJECT = "default"
STALE_HEARTBEAT_SECONDS = 600.0  # a run on another machine silent this long counts as dead

MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE smsspec_runs (
            run_id TEXT PRIMARY KEY, project TEXT NOT NULL, host TEXT NOT NULL,
            pid INTEGER NOT NULL, pid_start TEXT, lock_key BIGINT NOT NULL,
            started_at TEXT NOT NULL, heartbeat_at TEXT NOT NULL, finished_at TEXT)""",
        """CREATE TABLE smsspec_requests (
            request_id TEXT PRIMARY KEY, project TEXT NOT NULL, run_id TEXT NOT NULL,
            account TEXT NOT NULL, message_id TEXT NOT NULL, meta TEXT NOT NULL,
            claimed_at TEXT NOT NULL, sent_at TEXT, answered_at TEXT, outcome_meta TEXT)""",
        """CREATE TABLE smsspec_deliveries (
            project TEXT NOT NULL, message_id TEXT NOT NULL, recipient TEXT NOT NULL,
            account TEXT NOT NULL, content_hash TEXT NOT NULL, status TEXT NOT NULL,
            definitive INTEGER NOT NULL DEFAULT 0, provider_id TEXT, error_code TEXT,
            error_text TEXT, request_id TEXT NOT NULL, run_id TEXT NOT NULL, at TEXT NOT NULL,
            sent_at TEXT, answered_at TEXT, interrupted INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (project, message_id, recipient))""",
        "CREATE INDEX smsspec_deliveries_pending ON smsspec_deliveries (run_id)"
        " WHERE status = 'pending'",
        "CREATE INDEX smsspec_runs_open ON smsspec_runs (finished_at)",
    ),
    2: (
        """CREATE TABLE smsspec_receipts (
            project TEXT NOT NULL, account TEXT NOT NULL, digest TEXT NOT NULL,
            provider_id TEXT, state TEXT, code TEXT, reason TEXT, body TEXT,
            source TEXT NOT NULL, received_at TEXT NOT NULL,
            matched INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (project, account, digest))""",
        "CREATE INDEX smsspec_receipts_by_id ON smsspec_receipts (project, account, provider_id)",
        "CREATE INDEX smsspec_receipts_waiting ON smsspec_receipts (project, provider_id)"
        " WHERE matched = 0",
        "CREATE INDEX smsspec_deliveries_by_id ON smsspec_deliveries (project, account, provider_id)",
        "ALTER TABLE smsspec_deliveries ADD COLUMN delivery TEXT",
        "ALTER TABLE smsspec_deliveries ADD COLUMN delivery_code TEXT",
        "ALTER TABLE smsspec_deliveries ADD COLUMN delivery_reason TEXT",
        "ALTER TABLE smsspec_deliveries ADD COLUMN delivery_at TEXT",
    ),
    3: (
        """CREATE TABLE smsspec_opt_outs (
            project TEXT NOT NULL, number TEXT NOT NULL, added_at TEXT NOT NULL,
            source TEXT NOT NULL, PRIMARY KEY (project, number))""",
    ),
}
SCHEMA_VERSION = max(MIGRATIONS)

_STATE_COLUMNS = (
    "message_id, recipient, account, content_hash, status, definitive, provider_id,"
    " error_code, error_text, request_id, run_id, at, sent_at, answered_at, interrupted,"
    " delivery, delivery_code, delivery_reason, delivery_at"
)
# A schema-1 ledger read without migrating has no delivery columns yet.
_STATE_COLUMNS_V1 = _STATE_COLUMNS.replace(
    "delivery, delivery_code, delivery_reason, delivery_at", "NULL, NULL, NULL, NULL"
)


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _pid_start(pid: int) -> str | None:
    """When process ``pid`` started (Linux), so a reused pid is not taken for the run."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return fields[19].decode("ascii")
    except (OSError, IndexError, UnicodeDecodeError):
        return None


def _process_alive(pid: int, start: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return start is None or _pid_start(pid) in (None, start)


# Dialect -> (module, class) of its Ledger subclass.
_DIALECTS = {
    "postgres": ("smsspec.send.ledger.postgres", "PostgresLedger"),
    "sqlite": ("smsspec.send.ledger.sqlite", "SQLiteLedger"),
}


class Ledger(AbstractContextManager["Ledger"]):
    """One ledger: read it (``plan``, ``ledger show``) or run sends against it.

    Open with :meth:`open` (a run: claims and outcomes) or :meth:`read`
    (read-only, creates nothing). A store object may be shared by threads;
    its calls are serialised.
    """

    placeholder: ClassVar[str] = "?"
    # Runs on many machines share it (PostgreSQL): each run starts at its own place in its plan.
    shared: ClassVar[bool] = False

    def __init__(self, location: Location, project: str, *, writable: bool) -> None:
        self.location = location
        self.project = project
        self.writable = writable
        self.run_id: str | None = None
        self._mutex = threading.RLock()
        self._live: dict[str, bool] = {}
        self._requests: dict[str, tuple[str, frozenset[str]]] = {}
        self._request_accounts: dict[str, str] = {}
        self._columns = _STATE_COLUMNS
        self._interrupted: tuple[DeliveryKey, ...] = ()
        self._closed = False
        self._exists = True
        self._failure: BaseException | None = None

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(
        cls, location: str | os.PathLike[str] | Location, project: str = DEFAULT_PROJECT
    ) -> Ledger:
        """Open for a run: migrate, register the run, settle runs that died."""
        return cls._opened(location, project, writable=True, prepare=Ledger._prepare_run)

    @classmethod
    def read(
        cls, location: str | os.PathLike[str] | Location, project: str = DEFAULT_PROJECT
    ) -> Ledger:
        """Open read-only. A ledger that does not exist yet reads as empty."""
        return cls._opened(location, project, writable=False, prepare=Ledger._prepare_read)

    @classmethod
    def attach(
        cls, location: str | os.PathLike[str] | Location, project: str = DEFAULT_PROJECT
    ) -> Ledger:
        """Open to record receipts (the receiver, ``status --refresh``): migrate, start no run."""
        return cls._opened(location, project, writable=True, prepare=Ledger._migrate)

    @classmethod
    def _opened(
        cls,
        location: str | os.PathLike[str] | Location,
        project: str,
        *,
        writable: bool,
        prepare: Callable[[Ledger], None],
    ) -> Ledger:
        """Connect and ``prepare``; a failure on the way leaves no connection open."""
        store = cls._store_for(parse_location(_as_text(location)), project, writable=writable)
        try:
            store._connect()
            prepare(store)
        except BaseException:
            store._disconnect()
            raise
        return store

    def _prepare_run(self) -> None:
        self._migrate()
        self._start_run()

    def _prepare_read(self) -> None:
        version = self._version()
        if version is None:
            self._exists = False
        elif version > SCHEMA_VERSION:
            raise LedgerError(self._newer(version))
        elif version < 2:
            self._columns = _STATE_COLUMNS_V1

    @staticmethod
    def _store_for(location: Location, project: str, *, writable: bool) -> Ledger:
        # The dialects subclass Ledger, so they are found by name (and imported only when used).
        module, name = _DIALECTS["postgres" if location.is_postgres else "sqlite"]
        dialect: type[Ledger] = getattr(importlib.import_module(module), name)
        return dialect(location, project, writable=writable)

    # ------------------------------------------------------------------ dialect hooks

    def _connect(self) -> None:
        raise NotImplementedError

    def _disconnect(self) -> None:
        raise NotImplementedError

    def _transaction(self) -> AbstractContextManager[Any]:
        """A write transaction (exclusive on SQLite); yields a cursor-like executor."""
        raise NotImplementedError

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _table_exists(self, name: str) -> bool:
        raise NotImplementedError

    def _lock_run(self, lock_key: int) -> None:
        """Hold whatever tells other runs this one is alive (PostgreSQL: an advisory lock)."""

    def _alive(self, rows: Sequence[tuple[Any, ...]]) -> dict[str, bool]:
        """Liveness of runs given as (run_id, host, pid, pid_start, lock_key, heartbeat_at)."""
        host = socket.gethostname()
        found: dict[str, bool] = {}
        for run_id, run_host, pid, pid_start, _, heartbeat in rows:
            if run_id == self.run_id:
                found[run_id] = True
            elif run_host == host:
                found[run_id] = _process_alive(int(pid), pid_start)
            else:
                age = datetime.now(timezone.utc) - datetime.fromisoformat(heartbeat)
                found[run_id] = age.total_seconds() < STALE_HEARTBEAT_SECONDS
        return found

    def _guard(self) -> AbstractContextManager[None]:
        """Turns the driver's errors into :class:`LedgerError` (no secret in the text)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ schema

    def _version(self) -> int | None:
        with self._guard():
            if not self._table_exists("smsspec_schema"):
                return None
            rows = self._query("SELECT version FROM smsspec_schema")
        return int(rows[0][0]) if rows else 0

    def _newer(self, version: int) -> str:
        return (
            f"the ledger at {self.location.shown()} has schema version {version};"
            f" this smsspec knows up to {SCHEMA_VERSION}: upgrade smsspec"
        )

    def _migrate(self) -> None:
        with self._guard(), self._transaction() as db:
            self._lock_schema(db)
            if not self._table_exists("smsspec_schema"):
                db.execute("CREATE TABLE smsspec_schema (version INTEGER NOT NULL)")
                db.execute("INSERT INTO smsspec_schema (version) VALUES (0)")
            version = int(self._query("SELECT version FROM smsspec_schema")[0][0])
            if version > SCHEMA_VERSION:
                raise LedgerError(self._newer(version))
            for step in sorted(s for s in MIGRATIONS if s > version):
                for statement in MIGRATIONS[step]:
                    db.execute(statement)
                db.execute(self._sql("UPDATE smsspec_schema SET version = ?"), (step,))

    def _lock_schema(self, db: Any) -> None:
        """Serialise migrations between runs (SQLite's write transaction already does)."""

    def _lock_receipts(self, db: Any, *, shared: bool) -> None:
        """Order a receipt's arrival against a recorded outcome (SQLite's write transaction
        already does): the receiver holds it exclusively, runs recording outcomes share it."""

    def _sql(self, sql: str) -> str:
        return sql if self.placeholder == "?" else sql.replace("?", self.placeholder)

    # ------------------------------------------------------------------ runs

    def _start_run(self) -> None:
        self.run_id = uuid.uuid4().hex
        lock_key = int.from_bytes(os.urandom(4), "big") & 0x7FFFFFFF
        self._lock_run(lock_key)
        at = now()
        pid = os.getpid()
        with self._guard(), self._transaction() as db:
            db.execute(
                self._sql(
                    "INSERT INTO smsspec_runs (run_id, project, host, pid, pid_start, lock_key,"
                    " started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                ),
                (self.run_id, self.project, socket.gethostname(), pid, _pid_start(pid), lock_key, at, at),
            )
        self._settle_dead_runs()

    def _open_runs(self) -> list[tuple[Any, ...]]:
        return self._query(
            "SELECT run_id, host, pid, pid_start, lock_key, heartbeat_at FROM smsspec_runs"
            " WHERE finished_at IS NULL"
        )

    def _refresh_liveness(self) -> None:
        with self._guard():
            self._live = self._alive(self._open_runs()) if self._exists else {}

    def _is_live(self, run_id: str) -> bool:
        if run_id not in self._live:
            self._refresh_liveness()
        return self._live.get(run_id, False)

    def _settle_dead_runs(self) -> None:
        """Deliveries left PENDING by runs that died become UNKNOWN (interrupted)."""
        with self._guard():
            self._live = self._alive(self._open_runs())
            dead = [run_id for run_id, alive in self._live.items() if not alive]
            if not dead:
                return
            interrupted: list[DeliveryKey] = []
            at = now()
            with self._transaction() as db:
                for run_id in dead:
                    rows = self._query(
                        "SELECT project, message_id, recipient, account FROM smsspec_deliveries"
                        " WHERE run_id = ? AND status = 'pending'",
                        (run_id,),
                    )
                    db.execute(
                        self._sql(
                            "UPDATE smsspec_deliveries SET status = 'unknown', interrupted = 1,"
                            " at = ? WHERE run_id = ? AND status = 'pending'"
                        ),
                        (at, run_id),
                    )
                    db.execute(
                        self._sql("UPDATE smsspec_runs SET finished_at = ? WHERE run_id = ?"),
                        (at, run_id),
                    )
                    interrupted += [
                        DeliveryKey(account, message_id, recipient)
                        for project, message_id, recipient, account in rows
                        if project == self.project
                    ]
        self._interrupted = tuple(interrupted)

    @property
    def interrupted_on_open(self) -> tuple[DeliveryKey, ...]:
        """Deliveries that :meth:`open` found left PENDING by dead runs, now UNKNOWN."""
        return self._interrupted

    @property
    def exists(self) -> bool:
        """False when there was no ledger yet (it then reads as empty)."""
        return self._exists

    @property
    def closed(self) -> bool:
        return self._closed

    # ------------------------------------------------------------------ reading

    def _state(self, row: Sequence[Any]) -> DeliveryState:
        (message_id, recipient, account, content_hash, status, definitive, provider_id,
         error_code, error_text, request_id, run_id, at, sent_at, answered_at, interrupted,
         delivery, delivery_code, delivery_reason, delivery_at) = row
        state = DeliveryStatus(status)
        in_progress = False
        if state is DeliveryStatus.PENDING:
            if self._is_live(run_id):
                in_progress = run_id != self.run_id
            else:
                state, interrupted = DeliveryStatus.UNKNOWN, True
        return DeliveryState(
            key=DeliveryKey(account, message_id, recipient),
            content_hash=content_hash,
            status=state,
            definitive=bool(definitive),
            provider_id=provider_id,
            error_code=error_code,
            error_text=error_text,
            request_id=request_id,
            at=at,
            interrupted=bool(interrupted),
            account=account,
            sent_at=sent_at,
            answered_at=answered_at,
            in_progress=in_progress,
            delivery=delivery if state is DeliveryStatus.ACCEPTED else None,
            delivery_code=delivery_code,
            delivery_reason=delivery_reason,
            delivery_at=delivery_at,
        )

    def state(self, key: DeliveryKey) -> DeliveryState | None:
        found = self.states_for(key.message_id, [key.recipient])
        return found.get(key.recipient)

    def states_for(self, message_id: str, recipients: Iterable[str]) -> dict[str, DeliveryState]:
        """The states of one message's deliveries to ``recipients`` (absent: none recorded)."""
        wanted = list(dict.fromkeys(recipients))
        if not self._exists or not wanted:
            return {}
        with self._mutex, self._guard():
            rows = self._select_states(message_id, wanted)
            return {row[1]: self._state(row) for row in rows}

    def states_of(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], DeliveryState]:
        """The states of many (message id, recipient) deliveries, in a few queries (a plan of
        many messages costs a round trip per ~500 deliveries, not per message)."""
        wanted: dict[str, dict[str, None]] = {}
        for message_id, recipient in keys:
            wanted.setdefault(message_id, {})[recipient] = None
        found: dict[tuple[str, str], DeliveryState] = {}
        if not self._exists or not wanted:
            return found
        with self._mutex, self._guard():
            for messages, recipients in _chunks(wanted, 500):
                rows = self._query(
                    f"SELECT {self._columns} FROM smsspec_deliveries WHERE project = ?"
                    f" AND message_id IN ({', '.join('?' * len(messages))})"
                    f" AND recipient IN ({', '.join('?' * len(recipients))})",
                    (self.project, *messages, *recipients),
                )
                for row in rows:  # the IN lists cross: keep only the pairs asked for
                    if row[1] in wanted[row[0]]:
                        found[(row[0], row[1])] = self._state(row)
        return found

    def _select_states(self, message_id: str, recipients: list[str]) -> list[tuple[Any, ...]]:
        found: list[tuple[Any, ...]] = []
        for start in range(0, len(recipients), 500):
            chunk = recipients[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            found += self._query(
                f"SELECT {self._columns} FROM smsspec_deliveries WHERE project = ?"
                f" AND message_id = ? AND recipient IN ({marks})",
                (self.project, message_id, *chunk),
            )
        return found

    def states(self, message_ids: Sequence[str] = ()) -> Iterator[DeliveryState]:
        """Every delivery's state (of ``message_ids`` only, when given), by message and number."""
        if not self._exists:
            return iter(())
        with self._mutex, self._guard():
            if message_ids:
                marks = ", ".join("?" * len(message_ids))
                rows = self._query(
                    f"SELECT {self._columns} FROM smsspec_deliveries WHERE project = ?"
                    f" AND message_id IN ({marks}) ORDER BY message_id, recipient",
                    (self.project, *message_ids),
                )
            else:
                rows = self._query(
                    f"SELECT {self._columns} FROM smsspec_deliveries WHERE project = ?"
                    " ORDER BY message_id, recipient",
                    (self.project,),
                )
            return iter([self._state(row) for row in rows])

    def request_meta(self, request_ids: Iterable[str]) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
        """Per request id: (intent meta, outcome meta)."""
        ids = list(dict.fromkeys(request_ids))
        found: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        if not self._exists:
            return found
        with self._mutex, self._guard():
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                for request_id, meta, outcome_meta in self._query(
                    f"SELECT request_id, meta, outcome_meta FROM smsspec_requests"
                    f" WHERE request_id IN ({marks})",
                    chunk,
                ):
                    found[request_id] = (_loads(meta), _loads(outcome_meta))
        return found

    # ------------------------------------------------------------------ writing

    def _check_usable(self) -> None:
        if self._closed:
            raise LedgerError(f"ledger {self.location.shown()} is closed")
        if not self.writable or self.run_id is None:
            raise LedgerError("this ledger was opened read-only")
        if self._failure is not None:
            raise LedgerError(f"ledger {self.location.shown()} failed a write: {self._failure}")

    def claim(self, intents: Sequence[Intent]) -> list[Claim]:
        """Claim the deliveries of ``intents`` for this run, in one transaction.

        Returns once the claims are durable. A recipient is claimed only if
        its state is still the one named in ``Intent.expected`` (or it has
        none, when absent there); the others come back in ``Claim.refused``
        with their current state. Refuses (ValueError, nothing written) an
        invalid intent or a request id already used.
        """
        for intent in intents:
            check_intent(intent)
        ids = [i.request_id for i in intents]
        if len(set(ids)) != len(ids) or any(i in self._requests for i in ids):
            raise ValueError("a request id is already in the ledger")
        with self._mutex:
            self._check_usable()
            at = now()
            # Rows in one order in every run, so concurrent claims never deadlock.
            wanted = sorted(
                ((intent.message_id, recipient, n, content_hash)
                 for n, intent in enumerate(intents)
                 for recipient, content_hash in intent.deliveries),
            )
            rows = [
                (message_id, recipient, intents[n].account, content_hash, intents[n].request_id,
                 intents[n].expected.get(recipient))
                for message_id, recipient, n, content_hash in wanted
            ]
            with self._writing(), self._transaction() as db:
                opted_out = self._opted_out_in(sorted({r for _, r, *_ in rows}))
                if opted_out:
                    rows = [row for row in rows if row[1] not in opted_out]
                got = self._claim_rows(db, rows, at)
                taken = [[r for r, _ in i.deliveries if (i.message_id, r) in got] for i in intents]
                self._execute_many(
                    db,
                    "INSERT INTO smsspec_requests (request_id, project, run_id, account,"
                    " message_id, meta, claimed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(i.request_id, self.project, self.run_id, i.account, i.message_id,
                      _dumps(i.meta), at) for i, claimed in zip(intents, taken, strict=True) if claimed],
                )
                self._heartbeat(db, at)
            claims = [
                Claim(i.request_id, tuple(claimed), opted_out=tuple(r for r, _ in i.deliveries if r in opted_out))
                for i, claimed in zip(intents, taken, strict=True)
            ]
            for intent, claim in zip(intents, claims, strict=True):
                self._requests[intent.request_id] = (intent.message_id, frozenset(claim.claimed))
                self._request_accounts[intent.request_id] = intent.account
            return self._with_refusals(intents, claims)

    _CLAIM_NEW = (
        "INSERT INTO smsspec_deliveries (account, content_hash, status, request_id,"
        " run_id, at, project, message_id, recipient)"
        " VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (project, message_id, recipient) DO NOTHING"
    )
    _CLAIM_AGAIN = (
        "UPDATE smsspec_deliveries SET account = ?, content_hash = ?, status = 'pending',"
        " definitive = 0, provider_id = NULL, error_code = NULL, error_text = NULL,"
        " request_id = ?, run_id = ?, at = ?, sent_at = NULL, answered_at = NULL,"
        " interrupted = 0, delivery = NULL, delivery_code = NULL, delivery_reason = NULL,"
        " delivery_at = NULL"
        " WHERE project = ? AND message_id = ? AND recipient = ? AND request_id = ?"
        " AND status <> 'pending'"
    )

    def _claim_params(
        self, rows: Sequence[tuple[str, str, str, str, str, str | None]], at: str
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """Parameters of the new claims (no state planned against) and of the repeated ones."""
        new: list[tuple[Any, ...]] = []
        again: list[tuple[Any, ...]] = []
        for message_id, recipient, account, content_hash, request_id, expected in rows:
            values = (account, content_hash, request_id, self.run_id, at, self.project, message_id, recipient)
            if expected is None:
                new.append(values)
            else:
                again.append((*values, expected))
        return new, again

    def _claim_rows(
        self, db: Any, rows: Sequence[tuple[str, str, str, str, str, str | None]], at: str
    ) -> set[tuple[str, str]]:
        """Claim each (message, recipient) whose state is the one planned against; those claimed."""
        new, again = self._claim_params(rows, at)
        got: set[tuple[str, str]] = set()
        for sql, params in ((self._CLAIM_NEW, new), (self._CLAIM_AGAIN, again)):
            for values in params:
                if db.execute(self._sql(sql), values).rowcount == 1:
                    got.add((values[6], values[7]))
        return got

    def _execute_many(self, db: Any, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        for row in rows:
            db.execute(self._sql(sql), row)

    def _with_refusals(self, intents: Sequence[Intent], claims: Sequence[Claim]) -> list[Claim]:
        """Each claim with the current state of the recipients it did not get (one lookup for all)."""
        missing = [
            [r for r, _ in intent.deliveries if r not in set(got.claimed) and r not in set(got.opted_out)]
            for intent, got in zip(intents, claims, strict=True)
        ]
        found = self.states_of((i.message_id, r) for i, rs in zip(intents, missing, strict=True) for r in rs)
        return [
            got if not rs else Claim(got.request_id, got.claimed,
                                     tuple(found[(i.message_id, r)] for r in rs if (i.message_id, r) in found),
                                     got.opted_out)
            for i, got, rs in zip(intents, claims, missing, strict=True)
        ]

    # ------------------------------------------------------------------ opt-outs

    def _has_opt_outs(self) -> bool:
        """False for a ledger from before migration 3 (read-only views do not migrate)."""
        if not self._exists:
            return False
        if not hasattr(self, "_opt_out_table"):
            self._opt_out_table = self._table_exists("smsspec_opt_outs")
        return self._opt_out_table

    def _opted_out_in(self, numbers: Sequence[str]) -> set[str]:
        found: set[str] = set()
        if not numbers or not self._has_opt_outs():
            return found
        for start in range(0, len(numbers), 500):
            chunk = list(numbers[start : start + 500])
            marks = ", ".join("?" * len(chunk))
            found.update(row[0] for row in self._query(
                f"SELECT number FROM smsspec_opt_outs WHERE project = ? AND number IN ({marks})",
                (self.project, *chunk),
            ))
        return found

    def opted_out(self, numbers: Iterable[str]) -> set[str]:
        """Which of ``numbers`` (E.164) are on the project's opt-out list."""
        with self._mutex, self._guard():
            return self._opted_out_in(sorted(set(numbers)))

    def opt_outs(self) -> list[tuple[str, str, str]]:
        """The project's opt-out list: (number, added at, source), by number."""
        with self._mutex, self._guard():
            if not self._has_opt_outs():
                return []
            rows = self._query(
                "SELECT number, added_at, source FROM smsspec_opt_outs WHERE project = ? ORDER BY number",
                (self.project,),
            )
        return [(str(n), str(a), str(s)) for n, a, s in rows]

    def add_opt_outs(self, numbers: Iterable[str], source: str) -> int:
        """Put ``numbers`` (E.164) on the opt-out list; how many were not on it. Durable on return:
        no delivery to them is claimed from then on, by this run or any other. Also on a
        ledger opened with :meth:`attach` (the receiver records a provider's STOP)."""
        wanted = sorted(set(numbers))
        with self._mutex:
            if not (self.writable and self.run_id is None and not self._closed and self._failure is None):
                self._check_usable()  # an attached ledger (writable, no run of its own) may add too
            source = check_opt_text(source, "source") or ""
            at = now()
            with self._writing(), self._transaction() as db:
                known = self._opted_out_in(wanted)
                fresh = [n for n in wanted if n not in known]
                self._execute_many(
                    db,
                    "INSERT INTO smsspec_opt_outs (project, number, added_at, source) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (project, number) DO NOTHING",
                    [(self.project, n, at, source) for n in fresh],
                )
            return len(fresh)

    def remove_opt_outs(self, numbers: Iterable[str]) -> int:
        """Take ``numbers`` off the opt-out list; how many were on it."""
        wanted = sorted(set(numbers))
        with self._mutex:
            self._check_usable()
            with self._writing(), self._transaction() as db:
                known = sorted(self._opted_out_in(wanted))
                self._execute_many(
                    db,
                    "DELETE FROM smsspec_opt_outs WHERE project = ? AND number = ?",
                    [(self.project, n) for n in known],
                )
            return len(known)

    def record_outcomes(self, outcomes: Sequence[RequestOutcome]) -> None:
        """Record what became of claimed deliveries, in one transaction; durable on return.

        An outcome only changes a delivery still held by its request (a later
        claim supersedes it).
        """
        for outcome in outcomes:
            check_outcome(outcome)
            known = self._requests.get(outcome.request_id)
            if known is None:
                raise ValueError(f"no claim recorded for request_id {outcome.request_id!r}")
            for item in outcome.deliveries:
                if item.recipient not in known[1]:
                    raise ValueError(f"{item.recipient!r} is not a claimed recipient of {outcome.request_id!r}")
        with self._mutex:
            self._check_usable()
            at = now()
            with self._writing(), self._transaction() as db:
                items = sorted(
                    ((self._requests[o.request_id][0], item.recipient, n, item)
                     for n, o in enumerate(outcomes) for item in o.deliveries),
                    key=lambda entry: entry[:3],
                )
                self._execute_many(  # one row order in every run: no deadlock
                    db,
                    "UPDATE smsspec_deliveries SET status = ?, definitive = ?,"
                    " provider_id = ?, error_code = ?, error_text = ?, at = ?,"
                    " sent_at = ?, answered_at = ?, interrupted = 0, delivery = ?,"
                    " delivery_code = NULL, delivery_reason = NULL, delivery_at = ?"
                    " WHERE project = ? AND message_id = ? AND recipient = ?"
                    " AND request_id = ?",
                    [(item.status.value, int(item.definitive),
                      check_opt_text(item.provider_id, "provider_id"),
                      check_opt_text(item.error_code, "error_code"),
                      check_opt_text(item.error_text, "error_text"),
                      at, outcomes[n].sent_at, outcomes[n].answered_at,
                      item.delivery, at if item.delivery else None,
                      self.project, message_id, item.recipient, outcomes[n].request_id)
                     for message_id, _, n, item in items],
                )
                self._apply_waiting(db, {
                    (self._request_accounts[o.request_id], item.provider_id)
                    for o in outcomes for item in o.deliveries
                    if item.status is DeliveryStatus.ACCEPTED and item.provider_id
                })
                self._execute_many(
                    db,
                    "UPDATE smsspec_requests SET sent_at = ?, answered_at = ?,"
                    " outcome_meta = ? WHERE request_id = ?",
                    [(o.sent_at, o.answered_at, _dumps(o.meta), o.request_id) for o in outcomes],
                )
                self._heartbeat(db, at)

    # ------------------------------------------------------------------ receipts

    def _apply_waiting(self, db: Any, ids: set[tuple[str, str]]) -> None:
        """Apply the receipts that came before these (account, provider id)s were recorded."""
        if not ids:
            return
        self._lock_receipts(db, shared=True)
        wanted = sorted({provider_id for _, provider_id in ids})
        waiting: set[tuple[str, str]] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            waiting.update(
                (account, provider_id)
                for account, provider_id in self._query(
                    f"SELECT DISTINCT account, provider_id FROM smsspec_receipts WHERE project = ?"
                    f" AND matched = 0 AND provider_id IN ({marks})",
                    (self.project, *chunk),
                )
            )
        for account, provider_id in sorted(waiting & ids):
            self._apply_receipts(db, account, provider_id)

    def _apply_receipts(self, db: Any, account: str, provider_id: str) -> None:
        """Set the deliveries carrying ``provider_id`` to the highest-ranked word of their receipts."""
        rows = self._query(
            "SELECT state, code, reason, received_at, digest FROM smsspec_receipts"
            " WHERE project = ? AND account = ? AND provider_id = ? AND state IS NOT NULL",
            (self.project, account, provider_id),
        )
        if not rows:
            return
        state, code, reason, received_at, _ = max(rows, key=lambda r: (RECEIPT_RANK[r[0]], r[4]))
        db.execute(
            self._sql(
                "UPDATE smsspec_deliveries SET delivery = ?, delivery_code = ?, delivery_reason = ?,"
                " delivery_at = ? WHERE project = ? AND account = ? AND provider_id = ?"
                " AND status = 'accepted'"
            ),
            (state, code, reason, received_at, self.project, account, provider_id),
        )
        db.execute(
            self._sql(
                "UPDATE smsspec_receipts SET matched = 1 WHERE project = ? AND account = ?"
                " AND provider_id = ? AND matched = 0"
            ),
            (self.project, account, provider_id),
        )

    def record_receipt(self, receipt: Receipt) -> str:
        """Record one notification, in one transaction; durable on return. What became of it:

        ``applied`` (its deliveries' state follows it), ``kept`` (its provider id is not known
        yet but a request of the account is in flight: applied when that outcome is recorded),
        ``unreadable`` (kept for a person to read; no delivery changes), ``duplicate`` (recorded
        before: nothing changes), ``unknown`` (no delivery of the account has that id and none is
        in flight: not recorded).
        """
        with self._mutex:
            if self._closed or not self.writable:
                raise LedgerError("this ledger is closed or was opened read-only")
            at = now()
            with self._guard(), self._transaction() as db:
                self._lock_receipts(db, shared=False)
                known = receipt.state is not None and bool(self._query(
                    "SELECT 1 FROM smsspec_deliveries WHERE project = ? AND account = ?"
                    " AND provider_id = ? LIMIT 1",
                    (self.project, receipt.account, receipt.provider_id),
                ))
                if receipt.state is not None and not known and not self._query(
                    "SELECT 1 FROM smsspec_deliveries WHERE project = ? AND account = ?"
                    " AND status = 'pending' AND provider_id IS NULL LIMIT 1",
                    (self.project, receipt.account),
                ):
                    return "unknown"
                inserted = db.execute(
                    self._sql(
                        "INSERT INTO smsspec_receipts (project, account, digest, provider_id, state,"
                        " code, reason, body, source, received_at, matched)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                        " ON CONFLICT (project, account, digest) DO NOTHING"
                    ),
                    (self.project, receipt.account, receipt.digest, receipt.provider_id,
                     receipt.state, check_opt_text(receipt.code, "code"),
                     check_opt_text(receipt.reason, "reason"), check_opt_text(receipt.body, "body"),
                     receipt.source, at, int(known or receipt.state is None)),
                ).rowcount == 1
                if not inserted:
                    return "duplicate"
                if receipt.state is None:
                    return "unreadable"
                if not known:
                    return "kept"
                assert receipt.provider_id is not None
                self._apply_receipts(db, receipt.account, receipt.provider_id)
                return "applied"

    def receipts(self) -> list[dict[str, Any]]:
        """Every receipt recorded for this project, oldest first (for people and tests)."""
        if not self._exists or self._columns is _STATE_COLUMNS_V1:
            return []
        with self._mutex, self._guard():
            rows = self._query(
                "SELECT account, digest, provider_id, state, code, reason, source, received_at,"
                " matched FROM smsspec_receipts WHERE project = ? ORDER BY received_at, digest",
                (self.project,),
            )
        names = ("account", "digest", "provider_id", "state", "code", "reason", "source",
                 "received_at", "matched")
        return [dict(zip(names, row, strict=True)) for row in rows]

    def _heartbeat(self, db: Any, at: str) -> None:
        db.execute(
            self._sql("UPDATE smsspec_runs SET heartbeat_at = ? WHERE run_id = ?"), (at, self.run_id)
        )

    def _writing(self) -> AbstractContextManager[None]:
        """Guard a write: after a failed one, what reached the store is unknown to this run."""
        return _Poison(self)

    # ------------------------------------------------------------------ closing

    def close(self) -> None:
        """End the run (its PENDING deliveries would read as interrupted). Safe to call twice."""
        with self._mutex:
            if self._closed:
                return
            self._closed = True
            try:
                if self.writable and self.run_id is not None and self._failure is None:
                    with self._guard(), self._transaction() as db:
                        db.execute(
                            self._sql("UPDATE smsspec_runs SET finished_at = ? WHERE run_id = ?"),
                            (now(), self.run_id),
                        )
            except LedgerError:
                pass
            finally:
                self._disconnect()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        # A view dropped without close(): let its connection go quietly.
        if not getattr(self, "_closed", True):
            self._disconnect()


class _Poison:
    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    def __enter__(self) -> None:
        self._guard = self._ledger._guard()
        self._guard.__enter__()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._guard.__exit__(exc_type, exc, tb)
        except LedgerError as translated:
            self._ledger._failure = translated
            raise
        if exc is not None and not isinstance(exc, ValueError):
            self._ledger._failure = exc


def _chunks(wanted: Mapping[str, Mapping[str, None]], size: int) -> Iterator[tuple[list[str], list[str]]]:
    """Messages and their recipients in groups of about ``size`` parameters (a message with
    more recipients than that gets groups of its own)."""
    messages: list[str] = []
    recipients: dict[str, None] = {}
    for message_id, numbers in wanted.items():
        listed = list(numbers)
        if messages and len(messages) + len(recipients) + len(listed) > size:
            yield messages, list(recipients)
            messages, recipients = [], {}
        if len(listed) > size:
            for start in range(0, len(listed), size):
                yield [message_id], listed[start : start + size]
            continue
        messages.append(message_id)
        recipients.update(dict.fromkeys(listed))
    if messages:
        yield messages, list(recipients)


def _as_text(location: str | os.PathLike[str] | Location) -> str | Location:
    return location if isinstance(location, (str, Location)) else os.fspath(location)


def _dumps(meta: Mapping[str, Any]) -> str:
    return json.dumps(dict(meta), ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _loads(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


LedgerView = Ledger
