"""Skycore "Send SMS API v2": ``POST /skycore/v2/sendsms`` with a JSON body.

The key travels in the ``x-api-key`` header; a missing or wrong key is
answered with HTTP 401 and a Failure body (E102 / E104, Skycore's
authentication codes). Every other problem is a Failure inside an HTTP 200
answer, as the real API does, with Skycore's own codes
(:mod:`.skycore_codes`)::

    {"status":"Success","tracking-id":"<12 hex>","to":"<as sent>","from":"<as sent>",
     "status-details":"SMS request accepted and queued for delivery"}
    {"status":"Failure","error-code":"E111","error-info":"Invalid Sender.","to":"<as sent or empty>"}

A number listed in ``SandboxAccounts.rejections`` is answered with the code
given there (e.g. E628 operator not supported, or E120 request limit, which
a client should retry later).

A ``from-mask`` longer than 11 characters is accepted and cut to 11; the
stored message keeps the cut mask, which is what a handset would show.
"""

from __future__ import annotations

import json
import secrets

from smsspec.sandbox.exchange import Reply, Request
from smsspec.sandbox.providers import skycore_codes as codes
from smsspec.sandbox.providers.base import (
    Accepted,
    Fate,
    Notification,
    Outcome,
    ProviderContext,
    Receipts,
    json_reply,
    load_json,
    matches,
)

PATH = "/skycore/v2/sendsms"
QUEUED = "SMS request accepted and queued for delivery"
NOT_A_REQUEST = "Invalid request. Please make a valid JSON POST request with all the required variables."


def failure(code: str, info: str, to: object, status: int = 200) -> Reply:
    shown = to if isinstance(to, str) else ""
    payload = {"status": "Failure", "error-code": code, "error-info": info, "to": shown}
    return json_reply(status, payload)


def handle(request: Request, ctx: ProviderContext) -> Outcome:
    try:
        data = load_json(request.body)
    except ValueError:
        data = None
    to = data.get("to") if isinstance(data, dict) else None
    key = request.header("x-api-key")
    if not key:
        return Outcome(failure(*codes.NO_KEY, to, status=401))
    if key != ctx.accounts.api_key:
        return Outcome(failure(*codes.BAD_KEY, to, status=401))
    if not isinstance(data, dict):
        return Outcome(failure(codes.NOT_A_REQUEST, NOT_A_REQUEST, to))
    action = data.get("action")
    if not isinstance(action, str) or action.strip().lower() != "sendsms":
        return Outcome(failure(codes.BAD_ACTION, "'action' required/Invalid Action", to))
    missing = {"to": codes.NO_RECIPIENT, "message-text": codes.NO_TEXT, "from": codes.BAD_SENDER}
    for name, problem in missing.items():
        value = data.get(name)
        if not isinstance(value, str) or not value.strip():
            return Outcome(failure(*problem, to))
    text: str = data["message-text"]
    sender: str = data["from"]
    if not matches(codes.RECIPIENT, to):
        return Outcome(failure(*codes.BAD_RECIPIENT, to))
    if not matches(codes.SENDER, sender):
        return Outcome(failure(*codes.BAD_SENDER, to))
    mask = data.get("from-mask")
    if mask is not None and not isinstance(mask, str):
        return Outcome(failure(codes.NOT_A_REQUEST, NOT_A_REQUEST, to))
    campaign = data.get("campaign-ref")
    if campaign is not None and not isinstance(campaign, str):
        return Outcome(failure(codes.NOT_A_REQUEST, NOT_A_REQUEST, to))
    if ctx.setting(codes.CAMPAIGN_CHECK) and not (campaign or "").strip():
        return Outcome(failure(*codes.NO_CAMPAIGN, to))
    tracking = data.get("click-tracking")
    if tracking is not None and not isinstance(tracking, bool):
        return Outcome(failure(codes.NOT_A_REQUEST, NOT_A_REQUEST, to))
    assert isinstance(to, str)
    refused = codes.refusal(ctx.accounts.rejections, to)
    if refused is not None:
        return Outcome(failure(*refused, to))
    tracking_id = secrets.token_hex(6)
    accepted = Accepted(
        recipient=to,
        text=text,
        state="queued",
        provider_id=tracking_id,
        sender=sender,
        mask=mask[: codes.MASK_LIMIT] if mask else None,
        campaign=campaign or None,
        details={"click_tracking": bool(tracking)},
    )
    payload = {
        "status": "Success",
        "tracking-id": tracking_id,
        "to": to,
        "from": sender,
        "status-details": QUEUED,
    }
    return Outcome(json_reply(200, payload), (accepted,))


# delivery receipts -----------------------------------------------------------------
#
# Skycore's "SMS MT Postback V2" page: one JSON postback when the SMS is sent
# (N201 Sent) and one when the delivery receipt comes (N202 Delivered; E202
# Rejected for a message the carrier did not deliver). The body is laid out
# as the page's examples are, one field a line in the page's order, without
# the indentation of its curl commands. The page sends ``from-mask`` "only if
# it exists" without showing where; the sandbox leaves it out. The sandbox has
# no carrier, so ``operator-id`` and ``operator-name`` name the sandbox.

RECEIPT_TYPE = "application/json"
OPERATOR = ("0000000", "smsspec sandbox")
SENT = ("N201", "Sent")
DELIVERED = ("N202", "Delivered")
FAILURE = ("E202", "Rejected")
_FIELDS = (
    "origin", "code", "sent-as", "status", "from", "to", "tracking-id", "operator-id", "operator-name", "timestamp"
)


def postback(values: dict[str, str]) -> str:
    """An SMS MT postback body, laid out as the page shows it."""
    lines = ",\n".join(f'"{name}":{json.dumps(values[name], ensure_ascii=False)}' for name in _FIELDS)
    return "{\n" + lines + "\n}"


def receipts(accepted: Accepted, fate: Fate) -> tuple[Notification, ...]:
    final = DELIVERED if fate.outcome == "delivered" else FAILURE
    bodies = []
    for (code, status), moment in ((SENT, fate.sent_at), (final, fate.due)):
        bodies.append(postback({
            "origin": "SMS_MT",
            "code": code,
            "sent-as": "SMS",
            "status": status,
            "from": accepted.sender or "",
            "to": accepted.recipient,
            "tracking-id": accepted.provider_id or "",
            "operator-id": OPERATOR[0],
            "operator-name": OPERATOR[1],
            "timestamp": moment.isoformat(timespec="microseconds"),
        }))
    return tuple(Notification(body.encode("utf-8"), RECEIPT_TYPE) for body in bodies)


RECEIPTS = Receipts(FAILURE, receipts)
