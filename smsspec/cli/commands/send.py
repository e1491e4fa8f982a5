"""The ``send`` command: the send use case (:mod:`smsspec.send.service`) composed with
the terminal (questions, progress, the report) and, with ``--sandbox``, the simulator.

Exit codes of ``send``: 0 every delivery accepted (now or by an earlier run)
or scheduled for later; 1 validation failed, or a delivery was rejected, is
unknown or was not sent (now or left so by an earlier run); 2 usage or
configuration error, a missing credential, a ledger that cannot be used;
130 interrupted.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Iterable, Mapping
from typing import Any

import click

from smsspec.cli.options import (
    CONTEXT,
    EXIT_INTERRUPTED,
    EXIT_PROBLEMS,
    config_option,
    echo,
    fail,
    format_option,
    ledger_option,
    paths_argument,
    shown_path,
    styler,
)
from smsspec.cli.selection import checked_or_exit, select_messages
from smsspec.errors import CredentialError, ProviderError, UsageError
from smsspec.model import Account, CheckedMessage
from smsspec.report.send import SendReport
from smsspec.sandbox import running
from smsspec.sandbox.inbox import format_inbox
from smsspec.sandbox.receipts import parse_receipt_options
from smsspec.sandbox.running import RemoteSandbox
from smsspec.sandbox.session import PLACEHOLDER_URL, WAIT_SECONDS, SandboxRun, sandbox_endpoint
from smsspec.send.deadline import STOP_GRACE_SECONDS
from smsspec.send.ledger import Ledger, LedgerError
from smsspec.send.ledger.choice import LedgerChoice
from smsspec.send.plan import LATE_CHOICES, Plan, Policy, make_plan
from smsspec.send.ratelimit import parse_rate
from smsspec.send.redact import Redactor
from smsspec.send.runner import RequestResult
from smsspec.send.service import (
    SendSettings,
    credentials_for,
    env_redactor,
    ledger_location,
    missing_credentials,
    now,
    open_ledger,
    requests_of,
    run_requests,
    with_ledger_secrets,
)
from smsspec.send.transport import Timeouts
from smsspec.terminal import printable, printable_lines

# --------------------------------------------------------------------------- send


@click.command(context_settings=CONTEXT)
@paths_argument
@config_option
@click.option("--message", "message_ids", multiple=True, metavar="ID", help="Only this message (repeatable).")
@click.option("--account", "account_names", multiple=True, metavar="NAME", help="Only messages of this account (repeatable).")
@click.option("--dry-run", is_flag=True, help="Show what would be sent and skipped; no network, no ledger writes.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation on a terminal.")
@ledger_option
@click.option("--concurrency", type=click.IntRange(1, 256), default=8, show_default=True, help="Requests in flight at once.")
@click.option("--rate", metavar="N/s", help="At most N requests a second per account (also N/min, N/h).")
@format_option
@click.option("--strict", is_flag=True, help="Send nothing if validation finds warnings too.")
@click.option("--retry-rejected", is_flag=True, help="Send again deliveries an earlier run left rejected.")
@click.option("--retry-unknown", is_flag=True, help="Send again deliveries an earlier run left unknown (may duplicate).")
@click.option("--resend-changed", is_flag=True, help="Send again accepted deliveries whose content changed since.")
@click.option("--late", type=click.Choice(LATE_CHOICES), default="send", show_default=True,
              help="A message whose send_at is past: send it now (without send_at), or skip it (not an error).")
@click.option("--connect-timeout", type=click.FloatRange(0, min_open=True), default=5.0, show_default=True, metavar="S")
@click.option("--read-timeout", type=click.FloatRange(0, min_open=True), default=30.0, show_default=True, metavar="S", help="Longest wait for the next bytes of an answer.")
@click.option("--request-deadline", type=click.FloatRange(0, min_open=True), default=None, metavar="S", help="Longest one request may take in all, however slowly its answer comes; then it is unknown.  [default: connect timeout + 2 x read timeout]")
@click.option("--max-attempts", type=click.IntRange(1, 100), default=5, show_default=True, help="Attempts per request when it certainly was not accepted.")
@click.option(
    "--sandbox", "use_sandbox", is_flag=True,
    help="Send to the sandbox running for this project (`smsspec sandbox`), else to one started for this run; with its own ledger.",
)
@click.option(
    "--sandbox-url", metavar="URL",
    help="Send to the sandbox running at URL (http:// on this machine), with the sandbox ledger; implies --sandbox.",
)
@click.option(
    "--sandbox-receipts", "receipt_options", default="", metavar="NAME=VALUE,...",
    help="With a sandbox started for this run: its delivery receipts, as `smsspec sandbox --receipts` (delay=0.2, failed=, lost=, duplicated=, reordered=, seed=).",
)
def send(
    paths: tuple[str, ...],
    config_path: str | None,
    message_ids: tuple[str, ...],
    account_names: tuple[str, ...],
    dry_run: bool,
    yes: bool,
    ledger_path: str | None,
    concurrency: int,
    rate: str | None,
    fmt: str,
    strict: bool,
    retry_rejected: bool,
    retry_unknown: bool,
    resend_changed: bool,
    late: str,
    connect_timeout: float,
    read_timeout: float,
    request_deadline: float | None,
    max_attempts: int,
    use_sandbox: bool,
    sandbox_url: str | None,
    receipt_options: str,
) -> None:
    """Send the messages of spec files, at most once per recipient.

    Validates first (nothing is sent if anything is wrong), skips what the
    ledger says was already handled, records every request before and after
    it goes out, and ends with a report and an exit code.

    \b
    Examples:
      smsspec send examples/*.sms.yaml --sandbox
      smsspec send messages/ --sandbox-url http://127.0.0.1:9000
      smsspec send messages/ --dry-run
      smsspec send messages/ --message welcome --yes --format json
      smsspec send messages/ --rate 10/s --concurrency 16
    """
    try:
        receipts = parse_receipt_options(receipt_options)
    except ValueError as exc:
        fail(f"--sandbox-receipts: {exc}")
    try:
        now()  # SMSSPEC_TEST_NOW, when set, must be readable
    except UsageError as exc:
        fail(str(exc))
    per_second = None
    if rate is not None:
        try:
            per_second = parse_rate(rate)
        except ValueError as exc:
            fail(f"--rate: {exc}")
    if sandbox_url is not None:
        if not running.is_local_url(sandbox_url):
            fail(f"--sandbox-url {sandbox_url}: expected an http:// URL on this machine (127.0.0.1, ::1, localhost)")
        use_sandbox = True
    if receipt_options and not use_sandbox:
        fail("--sandbox-receipts goes with --sandbox")
    result = checked_or_exit(paths, config_path, strict)
    selected = select_messages(result, message_ids, account_names)
    accounts = {c.account.name: c.account for c in selected}
    redactor = env_redactor(result.configs.values())
    if not selected:
        _emit_nothing(fmt)
        return
    try:
        ledger_file = ledger_location(ledger_path, selected, use_sandbox)
    except UsageError as exc:
        fail(str(exc))
    redactor = with_ledger_secrets(redactor, ledger_file)
    target = _sandbox_target(sandbox_url, selected, dry_run) if use_sandbox else None
    if target and receipt_options:
        fail(
            f"--sandbox-receipts shapes a sandbox started for this run; the running sandbox at {printable(target)}"
            " sends the receipts it was started with (`smsspec sandbox --receipts-url ... --receipts ...`)"
        )
    policy = Policy(retry_rejected, retry_unknown, resend_changed, late)
    again = ["smsspec", "send", *paths] + (["--config", config_path] if config_path else [])
    again += ["--sandbox-url", sandbox_url] if sandbox_url else ["--sandbox"] if use_sandbox else []
    again += ["--ledger", ledger_file.location.shown()] if ledger_path else []
    command = " ".join(shlex.quote(part) for part in again)
    timeouts = Timeouts(connect_timeout, read_timeout, request_deadline)
    options = _SendOptions(concurrency, per_second, timeouts, max_attempts, yes, fmt, command, receipts)
    try:
        if dry_run:
            _dry_run(selected, accounts, ledger_file, policy, use_sandbox, redactor, options, target)
        else:
            _send(selected, accounts, ledger_file, policy, use_sandbox, options, target)
    except LedgerError as exc:  # the store failed while reading or writing
        text = with_ledger_secrets(redactor, ledger_file).scrub(str(exc))
        fail(f"the ledger {ledger_file.location.shown()} failed: {text}")
    except ProviderError:
        raise  # not a bug: the provider's files are refused, as every command does (exit 2)
    except Exception as exc:  # a bug: reported in one line, and never with a secret in it
        if os.environ.get("SMSSPEC_DEBUG"):
            raise
        redactor = with_ledger_secrets(env_redactor([c.config for c in selected]), ledger_file)
        text = redactor.scrub(f"{type(exc).__name__}: {exc}")
        fail(f"internal error: {text} (set SMSSPEC_DEBUG=1 for details and please report it)")


def _sandbox_target(sandbox_url: str | None, selected: list[CheckedMessage], dry_run: bool) -> str | None:
    """The URL of a sandbox already running to send to: the one given, or the project's; None
    to start one for the run."""
    if sandbox_url is not None:
        if not running.answers_as_sandbox(sandbox_url.rstrip("/")):
            fail(f"no sandbox answers at {sandbox_url} (start one with `smsspec sandbox`); nothing was sent")
        return sandbox_url.rstrip("/")
    found = running.live_sandbox(c.config.root for c in selected)
    if found is None:
        return None
    echo(
        f"smsspec: {'a real run would send' if dry_run else 'sending'} to the sandbox already running at {found.url} (pid {found.pid}, recorded in"
        f" {shown_path(found.path)}); its inbox page is {found.url}/",
        err=True,
    )
    return found.url


class _SendOptions:
    def __init__(
        self,
        concurrency: int,
        per_second: float | None,
        timeouts: Timeouts,
        max_attempts: int,
        yes: bool,
        fmt: str,
        command: str,
        receipts: dict[str, float | int],
    ) -> None:
        self.receipts = receipts
        self.concurrency = concurrency
        self.per_second = per_second
        self.timeouts = timeouts
        self.max_attempts = max_attempts
        self.yes = yes
        self.fmt = fmt
        self.command = command


def _emit_nothing(fmt: str) -> None:
    if fmt == "json":
        echo(json.dumps({"summary": {"requests": 0, "exit_code": 0}, "requests": [], "skipped": []}))
    else:
        echo("nothing to send: no messages selected")


def _dry_run(
    selected: list[CheckedMessage],
    accounts: Mapping[str, Account],
    ledger_file: LedgerChoice,
    policy: Any,
    use_sandbox: bool,
    redactor: Redactor,
    options: _SendOptions,
    target: str | None,
) -> None:
    view = _open(ledger_file, writable=False)
    try:
        endpoint_for = (lambda a: sandbox_endpoint(target or PLACEHOLDER_URL, a)) if use_sandbox else None
        plan = make_plan(selected, view, policy, now(), endpoint_for)
    finally:
        view.close()
    missing = [] if use_sandbox else missing_credentials(accounts, plan.accounts)
    shown = f"\nledger: {shown_path(ledger_file.location.shown())}" + ("" if view.exists else " (not created yet)")
    notes = () if options.fmt == "json" else (shown,)
    report = SendReport(plan, None, notes, redactor)
    _emit(report, options, redactor)
    if missing:
        fail(f"{'; '.join(missing)}; a real send would stop here")
    sys.exit(report.exit_code())


def _send(
    selected: list[CheckedMessage],
    accounts: Mapping[str, Account],
    ledger_file: LedgerChoice,
    policy: Any,
    use_sandbox: bool,
    options: _SendOptions,
    target: str | None,
) -> None:
    redactor = with_ledger_secrets(env_redactor([c.config for c in selected]), ledger_file)
    path = ledger_file.location.path
    new_local = ledger_file.local_default and path is not None and not path.exists()
    ledger = _open(ledger_file, writable=True)
    if new_local and os.environ.get("CI") == "true":
        echo(
            f"smsspec: warning: CI is set and the ledger {shown_path(path or '')} was just created on this machine;"
            " if this runner is thrown away, the next run will not know what this one sent and will"
            " send it again. Keep the ledger in a shared PostgreSQL database (--ledger,"
            " SMSSPEC_LEDGER or `ledger:` in smsspec.yaml; see the README)",
            err=True,
        )
    sandbox_run: SandboxRun | RemoteSandbox | None = None
    try:
        if use_sandbox:
            if target:
                sandbox_run = RemoteSandbox.attach(target, accounts)
            else:
                location = ledger_file.location
                sandbox_run = SandboxRun.start(accounts, options.receipts, (location, ledger_file.project))
        plan = make_plan(
            selected, ledger, policy, now(), sandbox_run.endpoint_for if sandbox_run else None
        )
        if sandbox_run is not None:
            credentials = {name: sandbox_run.credentials[name] for name in plan.accounts}
        else:
            try:
                credentials = credentials_for(accounts, plan.accounts)
            except CredentialError as exc:
                fail(f"{exc}; nothing was sent")
        redactor = Redactor(redactor.forms | Redactor.for_credentials(credentials.values()).forms)
        _confirm(plan, options, _sandbox_words(sandbox_run))
        run = _run(plan, ledger, credentials, redactor, options)
        if isinstance(sandbox_run, SandboxRun) and not run.interrupted:
            _wait_for_receipts(sandbox_run)
        notes = _notes(ledger.interrupted_on_open, ledger_file.location.shown(), options.fmt)
        if sandbox_run is not None and not plan.outgoing and options.fmt == "text":
            notes += (
                "\nNothing new to send to the sandbox: its ledger says it was all sent before"
                f" (`smsspec ledger show --sandbox`). To start over, delete {shown_path(ledger_file.location.shown())}.",
            )
        report = SendReport(plan, run, notes, redactor)
        inbox = _inbox(sandbox_run)
    finally:
        ledger.close()
        if sandbox_run is not None:
            sandbox_run.stop()
    _emit(report, options, redactor, inbox)
    if run.interrupted:
        echo("smsspec: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(report.exit_code())


def _sandbox_words(sandbox_run: SandboxRun | RemoteSandbox | None) -> str:
    if isinstance(sandbox_run, RemoteSandbox):
        return f", to the sandbox at {sandbox_run.url} (nothing leaves this machine)"
    if sandbox_run is not None:
        return ", to a sandbox started for this run (nothing leaves this machine)"
    return ""


def _inbox(sandbox_run: SandboxRun | RemoteSandbox | None) -> list[dict[str, object]] | None:
    if isinstance(sandbox_run, RemoteSandbox):
        return sandbox_run.messages()
    return sandbox_run.sandbox.messages() if sandbox_run is not None else None


def _wait_for_receipts(sandbox_run: SandboxRun) -> None:
    """Before the run's sandbox stops: its receipts, posted and recorded (bounded; said on stderr)."""
    waiting = sandbox_run.receipts_outstanding()
    if not waiting:
        return
    echo(
        f"smsspec: waiting for the sandbox's delivery receipts ({waiting} message{'s' if waiting != 1 else ''};"
        f" giving up after {WAIT_SECONDS:g} s without one)",
        err=True,
    )
    if not sandbox_run.wait_for_receipts(WAIT_SECONDS):
        left = sandbox_run.receipts_outstanding()
        echo(f"smsspec: stopped waiting; {left} message{'s' if left != 1 else ''} got no receipt", err=True)


def _confirm(plan: Plan, options: _SendOptions, target: str = "") -> None:
    if not plan.outgoing or options.yes or not sys.stdin.isatty():
        return
    count, people = len(plan.outgoing), plan.recipients
    question = (
        f"Send {count} request{'s' if count != 1 else ''} to {people}"
        f" recipient{'s' if people != 1 else ''} through {', '.join(plan.accounts)}{printable(target)}?"
    )
    if not click.confirm(question, default=False, err=True):
        fail("nothing was sent", EXIT_PROBLEMS)


def _run(
    plan: Plan,
    ledger: Any,
    credentials: dict[str, dict[str, str]],
    redactor: Redactor,
    options: _SendOptions,
) -> Any:
    settings = SendSettings(options.concurrency, options.per_second, options.timeouts, options.max_attempts)
    pairs = requests_of(plan, credentials)
    if not pairs or not sys.stderr.isatty():
        return run_requests(pairs, ledger, redactor, settings, credentials, on_stop=_say_stopping)
    with click.progressbar(length=len(pairs), label="sending", file=sys.stderr) as bar:

        def advance(result: RequestResult) -> None:
            bar.update(1)

        return run_requests(pairs, ledger, redactor, settings, credentials, advance, _say_stopping)


def _say_stopping() -> None:
    """Called from the signal handler when Ctrl-C or SIGTERM stops a run."""
    below_a_bar = "\n" if sys.stderr.isatty() else ""
    sys.stderr.write(
        f"{below_a_bar}smsspec: stopping: no new requests; those in flight get"
        f" {STOP_GRACE_SECONDS:g} s to finish, then are recorded as unknown\n"
    )
    sys.stderr.flush()


def _notes(interrupted: Iterable[Any], ledger_file: str, fmt: str) -> tuple[str, ...]:
    if fmt == "json":
        return ()
    found = list(interrupted)
    notes = []
    if found:
        notes.append(
            f"\n{len(found)} deliver{'y was' if len(found) == 1 else 'ies were'} in flight when an"
            " earlier run stopped; they are now recorded as unknown."
        )
    notes.append(f"\nledger: {shown_path(ledger_file)}")
    return tuple(notes)


def _emit(
    report: SendReport,
    options: _SendOptions,
    redactor: Redactor,
    inbox: list[dict[str, object]] | None = None,
) -> None:

    # The report scrubbed what can carry a secret; the inbox is a provider's record, scrubbed here.
    shown_inbox = None if inbox is None else redactor.scrub_json(inbox)
    if options.fmt == "json":
        data = report.to_json()
        if shown_inbox is not None:
            data["sandbox_inbox"] = shown_inbox
        echo(json.dumps(data, ensure_ascii=False))
        return
    text = report.text(styler(), options.command)
    if shown_inbox is not None:
        text += "\n\nsandbox inbox (messages the sandbox accepted in this run):\n"
        text += printable_lines(format_inbox(shown_inbox))
    echo(text)


def _open(choice: LedgerChoice, *, writable: bool) -> Ledger:
    try:
        return open_ledger(choice, writable=writable)
    except UsageError as exc:
        fail(str(exc))
