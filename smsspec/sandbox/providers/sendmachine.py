"""Sendmachine "SMS send resource": ``POST /sms/send`` with a JSON body.

Authentication is HTTP Basic with the API user name and the API key. Answers::

    202 {"status":"accepted","count":N,"segments":S,"request_id":"<uuid4>"}
    400 {"status":"validation_error","error_reason":"<code>"}
    401 {"status":"denied"}

``count`` is the number of recipients after dropping repeats inside each
personalization entry (a number repeated in two entries counts twice);
``segments`` is ``count`` times the segments of ``message``. Macros are not
substituted: segments are those of the message as sent.

Validation, in this order, and the code each failure carries:

* body not a JSON object: ``invalid_json``
* ``personalization`` missing, not a list or empty: ``missing_personalization``
* 100 or more personalization entries: ``pers_limit_reached``
* ``message`` missing or empty: ``missing_message``; not a string: ``invalid_message``
* ``message_type`` other than transactional/campaign: ``invalid_type``
* ``click_tracking`` other than the integers 1 and 0: ``invalid_field_value``
* ``campaign_name`` not a string: ``invalid_field_value``
* an entry that is not an object: ``missing_personalization``
* an entry without a non-empty ``to`` list: ``empty_field_value``
* ``macros`` not an object, or setting a reserved macro (date, year,
  unsub_link): ``invalid_macros``; ``metadata`` not an object: ``invalid_metadata``
* a recipient that is not digits with an optional leading +: ``invalid_recipient``
* a number listed in ``SandboxAccounts.rejections``: the whole request is
  refused with the reason given there (e.g. ``invalid_recipient``)
* 100 or more recipients in total: ``field_value_overflow`` (the docs offer
  no code dedicated to this limit; ``send_limit_reached`` reads as the
  account's quota, so the sandbox does not use it here)

A ``campaign`` message received between 22:00 and 07:00 (sandbox clock) is
accepted and stored with state ``paused``; other accepted messages have
state ``accepted``.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from datetime import time

from smsspec.sandbox.accounts import SandboxAccounts
from smsspec.sandbox.exchange import Reply, Request
from smsspec.sandbox.providers.base import Accepted, Outcome, ProviderContext, json_reply, load_json
from smsspec.sandbox.textinfo import analyze_text

PATH = "/sms/send"
LIMIT = 100
"""Recipients and personalization entries must each number fewer than this."""
RESERVED_MACROS = frozenset({"date", "year", "unsub_link"})
MESSAGE_TYPES = frozenset({"transactional", "campaign"})
QUIET_FROM = time(22, 0)
QUIET_UNTIL = time(7, 0)
RECIPIENT = re.compile(r"\+?[0-9]{7,15}")


class _Invalid(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _denied() -> Reply:
    return json_reply(401, {"status": "denied"})


def _authorized(header: str | None, accounts: SandboxAccounts) -> bool:
    if header is None:
        return False
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    user, sep, key = decoded.partition(":")
    return bool(sep) and user == accounts.username and key == accounts.api_key


def _recipients(entries: list[object]) -> list[tuple[str, dict[str, object]]]:
    """(recipient, entry details) per distinct recipient of each entry."""
    found: list[tuple[str, dict[str, object]]] = []
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise _Invalid(
                "missing_personalization", f"personalization[{position}] is not an object"
            )
        to = entry.get("to")
        if not isinstance(to, list) or not to:
            raise _Invalid("empty_field_value", f"personalization[{position}].to is empty")
        macros = entry.get("macros", {})
        if not isinstance(macros, dict):
            raise _Invalid("invalid_macros", f"personalization[{position}].macros is not an object")
        reserved = sorted(RESERVED_MACROS.intersection(macros))
        if reserved:
            raise _Invalid("invalid_macros", f"reserved macro {reserved[0]} cannot be set")
        metadata = entry.get("metadata", {})
        if not isinstance(metadata, dict):
            raise _Invalid(
                "invalid_metadata", f"personalization[{position}].metadata is not an object"
            )
        seen: set[str] = set()
        for number in to:
            if not isinstance(number, str) or RECIPIENT.fullmatch(number.strip()) is None:
                raise _Invalid("invalid_recipient", f"invalid recipient {number!r}")
            if number in seen:
                continue
            seen.add(number)
            found.append((number, {"macros": macros, "metadata": metadata}))
    return found


def _check(data: object) -> tuple[dict[str, object], list[tuple[str, dict[str, object]]]]:
    if not isinstance(data, dict):
        raise _Invalid("invalid_json", "the body is not a JSON object")
    entries = data.get("personalization")
    if not isinstance(entries, list) or not entries:
        raise _Invalid("missing_personalization", "personalization is missing")
    if len(entries) >= LIMIT:
        raise _Invalid("pers_limit_reached", f"fewer than {LIMIT} personalizations are allowed")
    message = data.get("message")
    if message is None or message == "":
        raise _Invalid("missing_message", "message is missing")
    if not isinstance(message, str):
        raise _Invalid("invalid_message", "message is not a string")
    kind = data.get("message_type")
    if kind is not None and kind not in MESSAGE_TYPES:
        raise _Invalid("invalid_type", "message_type must be transactional or campaign")
    clicks = data.get("click_tracking")
    if clicks is not None and (type(clicks) is not int or clicks not in (0, 1)):
        raise _Invalid("invalid_field_value", "click_tracking must be 1 or 0")
    name = data.get("campaign_name")
    if name is not None and not isinstance(name, str):
        raise _Invalid("invalid_field_value", "campaign_name is not a string")
    recipients = _recipients(entries)
    if len(recipients) >= LIMIT:
        raise _Invalid("field_value_overflow", f"fewer than {LIMIT} recipients are allowed")
    return data, recipients


def _digits(number: str) -> str:
    return "".join(c for c in number if c.isdigit())


def _quiet_hours(ctx: ProviderContext) -> bool:
    now = ctx.clock().time()
    return now >= QUIET_FROM or now < QUIET_UNTIL


def handle(request: Request, ctx: ProviderContext) -> Outcome:
    if not _authorized(request.header("authorization"), ctx.accounts):
        return Outcome(_denied())
    try:
        data, recipients = _check(load_json(request.body))
    except ValueError:
        return Outcome(_error("invalid_json"))
    except _Invalid as problem:
        return Outcome(_error(problem.code))
    refused = [ctx.accounts.rejections.get(_digits(number)) for number, _ in recipients]
    reason = next((r for r in refused if r), None)
    if reason is not None:
        return Outcome(_error(reason))
    message = str(data["message"])
    kind = data.get("message_type")
    state = "paused" if kind == "campaign" and _quiet_hours(ctx) else "accepted"
    request_id = str(uuid.uuid4())
    name = data.get("campaign_name")
    clicks = data.get("click_tracking")
    accepted = tuple(
        Accepted(
            recipient=number,
            text=message,
            state=state,
            provider_id=request_id,
            campaign=name if isinstance(name, str) and name else None,
            details={**extra, "message_type": kind, "click_tracking": clicks},
        )
        for number, extra in recipients
    )
    count = len(accepted)
    payload = {
        "status": "accepted",
        "count": count,
        "segments": count * analyze_text(message).segments,
        "request_id": request_id,
    }
    return Outcome(json_reply(202, payload), accepted)


def _error(code: str) -> Reply:
    """Sendmachine's error shape: its own API client (SendmachineApiClient.php) reads the reason from
    ``error_reason``, falling back to ``status``; the reason is one of the doc's 400 error codes."""
    return json_reply(400, {"status": "validation_error", "error_reason": code})
