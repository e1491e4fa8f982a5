"""The ``init`` command: a new project's files, from the providers' own descriptors.

Exit codes of ``init``: 0 the files were written; 2 usage error (an unknown
provider, a bad account name, no account given and no terminal to ask on, or
files that exist already without ``--force``; then nothing is written).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from smsspec._version import __version__
from smsspec.cli.options import CONTEXT, EXIT_OK, echo, fail, shown_path
from smsspec.load.config import CONFIG_NAME
from smsspec.providers import registry
from smsspec.providers.editor_schema import editor_schema
from smsspec.providers.registry import Provider

ACCOUNT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")  # as the config schema's propertyNames
SPEC_PATH = "messages/welcome.sms.yaml"
SCHEMA_DIR = "schemas-local"
PRE_COMMIT = ".pre-commit-config.yaml"
EXAMPLE_NUMBER = "+447400123456"  # a valid UK mobile number: no PHONE-INVALID warning
EXAMPLE_SENDER = "60856"  # a short code, for providers that require a sender and give no example


@click.command(context_settings=CONTEXT)
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.option(
    "--account", "accounts", multiple=True, metavar="NAME=PROVIDER",
    help="An account for smsspec.yaml (repeatable); asked for on a terminal when none is given.",
)
@click.option("--force", is_flag=True, help="Overwrite files that exist already.")
def init(directory: str, accounts: tuple[str, ...], force: bool) -> None:
    """Start a project: smsspec.yaml, an example spec, editor schemas and a pre-commit config.

    Credentials are written as ${VARIABLE} references, never as values.
    Existing files are left alone (exit 2, naming them) unless --force is given.

    \b
    Examples:
      smsspec init
      smsspec init sms --account skycore-prod=skycore
      smsspec init --account main=sendmachine --account backup=inwise --force
    """
    known = registry.registry()
    chosen = [_parse_account(item, known) for item in accounts] if accounts else _ask_accounts(known)
    names = [name for name, _ in chosen]
    if len(set(names)) != len(names):
        fail("--account: each account needs its own name")
    root = Path(directory)
    files = project_files(chosen, known)
    existing = [path for path in files if (root / path).exists()]
    if existing and not force:
        shown = ", ".join(shown_path(root / path) for path in existing)
        fail(f"not overwriting {shown} (use --force to replace them); nothing was written")
    try:
        for path, text in files.items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write in {shown_path(root)}: {exc.strerror or exc}")
    echo(_summary(root, files, chosen, known))
    sys.exit(EXIT_OK)


def _parse_account(item: str, known: Mapping[str, Provider]) -> tuple[str, str]:
    name, sep, provider = (part.strip() for part in item.partition("="))
    if not sep or not name or not provider:
        fail(f"--account {item!r}: expected NAME=PROVIDER, e.g. main={sorted(known)[0]}")
    return _checked(name, provider, known)


def _checked(name: str, provider: str, known: Mapping[str, Provider]) -> tuple[str, str]:
    if not ACCOUNT_NAME.match(name):
        fail(f"account name {name!r}: use letters, digits, '.', '_' and '-', starting with a letter or digit")
    if provider not in known:
        fail(f"provider {provider!r} is not one of: {', '.join(sorted(known))}")
    return name, provider


def _ask_accounts(known: Mapping[str, Provider]) -> list[tuple[str, str]]:
    if not sys.stdin.isatty():
        fail(f"no account given: add --account NAME=PROVIDER (providers: {', '.join(sorted(known))})")
    chosen: list[tuple[str, str]] = []
    while True:
        provider = click.prompt("Provider", type=click.Choice(sorted(known)), err=True)
        name = click.prompt("Account name", default=f"{provider}-prod", err=True)
        chosen.append(_checked(name.strip(), provider, known))
        if not click.confirm("Add another account?", default=False, err=True):
            return chosen


def env_name(account: str, credential: str) -> str:
    """The environment variable an account's credential is read from: SKYCORE_PROD_API_KEY."""
    return re.sub(r"[^A-Z0-9]+", "_", f"{account}_{credential}".upper()).strip("_")


def project_files(chosen: list[tuple[str, str]], known: Mapping[str, Provider]) -> dict[str, str]:
    """Relative path -> text of every file ``init`` writes."""
    return {
        CONFIG_NAME: _config(chosen, known),
        SPEC_PATH: _spec(chosen[0][0], known[chosen[0][1]]),
        f"{SCHEMA_DIR}/spec.schema.json": json.dumps(editor_schema("spec"), indent=2, ensure_ascii=False) + "\n",
        f"{SCHEMA_DIR}/config.schema.json": json.dumps(editor_schema("config"), indent=2, ensure_ascii=False) + "\n",
        PRE_COMMIT: _pre_commit(),
    }


def _config(chosen: list[tuple[str, str]], known: Mapping[str, Provider]) -> str:
    lines = [
        f"# yaml-language-server: $schema={SCHEMA_DIR}/config.schema.json",
        "# Accounts. Credentials are ${VARIABLE} references, read from the environment only when",
        "# sending; never write a key here. `smsspec providers show PROVIDER` lists each provider's",
        "# credentials, settings and options.",
        "version: 1",
        "accounts:",
    ]
    for name, provider_id in chosen:
        provider = known[provider_id]
        lines += [f"  {name}:", f"    provider: {provider_id}"]
        if provider.request.endpoint is None:
            lines.append("    endpoint: https://api.example.com/send   # your account's API URL (required)")
        lines.append("    credentials:")
        lines += [f"      {credential}: ${{{env_name(name, credential)}}}" for credential in provider.credentials]
        settings = _required_settings(provider.settings_schema)
        if settings:
            lines.append("    settings:")
            lines += [f"      {setting}: {value}   # replace with yours" for setting, value in settings.items()]
    return "\n".join(lines) + "\n"


def _required_settings(schema: Mapping[str, Any]) -> dict[str, str]:
    """A placeholder, written as YAML, for every setting the provider requires."""
    properties = schema.get("properties") or {}
    values = {}
    for name in schema.get("required") or ():
        prop = properties.get(name) or {}
        if prop.get("enum"):
            values[name] = json.dumps(prop["enum"][0])
        elif prop.get("type") == "boolean":
            values[name] = "false"
        else:
            values[name] = json.dumps(str((prop.get("examples") or ["change-me"])[0]))
    return values


def _requires_sender(provider: Provider) -> bool:
    schema = provider.schema
    required = set(schema.get("required") or ())
    for part in schema.get("allOf") or ():
        if "if" not in part:
            required |= set(part.get("required") or ())
    return "from" in required


def _spec(account: str, provider: Provider) -> str:
    lines = [
        f"# yaml-language-server: $schema=../{SCHEMA_DIR}/spec.schema.json",
        "# An example message. `smsspec validate` checks it against every rule,",
        "# `smsspec render` shows the exact request, `smsspec send --sandbox` tries it locally.",
        "version: 1",
        f"account: {account}",
        "messages:",
        "  - id: welcome",
        '    text: "Hi {{ name }}, welcome aboard!"',
    ]
    if _requires_sender(provider):
        examples = (provider.schema.get("properties", {}).get("from") or {}).get("examples") or [EXAMPLE_SENDER]
        lines.append(f"    from: {json.dumps(str(examples[0]))}   # your sender: quote it, YAML reads 00123 as a number")
    # A provider that takes numbers of some countries only names an example under recipient_countries.
    numbers = (provider.schema.get("properties", {}).get("recipient_countries") or {}).get("examples") or [EXAMPLE_NUMBER]
    lines += [
        "    to:",
        f'      - number: "{numbers[0]}"   # E.164, quoted',
        "        vars: {name: Ann}",
    ]
    return "\n".join(lines) + "\n"


def _pre_commit() -> str:
    return "\n".join([
        "repos:",
        "  - repo: https://github.com/OWNER/smsspec   # where smsspec lives",
        f"    rev: v{__version__}                              # a tag or commit",
        "    hooks:",
        "      - id: smsspec-validate",
        "        # args: [--strict]                   # fail on warnings too",
        "",
    ])


def _summary(root: Path, files: Mapping[str, str], chosen: list[tuple[str, str]], known: Mapping[str, Provider]) -> str:
    lines = [f"wrote {shown_path(root / path)}" for path in files]
    variables = [env_name(name, c) for name, provider in chosen for c in known[provider].credentials]
    lines += ["", f"a real send reads {', '.join(variables)} from the environment; `send --sandbox` needs none of them"]
    lines += ["", "next:"]
    if root.resolve() != Path.cwd().resolve():
        lines.append(f"  cd {shown_path(root)}")
    lines += [
        "  smsspec validate                     # check every spec against every rule",
        "  smsspec render messages/             # the exact request each provider would receive",
        "  smsspec send messages/ --sandbox     # send it to a local sandbox; nothing leaves the machine",
    ]
    return "\n".join(lines)

