"""What a provider simulation receives and returns."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from smsspec.sandbox.accounts import SandboxAccounts
from smsspec.sandbox.exchange import Reply, Request

JSON_TYPE = "application/json"
XML_TYPE = "application/xml; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Accepted:
    """One message the simulated provider took on, for one recipient."""

    recipient: str
    text: str
    state: str
    provider_id: str | None = None
    sender: str | None = None
    mask: str | None = None
    campaign: str | None = None
    details: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    reply: Reply
    accepted: tuple[Accepted, ...] = ()


@dataclass(frozen=True)
class ProviderContext:
    accounts: SandboxAccounts
    clock: Callable[[], datetime]
    defaults: Mapping[str, object] = field(default_factory=dict)
    """The account settings this provider reads, with their defaults (its module's ``SETTINGS``)."""

    def setting(self, name: str) -> object:
        """An account setting of this provider: as configured, else its default."""
        return self.accounts.settings.get(name, self.defaults[name])


Handler = Callable[[Request, ProviderContext], Outcome]


@dataclass(frozen=True)
class QueryContext:
    """What a provider's status call reads: the credentials, the time, and what the sandbox stored."""

    accounts: SandboxAccounts
    now: datetime
    find: Callable[[str], Mapping[str, object] | None]
    """The stored message of this provider with this provider id (None: none)."""


@dataclass(frozen=True)
class Query:
    """A provider's status call: answered from the sandbox's own state, nothing stored."""

    provider: str
    method: str
    path: str
    handler: Callable[[Request, QueryContext], Reply]


@dataclass(frozen=True)
class Fate:
    """What the sandbox decided happens to one accepted message on its way to the phone."""

    outcome: str
    """``delivered`` or ``failed``."""
    code: str | None
    """The provider's code for a failed delivery (None when delivered)."""
    reason: str | None
    """The provider's words for a failed delivery (None when delivered)."""
    sent_at: datetime
    """When the provider took the message (sandbox clock)."""
    due: datetime
    """When the phone's answer is known and the receipt goes out (sandbox clock)."""
    lost: bool = False
    """The receipt never arrives."""
    duplicated: bool = False
    """The final receipt arrives twice."""
    reordered: bool = False
    """The message's notifications arrive last first."""

    def to_json(self) -> dict[str, object]:
        return {
            "outcome": self.outcome,
            "code": self.code,
            "reason": self.reason,
            "due": self.due.isoformat(timespec="milliseconds"),
            "lost": self.lost,
            "duplicated": self.duplicated,
            "reordered": self.reordered,
        }


@dataclass(frozen=True)
class Notification:
    """One postback as the provider posts it: exact body bytes and their media type."""

    body: bytes
    content_type: str


@dataclass(frozen=True)
class Receipts:
    """How a provider reports delivery, for the providers whose pages document it."""

    failure: tuple[str, str]
    """(code, reason) a failed delivery carries in this provider's notifications."""
    render: Callable[[Accepted, Fate], tuple[Notification, ...]]
    """The notifications for one message, in the order the provider sends them."""
    may_fail: Callable[[Accepted], bool] = lambda accepted: True
    """False for a message whose send answer already gave its final status."""


@dataclass(frozen=True)
class Endpoint:
    provider: str
    method: str
    path: str
    handler: Handler
    content_type: str
    """Media type of the provider's normal answers, used to shape fault bodies."""
    success_status: int
    settings: Mapping[str, object] = field(default_factory=dict)
    """Account settings the simulation reads, with their defaults."""
    receipts: Receipts | None = None
    """How the provider reports delivery; None when its pages document no receipts."""


def json_reply(status: int, payload: object, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Reply(status, body, JSON_TYPE, headers)


def text_reply(status: int, text: str, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    return Reply(status, text.encode("utf-8"), TEXT_TYPE, headers)


def xml_reply(status: int, xml: str) -> Reply:
    return Reply(status, xml.encode("utf-8"), XML_TYPE)


def load_json(body: bytes) -> object:
    """The JSON document in ``body``; raises ValueError when there is none."""
    return json.loads(body.decode("utf-8"))


def matches(pattern: re.Pattern[str], value: object) -> bool:
    return isinstance(value, str) and pattern.fullmatch(value.strip()) is not None
