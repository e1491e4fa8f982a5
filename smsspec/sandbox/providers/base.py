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
