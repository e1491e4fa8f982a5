"""What a simulation sees of a request and what it answers; the wire format is h11's job."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_BODY = 1024 * 1024
"""Bytes of a request body the sandbox reads; a longer ``Content-Length`` is answered 413."""
MAX_HEAD = 16 * 1024
"""Bytes of a request line and headers; more is answered 431."""


@dataclass(frozen=True)
class Request:
    method: str
    target: str
    """As sent, query string included (absolute-form targets are reduced to their path)."""
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    """Names lower-cased, in the order they came."""
    body: bytes
    _index: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def build(
        cls, method: str, target: str, headers: tuple[tuple[str, str], ...], body: bytes
    ) -> Request:
        index: dict[str, str] = {}
        for name, value in headers:
            index[name] = f"{index[name]}, {value}" if name in index else value
        path, _, query = target.partition("?")
        return cls(method, target, path, query, headers, body, index)

    def header(self, name: str, default: str | None = None) -> str | None:
        """The value of header ``name`` (case-insensitive); repeated headers are joined with ", "."""
        return self._index.get(name.lower(), default)


@dataclass(frozen=True)
class Reply:
    """A response to write: status, body and the headers beyond the framing ones."""

    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
