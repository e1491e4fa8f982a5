"""`smsspec preview`: one self-contained HTML page of what phones will show."""

from __future__ import annotations

import sys

import click

from smsspec.cli.checks import exit_code_for, run_checks, summary_of
from smsspec.cli.options import CONTEXT, EXIT_OK, config_option, echo, fail, paths_argument, styler
from smsspec.report.diagnostics import text_report
from smsspec.review.optouts import opt_out_lists
from smsspec.review.preview import render_preview
from smsspec.terminal import printable


@click.command(context_settings=CONTEXT)
@paths_argument
@config_option
@click.option("-o", "--output", default="preview.html", show_default=True, metavar="FILE",
              help="Where to write the page (`-` for standard output).")
def preview(paths: tuple[str, ...], config_path: str | None, output: str) -> None:
    """Write one HTML page showing each message as a phone shows it.

    For each message: its first recipient and the worst case (the recipient
    whose text needs the most segments), with the sender or mask, the text cut
    into its SMS segments, the characters that force UCS-2 marked with their
    GSM-7 look-alikes, segments and cost, account and provider. The page is one
    file with no script and no request (a strict Content-Security-Policy), fit
    to keep as a CI artifact. Messages with errors are listed, not shown, and
    the exit code is then 1 (the page is still written).

    \b
    Examples:
      smsspec preview messages/ -o preview.html
      smsspec preview -o - > page.html
    """
    result = run_checks(paths, config_path)
    code = exit_code_for(result, False)
    if result.errors or result.warnings:
        echo(text_report(summary_of(result), styler(sys.stderr)), err=True)
    if code == 2:
        sys.exit(code)
    shown = {c.message.id for c in result.checked}
    failing = sorted({d.message_id for d in result.diagnostics if d.is_error and d.message_id} - shown)
    with opt_out_lists(result.checked) as lists:
        page = render_preview(result.checked, failing, lists)
    if lists.note:
        echo(printable(f"note: {lists.note}"), err=True)
    if output == "-":
        if sys.stdout.isatty():
            fail("-o -: the page is HTML for a browser; redirect it to a file or write it with -o FILE")
        echo(page, nl=False)
    else:
        try:
            with open(output, "w", encoding="utf-8", newline="") as out:
                out.write(page)
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror or exc}")
        shown_count = len(result.checked)
        echo(f"wrote {output}: {shown_count} message{'s' if shown_count != 1 else ''}"
             + (f", {len(failing)} not shown (errors)" if failing else ""), err=True)
    sys.exit(code or EXIT_OK)
