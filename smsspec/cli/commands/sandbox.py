"""The ``sandbox`` group: run the providers' simulator; ``inbox`` lists what it accepted."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

import click

from smsspec.cli.options import CONTEXT, echo, fail, format_option, shown_path
from smsspec.errors import InboxUnavailable
from smsspec.sandbox import running
from smsspec.sandbox.accounts import SANDBOX_SECRET, SandboxAccounts
from smsspec.sandbox.inbox import format_inbox
from smsspec.sandbox.providers import QUERIES, endpoint_paths, setting_defaults, settings_readers
from smsspec.sandbox.receipts import (
    ReceiptSettings,
    masked_url,
    parse_receipt_options,
    receipt_urls,
)
from smsspec.sandbox.remote import fetch_messages
from smsspec.sandbox.server import DEFAULT_HOST, DEFAULT_PORT, serve_forever
from smsspec.terminal import printable, printable_lines


@click.group(context_settings=CONTEXT, invoke_without_command=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@click.option("--store", type=click.Path(dir_okay=False), help="Append every accepted message to this JSON Lines file.")
@click.option(
    "--setting", "settings", multiple=True, metavar="NAME=VALUE",
    help="An account setting the simulations read, as in smsspec.yaml (true/false, or text); repeatable.",
)
@click.option(
    "--receipts-url", "receipts_urls", multiple=True, metavar="[PROVIDER=]URL",
    help="Post delivery receipts here (a receiver's /receipts/<account>/<token>); PROVIDER= for one provider only; repeatable.",
)
@click.option(
    "--receipts", "receipt_options", default="", metavar="NAME=VALUE,...",
    help="delay=SECONDS (1), failed= lost= duplicated= reordered= SHARE from 0 to 1 (0), seed=N (0).",
)
@click.pass_context
def sandbox(
    ctx: click.Context,
    host: str,
    port: int,
    store: str | None,
    settings: tuple[str, ...],
    receipts_urls: tuple[str, ...],
    receipt_options: str,
) -> None:
    """Run the built-in simulator of the five providers' APIs (Ctrl-C stops it).

    \b
    Examples:
      smsspec sandbox                        # http://127.0.0.1:8765
      smsspec sandbox --port 9000 --store inbox.jsonl
      smsspec sandbox --receipts-url http://127.0.0.1:8080/receipts/sky/TOKEN \\
                      --receipts failed=0.2,duplicated=0.1,seed=7
      smsspec sandbox inbox                  # from another terminal
    """
    if ctx.invoked_subcommand is not None:
        return
    accounts = SandboxAccounts(settings=_sandbox_settings(settings, setting_defaults()))
    chosen = {**setting_defaults(), **accounts.settings}
    try:
        receipts = ReceiptSettings(receipt_urls(receipts_urls), **parse_receipt_options(receipt_options))  # type: ignore[arg-type]
    except ValueError as problem:
        fail(f"--receipts-url/--receipts: {problem}")

    state = running.state_file_for(Path.cwd())
    recorded: list[Path] = []

    def ready(url: str) -> None:
        echo(f"smsspec sandbox listening on {url}")
        for provider, path in endpoint_paths().items():
            echo(f"  {provider:<12} {url}{path}")
        for query in QUERIES:
            echo(f"  {query.provider:<12} {url}{query.path} (status call)")
        echo(f"credentials it accepts: every API key, user name and password is {SANDBOX_SECRET!r}")
        for name, readers in settings_readers().items():
            echo(f"account setting {name} = {_shown_setting(chosen[name])} ({', '.join(readers)})")
        if store:
            echo(f"accepted messages are appended to {shown_path(store)}")
        for line in _receipt_lines(receipts):
            echo(line)
        if running.is_local_url(url) and running.record(state, url):
            recorded.append(state)
            echo(f"recorded in {shown_path(state)}: `smsspec send --sandbox` in this project sends here")
        echo("list what it received with `smsspec sandbox inbox`; Ctrl-C stops it")

    try:
        serve_forever(host, port, store, accounts, on_ready=ready, receipts=receipts)
    except OSError as exc:
        fail(f"cannot serve on {host}:{port}: {exc.strerror or exc}")
    finally:
        for path in recorded:
            running.forget(path)
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


def _receipt_lines(receipts: ReceiptSettings) -> list[str]:
    shares = ", ".join(f"{name} {getattr(receipts, name):.0%}" for name in ("failed", "lost", "duplicated", "reordered"))
    how = f"{receipts.delay:g} s after a message is accepted; {shares}; seed {receipts.seed}"
    if not receipts.urls:
        return [f"delivery receipts: none posted (no --receipts-url); outcomes decided {how}"]
    lines = [f"delivery receipts: posted {how}"]
    for provider, target in receipts.urls.items():
        shown = "every provider that documents receipts" if provider == "*" else provider
        lines.append(f"  {shown}: {printable(masked_url(target))}")
    return lines


def _shown_setting(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else repr(value)


@sandbox.command("inbox", context_settings=CONTEXT)
@click.option("--host", default=None, help="Where the sandbox listens  [default: 127.0.0.1]")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Its port, as given to `smsspec sandbox`  [default: 8765]")
@click.option("--url", default=None, help="Its URL, instead of --host and --port.")
@format_option
def sandbox_inbox(host: str | None, port: int | None, url: str | None, fmt: str) -> None:
    """List the messages a running sandbox accepted.

    Without --url, --host or --port: the sandbox running for this project (as
    `smsspec sandbox` records it in .smsspec/sandbox.json), else 127.0.0.1:8765.

    \b
    Examples:
      smsspec sandbox inbox
      smsspec sandbox inbox --port 9000 --format json
      smsspec sandbox inbox --url http://127.0.0.1:9000
    """
    if url is not None and (host is not None or port is not None):
        fail("give either --url or --host/--port, not both")
    if url is None:
        found = None if host or port else running.live_sandbox([running.project_folder(Path.cwd())])
        url = found.url if found else _url(host or DEFAULT_HOST, port or DEFAULT_PORT)
    try:
        messages = fetch_messages(url)
    except InboxUnavailable as problem:
        fail(str(problem))
    if fmt == "json":
        echo(json.dumps(messages, ensure_ascii=False, indent=2))
    else:
        echo(printable_lines(format_inbox(messages)))


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
