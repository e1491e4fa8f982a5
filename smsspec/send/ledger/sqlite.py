"""The local ledger: one SQLite file (stdlib ``sqlite3``; WAL, ``synchronous=FULL``).

Runs on one machine cooperate through SQLite's own locking (a write
transaction is exclusive; ``busy_timeout`` waits for it), and tell a live run
from a dead one by its process id and start time. The file is refused when it
is not a regular file (a FIFO or a device would hang or never end), when it
has more than one name (SQLite keeps its journal beside the name it was
given, so two names would be two journals), or when it is not a SQLite
database.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from smsspec.send.ledger.records import LedgerCorrupt, LedgerError
from smsspec.send.ledger.store import Ledger

BUSY_TIMEOUT_MS = 60_000
_MAGIC = b"SQLite format 3\x00"


class SQLiteLedger(Ledger):
    _db: sqlite3.Connection | None = None

    @property
    def path(self) -> Path:
        assert self.location.path is not None
        return self.location.path

    def _connect(self) -> None:
        path = _checked_path(self.path)
        if not path.exists():
            if not self.writable:
                self._exists = False
                return
            _makedirs(path.parent)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            os.close(fd)
        mode = "rwc" if self.writable else "ro"
        with self._guard():
            self._db = sqlite3.connect(
                f"{path.as_uri()}?mode={mode}",
                uri=True,
                isolation_level=None,
                check_same_thread=False,
                timeout=BUSY_TIMEOUT_MS / 1000,
            )
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if self.writable:
                self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = FULL")
            self._db.execute("PRAGMA foreign_keys = ON")

    def _disconnect(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise LedgerError(f"ledger {self.path} is not open")
        return self._db

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Any]:
        db = self._conn()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self._db is None:
            return []
        return list(self._db.execute(sql, tuple(params)).fetchall())

    def _table_exists(self, name: str) -> bool:
        if self._db is None:
            return False
        rows = self._query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
        return bool(rows)

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.DatabaseError as exc:
            text = str(exc)
            if "not a database" in text or "malformed" in text or "corrupt" in text:
                raise LedgerCorrupt(
                    f"{self.path} is damaged or not an smsspec ledger (SQLite: {text});"
                    " nothing was sent. Restore it from a backup, or move it aside to start afresh"
                    " (which forgets what was sent)"
                ) from exc
            raise LedgerError(f"ledger {self.path}: {text}") from exc
        except sqlite3.Error as exc:
            raise LedgerError(f"ledger {self.path}: {exc}") from exc


def _checked_path(path: Path) -> Path:
    """The real path of the ledger file, refusing what SQLite cannot safely use."""
    real = Path(os.path.realpath(path))
    try:
        info = os.stat(real)
    except FileNotFoundError:
        return real
    except OSError as exc:
        raise LedgerError(f"cannot use {path} as a ledger: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise LedgerError(f"cannot use {path} as a ledger: it is {kind}")
    if info.st_nlink > 1:
        raise LedgerError(
            f"cannot use {path} as a ledger: it has {info.st_nlink} names (hard links);"
            " SQLite keeps its journal beside one name, so give it exactly one"
        )
    if info.st_size:
        try:
            with open(real, "rb") as head:
                magic = head.read(len(_MAGIC))
        except OSError as exc:
            raise LedgerError(f"cannot read the ledger {path}: {exc.strerror or exc}") from exc
        if magic != _MAGIC:
            hint = " (an old JSON Lines ledger? bring it over with `smsspec ledger import`)" if magic[:1] == b"{" else ""
            raise LedgerCorrupt(f"{path} is not an smsspec ledger (not a SQLite database){hint}")
    return real


def _makedirs(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LedgerError(f"cannot create {directory} for the ledger: {exc.strerror or exc}") from exc
