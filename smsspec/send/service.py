"""The send use case, without a terminal: where the ledger lives, which credentials
a run uses, and running a plan's requests through the transport and the ledger.

The ``send`` and ``plan`` commands compose these with the terminal (questions,
progress, the report); the sandbox is composed by the command too, so sending
never imports the simulator.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from smsspec.errors import CredentialError, UsageError
from smsspec.load.config import ENV_REFERENCE, resolve_credentials
from smsspec.model import Account, CheckedMessage, Config, RenderedRequest
from smsspec.send.deadline import STOP_GRACE_SECONDS
from smsspec.send.plan import Outgoing, Plan, with_credentials
from smsspec.send.ratelimit import RateLimiter
from smsspec.send.redact import Redactor
from smsspec.send.runner import RequestResult, Runner
from smsspec.send.transport import RetryPolicy, Timeouts, Transport

LEDGER_DIR = ".smsspec"
LEDGER_NAME = "ledger.jsonl"
SANDBOX_LEDGER_NAME = "sandbox-ledger.jsonl"


@dataclass(frozen=True)
class SendSettings:
    concurrency: int
    per_second: float | None
    timeouts: Timeouts
    max_attempts: int


def default_ledger(root: str | Path, sandbox: bool = False) -> Path:
    return Path(root) / LEDGER_DIR / (SANDBOX_LEDGER_NAME if sandbox else LEDGER_NAME)


def ledger_location(ledger_path: str | None, selected: list[CheckedMessage], sandbox: bool) -> Path:
    """The ledger a run uses: the one given, or the one next to the specs' smsspec.yaml."""
    if ledger_path is not None:
        return Path(ledger_path)
    roots = sorted({c.config.root for c in selected})
    if len(roots) > 1:
        raise UsageError("the specs belong to more than one smsspec.yaml (" + ", ".join(roots) + "); pass --ledger")
    return default_ledger(roots[0], sandbox)


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
    """Each named account's credentials from the environment; CredentialError for the first missing."""
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


def now() -> datetime:
    return datetime.now(timezone.utc)


def requests_of(plan: Plan, credentials: Mapping[str, Mapping[str, str]]) -> list[tuple[Outgoing, RenderedRequest]]:
    """The plan's outgoing requests rendered with their credentials (never print them)."""
    return with_credentials(plan.outgoing, credentials)


def run_requests(
    pairs: list[tuple[Outgoing, RenderedRequest]],
    ledger: Any,
    redactor: Redactor,
    settings: SendSettings,
    advance: Callable[[RequestResult], None] | None = None,
) -> Any:
    """Send the requests, recording each in the ledger; a signal stops the run cleanly."""
    transport = Transport(
        concurrency=settings.concurrency,
        timeouts=settings.timeouts,
        policy=RetryPolicy(max_attempts=settings.max_attempts),
        limiter=RateLimiter(settings.per_second),
    )
    with transport, stop_on_signal(transport.stop):
        runner = Runner(ledger, transport, redactor, settings.concurrency)
        return runner.run(pairs) if advance is None else runner.run(pairs, advance)


@contextlib.contextmanager
def stop_on_signal(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C and SIGTERM (a cancelled CI job) stop a run: no request starts after
    the signal, and those in flight get a short grace to finish, then end as
    unknown; all are recorded. The stop is set in the handler itself, so no
    worker starts another request while the main thread gets to the
    KeyboardInterrupt."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        if not stop.is_set():
            stop.set()
            below_a_bar = "\n" if sys.stderr.isatty() else ""
            sys.stderr.write(
                f"{below_a_bar}smsspec: stopping: no new requests; those in flight get"
                f" {STOP_GRACE_SECONDS:g} s to finish, then are recorded as unknown\n"
            )
            sys.stderr.flush()
        raise KeyboardInterrupt

    previous = {number: signal.signal(number, interrupt) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
