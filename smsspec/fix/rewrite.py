"""Safe rewrites for the rules whose fix is unambiguous, made in the file's own text.

``plan_fixes`` validates the given specs, and for each diagnostic it can fix
computes an :class:`Edit`: a span of the file's text (character offsets taken
from the YAML scanner) and what goes there. Nothing outside the spans changes,
so comments, key order, quoting style and line endings stay byte for byte.

Fixed rules:

* ``YAML-NUMBER-AS-STRING`` and ``YAML-BOOLEAN``: the plain scalar is wrapped
  in double quotes (``from: 00000`` -> ``from: "00000"``).
* ``YAML-CURLY-QUOTES``: the typographic quotes around a plain scalar become
  straight double quotes (``text: “Hi”`` -> ``text: "Hi"``).
* ``TEXT-GSM-LOOKALIKE``: characters that force UCS-2 and have a GSM-7
  look-alike are replaced inside the text scalar as written (plain, quoted or
  block), escapes included, but only when that lowers the segment count for
  some recipient and raises it for none. In CSV recipients files, the values
  a text uses: see :mod:`smsspec.fix.recipients`.
* ``PHONE-FORMAT``: a recipient's number written with separators
  (``"+40 712 034 567"``) is written in E.164 when that is unambiguous
  (:mod:`smsspec.fix.e164`), in specs and in CSV recipients files.

Every rewrite is checked before it is kept: the edited file is parsed again
and must give the same YAML events as before, except for the edited scalars,
which must hold exactly the intended values. A rewrite that fails the check
(for example a look-alike that would start a comment in a plain scalar) is
reported as skipped rather than made.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import yaml
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    Event,
    ScalarEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode
from yaml.scanner import Scanner
from yaml.tokens import ScalarToken

from smsspec.diagnostics import Diagnostic, Location
from smsspec.errors import FileChanged, TextError
from smsspec.fix.e164 import e164_of
from smsspec.fix.edits import Edit, FileFixes, Fix, FixResult, SkippedFix, apply_edits
from smsspec.fix.recipients import plan_recipient_fixes
from smsspec.load.config import find_config
from smsspec.load.recipients import RowProblem, read_recipients
from smsspec.load.spec import display_path
from smsspec.load.yaml.source_map import SourceMap
from smsspec.model import Config, Message, Spec
from smsspec.sms import encoding
from smsspec.templating.text import TextTemplate, compile_text
from smsspec.validate import semantic
from smsspec.validate.check import check_paths, find_spec_files, load_spec, require_config_file
from smsspec.validate.file_recipients import confined

__all__ = [
    "FIXABLE_RULES",
    "Edit",
    "FileFixes",
    "Fix",
    "FixResult",
    "SkippedFix",
    "apply_edits",
    "plan_fixes",
    "write_fixes",
]

LOOKALIKE = "TEXT-GSM-LOOKALIKE"
NUMBER = "YAML-NUMBER-AS-STRING"
BOOLEAN = "YAML-BOOLEAN"
PHONE = "PHONE-FORMAT"
CURLY = "YAML-CURLY-QUOTES"
FIXABLE_RULES: tuple[str, ...] = (LOOKALIKE, NUMBER, BOOLEAN, PHONE, CURLY)

_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_HEX_WIDTH = dict(Scanner.ESCAPE_CODES)
_SIMPLE_ESCAPES = dict(Scanner.ESCAPE_REPLACEMENTS)


def plan_fixes(
    paths: Sequence[str], config_path: str | None = None, rule_ids: Iterable[str] = FIXABLE_RULES
) -> FixResult:
    """What ``smsspec fix`` would change; reads files, writes nothing.

    Raises :class:`~smsspec.errors.UsageError` for paths that do not exist.
    """
    require_config_file(config_path)
    wanted = set(rule_ids) & set(FIXABLE_RULES)
    spec_files = list(find_spec_files(paths or ["."]))
    checked = check_paths([str(p) for p in spec_files], config_path) if spec_files else None
    by_file: dict[str, list[Diagnostic]] = {}
    for diagnostic in checked.diagnostics if checked is not None else ():
        if diagnostic.rule in wanted:
            by_file.setdefault(diagnostic.location.file, []).append(diagnostic)
    result = FixResult()
    spec_displays = {display_path(p) for p in spec_files}
    # Numbers in recipients files are reported at the file's rows.
    in_other_files = any(d.rule == PHONE for file, found in by_file.items() if file not in spec_displays for d in found)
    for spec_path in spec_files:
        display = display_path(spec_path)
        found = by_file.get(display)
        config_file = Path(config_path) if config_path else find_config(spec_path.parent)
        config = checked.configs.get(os.path.abspath(config_file)) if checked and config_file else None
        planned = _plan_file(spec_path, display, found, config) if found else None
        if isinstance(planned, SkippedFix):
            result.unreadable.append(planned)
        elif planned is not None:
            result.files.append(planned)
        if config is not None and (any(d.rule == LOOKALIKE for d in found or ()) or in_other_files):
            _plan_recipients_files(
                spec_path, display, config, checked.diagnostics if checked else [], wanted, result,
                planned if isinstance(planned, FileFixes) else None,
            )
    return result


def _plan_recipients_files(
    spec_path: Path,
    display: str,
    config: Config,
    diagnostics: list[Diagnostic],
    wanted: set[str],
    result: FixResult,
    planned: FileFixes | None,
) -> None:
    """Fixes in the CSV files the spec's messages read (confined to the project as when they
    are validated); a look-alike fixed there is no longer reported as skipped at the text."""
    spec = _load_confined(spec_path, display, config)
    if spec is None:
        return
    files, skipped, covered = plan_recipient_fixes(spec, [d for d in diagnostics if d.rule in wanted], wanted)
    known = {f.path.resolve() for f in result.files}
    result.files += [f for f in files if f.path.resolve() not in known]  # a file two specs read is fixed once
    result.unreadable += skipped
    if planned is not None and covered:
        texts = {d.location for d in diagnostics if d.rule == LOOKALIKE and d.message_id in covered}
        planned.skipped = [s for s in planned.skipped if not (s.rule == LOOKALIKE and s.location in texts)]


def write_fixes(fixes: FileFixes) -> None:
    """Write the fixed text over the file, atomically, keeping its permissions.

    Raises :class:`FileChanged` when the file no longer holds the text that was
    planned on, and OSError when it cannot be written.
    """
    target = fixes.path.resolve()
    if target.read_bytes() != fixes.original.encode("utf-8"):
        raise FileChanged(f"{fixes.display} changed since it was read; run the fix again")
    mode = target.stat().st_mode & 0o7777
    handle, temporary = tempfile.mkstemp(prefix=".smsspec-fix-", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(fixes.fixed.encode("utf-8"))
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# one file ---------------------------------------------------------------------


def _load_confined(path: Path, display: str, config: Config | None) -> Spec | None:
    """The spec, its recipients files allowed where validation allows them (the project's)."""
    spec, _ = load_spec(str(path), display)
    if spec is None or config is None:
        return spec
    return replace(spec, messages=tuple(
        replace(m, recipient_file=confined(m.recipient_file, config)) if m.recipient_file is not None else m
        for m in spec.messages
    ))


def _plan_file(path: Path, display: str, diagnostics: list[Diagnostic], config: Config | None = None) -> FileFixes | SkippedFix:
    first = diagnostics[0]
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        return SkippedFix(first.rule, Location(display), f"cannot read the file: {exc.strerror or exc}")
    except UnicodeDecodeError:
        return SkippedFix(first.rule, Location(display), "only UTF-8 files are rewritten")
    try:
        document = _ParsedFile(text)
    except yaml.YAMLError:
        return SkippedFix(first.rule, Location(display), "the file is not a single well-formed YAML document")
    fixes = FileFixes(path, display, text)
    candidates: list[Fix | SkippedFix] = []
    quoting = [d for d in diagnostics if d.rule in (NUMBER, BOOLEAN, CURLY)]
    candidates += [_quote(document, d) for d in quoting]
    phones = {d.location for d in diagnostics if d.rule == PHONE}
    lookalikes = [d for d in diagnostics if d.rule == LOOKALIKE]
    spec = _load_confined(path, display, config) if phones or lookalikes else None
    if spec is not None and phones:
        candidates += _e164(document, spec, phones)
    if spec is not None and lookalikes:
        candidates += _lookalikes(document, spec, lookalikes)
    kept: dict[int, Fix] = {}
    for candidate in candidates:
        if isinstance(candidate, SkippedFix):
            fixes.skipped.append(candidate)
        elif candidate.edit.start not in kept:  # one scalar reached by two paths (aliases)
            kept[candidate.edit.start] = candidate
    fixes.fixes, rejected = document.verified(list(kept.values()))
    fixes.skipped += [
        SkippedFix(f.rule, f.location, "rewriting it in place would change how YAML reads the file; edit it by hand")
        for f in rejected
    ]
    fixes.fixes.sort(key=lambda f: f.edit.start)
    fixes.skipped.sort(key=lambda s: (s.location.line, s.location.column))
    return fixes


class _ParsedFile:
    """A file's text, its YAML events and scalar token spans (to check a rewrite), and its
    node tree behind the loader's source map (to find the scalar a diagnostic is about)."""

    def __init__(self, text: str) -> None:
        self.text = text
        # One document, well-formed (composing refuses more than one, and undefined aliases).
        self.source = SourceMap("", yaml.compose(text, Loader=yaml.SafeLoader))
        self.events: list[Event] = list(yaml.parse(text, Loader=yaml.SafeLoader))
        self.scalar_starts = {  # end offset -> start offset, quotes included
            token.end_mark.index: token.start_mark.index
            for token in yaml.scan(text, Loader=yaml.SafeLoader)
            if isinstance(token, ScalarToken)
        }

    def node_at(self, path: tuple[str | int, ...]) -> Node | None:
        return self.source.node_at(path)

    def span(self, node: ScalarNode) -> tuple[int, int]:
        """Offsets of the scalar itself, without its anchor or tag."""
        end: int = node.end_mark.index
        return self.scalar_starts.get(end, node.start_mark.index), end

    def verified(self, fixes: list[Fix]) -> tuple[list[Fix], list[Fix]]:
        """(fixes that keep the document as intended, fixes that do not)."""
        if not fixes or self._reads_as_intended([f.edit for f in fixes]):
            return fixes, []
        good = [f for f in fixes if self._reads_as_intended([f.edit])]
        bad = [f for f in fixes if f not in good]
        if good and not self._reads_as_intended([f.edit for f in good]):  # pragma: no cover - spans are independent
            return [], fixes
        return good, bad

    def _reads_as_intended(self, edits: list[Edit]) -> bool:
        try:
            after = list(yaml.parse(apply_edits(self.text, edits), Loader=yaml.SafeLoader))
        except yaml.YAMLError:
            return False
        intended = {e.end: e for e in edits}
        if len(after) != len(self.events):
            return False
        for old, new in zip(self.events, after, strict=True):
            if type(old) is not type(new):
                return False
            edit = intended.get(_end(old)) if isinstance(old, ScalarEvent) else None
            if edit is not None:
                assert isinstance(old, ScalarEvent) and isinstance(new, ScalarEvent)
                if (new.value, new.style, new.anchor) != (edit.value, edit.style, old.anchor):
                    return False
            elif _signature(old) != _signature(new):
                return False
        return True


def _end(event: Event) -> int:
    return event.end_mark.index if event.end_mark is not None else -1


def _signature(event: Event) -> tuple[object, ...]:
    if isinstance(event, ScalarEvent):
        return (event.anchor, event.tag, event.implicit, event.value, event.style)
    if isinstance(event, CollectionStartEvent):
        return (event.anchor, event.tag, event.implicit, event.flow_style)
    if isinstance(event, AliasEvent):
        return (event.anchor,)
    if isinstance(event, DocumentStartEvent):
        return (event.explicit, event.version, event.tags)
    if isinstance(event, DocumentEndEvent):
        return (event.explicit,)
    return ()


# quoting ----------------------------------------------------------------------


def _quote(document: _ParsedFile, diagnostic: Diagnostic) -> Fix | SkippedFix:
    path = diagnostic.extra.get("path")
    node = document.node_at(path) if isinstance(path, tuple) else None
    if not isinstance(node, ScalarNode) or node.style is not None:
        return SkippedFix(diagnostic.rule, diagnostic.location, "cannot find the value in the file")
    start, end = document.span(node)
    raw = document.text[start:end]
    if raw != node.value:
        return SkippedFix(diagnostic.rule, diagnostic.location, "the value is written over several lines; quote it by hand")
    value = raw[1:-1] if diagnostic.rule == CURLY else raw  # curly quotes become straight ones
    quoted = '"' + _escape_double(value) + '"'
    summary = f"{raw} -> {quoted}"
    return Fix(diagnostic.rule, diagnostic.location, summary, Edit(start, end, quoted, value, '"'))


def _e164(document: _ParsedFile, spec: Spec, flagged: set[Location]) -> list[Fix | SkippedFix]:
    """Numbers written with separators, in E.164 when that is unambiguous; quoted as they were
    (a plain scalar is double-quoted, or YAML would read the number as an integer)."""
    found: list[Fix | SkippedFix] = []
    for message in spec.messages:
        for recipient in message.recipients:
            where = spec.source.locate(recipient.path)
            if where not in flagged:
                continue
            e164 = e164_of(recipient.number)
            node = document.node_at(recipient.path)
            if isinstance(node, MappingNode):
                node = document.node_at((*recipient.path, "number"))
            if e164 is None:
                found.append(SkippedFix(PHONE, where, "not unambiguous: write it as + and the country code, digits only"))
                continue
            if not isinstance(node, ScalarNode) or node.value != recipient.number:
                found.append(SkippedFix(PHONE, where, "cannot find the number in the file"))
                continue
            start, end = document.span(node)
            style = "'" if node.style == "'" else '"'
            new = f"{style}{e164}{style}"
            found.append(Fix(PHONE, where, f"{document.text[start:end]} -> {new}", Edit(start, end, new, e164, style)))
    return found


def _escape_double(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


# look-alikes ------------------------------------------------------------------


@dataclass(frozen=True)
class _Saving:
    worst_before: int
    worst_after: int
    worst_number: str
    total: int
    recipients: int
    worse: str | None  # a recipient who would need more segments


def _lookalikes(document: _ParsedFile, spec: Spec, diagnostics: list[Diagnostic]) -> Iterator[Fix | SkippedFix]:
    flagged = {(d.message_id, d.location) for d in diagnostics}
    groups: dict[int, tuple[ScalarNode, list[Message], Location]] = {}
    for message in spec.messages:
        text_path = message.origins.get("text", (*message.path, "text"))
        where = spec.source.locate(text_path)
        node = document.node_at(text_path)
        if not isinstance(node, ScalarNode) or node.value != message.text:
            if (message.id, where) in flagged:
                yield SkippedFix(LOOKALIKE, where, "cannot find the text in the file")
            continue
        start, _ = document.span(node)
        group = groups.setdefault(start, (node, [], where))
        group[1].append(message)
    for node, messages, where in groups.values():
        if any((m.id, where) in flagged for m in messages):
            yield _lookalike_fix(document, node, messages, where, spec)


def _lookalike_fix(document: _ParsedFile, node: ScalarNode, messages: list[Message], where: Location, spec: Spec) -> Fix | SkippedFix:
    new_value = encoding.with_lookalikes(node.value)
    saving = _saving(messages, new_value, spec)
    if saving is None:
        return SkippedFix(LOOKALIKE, where, "the text does not render for every recipient; fix that first")
    if saving.worse is not None:
        return SkippedFix(LOOKALIKE, where, f"left as is: {saving.worse} would need more segments")
    if saving.total <= 0:
        return SkippedFix(LOOKALIKE, where, "left as is: no recipient would need fewer segments")
    start, end = document.span(node)
    new_source = _swap_in_source(document.text[start:end], node.style)
    swaps = ", ".join(
        f"{c!r} (U+{ord(c):04X}) -> {encoding.gsm_lookalike(c)!r}"
        for c in dict.fromkeys(node.value) if encoding.gsm_lookalike(c) is not None
    )
    recipients = f"{saving.recipients} recipient{'s' if saving.recipients != 1 else ''}"
    summary = (
        f"{swaps}: {saving.worst_before} -> {saving.worst_after} segments for {saving.worst_number}; "
        f"{saving.total} segment{'s' if saving.total != 1 else ''} saved over {recipients}"
    )
    return Fix(LOOKALIKE, where, summary, Edit(start, end, new_source, new_value, node.style))


def _saving(messages: list[Message], new_text: str, spec: Spec) -> _Saving | None:
    best: tuple[int, int, int, str] | None = None  # (saving, before, after, number)
    total = count = 0
    try:
        new_template = compile_text(new_text)
    except TextError:
        return None
    for message in messages:
        try:
            template = compile_text(message.text)
        except TextError:
            return None
        for number, old, new in _texts(message, template, new_template, spec):
            if old is None or new is None:
                return None
            was, now = encoding.analyze(old).segments, encoding.analyze(new).segments
            if now > was:
                return _Saving(was, now, number, 0, 0, number)
            total += was - now
            count += 1
            if best is None or was - now > best[0]:
                best = (was - now, was, now, number)
    if best is None:
        return _Saving(0, 0, "", 0, 0, None)
    return _Saving(best[1], best[2], best[3], total, count, None)


def _texts(
    message: Message, template: TextTemplate, new_template: TextTemplate, spec: Spec
) -> Iterator[tuple[str, str | None, str | None]]:
    """(number, text now, text with the new template) for every recipient, those of a
    recipients file read row by row; None for a text that does not render."""
    _, before = semantic.render_texts(message, template, spec.source.locate)
    _, after = semantic.render_texts(replace(message, text=new_template.source), new_template, spec.source.locate)
    for recipient, old, new in zip(message.recipients, before, after, strict=True):
        yield recipient.number, old, new
    if message.recipient_file is None:
        return
    for row in read_recipients(message.recipient_file):
        if isinstance(row, RowProblem):
            continue
        variables = {**message.vars, **row.vars}
        try:
            yield row.number, template.render(variables), new_template.render(variables)
        except TextError:
            yield row.number, None, None


def _swap_in_source(span: str, style: str | None) -> str:
    """The scalar as written, with look-alike characters replaced in place."""
    if style in ("|", ">"):
        header = _LINE_BREAK.search(span)  # the indicator line may hold a comment: keep it
        if header is None:
            return span
        return span[: header.end()] + _swap_literal(span[header.end() :], quote=None)
    if style == "'":
        return "'" + _swap_literal(span[1:-1], quote="'") + "'"
    if style == '"':
        return '"' + _swap_double(span[1:-1]) + '"'
    return _swap_literal(span, quote=None)


def _swap_literal(text: str, quote: str | None) -> str:
    out = []
    for char in text:
        swap = encoding.gsm_lookalike(char)
        if swap is None:
            out.append(char)
        else:
            out.append(swap.replace(quote, quote * 2) if quote else swap)
    return "".join(out)


def _swap_double(body: str) -> str:
    """Body of a double-quoted scalar: literal characters and escapes both swapped."""
    out = []
    i = 0
    while i < len(body):
        char = body[i]
        if char != "\\" or i + 1 >= len(body):
            swap = encoding.gsm_lookalike(char)
            out.append(char if swap is None else _escape_double(swap))
            i += 1
            continue
        code = body[i + 1]
        width = _HEX_WIDTH.get(code)
        meant: str | None = None
        if width is not None:
            sequence = body[i : i + 2 + width]
            try:
                meant = chr(int(sequence[2:], 16))
            except ValueError:
                meant = None
        else:
            sequence = body[i : i + 2]
            meant = _SIMPLE_ESCAPES.get(code)
        swap = encoding.gsm_lookalike(meant) if meant is not None else None
        out.append(sequence if swap is None else _escape_double(swap))
        i += len(sequence)
    return "".join(out)
