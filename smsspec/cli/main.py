"""The command line's root: the ``smsspec`` group, its error handling, and lazy commands.

Each command lives in ``smsspec/cli/commands/<name>.py`` and is imported only
when it runs (or when ``--help`` lists it), so ``smsspec validate`` loads
nothing the other commands need. Only :mod:`smsspec.cli` prints or exits.
Exit codes: see :mod:`smsspec.cli.options`.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
from typing import Any

import click

from smsspec._version import __version__
from smsspec.cli.options import CONTEXT, EXIT_OK, EXIT_USAGE, echo, fail
from smsspec.errors import ProviderError
from smsspec.terminal import printable

# Command name -> the module in smsspec.cli.commands that defines it (under the module's name).
COMMANDS = {
    "diff": "diff",
    "fix": "fix",
    "init": "init",
    "ledger": "ledger",
    "opt-out": "opt_out",
    "plan": "plan",
    "preview": "preview",
    "providers": "providers",
    "receipts": "receipts",
    "render": "render",
    "rules": "rules",
    "sandbox": "sandbox",
    "schema": "schema",
    "segments": "segments",
    "send": "send",
    "status": "status",
    "validate": "validate",
}


class Group(click.Group):
    """Loads a command's module only when the command is used, and turns every
    unexpected exception into one clear line instead of a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMANDS.get(cmd_name)
        if module is None:
            return None
        command = getattr(importlib.import_module(f"smsspec.cli.commands.{module}"), module)
        assert isinstance(command, click.Command)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except BrokenPipeError:
            sys.stderr.close()
            sys.exit(EXIT_OK)
        except ProviderError as exc:  # a provider's own files are broken: a configuration error
            echo("smsspec: " + "\n".join(printable(line) for line in str(exc).splitlines()), err=True)
            sys.exit(EXIT_USAGE)
        except Exception as exc:  # the last line of defence: a bug, reported without a traceback
            if os.environ.get("SMSSPEC_DEBUG"):
                raise
            fail(f"internal error: {type(exc).__name__}: {exc} (set SMSSPEC_DEBUG=1 for details and please report it)")


@click.group(cls=Group, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="smsspec")
def main() -> None:
    """Validate, render and send SMS message specs written in YAML.

    \b
    Examples:
      smsspec init my-sms --account main=sendmachine
      smsspec validate messages/
      smsspec render messages/welcome.sms.yaml --format curl
      smsspec segments "Hi Ann, your order has shipped"
    """
    # A run builds many objects that live until it ends (YAML nodes, messages, requests);
    # the default collector would scan them again every 700 allocations, for nothing.
    gc.set_threshold(100_000, 50, 100)
