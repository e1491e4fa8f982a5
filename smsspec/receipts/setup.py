"""The project a receiver or ``status`` works for: smsspec.yaml and the ledger, found as ``send`` finds them."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from smsspec.diagnostics import Severity
from smsspec.errors import ConfigError, UsageError
from smsspec.load.config import find_config
from smsspec.model import Config
from smsspec.receipts.app import ReceiptsApp
from smsspec.receipts.inboxes import inboxes
from smsspec.send.ledger import LedgerError
from smsspec.send.ledger.choice import LedgerChoice, choose_ledger, is_loopback
from smsspec.validate.config_checks import load_config

CONFIG_ENV = "SMSSPEC_CONFIG"


def project_config(config_path: str | None) -> Config:
    """smsspec.yaml (``--config``, ``SMSSPEC_CONFIG``, or the nearest above the current folder)."""
    given = config_path or os.environ.get(CONFIG_ENV)
    if given is not None and not Path(given).is_file():
        raise UsageError(f"--config {given}: no such file")
    found = Path(given) if given else find_config(Path.cwd())
    if found is None:
        raise UsageError("no smsspec.yaml here or in any folder above; pass --config")
    config, diagnostics = load_config(found)
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    if config is None or errors:
        raise ConfigError(f"{found} has problems: run `smsspec validate` to see them")
    return config


def project_ledger(config: Config, ledger_path: str | None, *, sandbox: bool = False) -> LedgerChoice:
    """The ledger of the project's sends (the sandbox ledger when every account is on loopback,
    as `ledger show` reads it)."""
    endpoints = [a.endpoint for a in config.accounts.values()]
    on_loopback = bool(endpoints) and all(is_loopback(e) for e in endpoints)
    try:
        return choose_ledger(ledger_path, [config], sandbox=sandbox or (ledger_path is None and on_loopback))
    except LedgerError as exc:
        raise UsageError(str(exc)) from None


def receiver_for(
    config_path: str | None,
    ledger_path: str | None,
    *,
    sandbox: bool = False,
    environ: Mapping[str, str] | None = None,
) -> tuple[ReceiptsApp, LedgerChoice]:
    """The receiver of the project's accounts that have a receipts_token, and its ledger."""
    config = project_config(config_path)
    served = inboxes(config, environ)
    choice = project_ledger(config, ledger_path, sandbox=sandbox)
    return ReceiptsApp(served, choice.location, choice.project), choice


def from_environment() -> ReceiptsApp:
    """The receiver for an ASGI server of your own: ``uvicorn --factory
    smsspec.receipts.setup:from_environment`` (smsspec.yaml from ``SMSSPEC_CONFIG`` or the
    current folder, the ledger as ``send`` finds it). Raises ConfigError, UsageError."""
    return receiver_for(None, None)[0]
