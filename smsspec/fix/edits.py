"""What a fix is: edits to a file's text, the fixes and skips reported for them, and the diff.

Shared by the rewrites of spec files (:mod:`smsspec.fix.rewrite`) and of
recipients files (:mod:`smsspec.fix.recipients`).
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from smsspec.diagnostics import Location


@dataclass(frozen=True)
class Edit:
    """Replace ``text[start:end]`` (one whole scalar as written) with ``new``.

    ``value`` and ``style`` are what the YAML parser must read there afterwards.
    """

    start: int
    end: int
    new: str
    value: str
    style: str | None


@dataclass(frozen=True)
class Fix:
    rule: str
    location: Location
    summary: str
    edit: Edit


@dataclass(frozen=True)
class SkippedFix:
    rule: str
    location: Location
    reason: str


@dataclass
class FileFixes:
    path: Path
    display: str
    original: str
    fixes: list[Fix] = field(default_factory=list)
    skipped: list[SkippedFix] = field(default_factory=list)

    @property
    def fixed(self) -> str:
        return apply_edits(self.original, [f.edit for f in self.fixes])

    @property
    def changed(self) -> bool:
        return bool(self.fixes)

    def diff(self) -> str:
        """A unified diff of the change, ``a/``/``b/`` prefixed like git's."""
        name = self.display.replace(os.sep, "/")
        old, new = (f"a/{name}", f"b/{name}") if not os.path.isabs(self.display) else (name, name)
        lines = difflib.unified_diff(_lines(self.original), _lines(self.fixed), old, new)
        return "".join(_terminated(lines))


@dataclass
class FixResult:
    files: list[FileFixes] = field(default_factory=list)
    unreadable: list[SkippedFix] = field(default_factory=list)

    @property
    def changed(self) -> list[FileFixes]:
        return [f for f in self.files if f.changed]

    @property
    def fixes(self) -> int:
        return sum(len(f.fixes) for f in self.files)

    @property
    def skipped(self) -> list[SkippedFix]:
        return [s for f in self.files for s in f.skipped] + self.unreadable




def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """``text`` with each edit's span replaced; spans must not overlap."""
    out: list[str] = []
    position = 0
    for edit in sorted(edits, key=lambda e: e.start):
        if edit.start < position:
            raise ValueError("overlapping edits")
        out += (text[position : edit.start], edit.new)
        position = edit.end
    out.append(text[position:])
    return "".join(out)


# diff helpers -----------------------------------------------------------------


def _lines(text: str) -> list[str]:
    """Lines split at \\n only, each keeping its line break."""
    return re.findall(r"[^\n]*\n|[^\n]+\Z", text)


def _terminated(lines: Iterable[str]) -> Iterator[str]:
    for line in lines:
        yield line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
