"""The ``receipts`` group: ``serve`` the receiver of providers' delivery notifications."""

from __future__ import annotations

import contextlib
import signal

import click

from smsspec.cli.options import CONTEXT, config_option, echo, fail, ledger_option
from smsspec.errors import ConfigError, UsageError
from smsspec.receipts.app import listen, serve
from smsspec.receipts.setup import receiver_for
from smsspec.terminal import printable


@click.group(context_settings=CONTEXT)
def receipts() -> None:
    """Receive the delivery notifications providers send after accepting a message.

    \b
    Examples:
      smsspec receipts serve --host 0.0.0.0 --port 8025
    """


@receipts.command("serve", context_settings=CONTEXT)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8025, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@ledger_option
@config_option
@click.option("--sandbox", "use_sandbox", is_flag=True, help="Record into the ledger of `send --sandbox` runs.")
def receipts_serve(host: str, port: int, ledger_path: str | None, config_path: str | None, use_sandbox: bool) -> None:
    """Serve POST /receipts/<account>/<token> for each account with a receipts_token, under
    uvicorn, recording each notification in the ledger `send` uses (give it the same ledger:
    a shared PostgreSQL one when sends run elsewhere). Stops on Ctrl-C or SIGTERM (exit 0).

    \b
    Examples:
      export SKYCORE_RECEIPTS_TOKEN=...    # receipts_token: ${SKYCORE_RECEIPTS_TOKEN}
      smsspec receipts serve --host 0.0.0.0 --port 8025 --ledger "$LEDGER_URL"
    """
    try:
        app, choice = receiver_for(config_path, ledger_path, sandbox=use_sandbox)
    except (ConfigError, UsageError) as exc:
        fail(str(exc))
    try:
        sock = listen(host, port)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    shown = f"[{host}]" if ":" in host else host
    bound = sock.getsockname()[1]
    for name in sorted(app.accounts):
        echo(f"receiving for {printable(name)} at http://{printable(shown)}:{bound}/receipts/{printable(name)}/<token>")
    echo(f"ledger: {printable(choice.location.shown())}")
    signal.signal(signal.SIGTERM, _stopped)  # uvicorn stops gracefully, then passes the signal on
    with contextlib.suppress(KeyboardInterrupt):
        serve(app, sock)
    echo("receiver stopped")


def _stopped(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
