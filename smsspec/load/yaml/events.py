"""The fast path: a plain document built straight from parser events, without a node tree."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from yaml.events import (
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from yaml.nodes import Node, ScalarNode
from yaml.resolver import Resolver

from smsspec.load.yaml.construct import PyLoader
from smsspec.load.yaml.limits import MAX_DEPTH
from smsspec.load.yaml.source_map import Events, SourceMap, YamlDocument
from smsspec.load.yaml.tags import MERGE, SCALAR_KEY_TAGS, STR


class _NodePath(Exception):
    """The document needs the node path: it uses something the event path does not build."""


_RESOLVER: Final = Resolver()  # what both loader classes resolve with


def _plain_tag(resolver: Resolver, value: str, tags: dict[str, str]) -> str:
    """The tag YAML resolves a plain scalar to (memoised: keys and values repeat)."""
    tag = tags.get(value)
    if tag is None:
        tag = tags[value] = resolver.resolve(ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    return tag


def _plain_value(loader: PyLoader, event: ScalarEvent, tag: str) -> object:
    """A plain scalar that is not text, as the node path constructs it; _NodePath
    when that would report something (or it is a merge key)."""
    if tag == MERGE:
        raise _NodePath
    node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)  # type: ignore[arg-type]
    before = len(loader.diagnostics)
    construct: Callable[[PyLoader, Node], object] = loader.yaml_constructors[tag]
    built = construct(loader, node)
    if len(loader.diagnostics) != before:
        raise _NodePath
    return built


def _build_from_events(loader: PyLoader, tags: dict[str, str]) -> dict[str, object]:
    """The first document, when its root is a mapping of plain content, built
    from parser events: the same data the node path constructs, with no
    diagnostics. Raises _NodePath for anything else (and parser errors as is)."""
    events: Events = loader
    get_event: Callable[[], Any] = events.get_event  # PyYAML's events are untyped
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
            if key is None and type(top) is dict:
                # A key: the node path takes anything but text (and reports it).
                if plain and _plain_tag(_RESOLVER, text, tags) not in SCALAR_KEY_TAGS:
                    raise _NodePath
                if text in top:
                    raise _NodePath  # a duplicate key
                key = text
                continue
            value = text
            if plain:
                tag = tags.get(text) or _plain_tag(_RESOLVER, text, tags)
                if tag != STR:
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
    if type(top) is not dict:
        raise _NodePath
    if type(get_event()) is not DocumentEndEvent or type(events.peek_event()) is not StreamEndEvent:
        raise _NodePath  # more than one document
    return top


def from_events(text: str, file: str, cls: type[PyLoader]) -> YamlDocument | None:
    """The document built by the event path, or None when the node path must read it."""
    tags: dict[str, str] = {}
    loader = cls(text)
    try:
        data = _build_from_events(loader, tags)
    except MemoryError:
        raise
    except Exception:  # _NodePath, or a parser error that the node path reports
        return None
    finally:
        loader.dispose()
    return YamlDocument(file, data, SourceMap(file, None, pending=(text, cls)))
