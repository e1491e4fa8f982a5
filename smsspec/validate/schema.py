"""JSON Schema validation with smsspec's custom keywords, and errors as diagnostics.

Schemas explain themselves: a subschema may carry ``x-rule`` (the rule id),
``x-severity`` and ``x-message`` (a sentence with ``{placeholders}``); the
nearest one above a failing keyword wins.

Custom keywords any provider schema may use:

* ``smsText: {maxSegments: N, maxCharacters: N}`` on a string: SMS encoding limits.
* ``localTimeOutside: ["22:00", "07:00"]`` on an ISO 8601 date-time: its local
  time of day must fall outside the window.
"""

from __future__ import annotations

import datetime as dt
import json
import string
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

from smsspec.data import data_dir
from smsspec.sms import encoding
from smsspec.validate.quickcheck import Check, CustomKeyword, compile_check

if TYPE_CHECKING:
    from jsonschema import ValidationError
    from jsonschema.protocols import Validator

# jsonschema is imported only when a document has an error to explain (or a
# schema cannot be compiled into a quick check): valid files never load it.


def sms_text_errors(value: Mapping[str, int], instance: Any) -> list[str]:
    if not isinstance(instance, str):
        return []
    found = []
    analysis = encoding.analyze(instance)
    most = value.get("maxSegments")
    if most is not None and analysis.segments > most:
        found.append(f"needs {analysis.segments} segments ({analysis.encoding}), at most {most} allowed")
    most = value.get("maxCharacters")
    if most is not None and analysis.characters > most:
        found.append(f"has {analysis.characters} characters, at most {most} allowed")
    return found


def parse_clock(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


def in_window(moment: dt.time, start: dt.time, end: dt.time) -> bool:
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end


def local_time_errors(value: Sequence[str], instance: Any) -> list[str]:
    if not isinstance(instance, str):
        return []
    try:
        moment = dt.datetime.fromisoformat(instance).time()
    except ValueError:
        return []  # malformed times are SPEC-SEND-AT's business
    start, end = parse_clock(value[0]), parse_clock(value[1])
    if in_window(moment, start, end):
        return [f"local time {moment:%H:%M} is between {value[0]} and {value[1]}"]
    return []


# Custom keywords: each is explained to jsonschema and to the quick check from one function.
_CUSTOM: Mapping[str, Callable[[Any, Any], list[str]]] = {
    "smsText": sms_text_errors,
    "localTimeOutside": local_time_errors,
}


def _no_errors(errors: Callable[[Any, Any], list[str]]) -> CustomKeyword:
    return lambda value, instance: not errors(value, instance)


_QUICK_CUSTOM: Mapping[str, CustomKeyword] = {name: _no_errors(errors) for name, errors in _CUSTOM.items()}


def _keyword(errors: Callable[[Any, Any], list[str]]) -> Callable[..., Iterator[ValidationError]]:
    def keyword(validator: Validator, value: Any, instance: Any, schema: Mapping[str, Any]) -> Iterator[ValidationError]:
        from jsonschema import ValidationError

        for message in errors(value, instance):
            yield ValidationError(message)

    return keyword


@cache
def sms_validator_class() -> type[Validator]:
    """Draft 2020-12 with smsspec's custom keywords (imports jsonschema)."""
    import jsonschema

    extended: type[Validator] = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
        jsonschema.Draft202012Validator,
        {name: _keyword(errors) for name, errors in _CUSTOM.items()},
    )
    return extended


def __getattr__(name: str) -> Any:
    # ``SmsValidator`` stays importable by name without importing jsonschema up front.
    if name == "SmsValidator":
        return sms_validator_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_schema(name: str) -> dict[str, Any]:
    path = data_dir("schemas") / name
    with open(path, encoding="utf-8") as handle:
        schema: dict[str, Any] = json.load(handle)
    return schema


class SchemaChecker:
    """A schema with a quick validity check and, built when first needed, its jsonschema validator."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.schema = schema
        self._validator: Validator | None = None
        self._quick: Check | None = compile_check(schema, _QUICK_CUSTOM)

    @property
    def validator(self) -> Validator:
        if self._validator is None:
            self._validator = sms_validator_class()(self.schema)
        return self._validator

    def is_valid_quick(self, instance: Any) -> bool:
        """True only when the schema finds no error; False may still be valid."""
        return self._quick is not None and self._quick(instance)

    def iter_errors(self, instance: Any) -> Iterator[ValidationError]:
        return self.validator.iter_errors(instance)


@cache
def schema_validator(name: str) -> SchemaChecker:
    return SchemaChecker(load_schema(name))


_provider_validators: dict[str, SchemaChecker] = {}


class _ProviderSchema(Protocol):
    """What provider_validator needs of a :class:`~smsspec.providers.registry.Provider`."""

    @property
    def id(self) -> str: ...
    @property
    def schema(self) -> Mapping[str, Any]: ...


def provider_validator(provider: _ProviderSchema) -> SchemaChecker:
    validator = _provider_validators.get(provider.id)
    if validator is None or validator.schema is not provider.schema:
        validator = SchemaChecker(provider.schema)
        _provider_validators[provider.id] = validator
    return validator


@dataclass(frozen=True)
class SchemaProblem:
    """A schema error reduced to what a diagnostic needs."""

    rule: str | None  # from x-rule, if the schema names one
    severity: str | None  # from x-severity
    keyword: str
    path: tuple[str | int, ...]  # instance path
    text: str  # the sentence to show
    suggestion: str | None = None
    field: str | None = None  # the field concerned (unknown or missing)
    expected: tuple[str, ...] = ()  # JSON types, for type errors
    worded: bool = False  # the text comes from the schema's x-message and stands alone


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def format_message(template: str, context: Mapping[str, Any]) -> str:
    try:
        return string.Formatter().vformat(template, (), _Blank(context))
    except (ValueError, AttributeError, IndexError, KeyError):
        return template


def _resolve(root: Mapping[str, Any], ref: str) -> Any:
    node: Any = root
    for part in ref.lstrip("#/").split("/"):
        if part:
            node = node[part]
    return node


def annotations_along(root: Mapping[str, Any], schema_path: Sequence[str | int], failing: Any = None) -> dict[str, Any]:
    """The x-rule / x-severity / x-message nearest to the failing keyword (``$ref``s followed)."""
    found: dict[str, Any] = {}
    node: Any = root
    for part in schema_path:
        while isinstance(node, Mapping) and part not in node and isinstance(node.get("$ref"), str):
            node = _resolve(root, node["$ref"])
        if isinstance(node, Mapping):
            for key in _NOTES:
                if key in node:
                    found[key] = node[key]
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
    for last in (node, failing):
        if isinstance(last, Mapping):
            for key in _NOTES:
                if key in last:
                    found[key] = last[key]
    return found


_NOTES = ("x-rule", "x-severity", "x-message")


def did_you_mean(word: str, choices: Sequence[str]) -> str | None:
    import difflib

    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


def _describe_type(types: Any) -> str:
    names = {"string": "text", "integer": "a whole number", "number": "a number", "boolean": "true or false",
             "object": "a mapping", "array": "a list", "null": "null"}
    if isinstance(types, str):
        types = [types]
    return " or ".join(names.get(t, t) for t in types)


def problems(
    validator: SchemaChecker | Validator,
    instance: Any,
    context: Callable[[tuple[str | int, ...]], Mapping[str, Any]] | None = None,
) -> list[SchemaProblem]:
    if isinstance(validator, SchemaChecker):
        if validator.is_valid_quick(instance):
            return []
        validator = validator.validator
    root: Mapping[str, Any] = validator.schema if isinstance(validator.schema, Mapping) else {}
    found: list[SchemaProblem] = []
    for err in validator.iter_errors(instance):
        found.extend(_explain(err, root, context))
    return found


def _explain(
    err: ValidationError,
    root: Mapping[str, Any],
    context: Callable[[tuple[str | int, ...]], Mapping[str, Any]] | None,
) -> Iterator[SchemaProblem]:
    path = tuple(err.absolute_path)
    notes = annotations_along(root, list(err.absolute_schema_path)[:-1], err.schema)
    rule, severity = notes.get("x-rule"), notes.get("x-severity")
    keyword = str(err.validator)
    schema = err.schema if isinstance(err.schema, Mapping) else {}
    expected_value: Any = err.validator_value

    if keyword == "additionalProperties" and isinstance(err.instance, Mapping):
        properties = schema.get("properties", {})
        known = list(properties)
        for extra in sorted(k for k in err.instance if k not in known):
            meant = [name for name, sub in properties.items() if isinstance(sub, Mapping) and extra.lower() in sub.get("x-synonyms", ())]
            hint = meant[0] if meant else did_you_mean(extra, known)
            text = f"unknown field `{extra}`"
            if meant:
                text += f"; did you mean {' or '.join(f'`{name}`' for name in meant)}?"
            else:
                text += f"; did you mean `{hint}`?" if hint else (f"; known fields: {', '.join(known)}" if known else "")
            yield SchemaProblem(rule, severity, keyword, (*path, extra), text, hint, extra)
        return
    if keyword == "required" and isinstance(err.instance, Mapping):
        for missing in (k for k in expected_value if k not in err.instance):
            if notes.get("x-message"):
                facts = {"field": missing, **(context(path) if context else {})}
                yield SchemaProblem(rule, severity, keyword, path, format_message(notes["x-message"], facts), None, missing, worded=True)
                continue
            text = f"missing required field `{missing}`"
            description = schema.get("properties", {}).get(missing, {}).get("description")
            if description:
                text += f" ({description})"
            yield SchemaProblem(rule, severity, keyword, path, text, None, missing)
        return

    values: dict[str, Any] = {"value": err.instance}
    if isinstance(err.instance, str):
        values["length"] = len(err.instance)
        if isinstance(expected_value, int) and keyword == "maxLength":
            values["truncated"] = err.instance[:expected_value]
        analysis = encoding.analyze(err.instance)
        values.update(segments=analysis.segments, encoding=analysis.encoding, characters=analysis.characters)
    if context is not None:
        values.update(context(path))
    template = notes.get("x-message")
    if keyword == "type":  # expected types let a YAML trap (`id: yes`) be named whatever the wording
        text = format_message(template, values) if template else f"must be {_describe_type(expected_value)}, not {json.dumps(err.instance, default=str)}"
        expected = (expected_value,) if isinstance(expected_value, str) else tuple(expected_value)
        yield SchemaProblem(rule, severity, keyword, path, text, expected=expected, worded=bool(template))
        return
    if template:
        text = format_message(template, values)
    elif keyword in ("enum", "const"):
        allowed = expected_value if keyword == "enum" else [expected_value]
        text = f"must be one of {', '.join(json.dumps(v) for v in allowed)}, not {json.dumps(err.instance, default=str)}"
        if isinstance(err.instance, str):
            hint = did_you_mean(err.instance, [str(v) for v in allowed])
            if hint:
                text += f"; did you mean {hint!r}?"
                yield SchemaProblem(rule, severity, keyword, path, text, hint)
                return
    elif keyword == "minItems":
        text = f"needs at least {expected_value} item{'s' if expected_value != 1 else ''}"
    else:
        text = err.message
    yield SchemaProblem(rule, severity, keyword, path, text, worded=bool(template))
