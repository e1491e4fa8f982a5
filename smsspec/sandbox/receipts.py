"""What the sandbox decides about each accepted message's delivery, and which receipts it posts.

For every message of a provider that documents delivery receipts (its
:class:`~smsspec.sandbox.providers.base.Receipts`), the sandbox decides once,
when it accepts the message, whether the phone got it (``delivered``) or not
(``failed``, with the provider's code), when that is known (``delay`` seconds
later), and how the receipt travels: never (``lost``), twice (``duplicated``:
the final notification is posted again) or last first (``reordered``: the
message's notifications are posted in reverse order). The decision is stored
with the message (its ``delivery`` key), shown on the inbox page, and is what
a provider's status call answers.

Decisions are drawn from a hash of the seed, the provider, the recipient and
the text, so the same seed and the same messages give the same decisions in
every run, whatever order concurrent requests arrive in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from smsspec.sandbox.providers import receipt_providers
from smsspec.sandbox.providers.base import Accepted, Fate, Notification, Receipts

SHARES = ("failed", "lost", "duplicated", "reordered")
"""The shares of messages that fail, whose receipt never arrives, arrives twice, arrives out of order."""
DEFAULT_DELAY = 1.0


@dataclass(frozen=True)
class ReceiptSettings:
    """Where and how the sandbox posts receipts; every share is a fraction from 0 to 1."""

    urls: Mapping[str, str] = field(default_factory=dict)
    """Provider id -> the URL its receipts are posted to; ``"*"`` for every provider not named."""
    delay: float = DEFAULT_DELAY
    """Seconds from accepting a message to its receipt."""
    failed: float = 0.0
    lost: float = 0.0
    duplicated: float = 0.0
    reordered: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.delay < 0:
            raise ValueError("the receipt delay must not be negative")
        for name in SHARES:
            share = getattr(self, name)
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"the {name} share must be between 0 and 1, not {share}")

    def url_for(self, provider: str) -> str | None:
        return self.urls.get(provider) or self.urls.get("*")


def parse_receipt_options(text: str) -> dict[str, float | int]:
    """``failed=0.2,lost=0.1,duplicated=0.1,reordered=0.1,delay=0.5,seed=7`` as keyword arguments
    of :class:`ReceiptSettings`; ValueError with a message for the user when it is not that."""
    found: dict[str, float | int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or name not in (*SHARES, "delay", "seed"):
            raise ValueError(f"{item!r}: expected NAME=VALUE with NAME one of {', '.join((*SHARES, 'delay', 'seed'))}")
        try:
            found[name] = int(value) if name == "seed" else float(value)
        except ValueError:
            raise ValueError(f"{item!r}: {value.strip()!r} is not a number") from None
    ReceiptSettings(**found)  # type: ignore[arg-type]  # checks the ranges
    return found


def receipt_urls(given: Iterable[str]) -> dict[str, str]:
    """``--receipts-url`` values as :attr:`ReceiptSettings.urls`: ``URL`` for every provider that
    documents receipts, ``PROVIDER=URL`` for one; ValueError with a message for the user."""
    known = receipt_providers()
    urls: dict[str, str] = {}
    for item in given:
        name, sep, rest = item.partition("=")
        provider, url = (name, rest) if sep and name in known else ("*", item)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"{item!r} is not an http(s) URL (or PROVIDER=URL with PROVIDER one of {', '.join(known)})"
            )
        urls[provider] = url
    return urls


def masked_url(url: str) -> str:
    """``url`` fit to print: its last path segment (a receiver's token) and any query as ``***``."""
    parts = urlsplit(url)
    head, _, last = parts.path.rstrip("/").rpartition("/")
    path = f"{head}/***" if last else parts.path
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if parts.port is not None:
        netloc += f":{parts.port}"
    return f"{parts.scheme}://{netloc}{path}" + ("?***" if parts.query else "")


def _draws(seed: int, provider: str, accepted: Accepted) -> list[float]:
    key = "\x00".join((str(seed), provider, accepted.recipient, accepted.text)).encode("utf-8")
    digest = hashlib.sha256(key).digest()
    return [int.from_bytes(digest[i : i + 8], "big") / 2**64 for i in range(0, 32, 8)]


def decide(
    settings: ReceiptSettings, provider: str, receipts: Receipts, accepted: Accepted, received: datetime
) -> Fate:
    failing, losing, doubling, reordering = _draws(settings.seed, provider, accepted)
    failed = failing < settings.failed and receipts.may_fail(accepted)
    code, reason = receipts.failure if failed else (None, None)
    return Fate(
        outcome="failed" if failed else "delivered",
        code=code,
        reason=reason,
        sent_at=received,
        due=received + timedelta(seconds=settings.delay),
        lost=losing < settings.lost,
        duplicated=doubling < settings.duplicated,
        reordered=reordering < settings.reordered,
    )


def to_post(receipts: Receipts, accepted: Accepted, fate: Fate) -> list[Notification]:
    """The notifications to post for one message, in the order they go (none when lost)."""
    if fate.lost:
        return []
    notes = list(receipts.render(accepted, fate))
    if fate.duplicated:
        notes.append(notes[-1])
    if fate.reordered:
        notes.reverse()
    return notes

