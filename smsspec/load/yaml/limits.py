"""Bounds on hostile input: nesting depth, alias count and expansion, checked before the recursive parts of PyYAML run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from yaml.error import MarkedYAMLError
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from smsspec.diagnostics import Diagnostic, error
from smsspec.load.yaml.construct import PyLoader
from smsspec.load.yaml.source_map import Events, Mark, location

DEFAULT_MAX_BYTES: Final = 8 * 1024 * 1024


MAX_DEPTH: Final = 64


MAX_ALIASES: Final = 100


# Values that aliases may add on top of what is written in the file.
MAX_ALIAS_EXPANSION: Final = 100_000


# Bytes that can make up a line's block indentation prefix (spaces, tabs and
# the indicators "-", "?", ":"), mapped to b" "; everything else to b"x".
_PREFIX_TABLE: Final = bytes(0x20 if c in b"-?: \t" else 0x78 for c in range(256))


@dataclass
class _Limit:
    rule: str
    message: str
    fix: str
    mark: Mark | None


def too_deep(mark: Mark | None) -> _Limit:
    return _Limit(
        "YAML-NESTING",
        f"the data is nested more than {MAX_DEPTH} levels deep",
        "flatten the structure; specs are a few levels deep",
        mark,
    )


def too_many_aliases(mark: Mark | None) -> _Limit:
    return _Limit(
        "YAML-ALIAS-LIMIT",
        f"more than {MAX_ALIASES} aliases (`*name`) in one document; aliases are capped",
        "write the values out instead of repeating aliases",
        mark,
    )


def _recursive(mark: Mark | None, name: str) -> _Limit:
    return _Limit(
        "YAML-ALIAS-LIMIT",
        f"the alias `*{name}` refers to the collection that contains it, which would be infinitely deep",
        "remove the self-reference",
        mark,
    )


def _expansion(mark: Mark | None, name: str) -> _Limit:
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


def _scan_events(loader: Events) -> _Limit | None:
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
                return too_deep(event.start_mark)
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
                return too_many_aliases(event.start_mark)
            if name in open_anchors:
                return _recursive(event.start_mark, name)
            # An undefined alias is left for the composer to report.
            size, height = anchors.get(name, (1, 0))
            extra += size
            if extra > MAX_ALIAS_EXPANSION:
                return _expansion(event.start_mark, name)
            if len(frames) + height > MAX_DEPTH:
                return too_deep(event.start_mark)
        elif isinstance(event, DocumentEndEvent):
            break
        else:
            continue
        if frames:
            parent = frames[-1]
            parent.size += size
            parent.height = max(parent.height, height + 1)
    return None


def is_parser_nesting_limit(exc: MarkedYAMLError) -> bool:
    """libyaml 0.2.6 (in PyYAML 6.0.4's wheels) refuses nesting beyond its own
    limit while it scans ahead, before an event scan reaches smsspec's lower one."""
    return "maximum nesting depth" in (exc.problem or "")


def scan_limits(text: str, cls: type[PyLoader]) -> _Limit | None:
    """:func:`_scan_events` over ``text``. Where libyaml stops at its own nesting
    limit first, the pure-Python parser (iterative, with no limit of its own)
    finds where smsspec's limit is crossed, so the rule and position are the
    same on every PyYAML."""
    scanner = cls(text)
    try:
        return _scan_events(scanner)
    except MarkedYAMLError as exc:
        if cls is PyLoader or not is_parser_nesting_limit(exc):
            raise
    finally:
        scanner.dispose()
    return scan_limits(text, PyLoader)


def tree_too_deep(root: Node) -> Node | None:
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


def graph_problem(root: Node) -> tuple[str, Node] | None:
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


def may_nest_deeply(raw: bytes, limit: int, run: int) -> bool:
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


def limit_error(limit: _Limit, file: str) -> Diagnostic:
    return error(limit.rule, limit.message, location(file, limit.mark), fix=limit.fix)
