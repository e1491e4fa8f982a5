"""The ``ledger`` group: ``show``, ``export`` and ``import`` what the send ledger recorded."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from smsspec.cli.options import (
    CONTEXT,
    config_option,
    echo,
    fail,
    format_option,
    ledger_option,
    shown_path,
    styler,
)
from smsspec.errors import UsageError
from smsspec.load.config import find_config
from smsspec.model import Account
from smsspec.send.ledger import DEFAULT_PROJECT, Ledger, LedgerError, parse_location
from smsspec.send.ledger.choice import LedgerChoice, choose_ledger, is_loopback
from smsspec.send.ledger.jsonl import import_jsonl
from smsspec.send.ledger_report import ledger_rows, ledger_text
from smsspec.send.service import open_ledger
from smsspec.validate.config_checks import load_config


@click.group(context_settings=CONTEXT)
def ledger() -> None:
    """Inspect the send ledger: what was sent, refused or left uncertain (`ledger show`).

    \b
    Examples:
      smsspec ledger show
      smsspec ledger show --sandbox
    """
def shown_ledger(ledger_path: str | None, config_path: str | None, use_sandbox: bool) -> LedgerChoice:
    """The ledger that `ledger show/import/export` work on."""
    configs = []
    if config_path is not None:
        if not Path(config_path).is_file():
            fail(f"--config {config_path}: no such file")
        found: Path | None = Path(config_path)
    else:
        found = find_config(Path.cwd())
    if found is not None:
        config, _ = load_config(found)
        if config is not None:
            configs.append(config)
    if not configs and ledger_path is None and not os.environ.get("SMSSPEC_LEDGER"):
        fail("no smsspec.yaml here or in any folder above; pass --ledger or --config")
    try:
        if not configs:
            where = ledger_path or os.environ["SMSSPEC_LEDGER"]
            return LedgerChoice(parse_location(where), DEFAULT_PROJECT, "--ledger")
        accounts = [a for c in configs for a in c.accounts.values()]
        to_sandbox = use_sandbox or (ledger_path is None and _all_loopback(accounts))
        return choose_ledger(ledger_path, configs, sandbox=to_sandbox)
    except LedgerError as exc:
        fail(str(exc))


def _all_loopback(accounts: list[Account]) -> bool:
    return bool(accounts) and all(is_loopback(a.endpoint) for a in accounts)


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
    choice = shown_ledger(ledger_path, config_path, use_sandbox)
    view = _open(choice, writable=False)
    try:
        rows = ledger_rows(view, message_ids)
    except Exception as exc:  # a damaged store found while reading
        view.close()
        fail(f"cannot read the ledger {choice.location.shown()}: {exc}")
    view.close()
    shown = choice.location.shown()
    if fmt == "json":
        echo(json.dumps({"ledger": shown, "exists": view.exists, "deliveries": rows}, ensure_ascii=False))
        return
    if not view.exists:
        echo(f"no ledger at {shown_path(shown)} yet: nothing has been sent from here")
        return
    echo(ledger_text(rows, styler()))
    echo(f"\nledger: {shown_path(shown)}")


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
    choice = shown_ledger(ledger_path, config_path, use_sandbox)
    view = _open(choice, writable=False)
    try:
        rows = ledger_rows(view, message_ids)
    except Exception as exc:
        view.close()
        fail(f"cannot read the ledger {choice.location.shown()}: {exc}")
    view.close()
    for row in rows:
        echo(json.dumps(row, ensure_ascii=False, separators=(",", ":")))


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
    choice = shown_ledger(ledger_path, config_path, use_sandbox)
    ledger = _open(choice, writable=True, importing=True)
    try:
        added, known, skipped = import_jsonl(Path(old), ledger)
    except (LedgerError, OSError) as exc:
        fail(f"cannot import {old}: {exc}")
    finally:
        ledger.close()
    echo(
        f"imported {added} deliver{'y' if added == 1 else 'ies'} into {shown_path(choice.location.shown())};"
        f" {known} already known" + (f"; {skipped} unreadable line(s) skipped" if skipped else "")
    )


def _open(choice: LedgerChoice, *, writable: bool, importing: bool = False) -> Ledger:
    try:
        return open_ledger(choice, writable=writable, importing=importing)
    except UsageError as exc:
        fail(str(exc))
