"""The quick validity check agrees with jsonschema on every document it judges.

It may only skip jsonschema when jsonschema would find nothing, so each test
compares its answer with ``not any(iter_errors(...))``.
"""

from __future__ import annotations

import json
import subprocess
import sys
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
from smsspec.validate.schema import (
    SchemaChecker,
    load_schema,
    schema_validator,
    sms_validator_class,
)
from tests.conftest import ROOT

CASES = ROOT / "tests" / "cases"
SPECS = sorted([*CASES.rglob("*.sms.yaml"), *(ROOT / "examples").rglob("*.sms.yaml"), *(ROOT / "tests" / "golden").rglob("*.sms.yaml")])
VALID_EXAMPLE = [str(ROOT / "examples" / "inwise.sms.yaml")]
CONFIGS = sorted([*CASES.rglob("smsspec.yaml"), *(ROOT / "examples").rglob("smsspec.yaml")])


def jsonschema_valid(schema: Any, instance: Any) -> bool:
    return not any(sms_validator_class()(schema).iter_errors(instance))


def fast_check(schema: Any) -> Any:
    return compile_check(schema, schema_module._QUICK_CUSTOM)


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
    check = fast_check({"format": "email", "description": "d", "x-rule": "R", "then": False})
    assert check is not None and check("not an email")


def _patterns(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        return own + [p for value in node.values() for p in _patterns(value)]
    if isinstance(node, list):
        return [p for value in node for p in _patterns(value)]
    return []


SHIPPED_PATTERNS = sorted({
    p for name in ("spec.schema.json", "config.schema.json") for p in _patterns(load_schema(name))
} | {p for provider in providers.registry().values() for p in _patterns(provider.schema)})
# Where Python's re and ECMA 262 differ: `$` before a final newline, `\s` (str.isspace
# takes in \x1c-\x1f and \x85, ECMA takes \ufeff), `\d` beyond ASCII, control characters.
TRICKY = ["\n", "\x1c", "\x1f", "\x85", "\xa0", "\ufeff", "\u2028", "\x00", "\x0b", "\ufffe", "\u0663", "\U0001F600", " ", "+", "1", "a", "-", ".", "/", ":"]


@settings(max_examples=300, deadline=None)
@given(pattern=st.sampled_from(SHIPPED_PATTERNS), prefix=st.sampled_from(["", "http://", "https://a", "+1", "123", "ab"]),
       tail=st.lists(st.sampled_from(TRICKY), max_size=6))
def test_shipped_patterns_are_judged_as_python_judges_them(pattern: str, prefix: str, tail: list[str]) -> None:
    root = {"pattern": pattern}
    instance = prefix + "".join(tail)
    check = fast_check(root)
    assert check is not None
    assert check(instance) == jsonschema_valid(root, instance)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
@pytest.mark.parametrize("schema", [
    {"type": "number", "maximum": 10}, {"type": "number", "minimum": 1}, {"not": {"type": "number"}},
    {"not": {"const": float("inf")}}, {"if": {"type": "number"}, "then": False}, {"oneOf": [{"type": "number"}, {"type": "null"}]},
])
def test_values_json_cannot_hold_are_judged_as_jsonschema_judges_them(schema: dict[str, Any], value: float) -> None:
    # YAML's .nan and .inf: jsonschema-rs has no JSON type for them (a reason quickcheck stays).
    root = {"properties": {"n": schema}}
    check = fast_check(root)
    assert check is not None
    assert check({"n": value}) == jsonschema_valid(root, {"n": value})


def test_an_endpoint_with_a_separator_control_character_is_refused(tmp_path: Path) -> None:
    # Python's \s takes in U+001C; ECMA 262's \s (jsonschema-rs) does not, and would pass it.
    config = json.dumps({"version": 1, "accounts": {"inwise-demo": {
        "provider": "inwise", "endpoint": "https://x\x1cy/send", "credentials": {"api_key": "${INWISE_API_KEY}"}}}})
    (tmp_path / "smsspec.yaml").write_text(config, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "smsspec", "validate", "--config", str(tmp_path / "smsspec.yaml"), *VALID_EXAMPLE],
                          capture_output=True, text=True)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "error[SPEC-VALUE] `accounts.inwise-demo.endpoint`" in done.stdout


# Schemas built from the compiled keywords, and instances of the kinds YAML produces.
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([0.0, 1.0, 1.5, -2.5, float("nan"), float("inf"), float("-inf"), 10**20]),
    st.sampled_from(["", "a", "ab", "abc", "1", "+1", "60856", "x-y", "b\n", "a\x1c", "\u0663"]),
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
    st.fixed_dictionaries({"pattern": st.sampled_from(["^a", "b$", "^[0-9]+$", "^[^\\s]+$", "^\\d$"])}),
    st.fixed_dictionaries({"maxLength": st.integers(0, 3)}),
    st.fixed_dictionaries({"minLength": st.integers(0, 3)}),
    st.fixed_dictionaries({"minimum": st.integers(-1, 1)}),
    st.fixed_dictionaries({"exclusiveMaximum": st.integers(-1, 1)}),
    st.fixed_dictionaries({"maximum": st.integers(-1, 1)}),
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
    check = fast_check(root)
    assert check is not None
    assert check(instance) == jsonschema_valid(root, instance)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200), when=st.sampled_from(["2026-01-01T23:30:00+02:00", "2026-01-01T12:00:00", "bad", "2026-01-01T06:59:00Z"]))
def test_custom_keywords_agree(text: str, when: str) -> None:
    root = {"properties": {"t": {"smsText": {"maxSegments": 1, "maxCharacters": 100}}, "w": {"localTimeOutside": ["22:00", "07:00"]}},
            "not": {"properties": {"t": {"smsText": {"maxSegments": 2}}}}}
    check = fast_check(root)
    assert check is not None
    instance = {"t": text, "w": when}
    assert check(instance) == jsonschema_valid(root, instance)
