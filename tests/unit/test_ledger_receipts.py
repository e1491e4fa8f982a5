"""Receipts in the ledger (schema 2): the same tests against SQLite and a real PostgreSQL server."""

from __future__ import annotations

import hashlib
import itertools
import sqlite3
from pathlib import Path

import pytest

from smsspec.send.ledger import (
    DeliveryOutcome,
    DeliveryStatus,
    Intent,
    Ledger,
    RequestOutcome,
)
from smsspec.send.ledger.records import Receipt

A = DeliveryStatus.ACCEPTED


def h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def receipt(body: str, state: str | None, provider_id: str | None = "sk-1", account: str = "acc",
            code: str | None = None) -> Receipt:
    return Receipt(account, h(body), provider_id, state, code=code,
                   body=body if state is None else None)


def sent(ledger: Ledger, *pairs: tuple[str, str], delivery: str | None = None) -> None:
    """Claim and record accepted deliveries: (recipient, provider id) pairs, one request each."""
    for n, (recipient, provider_id) in enumerate(pairs):
        request_id = f"r-{recipient}-{n}"
        ledger.claim([Intent(request_id, "acc", "m1", [(recipient, h("text"))])])
        ledger.record_outcomes([RequestOutcome(
            request_id, [DeliveryOutcome(recipient, A, provider_id=provider_id, delivery=delivery)])])


def delivery(location: str, recipient: str = "+15550001") -> tuple[str | None, str | None]:
    with Ledger.read(location) as view:
        state = view.states_for("m1", [recipient])[recipient]
        return state.delivery, state.delivery_code


def test_a_receipt_sets_the_delivery_state_of_the_delivery_with_its_provider_id(location: str) -> None:
    with Ledger.open(location) as ledger:
        sent(ledger, ("+15550001", "sk-1"), ("+15550002", "sk-2"))
    with Ledger.attach(location) as receiver:
        assert receiver.record_receipt(receipt("n202", "delivered", code="N202")) == "applied"
    assert delivery(location) == ("delivered", "N202")
    assert delivery(location, "+15550002") == (None, None)


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_duplicates_and_any_order_give_the_same_state(location: str, order: tuple[int, ...]) -> None:
    notes = [receipt("n201", "pending", code="N201"), receipt("n202", "delivered", code="N202"),
             receipt("n201", "pending", code="N201")]
    with Ledger.open(location) as ledger:
        sent(ledger, ("+15550001", "sk-1"))
    with Ledger.attach(location) as receiver:
        said = [receiver.record_receipt(notes[i]) for i in order]
        assert sorted(said) == ["applied", "applied", "duplicate"]
        assert len(receiver.receipts()) == 2
    assert delivery(location) == ("delivered", "N202")


def test_a_failure_outranks_a_delivery_whichever_came_first(location: str) -> None:
    with Ledger.open(location) as ledger:
        sent(ledger, ("+15550001", "sk-1"), ("+15550002", "sk-2"))
    with Ledger.attach(location) as receiver:
        receiver.record_receipt(receipt("ok1", "delivered", "sk-1"))
        receiver.record_receipt(receipt("bad1", "failed", "sk-1", code="E202"))
        receiver.record_receipt(receipt("bad2", "failed", "sk-2", code="E202"))
        receiver.record_receipt(receipt("ok2", "delivered", "sk-2"))
    assert delivery(location) == delivery(location, "+15550002") == ("failed", "E202")


def test_a_receipt_before_the_outcome_is_kept_and_applied_when_the_outcome_is_recorded(location: str) -> None:
    with Ledger.open(location) as ledger:
        ledger.claim([Intent("r1", "acc", "m1", [("+15550001", h("text"))])])
        with Ledger.attach(location) as receiver:  # the provider's postback overtakes its answer
            assert receiver.record_receipt(receipt("early", "delivered", "sk-9")) == "kept"
        ledger.record_outcomes([RequestOutcome("r1", [DeliveryOutcome("+15550001", A, provider_id="sk-9")])])
    assert delivery(location) == ("delivered", None)
    with Ledger.attach(location) as receiver:
        assert [r["matched"] for r in receiver.receipts()] == [1]


@pytest.mark.parametrize(
    "note",
    [receipt("stranger", "delivered", "sk-404"), receipt("garbage", None, None),
     receipt("other account", "delivered", "sk-1", account="other")],
    ids=["unknown-id", "unreadable", "other-account"],
)
def test_unknown_ids_and_unreadable_bodies_change_no_delivery(location: str, note: Receipt) -> None:
    with Ledger.open(location) as ledger:
        sent(ledger, ("+15550001", "sk-1"))
    with Ledger.read(location) as view:
        before = list(view.states())
    with Ledger.attach(location) as receiver:
        said = receiver.record_receipt(note)
        stored = receiver.receipts()
    with Ledger.read(location) as view:
        assert list(view.states()) == before
    if note.state is None:  # kept for a person to read, changing nothing
        assert said == "unreadable" and [r["state"] for r in stored] == [None]
    else:  # not ours and nothing in flight: recorded nowhere
        assert said == "unknown" and stored == []


def test_an_accepted_but_pending_outcome_reads_as_pending_until_a_receipt_says_more(location: str) -> None:
    with Ledger.open(location) as ledger:
        sent(ledger, ("+15550001", "tx-1"), delivery="pending")
    assert delivery(location) == ("pending", None)
    with Ledger.attach(location) as receiver:
        receiver.record_receipt(receipt("sent", "delivered", "tx-1", code="sent"))
    assert delivery(location) == ("delivered", "sent")


def test_sending_again_clears_the_delivery_state(location: str) -> None:
    with Ledger.open(location) as ledger:
        sent(ledger, ("+15550001", "sk-1"))
    with Ledger.attach(location) as receiver:
        receiver.record_receipt(receipt("bad", "failed", "sk-1"))
    with Ledger.open(location) as ledger:
        ledger.claim([Intent("again", "acc", "m1", [("+15550001", h("text"))], expected={"+15550001": "r-+15550001-0"})])
        ledger.record_outcomes([RequestOutcome("again", [DeliveryOutcome("+15550001", A, provider_id="sk-2")])])
    assert delivery(location) == (None, None)


def test_only_an_accepted_outcome_may_be_pending() -> None:
    from smsspec.send.ledger.records import check_outcome

    with pytest.raises(ValueError, match="only an accepted outcome"):
        check_outcome(RequestOutcome("r", [DeliveryOutcome("+15550001", DeliveryStatus.REJECTED, delivery="pending")]))


def test_a_schema_1_ledger_reads_without_delivery_states_and_migrates_on_open(tmp_path: Path) -> None:
    from smsspec.send.ledger.store import MIGRATIONS

    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE smsspec_schema (version INTEGER NOT NULL)")
    db.execute("INSERT INTO smsspec_schema (version) VALUES (1)")
    for statement in MIGRATIONS[1]:
        db.execute(statement)
    db.execute(
        "INSERT INTO smsspec_deliveries (project, message_id, recipient, account, content_hash, status,"
        " provider_id, request_id, run_id, at) VALUES ('default', 'm1', '+15550001', 'acc', ?, 'accepted',"
        " 'sk-1', 'r1', 'run', '2026-01-01T00:00:00+00:00')",
        (h("text"),),
    )
    db.commit()
    db.close()
    with Ledger.read(path) as view:
        [state] = view.states()
        assert state.status is A and state.delivery is None and view.receipts() == []
    with Ledger.attach(path) as receiver:
        assert receiver.record_receipt(receipt("n202", "delivered")) == "applied"
    assert delivery(str(path)) == ("delivered", None)
