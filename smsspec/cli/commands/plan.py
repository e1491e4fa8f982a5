"""`smsspec plan`: what `send` would do, with segments and cost, as a gate for CI."""

from __future__ import annotations

import json
import sys

import click

from smsspec.cli.options import (
    CONTEXT,
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_USAGE,
    config_option,
    echo,
    fail,
    paths_argument,
)
from smsspec.cli.selection import checked_or_exit, select_messages
from smsspec.cli.step_summary import append_step_summary
from smsspec.errors import UsageError
from smsspec.report.plan import gate_failures, summarise, to_json, to_markdown, to_text
from smsspec.send.ledger import LedgerError
from smsspec.send.plan import LATE_CHOICES, Policy, make_plan
from smsspec.send.service import ledger_location, now, open_ledger
from smsspec.terminal import printable, printable_lines


@click.command(context_settings=CONTEXT)
@paths_argument
@config_option
@click.option("--message", "message_ids", multiple=True, metavar="ID", help="Only this message (repeatable).")
@click.option("--account", "account_names", multiple=True, metavar="NAME", help="Only messages of this account (repeatable).")
@click.option("--ledger", "ledger_path", metavar="PATH|URL", help="Ledger to plan against: a path or a postgresql:// URL (default as for `send`).")
@click.option("--sandbox", "use_sandbox", is_flag=True, help="Plan against the sandbox ledger that `send --sandbox` uses.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True,
              help="Output format; under GitHub Actions the Markdown also goes to $GITHUB_STEP_SUMMARY.")
@click.option("--max-cost", type=click.FloatRange(0), metavar="AMOUNT", help="Fail (exit 1) if the plan costs more, in each account's currency.")
@click.option("--max-segments", type=click.IntRange(0), metavar="N", help="Fail (exit 1) if the plan bills more segments.")
@click.option("--retry-rejected", is_flag=True, help="Plan as `send --retry-rejected` would.")
@click.option("--retry-unknown", is_flag=True, help="Plan as `send --retry-unknown` would.")
@click.option("--resend-changed", is_flag=True, help="Plan as `send --resend-changed` would.")
@click.option("--late", type=click.Choice(LATE_CHOICES), default="send", show_default=True, help="Plan as `send --late` would.")
def plan(
    paths: tuple[str, ...],
    config_path: str | None,
    message_ids: tuple[str, ...],
    account_names: tuple[str, ...],
    ledger_path: str | None,
    use_sandbox: bool,
    fmt: str,
    max_cost: float | None,
    max_segments: int | None,
    retry_rejected: bool,
    retry_unknown: bool,
    resend_changed: bool,
    late: str,
) -> None:
    """Show what `send` would do: requests, recipients, segments and cost per account.

    Reads the ledger (never writes it) to show what would be skipped. Exit 0,
    unless --max-cost or --max-segments is exceeded (exit 1).

    \b
    Examples:
      smsspec plan messages/
      smsspec plan messages/ --max-cost 50 --max-segments 10000
      smsspec plan examples/*.sms.yaml --sandbox --format json
      smsspec plan messages/ --format markdown   # for a pull request comment
    """
    result = checked_or_exit(paths, config_path, False)
    selected = select_messages(result, message_ids, account_names)
    if not selected:
        echo(json.dumps({"accounts": [], "totals": {}}) if fmt == "json" else "nothing to plan: no messages selected")
        sys.exit(EXIT_OK)
    try:
        ledger = open_ledger(ledger_location(ledger_path, selected, use_sandbox), writable=False)
    except UsageError as exc:
        fail(str(exc))
    try:
        moment = now()
    except UsageError as exc:
        ledger.close()
        fail(str(exc))
    try:
        planned = make_plan(selected, ledger, Policy(retry_rejected, retry_unknown, resend_changed, late), moment)
    except LedgerError as exc:
        echo(f"smsspec: cannot read the ledger: {printable(str(exc))}", err=True)
        sys.exit(EXIT_USAGE)
    finally:
        ledger.close()
    summary = summarise(selected, planned)
    failures = gate_failures(summary, max_cost, max_segments)
    markdown = to_markdown(summary, failures)
    append_step_summary(markdown)
    if fmt == "json":
        echo(json.dumps(to_json(summary, failures), indent=2, ensure_ascii=False))
    elif fmt == "markdown":
        echo(markdown, nl=False)
    else:
        echo(printable_lines(to_text(summary, failures)))
    sys.exit(EXIT_PROBLEMS if failures else EXIT_OK)
