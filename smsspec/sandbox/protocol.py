"""One client connection: bytes in, h11 events out, requests answered in order.

h11 parses and frames; this module adds the sandbox's own refusals, each
answered with a status and a closed connection, since the byte stream can no
longer be trusted to be at a request boundary:

* a request line or header that h11 refuses, or a header value with a
  control character -> 400; a target that is not a path -> 400
* a request line and headers over :data:`~smsspec.sandbox.exchange.MAX_HEAD` bytes -> 431
* a body over :data:`~smsspec.sandbox.exchange.MAX_BODY` bytes -> 413
* ``Transfer-Encoding`` of any kind (chunked bodies) -> 501
* an HTTP version other than 1.0 or 1.1 -> 505
* a ``Host`` that does not name this sandbox -> 421 (see :mod:`smsspec.sandbox.hosts`)

Requests are handled synchronously as soon as they are complete, so
pipelined requests are answered in the order they came. When the client
stops reading and the write buffer fills, reading pauses too. Faults that
misbehave below HTTP (hang, cut, reset, drip) act on the socket here; h11
encodes what they write.
"""

from __future__ import annotations

import asyncio
import re
import socket
import struct
import time
from collections.abc import Iterable
from dataclasses import replace
from email.utils import formatdate
from http import HTTPStatus

import h11

from smsspec.sandbox.dispatch import Action, Dispatcher, Mode
from smsspec.sandbox.exchange import MAX_BODY, MAX_HEAD, Reply, Request
from smsspec.sandbox.faults import DRIP_SECONDS
from smsspec.sandbox.hosts import MISDIRECTED, host_problem

LINGER_SECONDS = 2.0
_BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_REASONS = {s.value: s.phrase.encode("ascii") for s in HTTPStatus}
_REASONS[529] = b"Site Is Overloaded"
_SERVER = ("Server", "smsspec-sandbox")


class Connections:
    """The open connections of one server, so stopping can end the held ones too."""

    def __init__(self) -> None:
        self._open: set[asyncio.Transport] = set()

    def add(self, transport: asyncio.Transport) -> None:
        self._open.add(transport)

    def discard(self, transport: asyncio.Transport) -> None:
        self._open.discard(transport)

    def abort_all(self) -> None:
        for transport in list(self._open):
            transport.abort()
        self._open.clear()


class _Refusal(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class _DateCache:
    def __init__(self) -> None:
        self._second = -1
        self._value = ""

    def now(self) -> str:
        second = int(time.time())
        if second != self._second:
            self._second = second
            self._value = formatdate(second, usegmt=True)
        return self._value


_DATES = _DateCache()


class HttpConnection(asyncio.Protocol):
    def __init__(
        self, dispatcher: Dispatcher, connections: Connections, hosts: frozenset[str]
    ) -> None:
        self._dispatcher = dispatcher
        self._connections = connections
        self._hosts = hosts
        self._http = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)
        self._head: Request | None = None
        self._body = bytearray()
        self._transport: asyncio.Transport | None = None
        self._done = False
        self._write_paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._connections.add(transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._transport is not None:
            self._connections.discard(self._transport)
        self._done = True

    def data_received(self, data: bytes) -> None:
        if self._done:
            return  # lingering after an error, or holding the line: ignore what comes
        self._http.receive_data(data)
        self._serve()

    def eof_received(self) -> bool | None:
        if not self._done:
            self._http.receive_data(b"")
            self._serve()
        return None

    def pause_writing(self) -> None:
        self._write_paused = True
        if self._transport is not None and not self._done:
            self._transport.pause_reading()

    def resume_writing(self) -> None:
        self._write_paused = False
        if self._transport is not None and not self._done:
            self._transport.resume_reading()
            self._serve()

    def _serve(self) -> None:
        transport = self._transport
        assert transport is not None
        while not self._done and not self._write_paused:
            try:
                request = self._next_request()
            except _Refusal as refusal:
                self._refuse(transport, refusal)
                return
            if request is None:
                return
            self._perform(self._dispatcher.handle(request), transport)

    def _next_request(self) -> Request | None:
        """The next complete request, or None when more bytes are needed (or the client left)."""
        http = self._http
        while True:
            if http.our_state is h11.DONE and http.their_state is h11.DONE:
                http.start_next_cycle()
            try:
                event = http.next_event()
            except h11.RemoteProtocolError as problem:
                raise _Refusal(problem.error_status_hint, str(problem)) from None
            if event is h11.NEED_DATA:
                if http.they_are_waiting_for_100_continue:
                    self._write(h11.InformationalResponse(status_code=100, headers=[], reason=b"Continue"))
                return None
            if isinstance(event, h11.Request):
                self._head = _checked(event, self._hosts)
                self._body.clear()
            elif isinstance(event, h11.Data):
                self._body += event.data
            elif isinstance(event, h11.EndOfMessage):
                assert self._head is not None
                return replace(self._head, body=bytes(self._body))
            else:  # ConnectionClosed or PAUSED: nothing more to read on this connection
                if isinstance(event, h11.ConnectionClosed):
                    self._finish()
                return None

    def _write(self, *events: h11.Event) -> None:
        """Send ``events`` in one write, so an answer leaves in as few packets as it can."""
        assert self._transport is not None
        data = self._encode(events)
        if data:
            self._transport.write(data)

    def _encode(self, events: Iterable[h11.Event]) -> bytes:
        return b"".join(self._http.send(event) or b"" for event in events)

    def _answer(self, reply: Reply, close: bool = False, cut: bool = False) -> list[h11.Event]:
        """The h11 events of ``reply``; ``cut``: the head and half the body, and no end."""
        headers = [_SERVER, ("Date", _DATES.now())]
        if reply.status >= 200 and reply.status not in (204, 304):
            headers += [("Content-Type", reply.content_type), ("Content-Length", str(len(reply.body)))]
        headers += reply.headers
        if close:
            headers.append(("Connection", "close"))
        reason = _REASONS.get(reply.status, b"Unknown")
        events: list[h11.Event] = [h11.Response(status_code=reply.status, headers=headers, reason=reason)]
        body = reply.body[: len(reply.body) // 2] if cut else reply.body
        if body:
            events.append(h11.Data(data=body))
        if not cut:
            events.append(h11.EndOfMessage())
        return events

    def _drip(self, transport: asyncio.Transport, data: bytes, sent: int) -> None:
        """One byte of ``data`` now and the next one later, until all is written or the line is gone."""
        if transport.is_closing():
            return
        if sent == len(data):
            transport.close()
            return
        transport.write(data[sent : sent + 1])
        asyncio.get_running_loop().call_later(DRIP_SECONDS, self._drip, transport, data, sent + 1)

    def _perform(self, action: Action, transport: asyncio.Transport) -> None:
        if action.mode is Mode.HANG:
            # Answer nothing, ever; keep reading only to notice when the client gives up.
            self._done = True
            return
        if action.mode is Mode.RESET:
            self._done = True
            sock = transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
            return
        reply = action.reply
        assert reply is not None
        if action.mode is Mode.DRIP:
            self._done = True
            self._drip(transport, self._encode(self._answer(reply, close=True)), 0)
            return
        if action.mode is Mode.CUT:
            self._write(*self._answer(reply, close=True, cut=True))
            self._finish()
            return
        self._write(*self._answer(reply))
        if self._http.our_state is h11.MUST_CLOSE:
            self._finish()

    def _refuse(self, transport: asyncio.Transport, refusal: _Refusal) -> None:
        """Answer ``refusal`` and close without losing the answer.

        The client may still be sending a body the server refused; closing
        with unread bytes would reset the connection and could destroy the
        answer before the client reads it. So: send FIN, drain what arrives
        for a moment, then close.
        """
        if self._http.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            self._write(*self._answer(Reply(refusal.status, f"{refusal.detail}\n".encode()), close=True))
        self._done = True
        if transport.can_write_eof():
            transport.write_eof()
        asyncio.get_running_loop().call_later(LINGER_SECONDS, transport.close)

    def _finish(self) -> None:
        self._done = True
        if self._transport is not None:
            self._transport.close()


def _checked(event: h11.Request, hosts: frozenset[str]) -> Request:
    """The request ``event`` starts, without its body, if the sandbox serves it; raises _Refusal otherwise."""
    if event.http_version not in (b"1.0", b"1.1"):
        raise _Refusal(505, "only HTTP/1.0 and HTTP/1.1 are served")
    size = len(event.target)
    host: str | None = None
    headers = []
    for raw_name, raw_value in event.headers.raw_items():
        size += len(raw_name) + len(raw_value) + 4
        if size > MAX_HEAD:  # h11 bounds only a head that is still arriving
            raise _Refusal(431, "request header section too large")
        if _BAD_VALUE.search(raw_value):
            raise _Refusal(400, "control character in a header value")
        name, value = raw_name.decode("ascii").lower(), raw_value.decode("latin-1")
        if name == "transfer-encoding":
            raise _Refusal(501, "only Content-Length framed bodies are accepted")
        if name == "content-length" and int(value) > MAX_BODY:
            raise _Refusal(413, f"request body larger than {MAX_BODY} bytes")
        if name == "host":
            host = value
        headers.append((name, value))
    misdirected = host_problem(host, hosts, event.http_version == b"1.0")
    if misdirected is not None:
        raise _Refusal(MISDIRECTED, misdirected)
    return Request.build(event.method.decode("ascii"), _origin_form(event.target), tuple(headers), b"")


def _origin_form(target: bytes) -> str:
    if target.startswith(b"/"):
        text = target
    elif target.lower().startswith((b"http://", b"https://")):
        rest = target.split(b"//", 1)[1]
        slash = rest.find(b"/")
        text = rest[slash:] if slash >= 0 else b"/"
    else:
        raise _Refusal(400, "request target must be a path")
    try:
        return text.decode("ascii")
    except UnicodeDecodeError:
        raise _Refusal(400, "request target is not ASCII") from None
