"""Fixes inside CSV recipients files: look-alikes in the values a text uses, numbers in E.164.

A file is changed value by value in its own text (:mod:`smsspec.fix.csvtext`):
quoting, line endings, a BOM and every other byte stay as they were, and the
result must read back, with the csv module, as exactly the intended rows.

* ``TEXT-GSM-LOOKALIKE``: when a message's text is flagged, the values of the
  columns its template uses are given GSM-7 look-alikes, only if that lowers
  the segment count for some recipient and raises it for none.
* ``PHONE-FORMAT``: a number column value like ``+40 712 034 567`` becomes
  ``+40712034567`` when :func:`smsspec.fix.e164.e164_of` finds it unambiguous.

The whole file is held in memory while it is fixed (recipients files are at
most 1 GiB). JSON Lines files are left alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from smsspec.diagnostics import Diagnostic, Location
from smsspec.errors import TextError
from smsspec.fix.csvtext import Field, Record, parsed, records, written
from smsspec.fix.e164 import e164_of
from smsspec.fix.edits import Edit, FileFixes, Fix, SkippedFix, apply_edits
from smsspec.load.recipients import RecipientFile, open_recipients
from smsspec.model import Message, Spec
from smsspec.sms import encoding
from smsspec.templating.text import TextTemplate, compile_text

LOOKALIKE = "TEXT-GSM-LOOKALIKE"
PHONE = "PHONE-FORMAT"


@dataclass
class CsvFixes(FileFixes):
    """A recipients file's fixes: one summary per rule, made of many value edits."""

    edits: list[Edit] = field(default_factory=list)

    @property
    def fixed(self) -> str:
        return apply_edits(self.original, self.edits)


def plan_recipient_fixes(spec: Spec, diagnostics: Iterable[Diagnostic], wanted: set[str]) -> tuple[list[CsvFixes], list[SkippedFix], set[str]]:
    """Fixes for the CSV files the spec's messages read, the fixes that could not be made, and
    the ids of messages whose look-alikes were fixed in a file (their text's own skip is moot)."""
    found = list(diagnostics)
    lookalike_ids = {d.message_id for d in found if d.rule == LOOKALIKE} if LOOKALIKE in wanted else set()
    phone_files = {d.location.file for d in found if d.rule == PHONE} if PHONE in wanted else set()
    by_file: dict[str, tuple[RecipientFile, list[Message]]] = {}
    for message in spec.messages:
        source = message.recipient_file
        if source is None or source.format != "csv":
            continue
        if message.id in lookalike_ids or source.display in phone_files:
            by_file.setdefault(str(source.path), (source, []))[1].append(message)
    results: list[CsvFixes] = []
    skipped: list[SkippedFix] = []
    covered: set[str] = set()
    for source, messages in by_file.values():
        planned = _plan_csv(source, messages, lookalike_ids, source.display in phone_files)
        if isinstance(planned, SkippedFix):
            skipped.append(planned)
            continue
        fixes, not_made, fixed_ids = planned
        skipped += not_made
        covered |= fixed_ids
        if fixes.fixes:
            results.append(fixes)
    return results, skipped, covered


def _read(source: RecipientFile, rule: str) -> str | SkippedFix:
    where = Location(source.display)
    handle = open_recipients(source)
    if isinstance(handle, str):
        return SkippedFix(rule, where, handle)
    with handle:
        data = handle.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return SkippedFix(rule, where, "only UTF-8 files are rewritten")


def _plan_csv(
    source: RecipientFile, messages: list[Message], lookalike_ids: set[str | None], phones: bool
) -> tuple[CsvFixes, list[SkippedFix], set[str]] | SkippedFix:
    rule = PHONE if phones else LOOKALIKE
    text = _read(source, rule)
    if isinstance(text, SkippedFix):
        return text
    delimiter = str(getattr(source, "delimiter", None) or ",")
    try:
        found = list(records(text, delimiter))
    except ValueError as exc:
        return SkippedFix(rule, Location(source.display), f"the file is not CSV that can be rewritten in place: {exc}")
    if not found:
        return SkippedFix(rule, Location(source.display), "the file is empty")
    header = [f.value.strip() for f in found[0].fields]
    if source.number_column not in header:
        return SkippedFix(rule, Location(source.display), f"no column `{source.number_column}`")
    number_at = header.index(source.number_column)
    rows = [r for r in found[1:] if len(r.fields) == len(header)]
    fixes = CsvFixes(source.path, source.display, text)
    skipped: list[SkippedFix] = []
    new_values: dict[int, str] = {}  # field start -> new value
    fields: dict[int, Field] = {}
    fixed_ids: set[str] = set()
    flagged = [m for m in messages if m.id in lookalike_ids]
    if flagged:
        outcome = _lookalikes(source, flagged, header, number_at, rows)
        if isinstance(outcome, SkippedFix):
            skipped.append(outcome)
        elif outcome is not None:
            changed, summary, where = outcome
            for f in changed:
                fields[f.start], new_values[f.start] = f, encoding.with_lookalikes(f.value)
            fixes.fixes.append(Fix(LOOKALIKE, where, summary, _first_edit(changed, new_values)))
            fixed_ids |= {m.id for m in flagged}
    if phones:
        numbers = [(r, r.fields[number_at]) for r in rows if e164_of(r.fields[number_at].value) is not None]
        for _, f in numbers:
            fields[f.start], new_values[f.start] = f, str(e164_of(f.value))
        if numbers:
            first_row, first = numbers[0]
            count = f"{len(numbers)} number{'s' if len(numbers) != 1 else ''}"
            summary = f"{count} written in E.164 ({first.value.strip()} -> {new_values[first.start]}{', ...' if len(numbers) > 1 else ''})"
            fixes.fixes.append(Fix(PHONE, Location(source.display, first_row.line, 1), summary, _first_edit([first], new_values)))
    fixes.edits = [
        Edit(f.start, f.end, written(new_values[start], f.quoted, delimiter), new_values[start], None)
        for start, f in sorted(fields.items())
    ]
    if fixes.edits and not _reads_as_intended(fixes, found, new_values, delimiter):
        return SkippedFix(rule, Location(source.display), "rewriting the file in place would change how it reads; edit it by hand")
    return fixes, skipped, fixed_ids


def _first_edit(changed: list[Field], new_values: dict[int, str]) -> Edit:
    first = changed[0]
    return Edit(first.start, first.end, new_values[first.start], new_values[first.start], None)


def _lookalikes(
    source: RecipientFile, messages: list[Message], header: list[str], number_at: int, rows: list[Record]
) -> tuple[list[Field], str, Location] | SkippedFix | None:
    """The values to change, the summary and where; why not; or None when no value the
    text uses has a look-alike."""
    where = Location(source.display)
    templates: list[tuple[Message, TextTemplate]] = []
    for message in messages:
        try:
            templates.append((message, compile_text(message.text)))
        except TextError:
            return SkippedFix(LOOKALIKE, where, "the text does not compile; fix that first")
    used = {name for _, template in templates for name in template.variables}
    columns = [i for i, name in enumerate(header) if name in used and i != number_at]
    changed: list[Field] = []
    names: dict[str, None] = {}  # the columns changed, in order
    saved = recipients = 0
    best: tuple[int, int, int, str] | None = None
    for row in rows:
        swapped = {i: encoding.with_lookalikes(row.fields[i].value) for i in columns}
        if all(swapped[i] == row.fields[i].value for i in columns):
            continue
        before = {name: f.value for i, (name, f) in enumerate(zip(header, row.fields, strict=True)) if i != number_at}
        after = {**before, **{header[i]: value for i, value in swapped.items()}}
        number = row.fields[number_at].value.strip()
        for message, template in templates:
            try:
                was = encoding.analyze(template.render({**message.vars, **before})).segments
                now = encoding.analyze(template.render({**message.vars, **after})).segments
            except TextError:
                return SkippedFix(LOOKALIKE, Location(source.display, row.line, 1), "the text does not render for every recipient; fix that first")
            if now > was:
                return SkippedFix(LOOKALIKE, Location(source.display, row.line, 1), f"left as is: {number} would need more segments")
            saved += was - now
            recipients += 1
            if best is None or was - now > best[0]:
                best = (was - now, was, now, number)
        changed += [row.fields[i] for i in columns if swapped[i] != row.fields[i].value]
        names.update((header[i], None) for i in columns if swapped[i] != row.fields[i].value)
    if not changed:
        return None  # no value the text uses has a look-alike: nothing to do in this file
    if best is None or saved <= 0:
        return SkippedFix(LOOKALIKE, where, "left as is: no recipient would need fewer segments")
    chars = dict.fromkeys(c for f in changed for c in f.value if encoding.gsm_lookalike(c) is not None)
    swaps = ", ".join(f"{c!r} (U+{ord(c):04X}) -> {encoding.gsm_lookalike(c)!r}" for c in chars)
    shown = ", ".join(names)
    summary = (
        f"{swaps} in {len(changed)} value{'s' if len(changed) != 1 else ''} of column{'s' if len(names) != 1 else ''} {shown}: "
        f"{best[1]} -> {best[2]} segments for {best[3]}; {saved} segment{'s' if saved != 1 else ''} saved over "
        f"{recipients} recipient{'s' if recipients != 1 else ''}"
    )
    first_row = next(r for r in rows if r.fields and any(f is changed[0] for f in r.fields))
    return changed, summary, Location(source.display, first_row.line, 1 + changed[0].start - first_row.fields[0].start)


def _reads_as_intended(fixes: CsvFixes, found: list[Record], new_values: dict[int, str], delimiter: str) -> bool:
    try:
        after = parsed(fixes.fixed, delimiter)
    except Exception:  # csv.Error, or anything else the reader refuses
        return False
    intended = [
        [] if _blank(record) else [new_values.get(f.start, f.value) for f in record.fields]
        for record in found
    ]
    return after == intended


def _blank(record: Record) -> bool:
    return len(record.fields) == 1 and not record.fields[0].quoted and record.fields[0].value == ""
