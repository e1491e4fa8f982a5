"""Exact GSM 03.38 (3GPP TS 23.038) analysis and segmentation of SMS text.

A text is sent as GSM-7 when every character is in the default alphabet or its
extension table; otherwise the whole message falls back to UCS-2 (UTF-16 code
units). Segment limits are those of concatenated SMS with a 6-octet UDH.

This module sits on the start-up path, so it only uses the standard library and
does all table work at import time.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "GSM_7",
    "GSM_BASIC_CHARS",
    "GSM_CHARS",
    "GSM_EXTENSION_CHARS",
    "GSM_MULTI_SEGMENT_SEPTETS",
    "GSM_SINGLE_SEPTETS",
    "UCS2_MULTI_SEGMENT_UNITS",
    "UCS2_SINGLE_UNITS",
    "UCS_2",
    "ForcingCharacter",
    "TextAnalysis",
    "analyze",
    "gsm_lookalike",
    "split_segments",
    "with_lookalikes",
]

GSM_7 = "GSM-7"
UCS_2 = "UCS-2"

GSM_SINGLE_SEPTETS = 160
GSM_MULTI_SEGMENT_SEPTETS = 153
UCS2_SINGLE_UNITS = 70
UCS2_MULTI_SEGMENT_UNITS = 67

_ESC = "\x1b"

# The basic table in septet order (0x00-0x7F), 16 per row. Escapes are used
# where a glyph has look-alikes in Unicode (Greek capitals, currency sign).
_BASIC_TABLE = (
    "@\u00a3$\u00a5\u00e8\u00e9\u00f9\u00ec\u00f2\u00c7\n\u00d8\u00f8\r\u00c5\u00e5"
    "\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e\x1b\u00c6\u00e6\u00df\u00c9"
    " !\"#\u00a4%&'()*+,-./"
    "0123456789:;<=>?"
    "\u00a1ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZ\u00c4\u00d6\u00d1\u00dc\u00a7"
    "\u00bfabcdefghijklmno"
    "pqrstuvwxyz\u00e4\u00f6\u00f1\u00fc\u00e0"
)
assert len(_BASIC_TABLE) == 128 and _BASIC_TABLE[0x1B] == _ESC

#: Characters of the basic table (ESC at 0x1B is a control, not text).
GSM_BASIC_CHARS: frozenset[str] = frozenset(_BASIC_TABLE) - {_ESC}

# Extension table: each costs ESC + one septet.
_EXTENSION_TABLE = "\f^{}\\[~]|\u20ac"

#: Characters of the default extension table (2 septets each).
GSM_EXTENSION_CHARS: frozenset[str] = frozenset(_EXTENSION_TABLE)

#: Every character that can be sent as GSM-7.
GSM_CHARS: frozenset[str] = GSM_BASIC_CHARS | GSM_EXTENSION_CHARS

# Pure-ASCII fast path: ASCII characters outside GSM are the C0 controls other
# than LF/CR/FF, the backtick and DEL; the ASCII extension characters are all
# but the euro sign.
_ASCII_NON_GSM = bytes(c for c in range(128) if chr(c) not in GSM_CHARS)
_ASCII_EXTENSION = bytes(ord(c) for c in _EXTENSION_TABLE if c.isascii())

# Writes each extension character as ESC + character so that a GSM-7 text
# becomes a string with one character per septet.
_TO_SEPTETS = {ord(c): _ESC + c for c in _EXTENSION_TABLE}


def _build_lookalikes() -> dict[str, str]:
    table: dict[str, str] = {}
    for c in "\u2018\u2019\u201a\u201b\u02bc\u2032":
        table[c] = "'"  # curly / low / reversed single quotes, modifier apostrophe, prime
    for c in "\u201c\u201d\u201e\u201f\u2033":
        table[c] = '"'  # curly / low double quotes, double prime
    for c in "\u2010\u2011\u2012\u2013\u2014\u2212":
        table[c] = "-"  # hyphen, non-breaking hyphen, figure/en/em dash, minus sign
    for cp in (0x00A0, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000):
        table[chr(cp)] = " "
    table["\u2026"] = "..."
    # Fullwidth forms of ASCII punctuation. Left out on purpose: the fullwidth
    # backtick (no GSM form), reverse solidus (shown as a yen sign in Japanese
    # fonts) and tilde (commonly stands in for the wave dash).
    for c in "!\"#$%&'()*+,-./:;<=>?@[]^_{|}":
        table[chr(ord(c) + 0xFEE0)] = c
    table["\uffe1"] = "\u00a3"  # fullwidth pound sign
    table["\uffe5"] = "\u00a5"  # fullwidth yen sign
    # Unicode canonical equivalents of basic-table letters.
    table["\u2126"] = "\u03a9"  # ohm sign -> Greek capital omega
    table["\u212b"] = "\u00c5"  # angstrom sign -> A with ring above
    return table


_LOOKALIKES: dict[str, str] = _build_lookalikes()
assert not GSM_CHARS.intersection(_LOOKALIKES)
assert all(GSM_CHARS.issuperset(v) for v in _LOOKALIKES.values())
_LOOKALIKE_TRANSLATION = {ord(k): v for k, v in _LOOKALIKES.items()}


@dataclass(frozen=True, slots=True)
class ForcingCharacter:
    """A character that forces the whole message into UCS-2."""

    char: str
    index: int
    """Code point index of the first occurrence in the text."""
    count: int
    suggestion: str | None
    """A GSM-7 replacement that reads the same, if one exists."""

    def to_json(self) -> dict[str, object]:
        return {
            "char": self.char,
            "index": self.index,
            "codepoint": f"U+{ord(self.char):04X}",
            "count": self.count,
            "suggestion": self.suggestion,
        }


@dataclass(frozen=True, slots=True)
class TextAnalysis:
    encoding: str
    """``"GSM-7"`` or ``"UCS-2"``."""
    units: int
    """Septets for GSM-7, UTF-16 code units for UCS-2."""
    segments: int
    characters: int
    """Code points."""
    forcing: tuple[ForcingCharacter, ...]
    """Characters forcing UCS-2, by first occurrence; empty for GSM-7."""

    def to_json(self) -> dict[str, object]:
        return {
            "encoding": self.encoding,
            "units": self.units,
            "segments": self.segments,
            "characters": self.characters,
            "ucs2_characters": [f.to_json() for f in self.forcing],
        }


def gsm_lookalike(char: str) -> str | None:
    """GSM-7 replacement for a character that reads the same, else None.

    Only unambiguous typographic variants are listed (curly quotes, dashes,
    Unicode spaces, ellipsis, primes, fullwidth punctuation). Characters that
    are already GSM-7, accented letters missing from the alphabet (``ç`` is not
    ``Ç``) and anything that is not a single character give None.
    """
    return _LOOKALIKES.get(char)


def with_lookalikes(text: str) -> str:
    """``text`` with every character that has a GSM-7 look-alike replaced.

    Other UCS-2 forcing characters are kept, so the result may still be UCS-2.
    """
    if text.isascii():
        return text
    return text.translate(_LOOKALIKE_TRANSLATION)


_NONE: frozenset[str] = frozenset()


def _classify(text: str) -> tuple[frozenset[str] | set[str], int]:
    """(characters outside GSM-7, number of extension characters if none are)."""
    if text.isascii():
        raw = text.encode("ascii")
        if len(raw.translate(None, _ASCII_NON_GSM)) == len(raw):
            return _NONE, len(raw) - len(raw.translate(None, _ASCII_EXTENSION))
    chars = set(text)
    outside = chars.difference(GSM_CHARS)
    if outside:
        return outside, 0
    return _NONE, sum(map(text.count, GSM_EXTENSION_CHARS.intersection(chars)))


def _gsm_bounds(septets: str) -> list[tuple[int, int]]:
    """Segment slices of a one-character-per-septet string (see _TO_SEPTETS)."""
    n = len(septets)
    bounds: list[tuple[int, int]] = []
    start = 0
    while start < n:
        end = start + GSM_MULTI_SEGMENT_SEPTETS
        if end < n and septets[end - 1] == _ESC:
            end -= 1  # never split an escape pair
        bounds.append((start, min(end, n)))
        start = end
    return bounds


def _utf16(text: str) -> bytes | None:
    """UTF-16-LE bytes of ``text``, or None if it holds lone surrogates."""
    try:
        return text.encode("utf-16-le")
    except UnicodeEncodeError:
        return None


def _ucs2_bounds(utf16: bytes) -> list[tuple[int, int]]:
    """Segment slices, in code units, of UTF-16-LE bytes."""
    n = len(utf16) // 2
    bounds: list[tuple[int, int]] = []
    start = 0
    while start < n:
        end = start + UCS2_MULTI_SEGMENT_UNITS
        if end < n and 0xD8 <= utf16[2 * end - 1] <= 0xDB:
            end -= 1  # never split a surrogate pair
        bounds.append((start, min(end, n)))
        start = end
    return bounds


def _ucs2_bounds_slow(text: str) -> list[tuple[int, int]]:
    """Segment slices, in code points, for text holding lone surrogates.

    Such text cannot come from decoded input; each lone surrogate counts as one
    unit of its own.
    """
    bounds: list[tuple[int, int]] = []
    start = used = 0
    for i, c in enumerate(text):
        width = 2 if c > "\uffff" else 1
        if used + width > UCS2_MULTI_SEGMENT_UNITS:
            bounds.append((start, i))
            start, used = i, 0
        used += width
    bounds.append((start, len(text)))
    return bounds


def _astral_count(text: str) -> int:
    return sum(c > "\uffff" for c in text)


def _forcing(text: str, outside: frozenset[str] | set[str]) -> tuple[ForcingCharacter, ...]:
    found = [ForcingCharacter(c, text.index(c), text.count(c), _LOOKALIKES.get(c)) for c in outside]
    if len(found) > 1:
        found.sort(key=lambda f: f.index)
    return tuple(found)


def analyze(text: str) -> TextAnalysis:
    """Encoding, length in units and number of segments of ``text``."""
    characters = len(text)
    if not text:
        return TextAnalysis(GSM_7, 0, 0, 0, ())
    outside, extension = _classify(text)
    if not outside:
        units = characters + extension
        if units <= GSM_SINGLE_SEPTETS:
            segments = 1
        elif not extension:
            segments = -(-units // GSM_MULTI_SEGMENT_SEPTETS)
        else:
            segments = len(_gsm_bounds(text.translate(_TO_SEPTETS)))
        return TextAnalysis(GSM_7, units, segments, characters, ())
    utf16 = _utf16(text)
    units = len(utf16) // 2 if utf16 is not None else characters + _astral_count(text)
    if units <= UCS2_SINGLE_UNITS:
        segments = 1
    elif units == characters:
        segments = -(-units // UCS2_MULTI_SEGMENT_UNITS)
    elif utf16 is None:
        segments = len(_ucs2_bounds_slow(text))
    else:
        segments = len(_ucs2_bounds(utf16))
    return TextAnalysis(UCS_2, units, segments, characters, _forcing(text, outside))


def split_segments(text: str) -> list[str]:
    """``text`` cut into the segments a handset receives.

    ``[text]`` when it fits one message, ``[]`` when empty. Escape pairs
    (GSM-7) and surrogate pairs (UCS-2) are never split.
    """
    if not text:
        return []
    outside, extension = _classify(text)
    if not outside:
        if len(text) + extension <= GSM_SINGLE_SEPTETS:
            return [text]
        septets = text.translate(_TO_SEPTETS) if extension else text
        return [septets[a:b].replace(_ESC, "") for a, b in _gsm_bounds(septets)]
    utf16 = _utf16(text)
    if utf16 is None:
        return [text[a:b] for a, b in _ucs2_bounds_slow(text)]
    units = len(utf16) // 2
    if units <= UCS2_SINGLE_UNITS:
        return [text]
    if units == len(text):
        step = UCS2_MULTI_SEGMENT_UNITS
        return [text[i : i + step] for i in range(0, len(text), step)]
    return [utf16[2 * a : 2 * b].decode("utf-16-le") for a, b in _ucs2_bounds(utf16)]
