"""Schemas for editors (yaml-language-server): the shipped files plus what the registry knows."""

from __future__ import annotations

import copy
from typing import Any

from smsspec import providers
from smsspec.config import settings_schema
from smsspec.validate.schema import load_schema


def editor_schema(which: str) -> dict[str, Any]:
    if which == "spec":
        return load_schema("spec.schema.json")
    schema = copy.deepcopy(load_schema("config.schema.json"))
    account = schema["$defs"]["account"]
    account["properties"]["provider"]["enum"] = providers.ids()
    account["allOf"] = [
        {
            "if": {"properties": {"provider": {"const": provider.id}}, "required": ["provider"]},
            "then": {
                "properties": {
                    "credentials": {
                        "properties": {name: {"type": "string", "pattern": r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$", "description": f"{provider.id} credential, as ${{ENV_VAR}}"} for name in provider.credentials},
                        "required": list(provider.credentials),
                        "additionalProperties": False,
                    },
                    "settings": settings_schema(provider),
                }
            },
        }
        for provider in providers.registry().values()
    ]
    return schema
