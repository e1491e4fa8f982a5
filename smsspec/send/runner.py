"""Send the planned requests: ``concurrency`` workers, the intent durable before each request.

Workers take the requests in plan order. For every request a worker

1. waits for its account's rate-limit slot,
2. hands its claim (the intent) to the group committer and waits until it is
   durable; recipients another run holds or has settled since the plan, or
   that opted out since, are dropped from the request (it is rendered again
   for the rest),
3. sends (with the transport's retry policy) and reads the answer, noting
   when the request went out and when the answer came,
4. queues the outcome for the committer.

A request whose claim could not be written is not sent. Once ``stop`` is
set (Ctrl-C, SIGTERM, a ledger failure), requests whose intent is not yet
written are not started (and not recorded); requests already on the wire get
a short grace to finish (:data:`smsspec.send.deadline.STOP_GRACE_SECONDS`),
then end as unknown, and are recorded either way.
Every string that goes into the ledger or a result and can carry a secret (the URL, the
text preview, the provider's answer, errors) is scrubbed of secrets, then cut short.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from queue import Empty, SimpleQueue
from typing import Any

from smsspec.errors import CommitError
from smsspec.model import RenderedRequest
from smsspec.send.commit import GroupCommitter
from smsspec.send.ledger import (
    DeliveryOutcome,
    DeliveryState,
    DeliveryStatus,
    Ledger,
    RequestOutcome,
)
from smsspec.send.ledger.records import NOT_SENT_CODE
from smsspec.send.ledger.store import now
from smsspec.send.plan import Outgoing, narrowed
from smsspec.send.redact import Redactor
from smsspec.send.responses import read_answer, retry_on
from smsspec.send.transport import Exchange, FailureKind, Transport, describe

PREVIEW_CHARS = 40


@dataclass(frozen=True)
class RequestResult:
    """What became of one planned request."""

    outgoing: Outgoing
    results: tuple[DeliveryOutcome, ...]  # one per recipient; empty when it never started
    http_status: int | None = None
    attempts: int = 0
    started: bool = True  # False: no intent written, nothing sent, nothing recorded
    note: str | None = None  # why it did not start, or a ledger problem after sending
    elsewhere: tuple[DeliveryState, ...] = ()  # held or settled by another run: not sent here
    recorded: bool = True  # False: the ledger did not take the outcome (it will read unknown)
    opted_out: tuple[str, ...] = ()  # on the ledger's opt-out list when claimed: not sent

    @property
    def status(self) -> str:
        """accepted | rejected | unknown | partial (recipients differ) | not-started | elsewhere."""
        if self.started and not self.results and (self.elsewhere or self.opted_out):
            return "elsewhere"
        if not self.started:
            return "not-started"
        statuses = {r.status for r in self.results}
        if len(statuses) == 1:
            return next(iter(statuses)).value
        return "partial"

    @property
    def left_the_machine(self) -> bool:
        """False when no byte of the request can have reached the provider (say, DNS failed)."""
        if not self.started or not self.results or self.http_status is not None:
            return self.started and bool(self.results)
        return not all(r.error_code == NOT_SENT_CODE for r in self.results)


@dataclass
class RunResult:
    results: list[RequestResult] = field(default_factory=list)
    interrupted: bool = False
    ledger_problem: str | None = None


def intent_meta(outgoing: Outgoing, redactor: Redactor) -> dict[str, Any]:
    shown = outgoing.shown
    preview = shown.texts[0] if shown.texts else ""
    return {
        "file": shown.file,
        "provider": shown.provider,
        "method": shown.method,
        "url": redactor.scrub(shown.url),
        "segments": shown.segments,
        "preview": redactor.clip(preview, PREVIEW_CHARS, one_line=False),
    }


def results_of(exchange: Exchange, outgoing: Outgoing) -> tuple[DeliveryOutcome, ...]:
    """The transport's result turned into one result per recipient."""
    recipients = outgoing.shown.recipients
    failure = exchange.failure
    if failure is None and exchange.answer is not None:
        descriptor = outgoing.checked.provider.response
        return read_answer(descriptor, exchange.answer, recipients)
    assert failure is not None
    if failure.kind is FailureKind.NOT_SENT:
        return tuple(
            DeliveryOutcome(r, DeliveryStatus.REJECTED, False, None, NOT_SENT_CODE, failure.reason)
            for r in recipients
        )
    code = f"http-{exchange.answer.status}" if exchange.answer is not None else None
    return tuple(
        DeliveryOutcome(r, DeliveryStatus.UNKNOWN, False, None, code, failure.reason)
        for r in recipients
    )


def _scrubbed(result: DeliveryOutcome, redactor: Redactor) -> DeliveryOutcome:
    return DeliveryOutcome(
        result.recipient,
        result.status,
        result.definitive,
        redactor.clip_opt(result.provider_id),
        redactor.clip_opt(result.error_code),
        redactor.clip_opt(result.error_text),
        result.delivery,
    )


class _WorkQueue:
    """The requests in order, handed out one at a time to the worker threads."""

    def __init__(self, pairs: Sequence[tuple[Outgoing, RenderedRequest]]) -> None:
        self._items = iter(enumerate(pairs))
        self._lock = threading.Lock()

    def take(self) -> tuple[int, tuple[Outgoing, RenderedRequest]] | None:
        with self._lock:
            return next(self._items, None)


class Runner:
    def __init__(
        self,
        ledger: Ledger,
        transport: Transport,
        redactor: Redactor,
        concurrency: int,
        credentials: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self._credentials = credentials or {}
        self._transport = transport
        self._redactor = redactor
        self._concurrency = concurrency
        self._committer = GroupCommitter(ledger)
        self.stop = transport.stop
        self._ledger_problem: str | None = None
        self._problem_lock = threading.Lock()

    def run(
        self,
        pairs: Sequence[tuple[Outgoing, RenderedRequest]],
        on_result: Callable[[RequestResult], None] | None = None,
    ) -> RunResult:
        """Send every request; returns once all are recorded (or the run was stopped).

        ``concurrency`` worker threads take the requests in order; results come
        back in the same order. ``on_result`` is called in this thread as each
        request finishes (for a progress bar).
        """
        run = RunResult()
        slots: list[RequestResult | None] = [None] * len(pairs)
        queue = _WorkQueue(pairs)
        finished: SimpleQueue[RequestResult | None] = SimpleQueue()

        def work() -> None:
            try:
                while (item := queue.take()) is not None:
                    index, (outgoing, real) = item
                    if self.stop.is_set():
                        result = RequestResult(outgoing, (), started=False, note="interrupted")
                    else:
                        result = self._one(outgoing, real)
                    slots[index] = result
                    if on_result is not None:
                        finished.put(result)
            finally:
                finished.put(None)

        workers = [
            threading.Thread(target=work, name=f"smsspec-send-{n}", daemon=True)
            for n in range(min(self._concurrency, len(pairs)))
        ]
        for worker in workers:
            worker.start()
        try:
            running = len(workers)
            while running:
                try:
                    result = finished.get(timeout=0.2)  # a timeout keeps Ctrl-C responsive
                except Empty:
                    continue
                if result is None:
                    running -= 1
                elif on_result is not None:
                    on_result(result)
        except KeyboardInterrupt:
            run.interrupted = True
            self.stop.set()
        finally:
            for worker in workers:
                worker.join()
            try:
                self._committer.close()
            except CommitError as exc:
                self._problem(str(exc))
        lost = self._committer.unrecorded
        run.results = [
            (replace(result, recorded=False) if result.outgoing.request_id in lost else result)
            if result is not None
            else RequestResult(o, (), started=False, note="interrupted")
            for result, (o, _) in zip(slots, pairs, strict=True)
        ]
        run.ledger_problem = self._ledger_problem
        return run

    def _problem(self, text: str) -> None:
        with self._problem_lock:
            if self._ledger_problem is None:
                self._ledger_problem = self._redactor.scrub(text)
        self.stop.set()

    def _one(self, outgoing: Outgoing, real: RenderedRequest) -> RequestResult:
        shown = outgoing.shown
        if self.stop.is_set() or not self._transport.limiter.acquire(shown.account):
            return RequestResult(outgoing, (), started=False, note="stopped before sending")
        try:
            claim = self._committer.write_intent(outgoing.intent(intent_meta(outgoing, self._redactor)))
        except CommitError as exc:
            self._problem(str(exc))
            return RequestResult(
                outgoing, (), started=False, note=self._redactor.scrub(f"not sent: {exc}")
            )
        if not claim.claimed:
            return RequestResult(outgoing, (), elsewhere=claim.refused, opted_out=claim.opted_out)
        if len(claim.claimed) < len(shown.recipients):
            try:
                outgoing, real = narrowed(
                    outgoing, claim.claimed, self._credentials.get(shown.account, {})
                )
            except Exception as exc:  # nothing went out: record that, and say why
                return self._record(outgoing, tuple(
                    DeliveryOutcome(r, DeliveryStatus.REJECTED, False, None, NOT_SENT_CODE,
                            f"not sent: cannot render the request for fewer recipients ({describe(exc)})")
                    for r in claim.claimed
                ), None, 0, None, None, claim.refused, claim.opted_out)
            shown = outgoing.shown
        sent_at = now()
        exchange: Exchange | None = None
        try:
            exchange = self._transport.exchange(real, retry_on(outgoing.checked.provider))
            results = results_of(exchange, outgoing)
        except Exception as exc:  # a fault here must still leave an outcome in the ledger
            text = f"internal error after sending: {describe(exc)}"
            results = tuple(
                DeliveryOutcome(r, DeliveryStatus.UNKNOWN, error_text=text)
                for r in shown.recipients
            )
        answered_at = now() if exchange is not None and exchange.answer is not None else None
        failure = exchange.failure if exchange is not None and exchange.answer is None else None
        went_out: str | None = sent_at
        if failure is not None and failure.kind is FailureKind.NOT_SENT:
            went_out = None  # never connected: nothing went out
        status = exchange.answer.status if exchange and exchange.answer else None
        attempts = exchange.attempts if exchange else 1
        return self._record(outgoing, results, status, attempts, went_out, answered_at, claim.refused, claim.opted_out)

    def _record(
        self,
        outgoing: Outgoing,
        results: tuple[DeliveryOutcome, ...],
        status: int | None,
        attempts: int,
        sent_at: str | None,
        answered_at: str | None,
        elsewhere: tuple[DeliveryState, ...],
        opted_out: tuple[str, ...] = (),
    ) -> RequestResult:
        results = tuple(_scrubbed(r, self._redactor) for r in results)
        note = None
        try:
            self._committer.add_outcome(
                RequestOutcome(
                    outgoing.request_id,
                    results,
                    {"http_status": status, "attempts": attempts},
                    sent_at,
                    answered_at,
                )
            )
        except CommitError as exc:
            self._problem(str(exc))
            note = self._redactor.scrub(f"outcome not recorded: {exc}")
        return RequestResult(outgoing, results, status, attempts, True, note, elsewhere, note is None, opted_out)
