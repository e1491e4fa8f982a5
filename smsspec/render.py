"""Provider payloads: a checked message in, the exact HTTP requests out.

Payload templates ship with smsspec (they are trusted); what they interpolate
is not, so every value goes through an escaping filter for its format:
``json``, ``xml`` or ``q`` (query string).

Credentials are rendered for real only when sending. For display, keys and
the ledger, each credential is rendered as an alphanumeric stand-in, which no
escaping changes, and then replaced by ``***``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import quote

import jinja2

from smsspec import encoding, phones
from smsspec.model import RenderedRequest
from smsspec.providers import Provider
from smsspec.validate.check import CheckedMessage
from smsspec.validate.provider_rules import VIEW_FIELDS
from smsspec.validate.rules import parse_send_at

REDACTED = "***"


def json_value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


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


@lru_cache(maxsize=1)
def payload_environment() -> jinja2.Environment:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)
    env.filters.update(json=json_value, xml=xml_text, q=query_value, spacetime=space_time)
    return env


_templates: dict[str, jinja2.Template] = {}


def payload_template(provider: Provider) -> jinja2.Template:
    template = _templates.get(provider.id)
    if template is None:
        source = provider.template_path.read_text(encoding="utf-8")
        template = _templates[provider.id] = payload_environment().from_string(source.rstrip("\n"))
    return template


def batches(provider: Provider, texts: Sequence[str]) -> list[list[int]]:
    """Recipient indexes grouped into requests, as the provider's descriptor allows."""
    most = provider.batching.per_request
    if most == 1 or not provider.batching.group_by_text:
        return [[i] for i in range(len(texts))]
    groups: dict[str, list[int]] = {}
    for index, text in enumerate(texts):
        groups.setdefault(text, []).append(index)
    out: list[list[int]] = []
    for members in groups.values():
        step = most or len(members)
        out += [members[i : i + step] for i in range(0, len(members), step)]
    return out


def _stand_ins(provider: Provider) -> dict[str, str]:
    return {name: f"SMSSPECREDACTED{index}X" for index, name in enumerate(provider.credentials)}


def render_requests(checked: CheckedMessage, credentials: Mapping[str, str] | None = None) -> Iterator[RenderedRequest]:
    """The message's requests; with ``credentials=None``, redacted for display."""
    provider, account, message = checked.provider, checked.account, checked.message
    secrets = dict(credentials) if credentials is not None else _stand_ins(provider)
    fields = {name: message.fields.get(name) for name in VIEW_FIELDS}
    options = dict(message.fields.get("options") or {})
    template = payload_template(provider)
    form = provider.batching.phone_format
    for group in batches(provider, checked.texts):
        text = checked.texts[group[0]]
        numbers = tuple(checked.numbers[i] for i in group)
        formatted = [phones.format_number(n, form) for n in numbers]
        rendered = template.render(
            text=text, to=formatted[0], recipients=formatted, message=fields, options=options,
            settings=account.settings, credentials=secrets,
        )
        method = provider.request.method
        url = account.endpoint or ""
        body = rendered
        if provider.request.body_format == "query":
            url = url.partition("#")[0]  # a fragment is never sent, and the query must come before it
            url = f"{url}{'&' if '?' in url else '?'}{rendered}"
            body = ""
        headers = _headers(provider, secrets)
        if credentials is None:
            body, url, headers = _redact(body, url, headers, list(secrets.values()))
        segments = sum(encoding.analyze(checked.texts[i]).segments for i in group)
        yield RenderedRequest(
            file=checked.spec.path, message_id=message.id, account=account.name, provider=provider.id,
            method=method, url=url, headers=headers, body=body, recipients=numbers,
            texts=tuple(checked.texts[i] for i in group), segments=segments,
        )


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

