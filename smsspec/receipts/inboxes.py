"""Which accounts the receiver serves: each with its token (from the environment) and reading.

An account is served when smsspec.yaml gives it ``receipts_token: ${VAR}``
and its provider documents notifications (``receipts.postback`` in its
descriptor). A token is a secret: it is compared in constant time and never
printed; a problem names the variable, never the value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from smsspec.errors import ConfigError
from smsspec.load.config import ENV_REFERENCE
from smsspec.model import Config
from smsspec.providers import registry

TOKEN = re.compile(r"[A-Za-z0-9_-]{16,256}")


@dataclass(frozen=True)
class Inbox:
    account: str
    provider: str
    token: bytes = b""
    reading: Mapping[str, Any] | None = None

    def __repr__(self) -> str:  # never the token
        return f"Inbox({self.account!r}, {self.provider!r})"


def inboxes(config: Config, environ: Mapping[str, str] | None = None) -> dict[str, Inbox]:
    """The served accounts by name; :class:`ConfigError` naming every problem (no secret in it)."""
    env = os.environ if environ is None else environ
    found: dict[str, Inbox] = {}
    problems: list[str] = []
    for name, account in sorted(config.accounts.items()):
        if account.receipts_token is None:
            continue
        provider = registry.get(account.provider)
        postback = (provider.receipts or {}).get("postback") if provider else None
        if postback is None:
            problems.append(
                f"account {name!r}: {account.provider} documents no delivery notifications"
                " (see `smsspec providers show`); remove its receipts_token"
            )
            continue
        match = ENV_REFERENCE.match(account.receipts_token)
        variable = match.group(1) if match else ""
        value = env.get(variable, "") if variable else ""
        if not variable:
            problems.append(f"account {name!r}: write receipts_token as ${{VARIABLE}}")
        elif not value:
            problems.append(f"account {name!r}: set the environment variable {variable} (receipts_token)")
        elif not TOKEN.fullmatch(value):
            problems.append(
                f"account {name!r}: the environment variable {variable} (receipts_token) must be"
                " 16 to 256 letters, digits, - or _"
            )
        else:
            found[name] = Inbox(name, account.provider, value.encode("ascii"), postback)
    if problems:
        raise ConfigError("\n".join(problems))
    if not found:
        raise ConfigError(
            "no account has a receipts_token: give the accounts whose providers send notifications"
            " `receipts_token: ${VARIABLE}` in smsspec.yaml"
        )
    return found
