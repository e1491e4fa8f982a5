"""A yes-or-no validity check compiled from a JSON Schema, for the common case.

jsonschema explains every error well, but walking a valid document with it
costs far more than the answer "valid" is worth, and most documents are
valid. So each schema is also compiled into a plain Python predicate that
answers exactly that question. When it says valid, jsonschema would have
found no errors and is not asked; otherwise jsonschema runs and its errors
become the diagnostics, as always. The check never produces a diagnostic.

Only the keywords smsspec's schemas use are compiled, each with jsonschema's
Draft 2020-12 semantics (``format`` is not asserted, as jsonschema does not
without a format checker). A schema using any other assertion keyword gets no
predicate (:func:`compile_check` returns None) and goes to jsonschema every
time, so the answer is always exact.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import unquote

__all__ = ["Check", "CustomKeyword", "compile_check"]

Check = Callable[[Any], bool]
# A custom keyword's check: (keyword value, instance) -> valid.
CustomKeyword = Callable[[Any, Any], bool]

# Draft 2020-12 assertion and applicator keywords this module does not compile.
_UNSUPPORTED = frozenset({
    "$dynamicRef", "$recursiveRef", "$anchor", "$dynamicAnchor", "$recursiveAnchor",
    "dependentRequired", "dependentSchemas",
    "multipleOf", "prefixItems", "unevaluatedItems",
    "unevaluatedProperties", "uniqueItems", "minContains", "maxContains",
    "additionalItems", "dependencies",
})


class _Unsupported(Exception):
    """The schema uses something this module does not compile."""


def _always(instance: Any) -> bool:
    return True


def _never(instance: Any) -> bool:
    return False


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, numbers.Number)


_TYPES: Mapping[str, Check] = {
    "string": lambda v: isinstance(v, str),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": _is_integer,
    "number": _is_number,
}


# JSON types that are exactly one Python type (bool is not an integer here, so those are not).
_PLAIN_TYPES: Mapping[str, type] = {"string": str, "object": dict, "array": list, "boolean": bool, "null": type(None)}


def _unbool(value: Any, true: object = object(), false: object = object()) -> Any:
    if value is True:
        return true
    if value is False:
        return false
    return value


def equal(one: Any, two: Any) -> bool:
    """JSON equality as jsonschema sees it: true is not 1, and lists compare item by item."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return len(one) == len(two) and all(key in two and equal(value, two[key]) for key, value in one.items())
    return bool(_unbool(one) == _unbool(two))


def _pointer(root: Any, ref: str) -> Any:
    if not ref.startswith("#"):
        raise _Unsupported(f"$ref {ref!r}")
    node = root
    fragment = unquote(ref[1:])
    if not fragment:
        return node
    if not fragment.startswith("/"):
        raise _Unsupported(f"$ref {ref!r}")
    for part in fragment[1:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise _Unsupported(f"$ref {ref!r} does not resolve")
    return node


class _Compiler:
    def __init__(self, root: Any, custom: Mapping[str, CustomKeyword]) -> None:
        self.root = root
        self.custom = custom
        self.refs: dict[str, Check] = {}

    def compile(self, schema: Any, *, top: bool = False) -> Check:
        if schema is True:
            return _always
        if schema is False:
            return _never
        if not isinstance(schema, Mapping):
            raise _Unsupported("schema is not an object")
        if "$id" in schema and not top:
            raise _Unsupported("embedded $id")
        checks: list[Check] = []
        for keyword, value in schema.items():
            if keyword in _UNSUPPORTED:
                raise _Unsupported(keyword)
            make = _KEYWORDS.get(keyword)
            if make is not None:
                check = make(self, value, schema)
            elif keyword in self.custom:
                check = _custom(self.custom[keyword], value)
            else:
                continue  # annotations (description, x-*, $defs, then, else, format, ...)
            if check is not _always:
                checks.append(check)
        return _all(checks)

    def ref(self, ref: str) -> Check:
        found = self.refs.get(ref)
        if found is not None:
            return found
        cell: list[Check] = []
        self.refs[ref] = lambda instance: cell[0](instance)  # for recursive schemas
        compiled = self.compile(_pointer(self.root, ref))
        cell.append(compiled)
        self.refs[ref] = compiled
        return compiled


def _all(checks: Sequence[Check]) -> Check:
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda instance: first(instance) and second(instance)
    frozen = tuple(checks)

    def every(instance: Any) -> bool:
        return all(check(instance) for check in frozen)

    return every


def _custom(keyword: CustomKeyword, value: Any) -> Check:
    return lambda instance: keyword(value, instance)


# --------------------------------------------------------------------------
# Keywords: (compiler, keyword value, whole schema) -> check


def _type(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    names = [value] if isinstance(value, str) else list(value)
    try:
        checks = [_TYPES[name] for name in names]
    except (KeyError, TypeError):
        raise _Unsupported(f"type {value!r}") from None
    if len(checks) == 1:
        return checks[0]
    plain = [_PLAIN_TYPES.get(name) for name in names]
    if None not in plain:  # no bool-excluding numbers: one isinstance call
        kinds = tuple(kind for kind in plain if kind is not None)
        return lambda instance: isinstance(instance, kinds)
    return lambda instance: any(check(instance) for check in checks)


def _const(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    if isinstance(value, str):
        return lambda instance: isinstance(instance, str) and instance == value
    return lambda instance: equal(instance, value)


def _enum(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    if not isinstance(value, list):
        raise _Unsupported("enum")
    if all(isinstance(v, str) for v in value):
        allowed = frozenset(value)
        return lambda instance: isinstance(instance, str) and instance in allowed
    return lambda instance: any(equal(each, instance) for each in value)


def _pattern(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    compiled: list[Callable[[str], Any]] = []  # on first use: most fields are absent from most files

    def pattern(instance: Any) -> bool:
        if not isinstance(instance, str):
            return True
        if not compiled:
            compiled.append(re.compile(value).search)
        return compiled[0](instance) is not None

    return pattern


def _max_length(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    return lambda instance: not isinstance(instance, str) or len(instance) <= value


def _min_length(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    return lambda instance: not isinstance(instance, str) or len(instance) >= value


def _bound(fails: Callable[[Any, Any], bool]) -> Callable[[_Compiler, Any, Mapping[str, Any]], Check]:
    """``fails`` is jsonschema's own error condition, so NaN is judged as it judges it."""

    def make(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
        if not _is_number(value):
            raise _Unsupported("bound")
        return lambda instance: not _is_number(instance) or not fails(instance, value)

    return make


def _min_items(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    return lambda instance: not isinstance(instance, list) or len(instance) >= value


def _max_items(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    return lambda instance: not isinstance(instance, list) or len(instance) <= value


def _min_properties(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    return lambda instance: not isinstance(instance, dict) or len(instance) >= value


def _max_properties(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    return lambda instance: not isinstance(instance, dict) or len(instance) <= value


def _property_names(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    check = c.compile(value)
    return lambda instance: not isinstance(instance, dict) or all(check(name) for name in instance)


def _required(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    names = tuple(value)
    return lambda instance: not isinstance(instance, dict) or all(name in instance for name in names)


def _properties(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    compiled = {name: c.compile(sub) for name, sub in value.items()}
    checks = {name: check for name, check in compiled.items() if check is not _always}
    if not checks:
        return _always

    def properties(instance: Any) -> bool:
        if not isinstance(instance, dict):
            return True
        if len(instance) < len(checks):  # walk the shorter of the two
            for name, item in instance.items():
                check = checks.get(name)
                if check is not None and not check(item):
                    return False
            return True
        for name, check in checks.items():
            if name in instance and not check(instance[name]):
                return False
        return True

    return properties


def _pattern_properties(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    checks = [(re.compile(pattern).search, c.compile(sub)) for pattern, sub in value.items()]

    def pattern_properties(instance: Any) -> bool:
        if not isinstance(instance, dict):
            return True
        for search, check in checks:
            for key, item in instance.items():
                if search(key) and not check(item):
                    return False
        return True

    return pattern_properties


def _additional_properties(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    known = schema.get("properties", {})
    patterns = "|".join(schema.get("patternProperties", {}))
    search = re.compile(patterns).search if patterns else None
    check = c.compile(value)
    if check is _always:
        return _always
    if check is _never and search is None:
        allowed = frozenset(known)
        return lambda instance: not isinstance(instance, dict) or allowed.issuperset(instance)

    def additional(instance: Any) -> bool:
        if not isinstance(instance, dict):
            return True
        for key, item in instance.items():
            if key in known or (search is not None and search(key)):
                continue
            if not check(item):
                return False
        return True

    return additional


def _items(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    check = c.compile(value)
    if check is _always:
        return _always

    def items(instance: Any) -> bool:
        return not isinstance(instance, list) or all(check(item) for item in instance)

    return items


def _contains(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    check = c.compile(value)
    return lambda instance: not isinstance(instance, list) or any(check(item) for item in instance)


def _if(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    condition = c.compile(value)
    then = c.compile(schema.get("then", True))
    otherwise = c.compile(schema.get("else", True))
    return lambda instance: then(instance) if condition(instance) else otherwise(instance)


def _not(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    check = c.compile(value)
    return lambda instance: not check(instance)


def _all_of(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    return _all([c.compile(sub) for sub in value])


def _any_of(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    checks = [c.compile(sub) for sub in value]
    return lambda instance: any(check(instance) for check in checks)


def _one_of(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    checks = [c.compile(sub) for sub in value]
    return lambda instance: sum(1 for check in checks if check(instance)) == 1


def _ref(c: _Compiler, value: Any, schema: Mapping[str, Any]) -> Check:
    if not isinstance(value, str):
        raise _Unsupported("$ref")
    return c.ref(value)


_KEYWORDS: Mapping[str, Callable[[_Compiler, Any, Mapping[str, Any]], Check]] = {
    "type": _type,
    "const": _const,
    "enum": _enum,
    "pattern": _pattern,
    "maxLength": _max_length,
    "minLength": _min_length,
    "minimum": _bound(lambda x, bound: x < bound),
    "maximum": _bound(lambda x, bound: x > bound),
    "exclusiveMinimum": _bound(lambda x, bound: x <= bound),
    "exclusiveMaximum": _bound(lambda x, bound: x >= bound),
    "minItems": _min_items,
    "maxItems": _max_items,
    "required": _required,
    "minProperties": _min_properties,
    "maxProperties": _max_properties,
    "propertyNames": _property_names,
    "properties": _properties,
    "patternProperties": _pattern_properties,
    "additionalProperties": _additional_properties,
    "items": _items,
    "contains": _contains,
    "if": _if,
    "not": _not,
    "allOf": _all_of,
    "anyOf": _any_of,
    "oneOf": _one_of,
    "$ref": _ref,
}


def compile_check(schema: Any, custom: Mapping[str, CustomKeyword] | None = None) -> Check | None:
    """A predicate that is true exactly when ``schema`` finds no error, or None
    when the schema uses a keyword this module does not compile."""
    compiler = _Compiler(schema, custom or {})
    try:
        compiled = compiler.compile(schema, top=True)
    except (_Unsupported, re.error, TypeError, AttributeError, RecursionError):
        return None

    def check(instance: Any) -> bool:
        try:
            return compiled(instance)
        except Exception:  # any surprise: let jsonschema decide
            return False

    return check
