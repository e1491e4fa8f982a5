"""The ``opt-out`` group: the ledger's own opt-out list (``add``, ``remove``, ``list``, ``import``).

Numbers on it get nothing from this project: ``plan`` and ``send`` skip them,
and a run checks the list again as it claims each delivery, so a number added
while a run is under way gets nothing more from it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import click

from smsspec.cli.commands.ledger import ledger_sandbox_option, shown_ledger
from smsspec.cli.options import (
    CONTEXT,
    EXIT_PROBLEMS,
    config_option,
    echo,
    fail,
    format_option,
    ledger_option,
    shown_path,
)
from smsspec.compliance.optout import normalise
from smsspec.errors import UsageError
from smsspec.load.optouts import read_opt_out_file
from smsspec.load.spec import display_path
from smsspec.send.ledger import Ledger, LedgerError
from smsspec.send.ledger.choice import LedgerChoice
from smsspec.send.service import open_ledger
from smsspec.terminal import printable

MAX_SOURCE_CHARS = 200


@click.group("opt-out", context_settings=CONTEXT)
def opt_out() -> None:
    """Numbers that must get nothing from this project, kept in the ledger.

    The files named under `opt_out: files:` in smsspec.yaml apply as well.

    \b
    Examples:
      smsspec opt-out add +447400123456 --source "STOP reply"
      smsspec opt-out import stops-2026-12.csv
      smsspec opt-out list
      smsspec opt-out remove +447400123456
    """


def _numbers(given: tuple[str, ...]) -> list[str]:
    numbers = []
    for text in given:
        e164, why = normalise(text)
        if e164 is None:
            fail(f"{printable(text)} {why}; nothing was changed")
        numbers.append(e164)
    return numbers


def _open(choice: LedgerChoice, *, writable: bool) -> Ledger:
    try:
        return open_ledger(choice, writable=writable)
    except UsageError as exc:
        fail(str(exc))


def _where(choice: LedgerChoice) -> str:
    return shown_path(choice.location.shown())


@opt_out.command("add", context_settings=CONTEXT)
@click.argument("numbers", nargs=-1, required=True)
@click.option("--source", default="smsspec opt-out add", show_default=True, help="Why or where from, kept with each number (e.g. STOP reply).")
@ledger_option
@config_option
@ledger_sandbox_option
def opt_out_add(numbers: tuple[str, ...], source: str, ledger_path: str | None, config_path: str | None, use_sandbox: bool) -> None:
    """Put numbers on the opt-out list (E.164; spaces and dashes are fine).

    \b
    Examples:
      smsspec opt-out add +447400123456
      smsspec opt-out add "0040 722 123 456" --source "STOP reply 2026-12-01"
    """
    wanted = _numbers(numbers)
    choice = shown_ledger(ledger_path, config_path, use_sandbox)
    added = _change(choice, lambda ledger: ledger.add_opt_outs(wanted, source[:MAX_SOURCE_CHARS]))
    echo(f"added {added} of {len(wanted)} number(s) to the opt-out list of {_where(choice)}")


@opt_out.command("remove", context_settings=CONTEXT)
@click.argument("numbers", nargs=-1, required=True)
@ledger_option
@config_option
@ledger_sandbox_option
def opt_out_remove(numbers: tuple[str, ...], ledger_path: str | None, config_path: str | None, use_sandbox: bool) -> None:
    """Take numbers off the ledger's opt-out list (opt-out files are changed by editing them).

    \b
    Examples:
      smsspec opt-out remove +447400123456
    """
    wanted = _numbers(numbers)
    choice = shown_ledger(ledger_path, config_path, use_sandbox)
    removed = _change(choice, lambda ledger: ledger.remove_opt_outs(wanted))
    echo(f"removed {removed} of {len(wanted)} number(s) from the opt-out list of {_where(choice)}")


@opt_out.command("import", context_settings=CONTEXT)
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--source", default=None, help="Kept with each number.  [default: import FILE]")
@ledger_option
@config_option
@ledger_sandbox_option
def opt_out_import(file: str, source: str | None, ledger_path: str | None, config_path: str | None, use_sandbox: bool) -> None:
    """Add every number of a file: one number a line, or CSV with a `number` column.

    A file with a line that is no number is refused as a whole (exit 1), each
    such line shown as file:line:col.

    \b
    Examples:
      smsspec opt-out import stops-2026-12.csv
      smsspec opt-out import stops.txt --source "provider STOP export"
    """
    path = Path(file)
    shown = display_path(path)
    read = read_opt_out_file(path, shown, (Path(os.path.realpath(path.parent)),), file)
    if read.problems:
        for problem in read.problems:
            where = f"{printable(shown)}:{problem.row}:{problem.column}" if problem.row else printable(shown)
            echo(f"{where}: {printable(problem.message)}", err=True)
        if read.hidden:
            echo(f"{printable(shown)}: {read.hidden} more problem(s)", err=True)
        fail("nothing was imported", EXIT_PROBLEMS)
    choice = shown_ledger(ledger_path, config_path, use_sandbox)
    label = (source or f"import {path.name}")[:MAX_SOURCE_CHARS]
    added = _change(choice, lambda ledger: ledger.add_opt_outs(read.numbers, label))
    echo(f"added {added} of {len(read.numbers)} number(s) from {printable(shown)} to the opt-out list of {_where(choice)}")


@opt_out.command("list", context_settings=CONTEXT)
@format_option
@ledger_option
@config_option
@ledger_sandbox_option
def opt_out_list(fmt: str, ledger_path: str | None, config_path: str | None, use_sandbox: bool) -> None:
    """The ledger's opt-out list: number, when it was added, and where from.

    \b
    Examples:
      smsspec opt-out list
      smsspec opt-out list --format json --sandbox
    """
    choice = shown_ledger(ledger_path, config_path, use_sandbox)
    ledger = _open(choice, writable=False)
    try:
        rows = ledger.opt_outs()
    except LedgerError as exc:
        fail(f"cannot read the ledger {choice.location.shown()}: {exc}")
    finally:
        ledger.close()
    if fmt == "json":
        echo(json.dumps({"ledger": choice.location.shown(), "opt_outs": [
            {"number": n, "added_at": a, "source": s} for n, a, s in rows
        ]}, ensure_ascii=False))
        return
    for number, added, source in rows:
        echo(f"{number}  {added}  {printable(source)}")
    echo(f"{len(rows)} number(s) on the opt-out list of {_where(choice)}")


def _change(choice: LedgerChoice, change: Callable[[Ledger], int]) -> int:
    """Apply ``change`` to the ledger, opened for writing; how many numbers it changed."""
    ledger = _open(choice, writable=True)
    try:
        count = change(ledger)
    except LedgerError as exc:
        fail(f"the ledger {choice.location.shown()} failed: {exc}; nothing was changed")
    finally:
        ledger.close()
    return count
