"""Ways to show rendered requests: readable text, JSON, or curl commands. Each streams."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Iterable, Iterator, Mapping
from urllib.parse import parse_qsl, urlsplit

from smsspec.model import RenderedRequest


def _readable_body(request: RenderedRequest) -> str:
    if not request.body:
        query = urlsplit(request.url).query
        return "\n".join(f"  {name} = {value!r}" for name, value in parse_qsl(query, keep_blank_values=True))
    if request.headers.get("Content-Type", "").startswith("application/json"):
        try:
            return json.dumps(json.loads(request.body), indent=2, ensure_ascii=False)
        except ValueError:
            return request.body
    return request.body


def text_chunks(requests: Iterable[RenderedRequest]) -> Iterator[str]:
    count = 0
    for request in requests:
        count += 1
        recipients = ", ".join(request.recipients)
        lines = [
            f"# {request.file}  message {request.message_id}  account {request.account} ({request.provider})",
            f"# to {recipients}  ({request.segments} segment{'s' if request.segments != 1 else ''})",
            f"{request.method} {request.url}",
            *(f"{name}: {value}" for name, value in request.headers.items()),
            "",
            _readable_body(request),
            "",
            "",
        ]
        yield "\n".join(lines)
    if not count:
        yield "no requests: no messages passed validation\n"


def json_chunks(requests: Iterable[RenderedRequest]) -> Iterator[str]:
    yield "["
    first = True
    for request in requests:
        yield ("\n  " if first else ",\n  ") + json.dumps(request.to_json(), ensure_ascii=False)
        first = False
    yield "\n]\n" if not first else "]\n"


def curl_chunks(requests: Iterable[RenderedRequest]) -> Iterator[str]:
    for request in requests:
        parts = ["curl", "-X", request.method, shlex.quote(request.url)]
        for name, value in request.headers.items():
            parts += ["-H", shlex.quote(f"{name}: {value}")]
        if request.body:
            parts += ["--data-binary", shlex.quote(request.body)]
        yield f"# {request.file} {request.message_id} -> {', '.join(request.recipients)}\n" + " ".join(parts) + "\n"


def batched(chunks: Iterable[str], size: int = 1 << 16) -> Iterator[str]:
    """The same text in pieces of about ``size`` characters: one write per piece, not per request."""
    pending: list[str] = []
    held = 0
    for chunk in chunks:
        pending.append(chunk)
        held += len(chunk)
        if held >= size:
            yield "".join(pending)
            pending.clear()
            held = 0
    if pending:
        yield "".join(pending)


def _streamed(formatter: Callable[[Iterable[RenderedRequest]], Iterator[str]]) -> Callable[[Iterable[RenderedRequest]], Iterator[str]]:
    return lambda requests: batched(formatter(requests))


FORMATTERS: Mapping[str, Callable[[Iterable[RenderedRequest]], Iterator[str]]] = {
    "text": _streamed(text_chunks),
    "json": _streamed(json_chunks),
    "curl": _streamed(curl_chunks),
}
