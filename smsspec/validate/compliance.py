"""Who must not get a message, checked before sending: opt-outs and quiet hours.

* RECIPIENT-OPTED-OUT: a recipient is on an opt-out file named in smsspec.yaml
  (a warning by default: the list changes every day and must not break CI;
  `send` skips such numbers whatever the level).
* QUIET-HOURS: a scheduled message falls inside a recipient's quiet hours in
  one of the recipient's zones (`send` holds them until the window opens).
* The provider's own quiet hours (its descriptor's ``quiet_hours``, reported
  under the rule it names): a scheduled message inside them, in the account's zone.
"""

from __future__ import annotations

from collections.abc import Sequence

from smsspec.compliance.hours import Held, QuietCheck
from smsspec.compliance.quiet import describe
from smsspec.diagnostics import Diagnostic, Location, Severity
from smsspec.model import Account, Config, Message
from smsspec.providers.registry import Provider
from smsspec.sms.send_at import parse_send_at
from smsspec.validate.catalog import all_rules
from smsspec.validate.semantic import Locate


def check_compliance(
    message: Message,
    config: Config,
    account: Account,
    provider: Provider,
    numbers: Sequence[str | None],
    locate: Locate,
) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    opted_out = config.opt_outs
    if opted_out:
        for recipient, number in zip(message.recipients, numbers, strict=True):
            if number is not None and number in opted_out:
                found.append(_diagnostic(
                    "RECIPIENT-OPTED-OUT",
                    f"message {message.id!r}: {number} is on the opt-out list; `send` skips it",
                    locate(recipient.path), message.id,
                ))
    value = message.get("send_at")
    moment = parse_send_at(value) if isinstance(value, str) else None
    if moment is None:
        return found
    check = QuietCheck(config, account, provider, message.get("type"))
    if not check.active:
        return found
    paused = False
    for recipient, number in zip(message.recipients, numbers, strict=True):
        for held in check.holds(number, moment) if number is not None else ():
            if held.provider_pause and paused:
                continue
            paused = paused or held.provider_pause
            found.append(_quiet_diagnostic(message, account, provider, held, number or "", value, locate(recipient.path), locate))
    return found


def _quiet_diagnostic(
    message: Message, account: Account, provider: Provider, held: Held, number: str, value: str,
    at_recipient: Location, locate: Locate,
) -> Diagnostic:
    opens = held.quiet.opens.isoformat() if held.quiet.opens else "no time allowed in all its zones"
    if held.provider_pause:
        kinds = " or ".join(sorted(held.window.types)) + " " if held.window.types else ""
        text = (f"message {message.id!r}: {provider.title} pauses {kinds}messages from {held.window.start:%H:%M}"
                f" to {held.window.end:%H:%M} in the account's time zone ({held.quiet.zone}); send_at {value}"
                f" is {held.quiet.local:%H:%M} there; `send` holds it until {opens}")
        return _diagnostic(held.rule, text, locate(message.origins.get("send_at", message.path)), message.id)
    text = (f"message {message.id!r}: send_at {value} is {describe(held.quiet)} for {number},"
            f" inside quiet hours {held.window.shown()}; `send` holds it until {opens}")
    return _diagnostic(held.rule, text, at_recipient, message.id)


def _diagnostic(rule: str, text: str, where: object, message_id: str) -> Diagnostic:
    known = all_rules().get(rule)
    severity = known.severity if known is not None else Severity.WARNING
    return Diagnostic(rule, severity, text, where, message_id=message_id)  # type: ignore[arg-type]
