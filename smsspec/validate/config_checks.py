"""smsspec.yaml checked: its shape, and each account (provider, endpoint, credentials, settings).

:func:`load_config` loads the file (:mod:`smsspec.load.config`) and checks it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from smsspec.compliance.quiet import known_zone
from smsspec.diagnostics import Diagnostic, Location, error, warning
from smsspec.load.config import ENV_REFERENCE, config_from, loopback, settings_schema
from smsspec.load.optouts import read_opt_out_file
from smsspec.load.spec import display_path
from smsspec.load.yaml.files import load_yaml_file
from smsspec.load.yaml.source_map import SourceMap
from smsspec.model import Config
from smsspec.providers import registry
from smsspec.validate.schema import SchemaChecker, did_you_mean, problems, schema_validator
from smsspec.validate.shape import shape_diagnostics


def load_config(path: Path, display: str | None = None) -> tuple[Config | None, list[Diagnostic]]:
    """Load smsspec.yaml and check it: the configuration (None if unusable as a whole) and
    the loader's, the shape check's and the accounts' diagnostics, in that order."""
    display = display or str(path)
    document, diagnostics = load_yaml_file(path, display)
    if document is None or document.data is None:
        return None, diagnostics
    data = document.data
    shape = shape_diagnostics(schema_validator("config.schema.json"), data, document.source, display)
    diagnostics += [_without_secret_values(d) for d in shape if not _about_one_credential(d)]
    if not isinstance(data, Mapping) or any(d.rule in ("SPEC-TYPE", "YAML-NULL") and d.location.line <= 1 for d in shape):
        return None, diagnostics
    raw_accounts = data.get("accounts")
    if isinstance(raw_accounts, Mapping):
        for name, raw in raw_accounts.items():
            if isinstance(raw, Mapping):
                diagnostics += account_problems(str(name), raw, document.source)
    config = config_from(document, path, display)
    if config.opt_out_files:
        config, found = _with_opt_outs(config, document.source)
        diagnostics += found
    return config, diagnostics


def _with_opt_outs(config: Config, source: SourceMap) -> tuple[Config, list[Diagnostic]]:
    """The config with the numbers of its opt-out files, and what is wrong with those files.
    A file that cannot be read is an error (OPT-OUT-FILE): sending without it could reach
    someone who opted out."""
    root = Path(config.root)
    roots = (Path(os.path.realpath(root)), *(Path(folder) for folder in config.allow_outside))
    numbers: set[str] = set()
    found: list[Diagnostic] = []
    for index, declared in enumerate(config.opt_out_files):
        path = root / declared
        shown = display_path(path)
        read = read_opt_out_file(path, shown, roots, declared)
        numbers |= read.numbers
        for problem in read.problems:
            where = Location(shown, problem.row, problem.column) if problem.row else source.locate(("opt_out", "files", index))
            found.append(error("OPT-OUT-FILE", f"opt-out file {declared}: {problem.message}", where))
        if read.hidden:
            found.append(error("OPT-OUT-FILE", f"opt-out file {declared}: {read.hidden} more line(s) like these", Location(shown)))
    return replace(config, opt_outs=frozenset(numbers)), found


def account_problems(name: str, raw: Mapping[str, Any], source: SourceMap) -> list[Diagnostic]:
    """What is wrong with one account of smsspec.yaml, in the order a reader meets it."""
    path = ("accounts", name)
    found: list[Diagnostic] = []

    def at(*rest: str | int) -> Location:
        return source.locate((*path, *rest))

    provider_id = raw.get("provider")
    if not isinstance(provider_id, str):
        return found
    provider = registry.get(provider_id)
    if provider is None:
        hint = did_you_mean(provider_id, registry.ids())
        text = f"account {name!r}: unknown provider {provider_id!r}"
        text += f"; did you mean {hint!r}?" if hint else f"; known providers: {', '.join(registry.ids())}"
        found.append(error("CONFIG-UNKNOWN-PROVIDER", text, at("provider"), fix=hint))
        return found
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
    zone = settings.get("time_zone")
    if isinstance(zone, str) and zone and not known_zone(zone):
        found.append(error("CONFIG-SETTING", f"account {name!r} settings: time_zone {zone!r} is not a time zone this machine knows; write an IANA name such as Europe/Bucharest", at("settings", "time_zone")))
    return found


def _settings(name: str, provider: registry.Provider, settings: Mapping[str, Any], source: SourceMap, path: tuple[str, ...]) -> list[Diagnostic]:
    found = []
    for problem in problems(SchemaChecker(settings_schema(provider)), settings):
        where = source.locate_key((*path, *problem.path)) if problem.field and problem.keyword == "additionalProperties" else source.locate((*path, *problem.path))
        found.append(error("CONFIG-SETTING", f"account {name!r} settings: {problem.text}", where, fix=problem.suggestion))
    return found


_SECRET_QUERY_NAMES = frozenset({"key", "apikey", "api_key", "password", "pwd", "p", "pass", "secret", "token", "access_token"})


def _credentials_in_url(url: str) -> bool:
    parts = urlsplit(url)
    if parts.username or parts.password:
        return True
    return any(name.lower() in _SECRET_QUERY_NAMES for name, _ in parse_qsl(parts.query, keep_blank_values=True))


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
    if loopback(parts.hostname or ""):
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
