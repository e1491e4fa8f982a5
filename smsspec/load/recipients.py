"""Recipients read from a file: ``to: {file: customers.csv, number: phone}``.

CSV (with a header row) or JSON Lines, streamed row by row so a million
recipients never sit in memory at once. Every other column becomes that
recipient's template variables. Problems carry the file's row and column.

The file must lie (after ``..`` and symlinks) inside one of the source's
``roots``, and be a regular file; it is opened so that a FIFO cannot block,
and every read is bounded (a row, a file). Problems never quote the file's
content: a header is listed only when it looks like column names.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import stat
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
MAX_ROW_BYTES = 64 * 1024  # one line, or one CSV record spread over several lines
MAX_FILE_BYTES = 1024**3
SHOWN_COLUMNS = 20
_MAX_FIELD = MAX_ROW_BYTES
_COLUMN_NAME = re.compile(r"[^\W_][\w .()#/-]{0,63}|_[\w .()#/-]{0,63}")
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
_FOLDER_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"))


@dataclass(frozen=True)
class RecipientFile:
    path: Path  # absolute
    display: str  # as shown in diagnostics
    number_column: str
    format: str  # "csv" or "jsonl"
    declared: str = ""  # the path as the spec writes it, for messages
    roots: tuple[Path, ...] = ()  # resolved folders the file must lie in; none: it is refused
    base: str = ""  # the folder `declared` is relative to (the spec's), as shown in messages

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
    for piece in read_pieces(source):
        if isinstance(piece, PlainLines):
            yield from plain_rows(piece)
        else:
            yield piece


def read_pieces(source: RecipientFile) -> Iterator[PlainLines | FileRecipient | RowProblem]:
    """read_recipients's rows, runs of plain CSV lines left unparsed (see :func:`plain_rows`)."""
    try:
        handle = open_recipients(source)
        if isinstance(handle, str):
            yield RowProblem(0, 0, handle, fatal=True)
            return
        with handle:
            if source.format == "csv":
                yield from _csv_pieces(handle, source)
            else:
                yield from _jsonl_rows(_decoded_lines(handle), source)
    except OSError as exc:
        yield RowProblem(0, 0, f"cannot read {source.name}: {exc.strerror or exc}", fatal=True)


def read_number_lines(source: RecipientFile) -> Generator[FileRecipient | RowProblem, None, None]:
    """A file of one number a line (blank lines skipped), as recipients without variables;
    the same bounds and confinement as :func:`read_recipients`."""
    try:
        handle = open_recipients(source)
        if isinstance(handle, str):
            yield RowProblem(0, 0, handle, fatal=True)
            return
        with handle:
            row = 0
            try:
                for line in _decoded_lines(handle):
                    row += 1
                    if "\0" in line:
                        raise _NulByte(row)
                    text = line.strip()
                    if text:
                        yield FileRecipient(text, {}, row, 1 + len(line) - len(line.lstrip()))
            except _DecodeFailure as exc:
                yield RowProblem(exc.line, 1, "the file is not UTF-8 text here", fatal=True)
            except _TooLong as exc:
                yield _too_long(exc.line)
            except _NulByte as exc:
                yield RowProblem(exc.line, 1, f"line {exc.line} holds a NUL byte, which no text file does (the line is not shown)", fatal=True)
    except OSError as exc:
        yield RowProblem(0, 0, f"cannot read {source.name}: {exc.strerror or exc}", fatal=True)


def open_recipients(source: RecipientFile) -> IO[bytes] | str:
    """The file opened for reading, or why it may not be read.

    The descriptor itself is checked (fstat), so a file swapped for a FIFO or
    a symlink after the path was checked is refused, never waited on.
    """
    real = Path(os.path.realpath(source.path))
    root = next((root for root in source.roots if real.is_relative_to(root)), None)
    if root is None:
        where = f"the project folder {source.roots[0]}" if source.roots else "the project folder"
        return (f"{source.name} lies outside {where}; recipients files are read only inside the project "
                f"(after `..` and symlinks): move the file into it, or list its folder under "
                f"`recipients: allow_outside:` in smsspec.yaml")
    try:
        descriptor = _open_below(root, real)
    except FileNotFoundError:
        if not source.base:
            return f"cannot read {source.name}: no such file"
        return (f"cannot read {source.name}: no such file: a recipients path is relative to the spec's folder ({source.base}), "
                f"so `{source.declared}` is {source.display}")
    except OSError as exc:
        kind = _kind(real)
        return _not_regular(source, kind) if kind else f"cannot read {source.name}: {exc.strerror or exc}"
    status = os.fstat(descriptor)
    if not stat.S_ISREG(status.st_mode):
        os.close(descriptor)
        return _not_regular(source, _kind_of(status.st_mode) or "not a file")
    if status.st_size > MAX_FILE_BYTES:
        os.close(descriptor)
        return (f"{source.name} is larger than 1 GiB ({status.st_size} bytes); "
                "split it into several files, one message each")
    os.set_blocking(descriptor, True)
    return os.fdopen(descriptor, "rb")


def _open_below(root: Path, real: Path) -> int:
    """Open ``real`` one folder at a time from ``root``, following no symlink: a folder
    swapped for a symlink after the path was resolved cannot lead out of the project."""
    parts = real.relative_to(root).parts
    if not parts or os.open not in os.supports_dir_fd:
        return os.open(real, _OPEN_FLAGS)
    folder = os.open(root, _FOLDER_FLAGS)
    try:
        for part in parts[:-1]:
            inner = os.open(part, _FOLDER_FLAGS | getattr(os, "O_NOFOLLOW", 0), dir_fd=folder)
            os.close(folder)
            folder = inner
        return os.open(parts[-1], _OPEN_FLAGS, dir_fd=folder)
    finally:
        os.close(folder)


def _not_regular(source: RecipientFile, kind: str) -> str:
    return (f"{source.name} is {kind}, not a regular file; recipients are read only from regular files "
            "(never a FIFO, device, socket or folder): name a .csv or .jsonl file")


def _kind(path: Path) -> str | None:
    try:
        return _kind_of(os.stat(path).st_mode)
    except OSError:
        return None


def _kind_of(mode: int) -> str | None:
    return next((word for test, word in _KINDS if test(mode)), None)


class _DecodeFailure(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


class _TooLong(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


class _NulByte(Exception):
    """A NUL character: no text file holds one (and Python 3.10's csv module refuses it)."""

    def __init__(self, line: int) -> None:
        self.line = line


def _decoded_lines(handle: IO[bytes], number: int = 0, total: int = 0, read: bytes = b"", codec: str = "utf-8-sig") -> Iterator[str]:
    """The file's lines, each at most MAX_ROW_BYTES, at most MAX_FILE_BYTES in all.

    ``number`` lines and ``total`` bytes were read before; ``read`` holds bytes taken from
    the handle but not yet used, which come first.
    """
    decoder = codecs.getincrementaldecoder(codec)()
    early = io.BytesIO(read)
    while True:
        raw = early.readline(MAX_ROW_BYTES + 1) if read else b""
        if len(raw) <= MAX_ROW_BYTES and not raw.endswith(b"\n"):
            raw += handle.readline(MAX_ROW_BYTES + 1 - len(raw))  # the rest of the line, or the file's
        if not raw:
            return
        number += 1
        total += len(raw)
        if len(raw) > MAX_ROW_BYTES or total > MAX_FILE_BYTES:
            raise _TooLong(number)
        try:
            yield decoder.decode(raw)
        except UnicodeDecodeError:
            raise _DecodeFailure(number) from None


def _too_long(line: int) -> RowProblem:
    return RowProblem(line, 1, f"line {line} is longer than {MAX_ROW_BYTES} bytes (or the file than 1 GiB); a recipients "
                               "file holds one short row per line: is this the right file?", fatal=True)


class _LastLine:
    """Remembers the raw text of the last line the CSV reader consumed, and caps one record's size."""

    def __init__(self, lines: Iterator[str], number: int = 0) -> None:
        self.lines = lines
        self.last = ""
        self.record = 0  # characters of the record being read
        self.number = number  # lines read before
        self.start = number + 1  # its first line

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        self.last = next(self.lines)
        self.number += 1
        if not self.record:
            self.start = self.number
        self.record += len(self.last)
        if self.record > MAX_ROW_BYTES:
            raise _TooLong(self.start)
        if "\0" in self.last:
            raise _NulByte(self.number)
        return self.last


def header_problem(header: list[str], column: str, delimiter: str = ",") -> str:
    """Why the number column is not found, listing the columns only when they look like column names."""
    if not all(not name or _COLUMN_NAME.fullmatch(name) for name in header):
        return (f"the first line is not a header row of column names (it is not shown); a CSV recipients file "
                f"starts with a header row naming its columns, one of them `{column}`")
    shown = ", ".join(header[:SHOWN_COLUMNS])
    more = f" and {len(header) - SHOWN_COLUMNS} more" if len(header) > SHOWN_COLUMNS else ""
    separated = "" if delimiter == "," else f" (separated by `{_DELIMITER_NAMES.get(delimiter, delimiter)}`)"
    return f"no column `{column}` in the header; the columns{separated} are {shown}{more}"


# Column separators a spreadsheet may save a CSV with, tried when a comma gives one column.
_OTHER_DELIMITERS = (";", "\t", "|")
_DELIMITER_NAMES = {"\t": "tab"}


def _delimiter_of(header_line: str) -> str:
    """The separator of a header row that has no comma: `;`, tab or `|` when one splits it."""
    counts = {d: header_line.count(d) for d in _OTHER_DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


@dataclass(frozen=True)
class PlainLines:
    """Consecutive lines of a CSV file after its header, each a whole record: no quote
    character, NUL or lone carriage return in them, each short enough, all UTF-8.
    :func:`plain_rows` gives the rows the line-by-line reader gives for them."""

    first: int  # the line number of lines[0]
    lines: list[str]  # without their line breaks
    header: tuple[str, ...]
    index: int  # of the number column


BLOCK_BYTES = 1 << 20
_Row = TypeVar("_Row")


def plain_rows(piece: PlainLines) -> Iterator[FileRecipient | RowProblem]:
    return plain_records(piece, FileRecipient)


def plain_records(piece: PlainLines, make: Callable[[str, dict[str, str], int, int], _Row]) -> Iterator[_Row | RowProblem]:
    """The rows of plain lines, each made by ``make(number, vars, row, column)``."""
    header, index = piece.header, piece.index
    width = len(header)
    names = header[:index] + header[index + 1:]
    first = piece.first - 1
    reader = csv.reader(piece.lines, strict=True)
    for fields in reader:
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue
        row = first + reader.line_num
        if len(fields) != width:
            yield RowProblem(row, 1, f"row has {len(fields)} fields, the header has {width}")
            continue
        # No quoting: the fields and the commas between them are the line itself.
        number = fields.pop(index)
        column = 1 + sum(map(len, fields[:index])) + index
        yield make(number.strip(), dict(zip(names, fields, strict=True)), row, column)


def _plain(body: bytes, first: int, header: tuple[str, ...], index: int) -> PlainLines | None:
    """``body`` (whole lines) as plain lines, or None when it needs the line-by-line reader."""
    if b'"' in body or b"\0" in body or (b"\r" in body and body.count(b"\r") != body.count(b"\r\n")):
        return None
    raw = body.split(b"\n")
    if body.endswith(b"\n"):
        raw.pop()
    if max(map(len, raw)) >= MAX_ROW_BYTES:
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    lines = text.split("\n")
    if body.endswith(b"\n"):
        lines.pop()
    return PlainLines(first, lines, header, index)


def _csv_pieces(handle: IO[bytes], source: RecipientFile) -> Iterator[PlainLines | FileRecipient | RowProblem]:
    """The rows of a CSV file, runs of plain lines as :class:`PlainLines`.

    The header is read line by line; then blocks of whole lines are taken as plain lines
    while they are, and from the first one that is not, the rest of the file is read
    line by line, as a file that is not plain is read from its start.
    """
    csv.field_size_limit(_MAX_FIELD)
    lines = _decoded_lines(handle)
    raw = _LastLine(lines)
    reader = csv.reader(raw, strict=True)
    delimiter = ","
    try:
        header = next(reader, None)
        if header is not None and len(header) == 1 and _delimiter_of(raw.last) != ",":
            # A spreadsheet's `;` (or tab) separated file: read on with its separator.
            delimiter = _delimiter_of(raw.last)
            header = next(csv.reader([raw.last], delimiter=delimiter, strict=True))
            reader = csv.reader(raw, delimiter=delimiter, strict=True)
    except (_DecodeFailure, _TooLong, _NulByte, csv.Error) as exc:
        yield _csv_failure(exc, reader)
        return
    if header is None:
        yield RowProblem(1, 1, f"the file is empty; it needs a header row naming the `{source.number_column}` column", fatal=True)
        return
    header = [name.strip() for name in header]
    if source.number_column not in header:
        yield RowProblem(1, 1, header_problem(header, source.number_column, delimiter), fatal=True)
        return
    index = header.index(source.number_column)
    if delimiter != ",":  # read line by line by its own reader, which started after the header
        raw.record = 0
        yield from _csv_records(reader, raw, header, index, 1)
        return
    if reader.line_num != 1 or not raw.last.endswith("\n"):
        raw.record = 0
        yield from _csv_records(reader, raw, header, index, 0)
        return
    number, total = 1, handle.tell()
    read = b""
    while True:
        block = handle.read(BLOCK_BYTES)
        data = read + block if read else block
        cut = data.rfind(b"\n") + 1 if block else len(data)
        body, read = data[:cut], data[cut:]
        piece = _plain(body, number + 1, tuple(header), index) if body and total + len(body) <= MAX_FILE_BYTES else None
        if piece is None and (body or len(read) > MAX_ROW_BYTES):
            break
        if piece is not None:
            yield piece
            number += len(piece.lines)
            total += len(body)
        if not block:
            return
    lines = _decoded_lines(handle, number, total, data, codec="utf-8")
    raw = _LastLine(lines, number)
    yield from _csv_records(csv.reader(raw, strict=True), raw, header, index, number)


def _csv_records(reader: Any, raw: _LastLine, header: list[str], index: int, before: int) -> Iterator[FileRecipient | RowProblem]:
    """The rows after the header, line by line; ``before`` lines were read before ``reader`` started."""
    try:
        for fields in reader:
            raw.record = 0
            row = before + reader.line_num
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
    except (_DecodeFailure, _TooLong, _NulByte, csv.Error) as exc:
        yield _csv_failure(exc, reader, before)


def _csv_failure(exc: Exception, reader: Any, before: int = 0) -> RowProblem:
    if isinstance(exc, _DecodeFailure):
        return RowProblem(exc.line, 1, "the file is not UTF-8 text here", fatal=True)
    if isinstance(exc, _TooLong):
        return _too_long(exc.line)
    if isinstance(exc, _NulByte):
        return RowProblem(exc.line, 1, f"line {exc.line} holds a NUL byte, which no text file does (the line is not "
                                       "shown); a CSV recipients file is text: is this the right file?", fatal=True)
    line = before + reader.line_num if reader.line_num else before or 1
    return RowProblem(line, 1, f"not valid CSV: {exc}", fatal=True)


def _jsonl_rows(lines: Iterator[str], source: RecipientFile) -> Iterator[FileRecipient | RowProblem]:
    row = 0
    try:
        for line in lines:
            row += 1
            if not line.strip():
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
                what = "missing" if number is None else f"not a string ({_json_kind(number)}); quote it"
                yield RowProblem(row, max(1, line.find(f'"{source.number_column}"') + 1), f"`{source.number_column}` is {what}")
                continue
            column = max(1, line.find(json.dumps(number)) + 1)
            variables = {k: v for k, v in record.items() if k != source.number_column}
            yield FileRecipient(number.strip(), variables, row, column)
    except _DecodeFailure as exc:
        yield RowProblem(exc.line, 1, "the file is not UTF-8 text here", fatal=True)
    except _TooLong as exc:
        yield _too_long(exc.line)


def _json_kind(value: Any) -> str:
    """A JSON value named without repeating anything but a short number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return {dict: "an object", list: "a list", bool: "true or false"}.get(type(value), "not text")
    shown = json.dumps(value)
    return shown if len(shown) <= 20 else "a number"
