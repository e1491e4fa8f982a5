"""Encoding and segment count of a message text, from :mod:`smsspec.sms.encoding`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class TextInfo:
    encoding: str
    segments: int


@lru_cache(maxsize=4096)
def analyze_text(text: str) -> TextInfo:
    from smsspec.sms.encoding import analyze

    result = analyze(text)
    return TextInfo(result.encoding, result.segments)
