"""The inbox page: what the sandbox received, shown as a phone would show it.

==========  =================  ================================================
method      path               answer
==========  =================  ================================================
GET         /                  200, the page (one HTML file, no outside assets)
GET         /_sandbox/inbox    200, ``{"messages", "last", "reset", "total"}``
==========  =================  ================================================

The page polls ``/_sandbox/inbox?after=<id of the last message it has>``
once a second and gets only what is new; ``reset`` is true when it must
start over (the store was cleared, or ``after`` is unknown), and then
``messages`` holds the newest :data:`FEED_LIMIT`. ``now`` is the sandbox
clock: the page shows a message's delivery (its ``delivery`` key) as pending
until ``now`` passes its ``due`` time, then as delivered or failed, and
updates that on every answer. Each message is a stored
record (see :mod:`smsspec.sandbox.records`) plus ``parts``, its text as cut
into segments, and ``conversation``, the number its thread is kept under
(:func:`conversation_of`). The first answer is written into the page itself, so the page
shows the inbox before any script asks for it.

Message texts and requests are untrusted: the page builds its elements with
``textContent`` only, and a Content-Security-Policy allows no script or style
but the page's own (by hash) and no connection but to this server.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib import resources
from urllib.parse import parse_qs

from smsspec.sandbox.exchange import Reply, Request
from smsspec.sandbox.providers.base import json_reply
from smsspec.sandbox.state import SandboxState
from smsspec.sms.encoding import split_segments

PAGE_PATH = "/"
FEED_PATH = "/_sandbox/inbox"
FEED_LIMIT = 500
BODY_LIMIT = 20_000
"""Characters of a request body the feed carries; longer bodies are cut and say so."""

_PATHS = frozenset({PAGE_PATH, "/index.html", FEED_PATH, "/favicon.ico"})
_DATA_MARK = "/*INBOX-DATA*/"
_HTML_TYPE = "text/html; charset=utf-8"


def serves(path: str) -> bool:
    return path in _PATHS or path.rstrip("/") == FEED_PATH


def handle(state: SandboxState, request: Request) -> Reply:
    path = request.path.rstrip("/") or "/"
    if request.method != "GET":
        return json_reply(405, {"error": "method not allowed"}, (("Allow", "GET"),))
    if path == "/favicon.ico":
        return Reply(204)
    messages = state.store.messages()
    if path == FEED_PATH:
        after = parse_qs(request.query).get("after", [None])[0]
        return json_reply(200, feed(messages, after, state.clock()), (("Cache-Control", "no-store"),))
    return page_reply(feed(messages, None, state.clock()))


def feed(
    messages: Sequence[Mapping[str, object]], after: str | None, now: datetime | None = None
) -> dict[str, object]:
    """What is new since the message with id ``after``; everything (newest ``FEED_LIMIT``) if unknown."""
    start: int | None = None
    if after:
        for index in range(len(messages) - 1, -1, -1):
            if messages[index].get("id") == after:
                start = index + 1
                break
    reset = start is None
    chosen = messages[-FEED_LIMIT:] if start is None else messages[start:][-FEED_LIMIT:]
    if start is not None and len(messages) - start > FEED_LIMIT:
        reset = True  # too far behind: start over from the newest
    last = messages[-1].get("id") if messages else None
    return {
        "messages": [_for_page(m) for m in chosen],
        "last": last,
        "reset": reset,
        "total": len(messages),
        "now": (now or datetime.now().astimezone()).isoformat(timespec="milliseconds"),
    }


_SEPARATORS = re.compile(r"[\s().-]")


def conversation_of(recipient: str) -> str:
    """The number a phone would file a message under.

    Providers carry numbers differently (``+972502345678``, ``972-50-2345678``,
    ``12015550123``); an international number written without its plus is
    given one, so a recipient has one conversation whatever the provider.
    Numbers that may be national (a leading 0, or fewer than 11 digits) are
    kept as written.
    """
    digits = _SEPARATORS.sub("", recipient.strip())
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("00"):
        digits = digits[2:]
    elif digits.startswith("0") or len(digits) < 11:
        return recipient
    return "+" + digits if digits.isdigit() else recipient


def _for_page(record: Mapping[str, object]) -> dict[str, object]:
    text = record.get("text")
    recipient = record.get("recipient")
    shown = dict(record)
    shown["parts"] = split_segments(text) if isinstance(text, str) else []
    shown["conversation"] = conversation_of(recipient) if isinstance(recipient, str) else str(recipient)
    request = record.get("request")
    if isinstance(request, Mapping):
        body = request.get("body")
        if isinstance(body, str) and len(body) > BODY_LIMIT:
            cut = len(body) - BODY_LIMIT
            shown["request"] = {**request, "body": body[:BODY_LIMIT] + f"\n… ({cut} more characters)"}
    return shown


# the page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Page:
    before: str
    after: str
    policy: str


@lru_cache(maxsize=1)
def _page() -> _Page:
    html = resources.files("smsspec.sandbox").joinpath("static/inbox.html").read_text(encoding="utf-8")
    before, mark, after = html.partition(_DATA_MARK)
    if not mark:  # pragma: no cover - a packaging fault
        raise RuntimeError("static/inbox.html has no data mark")
    scripts = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    styles = re.findall(r"<style>(.*?)</style>", html, re.DOTALL)
    policy = "; ".join([
        "default-src 'none'",
        "script-src " + " ".join(_hash(s) for s in scripts),
        "style-src " + " ".join(_hash(s) for s in styles),
        "connect-src 'self'",
        "img-src data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ])
    return _Page(before, after, policy)


def _hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def page_reply(first: Mapping[str, object]) -> Reply:
    """The page with ``first`` (a :func:`feed` answer) written in as JSON."""
    page = _page()
    data = json.dumps(first, ensure_ascii=False, separators=(",", ":"))
    # Inside <script type="application/json">: nothing may close the element or open a comment.
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    body = (page.before + data + page.after).encode("utf-8")
    headers = (
        ("Content-Security-Policy", page.policy),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-store"),
    )
    return Reply(200, body, _HTML_TYPE, headers)
