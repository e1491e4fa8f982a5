"""Which quiet hours apply to a message, and in which zones each recipient is counted.

Two kinds of window, one machinery (:mod:`smsspec.compliance.quiet`):

* the project's or the account's ``quiet_hours``, counted in each recipient's
  zones (from the number; the account's zone when the number does not tell);
* the provider's own pause (its descriptor's ``quiet_hours``), counted in the
  account's zone: the ``time_zone`` setting, else the provider's default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from smsspec.compliance.quiet import Quiet, QuietHours, inside, quiet_hours_from, zones_for_number

if TYPE_CHECKING:
    from smsspec.model import Account, Config
    from smsspec.providers.registry import Provider

DEFAULT_ZONE = "UTC"
RECIPIENT_RULE = "QUIET-HOURS"


@dataclass(frozen=True)
class Held:
    """A recipient inside quiet hours at some moment: the rule, the zone, local time, and when it opens."""

    rule: str
    window: QuietHours
    quiet: Quiet
    provider_pause: bool  # the provider's own quiet hours (counted in the account's zone)


def account_zone(account: Account, provider: Provider) -> str:
    """The account's ``time_zone`` setting, else its provider's default, else UTC."""
    own = account.settings.get("time_zone")
    if isinstance(own, str) and own:
        return own
    pause = provider.quiet_hours or {}
    default = pause.get("time_zone")
    return default if isinstance(default, str) and default else DEFAULT_ZONE


def provider_window(provider: Provider) -> tuple[QuietHours, str] | None:
    """The provider's own quiet hours and the rule id that reports them."""
    raw: Mapping[str, Any] | None = provider.quiet_hours
    window = quiet_hours_from(raw, f"{provider.title} quiet hours") if raw else None
    if window is None or raw is None:
        return None
    return window, str(raw.get("rule", RECIPIENT_RULE))


class QuietCheck:
    """The quiet hours that apply to one message (by its ``type``) through one account."""

    def __init__(self, config: Config, account: Account, provider: Provider, message_type: object) -> None:
        window = config.quiet_hours_for(account)
        self.recipients = window if window is not None and window.applies_to(message_type) else None
        pause = provider_window(provider)
        self.pause = pause if pause is not None and pause[0].applies_to(message_type) else None
        self.zone = account_zone(account, provider)

    @property
    def active(self) -> bool:
        return self.recipients is not None or self.pause is not None

    def holds(self, number: str, moment: datetime) -> list[Held]:
        """Every window that finds ``number`` quiet at ``moment``: the recipient's, the provider's."""
        found: list[Held] = []
        if self.recipients is not None:
            zones = zones_for_number(number) or (self.zone,)
            quiet = inside(self.recipients, moment, zones)
            if quiet is not None:
                found.append(Held(RECIPIENT_RULE, self.recipients, quiet, False))
        if self.pause is not None:
            window, rule = self.pause
            quiet = inside(window, moment, (self.zone,))
            if quiet is not None:
                found.append(Held(rule, window, quiet, True))
        return found

    def held(self, number: str, moment: datetime) -> Held | None:
        """Whether ``number`` may not be sent to at ``moment``; when several windows are
        quiet, the one that opens last."""
        found = self.holds(number, moment)
        if not found:
            return None
        return max(found, key=lambda h: (h.quiet.opens is None, h.quiet.opens or moment))
