"""Shape errors of spec and config files as diagnostics, with YAML's traps named.

YAML 1.1 reads ``from: 00000`` as the number 0 and ``sender_mask: NO`` as
false. Where a schema wants text and finds such a value, the raw scalar from
the file tells what the user meant, and the diagnostic says to quote it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from smsspec.diagnostics import Diagnostic, Location, error
from smsspec.load.yaml.source_map import PathKey, SourceMap
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
        if problem.keyword == "type":
            trap = trap_diagnostic(problem, data, source, display, where)
            if trap is not None:
                found.append(_with_path(trap, path))
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
        found.append(error(rule, text, location, fix=problem.suggestion, extra={"path": path}))
    return found


def _with_path(diagnostic: Diagnostic, path: PathKey) -> Diagnostic:
    diagnostic.extra["path"] = path
    return diagnostic

