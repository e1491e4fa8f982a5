"""HTTP with httpx: one client, bounded answers, and retries only when nothing was accepted.

A request is retried only when the provider certainly did not accept it:

* the connection was never made (``ConnectError``, ``ConnectTimeout``) or no
  pooled connection became free (``PoolTimeout``): nothing left this machine;
* the answer's status is one of the provider's ``retry_statuses`` (429, 503,
  Sendmachine's 529), or its error code one of the ``retry_error_codes``
  (Skycore's E120 request limit and E106 call interval, inside an HTTP 200
  answer): the provider says it did not process the request, for now.

The wait before the next attempt is the answer's ``Retry-After`` (seconds or
an HTTP date) when it gives one, else exponential backoff with full jitter
(a random time between 0 and ``min(cap, base * 2**(attempt - 1))``). A
``Retry-After`` beyond ``retry_after_cap`` ends the retries at once. When the
attempts run out the result is :attr:`FailureKind.NOT_SENT`.

Anything that fails once the request may have reached the provider (a read
or write timeout, a connection dropped or reset, a malformed answer, a 500,
an answer not complete by the attempt's deadline, a stop while waiting for
it) is :attr:`FailureKind.UNKNOWN` and is never retried: the provider may
have taken the message, and sending it again could deliver it twice.

Each attempt has an overall deadline (:attr:`Timeouts.overall`), however
slowly the answer trickles in, and a stop cuts a wait for an answer short
(see :mod:`smsspec.send.deadline`).

Answers are read as a stream and cut at ``max_body`` bytes.
"""

from __future__ import annotations

import enum
import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

import httpx

from smsspec.errors import DeadlinePassed, StoppedWaiting
from smsspec.send.deadline import limited, with_deadlines
from smsspec.send.ratelimit import RateLimiter
from smsspec.send.responses import Answer, RetryOn

if TYPE_CHECKING:
    from smsspec.model import RenderedRequest

GAVE_UP = "gave up after"  # the text of a request that ran out of attempts names their number

MAX_BODY = 1024 * 1024


class FailureKind(str, enum.Enum):
    NOT_SENT = "not-sent"
    """Certainly not accepted: never connected, or refused for now until the attempts ran out."""
    UNKNOWN = "unknown"
    """The request may have reached the provider; whether it was accepted cannot be known."""


@dataclass(frozen=True)
class Failure:
    kind: FailureKind
    reason: str


@dataclass(frozen=True)
class Exchange:
    """How one request went: the answer to read, or a failure; and the attempts it took."""

    attempts: int
    answer: Answer | None = None
    failure: Failure | None = None


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base: float = 0.5
    cap: float = 30.0
    retry_after_cap: float = 60.0

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**(attempt-1))]."""
        return random.uniform(0.0, min(self.cap, self.base * 2 ** (attempt - 1)))


@dataclass(frozen=True)
class Timeouts:
    connect: float = 5.0
    read: float = 30.0
    deadline: float | None = None
    """The most one attempt may take, from connecting to the answer's last byte; see ``overall``."""

    @property
    def overall(self) -> float:
        """``deadline``, or by default room to connect, write the request and wait out one read timeout twice."""
        return self.deadline if self.deadline is not None else self.connect + 2 * self.read

    def to_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.read, pool=self.connect)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta seconds or an HTTP date)."""
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        seconds = (moment - (now or datetime.now(timezone.utc))).total_seconds()
    if seconds != seconds or seconds == float("inf"):  # NaN or infinite
        return None
    return max(0.0, seconds)


def describe(exc: BaseException) -> str:
    """A short text for an exception; the caller scrubs it before it goes anywhere."""
    text = str(exc).strip()
    name = type(exc).__name__
    return f"{name}: {text}" if text else name


@dataclass(frozen=True)
class _Reply:
    status: int
    headers: httpx.Headers
    body: bytes
    too_large: bool


def _quiet_http_logs() -> None:
    # httpx logs each request's URL at INFO; a URL may carry a credential.
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)


class Transport:
    """One httpx client shared by the worker threads; ``stop`` cuts waits between attempts short."""

    def __init__(
        self,
        *,
        concurrency: int,
        timeouts: Timeouts,
        policy: RetryPolicy,
        limiter: RateLimiter,
        max_body: int = MAX_BODY,
        client: httpx.Client | None = None,
    ) -> None:
        _quiet_http_logs()
        self.policy = policy
        self.limiter = limiter
        self.stop = limiter.stop
        self.max_body = max_body
        self.timeouts = timeouts
        self._client = client or with_deadlines(
            httpx.Client(
                timeout=timeouts.to_httpx(),
                limits=httpx.Limits(
                    max_connections=concurrency, max_keepalive_connections=concurrency
                ),
                follow_redirects=False,
            )
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ one request

    def exchange(self, request: RenderedRequest, retry: RetryOn) -> Exchange:
        """Send ``request`` (its first rate-limit slot already taken), retrying as the policy allows."""
        policy = self.policy
        last_answer: Answer | None = None
        reason = ""
        attempt = 0
        while True:
            attempt += 1
            if attempt > 1 and not self.limiter.acquire(request.account):
                return self._stopped(attempt - 1, last_answer, reason)
            try:
                reply = self._once(request)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                reason = f"could not connect ({describe(exc)})"
                delay = policy.backoff(attempt)
            except (httpx.UnsupportedProtocol, httpx.InvalidURL, httpx.LocalProtocolError) as exc:
                return Exchange(attempt, failure=Failure(FailureKind.NOT_SENT, describe(exc)))
            except httpx.ReadTimeout:
                text = f"no answer within the read timeout ({self.timeouts.read:g} s)"
                return Exchange(attempt, failure=Failure(FailureKind.UNKNOWN, text))
            except httpx.WriteTimeout:
                text = f"the request could not be written within {self.timeouts.read:g} s"
                return Exchange(attempt, failure=Failure(FailureKind.UNKNOWN, text))
            except DeadlinePassed:
                text = f"no complete answer within the request deadline ({self.timeouts.overall:g} s)"
                return Exchange(attempt, failure=Failure(FailureKind.UNKNOWN, text))
            except StoppedWaiting:
                text = "the run was stopped while waiting for the answer"
                return Exchange(attempt, failure=Failure(FailureKind.UNKNOWN, text))
            except (httpx.HTTPError, httpx.StreamError, OSError) as exc:
                text = f"the connection failed after the request was sent ({describe(exc)})"
                return Exchange(attempt, failure=Failure(FailureKind.UNKNOWN, text))
            else:
                answer = Answer(reply.status, reply.body, reply.headers.get("content-type"))
                busy = retry.reason(answer)  # a body cut short holds no readable code
                if busy is None:
                    if reply.too_large:
                        text = f"answer too large (over {self.max_body} bytes)"
                        return Exchange(attempt, answer, Failure(FailureKind.UNKNOWN, text))
                    return Exchange(attempt, answer)
                last_answer = answer
                wait = parse_retry_after(reply.headers.get("retry-after"))
                reason = f"{busy} (provider busy)"
                if wait is not None and wait > policy.retry_after_cap:
                    text = (
                        f"{reason}: asked to retry after {wait:.0f} s, more than"
                        f" {policy.retry_after_cap:g} s"
                    )
                    return Exchange(attempt, answer, Failure(FailureKind.NOT_SENT, text))
                delay = wait if wait is not None else policy.backoff(attempt)
            if attempt >= policy.max_attempts:
                text = f"{reason}; {GAVE_UP} {attempt} attempt{'s' if attempt > 1 else ''}"
                return Exchange(attempt, last_answer, Failure(FailureKind.NOT_SENT, text))
            if self.stop.wait(delay):
                return self._stopped(attempt, last_answer, reason)

    @staticmethod
    def _stopped(attempts: int, answer: Answer | None, reason: str) -> Exchange:
        text = f"{reason}; stopped before the next attempt" if reason else "stopped"
        return Exchange(attempts, answer, Failure(FailureKind.NOT_SENT, text))

    def _once(self, request: RenderedRequest) -> _Reply:
        content = request.body.encode("utf-8") if request.body else None
        headers: Mapping[str, str] = request.headers
        with limited(self.timeouts.overall, self.stop), self._client.stream(
            request.method, request.url, headers=headers, content=content
        ) as response:
            chunks: list[bytes] = []
            size = 0
            too_large = False
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_body:
                    too_large = True
                    break
                chunks.append(chunk)
            return _Reply(response.status_code, response.headers, b"".join(chunks), too_large)
