"""A small, strict HTTP/1.1 request parser and response encoder.

Only what the sandbox needs: origin-form (or absolute-form) targets, bodies
framed by ``Content-Length``, keep-alive and pipelining. Anything else is
refused with a status code rather than guessed at:

* a request line or header that does not follow the grammar -> 400
* a header section larger than ``max_head`` bytes -> 431
* a body larger than ``max_body`` bytes -> 413
* ``Transfer-Encoding`` of any kind (chunked bodies) -> 501
* an HTTP version other than 1.0 or 1.1 -> 505

Every such error closes the connection, since the byte stream can no longer
be trusted to be at a request boundary.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus

MAX_BODY = 1024 * 1024
MAX_HEAD = 16 * 1024

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_REQUEST_LINE = re.compile(rb"([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\S+) HTTP/(\d)\.(\d)")
_BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_DIGITS = re.compile(rb"[0-9]+")


class HttpError(Exception):
    """The request cannot be served; answer ``status`` and close."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class Request:
    method: str
    target: str
    path: str
    query: str
    version: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    keep_alive: bool
    _index: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def header(self, name: str, default: str | None = None) -> str | None:
        """The value of header ``name`` (case-insensitive); repeated headers are joined with ", "."""
        return self._index.get(name.lower(), default)

    def header_map(self) -> dict[str, str]:
        """All headers, names lower-cased, repeated ones joined."""
        return dict(self._index)


@dataclass
class _Head:
    method: str
    target: str
    version: str
    headers: tuple[tuple[str, str], ...]
    index: dict[str, str]
    length: int
    keep_alive: bool
    expects_continue: bool


class RequestParser:
    """Incremental parser: ``feed`` bytes, then take requests with ``next_request``."""

    def __init__(self, max_body: int = MAX_BODY, max_head: int = MAX_HEAD) -> None:
        self._buffer = bytearray()
        self._head: _Head | None = None
        self._max_body = max_body
        self._max_head = max_head
        self._continue_sent = False

    def feed(self, data: bytes) -> None:
        self._buffer += data

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def wants_continue(self) -> bool:
        """True once per request whose head asked for ``100 Continue`` and whose body is missing."""
        head = self._head
        if head is None or not head.expects_continue or self._continue_sent:
            return False
        if len(self._buffer) >= head.length:
            return False
        self._continue_sent = True
        return True

    def next_request(self) -> Request | None:
        """The next complete request, or None when more bytes are needed."""
        if self._head is None:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buffer) > self._max_head:
                    raise HttpError(431, "request header section too large")
                return None
            if end > self._max_head:
                raise HttpError(431, "request header section too large")
            raw = bytes(self._buffer[:end])
            del self._buffer[: end + 4]
            self._head = self._parse_head(raw)
            self._continue_sent = False
        head = self._head
        if len(self._buffer) < head.length:
            return None
        body = bytes(self._buffer[: head.length])
        del self._buffer[: head.length]
        self._head = None
        path, _, query = head.target.partition("?")
        return Request(
            method=head.method,
            target=head.target,
            path=path,
            query=query,
            version=head.version,
            headers=head.headers,
            body=body,
            keep_alive=head.keep_alive,
            _index=head.index,
        )

    def _parse_head(self, raw: bytes) -> _Head:
        # Some clients send stray CRLFs between requests; RFC 9112 lets a server skip them.
        while raw.startswith(b"\r\n"):
            raw = raw[2:]
        lines = raw.split(b"\r\n")
        match = _REQUEST_LINE.fullmatch(lines[0])
        if match is None:
            raise HttpError(400, "malformed request line")
        method, target_raw, major, minor = match.groups()
        if major != b"1" or minor not in (b"0", b"1"):
            raise HttpError(505, "only HTTP/1.0 and HTTP/1.1 are served")
        version = "HTTP/1." + minor.decode()
        target = _origin_form(target_raw)
        headers: list[tuple[str, str]] = []
        index: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep or _TOKEN.fullmatch(name) is None:
                raise HttpError(400, "malformed header line")
            value = value.strip(b" \t")
            if _BAD_VALUE.search(value):
                raise HttpError(400, "control character in a header value")
            text_name = name.decode("ascii")
            text_value = value.decode("latin-1")
            headers.append((text_name, text_value))
            key = text_name.lower()
            index[key] = f"{index[key]}, {text_value}" if key in index else text_value
        if "transfer-encoding" in index:
            raise HttpError(501, "only Content-Length framed bodies are accepted")
        if version == "HTTP/1.1" and "host" not in index:
            raise HttpError(400, "HTTP/1.1 request without Host")
        length = self._content_length(index.get("content-length"))
        tokens = {t.strip().lower() for t in index.get("connection", "").split(",")}
        keep_alive = "close" not in tokens if version == "HTTP/1.1" else "keep-alive" in tokens
        expects = index.get("expect", "").lower() == "100-continue" and version == "HTTP/1.1"
        return _Head(
            method.decode("ascii"),
            target,
            version,
            tuple(headers),
            index,
            length,
            keep_alive,
            expects,
        )

    def _content_length(self, value: str | None) -> int:
        if value is None:
            return 0
        values = {v.strip() for v in value.split(",")}
        if len(values) != 1:
            raise HttpError(400, "conflicting Content-Length values")
        (single,) = values
        if _DIGITS.fullmatch(single.encode("latin-1")) is None:
            raise HttpError(400, "Content-Length is not a number")
        length = int(single)
        if length > self._max_body:
            raise HttpError(413, f"request body larger than {self._max_body} bytes")
        return length


def _origin_form(target: bytes) -> str:
    if target.startswith(b"/"):
        text = target
    elif target.lower().startswith((b"http://", b"https://")):
        rest = target.split(b"//", 1)[1]
        slash = rest.find(b"/")
        text = rest[slash:] if slash >= 0 else b"/"
    else:
        raise HttpError(400, "request target must be a path")
    try:
        return text.decode("ascii")
    except UnicodeDecodeError:
        raise HttpError(400, "request target is not ASCII") from None


@dataclass(frozen=True)
class Reply:
    """A response to write: status, body and the headers beyond the framing ones."""

    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()


_REASONS = {s.value: s.phrase for s in HTTPStatus}
_REASONS[529] = "Site Is Overloaded"


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


def encode_head(reply: Reply, keep_alive: bool, version: str = "HTTP/1.1") -> bytes:
    """Status line and headers of ``reply``, ending with the blank line."""
    reason = _REASONS.get(reply.status, "Unknown")
    lines = [
        f"HTTP/1.1 {reply.status} {reason}",
        "Server: smsspec-sandbox",
        f"Date: {_DATES.now()}",
    ]
    if reply.status >= 200 and reply.status not in (204, 304):
        lines.append(f"Content-Type: {reply.content_type}")
        lines.append(f"Content-Length: {len(reply.body)}")
    lines.extend(f"{name}: {value}" for name, value in reply.headers)
    if not keep_alive:
        lines.append("Connection: close")
    elif version == "HTTP/1.0":
        lines.append("Connection: keep-alive")
    lines.append("\r\n")
    return "\r\n".join(lines).encode("latin-1")


def encode_reply(reply: Reply, keep_alive: bool, version: str = "HTTP/1.1") -> bytes:
    return encode_head(reply, keep_alive, version) + reply.body


CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
