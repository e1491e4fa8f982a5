"""``smsspec send --sandbox``: every account redirected to an in-process sandbox.

The sandbox gets fresh random credentials for the run, so nothing real is
needed and nothing real can leak; accounts keep their own settings (those
the sandbox's provider simulations read) and any query string of their
endpoint.

Given the run's ledger, it also starts the receiver (:mod:`smsspec.receipts.app`
under uvicorn, on a free 127.0.0.1 port) for the first account (by name) of each
provider whose simulation posts receipts, each with a fresh random token, and
points the sandbox's receipts at it: the receipts land in the run's ledger,
so ``smsspec status --sandbox`` shows them. A second account of the same
provider gets none: the sandbox cannot tell which account sent a message.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from smsspec.model import Account
from smsspec.providers import registry
from smsspec.receipts.app import ReceiptsApp, RunningReceiver, start_in_thread
from smsspec.receipts.inboxes import Inbox
from smsspec.sandbox.accounts import SandboxAccounts
from smsspec.sandbox.providers import endpoint_paths, receipt_providers, settings_from
from smsspec.sandbox.receipts import ReceiptSettings
from smsspec.sandbox.server import Sandbox
from smsspec.send.ledger import Location

PLACEHOLDER_URL = "http://127.0.0.1:<sandbox port>"
RECEIPT_DELAY = 0.2
"""Seconds from a message to its receipt in a ``send --sandbox`` run, unless ``--sandbox-receipts`` says."""
WAIT_SECONDS = 30.0
"""Longest ``send --sandbox`` waits, after its last answer, for the next of its sandbox's receipts
to be posted and recorded; it stops waiting when none is for this long."""


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


def receiving_inboxes(accounts: Mapping[str, Account]) -> dict[str, Inbox]:
    """The receiver's accounts for a sandbox run: the first account (by name) of each provider the
    sandbox posts receipts for, with a fresh token."""
    chosen: dict[str, Inbox] = {}
    for name in sorted(accounts):
        provider = accounts[name].provider
        descriptor = registry.get(provider)
        postback = (descriptor.receipts or {}).get("postback") if descriptor is not None else None
        if provider in receipt_providers() and postback and all(i.provider != provider for i in chosen.values()):
            chosen[name] = Inbox(name, provider, _token().encode("ascii"), postback)
    return chosen


@dataclass
class SandboxRun:
    sandbox: Sandbox
    credentials: dict[str, dict[str, str]] = field(default_factory=dict)
    receiver: RunningReceiver | None = None

    @classmethod
    def start(
        cls,
        accounts: Mapping[str, Account],
        receipt_options: Mapping[str, float | int] | None = None,
        ledger: tuple[Location, str] | None = None,
    ) -> SandboxRun:
        """A sandbox for the run; ``receipt_options`` as :func:`~smsspec.sandbox.receipts.parse_receipt_options`
        reads them (the delay defaults to :data:`RECEIPT_DELAY`); with ``ledger`` (location, project),
        a receiver that records the sandbox's receipts there."""
        accepted = sandbox_accounts(accounts.values())
        urls: dict[str, str] = {}
        receiver = None
        inboxes = receiving_inboxes(accounts) if ledger is not None else {}
        if ledger is not None and inboxes:
            receiver = start_in_thread(ReceiptsApp(inboxes, ledger[0], ledger[1]))
            urls = {i.provider: f"{receiver.url}/receipts/{i.account}/{i.token.decode()}" for i in inboxes.values()}
        receipts = ReceiptSettings(urls, **{"delay": RECEIPT_DELAY, **(receipt_options or {})})  # type: ignore[arg-type]
        sandbox = Sandbox("127.0.0.1", 0, accounts=accepted, receipts=receipts)
        try:
            sandbox.start()
        except BaseException:
            if receiver is not None:
                receiver.stop()
            raise
        credentials = {
            name: sandbox_credentials(account, accepted) for name, account in accounts.items()
        }
        return cls(sandbox, credentials, receiver)

    def endpoint_for(self, account: Account) -> str:
        return sandbox_endpoint(self.sandbox.url, account)

    def receipts_outstanding(self) -> int:
        """Messages whose receipts the sandbox has still to post."""
        poster = self.sandbox.state.poster
        return 0 if poster is None else poster.outstanding

    def wait_for_receipts(self, stall: float = WAIT_SECONDS) -> bool:
        """Wait until the sandbox posted every receipt due (or gave up on it); False when ``stall``
        seconds pass with no message's receipts done."""
        left = self.receipts_outstanding()
        while not self.sandbox.wait_for_receipts(stall):
            now_left = self.receipts_outstanding()
            if now_left >= left:
                return False
            left = now_left
        return True

    def stop(self) -> None:
        try:
            self.sandbox.stop()
        finally:
            if self.receiver is not None:
                self.receiver.stop()
