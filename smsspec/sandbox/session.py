"""``smsspec send --sandbox``: every account redirected to an in-process sandbox.

The sandbox gets fresh random credentials for the run, so nothing real is
needed and nothing real can leak; accounts keep their own settings (those
the sandbox's provider simulations read) and any query string of their
endpoint.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from smsspec.model import Account
from smsspec.sandbox.accounts import SandboxAccounts
from smsspec.sandbox.providers import endpoint_paths, settings_from
from smsspec.sandbox.server import Sandbox

PLACEHOLDER_URL = "http://127.0.0.1:<sandbox port>"


def _token() -> str:
    return "sbx-" + secrets.token_urlsafe(12)


def sandbox_accounts(accounts: Iterable[Account]) -> SandboxAccounts:
    return SandboxAccounts(
        api_key=_token(),
        username=_token(),
        password=_token(),
        settings=settings_from(account.settings for account in accounts),
    )


def sandbox_endpoint(base_url: str, account: Account) -> str:
    path = endpoint_paths().get(account.provider, "/")
    query = urlsplit(account.endpoint or "").query
    return f"{base_url}{path}" + (f"?{query}" if query else "")


def sandbox_credentials(account: Account, accepted: SandboxAccounts) -> dict[str, str]:
    """The account's credential names, filled with what the sandbox accepts."""
    values: dict[str, str] = {}
    for name in account.credentials:
        value = getattr(accepted, name, None)
        values[name] = value if isinstance(value, str) else accepted.api_key
    return values


@dataclass
class SandboxRun:
    sandbox: Sandbox
    credentials: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def start(cls, accounts: Mapping[str, Account]) -> SandboxRun:
        accepted = sandbox_accounts(accounts.values())
        sandbox = Sandbox("127.0.0.1", 0, accounts=accepted)
        sandbox.start()
        credentials = {
            name: sandbox_credentials(account, accepted) for name, account in accounts.items()
        }
        return cls(sandbox, credentials)

    def endpoint_for(self, account: Account) -> str:
        return sandbox_endpoint(self.sandbox.url, account)

    def stop(self) -> None:
        self.sandbox.stop()
