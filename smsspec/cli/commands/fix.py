"""``smsspec fix``: safe rewrites in place, or their diff with ``--diff``.

Exit codes: 0 nothing to fix, or everything fixed; 1 with ``--diff`` when
there are changes to make (like a formatter's check mode, so CI can fail on
fixable problems), or when a file could not be written; 2 usage errors.
"""

from __future__ import annotations

import sys

import click

from smsspec.cli.options import CONTEXT, EXIT_OK, EXIT_USAGE, config_option, echo, paths_argument
from smsspec.cli.options import EXIT_PROBLEMS as EXIT_CHANGES
from smsspec.errors import FileChanged, UsageError
from smsspec.fix.rewrite import FIXABLE_RULES, plan_fixes, write_fixes
from smsspec.terminal import printable


@click.command(context_settings=CONTEXT)
@paths_argument
@config_option
@click.option("--diff", "show_diff", is_flag=True, help="Print the changes as a unified diff and write nothing; exit 1 if there are any.")
@click.option(
    "--rule", "rule_ids", multiple=True, metavar="RULE",
    type=click.Choice(FIXABLE_RULES, case_sensitive=False),
    help=f"Only fix this rule (repeatable): {', '.join(FIXABLE_RULES)}.",
)
def fix(paths: tuple[str, ...], config_path: str | None, show_diff: bool, rule_ids: tuple[str, ...]) -> None:
    """Rewrite what has one safe fix, keeping everything else byte for byte.

    \b
    Quotes phone numbers, senders and other text written as YAML numbers or
    booleans (from: 00000 -> from: "00000"), swaps characters that force
    UCS-2 for GSM-7 look-alikes (’ -> ') when that saves segments, in texts
    and in the CSV recipients files they use, and writes numbers like
    "+40 712 034 567" in E.164 when that is unambiguous.

    \b
    Examples:
      smsspec fix messages/
      smsspec fix --diff messages/ > fixes.patch
      smsspec fix --rule YAML-NUMBER-AS-STRING welcome.sms.yaml
    """
    try:
        result = plan_fixes(list(paths), config_path, rule_ids or FIXABLE_RULES)
    except UsageError as exc:
        echo(f"smsspec: {printable(str(exc))}", err=True)
        sys.exit(EXIT_USAGE)
    # With --diff, stdout carries only the patch; the notes go to stderr.
    notes_to_stderr = show_diff
    verb = "would fix" if show_diff else "fixed"
    failed = done = 0
    for file in result.files:
        if file.changed and show_diff:
            echo(file.diff(), nl=False)
        elif file.changed:
            try:
                write_fixes(file)
            except (FileChanged, OSError) as exc:
                failed += 1
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                echo(printable(f"smsspec: cannot write {file.display}: {reason}"), err=True)
                continue
        done += len(file.fixes)
        for item in file.fixes:
            echo(printable(f"{item.location}: {verb} {item.rule}: {item.summary}"), err=notes_to_stderr)
    for skipped in result.skipped:
        echo(printable(f"{skipped.location}: skipped {skipped.rule}: {skipped.reason}"), err=notes_to_stderr)
    files = len(result.changed) - failed
    if not done and not failed:
        echo("Nothing to fix.", err=notes_to_stderr)
        sys.exit(EXIT_OK)
    summary = f"{'Would fix' if show_diff else 'Fixed'} {_plural(done, 'problem')} in {_plural(files, 'file')}"
    echo(summary + (" (nothing written)." if show_diff else "."), err=notes_to_stderr)
    sys.exit(EXIT_CHANGES if show_diff or failed else EXIT_OK)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
