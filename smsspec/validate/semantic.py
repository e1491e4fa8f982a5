"""Semantic rules JSON Schema cannot say: one small function per concern.

Each takes a message (and what earlier steps computed) and returns diagnostics.
"""

from __future__ import annotations

import datetime as dt
import re
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
    if not isinstance(value, str):
        return []
    moment = parse_send_at(value)
    if moment is not None:
        if moment >= dt.datetime.now(dt.timezone.utc):
            return []
        return [warning("SPEC-SEND-AT-PAST", f"message {message.id!r}: send_at {value} is in the past, so `send` would send it at once; "
                        "change the time, or remove `send_at` to send it now",
                        locate(message.origins.get("send_at", message.path)), message_id=message.id)]
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
    known_valid = phones.known_valid
    for recipient in message.recipients:
        if known_valid(recipient.number) and recipient.number not in seen:
            seen[recipient.number] = recipient  # check_number's E.164 form is the text itself
            numbers.append(recipient.number)
            continue
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
    render = template.render
    if template.fields is not None and message.recipient_file is not None and all(type(key) is str for key in message.vars):
        render = template.substitute  # a file's column names are text: no key to look at
    shared = message.vars
    for recipient in message.recipients:
        variables = {**shared, **recipient.vars} if recipient.vars and shared else recipient.vars or shared
        try:
            texts.append(render(variables))
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
    if len(texts) > 1 and not appended and _plain_gsm(texts, most):
        return found
    reported: set[str] = set()

    def text_at() -> Location:
        return locate(message.origins.get("text", message.path))

    shared_text = len({text for text in texts if text is not None}) <= 1
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
            where = text_at() if shared_text else locate(recipient.path)
            found.append(error(
                "TEXT-SEGMENTS",
                f"message {message.id!r}: the text for {recipient.number} needs {received.segments} segments "
                f"({received.encoding}, {received.units} units{added}), over the budget of {most}"
                + ("" if shared_text else text_note(text_at(), where)),
                where, message_id=message.id,
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


def text_note(text_at: Location, where: Location) -> str:
    """Points at the text from a finding reported at a recipient."""
    if text_at.file == where.file:
        return f" (the text is on line {text_at.line})"
    return f" (the text is at {text_at})"


def _plain_gsm(texts: Sequence[str | None], most: int | None) -> bool:
    """True when no text can have a problem: each is text, not blank, GSM-7 without
    extension characters (one septet each), within the budget. Found for all at once."""
    if None in texts or not all(map(str.strip, texts)):  # type: ignore[arg-type]
        return False
    joined = encoding.analyze("\n".join(texts))  # type: ignore[arg-type]
    if joined.encoding != encoding.GSM_7 or joined.units != joined.characters:
        return False
    longest = max(map(len, texts))  # type: ignore[arg-type]
    # Up to 160 septets make one segment, more are cut into 153-septet segments.
    return most is None or (most >= 1 and longest <= max(encoding.GSM_SINGLE_SEPTETS, encoding.GSM_MULTI_SEGMENT_SEPTETS * most))


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_SINGLE_BRACES = re.compile(r"(?<!\{)\{ *([A-Za-z_][A-Za-z0-9_]*) *\}(?!\})")
_HASHES = re.compile(r"#([A-Za-z_][A-Za-z0-9_]*)#")


def check_placeholders(message: Message, locate: Locate) -> list[Diagnostic]:
    """`{name}` and `#name#` in a text look like variables but are sent as written."""
    plain = _JINJA.sub(" ", message.text)
    if "{" not in plain and "#" not in plain:
        return []  # the common case; locating would compose the whole file's node tree
    where = locate(message.origins.get("text", message.path))
    found = [
        warning("TEXT-PLACEHOLDER", f"message {message.id!r}: `{m.group()}` is sent as written; a variable takes two braces: `{{{{ {m.group(1)} }}}}`",
                where, message_id=message.id, fix=f"{{{{ {m.group(1)} }}}}")
        for m in _SINGLE_BRACES.finditer(plain)
    ]
    found += [
        warning("TEXT-PLACEHOLDER", f"message {message.id!r}: `{m.group()}` is another system's placeholder and is sent as written; write `{{{{ {m.group(1)} }}}}`",
                where, message_id=message.id, fix=f"{{{{ {m.group(1)} }}}}")
        for m in _HASHES.finditer(plain)
    ]
    return found


def check_empty_vars(message: Message, template: TextTemplate, locate: Locate) -> list[Diagnostic]:
    """A variable the text shows as it is, empty for some recipient: `Hi , you have ...`.
    Only texts that are plain substitution: a Jinja text may test the value itself."""
    fields = template.fields
    if fields is None:
        return []
    names = set(fields[1::2])
    empty: dict[str, list[Recipient]] = defaultdict(list)
    for recipient in message.recipients:
        for name in names:
            value = recipient.vars[name] if name in recipient.vars else message.vars.get(name)
            if isinstance(value, str) and not value.strip():
                empty[name].append(recipient)
    found = []
    for name, recipients in empty.items():
        first, others = recipients[0], len(recipients) - 1
        who = f"recipient {first.number}" + (f" and {others} other{'s' if others > 1 else ''}" if others else "")
        found.append(warning(
            "TEXT-EMPTY-VAR",
            f"message {message.id!r}: `{name}` is empty for {who}, so the text reads '{_around(fields, name)}'; "
            f"fill it in, or write `{{{{ {name} | default('there', true) }}}}`",
            locate(first.path), message_id=message.id,
        ))
    return found


def _around(fields: tuple[str, ...], name: str) -> str:
    """The text as written around the first `{{ name }}`, with the field left out."""
    index = fields.index(name, 1)
    before, after = fields[index - 1], fields[index + 1]
    left = before if index == 1 and len(before) <= 20 else "…" + before[-20:]
    right = after if index + 2 == len(fields) - 1 and len(after) <= 20 else after[:20] + "…"
    return left + right
