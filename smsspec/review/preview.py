"""`smsspec preview`: one self-contained HTML page showing each message as a phone shows it.

For every checked message, two phones: its first (sample) recipient and the
one whose text needs the most segments (when that is someone else). Each
shows the sender or mask, the text cut at its real segment boundaries
(:func:`smsspec.sms.encoding.split_segments`), the characters that force UCS-2
marked with their GSM-7 look-alikes (:func:`smsspec.sms.encoding.gsm_lookalike`),
and the segments; each message shows its account, provider, recipients,
segments and cost as ``plan`` counts them, and how many recipients an
opt-out list removes (they are left out of the phones and the figures; see
:mod:`smsspec.review.optouts`).

The page is built with Jinja's autoescape: every value from a spec is text,
never markup. Control characters are written as references (``&#13;``: an
HTML parser would turn a raw carriage return into a line feed). The page has no script, loads nothing, and
says so in its Content-Security-Policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from smsspec.model import CheckedMessage
from smsspec.report.plan import cost_text
from smsspec.review.diff import Side, side_of
from smsspec.review.optouts import OptOutLists
from smsspec.sms.encoding import GSM_CHARS, analyze, gsm_lookalike, split_segments

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'"
_TEMPLATE = Path(__file__).with_name("preview.html.j2")


@dataclass(frozen=True)
class Piece:
    text: str
    forcing: bool = False  # a character that forces UCS-2
    lookalike: str | None = None  # its GSM-7 look-alike, when it has one

    @property
    def codepoint(self) -> str:
        return f"U+{ord(self.text):04X}" if len(self.text) == 1 else ""


@dataclass(frozen=True)
class Phone:
    role: str  # "sample recipient" or "worst case"
    number: str
    text: str
    segments: tuple[tuple[Piece, ...], ...]  # the text cut where the phone receives a new SMS
    encoding: str
    units: int


@dataclass(frozen=True)
class Card:
    side: Side
    phones: tuple[Phone, ...]

    @property
    def cost(self) -> str:
        return cost_text(self.side.planned.cost, self.side.planned.currency)


def pieces(segment: str, ucs2: bool) -> tuple[Piece, ...]:
    """``segment`` as runs of plain text and single characters that force UCS-2."""
    if not ucs2:
        return (Piece(segment),)
    found: list[Piece] = []
    run: list[str] = []
    for char in segment:
        if char in GSM_CHARS:
            run.append(char)
            continue
        if run:
            found.append(Piece("".join(run)))
            run = []
        found.append(Piece(char, True, gsm_lookalike(char)))
    if run:
        found.append(Piece("".join(run)))
    return tuple(found)


def phone(role: str, number: str, text: str) -> Phone:
    analysis = analyze(text)
    ucs2 = bool(analysis.forcing)
    return Phone(role, number, text, tuple(pieces(s, ucs2) for s in split_segments(text)), analysis.encoding, analysis.units)


def card(item: CheckedMessage, opted_out: frozenset[str] = frozenset()) -> Card:
    side = side_of(item, opted_out)
    phones = []
    if side.sample is not None:
        phones.append(phone("sample recipient", side.sample, side.texts[side.sample]))
        worst = side.worst
        if worst is not None and side.segments[worst] > side.segments[side.sample]:
            phones.append(phone("worst case", worst, side.texts[worst]))
    return Card(side, tuple(phones))


# C0 controls (but tab and line feed) and DEL as character references: an HTML parser turns a
# raw CR into a line feed, and no raw ESC reaches a terminal the page is printed to.
_REFERENCES = {code: f"&#{code};" for code in (*range(0x20), 0x7F) if code not in (0x09, 0x0A)}


def _text(value: str) -> Markup:
    """Escaped text that an HTML parser gives back exactly (but NUL, which HTML cannot hold)."""
    return Markup(str(escape(value)).translate(_REFERENCES))


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def render_preview(checked: Sequence[CheckedMessage], failing: Sequence[str] = (), lists: OptOutLists | None = None) -> str:
    """The page; ``failing`` names messages not shown because they have errors; ``lists``
    the opt-out lists to count (default: the config's files only)."""
    lists = lists or OptOutLists()
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters["text"] = _text
    environment.filters["plural"] = _plural
    template = environment.from_string(_TEMPLATE.read_text(encoding="utf-8"))
    cards = [card(item, lists.of(item)) for item in checked]
    return template.render(cards=cards, failing=list(failing), csp=CSP, notes=[lists.note] if lists.note else [])
