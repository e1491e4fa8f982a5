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

import secrets

from smsspec.sandbox.exchange import Reply, Request
from smsspec.sandbox.providers import skycore_codes as codes
from smsspec.sandbox.providers.base import (
    Accepted,
    Outcome,
    ProviderContext,
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
