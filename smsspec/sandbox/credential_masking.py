"""Credentials masked by where they sit in a recorded request (headers, query arguments, XML key,
raw or in a form variable), for the sandbox inbox; the sender's :mod:`smsspec.send.redact` scrubs
known values instead."""

from __future__ import annotations

import re
from urllib.parse import quote_plus, unquote_plus

MASK = "***"
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "cookie"})
SECRET_ARGUMENTS = frozenset({"p", "pwd", "password", "api_key", "apikey", "key"})
_XML_KEY = re.compile(r"(<API_KEY\s*>).*?(</API_KEY\s*>)", re.IGNORECASE | re.DOTALL)


def headers(pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """Headers by lower-cased name, secrets replaced, repeats joined."""
    found: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        shown = MASK if key in SECRET_HEADERS else value
        found[key] = f"{found[key]}, {shown}" if key in found else shown
    return found


def target(raw: str) -> str:
    """The request target with secret query arguments replaced."""
    path, sep, query = raw.partition("?")
    if not sep:
        return raw
    parts = []
    for part in query.split("&"):
        name, eq, _ = part.partition("=")
        if eq and unquote_plus(name).lower() in SECRET_ARGUMENTS:
            part = f"{name}={MASK}"
        parts.append(part)
    return f"{path}?{'&'.join(parts)}"


def _xml_key(text: str) -> str:
    return _XML_KEY.sub(rf"\g<1>{MASK}\g<2>", text)


def body(text: str) -> str:
    """The body with an XML ``<API_KEY>`` value replaced, also inside a form variable holding XML."""
    if "<" in text:
        return _xml_key(text)
    if "=" not in text:
        return text
    parts = []
    for part in text.split("&"):
        name, eq, value = part.partition("=")
        if eq and unquote_plus(name).lower() in SECRET_ARGUMENTS:
            part = f"{name}={MASK}"
        elif eq:
            decoded = unquote_plus(value)
            if "<" in decoded:
                part = f"{name}={quote_plus(_xml_key(decoded))}"
        parts.append(part)
    return "&".join(parts)
