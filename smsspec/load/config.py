"""smsspec.yaml: accounts and project-wide rule settings.

Credentials are ``${VAR}`` references; their values are read from the
environment only when sending (:func:`resolve_credentials`) and never printed.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from smsspec.diagnostics import Diagnostic, Location, error, warning
from smsspec.errors import CredentialError
from smsspec.load.yaml.files import load_yaml_file
from smsspec.load.yaml.source_map import SourceMap
from smsspec.model import Account, Config
from smsspec.providers import registry as providers
from smsspec.validate.schema import did_you_mean, problems, schema_validator
from smsspec.validate.shape import shape_diagnostics

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


def load_config(path: Path, display: str | None = None) -> tuple[Config | None, list[Diagnostic]]:
    display = display or str(path)
    document, diagnostics = load_yaml_file(path, display)
    if document is None or document.data is None:
        return None, diagnostics
    data = document.data
    shape = shape_diagnostics(schema_validator("config.schema.json"), data, document.source, display)
    diagnostics += [_without_secret_values(d) for d in shape if not _about_one_credential(d)]
    if not isinstance(data, Mapping) or any(d.rule in ("SPEC-TYPE", "YAML-NULL") and d.location.line <= 1 for d in shape):
        return None, diagnostics
    accounts: dict[str, Account] = {}
    raw_accounts = data.get("accounts")
    if isinstance(raw_accounts, Mapping):
        for name, raw in raw_accounts.items():
            if not isinstance(raw, Mapping):
                continue
            account, problems_found = _account(str(name), raw, document.source, display)
            diagnostics += problems_found
            if account is not None:
                accounts[str(name)] = account
    rules = data.get("rules") if isinstance(data.get("rules"), Mapping) else {}
    config = Config(
        path=display,
        root=str(path.resolve().parent),
        accounts=accounts,
        rules={str(k): "off" if v is False else str(v) for k, v in (rules or {}).items()},
        source=document.source,
        ledger=data["ledger"] if isinstance(data.get("ledger"), str) else None,
        project=data["project"] if isinstance(data.get("project"), str) else None,
        allow_outside=_allowed_folders(data.get("recipients"), path.resolve().parent),
    )
    return config, diagnostics


def _allowed_folders(recipients: Any, root: Path) -> tuple[str, ...]:
    """`recipients: allow_outside: [folder, ...]`, each relative to smsspec.yaml, symlinks resolved."""
    folders = recipients.get("allow_outside") if isinstance(recipients, Mapping) else None
    if not isinstance(folders, list):
        return ()
    return tuple(os.path.realpath(root / folder) for folder in folders if isinstance(folder, str) and folder)


_SECRET_QUERY_NAMES = frozenset({"key", "apikey", "api_key", "password", "pwd", "p", "pass", "secret", "token", "access_token"})


def _credentials_in_url(url: str) -> bool:
    parts = urlsplit(url)
    if parts.username or parts.password:
        return True
    return any(name.lower() in _SECRET_QUERY_NAMES for name, _ in parse_qsl(parts.query, keep_blank_values=True))


def _loopback(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1: a server on this machine."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _endpoint_problems(name: str, endpoint: str, allow_http: bool, where: Location) -> list[Diagnostic]:
    """An endpoint that cannot be the URL meant (CONFIG-ENDPOINT), or that sends credentials in clear (CONFIG-INSECURE-HTTP)."""
    parts = urlsplit(endpoint)
    problem = None
    if "${" in endpoint:
        variable = endpoint[endpoint.index("${"):].partition("}")[0] + "}"
        problem = f"holds {variable}, which is not expanded: endpoints are used as written; write the URL out in full"
    elif parts.scheme in ("http", "https") and not parts.hostname:
        problem = "has no host (nothing between // and the path)"
    else:
        try:
            port = parts.port
        except ValueError:  # not a number from 0 to 65535
            port = 0
        if port == 0:
            problem = "has a port that is not a number from 1 to 65535"
    if problem:
        return [error("CONFIG-ENDPOINT", f"account {name!r}: the endpoint {problem}", where)]
    if parts.scheme != "http" or allow_http:
        return []
    if _loopback(parts.hostname or ""):
        return [warning("CONFIG-INSECURE-HTTP", f"account {name!r}: the endpoint is http://, so credentials and messages go unencrypted; "
                        "fine for a test server on this machine (set `allow_insecure_http: true` to say so), use https:// for anything else", where)]
    return [error("CONFIG-INSECURE-HTTP", f"account {name!r}: the endpoint is http://, so credentials and messages would cross the network "
                  "unencrypted; use https://, or set `allow_insecure_http: true` on the account for a test server you control", where)]


def _credentials_path(diagnostic: Diagnostic) -> tuple[Any, ...]:
    path = diagnostic.extra.get("path", ())
    return tuple(path) if isinstance(path, tuple) and path[:1] == ("accounts",) and path[2:3] == ("credentials",) else ()


def _about_one_credential(diagnostic: Diagnostic) -> bool:
    """A shape problem of one credential's value: `_account` reports it as SECRET-LITERAL, without the value."""
    return len(_credentials_path(diagnostic)) >= 4


def _without_secret_values(diagnostic: Diagnostic) -> Diagnostic:
    """Shape messages quote the value they found; under `credentials` that may be a secret."""
    path = _credentials_path(diagnostic)
    if not path:
        return diagnostic
    text = (f"account {path[1]!r}: `credentials` holds a value written in the file; it must map each credential "
            "name to an ${ENV_VAR} reference (the value is not shown; if it is a real secret, rotate it)")
    return error("SECRET-LITERAL", text, diagnostic.location, extra=diagnostic.extra)


def _account(name: str, raw: Mapping[str, Any], source: SourceMap, display: str) -> tuple[Account | None, list[Diagnostic]]:
    path = ("accounts", name)
    found: list[Diagnostic] = []

    def at(*rest: str | int) -> Location:
        return source.locate((*path, *rest))

    provider_id = raw.get("provider")
    if not isinstance(provider_id, str):
        return None, found
    provider = providers.get(provider_id)
    if provider is None:
        hint = did_you_mean(provider_id, providers.ids())
        text = f"account {name!r}: unknown provider {provider_id!r}"
        text += f"; did you mean {hint!r}?" if hint else f"; known providers: {', '.join(providers.ids())}"
        found.append(error("CONFIG-UNKNOWN-PROVIDER", text, at("provider"), fix=hint))
        return None, found
    endpoint = raw.get("endpoint") if isinstance(raw.get("endpoint"), str) else None
    if endpoint is None and provider.request.endpoint is None:
        found.append(error("CONFIG-ENDPOINT-REQUIRED", f"account {name!r}: {provider.title} has no fixed public URL; add `endpoint:` with the URL of your {provider_id} account", at()))
    if endpoint is not None:
        found += _endpoint_problems(name, endpoint, raw.get("allow_insecure_http") is True, at("endpoint"))
    if endpoint is not None and _credentials_in_url(endpoint):
        found.append(error(
            "SECRET-LITERAL",
            f"account {name!r}: the endpoint URL carries credentials (user:password@ or a key in the query); "
            "put them under `credentials:` as ${ENV_VAR} references (the value is not shown; if it is a real secret, rotate it)",
            at("endpoint"),
        ))
    credentials = raw.get("credentials") if isinstance(raw.get("credentials"), Mapping) else {}
    assert isinstance(credentials, Mapping)
    for cred, value in credentials.items():
        if cred not in provider.credentials:
            hint = did_you_mean(str(cred), provider.credentials)
            text = f"account {name!r}: {provider_id} does not use a credential named {cred!r}"
            text += f"; did you mean {hint!r}?" if hint else f"; it uses {', '.join(provider.credentials)}"
            found.append(error("CONFIG-CREDENTIAL", text, source.locate_key((*path, "credentials", cred))))
        if not (isinstance(value, str) and ENV_REFERENCE.match(value)):
            found.append(error(
                "SECRET-LITERAL",
                f"account {name!r}: credential {cred!r} must be an environment reference like "
                f"${{{name.upper().replace('-', '_').replace('.', '_')}_{str(cred).upper()}}}, not a value written in the file "
                "(if a real secret was committed, rotate it)",
                at("credentials", cred),
            ))
    for cred in provider.credentials:
        if cred not in credentials:
            found.append(error("CONFIG-CREDENTIAL", f"account {name!r}: {provider_id} needs the credential {cred!r} (as ${{ENV_VAR}})", at("credentials") if "credentials" in raw else at()))
    settings = raw.get("settings") if isinstance(raw.get("settings"), Mapping) else {}
    assert isinstance(settings, Mapping)
    found += _settings(name, provider, settings, source, (*path, "settings"))
    max_segments = raw.get("max_segments") if isinstance(raw.get("max_segments"), int) else None
    account = Account(
        name=name,
        provider=provider_id,
        endpoint=endpoint or provider.request.endpoint,
        credentials={str(k): str(v) for k, v in credentials.items()},
        settings=dict(settings),
        max_segments=max_segments,
        path=path,
    )
    return account, found


def settings_schema(provider: providers.Provider) -> dict[str, Any]:
    own = provider.settings_schema
    return {
        "type": "object",
        "properties": {**COMMON_SETTINGS, **own.get("properties", {})},
        "required": list(own.get("required", [])),
        "additionalProperties": False,
    }


def _settings(name: str, provider: providers.Provider, settings: Mapping[str, Any], source: SourceMap, path: tuple[str, ...]) -> list[Diagnostic]:
    from smsspec.validate.schema import SchemaChecker

    found = []
    for problem in problems(SchemaChecker(settings_schema(provider)), settings):
        where = source.locate_key((*path, *problem.path)) if problem.field and problem.keyword == "additionalProperties" else source.locate((*path, *problem.path))
        found.append(error("CONFIG-SETTING", f"account {name!r} settings: {problem.text}", where, fix=problem.suggestion))
    return found




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


def _on_this_machine(endpoint: str | None) -> bool:
    try:
        return _loopback(urlsplit(endpoint or "").hostname or "")
    except ValueError:
        return False


def _unusable(provider_id: str, cred: str, value: str) -> str | None:
    """Why a credential value cannot be sent as the provider's request carries it; None if it can.
    Never quotes the value."""
    for index, char in enumerate(value, 1):
        if ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F:
            return (f"holds a control character (U+{ord(char):04X}) at character {index}; "
                    "a line break left by the file or command it was read from is a common cause")
    provider = providers.get(provider_id)
    auth = provider.request.auth if provider is not None else {}
    if auth.get("type") == "header" and auth.get("credential") == cred and not value.isascii():
        return f"holds a character outside ASCII, which the {auth.get('header')} header cannot carry"
    if auth.get("type") == "basic" and auth.get("username") == cred and ":" in value:
        return "holds a colon, which a Basic authentication user name cannot carry"
    return None
