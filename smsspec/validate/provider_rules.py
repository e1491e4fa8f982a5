"""A provider's own rules: its schema applied to a view of one message.

The view holds the message's fields (defaults merged), the account settings,
and facts computed from the rendered texts and numbers, so a provider schema
can say everything about its provider in JSON Schema and custom keywords:

* ``texts``: each distinct rendered text, with its first recipient;
* ``recipient_countries``: each distinct country of the recipients (``code``, the
  calling code; ``region``, libphonenumber's region such as "US" or "CA", null when
  the number's range is unknown), with its first recipient.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from smsspec.diagnostics import Diagnostic, Severity
from smsspec.model import VIEW_FIELDS, Account, Message
from smsspec.providers.registry import Provider
from smsspec.sms import phones
from smsspec.validate.catalog import all_rules
from smsspec.validate.schema import problems, provider_validator
from smsspec.validate.semantic import Locate, text_note

_FALLBACK_RULES = {"required": "PROVIDER-REQUIRED", "additionalProperties": "PROVIDER-OPTION"}


def message_view(
    message: Message,
    account: Account,
    provider: Provider,
    numbers: Sequence[str | None],
    texts: Sequence[str | None],
) -> tuple[dict[str, Any], dict[str, dict[int, int]]]:
    """The view, and for each entry of view["texts"] and view["recipient_countries"] the index of its
    first recipient."""
    left_out = provider.not_applied(message)
    view: dict[str, Any] = {name: message.fields[name] for name in VIEW_FIELDS
                            if message.fields.get(name) is not None and name not in left_out}
    view["id"] = message.id
    view["text"] = message.text
    view["settings"] = dict(account.settings)
    countries: dict[tuple[int, str | None], int] = {}
    codes: dict[str, int] = {}  # a calling code is in the first three digits: look each beginning up once
    for index, number in enumerate(numbers):
        if number:
            code = codes.get(number[:4])
            if code is None:
                code = codes[number[:4]] = phones.calling_code(number)
            countries.setdefault((code, phones.check_number(number).region), index)
    view["recipient_countries"] = [{"code": code, "region": region, "recipient": message.recipients[i].number}
                                   for (code, region), i in countries.items()]
    distinct: dict[str, int] = {}
    for index, text in enumerate(texts):
        if text is not None and text not in distinct:
            distinct[text] = index
    view["texts"] = [{"text": text, "recipient": message.recipients[i].number} for text, i in distinct.items()]
    return view, {"texts": dict(enumerate(distinct.values())), "recipient_countries": dict(enumerate(countries.values()))}




def check_provider(
    message: Message,
    account: Account,
    provider: Provider,
    numbers: Sequence[str | None],
    texts: Sequence[str | None],
    locate: Locate,
) -> list[Diagnostic]:
    view, owners = message_view(message, account, provider, numbers, texts)
    # One text for every recipient: its problems are the text's, reported where it is written.
    shared_text = len(view["texts"]) == 1

    def source_path(path: tuple[str | int, ...]) -> tuple[str | int, ...]:
        if not path:
            return message.path
        head, rest = path[0], path[1:]
        if head == "texts" and shared_text and rest and isinstance(rest[0], int):
            return message.origins.get("text", message.path)
        if head in owners and rest and isinstance(rest[0], int):
            return message.recipients[owners[head][rest[0]]].path
        if head == "settings":
            return message.origins.get("account", message.path)
        if isinstance(head, str) and head in message.origins:
            return (*message.origins[head], *rest)
        return message.path

    def context(path: tuple[str | int, ...]) -> Mapping[str, Any]:
        values: dict[str, Any] = {"account": account.name, "provider": provider.id,
                                  "mask": view.get("sender_mask"), "send_at": view.get("send_at"), "message": message.id}
        if len(path) >= 2 and path[0] in owners and isinstance(path[1], int):
            values.update(view[path[0]][path[1]])
            if path[0] == "texts" and shared_text and len(message.recipients) > 1:
                values["recipient"] = "every recipient"
        return values

    found: list[Diagnostic] = []
    schema_problems = problems(provider_validator(provider), view, context)
    if not schema_problems:
        return found
    catalog = all_rules()
    for problem in schema_problems:
        rule = problem.rule or _FALLBACK_RULES.get(problem.keyword, "PROVIDER-VALUE")
        known = catalog.get(rule)
        severity = Severity(problem.severity) if problem.severity else (known.severity if known else Severity.ERROR)
        path = problem.path
        if problem.keyword == "additionalProperties" and path and path[0] == "options":
            where = locate((*source_path(path[:-1]), path[-1]))
            offered = list(provider.schema.get("properties", {}).get("options", {}).get("properties", {}))
            text = f"message {message.id!r}: {provider.id} has no option `{problem.field}`"
            text += f"; did you mean `{problem.suggestion}`?" if problem.suggestion else (
                f"; its options are {', '.join(offered)}" if offered else "; it takes no options")
        elif problem.worded:
            where = locate(source_path(path))
            text = f"message {message.id!r}: {problem.text}"
        else:
            where = locate(source_path(path))
            field = ".".join(str(p) for p in path) or "message"
            if problem.keyword == "required":
                text = f"message {message.id!r}: {provider.title} {problem.text.replace('missing required field', 'needs')}"
            else:
                text = f"message {message.id!r}: `{field}` {problem.text} ({provider.id})"
        if path and path[0] == "texts" and not shared_text:
            text += text_note(locate(message.origins.get("text", message.path)), where)
        found.append(Diagnostic(rule, severity, text, where, message_id=message.id, fix=problem.suggestion, extra={"view_path": path}))
    return _without_implied(found, provider)


def _without_implied(found: list[Diagnostic], provider: Provider) -> list[Diagnostic]:
    """Drops a finding that another one at the same place already implies (a provider rule's
    `implied_by`: a text over WhatCounts' 160 characters needs no warning about segments too)."""
    reported = {(d.rule, d.location, str(d.extra.get("view_path"))) for d in found}
    kept = []
    for diagnostic in found:
        implied_by = provider.rules.get(diagnostic.rule, {}).get("implied_by", ())
        place = (diagnostic.location, str(diagnostic.extra.get("view_path")))
        if not any((rule, *place) in reported for rule in implied_by):
            kept.append(diagnostic)
    return kept
