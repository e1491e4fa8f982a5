"""Reporters: diagnostics in, text out. Chosen by name; the CLI prints what they return."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from smsspec.diagnostics import Diagnostic, Severity


@dataclass(frozen=True)
class Summary:
    files: int
    messages: int
    diagnostics: list[Diagnostic]

    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity is Severity.WARNING)


Style = Callable[[str, str], str]  # (text, role) -> styled text


def plain(text: str, role: str) -> str:
    return text


def text_report(summary: Summary, style: Style = plain) -> str:
    lines = []
    for d in summary.diagnostics:
        level = style(f"{d.severity.value}[{d.rule}]", d.severity.value)
        lines.append(f"{style(str(d.location), 'location')}: {level} {d.message}")
    counts = f"{summary.errors} error{'s' if summary.errors != 1 else ''}, {summary.warnings} warning{'s' if summary.warnings != 1 else ''}"
    checked = f"{summary.files} file{'s' if summary.files != 1 else ''}, {summary.messages} message{'s' if summary.messages != 1 else ''}"
    outcome = style("ok", "ok") if not summary.errors else style("problems found", "error")
    lines.append(f"{outcome}: checked {checked}: {counts}")
    return "\n".join(lines)


def diagnostic_json(d: Diagnostic) -> dict[str, object]:
    return {
        "file": d.location.file,
        "line": d.location.line,
        "column": d.location.column,
        "severity": d.severity.value,
        "rule": d.rule,
        "message": d.message,
        "message_id": d.message_id,
    }


def json_report(summary: Summary, style: Style = plain) -> str:
    return json.dumps(
        {
            "files": summary.files,
            "messages": summary.messages,
            "errors": summary.errors,
            "warnings": summary.warnings,
            "diagnostics": [diagnostic_json(d) for d in summary.diagnostics],
        },
        indent=2,
        ensure_ascii=False,
    )


REPORTERS: Mapping[str, Callable[[Summary, Style], str]] = {
    "text": text_report,
    "json": json_report,
}
