"""Inline suppressions: ``# smsspec: disable=RULE-ID[,RULE-ID] -- reason``.

Written as a comment at the end of a line, a suppression hides the named
rules' diagnostics on that line. At the end of a message's first line (the
``- id: ...`` line) it covers the whole message: every line of the message
item, and every diagnostic about that message. The reason after ``--`` is
required; a suppression without one suppresses nothing.

Suppressions are found only in files that parse as YAML, and only in comments:
``#`` inside a quoted or block text is text. Each file is read again only if
it contains the word ``smsspec``, so files without suppressions cost nothing.

Problems with suppressions are diagnostics too: SUPPRESSION-SYNTAX,
SUPPRESSION-REASON, SUPPRESSION-UNKNOWN-RULE and SUPPRESSION-UNUSED.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from smsspec.diagnostics import Diagnostic, Location, apply_rule_settings, error, warning

__all__ = ["NOT_SUPPRESSIBLE", "Suppression", "Suppressions", "parse_file"]

# Diagnostics that an inline comment cannot hide: without a config nothing was
# checked, and the suppression rules would hide their own findings.
NOT_SUPPRESSIBLE = frozenset({"CONFIG-NOT-FOUND"})
_OWN_PREFIX = "SUPPRESSION-"
_COMMENT = re.compile(r"#[ \t]*smsspec[ \t]*:", re.IGNORECASE)
_DIRECTIVE = re.compile(r"disable[ \t]*=[ \t]*(?P<rules>[^\r\n]*)", re.IGNORECASE)
_RULE_ID = re.compile(r"^[A-Z0-9]+(?:-[A-Z0-9]+)*$")
_SEPARATOR = "--"
_USAGE = "write `# smsspec: disable=RULE-ID -- reason` at the end of the line it is for"


@dataclass
class Suppression:
    """One well-formed suppression comment and what it covers."""

    rules: tuple[str, ...]
    reason: str
    location: Location  # where the comment starts
    first_line: int
    last_line: int
    message_id: str | None = None  # set when it covers a whole message
    used: set[str] = field(default_factory=set)

    def covers(self, diagnostic: Diagnostic, inside_other_message: bool) -> bool:
        if diagnostic.rule not in self.rules:
            return False
        if self.first_line <= diagnostic.location.line <= self.last_line:
            return True
        return (
            self.message_id is not None
            and diagnostic.message_id == self.message_id
            and not inside_other_message
        )


@dataclass
class FileSuppressions:
    """The suppressions of one file, the problems found in them, and its message items."""

    suppressions: list[Suppression] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)
    messages: list[tuple[int, int]] = field(default_factory=list)  # (first, last) line of each item

    def in_message(self, line: int) -> tuple[int, int] | None:
        for span in self.messages:
            if span[0] <= line <= span[1]:
                return span
        return None


def parse_file(text: str, display: str, known_rules: Iterable[str]) -> FileSuppressions:
    """The suppressions written in one file's comments."""
    found = FileSuppressions()
    if "smsspec" not in text.lower():
        return found
    try:
        root = yaml.compose(text, Loader=_SafeLoader)
    except yaml.YAMLError:
        return found  # the file's own diagnostics say why; nothing in it is honoured
    spans = _scalar_spans(root)
    starts = [start for start, _ in spans]
    items = _message_items(root)
    found.messages = [(first, last) for first, last, _ in items]
    known = set(known_rules)
    for match in _COMMENT.finditer(text):
        index = match.start()
        if not _is_comment(text, index, spans, starts):
            continue
        line = text.count("\n", 0, index) + 1
        line_start = text.rfind("\n", 0, index) + 1
        where = Location(display, line, index - line_start + 1)
        end = text.find("\n", index)
        body = text[match.end() : len(text) if end < 0 else end].strip()
        if not text[line_start:index].strip():
            found.problems.append(error(
                "SUPPRESSION-SYNTAX",
                f"a suppression stands on a line of its own and would cover nothing; {_USAGE}",
                where,
            ))
            continue
        suppression = _parse_directive(body, where, known, found.problems)
        if suppression is None:
            continue
        suppression.first_line = suppression.last_line = line
        for first, last, message_id in items:
            if first == line:
                suppression.last_line = last
                suppression.message_id = message_id
        found.suppressions.append(suppression)
    return found


def _parse_directive(body: str, where: Location, known: set[str], problems: list[Diagnostic]) -> Suppression | None:
    directive = _DIRECTIVE.fullmatch(body)
    if directive is None:
        problems.append(error("SUPPRESSION-SYNTAX", f"cannot read the suppression `# smsspec: {body}`; {_USAGE}", where))
        return None
    listed, _, reason = directive["rules"].partition(_SEPARATOR)
    names = [name.strip().upper() for name in listed.split(",")]
    if not all(_RULE_ID.match(name) for name in names):
        problems.append(error(
            "SUPPRESSION-SYNTAX",
            f"cannot read the rule list {listed.strip()!r}; separate rule ids with commas, like "
            "`disable=TEXT-GSM-LOOKALIKE,PHONE-INVALID`",
            where,
        ))
        return None
    if not reason.strip():
        problems.append(error(
            "SUPPRESSION-REASON",
            f"the suppression of {', '.join(names)} gives no reason, so it suppresses nothing; "
            "add one after `--`: `# smsspec: disable=" + ",".join(names) + " -- why this is fine`",
            where,
        ))
        return None
    rules: list[str] = []
    for name in names:
        if name in NOT_SUPPRESSIBLE or name.startswith(_OWN_PREFIX):
            problems.append(warning("SUPPRESSION-UNKNOWN-RULE", f"{name} cannot be suppressed in a file; change it in the `rules:` section of smsspec.yaml", where))
        elif name not in known:
            from smsspec.validate.schema import did_you_mean

            hint = did_you_mean(name, sorted(known))
            text = f"the suppression names {name}, which is not a rule"
            text += f"; did you mean {hint}?" if hint else "; see `smsspec rules`"
            problems.append(warning("SUPPRESSION-UNKNOWN-RULE", text, where, fix=hint))
        elif name not in rules:
            rules.append(name)
    if not rules:
        return None
    return Suppression(tuple(rules), reason.strip(), where, 0, 0)


class Suppressions:
    """The suppressions of every file in one check, applied to its diagnostics.

    :meth:`add` registers a file, :meth:`filter` drops the diagnostics that a
    suppression covers (and remembers which suppressions were used), and
    :meth:`problems` returns what is wrong with the suppressions themselves,
    unused ones included, once every diagnostic has been filtered.
    """

    def __init__(self, known_rules: Iterable[str] | None = None) -> None:
        self._known = known_rules
        self._paths: dict[str, tuple[Path, Mapping[str, str]]] = {}
        self._files: dict[str, FileSuppressions] = {}

    def add(self, display: str, path: Path, settings: Mapping[str, str]) -> None:
        self._paths.setdefault(display, (path, settings))

    def _file(self, display: str) -> FileSuppressions | None:
        if display not in self._files:
            entry = self._paths.get(display)
            if entry is None:
                return None
            try:
                raw = entry[0].read_bytes()
            except OSError:
                raw = b""
            text = raw.decode("utf-8", "replace") if b"smsspec" in raw.lower() else ""
            self._files[display] = parse_file(text, display, self._known_rules())
        return self._files[display]

    def _known_rules(self) -> Iterable[str]:
        if self._known is None:
            from smsspec.validate.catalog import all_rules

            self._known = frozenset(all_rules())
        return self._known

    def filter(self, diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
        kept = []
        for diagnostic in diagnostics:
            if not self._suppressed(diagnostic):
                kept.append(diagnostic)
        return kept

    def _suppressed(self, diagnostic: Diagnostic) -> bool:
        if diagnostic.rule in NOT_SUPPRESSIBLE or diagnostic.rule.startswith(_OWN_PREFIX):
            return False
        found = self._file(diagnostic.location.file)
        if found is None or not found.suppressions:
            return False
        span = found.in_message(diagnostic.location.line)
        hit = False
        for suppression in found.suppressions:
            mine = (suppression.first_line, suppression.last_line)
            if suppression.covers(diagnostic, inside_other_message=span is not None and span != mine):
                suppression.used.add(diagnostic.rule)
                hit = True
        return hit

    def problems(self) -> list[Diagnostic]:
        """Malformed, reason-less, unknown and unused suppressions, with the file's rule settings applied."""
        out: list[Diagnostic] = []
        for display in self._paths:
            found = self._file(display)
            if found is None:
                continue
            own = list(found.problems)
            for suppression in found.suppressions:
                for rule in suppression.rules:
                    if rule not in suppression.used:
                        scope = f"message {suppression.message_id!r}" if suppression.message_id else "this line"
                        own.append(warning(
                            "SUPPRESSION-UNUSED",
                            f"nothing to suppress: {rule} is not reported for {scope}; remove it from the suppression",
                            suppression.location,
                        ))
            out += apply_rule_settings(own, self._paths[display][1])
        return out

    def apply(self, diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
        """Filter the remaining diagnostics, then add the suppressions' own problems."""
        return [*self.filter(diagnostics), *self.problems()]


# --------------------------------------------------------------------------
# Where comments and message items are


_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _nodes(root: Node | None) -> Iterable[Node]:
    """Every node once, without recursion (aliases share nodes)."""
    seen: set[int] = set()
    todo = [root] if root is not None else []
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        if isinstance(node, MappingNode):
            for key, value in node.value:
                todo += (key, value)
        elif isinstance(node, SequenceNode):
            todo += node.value


def _scalar_spans(root: Node | None) -> list[tuple[int, int]]:
    return sorted((n.start_mark.index, n.end_mark.index) for n in _nodes(root) if isinstance(n, ScalarNode))


def _is_comment(text: str, index: int, spans: list[tuple[int, int]], starts: list[int]) -> bool:
    """A YAML comment: ``#`` at a line's start or after white space, outside every scalar."""
    if index > 0 and text[index - 1] not in " \t\r\n":
        return False
    at = bisect.bisect_right(starts, index) - 1
    # Scalars do not overlap, so only the one starting last before ``index`` can hold it.
    return at < 0 or not (spans[at][0] <= index < spans[at][1])


def _end_line(node: Node) -> int:
    """1-based line of a node's last character."""
    end = node.end_mark
    return int(end.line) if end.column == 0 else int(end.line) + 1


def _last_line(node: Node) -> int:
    last = int(node.start_mark.line) + 1
    for child in _nodes(node):
        if isinstance(child, ScalarNode) or getattr(child, "flow_style", False):
            last = max(last, _end_line(child))
    return last


def _message_items(root: Node | None) -> list[tuple[int, int, str | None]]:
    """(first line, last line, id) of each item of the top-level ``messages`` list."""
    if not isinstance(root, MappingNode):
        return []
    items = []
    for key, value in root.value:
        if isinstance(key, ScalarNode) and key.value == "messages" and isinstance(value, SequenceNode):
            for item in value.value:
                message_id = None
                if isinstance(item, MappingNode):
                    for k, v in item.value:
                        if isinstance(k, ScalarNode) and k.value == "id" and isinstance(v, ScalarNode):
                            message_id = str(v.value)
                items.append((int(item.start_mark.line) + 1, _last_line(item), message_id))
    return items
