"""Reporters: diagnostics in, text out. Chosen by name; the CLI prints what they return.

``text`` is for people, ``json`` for scripts, ``github`` prints GitHub Actions
workflow commands (annotations on the changed lines of a pull request) and
``sarif`` writes SARIF 2.1.0 for code scanning, ``markdown`` a table for a
pull request or GitHub's job summary.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from smsspec._version import __version__
from smsspec.diagnostics import Diagnostic, Severity, count
from smsspec.report.markdown import diagnostics_markdown
from smsspec.terminal import printable, printable_lines, printable_path

if TYPE_CHECKING:
    from smsspec.validate.catalog import Rule


@dataclass(frozen=True)
class Summary:
    files: int
    messages: int
    diagnostics: list[Diagnostic]
    totals: bool = True  # end with the one-line count (text and github formats)
    configs: int = 0  # smsspec.yaml files read
    unchecked: int = 0  # of ``messages``, those whose shape errors stop further checks

    @property
    def errors(self) -> int:
        return count(self.diagnostics, Severity.ERROR)

    @property
    def warnings(self) -> int:
        return count(self.diagnostics, Severity.WARNING)


Style = Callable[[str, str], str]  # (text, role) -> styled text


def plain(text: str, role: str) -> str:
    return text


def totals_line(summary: Summary, style: Style = plain) -> str:
    counts = f"{summary.errors} error{'s' if summary.errors != 1 else ''}, {summary.warnings} warning{'s' if summary.warnings != 1 else ''}"
    checked = f"{summary.files} file{'s' if summary.files != 1 else ''}"
    if summary.configs:
        checked += " and smsspec.yaml" if summary.configs == 1 else f" and {summary.configs} smsspec.yaml files"
    checked += f", {summary.messages} message{'s' if summary.messages != 1 else ''}"
    if summary.unchecked:
        checked += f" ({summary.unchecked} not checked further: shape errors)"
    outcome = style("ok", "ok") if not summary.errors else style("problems found", "error")
    return f"{outcome}: checked {checked}: {counts}"


def text_report(summary: Summary, style: Style = plain) -> str:
    lines = []
    for d in summary.diagnostics:
        level = style(f"{d.severity.value}[{d.rule}]", d.severity.value)
        where = printable_path(str(d.location))
        lines.append(f"{style(where, 'location')}: {level} {printable(d.message)}")
    if summary.totals:
        lines.append(totals_line(summary, style))
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
            "config_files": summary.configs,
            "messages": summary.messages,
            "messages_not_checked": summary.unchecked,
            "errors": summary.errors,
            "warnings": summary.warnings,
            "diagnostics": [diagnostic_json(d) for d in summary.diagnostics],
        },
        indent=2,
        ensure_ascii=False,
    )


# --------------------------------------------------------------------------
# GitHub Actions workflow commands


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def report_root() -> str:
    """The folder report paths are relative to: the checkout under GitHub Actions, else the current folder."""
    return os.environ.get("GITHUB_WORKSPACE") or os.getcwd()


def relative_path(file: str, root: str) -> str:
    """``file`` relative to ``root`` when it lies below it, else unchanged."""
    try:
        relative = os.path.relpath(os.path.abspath(file), root)
    except ValueError:  # another drive
        return file
    return file if relative == ".." or relative.startswith(".." + os.sep) else relative


def github_annotation(d: Diagnostic, root: str | None = None) -> str:
    """``::error file=F,line=L,col=C,title=RULE::message``, escaped as GitHub reads it."""
    file = relative_path(d.location.file, root) if root else d.location.file
    properties = [("file", PurePath(file).as_posix())]
    if d.location.line:
        properties.append(("line", str(d.location.line)))
        properties.append(("col", str(d.location.column or 1)))
    properties.append(("title", d.rule))
    listed = ",".join(f"{name}={_escape_property(printable_lines(value))}" for name, value in properties)
    return f"::{d.severity.value} {listed}::{_escape_data(printable_lines(d.message))}"


def github_report(summary: Summary, style: Style = plain) -> str:
    root = report_root()
    lines = [github_annotation(d, root) for d in summary.diagnostics]
    if summary.totals:
        lines.append(totals_line(summary))
    return "\n".join(lines)


# --------------------------------------------------------------------------
# SARIF 2.1.0

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_ROOT = "%SRCROOT%"


def artifact_location(file: str, root: str | None = None) -> dict[str, str]:
    """Paths below ``root`` become URIs relative to it (``%SRCROOT%``); others absolute ``file:`` URIs."""
    path = PurePath(relative_path(file, root) if root else file)
    if path.is_absolute():
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(path.as_posix(), safe="/"), "uriBaseId": SARIF_ROOT}


def _first_sentence(text: str) -> str:
    head, dot, rest = text.partition(". ")
    return head + "." if dot and rest else text


def sarif_rule(rule: Rule) -> dict[str, Any]:
    help_text = f"{rule.summary}\n\nFix: {rule.fix}"
    help_markdown = f"{rule.summary}\n\n**Fix:** {rule.fix}"
    if rule.example:
        help_text += "\n\nExample that triggers it:\n" + "\n".join("    " + line for line in rule.example.splitlines())
        help_markdown += "\n\nExample that triggers it:\n\n```yaml\n" + rule.example + "\n```"
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "shortDescription": {"text": _first_sentence(rule.summary) or rule.id},
        "fullDescription": {"text": rule.summary or rule.id},
        "help": {"text": help_text, "markdown": help_markdown},
        "defaultConfiguration": {"level": rule.severity.value},
    }
    if rule.provider:
        descriptor["properties"] = {"provider": rule.provider, "tags": ["provider", rule.provider]}
    return descriptor


def sarif_result(d: Diagnostic, rule_index: Mapping[str, int], root: str | None = None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": artifact_location(d.location.file, root)}
    if d.location.line:
        physical["region"] = {"startLine": d.location.line, "startColumn": d.location.column or 1}
    result: dict[str, Any] = {
        "ruleId": d.rule,
        "level": d.severity.value,
        "message": {"text": d.message},
        "locations": [{"physicalLocation": physical}],
    }
    if d.rule in rule_index:
        result["ruleIndex"] = rule_index[d.rule]
    if d.message_id is not None:
        result["properties"] = {"messageId": d.message_id}
    return result


def sarif_log(summary: Summary, rules: Iterable[Rule] | None = None, root: str | None = None) -> dict[str, Any]:
    if rules is None:
        from smsspec.validate.catalog import all_rules

        rules = all_rules().values()
    ordered = sorted(rules, key=lambda rule: rule.id)
    rule_index = {rule.id: i for i, rule in enumerate(ordered)}
    root = root or report_root()
    root_uri = Path(root).resolve().as_uri().rstrip("/") + "/"
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "smsspec",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [sarif_rule(rule) for rule in ordered],
            }},
            "invocations": [{"executionSuccessful": True}],
            "originalUriBaseIds": {SARIF_ROOT: {"uri": root_uri}},
            "columnKind": "unicodeCodePoints",
            "results": [sarif_result(d, rule_index, root) for d in summary.diagnostics],
        }],
    }


def sarif_report(summary: Summary, style: Style = plain) -> str:
    return json.dumps(sarif_log(summary), indent=2, ensure_ascii=False)


def markdown_report(summary: Summary, style: Style = plain) -> str:
    return diagnostics_markdown(summary.diagnostics, summary.files, summary.messages, summary.errors, summary.warnings)


REPORTERS: Mapping[str, Callable[[Summary, Style], str]] = {
    "text": text_report,
    "json": json_report,
    "github": github_report,
    "sarif": sarif_report,
    "markdown": markdown_report,
}
