"""`smsspec status`: per message and recipient, what the providers said about delivery."""

from __future__ import annotations

import json
import sys

import click

from smsspec.cli.checks import run_checks
from smsspec.cli.options import (
    CONTEXT,
    EXIT_OK,
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
from smsspec.errors import ConfigError, UsageError
from smsspec.model import Config
from smsspec.receipts.polling import refresh
from smsspec.receipts.setup import project_config, project_ledger
from smsspec.report.status import any_failed, delivery, to_json, to_text
from smsspec.send.ledger import Ledger, LedgerError, Location
from smsspec.send.ledger_report import ledger_rows


@click.command(context_settings=CONTEXT)
@paths_argument
@config_option
@ledger_option
@format_option
@click.option("--message", "message_ids", multiple=True, metavar="ID", help="Only this message (repeatable).")
@click.option("--sandbox", "use_sandbox", is_flag=True, help="The ledger of `send --sandbox` runs.")
@click.option("--refresh", is_flag=True, help="First ask providers with a status call about deliveries still open.")
def status(
    paths: tuple[str, ...],
    config_path: str | None,
    ledger_path: str | None,
    fmt: str,
    message_ids: tuple[str, ...],
    use_sandbox: bool,
    refresh: bool,
) -> None:
    """Show, per message and recipient, whether it was delivered: accepted, delivered,
    failed (with the provider's code and reason), pending or unknown, and when.

    Exit 1 when a delivery failed (a receipt said so, or the send was rejected), else 0.

    \b
    Examples:
      smsspec status
      smsspec status messages/ --format json
      smsspec status --message welcome --refresh
    """
    config, wanted = _selection(paths, config_path, message_ids)
    try:
        choice = project_ledger(config, ledger_path, sandbox=use_sandbox)
    except UsageError as exc:
        fail(str(exc))
    if refresh:
        _refresh(config, choice.location, choice.project, wanted)
    try:
        with Ledger.read(choice.location, choice.project) as view:
            deliveries = [delivery(row) for row in ledger_rows(view, wanted)]
    except LedgerError as exc:
        fail(f"cannot read the ledger {choice.location.shown()}: {exc}")
    if fmt == "json":
        echo(json.dumps(to_json(deliveries), ensure_ascii=False))
    else:
        echo(to_text(deliveries, styler()))
        echo(f"\nledger: {shown_path(choice.location.shown())}")
    sys.exit(EXIT_PROBLEMS if any_failed(deliveries) else EXIT_OK)


def _selection(paths: tuple[str, ...], config_path: str | None, message_ids: tuple[str, ...]) -> tuple[Config, tuple[str, ...]]:
    """The project's configuration and the message ids asked about (all: empty)."""
    if not paths:
        try:
            return project_config(config_path), message_ids
        except (ConfigError, UsageError) as exc:
            fail(str(exc))
    result = run_checks(paths, config_path)
    configs = list(result.configs.values())
    if len({c.root for c in configs}) != 1:
        fail("the specs belong to no smsspec.yaml, or to more than one: pass --config")
    ids = {c.message.id for c in result.checked}
    if not ids:
        fail("no message in the given specs could be read: run `smsspec validate` on them")
    chosen = [m for m in message_ids if m in ids] if message_ids else sorted(ids)
    if message_ids and not chosen:
        fail(f"--message {message_ids[0]}: no message with that id in the given specs")
    return configs[0], tuple(chosen)


def _refresh(config: Config, location: Location, project: str, wanted: tuple[str, ...]) -> None:
    try:
        with Ledger.attach(location, project) as ledger:
            done = refresh(ledger, config, wanted)
    except LedgerError as exc:
        fail(f"cannot refresh: {exc}")
    for why in done.skipped:
        echo(f"smsspec: not refreshed: {why}", err=True)
    later = f"; {done.left_for_later} left for a later --refresh" if done.left_for_later else ""
    trouble = f"; {done.failed} call(s) failed" if done.failed else ""
    echo(f"refreshed: {done.asked} status call(s), {done.recorded} answer(s) recorded{trouble}{later}", err=True)
