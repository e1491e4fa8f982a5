"""The receiver: an ASGI application taking providers' notifications at
``POST /receipts/<account>/<token>`` and recording them in the ledger.

Answers: 200 for a notification read and recorded (a provider's documented
opt-out notification puts its number on the ledger's opt-out list, source
``provider STOP, <account>``), a repeat, one for a
provider id nobody here sent, and one that cannot be read (kept as
unreadable): a provider retries anything else, so each of these stops it.
404 for anything but a POST to a served account with its token (compared in
constant time; recorded nowhere), 413 for a body over :data:`MAX_BODY_BYTES`
(read no further), 503 when the ledger cannot take it now (the provider
retries later). Only the path's account and the body are read; nothing
from the request is echoed back.

Run it with ``smsspec receipts serve`` (uvicorn), or under any ASGI server
with ``uvicorn --factory smsspec.receipts.setup:from_environment`` (smsspec.yaml
from ``SMSSPEC_CONFIG`` or the current folder, the ledger as ``send`` finds it).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, TypeVar

from smsspec.errors import LedgerError
from smsspec.receipts.inboxes import Inbox
from smsspec.receipts.reading import read_notice
from smsspec.send.ledger import Ledger
from smsspec.send.ledger.location import Location
from smsspec.send.ledger.records import Receipt

MAX_BODY_BYTES = 64 * 1024  # a postback is a few hundred bytes
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
T = TypeVar("T")


class ReceiptsApp:
    """The ASGI application. ``ledger``: where receipts go (opened with :meth:`Ledger.attach`
    on first use, and again after a failure)."""

    def __init__(
        self,
        accounts: Mapping[str, Inbox],
        ledger: Location | str,
        project: str,
        *,
        max_body: int = MAX_BODY_BYTES,
    ) -> None:
        self.accounts = dict(accounts)
        self.location = ledger
        self.project = project
        self.max_body = max_body
        self._ledger: Ledger | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ ASGI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            try:
                status, answer = await self._handle(scope, receive)
            except Exception:  # never a traceback to the provider or the log
                status, answer = 500, {"error": "internal error"}
            await _reply(send, status, answer)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _handle(self, scope: Scope, receive: Receive) -> tuple[int, dict[str, Any]]:
        inbox = self._inbox(scope)
        if inbox is None:
            return 404, {"error": "not found"}
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            return 413, {"error": f"the body is larger than {self.max_body} bytes"}
        body = await self._body(receive)
        if body is None:
            return 413, {"error": f"the body is larger than {self.max_body} bytes"}
        assert inbox.reading is not None
        content_type = (_header(scope, b"content-type") or "")[:200]
        notice = read_notice(inbox.reading, body, content_type)
        if notice.opted_out is not None:
            try:
                await asyncio.to_thread(self._opt_out, notice.opted_out, inbox.account)
            except LedgerError:
                return 503, {"error": "the ledger cannot take it now; try again later"}
            return 200, {"recorded": "opted-out"}
        receipt = Receipt(
            inbox.account,
            hashlib.sha256(body).hexdigest(),
            notice.provider_id if notice.state else None,
            notice.state,
            notice.code,
            notice.reason,
            body=None if notice.state else body.decode("utf-8", "replace"),
        )
        try:
            result = await asyncio.to_thread(self._record, receipt)
        except LedgerError:
            return 503, {"error": "the ledger cannot take it now; try again later"}
        return 200, {"recorded": result}

    def _inbox(self, scope: Scope) -> Inbox | None:
        parts = str(scope.get("path", "")).split("/")
        if scope.get("method") != "POST" or len(parts) != 4 or parts[:2] != ["", "receipts"]:
            return None
        inbox = self.accounts.get(parts[2])
        given = parts[3].encode("utf-8", "replace")
        if inbox is None or not hmac.compare_digest(given, inbox.token):
            return None
        return inbox

    async def _body(self, receive: Receive) -> bytes | None:
        """The body, or None once it passes the limit (the rest is not read)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"".join(chunks)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    # ------------------------------------------------------------------ ledger

    def _record(self, receipt: Receipt) -> str:
        return self._write(lambda ledger: ledger.record_receipt(receipt))

    def _opt_out(self, number: str, account: str) -> None:
        """A provider's STOP: the number goes on the ledger's opt-out list (again: no change)."""
        self._write(lambda ledger: ledger.add_opt_outs([number], f"provider STOP, {account}"))

    def _write(self, action: Callable[[Ledger], T]) -> T:
        with self._lock:
            if self._ledger is None:
                self._ledger = Ledger.attach(self.location, self.project)
            try:
                return action(self._ledger)
            except LedgerError:
                self._ledger.close()  # a broken connection: the next notification opens anew
                self._ledger = None
                raise

    def close(self) -> None:
        with self._lock:
            if self._ledger is not None:
                self._ledger.close()
                self._ledger = None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1").strip()
    return None


async def _reply(send: Send, status: int, answer: Mapping[str, Any]) -> None:
    body = json.dumps(answer).encode("utf-8")
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
    })
    await send({"type": "http.response.body", "body": body})


# ---------------------------------------------------------------------- running it


def _server(app: ReceiptsApp, host: str, port: int) -> Any:
    import uvicorn

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        access_log=False,  # the path holds the token
        log_level="warning",
        lifespan="on",
        server_header=False,
        date_header=False,
        proxy_headers=False,
        limit_concurrency=64,
        timeout_keep_alive=5,
        h11_max_incomplete_event_size=16 * 1024,
    )
    return uvicorn.Server(config)


def listen(host: str, port: int) -> socket.socket:
    """A listening socket (OSError when the address is taken or not ours)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def serve(app: ReceiptsApp, sock: socket.socket) -> None:
    """Serve ``app`` under uvicorn on a socket from :func:`listen` until interrupted (Ctrl-C,
    SIGTERM); uvicorn then passes the signal on."""
    host, port = sock.getsockname()[:2]
    _server(app, host, port).run(sockets=[sock])


@dataclass
class RunningReceiver:
    """A receiver serving in a thread of this process (``send --sandbox``, tests)."""

    url: str
    _server: Any
    _thread: threading.Thread

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)


def start_in_thread(app: ReceiptsApp, host: str = "127.0.0.1", port: int = 0) -> RunningReceiver:
    """Serve ``app`` in a daemon thread; returns once it listens (port 0: a free one)."""
    sock = listen(host, port)
    server = _server(app, host, port)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    ready = threading.Event()
    while not server.started:
        if not thread.is_alive():
            raise OSError(f"the receiver could not start on {host}:{port}")
        ready.wait(0.01)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    return RunningReceiver(f"http://{shown}:{bound}", server, thread)
