"""One client connection: bytes in, requests parsed in order, answers written in order.

Requests are handled synchronously as soon as they are complete, so
pipelined requests are answered in the order they came. When the client
stops reading and the write buffer fills, reading pauses too.
"""

from __future__ import annotations

import asyncio
import socket
import struct

from smsspec.sandbox.dispatch import Action, Dispatcher, Mode
from smsspec.sandbox.faults import DRIP_SECONDS
from smsspec.sandbox.wire import (
    CONTINUE,
    HttpError,
    Reply,
    Request,
    RequestParser,
    encode_head,
    encode_reply,
)

LINGER_SECONDS = 2.0


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


class HttpConnection(asyncio.Protocol):
    def __init__(self, dispatcher: Dispatcher, connections: Connections) -> None:
        self._dispatcher = dispatcher
        self._connections = connections
        self._parser = RequestParser()
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
        self._parser.feed(data)
        self._serve()

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
                request = self._parser.next_request()
            except HttpError as problem:
                reply = Reply(problem.status, f"{problem.detail}\n".encode())
                transport.write(encode_reply(reply, keep_alive=False))
                self._linger(transport)
                return
            if request is None:
                if self._parser.wants_continue():
                    transport.write(CONTINUE)
                return
            self._perform(self._dispatcher.handle(request), request, transport)

    def _perform(self, action: Action, request: Request, transport: asyncio.Transport) -> None:
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
            self._drip(transport, encode_reply(reply, keep_alive=False, version=request.version), 0)
            return
        if action.mode is Mode.CUT:
            head = encode_head(reply, keep_alive=False, version=request.version)
            transport.write(head + reply.body[: len(reply.body) // 2])
            self._finish(transport)
            return
        transport.write(encode_reply(reply, request.keep_alive, request.version))
        if not request.keep_alive:
            self._finish(transport)

    def _drip(self, transport: asyncio.Transport, data: bytes, sent: int) -> None:
        """One byte of ``data`` now and the next one later, until all is written or the line is gone."""
        if transport.is_closing():
            return
        if sent == len(data):
            transport.close()
            return
        transport.write(data[sent : sent + 1])
        asyncio.get_running_loop().call_later(DRIP_SECONDS, self._drip, transport, data, sent + 1)

    def _finish(self, transport: asyncio.Transport) -> None:
        self._done = True
        transport.close()

    def _linger(self, transport: asyncio.Transport) -> None:
        """Close after an error without losing the answer.

        The client may still be sending a body the server refused; closing
        with unread bytes would reset the connection and could destroy the
        answer before the client reads it. So: send FIN, drain what arrives
        for a moment, then close.
        """
        self._done = True
        if transport.can_write_eof():
            transport.write_eof()
        asyncio.get_running_loop().call_later(LINGER_SECONDS, transport.close)
