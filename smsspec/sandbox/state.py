"""Everything a running sandbox remembers, shared by the server thread and the caller's."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from smsspec.sandbox.accounts import SandboxAccounts
from smsspec.sandbox.faults import Fault, FaultKind, FaultQueue
from smsspec.sandbox.postman import ReceiptPoster
from smsspec.sandbox.providers import BY_PATH, endpoint_paths
from smsspec.sandbox.receipts import ReceiptSettings
from smsspec.sandbox.store import MessageStore


def local_now() -> datetime:
    return datetime.now().astimezone()


class RequestCounter:
    """Requests received per path (query string left out)."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def count(self, path: str) -> None:
        with self._lock:
            self._counts[path] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._counts.items()))

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()


@dataclass
class SandboxState:
    accounts: SandboxAccounts
    store: MessageStore
    clock: Callable[[], datetime] = local_now
    faults: FaultQueue = field(default_factory=FaultQueue)
    requests: RequestCounter = field(default_factory=RequestCounter)
    receipts: ReceiptSettings = field(default_factory=ReceiptSettings)
    poster: ReceiptPoster | None = None
    """Posts receipts while the sandbox runs, when ``receipts`` names a URL."""

    def add_fault(
        self,
        fault: str | FaultKind,
        path: str | None = None,
        times: int = 1,
        retry_after: float | None = None,
    ) -> Fault:
        """Queue a fault; ``path`` is an endpoint path or a provider id, None for any endpoint."""
        return self.faults.add(fault, resolve_endpoint(path), times, retry_after)

    def stats(self) -> dict[str, object]:
        counts = self.requests.snapshot()
        found: dict[str, object] = {"requests": counts, "total": sum(counts.values()), "stored": len(self.store)}
        if self.poster is not None:
            found["receipts"] = self.poster.stats()
        return found

    def clear(self) -> None:
        """Forget stored messages, pending faults and request counts."""
        self.store.clear()
        self.faults.clear()
        self.requests.clear()


def resolve_endpoint(path: str | None) -> str | None:
    if path is None:
        return None
    if not isinstance(path, str):
        raise ValueError("path must be a string")
    paths = endpoint_paths()
    if path in paths:
        return paths[path]
    if path not in BY_PATH:
        known = ", ".join(sorted(BY_PATH))
        raise ValueError(f"{path!r} is neither a provider id nor an endpoint path ({known})")
    return path
