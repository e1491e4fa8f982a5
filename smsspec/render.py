"""Provider payloads: a checked message in, the exact HTTP requests out.

Payload templates ship with smsspec (they are trusted); what they interpolate
is not, so every value goes through an escaping filter for its format:
``json``, ``xml`` or ``q`` (query string).

Credentials are rendered for real only when sending. For display, keys and
the ledger, each credential is rendered as an alphanumeric stand-in, which no
escaping changes, and then replaced by ``***``.

A message's requests differ only in ``text``, ``to`` and ``recipients``. When
a template provably uses those only as escaped output (``{{ text|json }}``,
``{% for n in recipients %}{{ n|json }}{% endfor %}``), it is rendered once per
message and batch size with slots standing in for them. That gives a
:class:`Program`: constant pieces with an escaped value between each two,
which is checked against a full render of its first request. Templates it
cannot cover are rendered in full for every request.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from json.encoder import encode_basestring
from secrets import token_hex
from typing import Any, NoReturn
from urllib.parse import quote

import jinja2
from jinja2 import nodes

from smsspec import encoding, phones
from smsspec.model import RenderedRequest
from smsspec.providers import Provider
from smsspec.validate.check import CheckedMessage
from smsspec.validate.provider_rules import VIEW_FIELDS
from smsspec.validate.rules import parse_send_at

REDACTED = "***"
PER_REQUEST = frozenset({"text", "to", "recipients"})

# json.dumps(value, ensure_ascii=False, separators=(",", ":")) builds this encoder on every call.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def json_value(value: Any) -> str:
    return encode_basestring(value) if type(value) is str else _JSON(value)  # what _JSON does with a str


def xml_text(value: Any) -> str:
    """Escape for XML element content; CR as a reference, since parsers turn a raw CR into LF."""
    text = str(value)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def query_value(value: Any) -> str:
    return quote(str(value), safe="")


def space_time(value: str) -> str:
    """ISO 8601 with a space between date and time: 2020-01-20 13:05:00+02:00."""
    moment = parse_send_at(value)
    if moment is None:
        raise ValueError(f"not a date and time with an offset: {value!r}")
    return moment.replace(microsecond=0).isoformat(sep=" ")


Escape = Callable[[Any], str]
ESCAPERS: Mapping[str, Escape] = {"json": json_value, "xml": xml_text, "q": query_value, "spacetime": space_time}


def _environment(filters: Mapping[str, Callable[[Any], Any]]) -> jinja2.Environment:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)
    env.filters.update(filters)
    return env


@lru_cache(maxsize=1)
def payload_environment() -> jinja2.Environment:
    return _environment(ESCAPERS)


@dataclass(frozen=True)
class _Templates:
    payload: jinja2.Template
    recording: jinja2.Template | None  # the same source with recording filters; None when no program can be proven


_templates: dict[str, _Templates] = {}


def _provider_templates(provider: Provider) -> _Templates:
    found = _templates.get(provider.id)
    if found is None:
        source = provider.template_path.read_text(encoding="utf-8").rstrip("\n")
        payload = payload_environment().from_string(source)
        recording = _recording_environment().from_string(source) if proven(payload_environment().parse(source)) else None
        found = _templates[provider.id] = _Templates(payload, recording)
    return found


def payload_template(provider: Provider) -> jinja2.Template:
    return _provider_templates(provider).payload


def _one_per_request(provider: Provider) -> bool:
    return provider.batching.per_request == 1 or not provider.batching.group_by_text


def batches(provider: Provider, texts: Sequence[str]) -> list[list[int]]:
    """Recipient indexes grouped into requests, as the provider's descriptor allows."""
    most = provider.batching.per_request
    if _one_per_request(provider):
        return [[i] for i in range(len(texts))]
    groups: dict[str, list[int]] = {}
    for index, text in enumerate(texts):
        groups.setdefault(text, []).append(index)
    out: list[list[int]] = []
    for members in groups.values():
        step = most or len(members)
        out += [members[i : i + step] for i in range(0, len(members), step)]
    return out


# --------------------------------------------------------------------------
# Which templates a program reproduces exactly
#
# A per-request name may only be loaded as `{{ name|escaper }}` (one or more
# escapers, no arguments) directly in an output; `recipients` may also be the
# iterable of a plain `for`, whose target then follows the same rule and whose
# `loop` exposes only what depends on the batch size. Nothing may capture
# output (macros, blocks, filter/set blocks, includes), call anything that
# could change the constants, or be random; then the output is the constant
# pieces with each escaped value in its place, for every value.

_STATEMENTS = (nodes.Output, nodes.If, nodes.For, nodes.Assign, nodes.With)
_EXPRESSIONS = (
    nodes.Literal, nodes.Name, nodes.NSRef, nodes.CondExpr, nodes.Filter, nodes.Test, nodes.Call, nodes.Getitem,
    nodes.Getattr, nodes.Slice, nodes.Concat, nodes.Compare, nodes.BinExpr, nodes.UnaryExpr, nodes.Helper,
)
_PURE_GLOBALS = frozenset({"range", "dict"})
_PURE_METHODS = frozenset({
    "get", "items", "keys", "values", "count", "index", "startswith", "endswith", "lower", "upper", "title",
    "capitalize", "strip", "lstrip", "rstrip", "replace", "split", "join", "format", "isdigit", "cycle",
})
_IMPURE_FILTERS = frozenset({"random"})
_BATCH_LOOP_ATTRS = frozenset({"index", "index0", "revindex", "revindex0", "first", "last", "length", "depth", "depth0", "cycle"})


def proven(template: nodes.Template) -> bool:
    """Whether per-request values reach this template's output only escaped (see above)."""
    loops = [f for f in template.find_all(nodes.For) if _is_name(f.iter, "recipients")]
    if not all(isinstance(f.target, nodes.Name) and f.test is None and not f.recursive for f in loops):
        return False
    targets = [f.target for f in loops if isinstance(f.target, nodes.Name)]
    tracked = PER_REQUEST | {t.name for t in targets}
    if len(tracked) != len(PER_REQUEST) + len(targets):
        return False  # a target named like a per-request value, or two loops sharing one
    reserved = tracked | _PURE_GLOBALS
    for name in template.find_all(nodes.Name):
        if name.ctx != "load" and name.name in reserved and not any(name is t for t in targets):
            return False
    if any(ref.name in reserved for ref in template.find_all(nodes.NSRef)):
        return False
    return all(_allowed(child, tracked, False) for child in template.body)


def _is_name(node: nodes.Node | None, name: str) -> bool:
    return isinstance(node, nodes.Name) and node.name == name and node.ctx == "load"


def _is_escaper(node: nodes.Node) -> bool:
    return (isinstance(node, nodes.Filter) and node.name in ESCAPERS and node.node is not None
            and not (node.args or node.kwargs or node.dyn_args or node.dyn_kwargs))


def _escaped_name(node: nodes.Node, in_batch_loop: bool) -> bool:
    """``name|json``, ``name|xml|q``, ...: a variable under escapers only."""
    if not _is_escaper(node):
        return False
    while isinstance(node, nodes.Filter) and _is_escaper(node):
        assert node.node is not None
        node = node.node
    return isinstance(node, nodes.Name) and node.ctx == "load" and not (in_batch_loop and node.name == "loop")


def _pure_call(callee: nodes.Node) -> bool:
    if isinstance(callee, nodes.Name):
        return callee.name in _PURE_GLOBALS
    return isinstance(callee, nodes.Getattr) and callee.attr in _PURE_METHODS


def _allowed(node: nodes.Node, tracked: frozenset[str], in_batch_loop: bool) -> bool:
    if isinstance(node, nodes.Output):
        return all(_escaped_name(c, in_batch_loop) or _allowed(c, tracked, in_batch_loop) for c in node.nodes)
    if isinstance(node, nodes.For) and _is_name(node.iter, "recipients"):
        return all(_allowed(child, tracked, True) for child in (*node.body, *node.else_))
    if isinstance(node, nodes.Name):
        return not ((node.ctx == "load" and node.name in tracked) or (in_batch_loop and node.name == "loop"))
    if isinstance(node, nodes.Getattr) and in_batch_loop and _is_name(node.node, "loop"):
        return node.attr in _BATCH_LOOP_ATTRS
    if isinstance(node, nodes.Call) and not _pure_call(node.node):
        return False
    if isinstance(node, nodes.Filter) and node.name in _IMPURE_FILTERS:
        return False
    if not isinstance(node, (*_STATEMENTS, *_EXPRESSIONS)):
        return False
    return all(_allowed(child, tracked, in_batch_loop) for child in node.iter_child_nodes())


# --------------------------------------------------------------------------
# Recording a program


class _NotProvable(Exception):
    """A slot was used other than escaped and written out."""


TEXT, RECIPIENTS = -1, -2  # where a slot's value comes from, besides the index of one recipient (`to` is 0)


@dataclass
class _Recorder:
    marker: str = field(default_factory=lambda: f"\x00{token_hex(8)}:")  # followed by the slot's number and \x00
    slots: list[tuple[Escape, int]] = field(default_factory=list)

    def emit(self, where: int, chain: tuple[str, ...]) -> str:
        self.slots.append((_escape_chain(chain), where))
        return f"{self.marker}{len(self.slots) - 1}\x00"


class _Slot:
    """A per-request value while recording: it may only be escaped, then written out."""

    __slots__ = ("chain", "recorder", "where")

    def __init__(self, recorder: _Recorder, where: int, chain: tuple[str, ...] = ()) -> None:
        self.recorder, self.where, self.chain = recorder, where, chain

    def escaped(self, name: str) -> _Slot:
        return _Slot(self.recorder, self.where, (*self.chain, name))

    def __str__(self) -> str:
        if not self.chain:
            self._refuse()
        return self.recorder.emit(self.where, self.chain)

    def _refuse(self) -> NoReturn:
        raise _NotProvable(self.where)

    def __getattr__(self, name: str) -> NoReturn:
        self._refuse()

    def __bool__(self) -> NoReturn:
        self._refuse()

    def __len__(self) -> NoReturn:
        self._refuse()

    def __iter__(self) -> NoReturn:
        self._refuse()


class _Slots(list[_Slot]):
    """The recipients while recording: a real list of slots, itself a slot when escaped whole."""

    __slots__ = ("whole",)

    def __init__(self, recorder: _Recorder, size: int) -> None:
        super().__init__(_Slot(recorder, i) for i in range(size))
        self.whole = _Slot(recorder, RECIPIENTS)


def _recording_filter(name: str, real: Escape) -> Callable[[Any], Any]:
    def apply(value: Any) -> Any:
        if isinstance(value, _Slots):
            value = value.whole
        return value.escaped(name) if isinstance(value, _Slot) else real(value)

    return apply


@lru_cache(maxsize=1)
def _recording_environment() -> jinja2.Environment:
    return _environment({name: _recording_filter(name, real) for name, real in ESCAPERS.items()})


def _escape_chain(names: tuple[str, ...]) -> Escape:
    escapes = [ESCAPERS[name] for name in names]
    if len(escapes) == 1:
        return escapes[0]

    def escape(value: Any) -> str:
        for one in escapes:
            value = one(value)
        return str(value)

    return escape


@dataclass(frozen=True)
class Program:
    """A payload as constant pieces, with one escaped per-request value between each two."""

    head: str
    steps: tuple[tuple[Escape, int, str], ...]  # (escape, where the value comes from, the constant piece after it)

    def body(self, text: str, numbers: Sequence[str]) -> str:
        parts = [self.head]
        for escape, where, piece in self.steps:
            parts.append(escape(text if where == TEXT else numbers if where == RECIPIENTS else numbers[where]))
            parts.append(piece)
        return "".join(parts)


def record_program(recording: jinja2.Template, size: int, constants: Mapping[str, Any]) -> Program | None:
    """The program for requests to ``size`` recipients, or None when recording it fails."""
    recorder = _Recorder()
    slots = _Slots(recorder, size)
    try:
        output = recording.render(text=_Slot(recorder, TEXT), to=_Slot(recorder, 0), recipients=slots, **constants)
    except Exception:
        return None
    parts = re.split(f"{re.escape(recorder.marker)}([0-9]+)\x00", output)
    numbers = parts[1::2]
    if numbers != [str(i) for i in range(len(recorder.slots))]:
        return None  # the marker turned up in constant text too
    return Program(parts[0], tuple((escape, where, piece) for (escape, where), piece in zip(recorder.slots, parts[2::2], strict=True)))


# --------------------------------------------------------------------------
# Requests


@dataclass
class _MessageRenderer:
    """One message's requests: what they share is worked out once."""

    spec: Provider
    templates: _Templates
    constants: dict[str, Any]  # message, options, settings and credentials, as the template sees them
    url: str  # the whole URL, or with a query template what goes before the query
    stand_ins: list[str] | None  # None when rendering for real
    file: str
    message_id: str
    account: str
    query: bool  # the payload is the URL's query, not the body
    headers: dict[str, str] | None = None  # worked out with the first request, after its payload, as they always were
    programs: dict[int, Program] = field(default_factory=dict)  # by number of recipients
    unproven: set[int] = field(default_factory=set)  # numbers of recipients rendered in full

    @classmethod
    def of(cls, checked: CheckedMessage, credentials: Mapping[str, str] | None) -> _MessageRenderer:
        provider, account, message = checked.provider, checked.account, checked.message
        secrets = dict(credentials) if credentials is not None else _stand_ins(provider)
        constants = {
            "message": {name: message.fields.get(name) for name in VIEW_FIELDS},
            "options": dict(message.fields.get("options") or {}),
            "settings": account.settings,
            "credentials": secrets,
        }
        stand_ins = list(secrets.values()) if credentials is None else None
        url = account.endpoint or ""
        query = provider.request.body_format == "query"
        if query:
            url = url.partition("#")[0]  # a fragment is never sent, and the query must come before it
            url = f"{url}{'&' if '?' in url else '?'}"  # redacted whole, once the query is in
        elif stand_ins is not None:
            url = _replace_all(url, stand_ins)
        templates = _provider_templates(provider)
        return cls(provider, templates, constants, url, stand_ins, checked.spec.path, message.id, account.name, query)

    def request(self, numbers: tuple[str, ...], texts: tuple[str, ...]) -> RenderedRequest:
        form = self.spec.batching.phone_format
        if len(numbers) == 1:
            formatted = [phones.format_number(numbers[0], form)]
        else:
            formatted = [phones.format_number(n, form) for n in numbers]
        program = self.programs.get(len(formatted))
        rendered = program.body(texts[0], formatted) if program else self._payload(texts[0], formatted)
        url, body = (self.url + rendered, "") if self.query else (self.url, rendered)
        headers = self.headers if self.headers is not None else self._headers()
        if self.stand_ins is not None:
            body = _replace_all(body, self.stand_ins)
            if self.query:
                url = _replace_all(url, self.stand_ins)
        segments = encoding.analyze(texts[0]).segments if len(texts) == 1 else _segments(texts)
        return RenderedRequest.make(
            file=self.file, message_id=self.message_id, account=self.account, provider=self.spec.id,
            method=self.spec.request.method, url=url, headers=dict(headers), body=body, recipients=numbers,
            texts=texts, segments=segments,
        )

    def _headers(self) -> dict[str, str]:
        headers = _headers(self.spec, self.constants["credentials"])
        if self.stand_ins is not None:
            _, _, headers = _redact("", "", headers, self.stand_ins)
        self.headers = headers
        return headers

    def _payload(self, text: str, formatted: list[str]) -> str:
        """A full render; the first for a number of recipients also decides whether its program can be trusted."""
        rendered = self.templates.payload.render(text=text, to=formatted[0], recipients=formatted, **self.constants)
        size = len(formatted)
        if size in self.unproven:
            return rendered
        recording = self.templates.recording
        program = record_program(recording, size, self.constants) if recording is not None else None
        if program is not None and _same(program, text, formatted, rendered):
            self.programs[size] = program
        else:
            self.unproven.add(size)
        return rendered


def _same(program: Program, text: str, formatted: list[str], rendered: str) -> bool:
    try:
        return program.body(text, formatted) == rendered
    except Exception:
        return False


def _segments(texts: tuple[str, ...]) -> int:
    counts: dict[str, int] = {}
    for text in texts:  # a batch shares one text, so this analyses it once
        counts[text] = counts.get(text, 0) + 1
    return sum(encoding.analyze(text).segments * n for text, n in counts.items())


def _stand_ins(provider: Provider) -> dict[str, str]:
    return {name: f"SMSSPECREDACTED{index}X" for index, name in enumerate(provider.credentials)}


def render_requests(checked: CheckedMessage, credentials: Mapping[str, str] | None = None) -> Iterator[RenderedRequest]:
    """The message's requests; with ``credentials=None``, redacted for display."""
    renderer = _MessageRenderer.of(checked, credentials)
    numbers, texts = checked.numbers, checked.texts
    if _one_per_request(checked.provider):
        for index, text in enumerate(texts):
            yield renderer.request((numbers[index],), (text,))
        return
    for group in batches(checked.provider, texts):
        yield renderer.request(tuple(numbers[i] for i in group), tuple(texts[i] for i in group))


def _headers(provider: Provider, secrets: Mapping[str, str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    if provider.request.content_type:
        headers["Content-Type"] = f"{provider.request.content_type}; charset=utf-8"
    auth = provider.request.auth
    if auth.get("type") == "header":
        headers[auth["header"]] = secrets[auth["credential"]]
    elif auth.get("type") == "basic":
        pair = f"{secrets[auth['username']]}:{secrets[auth['password']]}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")
    return headers


def _redact(body: str, url: str, headers: Mapping[str, str], stand_ins: Sequence[str]) -> tuple[str, str, dict[str, str]]:
    out_headers = {}
    for name, value in headers.items():
        if name == "Authorization" and value.startswith("Basic "):
            value = "Basic " + REDACTED
        out_headers[name] = _replace_all(value, stand_ins)
    return _replace_all(body, stand_ins), _replace_all(url, stand_ins), out_headers


def _replace_all(text: str, stand_ins: Sequence[str]) -> str:
    for stand_in in stand_ins:
        text = text.replace(stand_in, REDACTED)
    return text
