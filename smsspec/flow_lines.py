"""Read long lists of one-line flow mappings without the YAML parser.

A spec with many inline recipients fits the loader's size limit only written
one per line: ``- {number: "+447400123456", vars: {name: Ann}}``. PyYAML
turns each such line into a dozen events, each a Python object. Lines in a
narrow form whose meaning is certain (plain scalars that YAML reads as text,
double-quoted strings without escapes, one level of nesting) are read here
with regular expressions instead, and the parser sees a marker scalar in
their place. The loader checks that each marker comes back as a list item of
its own and that no other scalar holds one; anything else sends the file to
the node path, which reads the original text.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

# A plain scalar in flow context that starts with a letter: YAML reads it as text
# unless it is a boolean or null word, which the caller's resolver rules out.
_PLAIN: Final = r"[A-Za-z][A-Za-z0-9_.@/+-]*(?: [A-Za-z0-9_.@/+-]+)*"
# A double-quoted string on one line with nothing to unescape or fold (and no
# braces, so a nested mapping's end is the first "}").
_QUOTED: Final = r'"[^"\\\t\r\x85\u2028\u2029{}]*"'
_SCALAR: Final = rf"(?:{_QUOTED}|{_PLAIN})"
_INNER: Final = rf"\{{ *{_PLAIN}: {_SCALAR}(?: *, *{_PLAIN}: {_SCALAR})* *\}}"
_VALUE: Final = rf"(?:{_SCALAR}|{_INNER})"
_LINE: Final = re.compile(
    rf"^( *)- (\{{ *{_PLAIN}: {_VALUE}(?: *, *{_PLAIN}: {_VALUE})* *\}}) *(?: #[^\n\r\x85\u2028\u2029]*)?(?=\r?$)",
    re.MULTILINE,
)
_PAIR: Final = re.compile(rf"({_PLAIN}): (?:({_QUOTED})|({_PLAIN})|(\{{[^{{}}]*\}}))")


@dataclass(frozen=True)
class FlowItems:
    text: str  # the document with each line read here replaced by ``- <marker>``
    marker: str
    items: dict[int, dict[str, object]]  # 0-based line -> the mapping that line holds


def take_flow_items(text: str, is_text: Callable[[str], bool]) -> FlowItems | None:
    """The one-line flow mappings this module can read, or None when there are none.

    ``is_text(value)``: whether YAML reads the plain scalar ``value`` as a string.
    """
    marker = f"smsspec_item_{os.urandom(8).hex()}"
    reader = _Reader(is_text)
    items: dict[int, dict[str, object]] = {}
    pieces: list[str] = []
    done = 0  # end of the text copied so far
    line = 0
    counted = 0  # position up to which line breaks were counted
    for match in _LINE.finditer(text):
        start, end = match.span()
        indent = match.group(1)
        mapping = reader.mapping(match.group(2))
        if mapping is None:
            continue
        line += text.count("\n", counted, start)
        counted = start
        items[line] = mapping
        pieces += [text[done:start], indent, "- ", marker]
        done = end
    if not items:
        return None
    pieces.append(text[done:])
    return FlowItems("".join(pieces), marker, items)


# A leaf of a shape: quoted text, or a plain scalar that must be checked to be text.
_QUOTED_LEAF: Final = rf'"({_QUOTED[1:-1]})"'
_PLAIN_LEAF: Final = rf"({_PLAIN})"


class _Reader:
    """Reads the mappings of matched lines.

    Long lists repeat one shape (the same keys, the same quoting), so after a
    line is read pair by pair, its shape becomes one expression that reads the
    next lines of that shape in a single match.
    """

    def __init__(self, is_text: Callable[[str], bool]) -> None:
        self._is_text = is_text
        self._known: dict[str, bool] = {}
        self._shapes: list[_Shape] = []

    def _text(self, plain: str) -> bool:
        known = self._known.get(plain)
        if known is None:
            known = self._known[plain] = self._is_text(plain)
        return known

    def mapping(self, source: str) -> dict[str, object] | None:
        """``{key: value, ...}`` as YAML reads it, or None when that is not certain."""
        for shape in self._shapes:
            match = shape.pattern.fullmatch(source)
            if match is not None:
                leaves = match.groups()
                known = self._known
                if all(known.get(leaves[i]) or self._text(leaves[i]) for i in shape.plain):
                    return shape.build(leaves)
                return None
        read = self._pairs(source)
        if read is not None and len(self._shapes) < 8:
            self._shapes.append(_Shape.of(read[1]))
        return read[0] if read is not None else None

    def _pairs(self, source: str) -> tuple[dict[str, object], dict[str, object]] | None:
        """The mapping and, alongside it, which leaves were plain; pair by pair."""
        out: dict[str, object] = {}
        plainness: dict[str, object] = {}
        for key, quoted, plain, inner in _PAIR.findall(source, 1, len(source) - 1):
            if key in out or not self._text(key):
                return None
            if quoted:
                out[key], plainness[key] = quoted[1:-1], False
            elif plain:
                if not self._text(plain):
                    return None
                out[key], plainness[key] = plain, True
            else:
                nested = self._pairs(inner)
                if nested is None:
                    return None
                out[key], plainness[key] = nested
        return out, plainness


@dataclass(frozen=True)
class _Shape:
    """Mappings with the same keys in the same order and the same quoting."""

    pattern: re.Pattern[str]  # one group per leaf, in order
    plain: tuple[int, ...]  # leaves written plain, which must be checked to be text
    steps: tuple[tuple[str, int | _Shape], ...]  # key -> its leaf's group, or a nested shape

    @classmethod
    def of(cls, plainness: dict[str, object], first: int = 0) -> _Shape:
        pairs: list[str] = []
        plain: list[int] = []
        steps: list[tuple[str, int | _Shape]] = []
        leaf = first
        for key, kind in plainness.items():
            if isinstance(kind, bool):
                pairs.append(f"{re.escape(key)}: {_PLAIN_LEAF if kind else _QUOTED_LEAF}")
                plain += [leaf] if kind else []
                steps.append((key, leaf))
                leaf += 1
            else:
                nested = cls.of(kind, leaf)  # type: ignore[arg-type]
                pairs.append(f"{re.escape(key)}: {nested.pattern.pattern}")
                plain += nested.plain
                steps.append((key, nested))
                leaf += nested.pattern.groups
        return cls(re.compile(r"\{ *" + r" *, *".join(pairs) + r" *\}"), tuple(plain), tuple(steps))

    def build(self, leaves: tuple[str, ...]) -> dict[str, object]:
        return {key: leaves[step] if type(step) is int else step.build(leaves) for key, step in self.steps}  # type: ignore[union-attr]
