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

from yaml.error import MarkedYAMLError
from yaml.events import StreamEndEvent
from yaml.nodes import Node, ScalarNode
from yaml.reader import ReaderError

from smsspec.diagnostics import Diagnostic, Location, error
from smsspec.load.yaml.construct import LOADER_CLASSES, PyLoader
from smsspec.load.yaml.decode import decode_text, line_col
from smsspec.load.yaml.events import from_events
from smsspec.load.yaml.limits import (
    DEFAULT_MAX_BYTES,
    graph_problem,
    is_parser_nesting_limit,
    limit_error,
    may_nest_deeply,
    scan_limits,
    too_deep,
    too_many_aliases,
    tree_too_deep,
)
from smsspec.load.yaml.source_map import (
    Events,
    SourceMap,
    YamlDocument,
    location,
    whole_file,
)
from smsspec.load.yaml.tags import NULL
from smsspec.load.yaml.wording import empty_file, shorten, syntax_error, too_large

__all__ = ["load_yaml_bytes"]


# Which loader class load_yaml_bytes uses (tests switch it to the other one).
_LOADER_CLASS: type[PyLoader] = LOADER_CLASSES[0]


def _is_empty(root: Node) -> bool:
    return (
        isinstance(root, ScalarNode) and root.tag == NULL and root.value == "" and not root.style
    )


def _parse(
    text: str, raw: bytes, file: str, cls: type[PyLoader]
) -> tuple[YamlDocument | None, list[Diagnostic]]:
    fast = from_events(text, file, cls)
    if fast is not None:
        return fast, []
    return _parse_nodes(text, raw, file, cls)


def _parse_nodes(
    text: str, raw: bytes, file: str, cls: type[PyLoader]
) -> tuple[YamlDocument | None, list[Diagnostic]]:
    """The node path: composes the tree (after bounding it) and constructs from it."""
    diagnostics: list[Diagnostic] = []
    scanned = False
    if may_nest_deeply(raw, cls.safe_depth, cls.prefix_run):
        scanned = True
        limit = scan_limits(text, cls)
        if limit is not None:
            return None, [limit_error(limit, file)]

    if _blank(text):
        return YamlDocument(file, None, SourceMap(file, None)), [empty_file(file)]
    loader = cls(text)
    loader.file = file
    try:
        if not loader.check_node():
            return YamlDocument(file, None, SourceMap(file, None)), [empty_file(file)]
        root = loader.get_node()
        if root is None:  # pragma: no cover - check_node said there is one
            return YamlDocument(file, None, SourceMap(file, None)), [empty_file(file)]
        # The next event after the first document (peek_event, not
        # check_node: libyaml's check_node would consume it).
        events: Events = loader
        event = events.peek_event()
        if not isinstance(event, StreamEndEvent):
            diagnostics.append(
                error(
                    "YAML-MULTI-DOC",
                    "the file holds more than one YAML document; only the first is used",
                    location(file, event.start_mark),
                    fix="remove the `---` line and what follows, or split it into its own file",
                )
            )
        if _is_empty(root):
            diagnostics.append(empty_file(file))
            return YamlDocument(file, None, SourceMap(file, None)), diagnostics
        if not scanned:
            if b"*" not in raw:
                deep = tree_too_deep(root)
                if deep is not None:
                    return None, [*diagnostics, limit_error(too_deep(deep.start_mark), file)]
            else:
                problem = graph_problem(root)
                if problem is not None:
                    kind, node = problem
                    if kind == "depth":
                        limit = too_deep(node.start_mark)
                    else:
                        limit = scan_limits(text, cls) or too_many_aliases(node.start_mark)
                    return None, [*diagnostics, limit_error(limit, file)]
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
            return None, [too_large(file, len(raw), max_bytes)]
        decoded, problem = decode_text(raw, file)
        if decoded is None:
            assert problem is not None
            return None, [problem]
        text = decoded
        return _parse(text, raw, file, _LOADER_CLASS)
    except MemoryError:
        raise
    except RecursionError:
        return None, [limit_error(too_deep(None), file)]
    except ReaderError as exc:
        index = exc.position if 0 <= exc.position <= len(text) else 0
        line, column = line_col(text, index)
        return None, [
            error(
                "YAML-ENCODING",
                f"the file contains a character YAML does not allow ({exc.reason})",
                Location(file, line, column),
                fix="delete the character",
            )
        ]
    except MarkedYAMLError as exc:
        if is_parser_nesting_limit(exc):
            limit = scan_limits(text, PyLoader) or too_deep(exc.problem_mark)
            return None, [limit_error(limit, file)]
        return None, [syntax_error(exc, text, file)]
    except Exception as exc:
        # Anything PyYAML did not anticipate still becomes a diagnostic.
        return None, [
            error(
                "YAML-SYNTAX",
                f"the file could not be read as YAML: {type(exc).__name__}: {shorten(str(exc), 200)}",
                whole_file(file),
                fix="check the YAML syntax",
            )
        ]
