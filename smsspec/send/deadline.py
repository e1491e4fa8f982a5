"""An overall deadline for each HTTP attempt, and a stop that ends a wait within seconds.

httpx's timeouts are per operation: a read timeout of 30 s ends a wait of
30 s for the *next* bytes, so an answer that comes one byte a second is never
cut off. Here every socket operation of an attempt (connect, write, each read)
is also bounded by the time left to the attempt's deadline, and a waiting read
wakes every ``POLL_SECONDS`` to look at the run's stop event: once a stop is
seen the attempt gets ``STOP_GRACE_SECONDS`` more to finish, then it ends.

The limit travels in a thread-local: httpx's synchronous client does all of a
request's I/O in the thread that sends it, so the transport sets the limit
around one attempt (:func:`limited`) and the streams of the connection pool
read it. A stream used outside :func:`limited` behaves exactly as httpcore's.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpcore

from smsspec.errors import DeadlinePassed, StoppedWaiting

if TYPE_CHECKING:
    import ssl

    import httpx

POLL_SECONDS = 0.25
STOP_GRACE_SECONDS = 2.0




@dataclass
class _Limit:
    deadline: float  # time.monotonic()
    stop: threading.Event
    stop_by: float | None = None

    def left(self) -> float:
        """Seconds this attempt may still take; raises once it may take none."""
        now = time.monotonic()
        if self.stop_by is None and self.stop.is_set():
            self.stop_by = now + STOP_GRACE_SECONDS
        if self.stop_by is not None and now >= self.stop_by:
            raise StoppedWaiting
        if now >= self.deadline:
            raise DeadlinePassed
        return min(self.deadline, self.stop_by or self.deadline) - now


_current = threading.local()


@contextlib.contextmanager
def limited(seconds: float, stop: threading.Event) -> Iterator[None]:
    """Bound the HTTP attempt made inside (in this thread) to ``seconds`` and to ``stop``."""
    _current.limit = _Limit(time.monotonic() + seconds, stop)
    try:
        yield
    finally:
        _current.limit = None


def _limit() -> _Limit | None:
    limit: _Limit | None = getattr(_current, "limit", None)
    return limit


def _bounded(timeout: float | None, left: float) -> float:
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        limit = _limit()
        if limit is None:
            return self._inner.read(max_bytes, timeout)
        started = time.monotonic()
        while True:
            left = limit.left()
            waited = time.monotonic() - started
            if timeout is not None and waited >= timeout:
                raise httpcore.ReadTimeout("timed out")
            wait = min(left, POLL_SECONDS, timeout - waited if timeout is not None else left)
            try:
                return self._inner.read(max_bytes, wait)
            except httpcore.ReadTimeout:  # nothing was read; look at the clock and the stop again
                continue

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        limit = _limit()
        if limit is None:
            self._inner.write(buffer, timeout)
            return
        try:
            self._inner.write(buffer, _bounded(timeout, limit.left()))
        except httpcore.WriteTimeout:
            limit.left()  # raises when the deadline or the stop cut the write short
            raise

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        limit = _limit()
        if limit is not None:
            timeout = _bounded(timeout, limit.left())
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        limit = _limit()
        if limit is not None:
            try:
                timeout = _bounded(timeout, limit.left())
            except (DeadlinePassed, StoppedWaiting) as exc:  # nothing has left this machine
                raise httpcore.ConnectTimeout(type(exc).__name__) from None
        return _Stream(self._inner.connect_tcp(host, port, timeout, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        return _Stream(self._inner.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def with_deadlines(client: httpx.Client) -> httpx.Client:
    """``client`` with every connection pool's streams bounded by :func:`limited`.

    httpx has no public way to choose the network backend of its default
    transport, so this sets the pool's; if httpx changes that, this fails at
    once rather than sending without deadlines.
    """
    transports = [client._transport, *(t for t in client._mounts.values() if t is not None)]
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if backend is None:
            if transport is client._transport:
                raise RuntimeError("cannot bound requests by a deadline with this httpx version")
            continue
        if not isinstance(backend, _Backend):
            pool._network_backend = _Backend(backend)  # type: ignore[union-attr]
    return client
