"""The ``sandbox`` group: run the providers' simulator; ``inbox`` lists what it accepted."""

from __future__ import annotations

import json

import click
import httpx

from smsspec.cli.options import CONTEXT, fail, format_option
from smsspec.sandbox import SandboxAccounts, endpoint_paths, format_inbox, serve_forever
from smsspec.sandbox.accounts import SANDBOX_SECRET


@click.group(context_settings=CONTEXT, invoke_without_command=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@click.option("--store", type=click.Path(dir_okay=False), help="Append every accepted message to this JSON Lines file.")
@click.option("--enforce-campaign-check", is_flag=True, help="Skycore refuses messages without a campaign reference.")
@click.pass_context
def sandbox(ctx: click.Context, host: str, port: int, store: str | None, enforce_campaign_check: bool) -> None:
    """Run the built-in simulator of the five providers' APIs (Ctrl-C stops it).

    \b
    Examples:
      smsspec sandbox                        # http://127.0.0.1:8765
      smsspec sandbox --port 9000 --store inbox.jsonl
      smsspec sandbox inbox                  # from another terminal
    """
    if ctx.invoked_subcommand is not None:
        return

    accounts = SandboxAccounts(enforce_campaign_check=enforce_campaign_check)

    def ready(url: str) -> None:
        click.echo(f"smsspec sandbox listening on {url}")
        for provider, path in endpoint_paths().items():
            click.echo(f"  {provider:<12} {url}{path}")
        click.echo(
            f"credentials it accepts: every API key, user name and password is {SANDBOX_SECRET!r};"
            f" WhatCounts realm {SANDBOX_SECRET!r}"
            + ("; Skycore campaign check on" if enforce_campaign_check else "")
        )
        if store:
            click.echo(f"accepted messages are appended to {store}")
        click.echo("list what it received with `smsspec sandbox inbox`; Ctrl-C stops it")

    try:
        serve_forever(host, port, store, accounts, on_ready=ready)
    except OSError as exc:
        fail(f"cannot serve on {host}:{port}: {exc.strerror or exc}")
    click.echo("sandbox stopped")


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
    target = url.rstrip("/") + "/_sandbox/messages"
    try:
        response = httpx.get(target, timeout=5.0)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        fail(f"no sandbox answers at {url} ({type(exc).__name__}); start one with `smsspec sandbox`")
    if response.status_code != 200:
        fail(f"{url} answered HTTP {response.status_code}; is it an smsspec sandbox?")
    try:
        messages = response.json()
    except ValueError:
        fail(f"{url} did not answer JSON; is it an smsspec sandbox?")
    if fmt == "json":
        click.echo(json.dumps(messages, ensure_ascii=False, indent=2))
    else:
        click.echo(format_inbox(messages))


