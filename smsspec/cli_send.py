"""The ``send``, ``sandbox`` and ``ledger`` commands.

Only click is imported here at start-up; httpx, the ledger and the sandbox
are imported inside the commands, so ``smsspec validate`` stays quick.

Exit codes of ``send``: 0 every delivery accepted (now or by an earlier run)
or scheduled for later; 1 validation failed, or a delivery was rejected, is
unknown or was not sent (now or left so by an earlier run); 2 usage or
configuration error, a missing credential, a ledger that cannot be used;
130 interrupted.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from smsspec.model import Account, Config
    from smsspec.send.ledger import Ledger
    from smsspec.send.ledger.choice import LedgerChoice
    from smsspec.send.plan import Plan
    from smsspec.send.redact import Redactor
    from smsspec.send.report import SendReport
    from smsspec.send.runner import RequestResult
    from smsspec.send.transport import Timeouts
    from smsspec.validate.check import CheckedMessage, CheckResult

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
LEDGER_HELP = (
    "Ledger: a file path or a postgresql:// URL (default: $SMSSPEC_LEDGER, `ledger:` in"
    " smsspec.yaml, else .smsspec/ledger.db next to it)."
)

config_option = click.option(
    "--config", "config_path", metavar="PATH",
    help="smsspec.yaml to use (default: found by walking up from each spec).",
)
format_option = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)


def _echo(message: Any = "", nl: bool = True, err: bool = False) -> bool:
    from smsspec.cli import echo

    return echo(message, nl=nl, err=err)


def _fail(message: str, code: int = EXIT_USAGE) -> Any:
    from smsspec.cli import fail

    fail(message, code)


def default_ledger(root: str | Path, sandbox: bool = False) -> Path:
    from smsspec.send.ledger.choice import default_ledger as default

    return default(root, sandbox)


# --------------------------------------------------------------------------- send


@click.command(context_settings=CONTEXT)
@click.argument("paths", nargs=-1, type=click.Path())
@config_option
@click.option("--message", "message_ids", multiple=True, metavar="ID", help="Only this message (repeatable).")
@click.option("--account", "account_names", multiple=True, metavar="NAME", help="Only messages of this account (repeatable).")
@click.option("--dry-run", is_flag=True, help="Show what would be sent and skipped; no network, no ledger writes.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation on a terminal.")
@click.option("--ledger", "ledger_path", metavar="PATH|URL", help=LEDGER_HELP)
@click.option("--concurrency", type=click.IntRange(1, 256), default=8, show_default=True, help="Requests in flight at once.")
@click.option("--rate", metavar="N/s", help="At most N requests a second per account (also N/min, N/h).")
@format_option
@click.option("--strict", is_flag=True, help="Send nothing if validation finds warnings too.")
@click.option("--retry-rejected", is_flag=True, help="Send again deliveries an earlier run left rejected.")
@click.option("--retry-unknown", is_flag=True, help="Send again deliveries an earlier run left unknown (may duplicate).")
@click.option("--resend-changed", is_flag=True, help="Send again accepted deliveries whose content changed since.")
@click.option("--connect-timeout", type=click.FloatRange(0, min_open=True), default=5.0, show_default=True, metavar="S")
@click.option("--read-timeout", type=click.FloatRange(0, min_open=True), default=30.0, show_default=True, metavar="S", help="Longest wait for the next bytes of an answer.")
@click.option("--request-deadline", type=click.FloatRange(0, min_open=True), default=None, metavar="S", help="Longest one request may take in all, however slowly its answer comes; then it is unknown.  [default: connect timeout + 2 x read timeout]")
@click.option("--max-attempts", type=click.IntRange(1, 100), default=5, show_default=True, help="Attempts per request when it certainly was not accepted.")
@click.option("--sandbox", "use_sandbox", is_flag=True, help="Send to a built-in sandbox started for this run, with its own ledger.")
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
    connect_timeout: float,
    read_timeout: float,
    request_deadline: float | None,
    max_attempts: int,
    use_sandbox: bool,
) -> None:
    """Send the messages of spec files, at most once per recipient.

    Validates first (nothing is sent if anything is wrong), skips what the
    ledger says was already handled, records every request before and after
    it goes out, and ends with a report and an exit code.

    \b
    Examples:
      smsspec send examples/*.sms.yaml --sandbox
      smsspec send messages/ --dry-run
      smsspec send messages/ --message welcome --yes --format json
      smsspec send messages/ --rate 10/s --concurrency 16
    """
    from smsspec.send.ledger import LedgerError
    from smsspec.send.plan import Policy
    from smsspec.send.ratelimit import parse_rate

    per_second = None
    if rate is not None:
        try:
            per_second = parse_rate(rate)
        except ValueError as exc:
            _fail(f"--rate: {exc}")
    result = checked_or_exit(paths, config_path, strict)
    selected = select_messages(result, message_ids, account_names)
    accounts = {c.account.name: c.account for c in selected}
    redactor = _env_redactor(result.configs.values())
    if not selected:
        _emit_nothing(fmt)
        return
    ledger_file = ledger_location(ledger_path, selected, use_sandbox)
    redactor = _with_ledger_secrets(redactor, ledger_file)
    policy = Policy(retry_rejected, retry_unknown, resend_changed)
    again = ["smsspec", "send", *paths] + (["--config", config_path] if config_path else [])
    again += ["--sandbox"] if use_sandbox else []
    again += ["--ledger", ledger_file.location.shown()] if ledger_path else []
    command = " ".join(shlex.quote(part) for part in again)
    from smsspec.send.transport import Timeouts

    timeouts = Timeouts(connect_timeout, read_timeout, request_deadline)
    options = _SendOptions(concurrency, per_second, timeouts, max_attempts, yes, fmt, command)
    try:
        if dry_run:
            _dry_run(selected, accounts, ledger_file, policy, use_sandbox, redactor, options)
        else:
            _send(selected, accounts, ledger_file, policy, use_sandbox, options)
    except LedgerError as exc:  # the store failed while reading or writing
        text = _with_ledger_secrets(redactor, ledger_file).scrub(str(exc))
        _fail(f"the ledger {ledger_file.location.shown()} failed: {text}")
    except Exception as exc:  # a bug: reported in one line, and never with a secret in it
        from smsspec.providers import ProviderError

        if isinstance(exc, ProviderError):
            raise  # not a bug: the provider's files are refused, as every command does (exit 2)
        if os.environ.get("SMSSPEC_DEBUG"):
            raise
        redactor = _with_ledger_secrets(_env_redactor([c.config for c in selected]), ledger_file)
        text = redactor.scrub(f"{type(exc).__name__}: {exc}")
        _fail(f"internal error: {text} (set SMSSPEC_DEBUG=1 for details and please report it)")


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
    ) -> None:
        self.concurrency = concurrency
        self.per_second = per_second
        self.timeouts = timeouts
        self.max_attempts = max_attempts
        self.yes = yes
        self.fmt = fmt
        self.command = command


def checked_or_exit(paths: Iterable[str], config_path: str | None, strict: bool) -> CheckResult:
    from smsspec.cli import exit_code_for, run_checks, styler, summary_of
    from smsspec.report import text_report

    result = run_checks(paths, config_path)
    blocked = exit_code_for(result, strict)
    if blocked or result.warnings:
        text = text_report(summary_of(result), styler(sys.stderr))
        redactor = _env_redactor(result.configs.values())
        _echo(redactor.scrub(text), err=True)
    if blocked:
        if blocked == EXIT_PROBLEMS:
            _echo("smsspec: nothing was sent", err=True)
        sys.exit(blocked)
    return result


def select_messages(
    result: CheckResult, message_ids: tuple[str, ...], account_names: tuple[str, ...]
) -> list[CheckedMessage]:
    known_accounts = {name for config in result.configs.values() for name in config.accounts}
    unknown = [a for a in account_names if a not in known_accounts]
    if unknown:
        _fail(f"--account {unknown[0]}: no such account (known: {', '.join(sorted(known_accounts)) or 'none'})")
    present = {c.message.id for c in result.checked}
    missing = [m for m in message_ids if m not in present]
    if missing:
        _fail(f"--message {missing[0]}: no message with that id in the given specs")
    return [
        c for c in result.checked
        if (not message_ids or c.message.id in message_ids)
        and (not account_names or c.account.name in account_names)
    ]


def _env_redactor(configs: Iterable[Config]) -> Redactor:
    """A redactor for every credential the configs reference that is set in the environment."""
    from smsspec.config import ENV_REFERENCE
    from smsspec.send.redact import Redactor

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


def ledger_location(ledger_path: str | None, selected: list[CheckedMessage], sandbox: bool) -> LedgerChoice:
    """The ledger a run uses (see :mod:`smsspec.send.ledger.choice`); exit 2 if it cannot be told."""
    from smsspec.send.ledger import LedgerError
    from smsspec.send.ledger.choice import choose_ledger, sends_to_sandbox

    try:
        to_sandbox = sandbox or (ledger_path is None and sends_to_sandbox(c.account for c in selected))
        return choose_ledger(ledger_path, (c.config for c in selected), sandbox=to_sandbox)
    except LedgerError as exc:
        return _fail(str(exc))  # type: ignore[no-any-return]


def _with_ledger_secrets(redactor: Redactor, choice: LedgerChoice) -> Redactor:
    from smsspec.send.redact import Redactor

    secrets = choice.location.secrets()
    if not secrets:
        return redactor
    extra = Redactor.for_credentials([{f"ledger{n}": s for n, s in enumerate(secrets)}])
    return Redactor(redactor.forms | extra.forms)


def open_ledger(choice: LedgerChoice, *, writable: bool, importing: bool = False) -> Ledger:
    """The chosen ledger, opened; exit 2 with a clear message (never a secret) if it cannot be."""
    from smsspec.send.ledger import Ledger, LedgerError
    from smsspec.send.ledger.choice import unimported

    old = None if importing else unimported(choice)
    if old is not None:
        _fail(
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
        return _fail(text)  # type: ignore[no-any-return]


def _emit_nothing(fmt: str) -> None:
    if fmt == "json":
        _echo(json.dumps({"summary": {"requests": 0, "exit_code": 0}, "requests": [], "skipped": []}))
    else:
        _echo("nothing to send: no messages selected")


def _resolve_credentials(accounts: Mapping[str, Account], names: Iterable[str]) -> dict[str, dict[str, str]]:
    from smsspec.config import CredentialError, resolve_credentials

    resolved: dict[str, dict[str, str]] = {}
    for name in names:
        try:
            resolved[name] = resolve_credentials(accounts[name])
        except CredentialError as exc:
            _fail(f"{exc}; nothing was sent")
    return resolved


def _now() -> Any:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)


def _dry_run(
    selected: list[CheckedMessage],
    accounts: Mapping[str, Account],
    ledger_file: LedgerChoice,
    policy: Any,
    use_sandbox: bool,
    redactor: Redactor,
    options: _SendOptions,
) -> None:
    from smsspec.send.plan import make_plan
    from smsspec.send.report import SendReport
    from smsspec.send.sandboxed import PLACEHOLDER_URL, sandbox_endpoint

    view = open_ledger(ledger_file, writable=False)
    try:
        endpoint_for = (lambda a: sandbox_endpoint(PLACEHOLDER_URL, a)) if use_sandbox else None
        plan = make_plan(selected, view, policy, _now(), endpoint_for)
    finally:
        view.close()
    missing = [] if use_sandbox else _missing_credentials(accounts, plan.accounts)
    shown = f"\nledger: {_path(ledger_file.location.shown())}" + ("" if view.exists else " (not created yet)")
    notes = () if options.fmt == "json" else (shown,)
    report = SendReport(plan, None, notes, redactor)
    _emit(report, options, redactor)
    if missing:
        _fail(f"{missing[0]}; a real send would stop here")
    sys.exit(report.exit_code())


def _missing_credentials(accounts: Mapping[str, Account], names: Iterable[str]) -> list[str]:
    from smsspec.config import CredentialError, resolve_credentials

    missing = []
    for name in names:
        try:
            resolve_credentials(accounts[name])
        except CredentialError as exc:
            missing.append(str(exc))
    return missing


def _send(
    selected: list[CheckedMessage],
    accounts: Mapping[str, Account],
    ledger_file: LedgerChoice,
    policy: Any,
    use_sandbox: bool,
    options: _SendOptions,
) -> None:
    from smsspec.send.plan import make_plan
    from smsspec.send.redact import Redactor
    from smsspec.send.report import SendReport
    from smsspec.send.sandboxed import SandboxRun

    redactor = _with_ledger_secrets(_env_redactor([c.config for c in selected]), ledger_file)
    path = ledger_file.location.path
    new_local = ledger_file.local_default and path is not None and not path.exists()
    ledger = open_ledger(ledger_file, writable=True)
    if new_local and os.environ.get("CI") == "true":
        _echo(
            f"smsspec: warning: CI is set and the ledger {_path(path or '')} was just created on this machine;"
            " if this runner is thrown away, the next run will not know what this one sent and will"
            " send it again. Keep the ledger in a shared PostgreSQL database (--ledger,"
            " SMSSPEC_LEDGER or `ledger:` in smsspec.yaml; see the README)",
            err=True,
        )
    sandbox_run = None
    try:
        if use_sandbox:
            sandbox_run = SandboxRun.start(accounts)
        plan = make_plan(
            selected, ledger, policy, _now(), sandbox_run.endpoint_for if sandbox_run else None
        )
        if sandbox_run is not None:
            credentials = {name: sandbox_run.credentials[name] for name in plan.accounts}
        else:
            credentials = _resolve_credentials(accounts, plan.accounts)
        redactor = Redactor(redactor.forms | Redactor.for_credentials(credentials.values()).forms)
        _confirm(plan, options)
        run = _run(plan, ledger, credentials, redactor, options)
        notes = _notes(ledger.interrupted_on_open, ledger_file.location.shown(), options.fmt)
        if sandbox_run is not None and not plan.outgoing and options.fmt == "text":
            notes += (
                "\nNothing new to send to the sandbox: its ledger says it was all sent before"
                f" (`smsspec ledger show --sandbox`). To start over, delete {_path(ledger_file.location.shown())}.",
            )
        report = SendReport(plan, run, notes, redactor)
        inbox = sandbox_run.sandbox.messages() if sandbox_run else None
    finally:
        ledger.close()
        if sandbox_run is not None:
            sandbox_run.stop()
    _emit(report, options, redactor, inbox)
    if run.interrupted:
        _echo("smsspec: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(report.exit_code())


def _confirm(plan: Plan, options: _SendOptions) -> None:
    if not plan.outgoing or options.yes or not sys.stdin.isatty():
        return
    count, people = len(plan.outgoing), plan.recipients
    question = (
        f"Send {count} request{'s' if count != 1 else ''} to {people}"
        f" recipient{'s' if people != 1 else ''} through {', '.join(plan.accounts)}?"
    )
    if not click.confirm(question, default=False, err=True):
        _fail("nothing was sent", EXIT_PROBLEMS)


def _run(
    plan: Plan,
    ledger: Any,
    credentials: dict[str, dict[str, str]],
    redactor: Redactor,
    options: _SendOptions,
) -> Any:
    from smsspec.send.plan import with_credentials
    from smsspec.send.ratelimit import RateLimiter
    from smsspec.send.runner import Runner
    from smsspec.send.transport import RetryPolicy, Transport

    pairs = with_credentials(plan.outgoing, credentials)
    limiter = RateLimiter(options.per_second)
    transport = Transport(
        concurrency=options.concurrency,
        timeouts=options.timeouts,
        policy=RetryPolicy(max_attempts=options.max_attempts),
        limiter=limiter,
    )
    with transport, _stop_on_signal(transport.stop):
        runner = Runner(ledger, transport, redactor, options.concurrency, credentials)
        if not pairs or not sys.stderr.isatty():
            return runner.run(pairs)
        with click.progressbar(length=len(pairs), label="sending", file=sys.stderr) as bar:

            def advance(result: RequestResult) -> None:
                bar.update(1)

            return runner.run(pairs, advance)


@contextlib.contextmanager
def _stop_on_signal(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C and SIGTERM (a cancelled CI job) stop a run: no request starts after
    the signal, and those in flight get a short grace to finish, then end as
    unknown; all are recorded. The stop is set in the handler itself, so no
    worker starts another request while the main thread gets to the
    KeyboardInterrupt."""
    import signal

    from smsspec.send.deadline import STOP_GRACE_SECONDS

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
    notes.append(f"\nledger: {_path(ledger_file)}")
    return tuple(notes)


def _path(path: str | Path) -> str:
    """A path as the user may have typed it, but never a control character raw on the terminal."""
    from smsspec.terminal import printable

    return printable(str(path))


def _emit(
    report: SendReport,
    options: _SendOptions,
    redactor: Redactor,
    inbox: list[dict[str, object]] | None = None,
) -> None:
    from smsspec.cli import styler

    # The report scrubbed what can carry a secret; the inbox is a provider's record, scrubbed here.
    shown_inbox = None if inbox is None else redactor.scrub_json(inbox)
    if options.fmt == "json":
        data = report.to_json()
        if shown_inbox is not None:
            data["sandbox_inbox"] = shown_inbox
        _echo(json.dumps(data, ensure_ascii=False))
        return
    text = report.text(styler(), options.command)
    if shown_inbox is not None:
        from smsspec.sandbox import format_inbox
        from smsspec.terminal import printable_lines

        text += "\n\nsandbox inbox (messages the sandbox accepted in this run):\n"
        text += printable_lines(format_inbox(shown_inbox))
    _echo(text)


# --------------------------------------------------------------------------- sandbox


@click.group(context_settings=CONTEXT, invoke_without_command=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@click.option("--store", type=click.Path(dir_okay=False), help="Append every accepted message to this JSON Lines file.")
@click.option(
    "--setting", "settings", multiple=True, metavar="NAME=VALUE",
    help="An account setting the simulations read, as in smsspec.yaml (true/false, or text); repeatable.",
)
@click.pass_context
def sandbox(ctx: click.Context, host: str, port: int, store: str | None, settings: tuple[str, ...]) -> None:
    """Run the built-in simulator of the five providers' APIs (Ctrl-C stops it).

    \b
    Examples:
      smsspec sandbox                        # http://127.0.0.1:8765
      smsspec sandbox --port 9000 --store inbox.jsonl
      smsspec sandbox inbox                  # from another terminal
    """
    if ctx.invoked_subcommand is not None:
        return
    from smsspec.sandbox.accounts import SANDBOX_SECRET, SandboxAccounts
    from smsspec.sandbox.providers import endpoint_paths, setting_defaults, settings_readers
    from smsspec.sandbox.server import serve_forever

    accounts = SandboxAccounts(settings=_sandbox_settings(settings, setting_defaults()))
    chosen = {**setting_defaults(), **accounts.settings}

    def ready(url: str) -> None:
        _echo(f"smsspec sandbox listening on {url}")
        for provider, path in endpoint_paths().items():
            _echo(f"  {provider:<12} {url}{path}")
        _echo(f"credentials it accepts: every API key, user name and password is {SANDBOX_SECRET!r}")
        for name, readers in settings_readers().items():
            _echo(f"account setting {name} = {_shown_setting(chosen[name])} ({', '.join(readers)})")
        if store:
            _echo(f"accepted messages are appended to {_path(store)}")
        _echo("list what it received with `smsspec sandbox inbox`; Ctrl-C stops it")

    try:
        serve_forever(host, port, store, accounts, on_ready=ready)
    except OSError as exc:
        _fail(f"cannot serve on {host}:{port}: {exc.strerror or exc}")
    _echo("sandbox stopped")


def _sandbox_settings(given: Iterable[str], known: Mapping[str, object]) -> dict[str, object]:
    """``--setting NAME=VALUE`` options as settings; ``true``/``false`` are booleans."""
    settings: dict[str, object] = {}
    for item in given:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or name not in known:
            names = ", ".join(sorted(known))
            _fail(f"--setting {item!r}: expected NAME=VALUE with NAME one of: {names}")
        if isinstance(known[name], bool):
            flag = {"true": True, "false": False}.get(text.strip().lower())
            if flag is None:
                _fail(f"--setting {name}: expected true or false, not {text!r}")
            settings[name] = flag
        else:
            settings[name] = text
    return settings


def _shown_setting(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else repr(value)


@sandbox.command("inbox", context_settings=CONTEXT)
@click.option("--url", default="http://127.0.0.1:8765", show_default=True, help="Where the sandbox runs.")
@format_option
def sandbox_inbox(url: str, fmt: str) -> None:
    """List the messages a running sandbox accepted.

    \b
    Examples:
      smsspec sandbox inbox
      smsspec sandbox inbox --url http://127.0.0.1:9000 --format json
    """
    from smsspec.sandbox.inbox import format_inbox
    from smsspec.sandbox.remote import InboxUnavailable, fetch_messages

    try:
        messages = fetch_messages(url)
    except InboxUnavailable as problem:
        _fail(str(problem))
    if fmt == "json":
        _echo(json.dumps(messages, ensure_ascii=False, indent=2))
    else:
        from smsspec.terminal import printable_lines

        _echo(printable_lines(format_inbox(messages)))


# --------------------------------------------------------------------------- ledger


@click.group(context_settings=CONTEXT)
def ledger() -> None:
    """Inspect the send ledger: what was sent, refused or left uncertain (`ledger show`).

    \b
    Examples:
      smsspec ledger show
      smsspec ledger show --sandbox
    """


def _shown_ledger(ledger_path: str | None, config_path: str | None, use_sandbox: bool) -> LedgerChoice:
    """The ledger that `ledger show/import/export` work on."""
    from smsspec.config import find_config, load_config
    from smsspec.send.ledger import LedgerError
    from smsspec.send.ledger.choice import choose_ledger

    configs = []
    if config_path is not None:
        if not Path(config_path).is_file():
            _fail(f"--config {config_path}: no such file")
        found: Path | None = Path(config_path)
    else:
        found = find_config(Path.cwd())
    if found is not None:
        config, _ = load_config(found)
        if config is not None:
            configs.append(config)
    if not configs and ledger_path is None and not os.environ.get("SMSSPEC_LEDGER"):
        _fail("no smsspec.yaml here or in any folder above; pass --ledger or --config")
    try:
        if not configs:
            from smsspec.send.ledger import DEFAULT_PROJECT, parse_location
            from smsspec.send.ledger.choice import LedgerChoice

            where = ledger_path or os.environ["SMSSPEC_LEDGER"]
            return LedgerChoice(parse_location(where), DEFAULT_PROJECT, "--ledger")
        accounts = [a for c in configs for a in c.accounts.values()]
        to_sandbox = use_sandbox or (ledger_path is None and _all_loopback(accounts))
        return choose_ledger(ledger_path, configs, sandbox=to_sandbox)
    except LedgerError as exc:
        return _fail(str(exc))  # type: ignore[no-any-return]


def _all_loopback(accounts: list[Account]) -> bool:
    from smsspec.send.ledger.choice import is_loopback

    return bool(accounts) and all(is_loopback(a.endpoint) for a in accounts)


ledger_option = click.option("--ledger", "ledger_path", metavar="PATH|URL", help=LEDGER_HELP)
ledger_sandbox_option = click.option(
    "--sandbox", "use_sandbox", is_flag=True, help="The ledger of `send --sandbox` runs."
)


@ledger.command("show", context_settings=CONTEXT)
@ledger_option
@config_option
@format_option
@click.option("--message", "message_ids", multiple=True, metavar="ID", help="Only this message (repeatable).")
@ledger_sandbox_option
def ledger_show(
    ledger_path: str | None, config_path: str | None, fmt: str, message_ids: tuple[str, ...], use_sandbox: bool
) -> None:
    """What happened per message and recipient: status, provider id, error, when.

    \b
    Examples:
      smsspec ledger show
      smsspec ledger show --message welcome --format json
    """
    from smsspec.cli import styler
    from smsspec.send.ledger_report import ledger_rows, ledger_text

    choice = _shown_ledger(ledger_path, config_path, use_sandbox)
    view = open_ledger(choice, writable=False)
    try:
        rows = ledger_rows(view, message_ids)
    except Exception as exc:  # a damaged store found while reading
        view.close()
        _fail(f"cannot read the ledger {choice.location.shown()}: {exc}")
    view.close()
    shown = choice.location.shown()
    if fmt == "json":
        _echo(json.dumps({"ledger": shown, "exists": view.exists, "deliveries": rows}, ensure_ascii=False))
        return
    if not view.exists:
        _echo(f"no ledger at {_path(shown)} yet: nothing has been sent from here")
        return
    _echo(ledger_text(rows, styler()))
    _echo(f"\nledger: {_path(shown)}")


@ledger.command("export", context_settings=CONTEXT)
@ledger_option
@config_option
@click.option("--message", "message_ids", multiple=True, metavar="ID", help="Only this message (repeatable).")
@ledger_sandbox_option
def ledger_export(
    ledger_path: str | None, config_path: str | None, message_ids: tuple[str, ...], use_sandbox: bool
) -> None:
    """Write every delivery as JSON Lines (one object a line; no secret), e.g. for a bug report.

    \b
    Examples:
      smsspec ledger export > ledger.jsonl
    """
    from smsspec.send.ledger_report import ledger_rows

    choice = _shown_ledger(ledger_path, config_path, use_sandbox)
    view = open_ledger(choice, writable=False)
    try:
        rows = ledger_rows(view, message_ids)
    except Exception as exc:
        view.close()
        _fail(f"cannot read the ledger {choice.location.shown()}: {exc}")
    view.close()
    for row in rows:
        _echo(json.dumps(row, ensure_ascii=False, separators=(",", ":")))


@ledger.command("import", context_settings=CONTEXT)
@click.argument("old", type=click.Path(dir_okay=False))
@ledger_option
@config_option
@ledger_sandbox_option
def ledger_import(old: str, ledger_path: str | None, config_path: str | None, use_sandbox: bool) -> None:
    """Bring an old JSON Lines ledger (.smsspec/ledger.jsonl) into the ledger; safe to repeat.

    Deliveries the ledger already knows are left as they are.

    \b
    Examples:
      smsspec ledger import .smsspec/ledger.jsonl
    """
    from smsspec.send.ledger import LedgerError
    from smsspec.send.ledger.jsonl import import_jsonl

    choice = _shown_ledger(ledger_path, config_path, use_sandbox)
    ledger = open_ledger(choice, writable=True, importing=True)
    try:
        added, known, skipped = import_jsonl(Path(old), ledger)
    except (LedgerError, OSError) as exc:
        _fail(f"cannot import {old}: {exc}")
    finally:
        ledger.close()
    _echo(
        f"imported {added} deliver{'y' if added == 1 else 'ies'} into {_path(choice.location.shown())};"
        f" {known} already known" + (f"; {skipped} unreadable line(s) skipped" if skipped else "")
    )
