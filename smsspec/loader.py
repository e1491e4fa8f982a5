"""Load one YAML file into plain data, keeping positions for diagnostics.

The loader never raises on bad input: every problem becomes a
:class:`~smsspec.diagnostics.Diagnostic`. Positions are not collected up
front; :class:`SourceMap` walks the composed node tree only when a caller asks
where something is (which only happens when something is wrong).

Most files are plain mappings, lists and scalars: those are built straight
from the parser's events, without a node tree, and their tree is composed
only if a position is asked for. Anything else (anchors, tags, merge keys,
odd keys, duplicates, errors) takes the node path, which reports it.

Hostile input is bounded before the recursive parts of PyYAML see it: the
composer (C or Python) recurses once per nesting level, so documents that
*could* nest deeply are first checked with the non-recursive event parser,
and aliases are counted and their expansion measured before construction.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.error import MarkedYAMLError
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader, ReaderError
from yaml.resolver import Resolver
from yaml.scanner import Scanner

if TYPE_CHECKING:
    from smsspec.flow_lines import FlowItems

from smsspec.diagnostics import Diagnostic, Location, error

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_ALIASES",
    "MAX_ALIAS_EXPANSION",
    "MAX_DEPTH",
    "PathKey",
    "SourceMap",
    "YamlDocument",
    "load_yaml_bytes",
    "load_yaml_file",
]

PathKey = tuple[str | int, ...]

DEFAULT_MAX_BYTES: Final = 8 * 1024 * 1024
MAX_DEPTH: Final = 64
MAX_ALIASES: Final = 100
# Values that aliases may add on top of what is written in the file.
MAX_ALIAS_EXPANSION: Final = 100_000

_TAG: Final = "tag:yaml.org,2002:"
_STR: Final = _TAG + "str"
_NULL: Final = _TAG + "null"
_BOOL: Final = _TAG + "bool"
_INT: Final = _TAG + "int"
_FLOAT: Final = _TAG + "float"
_TIMESTAMP: Final = _TAG + "timestamp"
_MERGE: Final = _TAG + "merge"
_VALUE: Final = _TAG + "value"
_SEQ: Final = _TAG + "seq"
_MAP: Final = _TAG + "map"
# Scalar keys kept as written without a word: text, and what the loader keeps as text.
_SCALAR_KEY_TAGS: Final = frozenset({_STR, _TIMESTAMP, _VALUE})
_UNSUPPORTED: Final = {_TAG + "binary", _TAG + "set", _TAG + "omap", _TAG + "pairs"}
# Longer numbers are kept as text: int() refuses > 4300 digits and YAML 1.1
# sexagesimal ints (1:2:3:...) cost quadratic time.
_MAX_NUMBER_CHARS: Final = 1000

_UTF8_BOM: Final = b"\xef\xbb\xbf"
# Characters outside YAML's printable set (compiled by PyYAML already; a
# stray U+FEFF is checked separately).
_NON_PRINTABLE: Final = Reader.NON_PRINTABLE
_ASCII_OK: Final = bytes([9, 10, 13, *range(0x20, 0x7F)])
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")

# Bytes that can make up a line's block indentation prefix (spaces, tabs and
# the indicators "-", "?", ":"), mapped to b" "; everything else to b"x".
_PREFIX_TABLE: Final = bytes(0x20 if c in b"-?: \t" else 0x78 for c in range(256))


class _Mark(Protocol):
    """What diagnostics need from PyYAML's (Python or C) marks: 0-based."""

    @property
    def index(self) -> int: ...
    @property
    def line(self) -> int: ...
    @property
    def column(self) -> int: ...


def _whole_file(file: str) -> Location:
    """Where a problem with the whole file is reported: line 1, column 1, so
    editors, annotations and ``file:line:col`` readers can place it."""
    return Location(file, 1, 1)


class _Events(Protocol):
    def check_event(self) -> bool: ...
    def get_event(self) -> Event: ...
    def peek_event(self) -> Event: ...


def _loc(file: str, mark: _Mark | None) -> Location:
    if mark is None:
        return _whole_file(file)
    return Location(file, mark.line + 1, mark.column + 1)


def _tag_name(tag: str | None) -> str:
    if not tag:
        return "!"
    if tag.startswith(_TAG):
        return "!!" + tag[len(_TAG) :]
    return tag


def _render(node: Node, budget: int = 80) -> str:
    """Compact one-line text of a node, used as the key for non-scalar keys."""
    out: list[str] = []
    size = 0
    # Iterative: strings to emit and nodes to expand, in order.
    todo: list[Node | str] = [node]
    while todo and size <= budget:
        item = todo.pop()
        if isinstance(item, str):
            piece = item
        elif isinstance(item, ScalarNode):
            piece = str(item.value)
        elif isinstance(item, SequenceNode):
            parts: list[Node | str] = ["["]
            for i, child in enumerate(item.value):
                if i:
                    parts.append(", ")
                parts.append(child)
            parts.append("]")
            todo.extend(reversed(parts))
            continue
        elif isinstance(item, MappingNode):
            parts = ["{"]
            for i, (key, value) in enumerate(item.value):
                if i:
                    parts.append(", ")
                parts.extend((key, ": ", value))
            parts.append("}")
            todo.extend(reversed(parts))
            continue
        else:  # pragma: no cover - PyYAML has no other node kinds
            piece = "?"
        out.append(piece)
        size += len(piece)
    text = "".join(out)
    if todo or len(text) > budget:
        text = text[:budget] + "…"
    return text


def _key_text(node: Node) -> str:
    """The string a mapping key is stored under: the scalar as written."""
    if isinstance(node, ScalarNode):
        return str(node.value)
    return _render(node)


def _is_merge_key(node: Node) -> bool:
    return node.tag == _MERGE and isinstance(node, ScalarNode)


def _merge_sources(value: Node) -> list[MappingNode] | None:
    """Mappings named by a ``<<`` value, in priority order; None if malformed."""
    if isinstance(value, MappingNode):
        return [value]
    if isinstance(value, SequenceNode) and all(isinstance(v, MappingNode) for v in value.value):
        return list(value.value)
    return None


_Pairs = dict[str, tuple[Node, Node]]


def _effective_pairs(node: MappingNode, cache: dict[int, _Pairs]) -> _Pairs:
    """Key -> (key node, value node) after merges; explicit keys win, then
    earlier merge sources. Memoised so chains of merges stay linear."""
    done = cache.get(id(node))
    if done is not None:
        return done
    merged: _Pairs = {}
    explicit: _Pairs = {}
    for key_node, value_node in node.value:
        if _is_merge_key(key_node):
            for source in _merge_sources(value_node) or ():
                for key, pair in _effective_pairs(source, cache).items():
                    merged.setdefault(key, pair)
        else:
            explicit[_key_text(key_node)] = (key_node, value_node)
    merged.update(explicit)
    cache[id(node)] = merged
    return merged


class SourceMap:
    """Finds where a path into the loaded data was written.

    Holds the composed node tree, or the text to compose it from on the
    first lookup; each lookup walks the tree from the root.
    """

    __slots__ = ("_cache", "_file", "_pending", "_root")

    def __init__(self, file: str, root: Node | None, *, pending: tuple[str, type[_PyLoader]] | None = None) -> None:
        self._file = file
        self._root = root
        self._pending = pending  # (text, loader class): composed when first needed
        self._cache: dict[int, _Pairs] = {}

    def __repr__(self) -> str:
        return f"SourceMap({self._file!r})"

    def _tree(self) -> Node | None:
        if self._pending is not None:
            text, cls = self._pending
            self._pending = None
            self._root = _compose_checked(text, cls)
        return self._root

    def _walk(self, path: PathKey) -> tuple[Node | None, Node | None, bool]:
        """(deepest node reached, key node of the last step, whole path found)."""
        node = self._tree()
        key_node: Node | None = None
        if node is None:
            return None, None, not path
        for step in path:
            child: Node | None = None
            key_node = None
            if isinstance(node, MappingNode) and isinstance(step, str):
                for k, v in reversed(node.value):
                    if not _is_merge_key(k) and _key_text(k) == step:
                        key_node, child = k, v
                        break
                else:
                    if any(_is_merge_key(k) for k, _ in node.value):
                        pair = _effective_pairs(node, self._cache).get(step)
                        if pair is not None:
                            key_node, child = pair
            elif (
                isinstance(node, SequenceNode)
                and isinstance(step, int)
                and not isinstance(step, bool)
                and 0 <= step < len(node.value)
            ):
                child = node.value[step]
            if child is None:
                return node, None, False
            node = child
        return node, key_node, True

    def locate(self, path: PathKey) -> Location:
        """Where the value at ``path`` starts, or its nearest existing ancestor."""
        node, _, _ = self._walk(tuple(path))
        if node is None:
            return Location(self._file, 1, 1)
        return _loc(self._file, node.start_mark)

    def locate_key(self, path: PathKey) -> Location:
        """Where the mapping key of the last path element is written."""
        _, key_node, found = self._walk(tuple(path))
        if found and key_node is not None:
            return _loc(self._file, key_node.start_mark)
        return self.locate(path)

    def raw_scalar(self, path: PathKey) -> str | None:
        """The text of a plain (unquoted) scalar as written, else None."""
        node, _, found = self._walk(tuple(path))
        if found and isinstance(node, ScalarNode) and not node.style:
            return str(node.value)
        return None


@dataclass
class YamlDocument:
    path: str
    data: object
    source: SourceMap


class _Constructor(SafeConstructor):
    """SafeConstructor that reports problems instead of raising, keeps
    timestamps as text, checks keys and merges at the node level."""

    def __init__(self) -> None:
        super().__init__()
        self.file = ""
        self.diagnostics: list[Diagnostic] = []
        self._merge_cache: dict[int, _Pairs] = {}

    def _report(self, rule: str, message: str, node: Node, fix: str) -> None:
        self.diagnostics.append(error(rule, message, _loc(self.file, node.start_mark), fix=fix))

    def _by_kind(self, node: Node) -> object:
        if isinstance(node, SequenceNode):
            return self._sequence(node)
        if isinstance(node, MappingNode):
            return self._mapping(node)
        return str(node.value)

    def _wrong_kind(self, node: Node) -> object:
        kind = (
            "a list"
            if isinstance(node, SequenceNode)
            else "a mapping"
            if isinstance(node, MappingNode)
            else "a scalar"
        )
        self._report(
            "YAML-TAG",
            f"the tag `{_tag_name(node.tag)}` cannot be applied to {kind}",
            node,
            "remove the tag",
        )
        return self._by_kind(node)

    def _bad_value(self, node: Node, kind: str) -> object:
        """A scalar that its tag cannot convert. Explicit tags are reported;
        implicit matches (e.g. ``0x_``) are simply text."""
        implicit = self.resolve(ScalarNode, node.value, (True, False))  # type: ignore[attr-defined]
        if implicit != node.tag:
            self._report(
                "YAML-TAG",
                f"`{_short(node.value)}` cannot be read as {kind} (tag `{_tag_name(node.tag)}`)",
                node,
                "remove the tag or fix the value",
            )
        return str(node.value)

    def construct_str(self, node: Node) -> object:
        if not isinstance(node, ScalarNode):
            return self._wrong_kind(node)
        return str(node.value)

    def construct_null(self, node: Node) -> object:
        if not isinstance(node, ScalarNode):
            return self._wrong_kind(node)
        return None

    def construct_bool(self, node: Node) -> object:
        if not isinstance(node, ScalarNode):
            return self._wrong_kind(node)
        value = self.bool_values.get(str(node.value).lower())
        if value is None:
            return self._bad_value(node, "a boolean")
        return bool(value)

    def construct_int(self, node: Node) -> object:
        if not isinstance(node, ScalarNode):
            return self._wrong_kind(node)
        if len(node.value) > _MAX_NUMBER_CHARS:
            return self._bad_value(node, "an integer")
        try:
            return SafeConstructor.construct_yaml_int(self, node)
        except ValueError:
            return self._bad_value(node, "an integer")

    def construct_float(self, node: Node) -> object:
        if not isinstance(node, ScalarNode):
            return self._wrong_kind(node)
        if len(node.value) > _MAX_NUMBER_CHARS:
            return self._bad_value(node, "a number")
        try:
            return SafeConstructor.construct_yaml_float(self, node)
        except ValueError:
            return self._bad_value(node, "a number")

    def construct_text(self, node: Node) -> object:
        """Timestamps, a stray ``<<`` or ``=``: kept as the written text."""
        if not isinstance(node, ScalarNode):
            return self._wrong_kind(node)
        return str(node.value)

    def construct_seq(self, node: Node) -> object:
        if not isinstance(node, SequenceNode):
            return self._wrong_kind(node)
        return self._sequence(node)

    def construct_map(self, node: Node) -> object:
        if not isinstance(node, MappingNode):
            return self._wrong_kind(node)
        return self._mapping(node)

    def construct_unsupported(self, node: Node) -> object:
        tag = node.tag or ""
        name = _tag_name(tag)
        if tag in _UNSUPPORTED:
            message = f"the tag `{name}` is not supported; specs hold plain strings, numbers, lists and mappings"
        elif tag.startswith(_TAG + "python/"):
            message = (
                f"the tag `{name}` would create a Python object; it is refused and nothing was run"
            )
        else:
            message = f"unknown tag `{name}`"
        self._report("YAML-TAG", message, node, "remove the tag")
        return self._by_kind(node)

    def _sequence(self, node: SequenceNode) -> Iterator[list[object]]:
        data: list[object] = []
        yield data
        data.extend([self.construct_object(child) for child in node.value])

    def _key(self, node: Node) -> str:
        """The key's text; reports keys that YAML would not read as a string."""
        if isinstance(node, ScalarNode):
            tag = node.tag
            text = str(node.value)
            if tag in _SCALAR_KEY_TAGS:
                return text
            kind = {_NULL: "null", _BOOL: "a boolean", _INT: "a number", _FLOAT: "a number"}.get(
                tag
            )
            if kind is None:
                self.construct_unsupported(node)
                return text
            shown = text if text else "(empty)"
            self._report(
                "YAML-KEY-TYPE",
                f"the key `{shown}` is read as {kind}, not a string; it is used as the text {text!r}",
                node,
                f'quote the key: "{text}":',
            )
            return text
        text = _render(node)
        kind = "a list" if isinstance(node, SequenceNode) else "a mapping"
        self._report(
            "YAML-KEY-TYPE",
            f"a mapping key is {kind} (`{text}`); keys must be strings",
            node,
            "use a plain string key",
        )
        return text

    def _mapping(self, node: MappingNode) -> Iterator[dict[str, object]]:
        data: dict[str, object] = {}
        yield data
        merged: dict[str, Node] = {}
        explicit: dict[str, Node] = {}
        first: dict[str, Node] = {}
        for key_node, value_node in node.value:
            if _is_merge_key(key_node):
                key = "<<"
                sources = _merge_sources(value_node)
                if sources is None:
                    self._report(
                        "YAML-SYNTAX",
                        "the merge key `<<` needs a mapping, an alias of a mapping, or a list of them",
                        value_node,
                        "write `<<: *name` where `&name` marks a mapping",
                    )
                for source in sources or ():
                    # Constructed for its own diagnostics; its keys come from the nodes.
                    self.construct_object(source)
                    for k, (_, v) in _effective_pairs(source, self._merge_cache).items():
                        merged.setdefault(k, v)
            else:
                key = self._key(key_node)
                explicit[key] = value_node
            before = first.get(key)
            if before is None:
                first[key] = key_node
            else:
                self._report(
                    "YAML-DUPLICATE-KEY",
                    f"duplicate key `{_short(key)}` (first on line {before.start_mark.line + 1}); "
                    "YAML keeps only the last value",
                    key_node,
                    "remove or rename one of the two keys",
                )
        nodes: dict[str, Node] = dict(merged)
        nodes.update(explicit)
        for key, value_node in nodes.items():
            data[key] = self.construct_object(value_node)

    yaml_constructors = {  # noqa: RUF012 - PyYAML's registry, a class attribute by design
        **SafeConstructor.yaml_constructors,
        _STR: construct_str,
        _NULL: construct_null,
        _BOOL: construct_bool,
        _INT: construct_int,
        _FLOAT: construct_float,
        _TIMESTAMP: construct_text,
        _MERGE: construct_text,
        _VALUE: construct_text,
        _SEQ: construct_seq,
        _MAP: construct_map,
        None: construct_unsupported,
        **dict.fromkeys(_UNSUPPORTED, construct_unsupported),
    }


def _short(text: str, limit: int = 60) -> str:
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[:limit] + "…"


class _PyLoader(Reader, Scanner, Parser, Composer, _Constructor, Resolver):
    """Pure-Python parser; its composer recurses in Python."""

    safe_depth = 150
    prefix_run = 32

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        _Constructor.__init__(self)
        Resolver.__init__(self)


# Both loader classes share _PyLoader's interface; libyaml's is preferred.
_LOADERS: list[type[_PyLoader]] = [_PyLoader]

if not TYPE_CHECKING and getattr(yaml, "__with_libyaml__", False):
    from yaml._yaml import CParser

    class _CLoader(CParser, _Constructor, Resolver):
        """libyaml's parser; its composer recurses in C (about 280 bytes of
        stack per level)."""

        safe_depth = 1000
        prefix_run = 64

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            _Constructor.__init__(self)
            Resolver.__init__(self)

    _LOADERS.insert(0, _CLoader)

# Which loader class load_yaml_bytes uses (tests switch it to the other one).
_LOADER_CLASS: type[_PyLoader] = _LOADERS[0]


# --------------------------------------------------------------------------
# Bytes -> text


def _line_col(text: str, index: int) -> tuple[int, int]:
    """1-based line/column of a character index, counting line breaks as YAML does."""
    line, start = 1, 0
    for match in _LINE_BREAK.finditer(text, 0, index):
        line += 1
        start = match.end()
    return line, index - start + 1


def _decode(raw: bytes, file: str) -> tuple[str | None, Diagnostic | None]:
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
    line, column = _line_col(text, index)
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


# --------------------------------------------------------------------------
# Structure limits


@dataclass
class _Limit:
    rule: str
    message: str
    fix: str
    mark: _Mark | None


def _nesting(mark: _Mark | None) -> _Limit:
    return _Limit(
        "YAML-NESTING",
        f"the data is nested more than {MAX_DEPTH} levels deep",
        "flatten the structure; specs are a few levels deep",
        mark,
    )


def _too_many_aliases(mark: _Mark | None) -> _Limit:
    return _Limit(
        "YAML-ALIAS-LIMIT",
        f"more than {MAX_ALIASES} aliases (`*name`) in one document; aliases are capped",
        "write the values out instead of repeating aliases",
        mark,
    )


def _recursive(mark: _Mark | None, name: str) -> _Limit:
    return _Limit(
        "YAML-ALIAS-LIMIT",
        f"the alias `*{name}` refers to the collection that contains it, which would be infinitely deep",
        "remove the self-reference",
        mark,
    )


def _expansion(mark: _Mark | None, name: str) -> _Limit:
    return _Limit(
        "YAML-ALIAS-LIMIT",
        f"aliases (here `*{name}`) would expand this document by more than {MAX_ALIAS_EXPANSION} "
        "values; aliases nested in aliases are refused",
        "write the data out instead of nesting aliases inside anchored collections",
        mark,
    )


@dataclass(slots=True)
class _Open:
    """A collection being measured: expanded size and height so far."""

    anchor: str | None
    size: int = 1
    height: int = 1


def _scan_events(loader: _Events) -> _Limit | None:
    """Check nesting and aliases of the first document from parser events.

    The parsers are iterative, so this is safe on any input; it stops at the
    first problem, so ``[`` * 1_000_000 costs a few dozen events.
    """
    frames: list[_Open] = []
    anchors: dict[str, tuple[int, int]] = {}
    open_anchors: set[str] = set()
    aliases = 0
    extra = 0
    while loader.check_event():
        event = loader.get_event()
        if isinstance(event, (MappingStartEvent, SequenceStartEvent)):
            if len(frames) >= MAX_DEPTH:
                return _nesting(event.start_mark)
            if event.anchor:
                open_anchors.add(event.anchor)
            frames.append(_Open(event.anchor))
            continue
        if isinstance(event, (MappingEndEvent, SequenceEndEvent)):
            done = frames.pop()
            size, height = done.size, done.height
            if done.anchor:
                anchors[done.anchor] = (size, height)
                open_anchors.discard(done.anchor)
        elif isinstance(event, ScalarEvent):
            size, height = 1, 0
            if event.anchor:
                anchors[event.anchor] = (1, 0)
        elif isinstance(event, AliasEvent):
            name = str(event.anchor)
            aliases += 1
            if aliases > MAX_ALIASES:
                return _too_many_aliases(event.start_mark)
            if name in open_anchors:
                return _recursive(event.start_mark, name)
            # An undefined alias is left for the composer to report.
            size, height = anchors.get(name, (1, 0))
            extra += size
            if extra > MAX_ALIAS_EXPANSION:
                return _expansion(event.start_mark, name)
            if len(frames) + height > MAX_DEPTH:
                return _nesting(event.start_mark)
        elif isinstance(event, DocumentEndEvent):
            break
        else:
            continue
        if frames:
            parent = frames[-1]
            parent.size += size
            parent.height = max(parent.height, height + 1)
    return None


def _is_parser_nesting_limit(exc: MarkedYAMLError) -> bool:
    """libyaml 0.2.6 (in PyYAML 6.0.4's wheels) refuses nesting beyond its own
    limit while it scans ahead, before an event scan reaches smsspec's lower one."""
    return "maximum nesting depth" in (exc.problem or "")


def _scan_limits(text: str, cls: type[_PyLoader]) -> _Limit | None:
    """:func:`_scan_events` over ``text``. Where libyaml stops at its own nesting
    limit first, the pure-Python parser (iterative, with no limit of its own)
    finds where smsspec's limit is crossed, so the rule and position are the
    same on every PyYAML."""
    scanner = cls(text)
    try:
        return _scan_events(scanner)
    except MarkedYAMLError as exc:
        if cls is _PyLoader or not _is_parser_nesting_limit(exc):
            raise
    finally:
        scanner.dispose()
    return _scan_limits(text, _PyLoader)


def _tree_too_deep(root: Node) -> Node | None:
    """First collection nested deeper than MAX_DEPTH, for trees (no aliases)."""
    stack: list[tuple[Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return node
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if not isinstance(key, ScalarNode):
                    stack.append((key, depth + 1))
                if not isinstance(value, ScalarNode):
                    stack.append((value, depth + 1))
        elif isinstance(node, SequenceNode):
            stack.extend(
                (child, depth + 1) for child in node.value if not isinstance(child, ScalarNode)
            )
    return None


def _kids(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return list(node.value) if isinstance(node, SequenceNode) else []


def _measure(target: Node, memo: dict[int, tuple[int, int]]) -> tuple[int, int] | None:
    """(expanded size, height) of a node with aliases expanded; None if the
    node contains itself. Iterative post-order, memoised across calls."""
    known = memo.get(id(target))
    if known is not None:
        return known
    active = {id(target)}
    # frames: [node, children, next index, size, height]
    stack: list[tuple[Node, list[Node], list[int]]] = [(target, _kids(target), [0, 1, 0])]
    while stack:
        node, kids, state = stack[-1]
        if state[0] == len(kids):
            stack.pop()
            active.discard(id(node))
            height = state[2] + 1 if not isinstance(node, ScalarNode) else 0
            memo[id(node)] = (state[1], height)
            if stack:
                parent = stack[-1][2]
                parent[1] += state[1]
                parent[2] = max(parent[2], height)
            continue
        child = kids[state[0]]
        state[0] += 1
        if id(child) in active:
            return None
        known = memo.get(id(child))
        if known is not None:
            state[1] += known[0]
            state[2] = max(state[2], known[1])
        elif isinstance(child, ScalarNode):
            memo[id(child)] = (1, 0)
            state[1] += 1
        else:
            active.add(id(child))
            stack.append((child, _kids(child), [0, 1, 0]))
    return memo[id(target)]


def _graph_problem(root: Node) -> tuple[str, Node] | None:
    """Nesting and alias limits on a node graph that may share nodes.

    Returns (kind, node) with kind "depth" (node is exact) or "alias" (node is
    the collection holding the offending alias; the event scan pinpoints it).
    A first pass visits each node once and records edges to nodes already
    seen (alias uses); only their targets are then measured.
    """
    seen = {id(root)}
    uses: list[tuple[Node, int, Node]] = []  # (target, depth of holder, holder)
    stack: list[tuple[Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        for child in _kids(node):
            if id(child) in seen:
                uses.append((child, depth, node))
                if len(uses) > MAX_ALIASES:
                    return "alias", node
                continue
            seen.add(id(child))
            if not isinstance(child, ScalarNode):
                if depth >= MAX_DEPTH:
                    return "depth", child
                stack.append((child, depth + 1))
    memo: dict[int, tuple[int, int]] = {}
    extra = 0
    for target, depth, holder in uses:
        measured = _measure(target, memo)
        if measured is None:
            return "alias", holder
        extra += measured[0]
        if extra > MAX_ALIAS_EXPANSION or depth + measured[1] > MAX_DEPTH:
            return "alias", holder
    return None


def _may_nest_deeply(raw: bytes, limit: int, run: int) -> bool:
    """Cheap over-estimate: could the document nest deeper than ``limit``?

    Every nesting level takes at least one byte. Flow levels each take a
    ``[`` or ``{``. Block levels need a deeper column than their parent (an
    indentless list under a key shares its key's column, so at most two
    levels per column), and a block collection starts inside the line's
    prefix of spaces and ``-``/``?``/``:`` indicators. So without a ``run``
    bytes long such prefix, block nesting is at most ``2 * run + 1``.
    """
    if len(raw) <= limit:
        return False
    flow = raw.count(b"[") + raw.count(b"{")
    if flow + 2 * run + 4 > limit:
        return True
    return b" " * run in raw.translate(_PREFIX_TABLE)


# --------------------------------------------------------------------------
# Syntax errors in plain words


_NAME_AT = re.compile(r"[*&]([^\s,\[\]{}]*)")
_HANDLE_AT = re.compile(r"!([\w-]*!)?")


def _after_text(text: str, index: int) -> bool:
    """Is there something other than indentation before ``index`` on its line?"""
    start = max(text.rfind("\n", 0, index), text.rfind("\r", 0, index)) + 1
    return bool(text[start:index].strip(" -?:"))


def _char_at(text: str, mark: _Mark | None) -> str:
    if mark is None or not 0 <= mark.index < len(text):
        return ""
    return text[mark.index]


def _syntax(exc: MarkedYAMLError, text: str, file: str) -> Diagnostic:
    problem = exc.problem or ""
    context = exc.context or ""
    low = f"{problem} {context}".lower()
    mark = exc.problem_mark or exc.context_mark
    start = exc.context_mark
    since = (
        f" (it starts on line {start.line + 1})"
        if start is not None and mark is not None and start.line != mark.line
        else ""
    )
    char = _char_at(text, mark)
    rule = "YAML-SYNTAX"
    fix = "check the YAML syntax at this position"

    if char == "\t" or "tab character" in low:
        message = "tab characters cannot indent YAML; use spaces"
        fix = "replace the tab with spaces"
    elif "cannot start any token" in low:
        if char in ("@", "`"):
            message = f"`{char}` is reserved in YAML and cannot start a plain value"
        elif char == "%":
            message = "`%` can only start a directive at the top of the file"
        else:
            message = f"the character `{char or '?'}` cannot start a value here"
        fix = "put the value in quotes"
    elif "mapping values are not allowed" in low:
        message = "unexpected `:`; a plain value cannot contain `: ` and a nested mapping must start on its own line"
        fix = 'quote the value (e.g. "a: b"), or move the nested keys to their own indented lines'
    elif "sequence entries are not allowed" in low:
        message = "a `- ` list item cannot start on the same line as its key"
        fix = "move the list to the next line, indented under the key"
    elif "could not find expected ':'" in low:
        mark = start or mark
        message = "this key is not followed by `:` on the same line"
        fix = "add `: ` after the key, or indent the line if it continues the previous value"
    elif "',' or ']'" in low:
        message = f"the `[` list is not closed: expected `,` or `]` here{since}"
        fix = "add the missing `]`, or quote values that contain `[`, `]` or `,`"
    elif "',' or '}'" in low:
        message = f"the `{{` mapping is not closed: expected `,` or `}}` here{since}"
        fix = "add the missing `}`, or quote values that contain `{`, `}` or `,`"
    elif "unexpected end of stream" in low and "quoted scalar" in low:
        mark = start or mark
        message = "this quoted string is never closed"
        fix = "add the closing quote"
    elif "unknown escape character" in low:
        index = mark.index if mark is not None else 0
        escape = (
            text[index : index + 2]
            if text[index : index + 1] == "\\"
            else text[index - 1 : index + 1]
        )
        message = f"unknown escape sequence `{escape}` in a double-quoted string"
        fix = "write a backslash as \\\\, or use single quotes"
    elif "hexdecimal" in low or "hexadecimal" in low or "escape" in low:
        message = "invalid escape sequence in a double-quoted string"
        fix = "write a backslash as \\\\, or use single quotes"
    elif "tag" in low and "uri" in low:
        message = "this tag is incomplete; `!` starts a tag in YAML"
        fix = "quote the value if it is text"
    elif "alphabetic or numeric character" in low and ("alias" in low or "anchor" in low):
        mark = start or mark
        what = "an alias" if "alias" in low else "an anchor"
        sign = "*" if "alias" in low else "&"
        message = (
            f"a value starting with `{sign}` is read as {what} and needs a name after `{sign}`"
        )
        fix = 'put the value in quotes, e.g. "*SALE* today"'
    elif "undefined alias" in low:
        found = _NAME_AT.match(text, mark.index) if mark is not None else None
        name = found.group(1) if found else "?"
        message = f"`*{name}` is an alias, but no anchor `&{name}` is defined before it"
        fix = "quote the value if it is text, or define the anchor first"
    elif "duplicate anchor" in low:
        found = _NAME_AT.match(text, mark.index) if mark is not None else None
        name = found.group(1) if found else "?"
        first = f" (first on line {start.line + 1})" if start is not None else ""
        message = f"the anchor `&{name}` is defined twice{first}"
        fix = "rename one of the anchors"
    elif "undefined tag handle" in low:
        rule = "YAML-TAG"
        found = _HANDLE_AT.match(text, mark.index) if mark is not None else None
        message = f"unknown tag handle `{found.group() if found else '!?!'}`"
        fix = "remove the tag"
    elif "expected key" in low or ("block end" in low and "block mapping" in low):
        if char in ("]", "}"):
            message = f"unexpected `{char}` with no opening bracket"
        elif mark is not None and _after_text(text, mark.index):
            message = "unexpected text after the value on this line"
            fix = "quote the whole value, or move the extra text to its own line"
        else:
            message = f"this line does not fit the mapping around it; check its indentation{since}"
            fix = "indent it like the other keys of its mapping, or quote the value"
    elif "'-' indicator" in low or ("block end" in low and "block collection" in low):
        message = f"expected a `- ` list item here, aligned with the list{since}"
        fix = "check the indentation of this line"
    elif "node content" in low:
        message = "a value is missing here"
        fix = "write the value, or quote it if it starts with a special character"
    elif "document start" in low:
        message = "unexpected text after the end of the document"
        fix = "remove it, or check the indentation of this line"
    elif "incompatible yaml document" in low:
        message = "unsupported %YAML version; YAML 1.x is required"
        fix = "remove the %YAML line"
    elif "unexpected end of stream" in low:
        message = "the file ends in the middle of a value"
        fix = "complete the value"
    else:
        detail = problem or context or str(exc)
        message = f"invalid YAML: {detail}"
        if context and problem:
            message += f" ({context})"
    return error(rule, message, _loc(file, mark), fix=fix)


# --------------------------------------------------------------------------
# Loading


def _limit_diag(limit: _Limit, file: str) -> Diagnostic:
    return error(limit.rule, limit.message, _loc(file, limit.mark), fix=limit.fix)


def _is_empty(root: Node) -> bool:
    return (
        isinstance(root, ScalarNode) and root.tag == _NULL and root.value == "" and not root.style
    )




class _NodePath(Exception):
    """The document needs the node path: it uses something the event path does not build."""


_RESOLVER: Final = Resolver()  # what both loader classes resolve with
# Lists of one-line flow mappings at least this long are read ahead of the parser
# (smsspec.flow_lines); shorter ones parse quickly anyway.
_READ_AHEAD_FROM: Final = 256
# First characters of plain scalars that some implicit type may claim; any other is text.
_RESOLVED_FIRST: Final = frozenset(key for key in Resolver.yaml_implicit_resolvers if key)
_RESOLVED_ANY: Final = None in Resolver.yaml_implicit_resolvers


def _plain_tag(resolver: Resolver, value: str, tags: dict[str, str]) -> str:
    """The tag YAML resolves a plain scalar to (memoised: keys and values repeat)."""
    tag = tags.get(value)
    if tag is None:
        tag = tags[value] = resolver.resolve(ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    return tag


def _plain_value(loader: _PyLoader, event: ScalarEvent, tag: str) -> object:
    """A plain scalar that is not text, as the node path constructs it; _NodePath
    when that would report something (or it is a merge key)."""
    if tag == _MERGE:
        raise _NodePath
    node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)  # type: ignore[arg-type]
    before = len(loader.diagnostics)
    construct: Callable[[_PyLoader, Node], object] = loader.yaml_constructors[tag]
    built = construct(loader, node)
    if len(loader.diagnostics) != before:
        raise _NodePath
    return built


def _build_from_events(loader: _PyLoader, tags: dict[str, str], flow: FlowItems | None = None) -> dict[str, object]:
    """The first document, when its root is a mapping of plain content, built
    from parser events: the same data the node path constructs, with no
    diagnostics. Raises _NodePath for anything else (and parser errors as is).

    With ``flow``, the parser reads ``flow.text``, and each marker scalar is the
    item read from its line (see :mod:`smsspec.flow_lines`)."""
    events: _Events = loader
    get_event: Callable[[], Any] = events.get_event  # PyYAML's events are untyped
    marker = flow.marker if flow is not None else None
    items = flow.items if flow is not None else {}
    scalar, map_start, seq_start = ScalarEvent, MappingStartEvent, SequenceStartEvent
    outer: list[dict[str, object] | list[object]] = []  # the open collections around ``top``
    top: dict[str, object] | list[object] | None = None  # the innermost open collection
    key: str | None = None  # in a mapping: the key read, awaiting its value
    while True:
        event = get_event()
        kind = type(event)
        value: object
        if kind is scalar:
            if event.anchor is not None or event.tag is not None or top is None:
                raise _NodePath  # an anchor, a tag, or a lone scalar document
            text: str = event.value
            plain: bool = event.implicit[0]
            if marker is not None and marker in text:
                line = event.start_mark.line
                if text != marker or not plain or type(top) is not list or line not in items:
                    raise _NodePath  # a line read ahead is not the list item it seemed
                top.append(items.pop(line))
                continue
            if key is None and type(top) is dict:
                # A key: the node path takes anything but text (and reports it).
                if plain and _plain_tag(_RESOLVER, text, tags) not in _SCALAR_KEY_TAGS:
                    raise _NodePath
                if text in top:
                    raise _NodePath  # a duplicate key
                key = text
                continue
            value = text
            if plain:
                tag = tags.get(text) or _plain_tag(_RESOLVER, text, tags)
                if tag != _STR:
                    value = _plain_value(loader, event, tag)
            if key is None:
                top.append(value)  # type: ignore[union-attr]
            else:
                top[key] = value  # type: ignore[call-overload]
                key = None
        elif kind is map_start or kind is seq_start:
            if event.anchor is not None or event.tag is not None or len(outer) >= MAX_DEPTH - 1:
                raise _NodePath
            collection: dict[str, object] | list[object] = {} if kind is map_start else []
            if top is not None:
                if key is None:
                    if type(top) is dict:
                        raise _NodePath  # a collection as a key
                    top.append(collection)  # type: ignore[union-attr]
                else:
                    top[key] = collection  # type: ignore[call-overload]
                outer.append(top)
            top, key = collection, None
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            if not outer:
                break
            top = outer.pop()  # its key, if any, was used by the collection that ended
        elif kind is StreamStartEvent or kind is DocumentStartEvent:
            continue
        else:  # an alias, or a document that is empty
            raise _NodePath
    if type(top) is not dict or items:
        raise _NodePath
    if type(get_event()) is not DocumentEndEvent or type(events.peek_event()) is not StreamEndEvent:
        raise _NodePath  # more than one document
    return top


def _from_events(text: str, file: str, cls: type[_PyLoader]) -> YamlDocument | None:
    """The document built by the event path, or None when the node path must read it."""
    tags: dict[str, str] = {}

    def is_text(value: str) -> bool:
        if value[:1] not in _RESOLVED_FIRST and not _RESOLVED_ANY:
            return True  # no implicit type starts with this character
        return _plain_tag(_RESOLVER, value, tags) == _STR

    flow = None
    if text.count("- {") >= _READ_AHEAD_FROM:
        from smsspec.flow_lines import take_flow_items

        flow = take_flow_items(text, is_text)
    loader = cls(flow.text if flow is not None else text)
    try:
        data = _build_from_events(loader, tags, flow)
    except MemoryError:
        raise
    except Exception:  # _NodePath, or a parser error that the node path reports
        return None
    finally:
        loader.dispose()
    return YamlDocument(file, data, SourceMap(file, None, pending=(text, cls)))


def _compose_checked(text: str, cls: type[_PyLoader]) -> Node | None:
    """The node tree of a document the event path has read (so it nests at
    most MAX_DEPTH deep, holds no aliases and parses)."""
    loader = cls(text)
    try:
        return loader.get_node() if loader.check_node() else None
    finally:
        loader.dispose()


def _parse(
    text: str, raw: bytes, file: str, cls: type[_PyLoader]
) -> tuple[YamlDocument | None, list[Diagnostic]]:
    fast = _from_events(text, file, cls)
    if fast is not None:
        return fast, []
    return _parse_nodes(text, raw, file, cls)


def _parse_nodes(
    text: str, raw: bytes, file: str, cls: type[_PyLoader]
) -> tuple[YamlDocument | None, list[Diagnostic]]:
    """The node path: composes the tree (after bounding it) and constructs from it."""
    diagnostics: list[Diagnostic] = []
    scanned = False
    if _may_nest_deeply(raw, cls.safe_depth, cls.prefix_run):
        scanned = True
        limit = _scan_limits(text, cls)
        if limit is not None:
            return None, [_limit_diag(limit, file)]

    if _blank(text):
        return YamlDocument(file, None, SourceMap(file, None)), [_empty(file)]
    loader = cls(text)
    loader.file = file
    try:
        if not loader.check_node():
            return YamlDocument(file, None, SourceMap(file, None)), [_empty(file)]
        root = loader.get_node()
        if root is None:  # pragma: no cover - check_node said there is one
            return YamlDocument(file, None, SourceMap(file, None)), [_empty(file)]
        # The next event after the first document (peek_event, not
        # check_node: libyaml's check_node would consume it).
        events: _Events = loader
        event = events.peek_event()
        if not isinstance(event, StreamEndEvent):
            diagnostics.append(
                error(
                    "YAML-MULTI-DOC",
                    "the file holds more than one YAML document; only the first is used",
                    _loc(file, event.start_mark),
                    fix="remove the `---` line and what follows, or split it into its own file",
                )
            )
        if _is_empty(root):
            diagnostics.append(_empty(file))
            return YamlDocument(file, None, SourceMap(file, None)), diagnostics
        if not scanned:
            if b"*" not in raw:
                deep = _tree_too_deep(root)
                if deep is not None:
                    return None, [*diagnostics, _limit_diag(_nesting(deep.start_mark), file)]
            else:
                problem = _graph_problem(root)
                if problem is not None:
                    kind, node = problem
                    if kind == "depth":
                        limit = _nesting(node.start_mark)
                    else:
                        limit = _scan_limits(text, cls) or _too_many_aliases(node.start_mark)
                    return None, [*diagnostics, _limit_diag(limit, file)]
        data = loader.construct_document(root)
        diagnostics.extend(loader.diagnostics)
        return YamlDocument(file, data, SourceMap(file, root)), diagnostics
    finally:
        loader.dispose()


def _blank(text: str) -> bool:
    """Only whitespace and comments (libyaml rejects a tab on an otherwise empty line)."""
    head = text.lstrip()
    if head and head[0] != "#":
        return False
    return all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines())


def _empty(file: str) -> Diagnostic:
    return error(
        "YAML-EMPTY",
        "the file has no YAML content",
        Location(file, 1, 1),
        fix="write the document's keys (a spec starts with `version: 1`)",
    )


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MiB".replace(".0 ", " ")
    if n >= 1024:
        return f"{n / 1024:.1f} KiB".replace(".0 ", " ")
    return f"{n} bytes"


def _too_large(file: str, size: int | None, max_bytes: int) -> Diagnostic:
    what = f"is {_size(size)}" if size is not None else "is larger than that"
    return error(
        "FILE-TOO-LARGE",
        f"the file {what}; the limit is {_size(max_bytes)} ({max_bytes} bytes); "
        "large recipient lists belong in a recipients file",
        _whole_file(file),
        fix="move large recipient lists into a recipients file, or split the spec",
    )


def load_yaml_bytes(
    raw: bytes, display_path: str, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[YamlDocument | None, list[Diagnostic]]:
    """Load the first YAML document in ``raw``. Never raises on bad input."""
    file = str(display_path)
    text = ""
    try:
        if not isinstance(raw, bytes):
            raw = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else bytes(raw)
        if len(raw) > max_bytes:
            return None, [_too_large(file, len(raw), max_bytes)]
        decoded, problem = _decode(raw, file)
        if decoded is None:
            assert problem is not None
            return None, [problem]
        text = decoded
        return _parse(text, raw, file, _LOADER_CLASS)
    except MemoryError:
        raise
    except RecursionError:
        return None, [_limit_diag(_nesting(None), file)]
    except ReaderError as exc:
        index = exc.position if 0 <= exc.position <= len(text) else 0
        line, column = _line_col(text, index)
        return None, [
            error(
                "YAML-ENCODING",
                f"the file contains a character YAML does not allow ({exc.reason})",
                Location(file, line, column),
                fix="delete the character",
            )
        ]
    except MarkedYAMLError as exc:
        if _is_parser_nesting_limit(exc):
            limit = _scan_limits(text, _PyLoader) or _nesting(exc.problem_mark)
            return None, [_limit_diag(limit, file)]
        return None, [_syntax(exc, text, file)]
    except Exception as exc:
        # Anything PyYAML did not anticipate still becomes a diagnostic.
        return None, [
            error(
                "YAML-SYNTAX",
                f"the file could not be read as YAML: {type(exc).__name__}: {_short(str(exc), 200)}",
                _whole_file(file),
                fix="check the YAML syntax",
            )
        ]


def _unreadable(file: str, reason: str) -> Diagnostic:
    return error(
        "FILE-UNREADABLE", f"cannot read the file: {reason}", _whole_file(file), fix="check the path"
    )


def _read_limited(path: str | bytes, max_bytes: int) -> bytes | int | str:
    """The file's bytes; its size (int) when over the limit; a reason (str)
    when it is not a regular file. Raises OSError."""
    flags = os.O_RDONLY
    for name in ("O_BINARY", "O_NONBLOCK", "O_CLOEXEC", "O_NOCTTY"):
        flags |= getattr(os, name, 0)
    fd = os.open(path, flags)  # non-blocking, so a FIFO cannot hang the open
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            return "it is a directory"
        if not stat.S_ISREG(info.st_mode):
            return "it is not a regular file"
        if info.st_size > max_bytes:
            return info.st_size
        with open(fd, "rb", closefd=False) as handle:
            # Sized from fstat: read(max_bytes + 1) would allocate that much.
            data = handle.read(info.st_size + 1)
            if len(data) > info.st_size:  # the file grew meanwhile
                data += handle.read(max_bytes + 1 - len(data))
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        return len(data)
    return data


def load_yaml_file(
    path: str | os.PathLike[str],
    display_path: str | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> tuple[YamlDocument | None, list[Diagnostic]]:
    """Read and load a YAML file; problems come back as diagnostics."""
    try:
        fs_path: str | bytes = os.fspath(path)
        file = display_path if display_path is not None else os.fsdecode(fs_path)
    except (TypeError, ValueError) as exc:
        return None, [_unreadable(str(display_path or path), f"invalid path ({exc})")]
    try:
        result = _read_limited(fs_path, max_bytes)
    except MemoryError:
        raise
    except FileNotFoundError:
        try:
            dangling = os.path.islink(fs_path)
        except (OSError, ValueError):
            dangling = False
        reason = "it is a symbolic link to a missing file" if dangling else "no such file"
        return None, [_unreadable(file, reason)]
    except IsADirectoryError:
        return None, [_unreadable(file, "it is a directory")]
    except PermissionError:
        reason = "it is a directory" if os.path.isdir(fs_path) else "permission denied"
        return None, [_unreadable(file, reason)]
    except NotADirectoryError:
        return None, [_unreadable(file, "a part of the path is not a directory")]
    except OSError as exc:
        return None, [_unreadable(file, exc.strerror or str(exc))]
    except Exception as exc:  # e.g. ValueError: embedded NUL in the path
        return None, [_unreadable(file, f"invalid path ({exc})")]
    if isinstance(result, int):
        return None, [_too_large(file, result, max_bytes)]
    if isinstance(result, str):
        return None, [_unreadable(file, result)]
    return load_yaml_bytes(result, file, max_bytes=max_bytes)
