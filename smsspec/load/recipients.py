"""Recipients read from a file: ``to: {file: customers.csv, number: phone}``.

CSV (with a header row) or JSON Lines, streamed row by row so a million
recipients never sit in memory at once. Every other column becomes that
recipient's template variables. Problems carry the file's row and column.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_MAX_FIELD = 64 * 1024


@dataclass(frozen=True)
class RecipientFile:
    path: Path  # absolute
    display: str  # as shown in diagnostics
    number_column: str
    format: str  # "csv" or "jsonl"
    declared: str = ""  # the path as the spec writes it, for messages

    @property
    def name(self) -> str:
        return self.declared or self.display


@dataclass(frozen=True)
class FileRecipient:
    number: str
    vars: Mapping[str, Any]
    row: int  # 1-based line of the file
    column: int  # 1-based column of the number


@dataclass(frozen=True)
class RowProblem:
    row: int  # 0: the file as a whole (it cannot be read)
    column: int
    message: str
    fatal: bool = False  # the rest of the file cannot be read


def format_for(path: str, declared: str | None) -> str | None:
    if declared:
        return declared
    return FORMATS.get(Path(path).suffix.lower())


def read_recipients(source: RecipientFile) -> Iterator[FileRecipient | RowProblem]:
    """Each row as a recipient or a problem; never raises for bad content."""
    try:
        with open(source.path, "rb") as handle:
            lines = _decoded_lines(handle)
            rows = _csv_rows(lines, source) if source.format == "csv" else _jsonl_rows(lines, source)
            yield from rows
    except OSError as exc:
        yield RowProblem(0, 0, f"cannot read {source.name}: {exc.strerror or exc}", fatal=True)


class _DecodeFailure(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


def _decoded_lines(handle: Any) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    for number, raw in enumerate(handle, 1):
        try:
            yield decoder.decode(raw)
        except UnicodeDecodeError:
            raise _DecodeFailure(number) from None


class _LastLine:
    """Remembers the raw text of the last line the CSV reader consumed."""

    def __init__(self, lines: Iterator[str]) -> None:
        self.lines = lines
        self.last = ""

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        self.last = next(self.lines)
        return self.last


def _csv_rows(lines: Iterator[str], source: RecipientFile) -> Iterator[FileRecipient | RowProblem]:
    csv.field_size_limit(_MAX_FIELD)
    raw = _LastLine(lines)
    reader = csv.reader(raw, strict=True)
    try:
        header = next(reader, None)
        if header is None:
            yield RowProblem(1, 1, f"the file is empty; it needs a header row naming the `{source.number_column}` column", fatal=True)
            return
        header = [name.strip() for name in header]
        if source.number_column not in header:
            yield RowProblem(1, 1, f"no column `{source.number_column}` in the header; the columns are {', '.join(header)}", fatal=True)
            return
        index = header.index(source.number_column)
        for fields in reader:
            row = reader.line_num
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue
            if len(fields) != len(header):
                yield RowProblem(row, 1, f"row has {len(fields)} fields, the header has {len(header)}")
                continue
            # Quoting only adds characters, so the unquoted offset is where to start looking.
            earliest = sum(len(f) + 1 for f in fields[:index])
            found = raw.last.find(fields[index], earliest)
            column = 1 + (found if found >= 0 else earliest)
            variables = {name: value for i, (name, value) in enumerate(zip(header, fields, strict=True)) if i != index}
            yield FileRecipient(fields[index].strip(), variables, row, column)
    except _DecodeFailure as exc:
        yield RowProblem(exc.line, 1, "the file is not UTF-8 text here", fatal=True)
    except csv.Error as exc:
        yield RowProblem(reader.line_num or 1, 1, f"not valid CSV: {exc}", fatal=True)


def _jsonl_rows(lines: Iterator[str], source: RecipientFile) -> Iterator[FileRecipient | RowProblem]:
    row = 0
    try:
        for line in lines:
            row += 1
            if not line.strip():
                continue
            if len(line) > _MAX_FIELD:
                yield RowProblem(row, 1, f"line is longer than {_MAX_FIELD} characters")
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                column = getattr(exc, "colno", 1)
                yield RowProblem(row, column, f"not valid JSON: {getattr(exc, 'msg', exc)}")
                continue
            if not isinstance(record, dict):
                yield RowProblem(row, 1, "each line must be a JSON object")
                continue
            number = record.get(source.number_column)
            if not isinstance(number, str):
                what = "missing" if number is None else f"not a string ({json.dumps(number)}); quote it"
                yield RowProblem(row, max(1, line.find(f'"{source.number_column}"') + 1), f"`{source.number_column}` is {what}")
                continue
            column = max(1, line.find(json.dumps(number)) + 1)
            variables = {k: v for k, v in record.items() if k != source.number_column}
            yield FileRecipient(number.strip(), variables, row, column)
    except _DecodeFailure as exc:
        yield RowProblem(exc.line, 1, "the file is not UTF-8 text here", fatal=True)
