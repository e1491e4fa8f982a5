"""Ways to show rendered requests: readable text, JSON, or curl commands. Each streams.

Requests carry text from outside (file names, endpoints, message texts), so
the text format shows it through :mod:`smsspec.terminal` (a body keeps its
line breaks) and curl commands quote a control character the shell's way,
``$'\x1b'``, so the command stays exact and the terminal untouched.
"""

from __future__ import annotations

import base64
import json
import re
import shlex
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from urllib.parse import parse_qsl, urlsplit

from smsspec.load.config import ENV_REFERENCE
from smsspec.model import Account, RenderedRequest
from smsspec.terminal import ESCAPES, printable, printable_lines


def _readable_body(request: RenderedRequest) -> str:
    if not request.body:
        query = urlsplit(request.url).query
        return "\n".join(f"  {name} = {value!r}" for name, value in parse_qsl(query, keep_blank_values=True))
    if request.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
        return "\n".join(f"{name} = {value}" for name, value in parse_qsl(request.body, keep_blank_values=True))
    if request.headers.get("Content-Type", "").startswith("application/json"):
        try:
            return json.dumps(json.loads(request.body), indent=2, ensure_ascii=False)
        except ValueError:
            return request.body
    return request.body


def text_items(requests: Iterable[RenderedRequest]) -> Iterator[str]:
    for request in requests:
        recipients = ", ".join(request.recipients)
        head = f"{request.file}  message {request.message_id}  account {request.account} ({request.provider})"
        lines = [
            f"# {printable(head)}",
            f"# to {printable(recipients)}  ({request.segments} segment{'s' if request.segments != 1 else ''})",
            printable(f"{request.method} {request.url}"),
            *(printable(f"{name}: {value}") for name, value in request.headers.items()),
            "",
            printable_lines(_readable_body(request)),
            "",
            "",
        ]
        yield "\n".join(lines)


def text_chunks(requests: Iterable[RenderedRequest]) -> Iterator[str]:
    return TEXT.chunks(text_items(requests))


def json_items(requests: Iterable[RenderedRequest]) -> Iterator[str]:
    encode = RequestEncoder().encode
    for request in requests:
        yield ",\n  " + encode(request)


def json_chunks(requests: Iterable[RenderedRequest]) -> Iterator[str]:
    return JSON.chunks(json_items(requests))


_ENCODE = json.JSONEncoder(ensure_ascii=False).encode
_Head = tuple[str, str, str, str, str]


def _value(value: object) -> str:
    """``value`` as json.dumps(..., ensure_ascii=False) writes it, also inside a list or dict."""
    return encode_basestring(value) if type(value) is str else _ENCODE(value)  # what _ENCODE does with a str


def _slow(request: RenderedRequest) -> str:
    return json.dumps(request.to_json(), ensure_ascii=False)


@dataclass
class RequestEncoder:
    """``json.dumps(request.to_json(), ensure_ascii=False)``, from parts encoded once per message.

    What a message's requests share (file, message, account, provider, method,
    and mostly URL and headers) is encoded once. The first request of each
    message is also encoded in full; if the two differ, that message's requests
    all are. Only text is kept for reuse: a value equal to text is text and
    encodes the same, while 1 == True but they do not.
    """

    heads: dict[_Head, str | None] = field(default_factory=dict)  # None: encode in full
    last_url: tuple[object, str] = (None, "null")  # the last URL, by identity, encoded
    last_headers: tuple[tuple[tuple[str, str], ...], str] = ((), "{}")  # the last headers all text, in order, encoded

    def encode(self, request: RenderedRequest) -> str:
        if type(request) is not RenderedRequest:
            return _slow(request)  # its to_json may be another one
        try:
            key = (request.file, request.message_id, request.account, request.provider, request.method)
            head = self.heads.get(key, "")
        except TypeError:  # an unhashable field: not a request render_requests made
            return _slow(request)
        if head == "":
            return self._first(key, request)
        return self._fast(head, request) if head is not None else _slow(request)

    def _first(self, key: _Head, request: RenderedRequest) -> str:
        slow = _slow(request)
        if all(isinstance(value, str) for value in key):
            file, message, account, provider, method = map(_value, key)
            head = f'{{"file": {file}, "message": {message}, "account": {account}, "provider": {provider}, "method": {method}, "url": '
            self.heads[key] = head if self._fast(head, request) == slow else None
        return slow

    def _fast(self, head: str, request: RenderedRequest) -> str:
        url = request.url
        if url is not self.last_url[0]:
            self.last_url = (url, _value(url))
        recipients = request.recipients
        listed = _value(recipients[0]) if type(recipients) is tuple and len(recipients) == 1 else ", ".join(map(_value, recipients))
        return (f'{head}{self.last_url[1]}, "headers": {self._headers(request.headers)}, "body": {_value(request.body)}, '
                f'"recipients": [{listed}]}}')

    def _headers(self, headers: Mapping[str, str]) -> str:
        items = tuple(headers.items())  # in order: {"a": 1, "b": 2} == {"b": 2, "a": 1}, but JSON keeps the order
        if items == self.last_headers[0]:
            return self.last_headers[1]
        encoded = _ENCODE(dict(items))
        if all(isinstance(name, str) and isinstance(value, str) for name, value in items):
            self.last_headers = (items, encoded)
        return encoded


# bash's $'...' reads \xHH as one byte: a C1 control (U+0080..U+009F) must be written \uHHHH.
_SHELL_ESCAPES = {code: (f"\\u{code:04x}" if 0x80 <= code < 0xA0 else text) for code, text in ESCAPES.items()}


def _shell_quote(text: str) -> str:
    """``shlex.quote``, or ``$'...'`` with escapes when ``text`` holds a control character."""
    if printable(text) == text:
        return shlex.quote(text)
    return "$'" + text.replace("\\", "\\\\").replace("'", "\\'").translate(_SHELL_ESCAPES) + "'"


def curl_chunks(requests: Iterable[RenderedRequest]) -> Iterator[str]:
    return CURL.chunks(curl_items(requests))


def curl_items(requests: Iterable[RenderedRequest]) -> Iterator[str]:
    for request in requests:
        parts = ["curl", "-X", _shell_quote(request.method), _shell_quote(request.url)]
        for name, value in request.headers.items():
            parts += ["-H", _shell_quote(f"{name}: {value}")]
        if request.body:
            parts += ["--data-binary", _shell_quote(request.body)]
        said = printable(f"{request.file} {request.message_id} -> {', '.join(request.recipients)}")
        yield f"# {said}\n" + " ".join(parts) + "\n"


# `render --format curl --env-refs`: each credential is rendered as a marker naming its environment
# variable (alphanumeric, so no payload escaping changes it), which the command then reads as "$VAR".
_MARKER = re.compile(r"SMSSPECENV([0-9a-f]*)X")


def env_markers(account: Account) -> dict[str, str]:
    """The account's credentials as markers of their ``${VAR}`` references (a value written
    in place of a reference gets a marker that shows as ``***``: it is never printed)."""
    markers = {}
    for name, reference in account.credentials.items():
        match = ENV_REFERENCE.match(reference)
        markers[name] = f"SMSSPECENV{match.group(1).encode().hex() if match else ''}X"
    return markers


def _variable(marker_hex: str) -> str | None:
    return bytes.fromhex(marker_hex).decode() if marker_hex else None


def _shell_word_with_refs(text: str) -> str:
    """``text`` as one shell word in which each marker becomes ``"$VAR"``, the rest quoted as usual."""
    parts: list[str] = []
    at = 0
    for match in _MARKER.finditer(text):
        if match.start() > at:
            parts.append(_shell_quote(text[at:match.start()]))
        variable = _variable(match.group(1))
        parts.append(f'"${variable}"' if variable else "'***'")
        at = match.end()
    if at < len(text) or not parts:
        parts.append(_shell_quote(text[at:]))
    return "".join(parts)


def _basic_user(value: str) -> str | None:
    """``-u`` for an Authorization: Basic header of two markers, so curl encodes the variables."""
    if not value.startswith("Basic "):
        return None
    try:
        pair = base64.b64decode(value[6:], validate=True).decode("ascii")
    except ValueError:
        return None
    user, sep, password = pair.partition(":")
    if not sep or not _MARKER.fullmatch(user) or not _MARKER.fullmatch(password):
        return None
    return _shell_word_with_refs(pair)


def curl_env_chunks(requests: Iterable[RenderedRequest]) -> Iterator[str]:
    """curl commands that read each credential from its environment variable: runnable as they are."""
    return CURL_ENV.chunks(curl_env_items(requests))


def curl_env_items(requests: Iterable[RenderedRequest]) -> Iterator[str]:
    for request in requests:
        parts = ["curl", "-X", _shell_quote(request.method), _shell_word_with_refs(request.url)]
        for name, value in request.headers.items():
            user = _basic_user(value) if name == "Authorization" else None
            parts += ["-u", user] if user else ["-H", _shell_word_with_refs(f"{name}: {value}")]
        if request.body:
            parts += ["--data-binary", _shell_word_with_refs(request.body)]
        said = printable(f"{request.file} {request.message_id} -> {', '.join(request.recipients)}")
        yield f"# {said}\n" + " ".join(parts) + "\n"


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


@dataclass(frozen=True)
class Format:
    """A way to write requests: a head, one item per request, and an end. The items of
    a stream's parts can be made apart (on other processes) and joined in order."""

    items: Callable[[Iterable[RenderedRequest]], Iterator[str]]
    head: str = ""
    lead: int = 0  # characters the very first item drops (JSON's comma)
    tail: str = ""  # after at least one request
    empty: str = ""  # after none

    def chunks(self, pieces: Iterable[str]) -> Iterator[str]:
        """The whole text, from the items (or several items' text joined) in order."""
        if self.head:
            yield self.head
        first = True
        for piece in pieces:
            if not piece:
                continue
            yield piece[self.lead:] if first else piece
            first = False
        if first and self.empty:
            yield self.empty
        elif not first and self.tail:
            yield self.tail


TEXT = Format(text_items, empty="no requests: no messages passed validation\n")
JSON = Format(json_items, head="[", lead=1, tail="\n]\n", empty="]\n")
CURL = Format(curl_items)
CURL_ENV = Format(curl_env_items)
FORMATS: Mapping[str, Format] = {"text": TEXT, "json": JSON, "curl": CURL, "curl-env": CURL_ENV}


def _streamed(form: Format) -> Callable[[Iterable[RenderedRequest]], Iterator[str]]:
    return lambda requests: batched(form.chunks(form.items(requests)))


FORMATTERS: Mapping[str, Callable[[Iterable[RenderedRequest]], Iterator[str]]] = {name: _streamed(form) for name, form in FORMATS.items()}
