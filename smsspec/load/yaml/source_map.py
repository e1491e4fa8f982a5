"""Where a path into loaded data was written: the source map, composed from the text only when asked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from yaml.events import Event
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from smsspec.diagnostics import Location
from smsspec.load.yaml.tags import MERGE

PathKey = tuple[str | int, ...]


class Mark(Protocol):
    """What diagnostics need from PyYAML's (Python or C) marks: 0-based."""

    @property
    def index(self) -> int: ...
    @property
    def line(self) -> int: ...
    @property
    def column(self) -> int: ...


def whole_file(file: str) -> Location:
    """Where a problem with the whole file is reported: line 1, column 1, so
    editors, annotations and ``file:line:col`` readers can place it."""
    return Location(file, 1, 1)


class Events(Protocol):
    def check_event(self) -> bool: ...
    def get_event(self) -> Event: ...
    def peek_event(self) -> Event: ...


def location(file: str, mark: Mark | None) -> Location:
    if mark is None:
        return whole_file(file)
    return Location(file, mark.line + 1, mark.column + 1)


def node_text(node: Node, budget: int = 80) -> str:
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
    return node_text(node)


def is_merge_key(node: Node) -> bool:
    return node.tag == MERGE and isinstance(node, ScalarNode)


def merge_sources(value: Node) -> list[MappingNode] | None:
    """Mappings named by a ``<<`` value, in priority order; None if malformed."""
    if isinstance(value, MappingNode):
        return [value]
    if isinstance(value, SequenceNode) and all(isinstance(v, MappingNode) for v in value.value):
        return list(value.value)
    return None


Pairs = dict[str, tuple[Node, Node]]


def effective_pairs(node: MappingNode, cache: dict[int, Pairs]) -> Pairs:
    """Key -> (key node, value node) after merges; explicit keys win, then
    earlier merge sources. Memoised so chains of merges stay linear."""
    done = cache.get(id(node))
    if done is not None:
        return done
    merged: Pairs = {}
    explicit: Pairs = {}
    for key_node, value_node in node.value:
        if is_merge_key(key_node):
            for source in merge_sources(value_node) or ():
                for key, pair in effective_pairs(source, cache).items():
                    merged.setdefault(key, pair)
        else:
            explicit[_key_text(key_node)] = (key_node, value_node)
    merged.update(explicit)
    cache[id(node)] = merged
    return merged


class Composing(Protocol):
    """A parser that composes a node tree (either loader class of :mod:`.construct`)."""

    def check_node(self) -> bool: ...
    def get_node(self) -> Node | None: ...
    def dispose(self) -> None: ...


class SourceMap:
    """Finds where a path into the loaded data was written.

    Holds the composed node tree, or the text to compose it from on the
    first lookup; each lookup walks the tree from the root.
    """

    __slots__ = ("_cache", "_file", "_pending", "_root")

    def __init__(self, file: str, root: Node | None, *, pending: tuple[str, Callable[[str], Composing]] | None = None) -> None:
        self._file = file
        self._root = root
        self._pending = pending  # (text, loader class): composed when first needed
        self._cache: dict[int, Pairs] = {}

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
                    if not is_merge_key(k) and _key_text(k) == step:
                        key_node, child = k, v
                        break
                else:
                    if any(is_merge_key(k) for k, _ in node.value):
                        pair = effective_pairs(node, self._cache).get(step)
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

    def node_at(self, path: PathKey) -> Node | None:
        """The node at ``path``, or None when the path is not in the document."""
        node, _, found = self._walk(tuple(path))
        return node if found else None

    def locate(self, path: PathKey) -> Location:
        """Where the value at ``path`` starts, or its nearest existing ancestor."""
        node, _, _ = self._walk(tuple(path))
        if node is None:
            return Location(self._file, 1, 1)
        return location(self._file, node.start_mark)

    def locate_key(self, path: PathKey) -> Location:
        """Where the mapping key of the last path element is written."""
        _, key_node, found = self._walk(tuple(path))
        if found and key_node is not None:
            return location(self._file, key_node.start_mark)
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


def _compose_checked(text: str, cls: Callable[[str], Composing]) -> Node | None:
    """The node tree of a document the event path has read (so it nests at
    most MAX_DEPTH deep, holds no aliases and parses)."""
    loader = cls(text)
    try:
        return loader.get_node() if loader.check_node() else None
    finally:
        loader.dispose()
