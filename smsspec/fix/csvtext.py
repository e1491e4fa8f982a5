"""A CSV file's records with the span of every field in the file's text, so a fix can
replace one value and leave every other byte (quoting, line endings, BOM) as it was.

The dialect is the one recipients files are read with: a delimiter (``,``
unless the file names another), ``"`` quoting with doubled quotes inside,
records ended by ``\\r\\n``, ``\\n`` or ``\\r``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

QUOTE = '"'


@dataclass(frozen=True)
class Field:
    start: int  # offsets in the text, quotes included
    end: int
    value: str
    quoted: bool


@dataclass(frozen=True)
class Record:
    line: int  # 1-based line the record starts on
    fields: tuple[Field, ...]


def records(text: str, delimiter: str = ",") -> Iterator[Record]:
    """Every record of ``text``; ValueError where it is not CSV the strict reader accepts."""
    position = 1 if text.startswith("\ufeff") else 0
    line = 1
    size = len(text)
    while position < size:
        fields: list[Field] = []
        first_line = line
        while True:
            field, position = _field(text, position, delimiter)
            line += text.count("\n", field.start, field.end) + text.count("\r", field.start, field.end) - text.count("\r\n", field.start, field.end)
            fields.append(field)
            if position < size and text[position] == delimiter:
                position += 1
                continue
            break
        if text.startswith("\r\n", position):
            position += 2
        elif position < size and text[position] in "\r\n":
            position += 1
        elif position < size:
            raise ValueError(f"line {line}: unexpected {text[position]!r} after a quoted field")
        line += 1
        yield Record(first_line, tuple(fields))


def _field(text: str, start: int, delimiter: str) -> tuple[Field, int]:
    if not text.startswith(QUOTE, start):
        end = start
        while end < len(text) and text[end] not in (delimiter, "\r", "\n"):
            end += 1
        return Field(start, end, text[start:end], False), end
    parts: list[str] = []
    at = start + 1
    while True:
        close = text.find(QUOTE, at)
        if close < 0:
            raise ValueError("a quoted field is not closed")
        parts.append(text[at:close])
        if text.startswith(QUOTE, close + 1):
            parts.append(QUOTE)
            at = close + 2
            continue
        return Field(start, close + 1, "".join(parts), True), close + 1


def written(value: str, quoted: bool, delimiter: str = ",") -> str:
    """``value`` as a field: quoted if the old field was, or if it must be."""
    if quoted or any(c in value for c in (delimiter, QUOTE, "\r", "\n")):
        return QUOTE + value.replace(QUOTE, QUOTE * 2) + QUOTE
    return value


def parsed(text: str, delimiter: str = ",") -> list[list[str]]:
    """What the csv module reads from ``text`` (a BOM dropped), to check a rewrite."""
    body = text[1:] if text.startswith("\ufeff") else text
    return [row for row in csv.reader(io.StringIO(body, newline=""), delimiter=delimiter, strict=True)]


def values(found: Sequence[Record]) -> list[list[str]]:
    return [[f.value for f in record.fields] for record in found]
