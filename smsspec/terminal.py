"""Text from outside (spec files and their names, provider answers, paths) made safe to print.

Control characters never reach a terminal or a CI log as themselves: an
escape sequence could repaint the screen or retitle the window, and a line
break could start a line that a CI runner reads as a command (``::error ...``).
Every command's text output passes outside values through :func:`printable`
(JSON output is escaped by ``json`` already).
"""

from __future__ import annotations

import re

_CONTROLS = [*range(0x00, 0x09), *range(0x0A, 0x20), 0x7F, *range(0x80, 0xA0), 0x2028, 0x2029]
# How each control character is written: \xHH, \uHHHH, \n, \r (what Python and bash's $'' read).
ESCAPES = {code: (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}") for code in _CONTROLS}
ESCAPES.update({0x0A: "\\n", 0x0D: "\\r"})
_VISIBLE_KEEPING_LINES = {code: text for code, text in ESCAPES.items() if code not in (0x0A, 0x0D)}
# A scan in C first: most text holds no control character and is returned as it is.
_ANY = re.compile("[" + "".join(re.escape(chr(code)) for code in ESCAPES) + "]")
_ANY_BUT_LINES = re.compile("[" + "".join(re.escape(chr(code)) for code in _VISIBLE_KEEPING_LINES) + "]")
# A line break before "::" (after any indentation) would start a line a CI runner reads as a command.
_BREAK_BEFORE_COMMAND = re.compile(r"\n(?=[ \t]*::)")


def printable(text: str) -> str:
    """``text`` on one line, with control characters written as escapes (tabs kept)."""
    return text.translate(ESCAPES) if _ANY.search(text) else text


def printable_path(path: str) -> str:
    """``printable(path)``, with ``./`` before a path that starts with ``:``: a line that
    begins with it (after any indentation) must not read as a CI command."""
    shown = printable(path)
    return "./" + shown if shown.startswith(":") else shown


def printable_lines(text: str) -> str:
    """``text`` with control characters written as escapes, except line breaks (and tabs).

    A line break is written as ``\\n`` too where the next line would start with
    ``::`` (a GitHub Actions workflow command), so no line of the output is one.
    """
    if _ANY_BUT_LINES.search(text):
        text = text.translate(_VISIBLE_KEEPING_LINES)
    return _BREAK_BEFORE_COMMAND.sub(r"\\n", text) if "::" in text else text
