"""The ``render`` command."""

from __future__ import annotations

import sys

import click

from smsspec.cli.checks import exit_code_for, run_checks, summary_of
from smsspec.cli.options import (
    CONTEXT,
    EXIT_OK,
    config_option,
    echo,
    fail,
    paths_argument,
    styler,
)
from smsspec.cli.selection import select_messages
from smsspec.render.output import env_markers
from smsspec.render.requests import not_applied_notes
from smsspec.render.spread import formatted
from smsspec.report.diagnostics import text_report
from smsspec.validate.cores import jobs


@click.command(context_settings=CONTEXT)
@paths_argument
@config_option
@click.option("--message", "message_ids", multiple=True, metavar="ID", help="Only this message (repeatable).")
@click.option("--account", "account_names", multiple=True, metavar="NAME", help="Only messages of this account (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "curl"]), default="text", show_default=True)
@click.option(
    "--env-refs", is_flag=True,
    help='With --format curl: credentials as "$VARIABLE" from smsspec.yaml, so the command runs as is (the value is never printed).',
)
@click.option("-v", "--verbose", is_flag=True, help="Also say, on stderr, which defaults each message's provider cannot carry (not applied).")
def render(
    paths: tuple[str, ...],
    config_path: str | None,
    message_ids: tuple[str, ...],
    account_names: tuple[str, ...],
    fmt: str,
    env_refs: bool,
    verbose: bool,
) -> None:
    """Show the exact requests each provider would receive (a dry run; secrets shown as ***).

    \b
    Examples:
      smsspec render examples/skycore.sms.yaml
      smsspec render messages/ --message welcome --format json > payloads.json
      smsspec render messages/ --account skycore-prod --format curl --env-refs
    """
    if env_refs and fmt != "curl":
        fail("--env-refs works with --format curl only")
    result = run_checks(paths, config_path)
    if result.errors:
        echo(text_report(summary_of(result), styler(sys.stderr)), err=True)
        sys.exit(exit_code_for(result, False))
    if message_ids:  # only the chosen messages' warnings (and the file's own, which name no message)
        result.diagnostics = [d for d in result.diagnostics if d.message_id is None or d.message_id in message_ids]
    if result.warnings:
        echo(text_report(summary_of(result), styler(sys.stderr)), err=True)
    selected = select_messages(result, message_ids, account_names)
    if verbose:
        for line in not_applied_notes(selected):
            echo(line, err=True)
    credentials = (lambda checked: env_markers(checked.account)) if env_refs else None
    for chunk in formatted(selected, "curl-env" if env_refs else fmt, jobs(), credentials):
        if not echo(chunk, nl=False):
            break  # the reader has gone (`| head`): render no further
    sys.exit(EXIT_OK)
