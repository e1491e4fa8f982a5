"""A stored message: what the simulated provider accepted, plus the raw request.

Keys of a record (all always present)::

    id           sandbox id of the record (uuid4)
    provider     provider id (a key of ``endpoint_paths()``)
    provider_id  the id the provider answered with (tracking id, request id,
                 result id) or null when it answers none
    recipient    the number as the request carried it
    sender       sender number / short code / sender code, or null
    mask         sender mask as the provider keeps it (some cut it), or null
    text         message text (with the provider's own placeholders filled)
    encoding     "GSM-7" or "UCS-2"
    segments     segments of this text for this one recipient
    campaign     campaign reference / campaign name, or null
    state        queued | accepted | paused | sent
    received_at  ISO 8601 time of receipt, sandbox clock
    details      provider-specific extras (macros, tags, send_at, ...)
    request      {"method", "path", "headers", "body"} with credentials as "***"
    delivery     what the sandbox decided about delivery, for a provider that
                 documents receipts (null for the others): {"outcome":
                 delivered | failed, "code", "reason", "due" (ISO 8601, when
                 it is known and the receipt goes out), "lost", "duplicated",
                 "reordered"}; see :mod:`smsspec.sandbox.receipts`
"""

from __future__ import annotations

import uuid
from datetime import datetime

import smsspec.sandbox.credential_masking as credential_masking
from smsspec.sandbox.exchange import Request
from smsspec.sandbox.providers.base import Accepted
from smsspec.sandbox.textinfo import analyze_text


def raw_request(request: Request) -> dict[str, object]:
    return {
        "method": request.method,
        "path": credential_masking.target(request.target),
        "headers": credential_masking.headers(request.headers),
        "body": credential_masking.body(request.body.decode("utf-8", errors="replace")),
    }


def build(
    provider: str, accepted: Accepted, raw: dict[str, object], received: datetime
) -> dict[str, object]:
    info = analyze_text(accepted.text)
    return {
        "id": str(uuid.uuid4()),
        "provider": provider,
        "provider_id": accepted.provider_id,
        "recipient": accepted.recipient,
        "sender": accepted.sender,
        "mask": accepted.mask,
        "text": accepted.text,
        "encoding": info.encoding,
        "segments": info.segments,
        "campaign": accepted.campaign,
        "state": accepted.state,
        "received_at": received.isoformat(timespec="milliseconds"),
        "details": dict(accepted.details),
        "request": raw,
        "delivery": None,
    }
