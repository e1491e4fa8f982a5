"""Accepted messages: kept in memory, and appended to a JSON Lines file when asked.

Memory keeps the newest ``MEMORY_LIMIT`` messages (a long-running sandbox
must not grow without bound); the file, when given, is an append-only log of
every message the sandbox ever accepted, one JSON object per line. Clearing
the store empties memory only.
"""

from __future__ import annotations

import json
import os
import threading
from collections import deque
from pathlib import Path
from typing import IO

MEMORY_LIMIT = 100_000


class MessageStore:
    def __init__(
        self, path: str | os.PathLike[str] | None = None, memory_limit: int = MEMORY_LIMIT
    ) -> None:
        self._messages: deque[dict[str, object]] = deque(maxlen=memory_limit)
        self._by_provider_id: dict[tuple[object, object], dict[str, object]] = {}
        self._lock = threading.Lock()
        self._path = Path(path) if path is not None else None
        self._file: IO[str] | None = None

    @property
    def path(self) -> Path | None:
        return self._path

    def add(self, records: list[dict[str, object]]) -> None:
        if self._path is None:
            with self._lock:
                self._keep(records)
            return
        lines = "".join(
            json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records
        )
        with self._lock:
            self._keep(records)
            if self._file is None:
                self._path.parent.mkdir(parents=True, exist_ok=True)
                self._file = self._path.open("a", encoding="utf-8")
            self._file.write(lines)
            self._file.flush()

    def _keep(self, records: list[dict[str, object]]) -> None:
        for record in records:
            if len(self._messages) == self._messages.maxlen:
                oldest = self._messages[0]
                key = (oldest.get("provider"), oldest.get("provider_id"))
                if self._by_provider_id.get(key) is oldest:
                    del self._by_provider_id[key]
            self._messages.append(record)
            if record.get("provider_id") is not None:
                self._by_provider_id[(record.get("provider"), record.get("provider_id"))] = record

    def find(self, provider: str, provider_id: str) -> dict[str, object] | None:
        """The newest stored message of ``provider`` with ``provider_id``, or None."""
        with self._lock:
            return self._by_provider_id.get((provider, provider_id))

    def messages(self) -> list[dict[str, object]]:
        """Stored messages, oldest first."""
        with self._lock:
            return list(self._messages)

    def __len__(self) -> int:
        return len(self._messages)

    def clear(self) -> int:
        with self._lock:
            count = len(self._messages)
            self._messages.clear()
            self._by_provider_id.clear()
        return count

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def read_jsonl(path: str | os.PathLike[str]) -> list[dict[str, object]]:
    """The messages recorded in a store file, oldest first; blank or broken lines are skipped."""
    found: list[dict[str, object]] = []
    with Path(path).open(encoding="utf-8") as handle:
        for line in handle:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                found.append(record)
    return found
