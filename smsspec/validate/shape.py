"""Shape errors of spec and config files as diagnostics, with YAML's traps named.

YAML 1.1 reads ``from: 00000`` as the number 0 and ``sender_mask: NO`` as
false. Where a schema wants text and finds such a value, the raw scalar from
the file tells what the user meant, and the diagnostic says to quote it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from smsspec.diagnostics import Diagnostic, Location, error
from smsspec.load.yaml.source_map import PathKey, SourceMap
from smsspec.load.yaml.wording import shorten
from smsspec.validate.schema import SchemaChecker, SchemaProblem, problems

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

_GENERIC_RULES = {
    "additionalProperties": "SPEC-UNKNOWN-FIELD",
    "required": "SPEC-REQUIRED",
    "type": "SPEC-TYPE",
}


def value_at(data: Any, path: Sequence[str | int]) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def describe_path(data: Any, path: Sequence[str | int]) -> str:
    """Readable name of a place in a spec: message 'welcome' `to[1]`."""
    parts = list(path)
    prefix = ""
    if len(parts) >= 2 and parts[0] == "messages" and isinstance(parts[1], int):
        message_id = value_at(data, ["messages", parts[1], "id"])
        prefix = f"message {message_id!r}" if isinstance(message_id, str) else f"message #{parts[1] + 1}"
        parts = parts[2:]
    field = ""
    for part in parts:
        field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
    if prefix and field:
        return f"{prefix} `{field}`"
    return prefix or (f"`{field}`" if field else "the file")


def trap_diagnostic(problem: SchemaProblem, data: Any, source: SourceMap, display: str, where: str) -> Diagnostic | None:
    """A YAML trap if a plain scalar became a number, boolean or null where text belongs."""
    if "string" not in problem.expected:
        return None
    value = value_at(data, problem.path)
    raw = source.raw_scalar(problem.path)
    location = source.locate(problem.path)
    if value is None:
        return error("YAML-NULL", f"{where} is empty; write a value or remove the key", location)
    if raw is None:
        return None
    if isinstance(value, bool):
        return error(
            "YAML-BOOLEAN",
            f"{where} is written {raw} without quotes, which YAML reads as {str(value).lower()}; write \"{raw}\"",
            location, fix=f'"{raw}"', extra={"intended": raw},
        )
    if isinstance(value, (int, float)):
        lost = "" if str(value) == raw else f" ({raw} becomes {value})"
        return error(
            "YAML-NUMBER-AS-STRING",
            f"{where} is written {raw} without quotes, which YAML reads as a number{lost}; write \"{raw}\"",
            location, fix=f'"{raw}"', extra={"intended": raw},
        )
    return None


_OCTAL = re.compile(r"[-+]?0[0-7_]+")


def _how(raw: str, value: float) -> str:
    """Why YAML read ``raw`` as ``value``, when the reason is not plain to see."""
    text = raw.lstrip("+-").lower()
    if ":" in text:
        return " (YAML 1.1 reads `a:b` as a base 60 number)"
    if _OCTAL.fullmatch(raw):
        return " (a leading 0 makes it octal)"
    if text.startswith(("0x", "0b", "0o")):
        return " (" + {"x": "hexadecimal", "b": "binary", "o": "octal"}[text[1]] + ")"
    return ""


def changed_text_values(data: Any, source: SourceMap) -> list[Diagnostic]:
    """Variables (``vars``) whose plain scalar YAML turned into something that reads
    differently in a text: ``012345`` is 5349 and ``yes`` shows as True. A number or
    boolean that reads back as written (``3``, ``true``) is what the user meant."""
    found: list[Diagnostic] = []
    for path, value in _variables(data, _not_text):
        if isinstance(value, bool):
            raw = source.raw_scalar(path)
            if raw is None or raw.lower() == str(value).lower():
                continue
            rule, reading = "YAML-BOOLEAN", str(value).lower()
        elif isinstance(value, (int, float)):
            raw = source.raw_scalar(path)
            if raw is None or raw == str(value):
                continue
            rule, reading = "YAML-NUMBER-AS-STRING", f"the number {value}{_how(raw, value)}"
        else:
            continue
        found.append(error(
            rule,
            f"{describe_path(data, path)} is written {raw} without quotes, which YAML reads as {reading}; "
            f'the text would show {value}; write "{raw}"',
            source.locate(path), fix=f'"{raw}"', message_id=_message_id(data, path),
            extra={"intended": raw, "path": path},
        ))
    return found


_OPENING = "“”„‘’‚«»"
_CLOSING = "“”‘’»«"


def curly_quoted_values(data: Any, source: SourceMap) -> list[Diagnostic]:
    """Plain values written between typographic quotes (`text: “Hi”`): YAML quotes only
    with ' and ", so the curly ones are part of the value and would be sent."""
    found: list[Diagnostic] = []
    for path, value in _fields(data, _curly):
        if not _curly(value):
            continue
        if source.raw_scalar(path) is None:
            continue  # quoted with ' or ": the curly quotes are the user's choice
        inner = value[1:-1]
        straight = '"' + inner.replace("\\", "\\\\").replace('"', '\\"') + '"'
        found.append(error(
            "YAML-CURLY-QUOTES",
            f"{describe_path(data, path)} starts with {value[0]} and ends with {value[-1]}, which YAML does not read "
            f"as quotes: both would be sent as part of the text; write straight quotes: {shorten(straight)}",
            source.locate(path), fix=straight, message_id=_message_id(data, path),
            extra={"intended": inner, "path": path},
        ))
    return found


def _curly(value: Any) -> bool:
    return isinstance(value, str) and len(value) >= 2 and value[0] in _OPENING and value[-1] in _CLOSING


def _not_text(value: Any) -> bool:
    return not isinstance(value, str)


def _fields(data: Any, wanted: Callable[[Any], bool]) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """The scalar fields of defaults and messages, and every variable (of the variables, only
    ``wanted`` ones: a path is built only for those, which matters with 100,000 recipients)."""
    if not isinstance(data, Mapping):
        return
    owners: list[tuple[tuple[str | int, ...], Any]] = [(("defaults",), data.get("defaults"))]
    messages = data.get("messages")
    owners += [(("messages", i), m) for i, m in enumerate(messages if isinstance(messages, list) else ())]
    for path, owner in owners:
        if isinstance(owner, Mapping):
            for name, value in owner.items():
                if not isinstance(value, (Mapping, list)):
                    yield (*path, name), value
    yield from _variables(data, wanted)


def _variables(data: Any, wanted: Callable[[Any], bool]) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Every ``wanted`` scalar under a ``vars`` mapping of the spec: defaults, messages, recipients."""
    if not isinstance(data, Mapping):
        return
    owners: list[tuple[tuple[str | int, ...], Any]] = [(("defaults",), data.get("defaults"))]
    messages = data.get("messages")
    for index, message in enumerate(messages if isinstance(messages, list) else ()):
        owners.append((("messages", index), message))
        to = message.get("to") if isinstance(message, Mapping) else None
        for number, recipient in enumerate(to if isinstance(to, list) else ()):
            owners.append((("messages", index, "to", number), recipient))
    for path, owner in owners:
        if isinstance(owner, Mapping) and isinstance(owner.get("vars"), Mapping):
            yield from _scalars(owner["vars"], (*path, "vars"), wanted)


def _scalars(
    value: Any, path: tuple[str | int, ...], wanted: Callable[[Any], bool]
) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    items = value.items() if isinstance(value, Mapping) else enumerate(value) if isinstance(value, list) else None
    if items is None:
        if wanted(value):
            yield path, value
        return
    for key, item in items:
        if isinstance(item, (Mapping, list)):
            yield from _scalars(item, (*path, key), wanted)
        elif wanted(item):
            yield (*path, key), item


def _message_id(data: Any, path: Sequence[str | int]) -> str | None:
    if len(path) >= 2 and path[0] == "messages" and isinstance(path[1], int):
        message_id = value_at(data, ["messages", path[1], "id"])
        return message_id if isinstance(message_id, str) else None
    return None


def unsets_default(path: Any, data: Any) -> bool:
    """Whether ``path`` is a message field written ``null`` to unset the file's default of that field:
    allowed, not an empty value by mistake (which stays YAML-NULL)."""
    if not (isinstance(path, tuple) and len(path) == 3 and path[0] == "messages" and isinstance(path[1], int)):
        return False
    defaults = data.get("defaults") if isinstance(data, Mapping) else None
    return (isinstance(defaults, Mapping) and path[2] in defaults and path[2] not in ("id", "text", "to")
            and value_at(data, path) is None)


def shape_diagnostics(validator: SchemaChecker | Validator, data: Any, source: SourceMap, display: str, base: PathKey = ()) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for problem in problems(validator, data):
        path = (*base, *problem.path)
        where = describe_path(data, problem.path)
        message_id = _message_id(data, problem.path)
        if problem.keyword == "type":
            trap = trap_diagnostic(problem, data, source, display, where)
            if trap is not None:
                found.append(_with_path(replace(trap, message_id=message_id), path))
                continue
        rule = problem.rule or _GENERIC_RULES.get(problem.keyword, "SPEC-VALUE")
        location: Location
        if problem.keyword == "additionalProperties":
            location = source.locate_key(path)
            owner = describe_path(data, problem.path[:-1])
            text = f"{owner}: {problem.text}" if owner != "the file" else problem.text
        else:
            location = source.locate(path)
            text = problem.text if problem.worded or where == "the file" else f"{where}: {problem.text}"
        found.append(error(rule, text, location, fix=problem.suggestion, message_id=message_id, extra={"path": path}))
    return found


def _with_path(diagnostic: Diagnostic, path: PathKey) -> Diagnostic:
    diagnostic.extra["path"] = path
    return diagnostic

