"""Schemas for editors (yaml-language-server): the shipped files plus what the registry knows.

The exports declare JSON Schema draft-07, the newest draft yaml-language-server
fully supports; they use no keyword newer than draft-07, and ``$ref`` pointers
into ``$defs`` resolve the same way in both drafts.

A spec file names an account, not a provider, so the spec schema cannot know
which provider's options apply to a message. It offers the options of every
provider instead: each option says in its description which providers take it,
and lists them in the ``x-smsspec-providers`` hint. ``smsspec validate`` then
checks the options against the message's own provider.
"""

from __future__ import annotations

import copy
from typing import Any

from smsspec.load.config import settings_schema
from smsspec.providers import registry as providers
from smsspec.validate.schema import load_schema

DRAFT_07 = "http://json-schema.org/draft-07/schema#"
ENV_REFERENCE = r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$"
E164 = r"^\+[1-9][0-9]{1,14}$"
PROVIDERS_HINT = "x-smsspec-providers"


def editor_schema(which: str) -> dict[str, Any]:
    schema = spec_schema() if which == "spec" else config_schema()
    schema["$schema"] = DRAFT_07
    return schema


def spec_schema() -> dict[str, Any]:
    schema = copy.deepcopy(load_schema("spec.schema.json"))
    definitions = schema["$defs"]
    for name in ("message", "defaults"):
        options = provider_options()
        properties = definitions[name]["properties"]
        described = f"{properties['options']['description']} By provider: {options.pop('by_provider')}."
        properties["options"] = {**properties["options"], **options, "description": described}
    recipients = definitions["message"]["properties"]["to"]["items"]
    recipients["pattern"] = E164  # applies to the plain-string form only
    definitions["recipient"]["properties"]["number"]["pattern"] = E164
    return schema


def provider_options() -> dict[str, Any]:
    """Every provider's message options in one mapping, each marked with the providers that take it."""
    offered: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for provider in providers.registry().values():
        own = provider.schema.get("properties", {}).get("options", {})
        for name, option in own.get("properties", {}).items():
            offered.setdefault(name, []).append((provider.id, dict(option)))
    properties: dict[str, Any] = {}
    for name, offers in sorted(offered.items()):
        ids = [provider_id for provider_id, _ in offers]
        text = "; ".join(f"{provider_id}: {option.get('description', name)}" for provider_id, option in offers)
        if len(offers) == 1:
            option = {k: v for k, v in offers[0][1].items() if k != "description"}
        else:
            option = {"anyOf": [{k: v for k, v in o.items() if k != "description"} for _, o in offers]}
        option["description"] = f"Only for {text}" if len(offers) == 1 else f"For {text}"
        option[PROVIDERS_HINT] = ids
        properties[name] = option
    by_provider = "; ".join(
        f"{provider.id}: {', '.join(sorted(provider.schema.get('properties', {}).get('options', {}).get('properties', {}))) or 'none'}"
        for provider in providers.registry().values()
    )
    return {"properties": properties, "additionalProperties": False, "by_provider": by_provider}


def config_schema() -> dict[str, Any]:
    schema = copy.deepcopy(load_schema("config.schema.json"))
    account = schema["$defs"]["account"]
    registry = providers.registry()
    account["properties"]["provider"]["enum"] = providers.ids()
    account["properties"]["provider"]["description"] += " One of: " + "; ".join(
        f"{provider.id} ({provider.title})" for provider in registry.values()
    )
    account["allOf"] = [_provider_account(provider) for provider in registry.values()]
    schema["properties"]["rules"]["properties"] = _rule_settings()
    return schema


def _provider_account(provider: providers.Provider) -> dict[str, Any]:
    settings = settings_schema(provider)
    settings["description"] = f"{provider.title} account settings: " + ", ".join(settings["properties"]) + "."
    return {
        "if": {
            "properties": {"provider": {"const": provider.id, "description": provider.title}},
            "required": ["provider"],
        },
        "then": {
            "properties": {
                "credentials": {
                    "description": f"{provider.title} needs: {', '.join(provider.credentials)}, each as ${{ENV_VAR}}.",
                    "properties": {
                        name: {"type": "string", "pattern": ENV_REFERENCE, "description": f"{provider.id} credential {name!r}, as ${{ENV_VAR}}"}
                        for name in provider.credentials
                    },
                    "required": list(provider.credentials),
                    "additionalProperties": False,
                },
                "settings": settings,
            }
        },
    }


def _rule_settings() -> dict[str, Any]:
    from smsspec.validate.catalog import all_rules

    return {
        rule.id: {
            "enum": ["off", "warning", "error", False],
            "description": f"{rule.summary} (default: {rule.severity.value}) Fix: {rule.fix}",
        }
        for rule in sorted(all_rules().values(), key=lambda r: r.id)
    }
