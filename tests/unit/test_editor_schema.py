"""The schemas `smsspec schema spec|config` export for editors (yaml-language-server)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from smsspec.cli import main
from smsspec.providers import registry as providers
from smsspec.providers.editor_schema import PROVIDERS_HINT, editor_schema
from smsspec.validate.catalog import all_rules
from tests.conftest import ROOT

EXAMPLES = ROOT / "examples"
SPECS = sorted(
    [*EXAMPLES.glob("*.sms.yaml"), *(ROOT / "tests" / "cases").glob("*/valid/*.sms.yaml")],
    key=str,
)
CONFIGS = [EXAMPLES / "smsspec.yaml", ROOT / "tests" / "cases" / "smsspec.yaml"]


def exported(which: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["schema", which], catch_exceptions=False)
    assert result.exit_code == 0
    schema: dict[str, Any] = json.loads(result.stdout)
    return schema


def validator(which: str) -> jsonschema.protocols.Validator:
    schema = exported(which)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def errors(which: str, document: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator(which).iter_errors(document)]


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("which", ["spec", "config"])
def test_exports_declare_draft_07_for_yaml_language_server(which: str) -> None:
    schema = exported(which)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema == editor_schema(which)
    jsonschema.Draft7Validator.check_schema(schema)


@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_valid_spec_example_passes_the_exported_schema(path: Path) -> None:
    assert errors("spec", load(path)) == []


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_example_config_passes_the_exported_schema(path: Path) -> None:
    assert errors("config", load(path)) == []


def described_properties(schema: dict[str, Any]) -> Iterator[tuple[str, bool]]:
    """(path, has a description) for every property declared anywhere in the schema, following $ref."""

    def resolve(node: Any) -> Any:
        for _ in range(10):
            if not (isinstance(node, dict) and "$ref" in node and "description" not in node):
                break
            target: Any = schema
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    def walk(node: Any, path: str) -> Iterator[tuple[str, bool]]:
        if isinstance(node, dict):
            for name, child in (node.get("properties") or {}).items():
                target = resolve(child)
                yield f"{path}/properties/{name}", bool(isinstance(target, dict) and target.get("description"))
            for key, value in node.items():
                yield from walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from walk(value, f"{path}/{index}")

    yield from walk(schema, "#")


@pytest.mark.parametrize("which", ["spec", "config"])
def test_every_property_has_a_description(which: str) -> None:
    found = list(described_properties(exported(which)))
    assert len(found) > 20
    assert [path for path, described in found if not described] == []


def test_spec_enums_list_their_values_and_every_provider_option_is_offered() -> None:
    schema = exported("spec")
    message = schema["$defs"]["message"]["properties"]
    assert message["type"]["enum"] == ["transactional", "campaign"]
    offered = message["options"]["properties"]
    for provider in providers.registry().values():
        own = provider.schema["properties"]["options"].get("properties", {})
        for name in own:
            assert provider.id in offered[name][PROVIDERS_HINT]
            assert provider.id in offered[name]["description"]
        assert f"{provider.id}: " in message["options"]["description"]
    assert schema["$defs"]["defaults"]["properties"]["options"] == message["options"]


def test_spec_schema_flags_what_no_provider_takes_and_numbers_not_in_e164() -> None:
    spec = load(EXAMPLES / "inwise.sms.yaml")
    spec["messages"][0]["options"] = {"charest": "unicode"}
    spec["messages"][0]["to"] = ["0044 7400 123456"]
    problems = errors("spec", spec)
    assert any("charest" in p for p in problems) and any("0044 7400 123456" in p for p in problems)


def test_config_offers_each_providers_own_credentials_and_settings() -> None:
    schema = exported("config")
    account = schema["$defs"]["account"]
    assert account["properties"]["provider"]["enum"] == providers.ids()
    branches = {branch["if"]["properties"]["provider"]["const"]: branch["then"] for branch in account["allOf"]}
    assert set(branches) == set(providers.ids())
    for provider in providers.registry().values():
        credentials = branches[provider.id]["properties"]["credentials"]
        assert set(credentials["properties"]) == set(provider.credentials) == set(credentials["required"])
        settings = branches[provider.id]["properties"]["settings"]["properties"]
        assert set(provider.settings_schema.get("properties", {})) <= set(settings)
    config = load(EXAMPLES / "smsspec.yaml")
    config["accounts"]["sendmachine-demo"]["credentials"] = {"api_key": "${KEY}", "token": "${TOKEN}"}
    config["accounts"]["skycore-demo"]["settings"]["enforce_campaign_chek"] = True
    problems = errors("config", config)
    assert any("username" in p for p in problems)
    assert any("token" in p for p in problems)
    assert any("enforce_campaign_chek" in p for p in problems)


def test_config_rules_section_completes_every_rule_id() -> None:
    rules = exported("config")["properties"]["rules"]
    assert set(rules["properties"]) == set(all_rules())
    for setting in rules["properties"].values():
        assert setting["enum"] == ["off", "warning", "error", False] and setting["description"]
    assert errors("config", {**load(EXAMPLES / "smsspec.yaml"), "rules": {"TEXT-GSM-LOOKALIKE": "off", "PHONE-INVALID": False}}) == []
    assert errors("config", {**load(EXAMPLES / "smsspec.yaml"), "rules": {"TEXT-GSM-LOOKALIKE": "loud"}}) != []


def test_exported_schema_works_from_a_file_named_in_a_modeline(tmp_path: Path) -> None:
    target = tmp_path / ".smsspec" / "spec.schema.json"
    target.parent.mkdir()
    target.write_text(CliRunner().invoke(main, ["schema", "spec"]).stdout, encoding="utf-8")
    spec = tmp_path / "welcome.sms.yaml"
    spec.write_text("# yaml-language-server: $schema=.smsspec/spec.schema.json\n" + (EXAMPLES / "skycore.sms.yaml").read_text(encoding="utf-8"))
    first = spec.read_text(encoding="utf-8").splitlines()[0]
    schema_path = spec.parent / first.split("$schema=", 1)[1]
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    assert list(jsonschema.Draft7Validator(schema).iter_errors(load(spec))) == []
