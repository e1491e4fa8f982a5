"""The provider registry: each provider is a schema file plus a payload template.

``schemas/providers/<id>.schema.json`` holds the provider's rules (JSON Schema
over a message view) and, under ``x-smsspec``, its descriptor: how requests
are made, authenticated, batched and read. ``templates/<id>.<ext>.j2`` holds
the payload. Nothing about a provider is written in Python.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

_PACKAGE = Path(__file__).resolve().parent.parent  # the smsspec package
PROVIDER_PATH_ENV = "SMSSPEC_PROVIDER_PATH"


def data_dir(name: str) -> Path:
    """Folder of shipped data: inside the wheel, or the source checkout's top level."""
    installed = _PACKAGE / "_data" / name
    return installed if installed.is_dir() else _PACKAGE.parent / name


@dataclass(frozen=True)
class RequestShape:
    method: str
    content_type: str | None
    template: str
    endpoint: str | None  # fixed public URL, when the provider has one
    auth: Mapping[str, Any]

    @property
    def body_format(self) -> str:
        """json, xml or query: the template file's middle extension."""
        return self.template.rsplit(".", 2)[-2]


@dataclass(frozen=True)
class Batching:
    per_request: int | None  # most recipients in one request; None when the provider sets no cap
    group_by_text: bool  # recipients whose rendered text is identical may share a request
    phone_format: str  # see smsspec.sms.phones.PHONE_FORMATS
    scheduling: str = "hold"  # "native": send_at goes in the payload; "hold": send only once send_at has come


@dataclass(frozen=True)
class Provider:
    id: str
    title: str
    description: str
    docs: str
    schema: Mapping[str, Any]
    request: RequestShape
    credentials: tuple[str, ...]
    settings_schema: Mapping[str, Any]
    batching: Batching
    response: Mapping[str, Any]
    retry_statuses: frozenset[int]
    rules: Mapping[str, Mapping[str, str]]
    template_dir: Path

    @property
    def template_path(self) -> Path:
        return self.template_dir / self.request.template


def _provider_dirs() -> list[tuple[Path, Path]]:
    """(schemas folder, templates folder) pairs, extra folders from the environment first."""
    pairs = []
    for extra in os.environ.get(PROVIDER_PATH_ENV, "").split(os.pathsep):
        if extra:
            root = Path(extra)
            pairs.append((root / "schemas" / "providers", root / "templates"))
    pairs.append((data_dir("schemas") / "providers", data_dir("templates")))
    return pairs


def _parse(path: Path, template_dir: Path) -> Provider:
    schema = json.loads(path.read_text(encoding="utf-8"))
    meta = schema["x-smsspec"]
    request = meta["request"]
    recipients = meta["recipients"]
    return Provider(
        id=path.name.removesuffix(".schema.json"),
        title=schema.get("title", ""),
        description=schema.get("description", ""),
        docs=meta.get("docs", ""),
        schema=schema,
        request=RequestShape(
            method=request["method"],
            content_type=request.get("content_type"),
            template=request["template"],
            endpoint=request.get("endpoint"),
            auth=request["auth"],
        ),
        credentials=tuple(meta.get("credentials", ())),
        settings_schema=meta.get("settings", {"type": "object"}),
        batching=Batching(
            per_request=recipients.get("per_request"),
            group_by_text=bool(recipients.get("group_by_text")),
            phone_format=recipients.get("phone_format", "e164"),
            scheduling=meta.get("scheduling", "hold"),
        ),
        response=meta.get("response", {}),
        retry_statuses=frozenset(meta.get("retry_statuses", ())),
        rules=meta.get("rules", {}),
        template_dir=template_dir,
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
