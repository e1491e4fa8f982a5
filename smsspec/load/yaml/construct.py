"""Building Python data from YAML nodes, reporting problems instead of raising; the two parser classes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from smsspec.diagnostics import Diagnostic, error
from smsspec.load.yaml.source_map import (
    Pairs,
    effective_pairs,
    is_merge_key,
    location,
    merge_sources,
    node_text,
)
from smsspec.load.yaml.tags import (
    BOOL,
    FLOAT,
    INT,
    MAP,
    MERGE,
    NULL,
    SCALAR_KEY_TAGS,
    SEQ,
    STR,
    TAG_PREFIX,
    TIMESTAMP,
    VALUE,
)
from smsspec.load.yaml.wording import shorten

_UNSUPPORTED: Final = {TAG_PREFIX + "binary", TAG_PREFIX + "set", TAG_PREFIX + "omap", TAG_PREFIX + "pairs"}


# Longer numbers are kept as text: int() refuses > 4300 digits and YAML 1.1
# sexagesimal ints (1:2:3:...) cost quadratic time.
_MAX_NUMBER_CHARS: Final = 1000


def _tag_name(tag: str | None) -> str:
    if not tag:
        return "!"
    if tag.startswith(TAG_PREFIX):
        return "!!" + tag[len(TAG_PREFIX) :]
    return tag


class _Constructor(SafeConstructor):
    """SafeConstructor that reports problems instead of raising, keeps
    timestamps as text, checks keys and merges at the node level."""

    def __init__(self) -> None:
        super().__init__()
        self.file = ""
        self.diagnostics: list[Diagnostic] = []
        self._merge_cache: dict[int, Pairs] = {}

    def _report(self, rule: str, message: str, node: Node, fix: str) -> None:
        self.diagnostics.append(error(rule, message, location(self.file, node.start_mark), fix=fix))

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
                f"`{shorten(node.value)}` cannot be read as {kind} (tag `{_tag_name(node.tag)}`)",
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
        elif tag.startswith(TAG_PREFIX + "python/"):
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
            if tag in SCALAR_KEY_TAGS:
                return text
            kind = {NULL: "null", BOOL: "a boolean", INT: "a number", FLOAT: "a number"}.get(
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
        text = node_text(node)
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
            if is_merge_key(key_node):
                key = "<<"
                sources = merge_sources(value_node)
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
                    for k, (_, v) in effective_pairs(source, self._merge_cache).items():
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
                    f"duplicate key `{shorten(key)}` (first on line {before.start_mark.line + 1}); "
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
        STR: construct_str,
        NULL: construct_null,
        BOOL: construct_bool,
        INT: construct_int,
        FLOAT: construct_float,
        TIMESTAMP: construct_text,
        MERGE: construct_text,
        VALUE: construct_text,
        SEQ: construct_seq,
        MAP: construct_map,
        None: construct_unsupported,
        **dict.fromkeys(_UNSUPPORTED, construct_unsupported),
    }


class PyLoader(Reader, Scanner, Parser, Composer, _Constructor, Resolver):
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


# Both loader classes share PyLoader's interface; libyaml's is preferred.
LOADER_CLASSES: list[type[PyLoader]] = [PyLoader]


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

    LOADER_CLASSES.insert(0, _CLoader)
