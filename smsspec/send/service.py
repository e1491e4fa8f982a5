"""The send use case, without a terminal: where the ledger lives, which credentials
a run uses, and running a plan's requests through the transport and the ledger.

The ``send`` and ``plan`` commands compose these with the terminal (questions,
progress, the report); the sandbox is composed by the command too, so sending
never imports the simulator.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from smsspec.errors import CredentialError, UsageError
from smsspec.load.config import ENV_REFERENCE, resolve_credentials
from smsspec.model import Account, CheckedMessage, Config, RenderedRequest
from smsspec.send.ledger import Ledger, LedgerError
from smsspec.send.ledger.choice import LedgerChoice, choose_ledger, sends_to_sandbox, unimported
from smsspec.send.plan import Outgoing, Plan, with_credentials
from smsspec.send.redact import Redactor
from smsspec.sms.send_at import parse_send_at

if TYPE_CHECKING:  # sending is imported when a run sends: `plan` never loads the HTTP stack
    from smsspec.send.runner import RequestResult
    from smsspec.send.transport import Timeouts


@dataclass(frozen=True)
class SendSettings:
    concurrency: int
    per_second: float | None
    timeouts: Timeouts
    max_attempts: int


def ledger_location(ledger_path: str | None, selected: list[CheckedMessage], sandbox: bool) -> LedgerChoice:
    """The ledger a run uses (see :mod:`smsspec.send.ledger.choice`); UsageError if it cannot be told."""
    try:
        to_sandbox = sandbox or (ledger_path is None and sends_to_sandbox(c.account for c in selected))
        return choose_ledger(ledger_path, (c.config for c in selected), sandbox=to_sandbox)
    except LedgerError as exc:
        raise UsageError(str(exc)) from None


def with_ledger_secrets(redactor: Redactor, choice: LedgerChoice) -> Redactor:
    """``redactor`` that also hides the secrets in the ledger's location (a database password)."""
    secrets = choice.location.secrets()
    if not secrets:
        return redactor
    extra = Redactor.for_credentials([{f"ledger{n}": s for n, s in enumerate(secrets)}])
    return Redactor(redactor.forms | extra.forms)


def open_ledger(choice: LedgerChoice, *, writable: bool, importing: bool = False) -> Ledger:
    """The chosen ledger, opened; UsageError with a clear message (never a secret) if it cannot be."""
    old = None if importing else unimported(choice)
    if old is not None:
        raise UsageError(
            f"found the ledger of an older smsspec, {old}; bring it over first with"
            f" `smsspec ledger import {old}`{' --sandbox' if choice.source == 'sandbox' else ''}"
            " (without it, what it records would be sent again)"
        )
    try:
        opener = Ledger.open if writable else Ledger.read
        return opener(choice.location, choice.project)
    except (LedgerError, OSError) as exc:
        what = "open" if writable else "read"
        text = f"cannot {what} the ledger {choice.location.shown()}: {exc}"
        for secret in choice.location.secrets():
            text = text.replace(secret, "***")
        if writable:
            text += " (nothing was sent)"
        raise UsageError(text) from None


def env_redactor(configs: Iterable[Config]) -> Redactor:
    """A redactor for every credential the configs reference that is set in the environment."""
    values: list[dict[str, str]] = []
    for config in configs:
        for account in config.accounts.values():
            found = {}
            for name, reference in account.credentials.items():
                match = ENV_REFERENCE.match(reference)
                value = os.environ.get(match.group(1)) if match else None
                if value:
                    found[name] = value
            values.append(found)
    return Redactor.for_credentials(values)


def credentials_for(accounts: Mapping[str, Account], names: Iterable[str]) -> dict[str, dict[str, str]]:
    """Each named account's credentials from the environment; one CredentialError naming every account that lacks them."""
    names = list(names)
    problems = missing_credentials(accounts, names)
    if problems:
        raise CredentialError("; ".join(problems))
    return {name: resolve_credentials(accounts[name]) for name in names}


def missing_credentials(accounts: Mapping[str, Account], names: Iterable[str]) -> list[str]:
    """Why each named account's credentials cannot be used (empty: all can)."""
    missing = []
    for name in names:
        try:
            resolve_credentials(accounts[name])
        except CredentialError as exc:
            missing.append(str(exc))
    return missing


CLOCK_ENV = "SMSSPEC_TEST_NOW"
"""For tests only: an ISO 8601 time with offset that `send` and `plan` take as now (quiet
hours, send_at). Never set it for real sends."""


def now() -> datetime:
    """The moment a run plans against: the clock, or ``SMSSPEC_TEST_NOW`` in tests."""
    fixed = os.environ.get(CLOCK_ENV)
    if not fixed:
        return datetime.now(timezone.utc)
    moment = parse_send_at(fixed)
    if moment is None:
        raise UsageError(f"{CLOCK_ENV} must be an ISO 8601 time with an offset, like 2026-12-01T10:00:00Z (it is for tests only)")
    return moment.astimezone(timezone.utc)


def requests_of(plan: Plan, credentials: Mapping[str, Mapping[str, str]]) -> list[tuple[Outgoing, RenderedRequest]]:
    """The plan's outgoing requests rendered with their credentials (never print them)."""
    return with_credentials(plan.outgoing, credentials)


def run_requests(
    pairs: list[tuple[Outgoing, RenderedRequest]],
    ledger: Any,
    redactor: Redactor,
    settings: SendSettings,
    credentials: Mapping[str, Mapping[str, str]],
    advance: Callable[[RequestResult], None] | None = None,
    on_stop: Callable[[], None] | None = None,
) -> Any:
    """Send the requests, recording each in the ledger; a signal stops the run cleanly
    (``on_stop`` is called once when it does, from the signal handler, so the command can say so)."""
    from smsspec.send.ratelimit import RateLimiter
    from smsspec.send.runner import Runner
    from smsspec.send.transport import RetryPolicy, Transport

    transport = Transport(
        concurrency=settings.concurrency,
        timeouts=settings.timeouts,
        policy=RetryPolicy(max_attempts=settings.max_attempts),
        limiter=RateLimiter(settings.per_second),
    )
    # Runs sharing a ledger start at different places of the same plan, so their claims
    # rarely meet (a claim that meets another run's waits for its commit, then is refused).
    start = secrets.randbelow(len(pairs)) if pairs and getattr(ledger, "shared", False) else 0
    with transport, stop_on_signal(transport.stop, on_stop):
        runner = Runner(ledger, transport, redactor, settings.concurrency, credentials)
        turned = pairs[start:] + pairs[:start]
        run = runner.run(turned) if advance is None else runner.run(turned, advance)
    if start:  # results in plan order again
        back = len(pairs) - start
        run.results = run.results[back:] + run.results[:back]
    return run


@contextlib.contextmanager
def stop_on_signal(stop: threading.Event, on_stop: Callable[[], None] | None = None) -> Iterator[None]:
    """Ctrl-C and SIGTERM (a cancelled CI job) stop a run: no request starts after
    the signal, and those in flight get a short grace to finish, then end as
    unknown; all are recorded. The stop is set in the handler itself, so no
    worker starts another request while the main thread gets to the
    KeyboardInterrupt. ``on_stop`` is called once, when the first signal sets the stop."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        if not stop.is_set():
            stop.set()
            if on_stop is not None:
                on_stop()
        raise KeyboardInterrupt

    previous = {number: signal.signal(number, interrupt) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
