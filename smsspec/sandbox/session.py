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
from smsspec.sandbox.receipts import ReceiptSettings
from smsspec.sandbox.server import Sandbox

PLACEHOLDER_URL = "http://127.0.0.1:<sandbox port>"
RECEIPT_DELAY = 0.2
"""Seconds from a message to its receipt in a ``send --sandbox`` run, unless ``--sandbox-receipts`` says."""
WAIT_SECONDS = 30.0
"""Longest ``send --sandbox`` waits, after its last answer, for the sandbox's receipts to be posted."""


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
    def start(cls, accounts: Mapping[str, Account], receipt_options: Mapping[str, float | int] | None = None) -> SandboxRun:
        """A sandbox for the run; ``receipt_options`` as :func:`~smsspec.sandbox.receipts.parse_receipt_options`
        reads them (the delay defaults to :data:`RECEIPT_DELAY`)."""
        accepted = sandbox_accounts(accounts.values())
        receipts = ReceiptSettings(**{"delay": RECEIPT_DELAY, **(receipt_options or {})})  # type: ignore[arg-type]
        sandbox = Sandbox("127.0.0.1", 0, accounts=accepted, receipts=receipts)
        sandbox.start()
        credentials = {
            name: sandbox_credentials(account, accepted) for name, account in accounts.items()
        }
        return cls(sandbox, credentials)

    def endpoint_for(self, account: Account) -> str:
        return sandbox_endpoint(self.sandbox.url, account)

    def receipts_outstanding(self) -> int:
        """Messages whose receipts the sandbox has still to post."""
        poster = self.sandbox.state.poster
        return 0 if poster is None else poster.outstanding

    def wait_for_receipts(self, timeout: float = WAIT_SECONDS) -> bool:
        """Wait until the sandbox posted every receipt due (or gave up on it); False if ``timeout`` passed."""
        return self.sandbox.wait_for_receipts(timeout)

    def stop(self) -> None:
        self.sandbox.stop()
