"""What the ledger holds: deliveries, their states, the requests that carried them.

A *delivery* is one message to one recipient of one project
(:class:`DeliveryKey`); the account that sent it is recorded with it but is not
part of its identity, so switching a message to a fallback account does not
send again what the first account delivered. A *request* is one HTTP call
carrying one or more deliveries.

Secrets: callers never put secrets (API keys, tokens, passwords, rendered
text that embeds them) in any field, ``meta`` included. The content hash is a
hex SHA-256 over the rendered message without secrets.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, NamedTuple

SHA256_HEX = re.compile(r"[0-9a-f]{64}")
E164 = re.compile(r"\+[1-9][0-9]{1,14}")


class DeliveryStatus(str, Enum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class DeliveryKey:
    """Identity of a delivery within a project: message id and E.164 number.

    ``account`` travels with the key for display (the account this run uses)
    and is not compared: one delivery, whichever account carries it.
    """

    account: str = field(compare=False)
    message_id: str
    recipient: str


# The error code of a delivery whose request the provider did not take: a refused connection, or a
# throttling answer (429, 503, a retried error code) that outlasted the attempts. It never reached the
# provider's processing, so sending it again cannot duplicate it.
NOT_SENT_CODE = "not-sent"


@dataclass(frozen=True)
class DeliveryState:
    """Latest known state of a delivery.

    ``interrupted``: found PENDING, left by a run that died between its claim
    and the answer (``status`` is then UNKNOWN). ``in_progress``: PENDING and
    claimed by a run that is still alive. ``at``: when the state was set;
    ``sent_at``/``answered_at``: when its request went out and its answer came.
    """

    key: DeliveryKey
    content_hash: str
    status: DeliveryStatus
    definitive: bool
    provider_id: str | None
    error_code: str | None
    error_text: str | None
    request_id: str
    at: str
    interrupted: bool
    account: str = ""
    sent_at: str | None = None
    answered_at: str | None = None
    in_progress: bool = False
    delivery: str | None = None
    delivery_code: str | None = None
    delivery_reason: str | None = None
    delivery_at: str | None = None


# What the provider said after accepting a delivery, from its receipts or its status call;
# a later word never lowers the rank, so duplicates and reordering change nothing.
RECEIPT_STATES = ("pending", "delivered", "failed")
RECEIPT_RANK = {state: rank for rank, state in enumerate(RECEIPT_STATES)}


@dataclass(frozen=True)
class Receipt:
    """One notification about deliveries of ``account``, as read from the provider.

    ``digest``: hex SHA-256 of the body as received (the same notification
    twice is one record). ``state`` None: the body could not be read
    (``body`` then keeps its text, for a person to look at). ``source``:
    ``postback`` (pushed to the receiver) or ``poll`` (a status call's answer).
    """

    account: str
    digest: str
    provider_id: str | None
    state: str | None
    code: str | None = None
    reason: str | None = None
    body: str | None = None
    source: str = "postback"

    def __post_init__(self) -> None:
        check_text(self.account, "account")
        if not SHA256_HEX.fullmatch(self.digest):
            raise ValueError("digest must be a lowercase hex SHA-256 digest")
        if self.state is not None and self.state not in RECEIPT_RANK:
            raise ValueError(f"state must be one of {', '.join(RECEIPT_STATES)} or None")
        if self.state is not None:
            check_text(self.provider_id, "provider_id")


@dataclass(frozen=True)
class DeliveryOutcome:
    """What the provider said about one recipient of a request.

    ``definitive`` matters for REJECTED: the provider refused this content for
    good (as opposed to a throttle or a transient refusal).
    """

    recipient: str
    status: DeliveryStatus
    definitive: bool = False
    provider_id: str | None = None
    error_code: str | None = None
    error_text: str | None = None
    delivery: str | None = None  # "pending": accepted, the final word comes later (a receipt)

    def __post_init__(self) -> None:
        if not isinstance(self.status, DeliveryStatus):
            object.__setattr__(self, "status", DeliveryStatus(self.status))


class IntentDelivery(NamedTuple):
    recipient: str
    content_hash: str


@dataclass(frozen=True)
class Intent:
    """A claim on the deliveries of one request about to be sent.

    ``expected`` maps a recipient to the request id of the state the run
    planned against (absent: no state). The claim succeeds for a recipient
    only if its state is still that one, so a delivery handled by another run
    since this run planned is never sent twice. ``meta``: JSON, no secrets.
    """

    request_id: str
    account: str
    message_id: str
    deliveries: Sequence[tuple[str, str]]
    meta: Mapping[str, Any] = field(default_factory=dict)
    expected: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "deliveries", tuple(IntentDelivery(r, h) for r, h in self.deliveries)
        )

    def keys(self) -> tuple[DeliveryKey, ...]:
        return tuple(DeliveryKey(self.account, self.message_id, r) for r, _ in self.deliveries)


@dataclass(frozen=True)
class Claim:
    """What a run got of an intent: the recipients it now holds, and the others' states."""

    request_id: str
    claimed: tuple[str, ...]
    refused: tuple[DeliveryState, ...] = ()
    opted_out: tuple[str, ...] = ()  # on the ledger's opt-out list when claimed: not sent


@dataclass(frozen=True)
class RequestOutcome:
    """Outcomes of the deliveries of one request. ``meta``: JSON, no secrets.

    ``sent_at``/``answered_at`` (ISO 8601 UTC): when the request went out and
    when its answer came (None: it never left, or no answer came).
    """

    request_id: str
    deliveries: Sequence[DeliveryOutcome]
    meta: Mapping[str, Any] = field(default_factory=dict)
    sent_at: str | None = None
    answered_at: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "deliveries", tuple(self.deliveries))


def check_text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string, got {value!r}")
    if "\x00" in value:
        raise ValueError(f"{what} must not contain NUL characters")
    return value


def check_opt_text(value: object, what: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{what} must be a string or None, got {type(value).__name__}")
    if value is not None and "\x00" in value:
        return value.replace("\x00", "\ufffd")
    return value


def check_meta(meta: object) -> dict[str, Any]:
    if not isinstance(meta, Mapping):
        raise TypeError(f"meta must be a mapping, got {type(meta).__name__}")
    for name in meta:
        if not isinstance(name, str):
            raise TypeError(f"meta keys must be strings, got {name!r}")
    return dict(meta)


def check_intent(intent: Intent) -> None:
    """Refuse (ValueError) an intent no store may record."""
    check_text(intent.request_id, "request_id")
    check_text(intent.account, "account")
    check_text(intent.message_id, "message_id")
    check_meta(intent.meta)
    if not intent.deliveries:
        raise ValueError(f"intent {intent.request_id!r} has no deliveries")
    seen: set[str] = set()
    for recipient, content_hash in intent.deliveries:
        if not isinstance(recipient, str) or not E164.fullmatch(recipient):
            raise ValueError(f"recipient {recipient!r} is not in E.164 (+<digits>)")
        if not isinstance(content_hash, str) or not SHA256_HEX.fullmatch(content_hash):
            raise ValueError("content_hash must be a lowercase hex SHA-256 digest")
        if recipient in seen:
            raise ValueError(f"{recipient} appears twice in intent {intent.request_id!r}")
        seen.add(recipient)


def check_outcome(outcome: RequestOutcome) -> None:
    check_text(outcome.request_id, "request_id")
    meta = check_meta(outcome.meta)
    if meta.get("reason") == "interrupted":
        raise ValueError('meta {"reason": "interrupted"} is reserved for the ledger itself')
    if not outcome.deliveries:
        raise ValueError(f"outcome for {outcome.request_id!r} has no deliveries")
    seen: set[str] = set()
    for item in outcome.deliveries:
        if item.recipient in seen:
            raise ValueError(f"{item.recipient!r} appears twice in one outcome")
        seen.add(item.recipient)
        if item.status is DeliveryStatus.PENDING:
            raise ValueError("an outcome cannot be pending")
        if not isinstance(item.definitive, bool):
            raise TypeError("definitive must be a bool")
        if item.delivery is not None and (item.delivery != "pending" or item.status is not DeliveryStatus.ACCEPTED):
            raise ValueError("only an accepted outcome may say its delivery is pending")
        for name in ("provider_id", "error_code", "error_text"):
            check_opt_text(getattr(item, name), name)
