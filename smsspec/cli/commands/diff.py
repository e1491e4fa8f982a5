"""`smsspec diff`: what a change to the specs does for recipients, against a git revision."""

from __future__ import annotations

import json
import sys

import click

from smsspec.cli.options import CONTEXT, EXIT_OK, config_option, echo, fail
from smsspec.cli.step_summary import append_step_summary
from smsspec.errors import UsageError
from smsspec.review.diff import diff as compare_specs
from smsspec.review.diff import split_arguments
from smsspec.review.diff_report import to_json, to_markdown, to_text


@click.command(context_settings=CONTEXT)
@click.argument("arguments", nargs=-1, metavar="[BASE] [PATHS]...", type=click.Path())
@click.option("--base", metavar="REV", help="The revision to compare with (instead of a first argument).")
@config_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True,
              help="Output format; under GitHub Actions the Markdown also goes to $GITHUB_STEP_SUMMARY.")
def diff(arguments: tuple[str, ...], base: str | None, config_path: str | None, fmt: str) -> None:
    """Show which messages a change adds, removes and changes, for whom, and at what cost.

    BASE is a git revision (default: the merge base of HEAD with the default
    branch: the pull request's base under GitHub Actions, origin/HEAD, main or
    master). The work tree's specs under PATHS (default: the current folder)
    are compared with the same files at BASE, message by message: rendered
    text for a sample and the worst-case recipient, recipients, segments and
    cost before and after. Always exit 0 when the comparison could be made (a
    diff is information; `validate` and `plan --max-cost` are the gates);
    exit 2 outside a git work tree or for an unknown BASE.

    \b
    Examples:
      smsspec diff                          # against the merge base with main
      smsspec diff origin/main messages/
      smsspec diff --base v1.2 --format json
      smsspec diff --format markdown > diff.md   # a pull request comment
    """
    try:
        revision, paths = split_arguments(arguments, base)
        result = compare_specs(paths, config_path, revision)
    except UsageError as exc:
        fail(str(exc))
    markdown = to_markdown(result)
    append_step_summary(markdown)
    if fmt == "json":
        echo(json.dumps(to_json(result), indent=2, ensure_ascii=False))
    elif fmt == "markdown":
        echo(markdown, nl=False)
    else:
        echo(to_text(result))
    sys.exit(EXIT_OK)
