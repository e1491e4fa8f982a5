"""`smsspec diff` as text (terminal), JSON (scripts) and Markdown (pull requests, job summary).

Text writes what came from specs with control characters escaped; Markdown
puts it in code spans and fenced blocks (:mod:`smsspec.report.markdown`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from smsspec.report.markdown import code, fenced, table, text
from smsspec.report.plan import cost_text
from smsspec.review.diff import (
    ADDED,
    CHANGED,
    NOT_COMPARED,
    REMOVED,
    UNCHANGED,
    DiffResult,
    MessageChange,
    Side,
    totals,
)
from smsspec.terminal import printable

MAX_DETAILS = 50
"""Messages shown with their texts in Markdown (a job summary holds at most 1 MiB)."""
_MARK = {ADDED: "+", REMOVED: "-", CHANGED: "~", NOT_COMPARED: "?"}


def text_diff(old: str | None, new: str | None) -> list[str]:
    """Line by line: ``-`` for old lines, ``+`` for new ones, `` `` for lines both have."""
    old_lines = [] if old is None else old.split("\n")
    new_lines = [] if new is None else new.split("\n")
    if old_lines == new_lines:
        return [" " + line for line in new_lines]
    return list(difflib.unified_diff(old_lines, new_lines, lineterm="", n=10_000))[3:] if old_lines and new_lines \
        else ["-" + line for line in old_lines] + ["+" + line for line in new_lines]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def _costs(costs: Mapping[str, float], unpriced: Iterable[str]) -> str:
    shown = ", ".join(f"{v:g} {k}".strip() for k, v in costs.items())
    return shown or ("-" if list(unpriced) else "0")


def _figure(before: Any, after: Any) -> str:
    if before is None:
        return str(after)
    if after is None:
        return f"{before} -> 0"
    return str(after) if before == after else f"{before} -> {after}"


def figures(change: MessageChange) -> dict[str, str]:
    """Recipients, segments, cost and the recipients opt-outs remove, as ``before -> after``
    where they differ."""
    was, now = change.before, change.after
    def cost(side: Side | None) -> str | None:
        return None if side is None else cost_text(side.planned.cost, side.planned.currency)
    return {
        "recipients": _figure(was and was.planned.recipients, now and now.planned.recipients),
        "segments": _figure(was and was.planned.segments, now and now.planned.segments),
        "cost": _figure(cost(was), cost(now)),
        "opted out": _figure(was and len(was.opted_out), now and len(now.opted_out)),
    }


def _listed(shown: dict[str, str]) -> str:
    """Figures as text; ``opted out`` only when an opt-out removes someone on either side."""
    return ", ".join(f"{k} {v}" for k, v in shown.items() if k != "opted out" or v not in ("0", "0 -> 0"))


def _segments_figure(was: Side | None, now: Side | None, number: str) -> str:
    before = was.segments.get(number) if was is not None else None
    after = now.segments.get(number) if now is not None else None
    shown = _figure(before, after) if after is not None else f"{before}"
    return f"{shown} segment{'' if shown == '1' else 's'}"


def _samples(change: MessageChange) -> list[tuple[str, list[str]]]:
    """(heading, diff lines) for the sample and the worst-case recipient, each its own text
    before and after (the sample falls back to the old sample's text for a new recipient)."""
    was, now = change.before, change.after
    shown = now or was
    assert shown is not None
    found: list[tuple[str, list[str]]] = []
    for role, number in (("sample recipient", shown.sample), ("worst case", shown.worst)):
        if number is None or (role == "worst case" and number == shown.sample):
            continue
        old = was.texts.get(number) if was is not None else None
        if old is None and was is not None and role == "sample recipient" and was.sample is not None:
            old = was.texts[was.sample]
        new = now.texts.get(number) if now is not None else None
        heading = f"{role} {number} ({_segments_figure(was, now, number)})"
        old_worst = was.worst if role == "worst case" and was is not None and now is not None else None
        if old_worst is not None and was is not None and was.segments[old_worst] != was.segments.get(number):
            heading += f"; the worst case before was {old_worst} ({_plural(was.segments[old_worst], 'segment')})"
        found.append((heading, text_diff(old, new)))
    return found


def _headline(result: DiffResult) -> str:
    c = result.counts
    base = result.base
    return (f"diff {base.name} ({base.short}{'' if base.how == 'given' else ', ' + base.how}) -> work tree: "
            f"{c[ADDED]} added, {c[REMOVED]} removed, {c[CHANGED]} changed, {c[UNCHANGED]} unchanged"
            + (f", {c[NOT_COMPARED]} not compared" if c[NOT_COMPARED] else ""))


def _compared_totals(result: DiffResult) -> tuple[Any, Any]:
    """Totals before and after, over the messages compared (not those with errors)."""
    compared = [m for m in result.messages if m.status != NOT_COMPARED]
    return (totals(m.before for m in compared if m.before is not None),
            totals(m.after for m in compared if m.after is not None))


def _totals(result: DiffResult) -> dict[str, str]:
    old, new = _compared_totals(result)
    return {"recipients": _figure(old[0], new[0]), "segments": _figure(old[1], new[1]),
            "cost": _figure(_costs(old[2], old[3]), _costs(new[2], new[3])), "opted out": _figure(old[4], new[4])}


def _where(side: Side) -> str:
    sender = f", sender {side.sender}" if side.sender else ""
    return f"{side.account} ({side.provider}){sender}"


def to_text(result: DiffResult) -> str:
    lines = [printable(_headline(result))]
    for change in result.messages:
        if change.status == UNCHANGED:
            continue
        side = change.after or change.before
        what = f": {', '.join(change.changes)}" if change.changes else ""
        where = f" {_where(side)}" if side is not None else ""
        lines.append(printable(f"{_MARK[change.status]} {change.status} {change.name}{where}{what}"))
        if change.status == NOT_COMPARED:
            lines.append(printable(f"    not compared: {change.note}"))
            continue
        if change.status == CHANGED and change.before and change.after and _where(change.before) != _where(change.after):
            lines.append(printable(f"    was {_where(change.before)}"))
        lines.append("    " + _listed(figures(change)))
        for heading, diff_lines in _samples(change):
            lines.append(printable(f"    {heading}:"))
            lines += [printable("      " + line) for line in diff_lines]
    lines += [printable(f"note: {note}") for note in result.notes]
    if result.errors_after or result.errors_before:
        lines.append(f"note: {result.errors_after} error(s) in the work tree, {result.errors_before} at the base; "
                     "messages with errors are not compared (run smsspec validate)")
    lines.append("total: " + _listed(_totals(result)))
    return "\n".join(lines)


def _side_json(side: Side | None) -> dict[str, Any] | None:
    if side is None:
        return None
    planned = side.planned
    return {
        "file": side.file, "account": side.account, "provider": side.provider, "sender": side.sender,
        "requests": planned.requests, "recipients": planned.recipients, "segments": planned.segments,
        "cost": planned.cost, "currency": planned.currency, "opted_out": len(side.opted_out),
        "sample": {"recipient": side.sample, "text": side.texts[side.sample], "segments": side.segments[side.sample]} if side.sample else None,
        "worst": {"recipient": side.worst, "text": side.texts[side.worst], "segments": side.segments[side.worst]} if side.worst else None,
    }


def to_json(result: DiffResult) -> dict[str, Any]:
    old, new = _compared_totals(result)
    return {
        "base": {"name": result.base.name, "commit": result.base.commit, "how": result.base.how},
        "counts": dict(result.counts),
        "messages": [
            {"id": m.key[1], "project": m.key[0], "status": m.status, "changes": list(m.changes), "note": m.note or None,
             "before": _side_json(m.before), "after": _side_json(m.after)}
            for m in result.messages
        ],
        "errors": {"before": result.errors_before, "after": result.errors_after},
        "notes": list(result.notes),
        "totals": {
            "before": {"recipients": old[0], "segments": old[1], "cost": old[2], "unpriced": old[3], "opted_out": old[4]},
            "after": {"recipients": new[0], "segments": new[1], "cost": new[2], "unpriced": new[3], "opted_out": new[4]},
        },
    }


def _md_figure(value: str) -> str:
    return text(value).replace("\\-\\>", "→")


def to_markdown(result: DiffResult) -> str:
    c = result.counts
    base = result.base
    how = "" if base.how == "given" else f", {text(base.how)}"
    lines = [
        f"### smsspec diff: {code(base.name)} ({code(base.short)}{how}) → work tree",
        "",
        f"**{c[ADDED]} added, {c[REMOVED]} removed, {c[CHANGED]} changed**, {c[UNCHANGED]} unchanged"
        + (f", {c[NOT_COMPARED]} not compared (errors; run `smsspec validate`)" if c[NOT_COMPARED] else "") + ".",
    ]
    listed = [m for m in result.messages if m.status != UNCHANGED]
    rows = []
    for m in listed:
        what = f"{m.status}: {', '.join(m.changes)}" if m.changes else m.status
        shown = figures(m) if m.status != NOT_COMPARED else {"recipients": "", "segments": "", "cost": "", "opted out": ""}
        rows.append([code(m.name, cell=True), text(what), *(_md_figure(v) for v in shown.values())])
    total = _totals(result)
    rows.append(["**total**", "", *(_md_figure(v) for v in total.values())])
    lines += ["", table(["message", "change", "recipients", "segments", "cost", "opted out"], rows)]
    for note in result.notes:
        lines += ["", f"Note: {text(note)}"]
    for m in listed[:MAX_DETAILS]:
        side = m.after or m.before
        lines += ["", f"#### {code(m.name)}: {text(m.status)}" + (f" ({text(', '.join(m.changes))})" if m.changes else "")]
        if m.status == NOT_COMPARED:
            lines += ["", text(f"Not compared: {m.note}.")]
            continue
        assert side is not None
        sender = f", sender {code(side.sender)}" if side.sender else ""
        lines += ["", f"Account {code(side.account)} ({code(side.provider)}){sender}, file {code(side.file)}."]
        for heading, diff_lines in _samples(m):
            lines += ["", text(heading[:1].upper() + heading[1:]) + ":", "", fenced(diff_lines, "diff")]
    if len(listed) > MAX_DETAILS:
        lines += ["", f"... and {len(listed) - MAX_DETAILS} more messages (`smsspec diff` shows them all)."]
    return "\n".join(lines) + "\n"
