"""The ``ledger`` group: ``show`` what the send ledger recorded."""

from __future__ import annotations

import json
from pathlib import Path

import click

from smsspec.cli.options import (
    CONTEXT,
    config_option,
    echo,
    fail,
    format_option,
    shown_path,
    styler,
)
from smsspec.load.config import find_config
from smsspec.send.ledger import Ledger, LedgerError
from smsspec.send.ledger_report import ledger_rows, ledger_text
from smsspec.send.service import default_ledger


@click.group(context_settings=CONTEXT)
def ledger() -> None:
    """Inspect the send ledger: what was sent, refused or left uncertain (`ledger show`).

    \b
    Examples:
      smsspec ledger show
      smsspec ledger show --sandbox
    """
@ledger.command("show", context_settings=CONTEXT)
@click.option("--ledger", "ledger_path", metavar="PATH", help="Ledger file (default: .smsspec/ledger.jsonl next to smsspec.yaml).")
@config_option
@format_option
@click.option("--message", "message_ids", multiple=True, metavar="ID", help="Only this message (repeatable).")
@click.option("--sandbox", "use_sandbox", is_flag=True, help="Show the ledger of `send --sandbox` runs.")
def ledger_show(
    ledger_path: str | None, config_path: str | None, fmt: str, message_ids: tuple[str, ...], use_sandbox: bool
) -> None:
    """What happened per message and recipient: status, provider id, error, when.

    \b
    Examples:
      smsspec ledger show
      smsspec ledger show --message welcome --format json
    """
    if ledger_path is not None:
        path = Path(ledger_path)
    else:
        if config_path is not None:
            if not Path(config_path).is_file():
                fail(f"--config {config_path}: no such file")
            found: Path | None = Path(config_path)
        else:
            found = find_config(Path.cwd())
        if found is None:
            fail("no smsspec.yaml here or in any folder above; pass --ledger or --config")
        assert found is not None
        path = default_ledger(found.resolve().parent, use_sandbox)
    try:
        view = Ledger.read(path)
    except (LedgerError, OSError) as exc:
        fail(f"cannot read the ledger: {exc}")
    rows = ledger_rows(view, message_ids)
    if fmt == "json":
        echo(json.dumps({"ledger": str(path), "exists": view.exists, "deliveries": rows}, ensure_ascii=False))
        return
    if not view.exists:
        echo(f"no ledger at {shown_path(path)} yet: nothing has been sent from here")
        return
    echo(ledger_text(rows, styler()))
    echo(f"\nledger: {shown_path(path)}")
