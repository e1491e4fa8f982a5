"""The ``validate`` command."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from smsspec._version import __version__
from smsspec.cli.checks import exit_code_for, run_checks, spec_paths
from smsspec.cli.options import (
    CONTEXT,
    REPORT_FORMATS,
    config_option,
    default_format,
    echo,
    fail,
    paths_argument,
    styler,
)
from smsspec.cli.step_summary import append_step_summary
from smsspec.load.config import find_config
from smsspec.load.spec import display_path
from smsspec.report.diagnostics import REPORTERS, Summary, markdown_report
from smsspec.validate.check import CheckResult, find_spec_files


@click.command(context_settings=CONTEXT)
@paths_argument
@config_option
@click.option("--format", "fmt", type=click.Choice(REPORT_FORMATS), default=None,
              help="Report format; under GitHub Actions the Markdown also goes to $GITHUB_STEP_SUMMARY."
                   "  [default: text; github when GITHUB_ACTIONS=true]")
@click.option("-o", "--output", type=click.File("w", encoding="utf-8", lazy=True), metavar="FILE",
              help="Write the report to FILE instead of standard output.")
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("-q", "--quiet", is_flag=True, help="Report only what fails the run (errors; warnings too with --strict), without the summary line.")
@click.option("-v", "--verbose", is_flag=True, help="Also say which smsspec.yaml each spec uses, and how long the check took (on standard error).")
def validate(paths: tuple[str, ...], config_path: str | None, fmt: str | None, output: Any,
             strict: bool, quiet: bool, verbose: bool) -> None:
    """Check spec files (and folders of *.sms.yaml) against every rule.

    A named smsspec.yaml stands for every spec below its folder. Suppress a
    finding on one line with a trailing `# smsspec: disable=RULE-ID -- reason`
    comment (on a message's first line: for the whole message).

    \b
    Examples:
      smsspec validate                      # every spec below the current folder
      smsspec validate messages/ --strict
      smsspec validate a.sms.yaml --format json
      smsspec validate --format sarif -o smsspec.sarif
      smsspec validate -q messages/         # errors only, no summary
    """
    if quiet and verbose:
        fail("--quiet and --verbose cannot be used together")
    started = time.perf_counter()
    result = run_checks(spec_paths(paths), config_path, report_only=not verbose)
    elapsed = time.perf_counter() - started
    if verbose:
        _explain_run(spec_paths(paths), config_path, result, elapsed)
    diagnostics = result.diagnostics
    if quiet:
        diagnostics = [d for d in diagnostics if d.is_error or strict]
    summary = Summary(result.files, result.messages, diagnostics, totals=not quiet,
                      configs=len(result.config_files), unchecked=result.unchecked)
    append_step_summary(markdown_report(summary))
    report = REPORTERS[fmt or default_format()](summary, styler(output) if output is not None else styler())
    if report or output is not None or not quiet:
        echo(report, file=output)
    sys.exit(exit_code_for(result, strict))


def _explain_run(paths: list[str], config_path: str | None, result: CheckResult, elapsed: float) -> None:
    """The -v lines: which configuration each spec used, and the time taken."""
    def say(text: str) -> None:
        echo(text, err=True)

    say(f"smsspec {__version__}, Python {sys.version.split()[0]}")
    for spec in find_spec_files(paths or ["."]):
        found = Path(config_path) if config_path else find_config(spec)
        used = display_path(found) if found is not None else "none found"
        say(f"{display_path(spec)}: config {used}")
    ready = len(result.checked)
    say(f"checked {result.files} file{'s' if result.files != 1 else ''} in {elapsed:.3f} s; "
        f"{ready} message{'s' if ready != 1 else ''} ready to render and send")
