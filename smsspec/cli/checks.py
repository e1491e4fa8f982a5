"""Running the checks for a command, and what their result means for the exit code."""

from __future__ import annotations

import os
from collections.abc import Iterable

from smsspec.cli.options import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, fail
from smsspec.errors import UsageError
from smsspec.load.config import CONFIG_NAME
from smsspec.report.diagnostics import Summary
from smsspec.validate.check import CheckResult, check_paths
from smsspec.validate.parallel import check_for_report


def run_checks(paths: Iterable[str], config_path: str | None, *, report_only: bool = False) -> CheckResult:
    """``report_only``: diagnostics and counts, no checked messages (large sets use every CPU)."""
    check = check_for_report if report_only else check_paths
    try:
        return check(list(paths), config_path)
    except UsageError as exc:
        fail(str(exc))


def summary_of(result: CheckResult) -> Summary:
    return Summary(result.files, result.messages, result.diagnostics,
                   configs=len(result.config_files), unchecked=result.unchecked)


def exit_code_for(result: CheckResult, strict: bool) -> int:
    if any(d.rule.startswith("CONFIG-NOT-FOUND") for d in result.diagnostics):
        return EXIT_USAGE
    if result.errors or (strict and result.warnings):
        return EXIT_PROBLEMS
    return EXIT_OK


def spec_paths(paths: Iterable[str]) -> list[str]:
    """A named smsspec.yaml stands for its project: every spec below its folder."""
    return [os.path.dirname(p) or "." if os.path.basename(p) == CONFIG_NAME and os.path.isfile(p) else p for p in paths]
