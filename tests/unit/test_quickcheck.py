"""The quick validity check agrees with jsonschema on every document it judges.

It may only skip jsonschema when jsonschema would find nothing, so each test
compares its answer with ``not any(iter_errors(...))``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsspec.load.yaml.files import load_yaml_file
from smsspec.providers import registry as providers
from smsspec.validate import schema as schema_module
from smsspec.validate.check import check_paths
from smsspec.validate.quickcheck import compile_check
from smsspec.validate.schema import SchemaChecker, schema_validator, sms_validator_class
from tests.conftest import ROOT

CASES = ROOT / "tests" / "cases"
SPECS = sorted([*CASES.rglob("*.sms.yaml"), *(ROOT / "examples").rglob("*.sms.yaml"), *(ROOT / "tests" / "golden").rglob("*.sms.yaml")])
CONFIGS = sorted([*CASES.rglob("smsspec.yaml"), *(ROOT / "examples").rglob("smsspec.yaml")])


def jsonschema_valid(schema: Any, instance: Any) -> bool:
    return not any(sms_validator_class()(schema).iter_errors(instance))


def test_every_shipped_schema_compiles() -> None:
    for checker in [schema_validator("spec.schema.json"), schema_validator("config.schema.json")]:
        assert checker._quick is not None
    for provider in providers.registry().values():
        assert SchemaChecker(provider.schema)._quick is not None


@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_spec_files_agree(path: Path) -> None:
    document, _ = load_yaml_file(path)
    if document is None:
        pytest.skip("not YAML")
    checker = schema_validator("spec.schema.json")
    assert checker.is_valid_quick(document.data) == jsonschema_valid(checker.schema, document.data)


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_config_files_agree(path: Path) -> None:
    document, _ = load_yaml_file(path)
    assert document is not None
    checker = schema_validator("config.schema.json")
    assert checker.is_valid_quick(document.data) == jsonschema_valid(checker.schema, document.data)


def test_provider_views_of_every_case_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    judged: list[bool] = []
    original = SchemaChecker.is_valid_quick

    def both(self: SchemaChecker, instance: Any) -> bool:
        quick = original(self, instance)
        assert quick == jsonschema_valid(self.schema, instance), instance
        judged.append(quick)
        return quick

    monkeypatch.setattr(SchemaChecker, "is_valid_quick", both)
    for path in SPECS:
        check_paths([str(path)])
    assert True in judged and False in judged


def test_schema_with_an_unknown_assertion_gets_no_quick_check() -> None:
    assert compile_check({"type": "array", "uniqueItems": True}) is None
    assert compile_check({"$ref": "https://example.com/other.json"}) is None
    assert compile_check({"properties": {"a": {"$id": "urn:x", "type": "string"}}}) is None


def test_annotations_and_format_are_not_assertions() -> None:
    check = compile_check({"format": "email", "description": "d", "x-rule": "R", "then": False})
    assert check is not None and check("not an email")


# Schemas built from the compiled keywords, and instances of the kinds YAML produces.
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([0.0, 1.0, 1.5, -2.5, float("nan")]),
    st.sampled_from(["", "a", "ab", "abc", "1", "+1", "60856", "x-y"]),
)
instances = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), inner, max_size=3)),
    max_leaves=8,
)
leaf_schemas = st.one_of(
    st.booleans(),
    st.fixed_dictionaries({"type": st.sampled_from(["string", "integer", "number", "boolean", "null", "array", "object", ["string", "object"]])}),
    st.fixed_dictionaries({"const": scalars}),
    st.fixed_dictionaries({"enum": st.lists(scalars, min_size=1, max_size=3)}),
    st.fixed_dictionaries({"pattern": st.sampled_from(["^a", "b$", "^[0-9]+$"])}),
    st.fixed_dictionaries({"maxLength": st.integers(0, 3)}),
    st.fixed_dictionaries({"minLength": st.integers(0, 3)}),
    st.fixed_dictionaries({"minimum": st.integers(-1, 1)}),
    st.fixed_dictionaries({"exclusiveMaximum": st.integers(-1, 1)}),
    st.fixed_dictionaries({"minItems": st.integers(0, 2)}),
    st.fixed_dictionaries({"maxItems": st.integers(0, 2)}),
    st.fixed_dictionaries({"required": st.lists(st.sampled_from(["a", "b"]), max_size=2, unique=True)}),
    st.fixed_dictionaries({"minProperties": st.integers(0, 2)}),
)
schemas = st.recursive(
    leaf_schemas,
    lambda inner: st.one_of(
        st.fixed_dictionaries({"properties": st.dictionaries(st.sampled_from(["a", "b"]), inner, max_size=2)},
                              optional={"additionalProperties": inner, "patternProperties": st.dictionaries(st.sampled_from(["^c", "d"]), inner, max_size=1)}),
        st.fixed_dictionaries({"items": inner}),
        st.fixed_dictionaries({"contains": inner}),
        st.fixed_dictionaries({"not": inner}),
        st.fixed_dictionaries({"if": inner}, optional={"then": inner, "else": inner}),
        st.fixed_dictionaries({"allOf": st.lists(inner, min_size=1, max_size=2)}),
        st.fixed_dictionaries({"anyOf": st.lists(inner, min_size=1, max_size=2)}),
        st.fixed_dictionaries({"oneOf": st.lists(inner, min_size=1, max_size=2)}),
        st.fixed_dictionaries({"propertyNames": inner}),
        st.fixed_dictionaries({"$ref": st.just("#/$defs/x")}),
    ),
    max_leaves=6,
)


@settings(max_examples=400, deadline=None)
@given(schema=schemas, definition=leaf_schemas, instance=instances)
def test_random_schemas_agree(schema: Any, definition: Any, instance: Any) -> None:
    root = {"$defs": {"x": definition}, "allOf": [schema]}
    check = compile_check(root, schema_module._QUICK_CUSTOM)
    assert check is not None
    assert check(instance) == jsonschema_valid(root, instance)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200), when=st.sampled_from(["2026-01-01T23:30:00+02:00", "2026-01-01T12:00:00", "bad", "2026-01-01T06:59:00Z"]))
def test_custom_keywords_agree(text: str, when: str) -> None:
    root = {"properties": {"t": {"smsText": {"maxSegments": 1, "maxCharacters": 100}}, "w": {"localTimeOutside": ["22:00", "07:00"]}},
            "not": {"properties": {"t": {"smsText": {"maxSegments": 2}}}}}
    check = compile_check(root, schema_module._QUICK_CUSTOM)
    assert check is not None
    instance = {"t": text, "w": when}
    assert check(instance) == jsonschema_valid(root, instance)
