"""Reading what a running sandbox stored, over HTTP (``smsspec sandbox inbox``).

The answer comes from whatever listens at the URL the user gave, so it is
read like any outside input: at most :data:`MAX_ANSWER` bytes within
:data:`DEADLINE` seconds, and it must have the shape of the sandbox's
``GET /_sandbox/messages`` (a JSON list of message records).
"""

from __future__ import annotations

import json
import time

import httpx

from smsspec.errors import InboxUnavailable

MAX_ANSWER = 64 * 1024 * 1024
DEADLINE = 30.0
MESSAGES_PATH = "/_sandbox/messages"



def fetch_messages(url: str) -> list[dict[str, object]]:
    """The messages stored by the sandbox at ``url`` (its base URL), oldest first."""
    body = _read(url, url.rstrip("/") + MESSAGES_PATH)
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise InboxUnavailable(f"{url} did not answer JSON; is it an smsspec sandbox?") from None
    if not isinstance(data, list) or not all(_is_record(item) for item in data):
        raise InboxUnavailable(
            f"{url} answered JSON that is not a list of sandbox messages; is it an smsspec sandbox?"
        )
    return data


def _is_record(item: object) -> bool:
    return (
        isinstance(item, dict)
        and isinstance(item.get("id"), str)
        and isinstance(item.get("provider"), str)
    )


def _read(url: str, target: str) -> bytes:
    started = time.monotonic()
    try:
        with httpx.stream("GET", target, timeout=5.0) as response:
            if response.status_code != 200:
                raise InboxUnavailable(
                    f"{url} answered HTTP {response.status_code}; is it an smsspec sandbox?"
                )
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_ANSWER:
                raise InboxUnavailable(_too_large(url))
            body = bytearray()
            for chunk in response.iter_raw():
                body += chunk
                if len(body) > MAX_ANSWER:
                    raise InboxUnavailable(_too_large(url))
                if time.monotonic() - started > DEADLINE:
                    raise InboxUnavailable(
                        f"{url} took longer than {DEADLINE:g} s to answer; is it an smsspec sandbox?"
                    )
            return bytes(body)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise InboxUnavailable(
            f"no sandbox answers at {url} ({type(exc).__name__}); start one with `smsspec sandbox`"
        ) from None


def _too_large(url: str) -> str:
    return f"{url} answered more than {MAX_ANSWER // (1024 * 1024)} MiB; is it an smsspec sandbox?"
