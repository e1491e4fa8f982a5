"""Bytes -> text: encodings, byte order marks and characters YAML does not allow, as diagnostics."""

from __future__ import annotations

import re
from typing import Final

from yaml.reader import Reader

from smsspec.diagnostics import Diagnostic, Location, error

_UTF8_BOM: Final = b"\xef\xbb\xbf"


# Characters outside YAML's printable set (compiled by PyYAML already; a
# stray U+FEFF is checked separately).
_NON_PRINTABLE: Final = Reader.NON_PRINTABLE


_ASCII_OK: Final = bytes([9, 10, 13, *range(0x20, 0x7F)])


_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def line_col(text: str, index: int) -> tuple[int, int]:
    """1-based line/column of a character index, counting line breaks as YAML does."""
    line, start = 1, 0
    for match in _LINE_BREAK.finditer(text, 0, index):
        line += 1
        start = match.end()
    return line, index - start + 1


def decode_text(raw: bytes, file: str) -> tuple[str | None, Diagnostic | None]:
    if raw.startswith(_UTF8_BOM):
        raw = raw[len(_UTF8_BOM) :]
        skipped = len(_UTF8_BOM)
    else:
        skipped = 0
        head = raw[:4]
        encoding = None
        if head in (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00"):
            encoding = "UTF-32"
        elif head[:2] in (b"\xff\xfe", b"\xfe\xff"):
            encoding = "UTF-16"
        if encoding:
            return None, error(
                "YAML-ENCODING",
                f"the file is {encoding} encoded; smsspec reads UTF-8 only",
                Location(file, 1, 1),
                fix="save the file as UTF-8",
            )
    if raw.isascii():
        text = raw.decode("ascii")
        bad = raw.translate(None, _ASCII_OK)
        if not bad:
            return text, None
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            start = exc.start
            line_start = raw.rfind(b"\n", 0, start) + 1
            line = raw.count(b"\n", 0, start) + 1
            column = len(raw[line_start:start].decode("utf-8", "replace")) + 1
            hint = (
                " (it looks like UTF-16 without a byte-order mark)"
                if raw.count(b"\x00") * 4 >= len(raw)
                else " (it may be in a legacy encoding such as Windows-1252 or Latin-1)"
            )
            return None, error(
                "YAML-ENCODING",
                f"the file is not valid UTF-8: byte 0x{raw[start]:02X} at offset {start + skipped} "
                f"cannot be decoded{hint}",
                Location(file, line, column),
                fix="save the file as UTF-8",
            )
    found = _NON_PRINTABLE.search(text)
    bom = text.find("\ufeff", 0, found.start() if found else len(text))
    if bom >= 0:
        index, char = bom, "\ufeff"
    elif found is not None:
        index, char = found.start(), found.group()
    else:
        return text, None
    line, column = line_col(text, index)
    code = f"U+{ord(char):04X}"
    if char == "\x00":
        message = "the file contains a NUL byte; it looks like a binary file or UTF-16 text"
        fix = "save the file as UTF-8 text"
    elif char == "\ufeff":
        message = (
            "a byte-order mark (U+FEFF) appears inside the file; only the very start may have one"
        )
        fix = "delete the invisible character (often left by joining two files)"
    elif ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F:
        message = f"control character {code} is not allowed in YAML"
        fix = f'delete it, or write it as the escape "\\u{ord(char):04x}" inside a double-quoted string'
    else:
        message = f"character {code} is not allowed in YAML"
        fix = "delete the character"
    return None, error("YAML-ENCODING", message, Location(file, line, column), fix=fix)
