"""Opt-out files: ``opt_out: {files: [optouts.csv]}`` in smsspec.yaml.

One number a line, or CSV whose header names a ``number`` column (other
columns, such as when or why, are ignored). Numbers are normalised to E.164
(:func:`smsspec.compliance.optout.normalise`); a line that is no number is a
problem at its file:line:col. Reads are bounded and confined to the project
exactly like recipients files' (:mod:`smsspec.load.recipients`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from smsspec.compliance.optout import normalise
from smsspec.load.recipients import (
    FileRecipient,
    RecipientFile,
    RowProblem,
    read_number_lines,
    read_recipients,
)

NUMBER_COLUMN = "number"
MAX_PROBLEMS = 20  # problems reported per file; the rest are counted
_LOOKS_LIKE_NUMBER = re.compile(r"[+0-9(][0-9 ()./-]*")


@dataclass(frozen=True)
class OptOutProblem:
    row: int  # 0: the file as a whole
    column: int
    message: str


@dataclass(frozen=True)
class OptOutFile:
    numbers: frozenset[str]
    problems: tuple[OptOutProblem, ...]
    hidden: int = 0  # problems found beyond MAX_PROBLEMS


def read_opt_out_file(path: Path, display: str, roots: tuple[Path, ...], declared: str = "") -> OptOutFile:
    """Every number of the file, and what is wrong with it (nothing when it is usable)."""
    source = RecipientFile(path, display, NUMBER_COLUMN, "csv", declared, roots)
    numbers: set[str] = set()
    problems: list[OptOutProblem] = []
    hidden = 0
    for item in _rows(source):
        if isinstance(item, RowProblem):
            problem = OptOutProblem(item.row, item.column, item.message)
        else:
            e164, why = normalise(item.number)
            if e164 is not None:
                numbers.add(e164)
                continue
            problem = OptOutProblem(item.row, item.column, f"line {item.row}: the entry {why}")
        if len(problems) < MAX_PROBLEMS:
            problems.append(problem)
        else:
            hidden += 1
    return OptOutFile(frozenset(numbers), tuple(problems), hidden)


def _rows(source: RecipientFile) -> Iterator[FileRecipient | RowProblem]:
    """One number a line when the first entry is a number; CSV with a header otherwise."""
    lines = read_number_lines(source)
    first = next(lines, None)
    if first is None:
        return
    if isinstance(first, RowProblem) or _LOOKS_LIKE_NUMBER.fullmatch(first.number):
        yield first
        yield from lines
        return
    lines.close()
    yield from read_recipients(source)
