"""The shared ledger: a PostgreSQL database, through psycopg 3.

Each run holds a session advisory lock (two keys: a constant and the run's
``lock_key``) for as long as its connection lives; other runs read
``pg_locks`` to tell a live run from a dead one, so a run that was killed, or
whose machine vanished, is known dead as soon as the server drops its
connection. Migrations are serialised by a transaction-level advisory lock.
Errors never carry the URL's password.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from smsspec.errors import LedgerError
from smsspec.send.ledger.store import Ledger

LOCK_CLASS = 0x534D53  # "SMS": the first key of every advisory lock smsspec takes
CONNECT_TIMEOUT = 10


class PostgresLedger(Ledger):
    placeholder = "%s"
    shared = True
    _db: Any = None

    def _connect(self) -> None:
        try:
            import psycopg
        except ImportError as exc:
            raise LedgerError(
                "a PostgreSQL ledger needs psycopg: pip install 'smsspec[postgres]'"
            ) from exc
        assert self.location.url is not None
        with self._guard():
            self._db = psycopg.connect(
                self.location.url,
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT,
                application_name="smsspec",
            )

    def _disconnect(self) -> None:
        if self._db is not None:
            with contextlib.suppress(Exception):
                self._db.close()
            self._db = None

    def _conn(self) -> Any:
        if self._db is None:
            raise LedgerError(f"ledger {self.location.shown()} is not open")
        return self._db

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Any]:
        db = self._conn()
        with db.transaction():
            yield db

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s")

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self._conn().execute(self._sql(sql), tuple(params)).fetchall())

    def _table_exists(self, name: str) -> bool:
        rows = self._query("SELECT to_regclass(?) IS NOT NULL", (name,))
        return bool(rows[0][0])

    def _lock_schema(self, db: Any) -> None:
        db.execute("SELECT pg_advisory_xact_lock(%s, 0)", (LOCK_CLASS,))

    def _lock_receipts(self, db: Any, *, shared: bool) -> None:
        # (LOCK_CLASS, -1): run locks use keys >= 0, migrations (LOCK_CLASS, 0).
        how = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        db.execute(f"SELECT {how}(%s, -1)", (LOCK_CLASS,))

    def _lock_run(self, lock_key: int) -> None:
        with self._guard():
            self._conn().execute("SELECT pg_advisory_lock(%s, %s)", (LOCK_CLASS, lock_key))

    def _claim_rows(
        self, db: Any, rows: Sequence[tuple[str, str, str, str, str, str | None]], at: str
    ) -> set[tuple[str, str]]:
        """As the base, with each kind of claim sent as one pipelined batch (one round trip)."""
        new, again = self._claim_params(rows, at)
        got: set[tuple[str, str]] = set()
        with db.cursor() as cursor:
            for sql, params in ((self._CLAIM_NEW, new), (self._CLAIM_AGAIN, again)):
                if not params:
                    continue
                cursor.executemany(
                    self._sql(sql) + " RETURNING message_id, recipient", params, returning=True
                )
                while True:
                    got.update((m, r) for m, r in cursor.fetchall())
                    if not cursor.nextset():
                        break
        return got

    def _execute_many(self, db: Any, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            with db.cursor() as cursor:
                cursor.executemany(self._sql(sql), rows)

    def _heartbeat(self, db: Any, at: str) -> None:
        """Nothing to do: the advisory lock says the run is alive (saves a round trip a commit)."""

    def _alive(self, rows: Sequence[tuple[Any, ...]]) -> dict[str, bool]:
        held = {
            int(objid)
            for (objid,) in self._query(
                "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory'"
                " AND classid = ?::bigint::oid AND objsubid = 2 AND granted",
                (LOCK_CLASS,),
            )
        }
        return {run_id: int(lock_key) in held for run_id, _, _, _, lock_key, _ in rows}

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        import psycopg

        try:
            yield
        except psycopg.Error as exc:
            text = " ".join(str(exc).split())
            for secret in self.location.secrets():
                text = text.replace(secret, "***")
            raise LedgerError(f"ledger {self.location.shown()}: {text}") from exc
