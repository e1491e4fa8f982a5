"""Scrub secrets out of every string that leaves the sender.

A :class:`Redactor` knows the credential values resolved for a run and the
forms in which they can show up in text: as written, URL-encoded (both
``%20`` and ``+`` for spaces, upper- and lower-case hex), JSON-escaped,
XML-escaped, and base64-encoded as the ``user:password`` pair of HTTP Basic
authentication.

Scrubbing is done where a credential can be carried: the request as shown
(URL, body), the provider's answer and the errors made from either, the
sandbox inbox. Text is scrubbed whole *before* it is cut short
(:meth:`Redactor.clip`), so a cut never leaves part of a secret behind.
Values shorter than :data:`~smsspec.load.config.MIN_CREDENTIAL_CHARS` are never
sent (they are refused, or are the sandbox's published one), so they are not
masked either: masking ``1`` or ``sandbox`` would only mangle plain words.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus
from xml.sax.saxutils import escape

from smsspec.load.config import MIN_CREDENTIAL_CHARS
from smsspec.render.escapes import query_value

MASK = "***"
SNIPPET_CHARS = 200
"""A provider's text (error, code, id) is kept to this many characters, after scrubbing."""
_XML_ENTITIES = {'"': "&quot;", "'": "&apos;", "\r": "&#13;"}
_HEX_ESCAPE = re.compile(r"%[0-9A-F]{2}")


def _lower_hex(text: str) -> str:
    return _HEX_ESCAPE.sub(lambda m: m.group(0).lower(), text)


def secret_forms(secret: str) -> set[str]:
    """The spellings of one secret that may appear in URLs, bodies, headers and messages."""
    forms = {
        secret,
        quote(secret, safe=""),
        quote(secret),
        query_value(secret),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        escape(secret),
        escape(secret, _XML_ENTITIES),
        base64.b64encode(secret.encode("utf-8")).decode("ascii"),
    }
    forms |= {quote_plus(form) for form in (escape(secret), json.dumps(secret)[1:-1])}  # a payload sent form-encoded
    forms |= {_lower_hex(form) for form in forms}
    return {form for form in forms if form}


def basic_auth_forms(values: Iterable[str]) -> set[str]:
    """base64 of every ``a:b`` pair of the given values (HTTP Basic authentication)."""
    found: set[str] = set()
    for user, password in itertools.permutations(list(values), 2):
        pair = f"{user}:{password}".encode()
        found.add(base64.b64encode(pair).decode("ascii"))
    return found


@dataclass(frozen=True)
class Redactor:
    """Replaces every known form of every secret with ``***``."""

    forms: frozenset[str] = frozenset()
    _pattern: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ordered = sorted(self.forms, key=len, reverse=True)  # longest first: no partial leftovers
        pattern = re.compile("|".join(re.escape(f) for f in ordered)) if ordered else None
        object.__setattr__(self, "_pattern", pattern)

    @classmethod
    def for_credentials(cls, accounts: Iterable[Mapping[str, str]]) -> Redactor:
        """A redactor for the credential values of each account (name -> value)."""
        forms: set[str] = set()
        for credentials in accounts:
            values = [v for v in credentials.values() if len(v) >= MIN_CREDENTIAL_CHARS]
            for value in values:
                forms |= secret_forms(value)
            forms |= basic_auth_forms(values)
        return cls(frozenset(forms))

    def scrub(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(MASK, text)

    def scrub_opt(self, text: str | None) -> str | None:
        return None if text is None else self.scrub(text)

    def clip(self, text: str, limit: int = SNIPPET_CHARS, one_line: bool = True) -> str:
        """Scrubbed, then (``one_line``) runs of white space made one space, then cut to ``limit``."""
        shown = self.scrub(text)
        if one_line:
            shown = " ".join(shown.split())
        return shown if len(shown) <= limit else shown[: limit - 1] + "…"

    def clip_opt(self, text: str | None, limit: int = SNIPPET_CHARS) -> str | None:
        return None if text is None else self.clip(text, limit)

    def scrub_json(self, value: Any) -> Any:
        """A copy of a JSON-like value with every string (keys included) scrubbed."""
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, Mapping):
            return {self.scrub(str(k)): self.scrub_json(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.scrub_json(v) for v in value]
        return value
