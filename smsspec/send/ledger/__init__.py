"""The delivery ledger: at most one send of each delivery, across runs and machines.

``records`` (what is stored), ``policy`` (:func:`decide`, pure), ``store``
(the :class:`Ledger` interface and the SQL both stores share), ``sqlite``
(the local default), ``postgres`` (shared), ``location`` (path or URL),
``jsonl`` (reading the old JSON Lines ledger for ``ledger import``).

The sender follows a claim-first protocol::

    claims = ledger.claim([Intent(request_id, account, message_id, deliveries, meta)])
    # durable from here on: only the claimed recipients may be sent
    response = provider.send(...)
    ledger.record_outcomes([RequestOutcome(request_id, outcomes, meta, sent_at, answered_at)])

A run that dies between claim and outcome leaves its deliveries PENDING; the
next run finds it dead and records them UNKNOWN (interrupted), which
:func:`decide` skips unless asked to retry unknown deliveries. So a crash can
lose a send, never double it.
"""

from __future__ import annotations

from smsspec.send.ledger.location import Location, parse_location, redact_url
from smsspec.send.ledger.policy import Decision, decide
from smsspec.send.ledger.records import (
    Claim,
    DeliveryKey,
    DeliveryState,
    DeliveryStatus,
    Intent,
    IntentDelivery,
    LedgerCorrupt,
    LedgerError,
    LedgerLocked,
    Outcome,
    RequestOutcome,
)
from smsspec.send.ledger.store import DEFAULT_PROJECT, SCHEMA_VERSION, Ledger, LedgerView

__all__ = [
    "DEFAULT_PROJECT",
    "SCHEMA_VERSION",
    "Claim",
    "Decision",
    "DeliveryKey",
    "DeliveryState",
    "DeliveryStatus",
    "Intent",
    "IntentDelivery",
    "Ledger",
    "LedgerCorrupt",
    "LedgerError",
    "LedgerLocked",
    "LedgerView",
    "Location",
    "Outcome",
    "RequestOutcome",
    "decide",
    "parse_location",
    "redact_url",
]
