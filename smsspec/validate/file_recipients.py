"""Checking messages whose recipients come from a file, a chunk of rows at a time.

Each chunk becomes an ordinary message (its rows as recipients) and goes
through the same rules as recipients written in the spec, so nothing is
checked differently. Only what must span chunks is kept across them: the
numbers seen (for duplicates) and the diagnostics, deduplicated and capped
per rule, so a million rows need neither a million recipients in memory nor
a million lines of output.
"""

from __future__ import annotations

import os
import re
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import compress
from pathlib import Path
from typing import Any

from smsspec.diagnostics import Diagnostic, Location, error
from smsspec.load.recipients import (
    FileRecipient,
    PlainLines,
    RecipientFile,
    RowProblem,
    plain_records,
    read_pieces,
    read_recipients,
)
from smsspec.model import ROW_PATH, Config, Message, Recipient
from smsspec.templating.text import TextTemplate
from smsspec.validate.cores import as_worker, can_fork

CHUNK_ROWS = 5_000
SHOWN_PER_RULE = 10
# What a phone number as people write it may hold; anything else in the number column is not quoted back.
NUMBER_LIKE = re.compile(r"[0-9+()./ \u00a0-]{0,24}")

Locate = Callable[[tuple[str | int, ...]], Location]
ChunkCheck = Callable[[Message], tuple[list[Diagnostic], list[str | None], list[str | None]]]


def confined(source: RecipientFile, config: Config) -> RecipientFile:
    """The source, allowed only inside the project of ``config`` and its `allow_outside` folders."""
    roots = (Path(os.path.realpath(config.root)), *(Path(folder) for folder in config.allow_outside))
    return replace(source, roots=roots)


def row_locator(locate: Locate, source: RecipientFile) -> Locate:
    """Locations for file rows (paths starting with ROW_PATH); the spec's own otherwise."""

    def where(path: tuple[str | int, ...]) -> Location:
        if path and path[0] == ROW_PATH:
            return Location(source.display, int(path[1]), int(path[2]))
        return locate(path)

    return where


class CappedDiagnostics:
    """Drops exact repeats and keeps the first few of each rule, counting the rest."""

    def __init__(self, source: RecipientFile) -> None:
        self.source = source
        self.kept: list[Diagnostic] = []
        self.seen: set[tuple[str, str, Location]] = set()
        self.per_rule: Counter[str] = Counter()
        self.hidden: dict[str, tuple[Diagnostic, int]] = {}

    def add(self, diagnostic: Diagnostic) -> None:
        key = (diagnostic.rule, diagnostic.message, diagnostic.location)
        if key in self.seen:
            return
        self.seen.add(key)
        self.per_rule[diagnostic.rule] += 1
        if self.per_rule[diagnostic.rule] <= SHOWN_PER_RULE:
            self.kept.append(diagnostic)
        else:
            first, count = self.hidden.get(diagnostic.rule, (diagnostic, 0))
            self.hidden[diagnostic.rule] = (first, count + 1)

    def result(self) -> list[Diagnostic]:
        out = list(self.kept)
        for rule, (first, count) in self.hidden.items():
            out.append(replace(
                first,
                message=f"{count} more {rule} problem{'s' if count != 1 else ''} in {self.source.name} (only the first {SHOWN_PER_RULE} are shown)",
                location=Location(self.source.display, 1, 1),
            ))
        return out


def as_recipient(row: FileRecipient) -> Recipient:
    return _recipient(row.number, row.vars, row.row, row.column)


def _recipient(number: str, variables: Mapping[str, Any], row: int, column: int) -> Recipient:
    return Recipient(number, variables, (ROW_PATH, row, column), row, column)


@dataclass
class _ChunkDone:
    """What checking one chunk gives, in plain data (a worker process sends it back)."""

    diagnostics: list[Diagnostic]  # in the order they were found
    sendable: bool
    recipients: int
    digits: list[int]  # the chunk's usable E.164 numbers as integers (distinct within the chunk)
    # For each usable number: the recipient as written, its row and column (to name a duplicate);
    # None from a worker (the chunk is checked again in the parent if a duplicate needs it).
    where: list[tuple[str, int, int]] | None


Piece = PlainLines | FileRecipient | RowProblem


def _chunks(source: RecipientFile, size: int | None = None) -> Iterator[list[Piece]]:
    """The file's rows in chunks of ``size`` (CHUNK_ROWS) rows (a problem counts as one),
    plain lines kept unparsed and cut where a chunk ends."""
    rows_per_chunk = size or CHUNK_ROWS
    job: list[Piece] = []
    count = 0
    for piece in read_pieces(source):
        if not isinstance(piece, PlainLines):
            job.append(piece)
            count += 1
        else:
            lines = piece.lines
            # A line is a row unless it is blank (plain_rows skips those).
            rows = list(compress(range(len(lines)), map(str.strip, lines)))
            cursor = taken = 0
            while taken < len(rows):
                take = min(rows_per_chunk - count, len(rows) - taken)
                taken += take
                end = rows[taken] if taken < len(rows) else len(lines)
                job.append(PlainLines(piece.first + cursor, lines[cursor:end], piece.header, piece.index))
                cursor = end
                count += take
                if count == rows_per_chunk:
                    yield job
                    job, count = [], 0
            continue
        if count == rows_per_chunk:
            yield job
            job, count = [], 0
    if job:
        yield job


def _rows(job: Sequence[Piece], make: Callable[[str, dict[str, str], int, int], Any] = FileRecipient) -> Iterator[Any]:
    """The rows of a chunk: problems, and recipients made by ``make`` (FileRecipient for
    plain lines; the reader's own rows come as they are)."""
    for piece in job:
        if isinstance(piece, PlainLines):
            yield from plain_records(piece, make)
        else:
            yield piece


def _check_chunk(
    job: Sequence[Piece], message: Message, source: RecipientFile, declared_at: Location, check_chunk: ChunkCheck, where: bool = True
) -> _ChunkDone:
    found: list[Diagnostic] = []
    sendable = True
    chunk: list[Recipient] = []
    for row in _rows(job, _recipient):
        if isinstance(row, RowProblem):
            sendable = False
            at = declared_at if row.row == 0 else Location(source.display, row.row, row.column)
            found.append(error("RECIPIENTS-FILE", f"message {message.id!r}: {row.message}", at, message_id=message.id))
            continue
        if not NUMBER_LIKE.fullmatch(row.number):
            sendable = False
            found.append(error("PHONE-FORMAT", f"message {message.id!r}: the `{source.number_column}` value is not a phone number: "
                               "it holds characters a number cannot have, or is too long (the value is not shown)",
                               Location(source.display, row.row, row.column), message_id=message.id))
            continue
        chunk.append(row if isinstance(row, Recipient) else as_recipient(row))
    if not chunk:
        return _ChunkDone(found, sendable, 0, [], [])
    diagnostics, numbers, texts = check_chunk(replace(message, recipients=tuple(chunk)))
    found += diagnostics
    digits = [int(number[1:]) for number in numbers if number is not None]
    rows = [(r.number, r.row or 1, r.column or 1) for r, number in zip(chunk, numbers, strict=True) if number is not None] if where else None
    sendable = sendable and None not in numbers and None not in texts
    return _ChunkDone(found, sendable, len(chunk), digits, rows)


def check_file_message(
    message: Message, source: RecipientFile, declared_at: Location, check_chunk: ChunkCheck, workers: int = 1
) -> tuple[list[Diagnostic], bool]:
    """Diagnostics for every row, and whether every row can be sent.

    ``declared_at`` is where the spec names the file: problems with the file as
    a whole are reported there. With ``workers`` > 1, a file of more than one chunk
    is checked on that many processes; the report is the same.
    """
    found = CappedDiagnostics(source)
    sendable = True
    seen: set[int] = set()  # E.164 digits as integers: about half the memory of strings
    if source.format not in ("csv", "jsonl"):
        found.add(error("RECIPIENTS-FILE", f"message {message.id!r}: cannot tell the format of {source.name}; name it .csv or .jsonl, or set `format:`", declared_at, message_id=message.id))
        return found.result(), False
    total = 0
    task = (message, source, declared_at, check_chunk)
    for job, done in _checked_chunks(_chunks(source), task, workers):
        for diagnostic in done.diagnostics:
            found.add(diagnostic)
        sendable = sendable and done.sendable
        total += done.recipients
        if seen.isdisjoint(done.digits):  # numbers are distinct within a chunk
            seen.update(done.digits)
            continue
        where = done.where if done.where is not None else _check_chunk(job, *task).where
        assert where is not None
        for digits, (number, row, column) in zip(done.digits, where, strict=True):
            if digits in seen:
                found.add(error("PHONE-DUPLICATE", f"message {message.id!r}: {number!r} is already a recipient earlier in the file; it would get the message twice", Location(source.display, row, column), message_id=message.id))
                sendable = False
            seen.add(digits)
    if total == 0 and sendable:
        found.add(error("RECIPIENTS-FILE", f"message {message.id!r}: {source.name} has no recipients", Location(source.display, 1, 1), message_id=message.id))
        sendable = False
    return found.result(), sendable


_Task = tuple[Message, RecipientFile, Location, ChunkCheck]
_task: _Task | None = None  # what a worker process checks, inherited when it is forked
_AHEAD = 3  # chunks handed out per worker before the first comes back: bounds memory


def _check_in_worker(job: list[Piece]) -> _ChunkDone:
    assert _task is not None
    return _check_chunk(job, *_task, where=False)


def _checked_chunks(jobs: Iterator[list[Piece]], task: _Task, workers: int) -> Iterator[tuple[list[Piece], _ChunkDone]]:
    """Each chunk checked, in order: here, or on ``workers`` forked processes once there are two."""
    first = next(jobs, None)
    if first is None:
        return
    second = next(jobs, None) if workers > 1 and can_fork() else None
    if second is None:
        yield first, _check_chunk(first, *task)
        for job in jobs:
            yield job, _check_chunk(job, *task)
        return
    import multiprocessing
    from concurrent.futures import Future, ProcessPoolExecutor

    global _task
    _task = task
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=as_worker) as pool:
            pending: deque[tuple[list[Piece], Future[_ChunkDone]]] = deque(
                (job, pool.submit(_check_in_worker, job)) for job in (first, second))
            for job in jobs:
                pending.append((job, pool.submit(_check_in_worker, job)))
                while len(pending) >= workers * _AHEAD:
                    done, future = pending.popleft()
                    yield done, future.result()
            while pending:
                done, future = pending.popleft()
                yield done, future.result()
    finally:
        _task = None


@dataclass
class FileDeliveries:
    """A checked file's recipients, produced again on demand (every row is known to be valid)."""

    message: Message
    source: RecipientFile
    template: TextTemplate
    _all: tuple[tuple[str, ...], tuple[str, ...]] | None = None

    def stream(self) -> Iterator[tuple[str, str]]:
        shared = self.message.vars
        render = self.template.render
        if self.template.fields is not None and all(type(key) is str for key in shared):
            render = self.template.substitute  # a file's column names are text
        for row in read_recipients(self.source):
            if isinstance(row, FileRecipient):
                # Validation accepted only strict E.164, which is its own normal form.
                variables = {**shared, **row.vars} if row.vars and shared else row.vars or shared
                yield row.number, render(variables)

    def parts(self, size: int) -> Iterator[list[Piece]]:
        """The rows in parts of ``size``, as :meth:`pairs` reads them (a part may go to another process)."""
        return _chunks(self.source, size)

    def pairs(self, part: Sequence[Piece]) -> list[tuple[str, str]]:
        """(number, text) of a part's rows, as :meth:`stream` gives them."""
        shared = self.message.vars
        render = self.template.render
        if self.template.fields is not None and all(type(key) is str for key in shared):
            render = self.template.substitute
        return [(row.number, render({**shared, **row.vars} if row.vars and shared else row.vars or shared))
                for row in _rows(part) if isinstance(row, FileRecipient)]

    def columns(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        if self._all is None:
            pairs = list(self.stream())
            self._all = (tuple(p[0] for p in pairs), tuple(p[1] for p in pairs))
        return self._all


class FileColumn(Sequence[str]):
    """The numbers (0) or texts (1) of a recipients file, read when first used."""

    def __init__(self, deliveries: FileDeliveries, which: int) -> None:
        self.deliveries = deliveries
        self.which = which

    def __len__(self) -> int:
        return len(self.deliveries.columns()[self.which])

    def __getitem__(self, index: Any) -> Any:
        return self.deliveries.columns()[self.which][index]

    def __iter__(self) -> Iterator[str]:
        return iter(self.deliveries.columns()[self.which])


