"""The escaping filters payload templates apply to every value they write, and their Jinja environment.

Payload templates may come from outside smsspec (``SMSSPEC_PROVIDER_PATH``), so
they run in the same sandbox as message texts; what they interpolate is data: ``json``, ``xml`` and ``q`` (query string) escape a value for its
format, ``spacetime`` writes a send time as some providers want it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import lru_cache
from json.encoder import encode_basestring
from typing import Any
from urllib.parse import quote

import jinja2
from jinja2.sandbox import safe_range

from smsspec.sms.send_at import parse_send_at
from smsspec.templating.sandbox import sandboxed_environment

# json.dumps(value, ensure_ascii=False, separators=(",", ":")) builds this encoder on every call.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def json_value(value: Any) -> str:
    return encode_basestring(value) if type(value) is str else _JSON(value)  # what _JSON does with a str


def xml_text(value: Any) -> str:
    """Escape for XML element content; CR as a reference, since parsers turn a raw CR into LF."""
    text = str(value)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


QUERY_SAFE = "!$'()*,/:?@"
"""Characters a query value keeps as they are, besides letters, digits and ``-._~``: what RFC 3986 allows
in a query except ``&``, ``=``, ``+`` and ``;``, which query parsers read as separators or a space.
WhatCounts' own example sends ``message_text=Thanks!`` and ``Your%20message%20is%20delivered``."""


def query_value(value: Any) -> str:
    """Percent-encoded UTF-8 for a query value: spaces as ``%20``, :data:`QUERY_SAFE` kept."""
    return quote(str(value), safe=QUERY_SAFE)


def space_time(value: str) -> str:
    """ISO 8601 with a space between date and time: 2020-01-20 13:05:00+02:00."""
    moment = parse_send_at(value)
    if moment is None:
        raise ValueError(f"not a date and time with an offset: {value!r}")
    return moment.replace(microsecond=0).isoformat(sep=" ")


Escape = Callable[[Any], str]
ESCAPERS: Mapping[str, Escape] = {"json": json_value, "xml": xml_text, "q": query_value, "spacetime": space_time}


def environment_with(filters: Mapping[str, Callable[[Any], Any]]) -> jinja2.Environment:
    """Message texts' sandbox (:mod:`smsspec.templating.sandbox`) with these filters: a payload template runs no code.

    It also has ``range`` (at most 100,000 numbers) and ``dict``, which
    :mod:`smsspec.render.program` knows to be pure.
    """
    env = sandboxed_environment(filters, text=False)
    env.globals.update(range=safe_range, dict=dict)
    return env


@lru_cache(maxsize=1)
def payload_environment() -> jinja2.Environment:
    return environment_with(ESCAPERS)
