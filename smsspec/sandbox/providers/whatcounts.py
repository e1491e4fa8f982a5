"""WhatCounts "HTTP Send Message to Phone": ``GET /api_web?...``.

Arguments travel in the query string, short or long names alike: ``r`` or
``realm``, ``p`` or ``pwd``, ``c`` or ``cmd``, then ``phone``,
``sender_code`` and ``message_text``. The answer is always HTTP 200 and
plain text, exactly one of::

    SUCCESS: Sending message to phone was successful
    FAILURE: <reason>

Failures, checked in this order: unknown or missing command, realm and
password not matching, missing phone, phone with anything but digits,
missing sender code, missing message text, message text over 160
characters. The command name is matched without regard to case.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from smsspec.sandbox.accounts import SANDBOX_SECRET
from smsspec.sandbox.exchange import Request
from smsspec.sandbox.providers.base import Accepted, Outcome, ProviderContext, text_reply

PATH = "/api_web"
SETTINGS: dict[str, object] = {"realm": SANDBOX_SECRET}
"""The account's ``realm`` setting is the realm it accepts."""
COMMAND = "smssendmessagetophone"
TEXT_LIMIT = 160
SUCCESS = "SUCCESS: Sending message to phone was successful"
_ALIASES = {"realm": ("r", "realm"), "password": ("p", "pwd"), "command": ("c", "cmd")}


def _argument(query: dict[str, list[str]], *names: str) -> str | None:
    for name in names:
        if name in query:
            return query[name][0]
    return None


def _failure(reason: str) -> Outcome:
    return Outcome(text_reply(200, f"FAILURE: {reason}"))


def handle(request: Request, ctx: ProviderContext) -> Outcome:
    try:
        query = parse_qs(request.query, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        return _failure("Arguments are not valid UTF-8")
    command = _argument(query, *_ALIASES["command"])
    if command is None or command.lower() != COMMAND:
        return _failure(f"Unknown command {command or ''}".rstrip())
    realm = _argument(query, *_ALIASES["realm"])
    password = _argument(query, *_ALIASES["password"])
    if realm != ctx.setting("realm") or password != ctx.accounts.password:
        return _failure("Realm and password do not match")
    phone = _argument(query, "phone")
    if not phone:
        return _failure("Phone number is missing")
    if not (phone.isascii() and phone.isdigit()):
        return _failure("Phone number must contain digits only")
    sender = _argument(query, "sender_code")
    if not sender:
        return _failure("Sender code is missing")
    text = _argument(query, "message_text")
    if not text:
        return _failure("Message text is missing")
    if len(text) > TEXT_LIMIT:
        return _failure(f"Message text is longer than {TEXT_LIMIT} characters")
    accepted = Accepted(recipient=phone, text=text, state="sent", sender=sender)
    return Outcome(text_reply(200, SUCCESS), (accepted,))
