"""Group commit: many workers' ledger records written with one fsync.

A worker hands its intent to :meth:`GroupCommitter.write_intent`, which
returns the claim once it is durable; only then may the worker send, and only
to the recipients it claimed.
There is no committer thread: the first worker to arrive while nobody is
writing becomes the *leader*. It takes every intent waiting at that moment
(its own included), claims them with one :meth:`Ledger.claim` call,
wakes the workers whose intents it wrote, and hands the lead to the first
worker that queued meanwhile. While a leader waits for the disk, new intents
pile up for the next write, so one fsync serves as many requests as are in
flight, and no request waits for a thread to be scheduled just to write.

Nobody waits for an outcome, so outcomes are written in batches: by the
leader once ``outcome_batch`` are queued, and otherwise by a background
flusher at most ``outcome_delay`` seconds after they were queued; :meth:`close`
returns once every outcome is durable. A process killed before an outcome is
written leaves its request PENDING, which the next run reads as unknown
(interrupted): never as not sent. So a kill can leave as unknown the
requests in flight plus those that finished within the last
``outcome_delay`` seconds (at most ``outcome_batch`` more).

If the ledger refuses a batch (ValueError: one bad record, nothing written),
the records are retried one by one so only the bad one fails. Any other
failure (a disk error) fails the waiting workers and every later call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from smsspec.send.ledger import Claim, Intent, Ledger, RequestOutcome

_Record = TypeVar("_Record", Intent, RequestOutcome)
OUTCOME_BATCH = 64
OUTCOME_DELAY = 0.1


class CommitError(Exception):
    """A record could not be made durable."""


@dataclass
class _Waiter:
    intent: Intent
    wake: threading.Event = field(default_factory=threading.Event)
    done: bool = False  # written (or failed); otherwise woken to lead
    error: BaseException | None = None
    claim: Claim | None = None


class GroupCommitter:
    def __init__(
        self,
        ledger: Ledger,
        outcome_batch: int = OUTCOME_BATCH,
        outcome_delay: float = OUTCOME_DELAY,
    ) -> None:
        self._ledger = ledger
        self._outcome_batch = max(1, outcome_batch)
        self._outcome_delay = outcome_delay
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._tick = threading.Condition(self._lock)
        self._intents: list[_Waiter] = []
        self._outcomes: list[RequestOutcome] = []
        self._writing = False
        self._closed = False
        self._failure: BaseException | None = None
        self._outcome_errors: list[BaseException] = []
        self.unrecorded: set[str] = set()  # request ids whose outcome the ledger did not take
        self.rounds = 0
        self._flusher = threading.Thread(target=self._flush, name="smsspec-ledger", daemon=True)
        self._flusher.start()

    # ------------------------------------------------------------------ workers

    def write_intent(self, intent: Intent) -> Claim:
        """Block until ``intent``'s claim is durable and return it; :class:`CommitError` if it cannot be."""
        waiter = _Waiter(intent)
        with self._lock:
            self._check_open()
            self._intents.append(waiter)
            lead = not self._writing
            self._writing = True
        while not lead:
            waiter.wake.wait()
            if waiter.done:
                break
            waiter.wake.clear()
            lead = True  # handed the lead: our intent is still queued
        if lead:
            self._lead()
        if waiter.error is not None:
            raise CommitError(f"the ledger did not take the intent: {waiter.error}") from waiter.error
        assert waiter.claim is not None
        return waiter.claim

    def add_outcome(self, outcome: RequestOutcome) -> None:
        """Queue ``outcome``; it is durable within ``outcome_delay`` s, and once :meth:`close` returns."""
        with self._lock:
            self._check_open()
            self._outcomes.append(outcome)
            if len(self._outcomes) == 1:
                self._tick.notify()
            if self._writing or len(self._outcomes) < self._outcome_batch:
                return
            self._writing = True
        self._lead()

    def close(self) -> None:
        """Write the queued outcomes; raise if an outcome could not be written."""
        with self._lock:
            self._closed = True
            self._tick.notify()
        self._flusher.join()
        with self._lock:
            while self._writing:
                self._idle.wait()
            outcomes, self._outcomes = self._outcomes, []
        if outcomes:
            self._write_outcomes(outcomes)
        if self._outcome_errors:
            first = self._outcome_errors[0]
            raise CommitError(f"the ledger did not take an outcome: {first}") from first

    def _check_open(self) -> None:
        if self._closed:
            raise CommitError("the ledger committer is closed")
        if self._failure is not None:
            raise CommitError(f"the ledger failed a write: {self._failure}") from self._failure

    # ------------------------------------------------------------------ the leader

    def _lead(self, with_outcomes: bool = False) -> None:
        """Write what is queued, then pass the lead on (or give it up)."""
        with self._lock:
            batch, self._intents = self._intents, []
            outcomes: list[RequestOutcome] = []
            if with_outcomes or not batch or len(self._outcomes) >= self._outcome_batch:
                outcomes, self._outcomes = self._outcomes, []
        self.rounds += 1
        if batch:
            answers = self._commit([w.intent for w in batch], self._ledger.claim)
            for waiter, answer in zip(batch, answers, strict=True):
                if isinstance(answer, BaseException):
                    waiter.error = answer
                else:
                    waiter.claim = answer
                waiter.done = True
                waiter.wake.set()
        if outcomes:
            self._write_outcomes(outcomes)
        with self._lock:
            if self._intents:
                self._intents[0].wake.set()  # the next leader; it stays queued and writes itself
            else:
                self._writing = False
                self._idle.notify_all()

    def _flush(self) -> None:
        """Background: write outcomes that waited ``outcome_delay`` s for a leader to take them."""
        with self._lock:
            while not self._closed:
                if not self._outcomes:
                    self._tick.wait()
                    continue
                self._tick.wait(self._outcome_delay)
                if self._closed or self._writing or not self._outcomes:
                    continue
                self._writing = True
                self._lock.release()
                try:
                    self._lead(with_outcomes=True)
                finally:
                    self._lock.acquire()

    def _write_outcomes(self, outcomes: list[RequestOutcome]) -> None:
        answers = self._commit(outcomes, self._ledger.record_outcomes)
        for outcome, answer in zip(outcomes, answers, strict=True):
            if isinstance(answer, BaseException):
                self._outcome_errors.append(answer)
                self.unrecorded.add(outcome.request_id)

    def _commit(
        self, records: Sequence[_Record], write: Callable[[Sequence[_Record]], Any]
    ) -> list[Any]:
        """Write ``records``; per record its answer (a claim, or None), or its error."""
        if self._failure is not None:
            return [self._failure] * len(records)
        try:
            written = write(records)
            return list(written) if written is not None else [None] * len(records)
        except ValueError as exc:  # one bad record refuses the batch, and nothing is written
            if len(records) == 1:
                return [exc]
            return [err for record in records for err in self._commit([record], write)]
        except BaseException as exc:  # a disk error: what reached the file is unknown
            self._failure = exc
            return [exc] * len(records)
