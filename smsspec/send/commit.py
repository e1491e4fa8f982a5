"""Group commit: many workers' ledger records written with one fsync.

Each worker hands its intent to :meth:`GroupCommitter.write_intent`, which
returns only once the intent is on disk; only then may the worker send. A
single committer thread takes every intent and outcome waiting at that moment
and writes them with one :meth:`Ledger.record_intents` and one
:meth:`Ledger.record_outcomes` call, then wakes the workers whose intents it
wrote. While it waits for the disk, new records pile up for the next round,
so the cost of an fsync is shared by as many requests as are in flight.

Intents come first: a worker waits for its intent, nobody waits for an
outcome. So outcomes are written when no intent is waiting, or once
``outcome_batch`` of them are queued, and :meth:`close` returns once every
queued outcome is durable. A process killed before an outcome is written
leaves its request PENDING, which the next run reads as unknown
(interrupted): never as not sent. At most ``outcome_batch`` finished
requests (plus those in flight) can be left so by a kill.

If the ledger refuses a batch (ValueError: one bad record, nothing written),
the records are retried one by one so only the bad one fails. Any other
failure (a disk error) fails the waiting workers and every later call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from smsspec.send.ledger import Intent, Ledger, RequestOutcome

_Record = TypeVar("_Record", Intent, RequestOutcome)


class CommitError(Exception):
    """A record could not be made durable."""


@dataclass
class _Waiter:
    intent: Intent
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


OUTCOME_BATCH = 64


class GroupCommitter:
    def __init__(self, ledger: Ledger, outcome_batch: int = OUTCOME_BATCH) -> None:
        self._ledger = ledger
        self._outcome_batch = max(1, outcome_batch)
        self._cond = threading.Condition()
        self._intents: list[_Waiter] = []
        self._outcomes: list[RequestOutcome] = []
        self._closing = False
        self._failure: BaseException | None = None
        self._outcome_errors: list[BaseException] = []
        self.rounds = 0
        self._thread = threading.Thread(target=self._run, name="smsspec-ledger", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ workers

    def write_intent(self, intent: Intent) -> None:
        """Block until ``intent`` is durable; raise :class:`CommitError` if it cannot be."""
        waiter = _Waiter(intent)
        with self._cond:
            self._check_open()
            self._intents.append(waiter)
            self._cond.notify()
        waiter.done.wait()
        if waiter.error is not None:
            raise CommitError(f"the ledger did not take the intent: {waiter.error}") from waiter.error

    def add_outcome(self, outcome: RequestOutcome) -> None:
        """Queue ``outcome``; it is durable once :meth:`close` has returned."""
        with self._cond:
            self._check_open()
            self._outcomes.append(outcome)
            self._cond.notify()

    def close(self) -> None:
        """Write what is queued, stop the thread; raise if an outcome could not be written."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        self._thread.join()
        if self._outcome_errors:
            first = self._outcome_errors[0]
            raise CommitError(f"the ledger did not take an outcome: {first}") from first

    def _check_open(self) -> None:
        if self._closing:
            raise CommitError("the ledger committer is closed")
        if self._failure is not None:
            raise CommitError(f"the ledger failed a write: {self._failure}") from self._failure

    # ------------------------------------------------------------------ committer thread

    def _run(self) -> None:
        while True:
            with self._cond:
                while not (self._intents or self._outcomes or self._closing):
                    self._cond.wait()
                intents, self._intents = self._intents, []
                outcomes: list[RequestOutcome] = []
                if not intents or self._closing or len(self._outcomes) >= self._outcome_batch:
                    outcomes, self._outcomes = self._outcomes, []
                finished = self._closing and not intents and not outcomes
            if finished:
                return
            self.rounds += 1
            if intents:
                self._commit_intents(intents)
            if outcomes:
                errors = self._commit(outcomes, self._ledger.record_outcomes)
                self._outcome_errors += [e for e in errors if e is not None]

    def _commit_intents(self, waiters: list[_Waiter]) -> None:
        errors = self._commit([w.intent for w in waiters], self._ledger.record_intents)
        for waiter, error in zip(waiters, errors, strict=True):
            waiter.error = error
            waiter.done.set()

    def _commit(
        self, records: Sequence[_Record], write: Callable[[Sequence[_Record]], None]
    ) -> list[BaseException | None]:
        """Write ``records``; the error of each (None when it is durable)."""
        if self._failure is not None:
            return [self._failure] * len(records)
        try:
            write(records)
            return [None] * len(records)
        except ValueError as exc:  # one bad record refuses the batch, and nothing is written
            if len(records) == 1:
                return [exc]
            return [err for record in records for err in self._commit([record], write)]
        except BaseException as exc:  # a disk error: what reached the file is unknown
            self._failure = exc
            return [exc] * len(records)
