"""Problems found in the user's input, as data.

A :class:`Diagnostic` is what every stage returns instead of raising when the
input is wrong. Only the CLI turns them into text and an exit code.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, order=True)
class Location:
    """A 1-based position in a file; ``line``/``column`` are 0 when unknown."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column or 1}"
        return self.file


@dataclass(frozen=True)
class Diagnostic:
    rule: str
    severity: Severity
    message: str
    location: Location
    message_id: str | None = None
    # Optional machine-readable fix hint (e.g. the suggested replacement text).
    fix: str | None = None
    extra: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.location.file, self.location.line, self.location.column, self.rule)


def count(diagnostics: Iterable[Diagnostic], severity: Severity) -> int:
    return sum(1 for d in diagnostics if d.severity is severity)


def error(rule: str, message: str, location: Location, **kw: object) -> Diagnostic:
    return Diagnostic(rule, Severity.ERROR, message, location, **kw)  # type: ignore[arg-type]


def warning(rule: str, message: str, location: Location, **kw: object) -> Diagnostic:
    return Diagnostic(rule, Severity.WARNING, message, location, **kw)  # type: ignore[arg-type]


def apply_rule_settings(diagnostics: Iterable[Diagnostic], settings: Mapping[str, str]) -> list[Diagnostic]:
    """Project-wide rule settings from smsspec.yaml: off, warning or error."""
    out = []
    for diagnostic in diagnostics:
        level = settings.get(diagnostic.rule)
        if level == "off":
            continue
        if level in ("warning", "error"):
            diagnostic = replace(diagnostic, severity=Severity(level))
        out.append(diagnostic)
    return out
