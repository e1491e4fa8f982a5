"""The ``sandbox`` group: run the providers' simulator; ``inbox`` lists what it accepted."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

import click

from smsspec.cli.options import CONTEXT, echo, fail, format_option, shown_path
from smsspec.sandbox.accounts import SANDBOX_SECRET, SandboxAccounts
from smsspec.sandbox.inbox import format_inbox
from smsspec.sandbox.providers import endpoint_paths, setting_defaults, settings_readers
from smsspec.sandbox.remote import InboxUnavailable, fetch_messages
from smsspec.sandbox.server import serve_forever
from smsspec.terminal import printable_lines


@click.group(context_settings=CONTEXT, invoke_without_command=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@click.option("--store", type=click.Path(dir_okay=False), help="Append every accepted message to this JSON Lines file.")
@click.option(
    "--setting", "settings", multiple=True, metavar="NAME=VALUE",
    help="An account setting the simulations read, as in smsspec.yaml (true/false, or text); repeatable.",
)
@click.pass_context
def sandbox(ctx: click.Context, host: str, port: int, store: str | None, settings: tuple[str, ...]) -> None:
    """Run the built-in simulator of the five providers' APIs (Ctrl-C stops it).

    \b
    Examples:
      smsspec sandbox                        # http://127.0.0.1:8765
      smsspec sandbox --port 9000 --store inbox.jsonl
      smsspec sandbox inbox                  # from another terminal
    """
    if ctx.invoked_subcommand is not None:
        return
    accounts = SandboxAccounts(settings=_sandbox_settings(settings, setting_defaults()))
    chosen = {**setting_defaults(), **accounts.settings}

    def ready(url: str) -> None:
        echo(f"smsspec sandbox listening on {url}")
        for provider, path in endpoint_paths().items():
            echo(f"  {provider:<12} {url}{path}")
        echo(f"credentials it accepts: every API key, user name and password is {SANDBOX_SECRET!r}")
        for name, readers in settings_readers().items():
            echo(f"account setting {name} = {_shown_setting(chosen[name])} ({', '.join(readers)})")
        if store:
            echo(f"accepted messages are appended to {shown_path(store)}")
        echo("list what it received with `smsspec sandbox inbox`; Ctrl-C stops it")

    try:
        serve_forever(host, port, store, accounts, on_ready=ready)
    except OSError as exc:
        fail(f"cannot serve on {host}:{port}: {exc.strerror or exc}")
    echo("sandbox stopped")


def _sandbox_settings(given: Iterable[str], known: Mapping[str, object]) -> dict[str, object]:
    """``--setting NAME=VALUE`` options as settings; ``true``/``false`` are booleans."""
    settings: dict[str, object] = {}
    for item in given:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or name not in known:
            names = ", ".join(sorted(known))
            fail(f"--setting {item!r}: expected NAME=VALUE with NAME one of: {names}")
        if isinstance(known[name], bool):
            flag = {"true": True, "false": False}.get(text.strip().lower())
            if flag is None:
                fail(f"--setting {name}: expected true or false, not {text!r}")
            settings[name] = flag
        else:
            settings[name] = text
    return settings


def _shown_setting(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else repr(value)


@sandbox.command("inbox", context_settings=CONTEXT)
@click.option("--url", default="http://127.0.0.1:8765", show_default=True, help="Where the sandbox runs.")
@format_option
def sandbox_inbox(url: str, fmt: str) -> None:
    """List the messages a running sandbox accepted.

    \b
    Examples:
      smsspec sandbox inbox
      smsspec sandbox inbox --url http://127.0.0.1:9000 --format json
    """
    try:
        messages = fetch_messages(url)
    except InboxUnavailable as problem:
        fail(str(problem))
    if fmt == "json":
        echo(json.dumps(messages, ensure_ascii=False, indent=2))
    else:
        echo(printable_lines(format_inbox(messages)))
