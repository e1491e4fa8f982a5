"""What ``send`` and ``plan`` start from: checked messages, or the report and the exit code."""

from __future__ import annotations

import sys
from collections.abc import Iterable

from smsspec.cli.checks import exit_code_for, run_checks, summary_of
from smsspec.cli.options import EXIT_PROBLEMS, echo, fail, styler
from smsspec.model import CheckedMessage
from smsspec.report.diagnostics import text_report
from smsspec.send.service import env_redactor
from smsspec.validate.check import CheckResult
from smsspec.validate.schema import did_you_mean


def checked_or_exit(paths: Iterable[str], config_path: str | None, strict: bool) -> CheckResult:
    """The checks' result, or their report on standard error and the exit code: nothing is sent."""
    result = run_checks(paths, config_path)
    blocked = exit_code_for(result, strict)
    if blocked or result.warnings:
        text = text_report(summary_of(result), styler(sys.stderr))
        redactor = env_redactor(result.configs.values())
        echo(redactor.scrub(text), err=True)
    if blocked:
        if blocked == EXIT_PROBLEMS:
            echo("smsspec: nothing was sent", err=True)
        sys.exit(blocked)
    return result


def suggest_message(result: CheckResult, wanted: str) -> str:
    """"; did you mean 'login-code'?" for `--message login_code`, or nothing."""
    hint = did_you_mean(wanted, sorted({c.message.id for c in result.checked}))
    return f"; did you mean {hint!r}?" if hint else ""


def select_messages(
    result: CheckResult, message_ids: tuple[str, ...], account_names: tuple[str, ...]
) -> list[CheckedMessage]:
    known_accounts = {name for config in result.configs.values() for name in config.accounts}
    unknown = [a for a in account_names if a not in known_accounts]
    if unknown:
        fail(f"--account {unknown[0]}: no such account (known: {', '.join(sorted(known_accounts)) or 'none'})")
    present = {c.message.id for c in result.checked}
    missing = [m for m in message_ids if m not in present]
    if missing:
        fail(f"--message {missing[0]}: no message with that id in the given specs{suggest_message(result, missing[0])}")
    return [
        c for c in result.checked
        if (not message_ids or c.message.id in message_ids)
        and (not account_names or c.account.name in account_names)
    ]
