"""Provider payloads: a checked message in, the exact HTTP requests out.

Every value a payload template writes goes through an escaping filter for its
format (:mod:`smsspec.render.escapes`). Credentials are rendered for real
only when sending. For display, keys and the ledger, each credential is
rendered as an alphanumeric stand-in, which no escaping changes, and then
replaced by ``***``.

Templates whose per-request values provably reach the output escaped are
rendered from a :class:`~smsspec.render.program.Program` recorded once per
message and batch size, after it matches a full render of the first request;
others are rendered in full for every request.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jinja2
from jinja2.exceptions import SecurityError

from smsspec.errors import ProviderError, TextError
from smsspec.model import VIEW_FIELDS, CheckedMessage, RenderedRequest
from smsspec.providers.registry import PROVIDER_FIELDS, Provider, read_limited
from smsspec.render.escapes import payload_environment
from smsspec.render.personal import Values, personalised
from smsspec.render.program import Program, proven, record_program, recording_environment
from smsspec.sms import encoding, phones
from smsspec.terminal import printable_path

REDACTED = "***"


@dataclass(frozen=True)
class _Templates:
    payload: jinja2.Template
    recording: jinja2.Template | None  # the same source with recording filters; None when no program can be proven


_templates: dict[str, _Templates] = {}


def _provider_templates(provider: Provider) -> _Templates:
    found = _templates.get(provider.id)
    if found is None:
        source = read_limited(provider.template_path).rstrip("\n")
        try:
            payload = payload_environment().from_string(source)
            recording = recording_environment().from_string(source) if proven(payload_environment().parse(source)) else None
        except Exception as exc:  # syntax, an unknown filter or test, a template too deep to compile
            raise _template_error(provider, exc) from None
        found = _templates[provider.id] = _Templates(payload, recording)
    return found


def _template_error(provider: Provider, exc: Exception, *, secrets: bool = False) -> ProviderError:
    """A payload template's failure, at its file and line: the provider's files are at fault, not the spec.

    With ``secrets`` (rendering with real credentials) the failure is named by its kind only: its text could quote one.
    """
    line = getattr(exc, "lineno", None) or 0
    trace = exc.__traceback__
    while trace is not None:  # Jinja maps a render's frames to the template's lines
        if trace.tb_frame.f_code.co_filename == "<template>":
            line = trace.tb_lineno
        trace = trace.tb_next
    unsafe = isinstance(exc, SecurityError) or (isinstance(exc, TextError) and exc.rule == "TEXT-UNSAFE") or (
        isinstance(exc, jinja2.UndefinedError) and "has no attribute '_" in str(exc))
    if secrets:
        what, rule = f"the payload template fails with the real credentials: {type(exc).__name__}", "PROVIDER-TEMPLATE"
    elif unsafe:
        what, rule = f"the payload template does something the sandbox forbids: {exc}", "PROVIDER-TEMPLATE-UNSAFE"
    else:
        detail = getattr(exc, "message", None) or str(exc)
        what, rule = f"the payload template cannot be rendered: {type(exc).__name__}: {detail}", "PROVIDER-TEMPLATE"
    return ProviderError(f"{provider.template_path}{f':{line}' if line else ''}: {what} [{rule}]")


def payload_template(provider: Provider) -> jinja2.Template:
    return _provider_templates(provider).payload


def applied_fields(checked: CheckedMessage) -> dict[str, Any]:
    """The message fields the payload template sees: those its provider cannot carry are None (see
    PROVIDER_FIELDS; written on the message they are an error unless suppressed, from defaults they are
    not applied)."""
    provider, fields = checked.provider, checked.message.fields
    return {name: fields.get(name) if name not in PROVIDER_FIELDS or provider.carries(name) else None for name in VIEW_FIELDS}


def not_applied_notes(checked: Iterable[CheckedMessage]) -> Iterator[str]:
    """One line per message that inherits defaults its provider cannot carry (for ``render -v``)."""
    for one in checked:
        left_out = one.provider.not_applied(one.message)
        if left_out:
            yield (f"{printable_path(one.spec.path)}: message {one.message.id!r} ({one.provider.id}): defaults not applied: "
                   f"{', '.join(left_out)} ({one.provider.title} cannot carry them)")


def _one_per_request(provider: Provider) -> bool:
    return provider.batching.per_request == 1 or not provider.batching.group_by_text


def batches(provider: Provider, texts: Sequence[str], settings: Mapping[str, Any] | None = None) -> list[list[int]]:
    """Recipient indexes grouped into requests, as the provider's descriptor (and the account's
    ``settings``, when the descriptor names a setting for the batch size) allows."""
    most = provider.batching.most_per_request(settings or {})
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
    phone_format: str  # the descriptor's, or the one the account's settings choose
    appended: str = ""  # what the provider adds to each text: counted in the segments, never sent
    headers: dict[str, str] | None = None  # worked out with the first request, after its payload, as they always were
    programs: dict[int, Program] = field(default_factory=dict)  # by number of recipients
    unproven: set[int] = field(default_factory=set)  # numbers of recipients rendered in full

    @classmethod
    def of(cls, checked: CheckedMessage, credentials: Mapping[str, str] | None) -> _MessageRenderer:
        provider, account, message = checked.provider, checked.account, checked.message
        secrets = dict(credentials) if credentials is not None else _stand_ins(provider)
        constants = {
            "message": applied_fields(checked),
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
        setting = provider.batching.phone_format_setting
        form = str(account.settings.get(setting) or provider.batching.phone_format) if setting else provider.batching.phone_format
        appended = provider.appended(constants["options"])
        return cls(provider, templates, constants, url, stand_ins, checked.spec.path, message.id, account.name, query, form, appended)

    def request(self, numbers: tuple[str, ...], texts: tuple[str, ...], personal: tuple[str, tuple[Values, ...]] | None = None) -> RenderedRequest:
        """One request; with ``personal`` (the placeholder text and each recipient's values) the provider
        fills the texts in, which are then only counted, not sent."""
        form = self.phone_format
        if form == "e164":
            formatted = list(numbers)  # checked numbers are E.164 already
        elif len(numbers) == 1:
            formatted = [phones.format_number(numbers[0], form)]
        else:
            formatted = [phones.format_number(n, form) for n in numbers]
        program = self.programs.get(len(formatted)) if personal is None else None
        if personal is not None:
            rendered = self._full(personal[0], formatted, [[list(pair) for pair in values] for values in personal[1]])
        else:
            rendered = program.body(texts[0], formatted) if program else self._payload(texts[0], formatted)
        if self.spec.request.form_field is not None:
            rendered = urlencode({self.spec.request.form_field: rendered})
        url, body = (self.url + rendered, "") if self.query else (self.url, rendered)
        headers = self.headers if self.headers is not None else self._headers()
        if self.stand_ins is not None:
            body = _replace_all(body, self.stand_ins)
            if self.query:
                url = _replace_all(url, self.stand_ins)
        if self.appended:
            segments = _segments(tuple(text + self.appended for text in texts))
        else:
            segments = _one_text_segments(texts[0]) if len(texts) == 1 else _segments(texts)
        return RenderedRequest.make(
            file=self.file, message_id=self.message_id, account=self.account, provider=self.spec.id,
            method=self.spec.request.method, url=url, headers=dict(headers), body=body, recipients=numbers,
            texts=texts, segments=segments,
        )

    def _headers(self) -> dict[str, str]:
        headers = request_headers(self.spec, self.constants["credentials"])
        if self.stand_ins is not None:
            headers = _redacted_headers(headers, self.stand_ins)
        self.headers = headers
        return headers

    def _full(self, text: str, formatted: list[str], fields: list[list[list[str]]] | None = None) -> str:
        try:
            return self.templates.payload.render(text=text, to=formatted[0], recipients=formatted, fields=fields, **self.constants)
        except Exception as exc:  # the sandbox refused, or the template fails on these values
            raise _template_error(self.spec, exc, secrets=self.stand_ins is None) from None

    def _payload(self, text: str, formatted: list[str]) -> str:
        """A full render; the first for a number of recipients also decides whether its program can be trusted."""
        rendered = self._full(text, formatted)
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


def _one_text_segments(text: str) -> int:
    # Up to 70 ASCII characters are one segment in either encoding (at most 140 septets, 70 units).
    if 0 < len(text) <= encoding.UCS2_SINGLE_UNITS and text.isascii():
        return 1
    return encoding.analyze(text).segments


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
    personal = personalised(checked.message.text, texts, checked.provider.schema["x-smsspec"].get("personalisation"))
    rest: Sequence[int] = range(len(texts))
    if personal is not None:
        filled = [i for i, values in enumerate(personal.values) if values is not None]
        step = checked.provider.batching.most_per_request(checked.account.settings) or len(filled)
        for start in range(0, len(filled), step):
            group = filled[start : start + step]
            values = tuple(personal.values[i] or () for i in group)
            yield renderer.request(tuple(numbers[i] for i in group), tuple(texts[i] for i in group), (personal.text, values))
        rest = [i for i, values in enumerate(personal.values) if values is None]
    own = [texts[i] for i in rest]
    for group in batches(checked.provider, own, checked.account.settings):
        yield renderer.request(tuple(numbers[rest[i]] for i in group), tuple(own[i] for i in group))


def request_headers(provider: Provider, secrets: Mapping[str, str]) -> dict[str, str]:
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


def _redacted_headers(headers: Mapping[str, str], stand_ins: Sequence[str]) -> dict[str, str]:
    out = {}
    for name, value in headers.items():
        if name == "Authorization" and value.startswith("Basic "):
            value = "Basic " + REDACTED
        out[name] = _replace_all(value, stand_ins)
    return out


def _replace_all(text: str, stand_ins: Sequence[str]) -> str:
    for stand_in in stand_ins:
        text = text.replace(stand_in, REDACTED)
    return text
