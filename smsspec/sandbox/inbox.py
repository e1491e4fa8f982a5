"""The stored messages as a table for people (``smsspec sandbox inbox``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from smsspec.terminal import printable

COLUMNS = ("provider", "recipient", "from", "encoding", "segments", "delivery", "text")
TEXT_WIDTH = 60


def _one_line(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _delivery(decided: object) -> str:
    """What the sandbox decided: ``delivered``, ``failed CODE``; empty for a provider without receipts."""
    if not isinstance(decided, Mapping):
        return ""
    outcome = str(decided.get("outcome") or "")
    return f"{outcome} {decided.get('code')}" if outcome == "failed" and decided.get("code") else outcome


def _row(message: Mapping[str, object]) -> tuple[str, ...]:
    sender = message.get("mask") or message.get("sender") or ""
    segments = message.get("segments")
    cells = (
        str(message.get("provider") or ""),
        str(message.get("recipient") or ""),
        str(sender),
        str(message.get("encoding") or ""),
        "" if segments is None else str(segments),
        _delivery(message.get("delivery")),
        _one_line(str(message.get("text") or ""), TEXT_WIDTH),
    )
    return tuple(printable(cell) for cell in cells)


def format_inbox(messages: Iterable[Mapping[str, object]]) -> str:
    """One line per message (provider, recipient, sender or mask, encoding, segments, the
    delivery the sandbox decided, text).

    Text is shown on one line, cut to 60 characters with an ellipsis. The
    mask is shown instead of the sender number when there is one. Control
    characters in any cell are shown as escapes (``\\x1b``), never sent to
    the terminal.
    """
    rows = [_row(m) for m in messages]
    if not rows:
        return "No messages."
    widths = [max(len(col), *(len(r[i]) for r in rows)) for i, col in enumerate(COLUMNS)]
    numeric = {COLUMNS.index("segments")}

    def line(cells: tuple[str, ...]) -> str:
        parts = [
            cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        ]
        return "  ".join(parts).rstrip()

    header = line(COLUMNS)
    rule = "  ".join("-" * w for w in widths)
    total = f"{len(rows)} message{'s' if len(rows) != 1 else ''}"
    return "\n".join([header, rule, *(line(r) for r in rows), "", total])
