"""``send_at``: when a message may go, as ISO 8601 text with a UTC offset."""

from __future__ import annotations

import datetime as dt


def parse_send_at(value: str) -> dt.datetime | None:
    """An aware datetime, or None when the text is not ISO 8601 with an offset."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
