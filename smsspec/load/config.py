"""smsspec.yaml: accounts and project-wide rule settings.

Credentials are ``${VAR}`` references; their values are read from the
environment only when sending (:func:`resolve_credentials`) and never printed.
Loading checks nothing: :mod:`smsspec.validate.config_checks` checks the shape
and the accounts, and builds the configuration with :func:`config_from`.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from smsspec.compliance.quiet import quiet_hours_from
from smsspec.errors import CredentialError
from smsspec.load.yaml.source_map import YamlDocument
from smsspec.model import Account, Config
from smsspec.providers import registry

CONFIG_NAME = "smsspec.yaml"
ENV_REFERENCE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
MIN_CREDENTIAL_CHARS = 8
"""Shorter credential values are refused: "1" or "sandbox" cannot be told apart from plain words."""
SANDBOX_CREDENTIAL = "sandbox"
"""What `smsspec sandbox` accepts as every credential: published, so not a secret; allowed
despite its length for an endpoint on this machine (pinned to the sandbox's own value by a test)."""
COMMON_SETTINGS: Mapping[str, Any] = {
    "price_per_segment": {"type": "number", "minimum": 0, "description": "What one SMS segment costs on this account, for `smsspec plan`."},
    "currency": {"type": "string", "description": "Currency of price_per_segment, e.g. EUR."},
    "time_zone": {"type": "string", "minLength": 1, "description": "The account's time zone (IANA name, e.g. Europe/Bucharest): where the provider's own quiet hours are counted, and the zone of recipients whose number does not tell theirs. Default: the provider's (see `smsspec providers show ID`), else UTC."},
}




def find_config(start: Path) -> Path | None:
    """smsspec.yaml in the folder of ``start`` or the nearest folder above it."""
    folder = start if start.is_dir() else start.parent
    folder = folder.resolve()
    for candidate in (folder, *folder.parents):
        path = candidate / CONFIG_NAME
        if path.is_file():
            return path
    return None


def config_from(document: YamlDocument, path: Path, display: str) -> Config:
    """The configuration in a loaded smsspec.yaml whose top level is a mapping. An account
    whose provider is missing or unknown is left out (validation reports it)."""
    data = document.data
    assert isinstance(data, Mapping)
    accounts: dict[str, Account] = {}
    raw_accounts = data.get("accounts")
    if isinstance(raw_accounts, Mapping):
        for name, raw in raw_accounts.items():
            account = _account(str(name), raw) if isinstance(raw, Mapping) else None
            if account is not None:
                accounts[str(name)] = account
    rules = data.get("rules") if isinstance(data.get("rules"), Mapping) else {}
    return Config(
        path=display,
        root=str(path.resolve().parent),
        accounts=accounts,
        rules={str(k): "off" if v is False else str(v) for k, v in (rules or {}).items()},
        source=document.source,
        ledger=data["ledger"] if isinstance(data.get("ledger"), str) else None,
        project=data["project"] if isinstance(data.get("project"), str) else None,
        allow_outside=_allowed_folders(data.get("recipients"), path.resolve().parent),
        opt_out_files=_opt_out_files(data.get("opt_out")),
        quiet_hours=quiet_hours_from(data.get("quiet_hours")),
    )


def _opt_out_files(raw: Any) -> tuple[str, ...]:
    files = raw.get("files") if isinstance(raw, Mapping) else None
    return tuple(f for f in files if isinstance(f, str) and f) if isinstance(files, list) else ()


def _account(name: str, raw: Mapping[str, Any]) -> Account | None:
    provider_id = raw.get("provider")
    provider = registry.get(provider_id) if isinstance(provider_id, str) else None
    if provider is None:
        return None
    endpoint = raw.get("endpoint") if isinstance(raw.get("endpoint"), str) else None
    credentials = raw.get("credentials") if isinstance(raw.get("credentials"), Mapping) else {}
    settings = raw.get("settings") if isinstance(raw.get("settings"), Mapping) else {}
    assert isinstance(credentials, Mapping) and isinstance(settings, Mapping)
    max_segments = raw.get("max_segments") if isinstance(raw.get("max_segments"), int) else None
    return Account(
        name=name,
        provider=str(provider_id),
        endpoint=endpoint or provider.request.endpoint,
        credentials={str(k): str(v) for k, v in credentials.items()},
        settings=dict(settings),
        max_segments=max_segments,
        path=("accounts", name),
        receipts_token=raw["receipts_token"] if isinstance(raw.get("receipts_token"), str) else None,
        quiet_hours=quiet_hours_from(raw.get("quiet_hours"), f"account {name!r} quiet_hours"),
    )


def _allowed_folders(recipients: Any, root: Path) -> tuple[str, ...]:
    """`recipients: allow_outside: [folder, ...]`, each relative to smsspec.yaml, symlinks resolved."""
    folders = recipients.get("allow_outside") if isinstance(recipients, Mapping) else None
    if not isinstance(folders, list):
        return ()
    return tuple(os.path.realpath(root / folder) for folder in folders if isinstance(folder, str) and folder)


def settings_schema(provider: registry.Provider) -> dict[str, Any]:
    own = provider.settings_schema
    return {
        "type": "object",
        "properties": {**COMMON_SETTINGS, **own.get("properties", {})},
        "required": list(own.get("required", [])),
        "additionalProperties": False,
    }


def resolve_credentials(account: Account, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Read the account's credentials from the environment (only when sending)."""
    environ = os.environ if environ is None else environ
    values: dict[str, str] = {}
    missing: list[str] = []
    for cred, reference in account.credentials.items():
        match = ENV_REFERENCE.match(reference)
        variable = match.group(1) if match else ""
        value = environ.get(variable) if variable else None
        if not value:
            missing.append(f"{cred} (${{{variable}}})" if variable else cred)
            continue
        problem = _unusable(account.provider, cred, value) or _too_short(account, value)
        if problem:
            raise CredentialError(f"account {account.name!r}: the environment variable {variable} ({cred}) {problem}")
        values[cred] = value
    if missing:
        raise CredentialError(f"account {account.name!r}: set the environment variable(s) for {', '.join(missing)} before sending")
    return values


def _too_short(account: Account, value: str) -> str | None:
    if len(value) >= MIN_CREDENTIAL_CHARS:
        return None
    if value == SANDBOX_CREDENTIAL and _on_this_machine(account.endpoint):
        return None
    return (f"is too short to be a real credential: it needs at least {MIN_CREDENTIAL_CHARS} characters"
            " (smsspec could not keep one this short apart from plain words when it hides secrets)")


def loopback(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1: a server on this machine."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _on_this_machine(endpoint: str | None) -> bool:
    try:
        return loopback(urlsplit(endpoint or "").hostname or "")
    except ValueError:
        return False


def _unusable(provider_id: str, cred: str, value: str) -> str | None:
    """Why a credential value cannot be sent as the provider's request carries it; None if it can.
    Never quotes the value."""
    for index, char in enumerate(value, 1):
        if ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F:
            return (f"holds a control character (U+{ord(char):04X}) at character {index}; "
                    "a line break left by the file or command it was read from is a common cause")
    provider = registry.get(provider_id)
    auth = provider.request.auth if provider is not None else {}
    if auth.get("type") == "header" and auth.get("credential") == cred and not value.isascii():
        return f"holds a character outside ASCII, which the {auth.get('header')} header cannot carry"
    if auth.get("type") == "basic" and auth.get("username") == cred and ":" in value:
        return "holds a colon, which a Basic authentication user name cannot carry"
    return None
