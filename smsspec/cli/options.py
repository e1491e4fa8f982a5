"""What the commands share: exit codes, click settings and options, the terminal.

Defined once here; every module of :mod:`smsspec.cli` takes them from here.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from smsspec.terminal import printable

# Exit codes: 0 fine; 1 problems found (or sends failed, or changes to make); 2 usage or
# configuration error; 130 interrupted.
EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
REPORT_FORMATS = ["text", "json", "github", "sarif", "markdown"]

config_option = click.option(
    "--config", "config_path", metavar="PATH",
    help="smsspec.yaml to use (default: found by walking up from each spec).",
)
paths_argument = click.argument("paths", nargs=-1, type=click.Path())
LEDGER_HELP = (
    "Ledger: a file path or a postgresql:// URL (default: $SMSSPEC_LEDGER, `ledger:` in"
    " smsspec.yaml, else .smsspec/ledger.db next to it)."
)
ledger_option = click.option("--ledger", "ledger_path", metavar="PATH|URL", help=LEDGER_HELP)
format_option = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)

_COLOURS = {"error": "red", "warning": "yellow", "location": None, "ok": "green", "bold": None}


def default_format() -> str:
    """github inside GitHub Actions, text everywhere else."""
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


def use_colour(stream: Any = None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (to anything but "") or TERM=dumb."""
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


def styler(stream: Any = None) -> Callable[[str, str], str]:
    if not use_colour(stream):
        return lambda text, role: text

    def style(text: str, role: str) -> str:
        return click.style(text, fg=_COLOURS.get(role), bold=role in ("location", "bold"))

    return style


_stdout_gone = False


def echo(message: Any = "", file: Any = None, nl: bool = True, err: bool = False) -> bool:
    """``click.echo`` that survives a reader closing standard output (``smsspec ... | head -1``).

    The rest of the output is dropped (standard output is pointed at the null
    device, so nothing fails on the way out either) and the command goes on to
    end with its own exit code. Returns False once standard output is gone.
    """
    global _stdout_gone
    if err or file is not None:
        click.echo(message, file=file, nl=nl, err=err)
        return True
    if _stdout_gone:
        return False
    try:
        click.echo(message, nl=nl)
        return True
    except BrokenPipeError:
        _stdout_gone = True
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, sys.stdout.fileno())
            os.close(null)
        except (AttributeError, OSError, ValueError):  # not a real file (a test runner's buffer)
            pass
        return False


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Say what went wrong on one line (a path or an answer in ``message`` is escaped) and exit."""
    echo(f"smsspec: {printable(message)}", err=True)
    sys.exit(code)


def shown_path(path: str | Path) -> str:
    """A path as the user may have typed it, but never a control character raw on the terminal."""
    return printable(str(path))
