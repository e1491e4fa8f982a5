"""The re-run policy shared by ``send`` and ``plan``: pure, no I/O."""

from __future__ import annotations

from enum import Enum

from smsspec.send.ledger.records import NOT_SENT_CODE, DeliveryState, DeliveryStatus


class Decision(str, Enum):
    SEND = "send"
    SKIP_ACCEPTED = "skip-accepted"
    SKIP_UNKNOWN = "skip-unknown"
    SKIP_REJECTED = "skip-rejected"
    SKIP_CHANGED_AFTER_ACCEPT = "skip-changed-after-accept"
    SKIP_IN_PROGRESS = "skip-in-progress"


def decide(
    previous: DeliveryState | None,
    content_hash: str,
    *,
    retry_rejected: bool,
    retry_unknown: bool,
    resend_changed: bool,
) -> Decision:
    """What to do with a delivery, given its last recorded state.

    A not-sent rejection is sent again: the provider never took it. UNKNOWN is skipped by
    default because the provider may have delivered it:
    re-sending risks a duplicate, which is worse than a miss. A delivery
    claimed by a run that is still alive is never sent by another.
    """
    if previous is None:
        return Decision.SEND
    status = previous.status
    if status is DeliveryStatus.PENDING and previous.in_progress:
        return Decision.SKIP_IN_PROGRESS
    if status is DeliveryStatus.ACCEPTED:
        if previous.content_hash == content_hash:
            return Decision.SKIP_ACCEPTED
        return Decision.SEND if resend_changed else Decision.SKIP_CHANGED_AFTER_ACCEPT
    if status in (DeliveryStatus.UNKNOWN, DeliveryStatus.PENDING):
        return Decision.SEND if retry_unknown else Decision.SKIP_UNKNOWN
    # REJECTED: a request the provider never took (not-sent) is simply sent again; a definitive
    # refusal of content that has since changed is worth a new try.
    if previous.error_code == NOT_SENT_CODE:
        return Decision.SEND
    if previous.definitive and previous.content_hash != content_hash:
        return Decision.SEND
    if retry_rejected:
        return Decision.SEND
    return Decision.SKIP_REJECTED
