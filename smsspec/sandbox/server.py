"""Running the sandbox: in a background thread (tests, embedding) or in the foreground (CLI)."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from datetime import datetime
from types import TracebackType

from smsspec.sandbox.accounts import SandboxAccounts
from smsspec.sandbox.dispatch import Dispatcher
from smsspec.sandbox.faults import Fault, FaultKind
from smsspec.sandbox.hosts import allowed_hosts
from smsspec.sandbox.postman import ReceiptPoster
from smsspec.sandbox.protocol import Connections, HttpConnection
from smsspec.sandbox.receipts import ReceiptSettings
from smsspec.sandbox.state import SandboxState, local_now
from smsspec.sandbox.store import MessageStore

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
_STOP_TIMEOUT = 5.0


async def _listen(state: SandboxState, host: str, port: int) -> tuple[asyncio.Server, Connections]:
    connections = Connections()
    dispatcher = Dispatcher(state)
    hosts: list[frozenset[str]] = [frozenset()]
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: HttpConnection(dispatcher, connections, hosts[0]), host, port, reuse_address=True
    )
    hosts[0] = allowed_hosts(host, server.sockets[0].getsockname()[1])
    return server, connections


async def _close(server: asyncio.Server, connections: Connections) -> None:
    server.close()
    connections.abort_all()
    await server.wait_closed()


def _url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class Sandbox:
    """The five provider simulations on one port, served from a background thread.

    >>> with Sandbox() as sandbox:  # doctest: +SKIP
    ...     httpx.post(sandbox.url + "/sms/send", ...)
    ...     sandbox.messages()
    """

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        port: int = 0,
        store: str | os.PathLike[str] | None = None,
        accounts: SandboxAccounts | None = None,
        *,
        clock: Callable[[], datetime] = local_now,
        receipts: ReceiptSettings | None = None,
    ) -> None:
        self.host = host
        self._requested_port = port
        self.accounts = accounts if accounts is not None else SandboxAccounts()
        self.state = _state(self.accounts, MessageStore(store), clock, receipts)
        self._port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._connections: Connections | None = None

    # lifecycle

    def start(self) -> None:
        """Start serving in a background thread; returns once the port is listening."""
        if self._thread is not None:
            raise RuntimeError("the sandbox is already running")
        ready = threading.Event()
        failure: list[BaseException] = []
        if self.state.poster is not None:
            self.state.poster.start()
        thread = threading.Thread(
            target=self._run, args=(ready, failure), name="smsspec-sandbox", daemon=True
        )
        thread.start()
        ready.wait()
        if failure:
            thread.join()
            if self.state.poster is not None:
                self.state.poster.stop()
            raise failure[0]
        self._thread = thread

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        try:
            server, connections = loop.run_until_complete(
                _listen(self.state, self.host, self._requested_port)
            )
        except BaseException as problem:
            failure.append(problem)
            loop.close()
            ready.set()
            return
        self._loop, self._server, self._connections = loop, server, connections
        self._port = server.sockets[0].getsockname()[1]
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def stop(self) -> None:
        """Stop serving; connections held open by a fault are closed too. Idempotent."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        server, connections = self._server, self._connections
        assert server is not None and connections is not None
        future = asyncio.run_coroutine_threadsafe(_close(server, connections), loop)
        try:
            future.result(_STOP_TIMEOUT)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(_STOP_TIMEOUT)
            self._thread = self._loop = self._server = self._connections = None
            if self.state.poster is not None:
                self.state.poster.stop()
            self.state.store.close()

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # where

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the sandbox has not been started")
        return self._port

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321``; endpoint paths go after it."""
        return _url(self.host, self.port)

    # what happened

    def messages(self) -> list[dict[str, object]]:
        """Accepted messages, oldest first (see :mod:`smsspec.sandbox.records` for the keys)."""
        return self.state.store.messages()

    def stats(self) -> dict[str, object]:
        """``{"requests": {path: n}, "total": n, "stored": n}``, and ``"receipts"`` (see
        :meth:`ReceiptPoster.stats`) when the sandbox posts receipts."""
        return self.state.stats()

    def wait_for_receipts(self, timeout: float) -> bool:
        """Wait until every receipt due was posted or given up; False if ``timeout`` passed first."""
        poster = self.state.poster
        return True if poster is None else poster.wait_idle(timeout)

    # steering

    def add_fault(
        self,
        fault: str | FaultKind,
        path: str | None = None,
        times: int = 1,
        retry_after: float | None = None,
    ) -> Fault:
        """Spoil the next ``times`` requests to ``path`` (endpoint path or provider id; None: any)."""
        return self.state.add_fault(fault, path, times, retry_after)

    def clear_faults(self) -> None:
        self.state.faults.clear()

    def clear(self) -> None:
        """Forget stored messages (the store file is kept), pending faults and request counts."""
        self.state.clear()


def serve_forever(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    store: str | os.PathLike[str] | None = None,
    accounts: SandboxAccounts | None = None,
    *,
    on_ready: Callable[[str], None] | None = None,
    receipts: ReceiptSettings | None = None,
) -> None:
    """Serve in the foreground until interrupted (Ctrl-C returns normally).

    ``on_ready`` receives the base URL once the port is listening, so the
    caller can tell the user where the sandbox is.
    """
    state = _state(accounts or SandboxAccounts(), MessageStore(store), local_now, receipts)
    if state.poster is not None:
        state.poster.start()

    async def main() -> None:
        server, connections = await _listen(state, host, port)
        if on_ready is not None:
            on_ready(_url(host, server.sockets[0].getsockname()[1]))
        try:
            await asyncio.Event().wait()
        finally:
            await _close(server, connections)

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    finally:
        if state.poster is not None:
            state.poster.stop()
        state.store.close()


def _state(
    accounts: SandboxAccounts,
    store: MessageStore,
    clock: Callable[[], datetime],
    receipts: ReceiptSettings | None,
) -> SandboxState:
    """The state of a new sandbox; it posts receipts when ``receipts`` names a URL."""
    settings = receipts or ReceiptSettings()
    poster = ReceiptPoster() if settings.urls else None
    return SandboxState(accounts, store, clock, receipts=settings, poster=poster)
