"""Rendering for output, a message whose recipients come from a file spread over processes.

The file is cut into the parts :meth:`CheckedMessage.chunks` renders one after
the other (10,000 recipients); each part is read, rendered and written as its
format's items by a forked worker, and the parts are joined in order, so the
output is byte for byte the one a single process writes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace

from smsspec.model import CheckedMessage
from smsspec.render.output import FORMATS, Format, batched
from smsspec.render.requests import render_requests
from smsspec.validate.cores import as_worker, can_fork
from smsspec.validate.file_recipients import FileDeliveries, Piece

PART = 10_000  # recipients, as CheckedMessage.chunks cuts a message
_AHEAD = 3  # parts handed out per worker before the first comes back: bounds memory
Credentials = Callable[[CheckedMessage], Mapping[str, str] | None]
_Task = tuple[CheckedMessage, FileDeliveries, Format, Credentials]
_task: _Task | None = None  # what a worker renders, inherited when it is forked


def formatted(selected: Sequence[CheckedMessage], fmt: str, workers: int = 1, credentials: Credentials | None = None) -> Iterator[str]:
    """The requests of ``selected`` written in format ``fmt``, in pieces for writing;
    ``credentials`` gives a message's credentials for render_requests (None: redacted)."""
    form = FORMATS[fmt]
    return batched(form.chunks(_items(selected, form, workers, credentials or _redacted)))


def _redacted(checked: CheckedMessage) -> Mapping[str, str] | None:
    return None


def _items(selected: Sequence[CheckedMessage], form: Format, workers: int, credentials: Credentials) -> Iterator[str]:
    for checked in selected:
        deliveries = checked.from_file
        if isinstance(deliveries, FileDeliveries) and workers > 1 and can_fork():
            yield from _spread((checked, deliveries, form, credentials), workers)
        else:
            # A message whose recipients come from a file is rendered part by part, never held whole.
            secrets = credentials(checked)
            yield from form.items(request for part in checked.chunks(PART) for request in render_requests(part, secrets))


def _render(part: Sequence[Piece], task: _Task) -> str:
    checked, deliveries, form, credentials = task
    pairs = deliveries.pairs(part)
    message = replace(checked, numbers=tuple(p[0] for p in pairs), texts=tuple(p[1] for p in pairs), from_file=None)
    return "".join(form.items(render_requests(message, credentials(checked))))


def _render_in_worker(part: list[Piece]) -> str | None:
    assert _task is not None
    try:
        return _render(part, _task)
    except Exception:
        return None  # rendered again in the parent, which raises it as one process would


def _spread(task: _Task, workers: int) -> Iterator[str]:
    parts = task[1].parts(PART)
    first = next(parts, None)
    second = next(parts, None) if first is not None else None
    if second is None:
        if first is not None:
            yield _render(first, task)
        return
    import multiprocessing
    from concurrent.futures import Future, ProcessPoolExecutor

    assert first is not None
    global _task
    _task = task
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"), initializer=as_worker)
    try:
        pending: deque[tuple[list[Piece], Future[str | None]]] = deque((p, pool.submit(_render_in_worker, p)) for p in (first, second))
        for part in parts:
            pending.append((part, pool.submit(_render_in_worker, part)))
            while len(pending) >= workers * _AHEAD:
                done, future = pending.popleft()
                yield _result(done, future.result(), task)
        while pending:
            done, future = pending.popleft()
            yield _result(done, future.result(), task)
    finally:
        _task = None
        pool.shutdown(wait=True, cancel_futures=True)


def _result(part: list[Piece], text: str | None, task: _Task) -> str:
    return text if text is not None else _render(part, task)
