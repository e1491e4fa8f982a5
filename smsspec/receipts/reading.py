"""A provider's notification (or status answer), read by its descriptor into one notice.

The ``receipts`` block of a provider's ``x-smsspec`` descriptor says how
(``postback`` for what it POSTs, ``status_api.reading`` for what its status
call answers)::

    {"format": "json" | "xml" | "form", "form_field": NAME,
     "provider_id": PATH | [PATH, ...],
     "status": [{"fields": [PATH, ...], "map": {VALUE: STATE}, "otherwise": STATE}, ...],
     "reason": PATH | [PATH, ...], "reasons": {CODE: TEXT},
     "opt_out": {"when": {PATH: VALUE, ...}, "number": PATH | [PATH, ...], "number_prefix": TEXT}}

A PATH names keys (JSON, form) or child elements below the XML root (tag
case ignored) joined by ``/``; ``@NAME`` at its end reads an XML attribute.
The first ``status`` entry whose fields all hold a value, and whose value
(the fields joined by ``:``) is in ``map`` (case ignored) or which has
``otherwise``, gives the state (delivered, failed or pending); that value is
the code. Nothing here raises on a body: what cannot be read comes back with
``state`` None and the reason. XML goes through defusedxml with DTDs refused,
so no entity is ever expanded.

``opt_out``, where a provider documents a notification that a number opted
out (a STOP): a body whose ``when`` paths all hold their values (case
ignored) is that notification, and the number is read at ``number`` (with
``number_prefix`` put in front when the provider writes it without, e.g.
``+`` for international digits) and normalised to E.164 as every opt-out is
(:func:`smsspec.compliance.optout.normalise`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from smsspec.compliance.optout import normalise

MAX_VALUE_CHARS = 500  # a provider id, code or reason longer than this is cut


@dataclass(frozen=True)
class Notice:
    """What one notification says. ``state`` None: unreadable, ``problem`` says why."""

    provider_id: str | None
    state: str | None
    code: str | None = None
    reason: str | None = None
    problem: str | None = None
    opted_out: str | None = None  # an opt-out notification: the number (E.164), state None


def _unreadable(problem: str) -> Notice:
    return Notice(None, None, problem=problem)


def parse_body(reading: Mapping[str, Any], body: bytes, content_type: str | None) -> tuple[Any, str | None]:
    """(data, None), or (None, why the body cannot be read)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None, "the body is not UTF-8 text"
    if not text.strip():
        return None, "the body is empty"
    form = str(reading["format"])
    media = (content_type or "").split(";")[0].strip().lower()
    field = reading.get("form_field")
    if form == "form" or (field and media == "application/x-www-form-urlencoded"):
        try:
            fields = parse_qs(text, keep_blank_values=True, max_num_fields=200)
        except ValueError:
            return None, "the form body has too many fields"
        values = {name: found[0] for name, found in fields.items()}
        if form == "form":
            return values, None
        if field not in values:
            return None, f"the form body has no `{field}` field"
        text = values[field]
    if form == "json":
        try:
            return json.loads(text), None
        except ValueError:
            return None, "the body is not valid JSON"
    try:
        return fromstring(text, forbid_dtd=True), None
    except (ParseError, DefusedXmlException, ValueError):
        return None, "the body is not XML smsspec may read (malformed, or with a DTD or entities)"


def _value(data: Any, path: str) -> str | None:
    """The non-empty text at ``path``, or None."""
    steps, _, attribute = path.partition("@")
    node: Any = data
    for step in filter(None, steps.split("/")):
        if isinstance(node, Mapping):
            node = node.get(step)
        elif isinstance(node, Element):
            node = next((c for c in node if isinstance(c.tag, str) and c.tag.lower() == step.lower()), None)
        else:
            return None
    if attribute:
        if not isinstance(node, Element):
            return None
        node = next((v for k, v in node.attrib.items() if k.lower() == attribute.lower()), None)
    elif isinstance(node, Element):
        node = node.text
    if isinstance(node, bool) or not isinstance(node, (str, int, float)):
        return None
    text = str(node).strip()
    return text[:MAX_VALUE_CHARS] if text else None


def _first(data: Any, paths: str | Sequence[str] | None) -> str | None:
    for path in [paths] if isinstance(paths, str) else list(paths or ()):
        found = _value(data, path)
        if found is not None:
            return found
    return None


def _opt_out(reading: Mapping[str, Any], data: Any) -> Notice | None:
    """The opt-out ``data`` notifies, per the descriptor's ``opt_out``; None if it is no opt-out."""
    rule = reading.get("opt_out")
    if not rule or any((_value(data, path) or "").lower() != str(value).lower() for path, value in rule["when"].items()):
        return None
    found = _first(data, rule["number"])
    if found is None:
        return _unreadable("an opt-out notification with no number where the provider's documentation puts it")
    prefix = str(rule.get("number_prefix", ""))
    number, _ = normalise(found if found.startswith(prefix) else prefix + found)
    if number is None:
        return _unreadable("an opt-out notification whose number is not a phone number")
    return Notice(None, None, opted_out=number)


def read_data(reading: Mapping[str, Any], data: Any) -> Notice:
    """The notice in parsed ``data`` (a JSON object, a form, an XML root)."""
    opted_out = _opt_out(reading, data)
    if opted_out is not None:
        return opted_out
    provider_id = _first(data, reading["provider_id"])
    if provider_id is None:
        return _unreadable("no provider id where the provider's documentation puts it")
    for entry in reading["status"]:
        values = [_value(data, path) for path in entry["fields"]]
        if any(v is None for v in values):
            continue
        code = ":".join(v for v in values if v is not None)
        states = {str(k).lower(): v for k, v in entry["map"].items()}
        state = states.get(code.lower(), entry.get("otherwise"))
        if state is None:
            continue
        reasons = reading.get("reasons") or {}
        reason = _first(data, reading.get("reason")) or reasons.get(code) or reasons.get(code.upper())
        return Notice(provider_id, str(state), code, reason)
    return _unreadable("no status value the provider's documentation lists")


def read_notice(reading: Mapping[str, Any], body: bytes, content_type: str | None = None) -> Notice:
    """One pushed notification."""
    data, problem = parse_body(reading, body, content_type)
    if problem is not None:
        return _unreadable(problem)
    if not isinstance(data, (Mapping, Element)):
        return _unreadable("the body is not one object")
    return read_data(reading, data)


def read_status_answer(
    reading: Mapping[str, Any], body: bytes, content_type: str | None, provider_id: str
) -> Notice:
    """A status call's answer about ``provider_id``: one object, or a list holding it."""
    data, problem = parse_body(reading, body, content_type)
    if problem is not None:
        return _unreadable(problem)
    items = data if isinstance(data, list) else [data]
    notices = [read_data(reading, item) for item in items[:1000] if isinstance(item, (Mapping, Element))]
    mine = [n for n in notices if n.provider_id == provider_id]
    if mine:
        return mine[0]
    return _unreadable("the answer says nothing about this provider id")
