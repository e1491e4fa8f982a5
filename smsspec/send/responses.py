"""A provider's answer, read by the rules in its descriptor, into one outcome per recipient.

The ``response`` block of a provider's ``x-smsspec`` descriptor says how::

    {"format": "json" | "xml" | "text",
     "rules": [{<conditions>, "outcome": "accepted" | "rejected" | "unknown", "definitive": bool}],
     "provider_id": <field>, "error_code": <field>, "error_text": <field> | "after-prefix",
     "error_texts": {<code>: <the provider's documented meaning>},
     "per_recipient": {"recipient_field": <field>, "rules": [...],
                       "provider_id": ..., "error_code": ..., "error_text": ...}}

Conditions (every one given must hold): ``http: [codes]``; ``field: NAME``
with ``equals`` (case-insensitive), ``in: [values]`` or ``present: bool``
(present means not null); ``prefix`` (a text body starts with it). A JSON
field is a key of the top-level object, an XML field a child element of the
root (tag names compared without regard to case). The first rule that holds
decides. With ``per_recipient``, a top-level rule that holds decides for
every recipient; otherwise the body must be a JSON list with one object per
recipient, matched to the request's recipients by ``recipient_field``
(digits compared) or else by position, and each object is read with the
``per_recipient`` rules.

A ``<field>`` may be a list of names: the first that holds a non-empty value
gives it (Sendmachine's own client reads ``error_reason``, else ``status``).
An answer with a code but no text of its own gets the code's meaning from
``error_texts``, where the descriptor copies the provider's table.

When no rule holds: 2xx is unknown ("unrecognised answer"), 4xx rejected
(not definitive, error code ``http-<status>``), anything else unknown. A body
that cannot be read (not UTF-8, malformed, an HTML page, the wrong content
type, empty) never raises: it simply satisfies no field condition, so the
same fallbacks apply, with a reason saying what was wrong. XML is parsed with
defusedxml, which refuses entity expansion and external entities.

Texts are returned whole: the runner scrubs secrets out of them first and
only then cuts them short (a cut made first could leave half a password).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from smsspec.providers.registry import Provider
from smsspec.send.ledger import DeliveryOutcome, DeliveryStatus

_OUTCOMES = {
    "accepted": DeliveryStatus.ACCEPTED,
    "rejected": DeliveryStatus.REJECTED,
    "unknown": DeliveryStatus.UNKNOWN,
}
_WRONG_TYPES = {
    "json": ("html", "xml"),
    "xml": ("html", "json"),
    "text": ("html",),
}


@dataclass(frozen=True)
class Answer:
    """The raw answer: status, body (already capped by the transport) and content type."""

    status: int
    body: bytes
    content_type: str | None = None


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class _Document:
    """The body as the rules see it: parsed data, or None with the reason it could not be."""

    text: str | None
    data: Any  # dict | list for JSON, Element for XML, None otherwise
    problem: str | None


def _parse(answer: Answer, form: str) -> _Document:
    body = answer.body
    if not body.strip():
        return _Document("", None, "empty answer")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _Document(None, None, "answer is not UTF-8 text")
    stripped = text.lstrip().lower()
    media = (answer.content_type or "").split(";")[0].strip().lower()
    if stripped.startswith(("<!doctype html", "<html")) or "html" in media:
        return _Document(text, None, "answer is an HTML page")
    if any(word in media for word in _WRONG_TYPES.get(form, ())):
        return _Document(text, None, f"answer has content type {media}, not {form}")
    if form == "json":
        try:
            return _Document(text, json.loads(text), None)
        except ValueError:
            return _Document(text, None, "answer is not valid JSON")
    if form == "xml":
        try:
            return _Document(text, fromstring(text), None)
        except (ParseError, DefusedXmlException, ValueError):
            return _Document(text, None, "answer is not valid XML")
    return _Document(text, None, None)


def _field(data: Any, name: str) -> tuple[bool, Any]:
    """(found, value) of a field: a key of a JSON object or a child element of an XML root."""
    if isinstance(data, Mapping):
        return (name in data, data.get(name))
    if isinstance(data, Element):
        wanted = name.lower()
        for child in data:
            if isinstance(child.tag, str) and child.tag.lower() == wanted:
                return (True, (child.text or "").strip())
    return (False, None)


def _text_value(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, int, float)):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _same(value: Any, expected: Any) -> bool:
    if isinstance(value, str) and isinstance(expected, str):
        return value.strip().lower() == expected.strip().lower()
    return bool(value == expected)


# --------------------------------------------------------------------------- rules


def _holds(rule: Mapping[str, Any], status: int, doc: _Document, item: Any) -> bool:
    codes = rule.get("http")
    if codes is not None and status not in codes:
        return False
    prefix = rule.get("prefix")
    if prefix is not None and not (
        doc.text is not None and doc.text.lstrip().upper().startswith(str(prefix).upper())
    ):
        return False
    name = rule.get("field")
    if name is not None:
        found, value = _field(item, str(name))
        if "present" in rule and (value is not None) is not bool(rule["present"]):
            return False
        if "equals" in rule and not (found and _same(value, rule["equals"])):
            return False
        if "in" in rule and not (found and any(_same(value, v) for v in rule["in"])):
            return False
        if not ({"present", "equals", "in"} & rule.keys()) and not found:
            return False
    return True


def _first_rule(
    rules: Sequence[Mapping[str, Any]], status: int, doc: _Document, item: Any
) -> Mapping[str, Any] | None:
    for rule in rules:
        if _holds(rule, status, doc, item):
            return rule
    return None


def _snippet(doc: _Document) -> str | None:
    """The answer's text to quote (whole; the runner scrubs, then cuts it), if worth quoting."""
    if doc.text is None or doc.problem == "answer is an HTML page" or not doc.text.strip():
        return None
    return doc.text


def _after_prefix(doc: _Document, rule: Mapping[str, Any]) -> str | None:
    text = (doc.text or "").strip()
    prefix = rule.get("prefix")
    if prefix and text.upper().startswith(str(prefix).upper()):
        text = text[len(str(prefix)) :].lstrip(" :\t")
    return text or None


def _decided(
    recipient: str,
    status: int,
    rule: Mapping[str, Any],
    fields: Mapping[str, Any],
    doc: _Document,
    item: Any,
) -> DeliveryOutcome:
    outcome = _OUTCOMES.get(str(rule.get("outcome")), DeliveryStatus.UNKNOWN)

    def value(key: str) -> str | None:
        names = fields.get(key)
        for name in names if isinstance(names, list) else [names]:  # the first that holds a value
            if name is None:
                continue
            found = _after_prefix(doc, rule) if name == "after-prefix" else _text_value(_field(item, str(name))[1])
            if found not in (None, ""):
                return found
        return None

    provider_id = value("provider_id")
    if outcome is DeliveryStatus.ACCEPTED:
        return DeliveryOutcome(recipient, outcome, provider_id=provider_id, delivery=rule.get("delivery"))
    code, text = value("error_code"), value("error_text")
    if code is None and not 200 <= status < 300:
        code = f"http-{status}"
    if text is None and code is not None:
        text = _error_texts(fields).get(code)
    if text is None:
        text = doc.problem or _snippet(doc)
    return DeliveryOutcome(
        recipient,
        outcome,
        definitive=bool(rule.get("definitive", False)) and outcome is DeliveryStatus.REJECTED,
        provider_id=provider_id,
        error_code=code,
        error_text=text,
    )


def _error_texts(fields: Mapping[str, Any]) -> Mapping[str, str]:
    texts = fields.get("error_texts")
    return texts if isinstance(texts, Mapping) else {}


def _fallback(recipient: str, status: int, doc: _Document, why: str | None = None) -> DeliveryOutcome:
    reason = why or doc.problem
    if 400 <= status < 500:
        return DeliveryOutcome(
            recipient,
            DeliveryStatus.REJECTED,
            definitive=False,
            error_code=f"http-{status}",
            error_text=reason or _snippet(doc),
        )
    if 200 <= status < 300:
        return DeliveryOutcome(
            recipient, DeliveryStatus.UNKNOWN, error_text=reason or "unrecognised answer"
        )
    text = reason or _snippet(doc) or f"HTTP {status}"
    return DeliveryOutcome(
        recipient, DeliveryStatus.UNKNOWN, error_code=f"http-{status}", error_text=text
    )


def _digits(value: Any) -> str:
    return "".join(c for c in str(value) if c.isdigit()) if value is not None else ""


def _match_items(
    items: list[Any], recipients: Sequence[str], recipient_field: str | None
) -> dict[str, Any]:
    """Recipient (E.164) -> its object in the answer, by recipient field, else by position."""
    matched: dict[str, Any] = {}
    by_digits = {_digits(r): r for r in recipients}
    leftovers: list[tuple[int, Any]] = []
    for position, item in enumerate(items):
        recipient = None
        if recipient_field is not None:
            recipient = by_digits.get(_digits(_field(item, recipient_field)[1]))
        if recipient is not None and recipient not in matched:
            matched[recipient] = item
        else:
            leftovers.append((position, item))
    for position, item in leftovers:
        if position < len(recipients) and recipients[position] not in matched:
            found, value = (False, None)
            if recipient_field is not None:
                found, value = _field(item, recipient_field)
            if not found or value is None:  # no number to contradict the position
                matched[recipients[position]] = item
    return matched


def read_answer(
    descriptor: Mapping[str, Any], answer: Answer, recipients: Sequence[str]
) -> tuple[DeliveryOutcome, ...]:
    """One result per recipient of the request, in the request's order."""
    form = str(descriptor.get("format", "json"))
    doc = _parse(answer, form)
    status = answer.status
    rule = _first_rule(descriptor.get("rules", ()), status, doc, doc.data)
    if rule is not None:
        return tuple(_decided(r, status, rule, descriptor, doc, doc.data) for r in recipients)
    per = descriptor.get("per_recipient")
    if per is None or not (200 <= status < 300):
        return tuple(_fallback(r, status, doc) for r in recipients)
    if not isinstance(doc.data, list):
        why = doc.problem or "answer is not a list with one entry per recipient"
        return tuple(_fallback(r, status, doc, why) for r in recipients)
    field = per.get("recipient_field")
    matched = _match_items(doc.data, recipients, None if field is None else str(field))
    results: list[DeliveryOutcome] = []
    for recipient in recipients:
        if recipient not in matched:
            results.append(_fallback(recipient, status, doc, "the answer says nothing about this recipient"))
            continue
        item = matched[recipient]
        item_rule = _first_rule(per.get("rules", ()), status, doc, item)
        if item_rule is None:
            results.append(_fallback(recipient, status, doc, "unrecognised answer for this recipient"))
        else:
            results.append(_decided(recipient, status, item_rule, per, doc, item))
    return tuple(results)


# --------------------------------------------------------------------------- retries


@dataclass(frozen=True)
class RetryOn:
    """When an answer means "not processed, try later": its HTTP status, or an error code inside a normal answer.

    From the descriptor: ``retry_statuses`` and ``retry_error_codes`` (read through the ``response``
    block's ``error_code`` field, e.g. Skycore's E120 request limit inside an HTTP 200 body).
    """

    statuses: frozenset[int]
    error_codes: frozenset[str] = frozenset()
    reading: Mapping[str, Any] = field(default_factory=dict)

    def reason(self, answer: Answer) -> str | None:
        """Why this answer is retried ("HTTP 429", "E120"), or None when it is final."""
        if answer.status in self.statuses:
            return f"HTTP {answer.status}"
        if not self.error_codes:
            return None
        doc = _parse(answer, str(self.reading.get("format", "json")))
        names = self.reading.get("error_code")
        for name in names if isinstance(names, list) else [names]:
            if name is None or name == "after-prefix":
                continue
            code = _text_value(_field(doc.data, str(name))[1])
            if code is not None and code.strip().upper() in self.error_codes:
                return code.strip()
        return None


def retry_on(provider: Provider) -> RetryOn:
    return RetryOn(provider.retry_statuses, provider.retry_error_codes, provider.response)
