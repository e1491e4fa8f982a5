"""Group commit: an intent is on disk before its worker goes on; every outcome is on disk after close."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from smsspec.send.commit import CommitError, GroupCommitter
from smsspec.send.ledger import DeliveryStatus, Intent, Ledger, Outcome, RequestOutcome
from tests.e2e.send_helpers import wait_for

HASH = "0" * 64


def intent(n: int, recipient: str | None = None) -> Intent:
    return Intent(f"r{n}", "acct", "msg", [(recipient or f"+4474001{n:05d}", HASH)])


def test_many_workers_share_fsyncs_and_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    seen_durable: list[bool] = []
    with Ledger.open(path) as ledger:
        committer = GroupCommitter(ledger, outcome_batch=8)

        def worker(first: int) -> None:
            for n in range(first, first + 20):
                committer.write_intent(intent(n))
                on_disk = Ledger.read(path).state(intent(n).keys()[0])
                seen_durable.append(on_disk is not None and on_disk.status is DeliveryStatus.PENDING)
                committer.add_outcome(
                    RequestOutcome(f"r{n}", [Outcome(f"+4474001{n:05d}", DeliveryStatus.ACCEPTED)])
                )

        threads = [threading.Thread(target=worker, args=(k * 20,)) for k in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        committer.close()

    assert len(seen_durable) == 320 and all(seen_durable)
    states = list(Ledger.read(path).states())
    assert len(states) == 320
    assert {s.status for s in states} == {DeliveryStatus.ACCEPTED}
    assert committer.rounds < 640  # records shared the writes


def test_a_bad_intent_fails_alone(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "ledger.db") as ledger:
        committer = GroupCommitter(ledger)
        committer.write_intent(intent(1))
        with pytest.raises(CommitError):
            committer.write_intent(intent(2, recipient="07400123456"))  # not E.164
        committer.write_intent(intent(3))
        committer.close()
        assert {s.key.recipient for s in ledger.states()} == {"+447400100001", "+447400100003"}
    with pytest.raises(CommitError):
        committer.write_intent(intent(4))


def test_an_outcome_is_written_soon_without_waiting_for_close(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    with Ledger.open(path) as ledger:
        committer = GroupCommitter(ledger)
        committer.write_intent(intent(1))
        committer.add_outcome(RequestOutcome("r1", [Outcome("+447400100001", DeliveryStatus.ACCEPTED)]))

        def accepted() -> bool:
            [state] = Ledger.read(path).states()
            return state.status is DeliveryStatus.ACCEPTED

        wait_for(accepted, "the outcome on disk")
        committer.close()
