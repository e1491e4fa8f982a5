"""The provider registry: each provider is a schema file plus a payload template.

``schemas/providers/<id>.schema.json`` holds the provider's rules (JSON Schema
over a message view) and, under ``x-smsspec``, its descriptor: how requests
are made, authenticated, batched and read. ``templates/<id>.<ext>.j2`` holds
the payload. Nothing about a provider is written in Python.

Every provider file is checked against ``schemas/provider-descriptor.schema.json``
(and its credential names and template file against each other) when the
registry loads; a broken one is a :class:`ProviderError` naming the file,
the line and the field.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from smsspec.data import data_dir
from smsspec.errors import ProviderError

# The common fields each provider schema must say it carries or not (``"not": {}`` under its
# ``properties``). One policy for those it cannot carry: written on the message, a diagnostic
# (PROVIDER-UNSUPPORTED-FIELD); inherited from ``defaults``, not applied to that provider.
# (`type` is not one of them: smsspec's own quiet hours read it, whether the provider carries it or not.)
PROVIDER_FIELDS = ("from", "sender_mask", "campaign", "click_tracking", "tags")


class _Fields(Protocol):
    """What ``not_applied`` reads of a :class:`~smsspec.model.Message`."""

    @property
    def fields(self) -> Mapping[str, Any]: ...
    def inherited(self, name: str) -> bool: ...

PROVIDER_PATH_ENV = "SMSSPEC_PROVIDER_PATH"
DESCRIPTOR_SCHEMA = "provider-descriptor.schema.json"
MAX_PROVIDER_FILE_BYTES = 1 << 20  # a provider file or payload template is a few kilobytes


@dataclass(frozen=True)
class RequestShape:
    method: str
    content_type: str | None
    template: str
    endpoint: str | None  # fixed public URL, when the provider has one
    auth: Mapping[str, Any]
    form_field: str | None = None  # the payload travels form-encoded in this POST variable, not as the raw body

    @property
    def body_format(self) -> str:
        """json, xml or query: the template file's middle extension."""
        return self.template.rsplit(".", 2)[-2]


@dataclass(frozen=True)
class Batching:
    per_request: int | None  # most recipients in one request; None when the provider sets no cap
    group_by_text: bool  # recipients whose rendered text is identical may share a request
    phone_format: str  # see smsspec.sms.phones.PHONE_FORMATS
    phone_format_setting: str | None = None  # an account setting that may choose another phone format
    per_request_setting: str | None = None  # an account setting that may choose another per_request

    def most_per_request(self, settings: Mapping[str, Any]) -> int | None:
        """per_request, or the account's choice when the descriptor names a setting for it."""
        chosen = settings.get(self.per_request_setting) if self.per_request_setting else None
        return chosen if isinstance(chosen, int) and not isinstance(chosen, bool) and chosen >= 1 else self.per_request
    scheduling: str = "hold"  # "native": send_at goes in the payload; "hold": send only once send_at has come


@dataclass(frozen=True)
class Provider:
    id: str
    title: str
    description: str
    docs: tuple[str, ...]  # where the rules come from: files under provider-docs or URLs
    schema: Mapping[str, Any]
    request: RequestShape
    credentials: tuple[str, ...]
    settings_schema: Mapping[str, Any]
    batching: Batching
    response: Mapping[str, Any]
    retry_statuses: frozenset[int]
    retry_error_codes: frozenset[str]  # codes inside a normal answer that mean "not processed, try later"
    rules: Mapping[str, Mapping[str, str]]
    template_dir: Path
    receipts: Mapping[str, Any] | None = None  # x-smsspec.receipts: what it reports after accepting
    quiet_hours: Mapping[str, Any] | None = None  # the provider's own pause: from, to, types, rule, time_zone

    @property
    def template_path(self) -> Path:
        return self.template_dir / self.request.template

    def appended(self, options: Any) -> str:
        """What the provider adds to each text, given the message's options (descriptor ``appends``)."""
        rule = self.schema["x-smsspec"].get("appends")
        if not rule or not isinstance(options, Mapping) or not any(options.get(name) is True for name in rule["when"]):
            return ""
        value = options.get(rule["option"])
        return value if isinstance(value, str) else ""

    def carries(self, name: str) -> bool:
        """Whether the provider's request has a place for the common message field ``name``."""
        return name in self.schema.get("properties", {}) and not _unsupported(self.schema["properties"][name])

    def not_applied(self, message: _Fields) -> tuple[str, ...]:
        """The fields ``message`` inherits from ``defaults`` that this provider cannot carry: left out for it."""
        return tuple(name for name in PROVIDER_FIELDS
                     if message.fields.get(name) is not None and message.inherited(name) and not self.carries(name))


def _unsupported(schema: Any) -> bool:
    return isinstance(schema, Mapping) and schema.get("not") == {}


def _provider_dirs() -> list[tuple[Path, Path]]:
    """(schemas folder, templates folder) pairs, extra folders from the environment first."""
    pairs = []
    for extra in os.environ.get(PROVIDER_PATH_ENV, "").split(os.pathsep):
        if extra:
            root = Path(extra)
            pairs.append((root / "schemas" / "providers", root / "templates"))
    pairs.append((data_dir("schemas") / "providers", data_dir("templates")))
    return pairs


def read_limited(path: Path) -> str:
    """A provider file's text; too big, unreadable or not UTF-8 is a ProviderError."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_PROVIDER_FILE_BYTES + 1)
    except OSError as exc:
        raise ProviderError(f"{path}: cannot read the provider file: {exc.strerror or exc} [PROVIDER-DESCRIPTOR]") from None
    if len(data) > MAX_PROVIDER_FILE_BYTES:
        raise ProviderError(f"{path}: the provider file is larger than {MAX_PROVIDER_FILE_BYTES} bytes [PROVIDER-DESCRIPTOR]")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProviderError(f"{path}: not UTF-8 (byte {exc.start}) [PROVIDER-DESCRIPTOR]") from None


def _json_path(path: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if p else "") for p in path).lstrip(".") or "(top level)"


_Problem = tuple[tuple[str | int, ...], str, bool]  # JSON path, what is wrong, whether the key (not its value) is wrong


def _descriptor_problems(schema: Any, template_dir: Path) -> list[_Problem]:
    """Each problem of a provider file; none for a usable one."""
    from smsspec.validate.schema import problems, schema_validator

    found = [(p.path, p.text, p.keyword == "additionalProperties") for p in problems(schema_validator(DESCRIPTOR_SCHEMA), schema)]
    if found:
        return found
    meta = schema["x-smsspec"]
    request = meta["request"]
    auth = request["auth"]
    for key in ("credential", "username", "password"):
        if key in auth and auth[key] not in meta["credentials"]:
            found.append((("x-smsspec", "request", "auth", key), f"credential {auth[key]!r} is not listed in x-smsspec.credentials", False))
    properties = schema.get("properties", {})
    for name in PROVIDER_FIELDS:
        if name not in properties:
            found.append((("properties",), f"the common field `{name}` is not declared: describe it, or mark it not carried with \"not\": {{}}", False))
    if not (template_dir / request["template"]).is_file():
        found.append((("x-smsspec", "request", "template"), f"no template {request['template']!r} in {template_dir}", False))
    return found


def _refuse(path: Path, found: list[_Problem]) -> ProviderError:
    """The problems found, each at file:line:col of the field (found again with positions, only now)."""
    from smsspec.diagnostics import Location
    from smsspec.load.yaml.files import load_yaml_file

    document, _ = load_yaml_file(path, str(path), max_bytes=MAX_PROVIDER_FILE_BYTES)  # JSON is YAML: the same source map
    located = []
    for where, problem, key in found:
        place = (document.source.locate_key if key else document.source.locate)(where) if document is not None else Location(str(path))
        located.append((place.line, place.column, f"{place}: {problem} (at {_json_path(where)}) [PROVIDER-DESCRIPTOR]"))
    return ProviderError("\n".join(line for *_, line in sorted(located)))


def _docs(value: str | list[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _parse(path: Path, template_dir: Path) -> Provider:
    text = read_limited(path)
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProviderError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg} [PROVIDER-DESCRIPTOR]") from None
    found = _descriptor_problems(schema, template_dir)
    if found:
        raise _refuse(path, found)
    meta = schema["x-smsspec"]
    request = meta["request"]
    recipients = meta["recipients"]
    return Provider(
        id=path.name.removesuffix(".schema.json"),
        title=schema["title"],
        description=schema["description"],
        docs=_docs(meta.get("docs", ())),
        schema=schema,
        request=RequestShape(
            method=request["method"],
            content_type=request.get("content_type"),
            template=request["template"],
            endpoint=request.get("endpoint"),
            auth=request["auth"],
            form_field=request.get("form_field"),
        ),
        credentials=tuple(meta["credentials"]),
        settings_schema=meta.get("settings", {"type": "object"}),
        batching=Batching(
            per_request=recipients.get("per_request"),
            group_by_text=bool(recipients.get("group_by_text")),
            phone_format=recipients.get("phone_format", "e164"),
            phone_format_setting=recipients.get("phone_format_setting"),
            per_request_setting=recipients.get("per_request_setting"),
            scheduling=meta.get("scheduling", "hold"),
        ),
        response=meta.get("response", {}),
        retry_statuses=frozenset(meta.get("retry_statuses", ())),
        retry_error_codes=frozenset(str(code).upper() for code in meta.get("retry_error_codes", ())),
        rules=meta.get("rules", {}),
        template_dir=template_dir,
        receipts=meta.get("receipts"),
        quiet_hours=meta.get("quiet_hours"),
    )


@lru_cache(maxsize=1)
def registry() -> Mapping[str, Provider]:
    found: dict[str, Provider] = {}
    for schema_dir, template_dir in _provider_dirs():
        if not schema_dir.is_dir():
            continue
        for path in sorted(schema_dir.glob("*.schema.json")):
            provider_id = path.name.removesuffix(".schema.json")
            if provider_id not in found:
                found[provider_id] = _parse(path, template_dir)
    return found


def get(provider_id: str) -> Provider | None:
    return registry().get(provider_id)


def ids() -> list[str]:
    return sorted(registry())
