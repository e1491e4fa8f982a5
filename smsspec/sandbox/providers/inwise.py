"""inwise "Transactional SMS": ``POST /transactional/SMS/send`` with a JSON body.

The inwise page does not show how the API key is passed; the sandbox reads
it from the ``X-Api-Key`` header. A missing or wrong key gets HTTP 401 with
the plain-text body ``you are not authorized to use rest API``.

A readable request gets HTTP 200 and a JSON list with one object per entry
of ``message.to``, in order::

    [{"mobile_number":"972-54-1111111","status":"sent","reject_reason":null,"id":"<32 hex>"}]

``status`` is ``sent`` (sync, the default) or ``queued`` (``"async": true``);
a number that is not digits in dash-separated groups (an optional leading +,
9 to 15 digits) is ``invalid`` with reject reason ``invalid-number`` and does
not stop the others. Numbers listed in ``SandboxAccounts.rejections``
answer the reason given there, as ``status:reason`` to choose the status too
(``exception:no-available-gateways``). Each entry carries its id in
``transaction_id``, as a real inwise answer seen publicly does (the page
shows none). Only ``sent`` and ``queued`` recipients without a reject reason
are stored.

The page does not describe how a malformed request is answered; the sandbox
answers HTTP 400 with ``{"status":"error","message":"<text>"}``.

``#name#`` placeholders are filled from ``message.field_vars`` for the
matching ``rcpt`` before the text is stored.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from urllib.parse import parse_qs

from smsspec.sandbox.exchange import Reply, Request
from smsspec.sandbox.providers.base import (
    Accepted,
    Fate,
    Notification,
    Outcome,
    ProviderContext,
    QueryContext,
    Receipts,
    json_reply,
    load_json,
    text_reply,
)

STATUSES = frozenset({"queued", "sent", "invalid", "rejected", "exception"})
"""The statuses the page names (``exception`` among its reject reasons)."""
PATH = "/transactional/SMS/send"
UNAUTHORIZED = "you are not authorized to use rest API"
NUMBER = re.compile(r"\+?[0-9]+(?:-[0-9]+)*")
_FLAGS = ("track_clicks", "add_unsubscribe_link", "add_unsubscribe_sms_reply")


class _Invalid(Exception):
    pass


def _digits(number: str) -> str:
    return "".join(c for c in number if c.isdigit())


def _valid_number(number: str) -> bool:
    return NUMBER.fullmatch(number) is not None and 9 <= len(_digits(number)) <= 15


def _field_vars(message: dict[str, object]) -> dict[str, dict[str, str]]:
    """Placeholder values by recipient digits."""
    raw = message.get("field_vars", [])
    if not isinstance(raw, list):
        raise _Invalid("message.field_vars must be a list")
    found: dict[str, dict[str, str]] = {}
    for entry in raw:
        if not isinstance(entry, dict) or not isinstance(entry.get("rcpt"), str):
            raise _Invalid("each field_vars entry needs a rcpt")
        fields = entry.get("fields", [])
        if not isinstance(fields, list):
            raise _Invalid("field_vars fields must be a list")
        values = found.setdefault(_digits(entry["rcpt"]), {})
        for item in fields:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise _Invalid("each field needs a name")
            values[item["name"]] = str(item.get("content", ""))
    return found


def _fill(text: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        text = text.replace(f"#{name}#", value)
    return text


def _check(data: object) -> tuple[dict[str, object], dict[str, object], list[str]]:
    if not isinstance(data, dict):
        raise _Invalid("the body is not a JSON object")
    message = data.get("message")
    if not isinstance(message, dict):
        raise _Invalid("message is missing")
    content = message.get("content")
    if not isinstance(content, str) or not content:
        raise _Invalid("message.content is missing")
    to = message.get("to")
    if not isinstance(to, list) or not to:
        raise _Invalid("message.to is missing")
    numbers: list[str] = []
    for entry in to:
        if not isinstance(entry, dict) or not isinstance(entry.get("mobile_number"), str):
            raise _Invalid("each message.to entry needs a mobile_number")
        numbers.append(entry["mobile_number"])
    for flag in (*_FLAGS, "async"):
        holder = data if flag == "async" else message
        if flag in holder and not isinstance(holder[flag], bool):
            raise _Invalid(f"{flag} must be true or false")
    for name in ("charset", "unsubscribe_text"):
        if name in message and not isinstance(message[name], str):
            raise _Invalid(f"message.{name} must be a string")
    tags = message.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise _Invalid("message.tags must be a list of strings")
    send_at = data.get("send_at")
    if send_at is not None:
        if not isinstance(send_at, str):
            raise _Invalid("send_at must be a string")
        try:
            datetime.fromisoformat(send_at)
        except ValueError:
            raise _Invalid("send_at is not a date and time") from None
    return data, message, numbers


def handle(request: Request, ctx: ProviderContext) -> Outcome:
    if request.header("x-api-key") != ctx.accounts.api_key:
        return Outcome(text_reply(401, UNAUTHORIZED))
    try:
        data, message, numbers = _check(load_json(request.body))
        values = _field_vars(message)
    except ValueError:
        return Outcome(_error("the body is not valid JSON"))
    except _Invalid as problem:
        return Outcome(_error(str(problem)))
    queued = data.get("async") is True
    content = str(message["content"])
    details: dict[str, object] = {
        key: message[key]
        for key in ("charset", "tags", "unsubscribe_text", *_FLAGS)
        if key in message
    }
    if "send_at" in data:
        details["send_at"] = data["send_at"]
    details["async"] = queued
    results: list[dict[str, object]] = []
    accepted: list[Accepted] = []
    for number in numbers:
        result_id = uuid.uuid4().hex
        digits = _digits(number)
        reason = None if _valid_number(number) else "invalid-number"
        given, reason_given = _rejection(ctx.accounts.rejections.get(digits))
        reason = reason or reason_given
        if given:
            status = given
        elif reason == "invalid-number":
            status = "invalid"
        elif reason is None or reason == "insufficient-funds":
            status = "queued" if queued or reason else "sent"
        else:
            status = "rejected"
        results.append(
            {"mobile_number": number, "status": status, "reject_reason": reason, "transaction_id": result_id}
        )
        if reason is None:
            accepted.append(
                Accepted(
                    recipient=number,
                    text=_fill(content, values.get(digits, {})),
                    state=status,
                    provider_id=result_id,
                    details=details,
                )
            )
    return Outcome(json_reply(200, results), tuple(accepted))


def _rejection(entry: str | None) -> tuple[str | None, str | None]:
    """(status, reason) from a ``rejections`` entry: ``reason``, or ``status:reason`` for a documented status."""
    if entry is None:
        return None, None
    status, colon, reason = entry.partition(":")
    if colon and status in STATUSES:
        return status, reason
    return None, entry


def _error(message: str) -> Reply:
    return json_reply(400, {"status": "error", "message": message})


# delivery: the webhook and the status call -----------------------------------------
#
# inwise's page says an async send's "final status and reject reason should be
# then retrieved from GET methods" (``GET /transactional/sms/info``) or from its
# transactional webhook, and shows neither body. The sandbox uses the
# per-recipient object of the send answer for both: the webhook posts one
# object as JSON, the status call answers a JSON list of them. A message sent
# in sync mode was answered ``sent``, a final status, so it is delivered; a
# queued one ends ``sent`` or, when the sandbox fails it, ``rejected`` with the
# reject reason ``bounced`` (one of the reasons the page lists).

INFO_PATH = "/transactional/sms/info"
RECEIPT_TYPE = "application/json"
FAILURE = ("bounced", "rejected")
"""The reject reason of a failed delivery, and its status."""


def result(transaction_id: str, number: str, status: str, reason: str | None) -> dict[str, object]:
    return {"transaction_id": transaction_id, "mobile_number": number, "status": status, "reject_reason": reason}


def final_status(outcome: str) -> tuple[str, str | None]:
    return ("sent", None) if outcome == "delivered" else (FAILURE[1], FAILURE[0])


def receipts(accepted: Accepted, fate: Fate) -> tuple[Notification, ...]:
    status, reason = final_status(fate.outcome)
    body = result(accepted.provider_id or "", accepted.recipient, status, reason)
    return (Notification(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), RECEIPT_TYPE),)


def info(request: Request, ctx: QueryContext) -> Reply:
    """``GET /transactional/sms/info?transaction_id=ID``: 200 with a list of one result, 404 unknown."""
    if request.header("x-api-key") != ctx.accounts.api_key:
        return text_reply(401, UNAUTHORIZED)
    wanted = parse_qs(request.query).get("transaction_id", [])
    if len(wanted) != 1 or not wanted[0]:
        return _error("transaction_id is missing")
    record = ctx.find(wanted[0])
    if record is None:
        return json_reply(404, {"status": "error", "message": "no such transaction"})
    status, reason = str(record.get("state")), None
    delivery = record.get("delivery")
    if isinstance(delivery, dict) and ctx.now >= datetime.fromisoformat(str(delivery["due"])):
        status, reason = final_status(str(delivery["outcome"]))
    return json_reply(200, [result(wanted[0], str(record.get("recipient")), status, reason)])


RECEIPTS = Receipts((FAILURE[0], FAILURE[1]), receipts, lambda accepted: accepted.state == "queued")
