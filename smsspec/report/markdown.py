"""Markdown for pull requests and GitHub's job summary: diagnostics, plans, and the pieces.

Everything that came from outside (spec texts, ids, account names, file
names, rule messages quoting values) is written so Markdown and HTML read it
as text: inside a code span (:func:`code`) or a fenced block (:func:`fenced`)
whose fence is longer than any backtick run in it, with control characters
escaped and, in a table, ``|`` escaped; prose from outside goes through
:func:`text`, which backslash-escapes every ASCII punctuation character
(CommonMark's escapes), so ``<img>``, ``*``, ``[link](x)`` and ``|`` stay
literal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from smsspec.diagnostics import Diagnostic
from smsspec.terminal import printable

_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")
_BACKTICKS = re.compile(r"`+")
MAX_ROWS = 500  # diagnostics listed; a job summary holds at most 1 MiB


def text(value: str) -> str:
    """``value`` as literal Markdown text on one line (CommonMark backslash escapes)."""
    return _PUNCTUATION.sub(r"\\\1", printable(value))


def _fence_length(value: str) -> int:
    return max((len(run) for run in _BACKTICKS.findall(value)), default=0) + 1


def code(value: str, *, cell: bool = False) -> str:
    """``value`` as an inline code span on one line; ``cell=True`` inside a table row."""
    shown = printable(value)
    if cell:
        shown = shown.replace("|", "\\|")  # GFM takes a row's pipes out before inline parsing
    if not shown:
        return ""
    fence = "`" * _fence_length(shown)
    # CommonMark takes one space off each end when both ends have one (and not only spaces).
    ends_in_space = shown[0] == " " and shown[-1] == " " and bool(shown.strip())
    pad = " " if shown[0] == "`" or shown[-1] == "`" or ends_in_space else ""
    return f"{fence}{pad}{shown}{pad}{fence}"


def fenced(lines: Iterable[str], info: str = "") -> str:
    """A fenced code block holding ``lines`` as they are (control characters but tabs escaped)."""
    body = [printable(line) for line in lines]
    fence = "`" * max(3, _fence_length("\n".join(body)))
    return "\n".join([fence + info, *body, fence])


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A GFM table; cells must be Markdown already (built with :func:`code` or :func:`text`)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell.replace("\n", " ") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def diagnostics_markdown(diagnostics: Sequence[Diagnostic], files: int, messages: int, errors: int, warnings: int) -> str:
    """``validate`` as Markdown: a heading with the counts and one table row per finding."""
    outcome = "problems found" if errors else "ok"
    lines = [
        f"### smsspec validate: {outcome}",
        "",
        f"Checked {files} file{'s' if files != 1 else ''}, {messages} message{'s' if messages != 1 else ''}: "
        f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}.",
    ]
    if diagnostics:
        shown = diagnostics[:MAX_ROWS]
        lines += ["", table(
            ["where", "severity", "rule", "message"],
            ([code(str(d.location), cell=True), d.severity.value, code(d.rule, cell=True), text(d.message)] for d in shown),
        )]
        if len(diagnostics) > MAX_ROWS:
            lines += ["", f"... and {len(diagnostics) - MAX_ROWS} more (GitHub shows at most 1 MiB of a job summary)."]
    return "\n".join(lines) + "\n"
