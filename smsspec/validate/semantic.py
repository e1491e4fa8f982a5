"""Semantic rules JSON Schema cannot say: one small function per concern.

Each takes a message (and what earlier steps computed) and returns diagnostics.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from smsspec.diagnostics import Diagnostic, Location, error, warning
from smsspec.errors import TextError
from smsspec.model import Account, Message, Recipient
from smsspec.sms import encoding, phones
from smsspec.sms.send_at import parse_send_at
from smsspec.templating.text import TextTemplate
from smsspec.validate.schema import did_you_mean

Locate = Callable[[tuple[str | int, ...]], Location]


def check_send_at(message: Message, locate: Locate) -> list[Diagnostic]:
    value = message.get("send_at")
    if not isinstance(value, str) or parse_send_at(value) is not None:
        return []
    try:
        naive = dt.datetime.fromisoformat(value.strip()).tzinfo is None
    except ValueError:
        naive = False
    reason = "has no UTC offset, so it would mean different times on different machines" if naive else "is not an ISO 8601 date and time"
    return [error("SPEC-SEND-AT", f"message {message.id!r}: send_at {value!r} {reason}; write it like \"2026-12-01T10:00:00+02:00\"",
                  locate(message.origins.get("send_at", message.path)), message_id=message.id)]


def check_phones(message: Message, locate: Locate) -> tuple[list[Diagnostic], list[str | None]]:
    """Diagnostics, and each recipient's E.164 form (None when unusable)."""
    found: list[Diagnostic] = []
    numbers: list[str | None] = []
    seen: dict[str, Recipient] = {}
    for recipient in message.recipients:
        check = phones.check_number(recipient.number)
        if check.e164 is None:
            rule = "PHONE-FORMAT" if check.problem and "E.164" in check.problem else "PHONE-IMPOSSIBLE"
            found.append(error(rule, f"message {message.id!r}: {recipient.number!r} is not a usable phone number: {check.problem}", locate(recipient.path), message_id=message.id))
            numbers.append(None)
            continue
        if not check.possible:
            found.append(error("PHONE-IMPOSSIBLE", f"message {message.id!r}: {recipient.number!r} cannot be a phone number (wrong length for its country)", locate(recipient.path), message_id=message.id))
            numbers.append(None)
            continue
        if not check.valid:
            found.append(warning("PHONE-INVALID", f"message {message.id!r}: {recipient.number!r} is not in a number range known to be in use; check it", locate(recipient.path), message_id=message.id))
        if check.e164 in seen:
            first = locate(seen[check.e164].path)
            found.append(error("PHONE-DUPLICATE", f"message {message.id!r}: {recipient.number!r} is already a recipient (line {first.line}); it would get the message twice", locate(recipient.path), message_id=message.id))
            numbers.append(None)
            continue
        seen[check.e164] = recipient
        numbers.append(check.e164)
    return found, numbers


def render_texts(message: Message, template: TextTemplate, locate: Locate) -> tuple[list[Diagnostic], list[str | None]]:
    """Render the text for every recipient; failures are grouped by cause."""
    texts: list[str | None] = []
    failures: dict[tuple[str, str], list[Recipient]] = defaultdict(list)
    for recipient in message.recipients:
        variables = {**message.vars, **recipient.vars} if recipient.vars else message.vars
        try:
            texts.append(template.render(variables))
        except TextError as exc:
            texts.append(None)
            failures[(exc.rule, exc.variable or str(exc))].append(recipient)
    found = []
    for (rule, detail), recipients in failures.items():
        first = recipients[0]
        others = len(recipients) - 1
        who = f"recipient {first.number} does not" if not others else f"recipient {first.number} and {others} other{'s' if others > 1 else ''} do not"
        if rule == "TEXT-UNDEFINED-VAR":
            known = [str(name) for name in {**message.vars, **first.vars}]
            hint = did_you_mean(detail, known)
            text = f"message {message.id!r}: the text uses `{detail}`, which {who} have; "
            text += (f"did you mean `{hint}`?" if hint else
                     f"add it to the message's `vars` or the recipient's `vars`, or write `{{{{ {detail} | default('...') }}}}`")
            where = locate(first.path)
        else:
            text = f"message {message.id!r}: {detail}"
            where = locate(message.origins.get("text", message.path))
        found.append(error(rule, text, where, message_id=message.id))
    return found, texts


def budget(message: Message, account: Account) -> int | None:
    value = message.get("max_segments")
    return value if isinstance(value, int) else account.max_segments


def check_texts(
    message: Message, account: Account, texts: Sequence[str | None], locate: Locate, appended: str = ""
) -> list[Diagnostic]:
    """``appended``: what the provider adds to each text, counted against the segment budget."""
    found: list[Diagnostic] = []
    most = budget(message, account)
    reported: set[str] = set()

    def text_at() -> Location:
        return locate(message.origins.get("text", message.path))

    lookalike: tuple[int, int, str, Any] | None = None  # (saving, segments, recipient, analysis)
    for recipient, text in zip(message.recipients, texts, strict=False):
        if text is None:
            continue
        if not text.strip():
            if "empty" not in reported:
                reported.add("empty")
                found.append(error("TEXT-EMPTY", f"message {message.id!r}: the text is empty for {recipient.number}", text_at() if not message.text.strip() else locate(recipient.path), message_id=message.id))
            continue
        if not _encodable(text):
            if "character" not in reported:
                reported.add("character")
                found.append(error("TEXT-CHARACTER", f"message {message.id!r}: the text for {recipient.number} holds a lone surrogate, which cannot be sent", text_at(), message_id=message.id))
            continue
        analysis = encoding.analyze(text)
        received = encoding.analyze(text + appended) if appended else analysis
        if most is not None and received.segments > most and "segments" not in reported:
            reported.add("segments")
            added = f", with the {len(appended)} characters the provider adds" if appended else ""
            found.append(error(
                "TEXT-SEGMENTS",
                f"message {message.id!r}: the text for {recipient.number} needs {received.segments} segments "
                f"({received.encoding}, {received.units} units{added}), over the budget of {most}",
                locate(recipient.path) if recipient.vars else text_at(), message_id=message.id,
            ))
        if analysis.encoding == "UCS-2" and all(f.suggestion is not None for f in analysis.forcing):
            improved = encoding.analyze(encoding.with_lookalikes(text))
            saving = analysis.segments - improved.segments
            if lookalike is None or saving > lookalike[0]:
                lookalike = (saving, analysis.segments, recipient.number, analysis)
    if lookalike is not None:
        saving, segments, number, analysis = lookalike
        swaps = ", ".join(f"{f.char!r} (U+{ord(f.char):04X}) -> {f.suggestion!r}" for f in analysis.forcing)
        effect = (f"saves {saving} of {segments} segments" if saving else
                  "keeps the segment count now, but allows 160 instead of 70 characters per SMS")
        found.append(warning(
            "TEXT-GSM-LOOKALIKE",
            f"message {message.id!r}: {swaps} force UCS-2; replacing them with GSM-7 look-alikes {effect} (worst case: {number})",
            text_at(), message_id=message.id, fix=encoding.with_lookalikes(message.text),
        ))
    return found


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
