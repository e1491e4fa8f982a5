"""Which ledger a command uses, and under which project name.

In order: ``--ledger``; for a run that sends to a sandbox (``--sandbox``, or
any account whose endpoint is on a loopback address) the sandbox ledger
beside ``smsspec.yaml`` and nothing else, so test sends never mark real
deliveries done; then ``SMSSPEC_LEDGER``; then ``ledger:`` in
``smsspec.yaml`` (a path relative to it, a URL, or a ``${VAR}`` naming
either); then ``.smsspec/ledger.db`` beside ``smsspec.yaml``.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from smsspec.model import Account, Config
from smsspec.send.ledger.location import Location, parse_location
from smsspec.send.ledger.records import LedgerError
from smsspec.send.ledger.store import DEFAULT_PROJECT

LEDGER_DIR = ".smsspec"
LEDGER_NAME = "ledger.db"
SANDBOX_LEDGER_NAME = "sandbox-ledger.db"
ENV_NAME = "SMSSPEC_LEDGER"


@dataclass(frozen=True)
class LedgerChoice:
    location: Location
    project: str
    source: str  # "--ledger" | "SMSSPEC_LEDGER" | "smsspec.yaml" | "default" | "sandbox"

    @property
    def local_default(self) -> bool:
        """The file beside smsspec.yaml that nobody chose: lost with a throwaway CI runner."""
        return self.source == "default"


def unimported(choice: LedgerChoice) -> Path | None:
    """The JSON Lines ledger of an older smsspec beside a default ledger not created yet.

    Starting afresh beside it would send again everything it records.
    """
    path = choice.location.path
    if choice.source not in ("default", "sandbox") or path is None or path.exists():
        return None
    old = path.with_suffix(".jsonl")
    return old if old.exists() else None


def default_ledger(root: str | Path, sandbox: bool = False) -> Path:
    return Path(root) / LEDGER_DIR / (SANDBOX_LEDGER_NAME if sandbox else LEDGER_NAME)


def is_loopback(endpoint: str | None) -> bool:
    if not endpoint:
        return False
    try:
        host = urlsplit(endpoint).hostname or ""
    except ValueError:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def sends_to_sandbox(accounts: Iterable[Account]) -> bool:
    """True when every account sends to a loopback endpoint (a sandbox); LedgerError for a mix."""
    looped = {a.name: is_loopback(a.endpoint) for a in accounts}
    if not any(looped.values()):
        return False
    if all(looped.values()):
        return True
    local = sorted(n for n, v in looped.items() if v)
    real = sorted(n for n, v in looped.items() if not v)
    raise LedgerError(
        f"this run sends both to a loopback endpoint ({', '.join(local)}), whose deliveries go to"
        f" the sandbox ledger, and to providers ({', '.join(real)}): send them separately"
        " (--account), or name one ledger for both with --ledger"
    )


def choose_ledger(
    explicit: str | None,
    configs: Iterable[Config],
    *,
    sandbox: bool,
    environ: Mapping[str, str] | None = None,
) -> LedgerChoice:
    """The ledger to use; :class:`LedgerError` when it cannot be told (the text is safe to print)."""
    env = os.environ if environ is None else environ
    found = list({c.root: c for c in configs}.values())
    projects = {c.project or DEFAULT_PROJECT for c in found}
    if len(projects) > 1:
        raise LedgerError("the specs belong to projects with different names: send them separately")
    project = projects.pop() if projects else DEFAULT_PROJECT
    if explicit is not None:
        return LedgerChoice(_checked(explicit, "--ledger"), project, "--ledger")
    root = _one_root(found)
    if sandbox:
        return LedgerChoice(Location(path=default_ledger(root, sandbox=True)), project, "sandbox")
    if env.get(ENV_NAME):
        return LedgerChoice(_checked(env[ENV_NAME], ENV_NAME), project, ENV_NAME)
    written = found[0].ledger if found else None
    if written:
        return LedgerChoice(_from_config(written, root, env), project, "smsspec.yaml")
    return LedgerChoice(Location(path=default_ledger(root)), project, "default")


def _one_root(configs: list[Config]) -> str:
    roots = sorted({c.root for c in configs})
    if len(roots) != 1:
        raise LedgerError(
            "the specs belong to more than one smsspec.yaml (" + ", ".join(roots) + "); pass --ledger"
        )
    if len({c.ledger for c in configs}) > 1:
        raise LedgerError("the smsspec.yaml files name different ledgers; pass --ledger")
    return roots[0]


def _checked(text: str, where: str) -> Location:
    if "\x00" in text or not text.strip():
        raise LedgerError(f"{where}: not a ledger path or URL")
    return parse_location(text)


def _from_config(written: str, root: str, env: Mapping[str, str]) -> Location:
    from smsspec.load.config import ENV_REFERENCE

    match = ENV_REFERENCE.match(written)
    if match:
        value = env.get(match.group(1))
        if not value:
            raise LedgerError(
                f"smsspec.yaml says `ledger: {written}`, but {match.group(1)} is not set"
            )
        location = _checked(value, f"ledger (from {match.group(1)})")
    else:
        location = _checked(written, "ledger in smsspec.yaml")
        if location.secrets():
            raise LedgerError(
                "smsspec.yaml writes a ledger URL with a password: put the URL in an environment"
                " variable and write `ledger: ${VARIABLE}`"
            )
    if location.path is not None and not location.path.is_absolute():
        return Location(path=Path(root) / location.path)
    return location
