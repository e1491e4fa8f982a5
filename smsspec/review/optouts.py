"""The opt-out lists `diff` and `preview` count against, as `plan` and `send` do.

Always the files named in each message's smsspec.yaml (``opt_out: files:``,
already read into ``config.opt_outs``); and the ledger's own list when the
ledger `plan` would read exists and can be read without writing
(:meth:`smsspec.send.ledger.Ledger.read` creates nothing). A ledger that
cannot be read is left out with a note; a review never fails for it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from smsspec.errors import LedgerError, UsageError
from smsspec.model import CheckedMessage
from smsspec.send.ledger import Ledger
from smsspec.send.service import ledger_location, open_ledger


@dataclass
class OptOutLists:
    ledger: Ledger | None = None
    note: str | None = None  # why the ledger's list is not counted

    def of(self, item: CheckedMessage) -> frozenset[str]:
        """``item``'s numbers on an opt-out list: its config's files, the ledger's table."""
        found = {n for n in item.numbers if n in item.config.opt_outs} if item.config.opt_outs else set()
        if self.ledger is not None:
            try:
                found |= self.ledger.opted_out(item.numbers)
            except LedgerError as exc:
                self._drop(f"cannot read the ledger's opt-out list: {exc}")
        return frozenset(found)

    def _drop(self, note: str) -> None:
        if self.ledger is not None:
            self.ledger.close()
        self.ledger, self.note = None, note


@contextmanager
def opt_out_lists(checked: Sequence[CheckedMessage]) -> Iterator[OptOutLists]:
    """The lists for ``checked`` (the ledger read only, never created), closed on exit."""
    lists = OptOutLists()
    if checked:
        try:
            lists.ledger = open_ledger(ledger_location(None, list(checked), False), writable=False)
        except (UsageError, LedgerError) as exc:
            lists.note = f"the ledger's opt-out list is not counted: {exc}"
    try:
        yield lists
    finally:
        if lists.ledger is not None:
            lists.ledger.close()
