"""Where a foreground ``smsspec sandbox`` runs, so ``send --sandbox`` and ``sandbox inbox`` find it.

``smsspec sandbox`` records its URL and process id in ``.smsspec/sandbox.json``
beside the nearest ``smsspec.yaml`` above the folder it was started in (else
in that folder), and removes the file when it stops. A record is used only
when its URL is on this machine, its process is alive and the URL answers as
a sandbox: a stale or planted file sends nothing anywhere.

:class:`RemoteSandbox` is a sandbox run by someone else (found so, or named
with ``send --sandbox-url``): requests go to its URL with the credential it
accepts for every account, and what it accepted in this run is read back
from its inbox.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from smsspec.errors import InboxUnavailable
from smsspec.load.config import find_config
from smsspec.model import Account
from smsspec.sandbox.accounts import SandboxAccounts
from smsspec.sandbox.remote import fetch_messages
from smsspec.sandbox.session import sandbox_credentials, sandbox_endpoint
from smsspec.send.ledger.choice import is_loopback

STATE_DIR = ".smsspec"
STATE_NAME = "sandbox.json"
MAX_STATE_BYTES = 4096
PROBE_TIMEOUT = 2.0


@dataclass(frozen=True)
class SandboxRecord:
    url: str
    pid: int
    path: Path  # the state file it was read from


def project_folder(start: Path) -> Path:
    """The folder of the nearest smsspec.yaml at or above ``start``, else ``start``."""
    config = find_config(start)
    return config.parent if config is not None else start.resolve()


def state_file_for(start: Path) -> Path:
    """Where a sandbox started in ``start`` records itself."""
    return project_folder(start) / STATE_DIR / STATE_NAME


def is_local_url(url: str) -> bool:
    """An ``http://`` URL on this machine (a loopback address or localhost), with a usable port."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    return parts.scheme == "http" and is_loopback(url)


def record(path: Path, url: str) -> bool:
    """Write this process's record; False when it cannot be written (the sandbox runs anyway)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps({"url": url, "pid": os.getpid()}) + "\n", encoding="utf-8")
        os.replace(temporary, path)
        return True
    except OSError:
        return False


def forget(path: Path) -> None:
    """Remove the record if it is still this process's (another sandbox may have replaced it)."""
    found = read_record(path)
    if found is not None and found.pid == os.getpid():
        with contextlib.suppress(OSError):
            path.unlink()


def read_record(path: Path) -> SandboxRecord | None:
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_STATE_BYTES + 1)
        data = json.loads(raw) if len(raw) <= MAX_STATE_BYTES else None
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    url, pid = data.get("url"), data.get("pid")
    if not isinstance(url, str) or type(pid) is not int or pid <= 0 or not is_local_url(url):
        return None
    return SandboxRecord(url.rstrip("/"), pid, path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def answers_as_sandbox(url: str) -> bool:
    try:
        response = httpx.get(url + "/_sandbox/stats", timeout=PROBE_TIMEOUT)
        return response.status_code == 200 and isinstance(response.json().get("requests"), dict)
    except (httpx.HTTPError, ValueError, AttributeError):
        return False


def live_sandbox(roots: Iterable[str | Path]) -> SandboxRecord | None:
    """The first live sandbox recorded in a project folder of ``roots``."""
    for root in dict.fromkeys(Path(r) for r in roots):
        found = read_record(root / STATE_DIR / STATE_NAME)
        if found is not None and _alive(found.pid) and answers_as_sandbox(found.url):
            return found
    return None


@dataclass
class RemoteSandbox:
    """A sandbox this process did not start: its URL, the credential it takes, its inbox."""

    url: str
    credentials: dict[str, dict[str, str]] = field(default_factory=dict)
    seen: frozenset[str] = frozenset()  # ids of the messages it held before this run

    @classmethod
    def attach(cls, url: str, accounts: Mapping[str, Account]) -> RemoteSandbox:
        accepted = SandboxAccounts()  # a sandbox started from the command line takes `sandbox`
        credentials = {name: sandbox_credentials(account, accepted) for name, account in accounts.items()}
        url = url.rstrip("/")
        try:
            seen = frozenset(str(message["id"]) for message in fetch_messages(url))
        except InboxUnavailable:
            seen = frozenset()
        return cls(url, credentials, seen)

    def endpoint_for(self, account: Account) -> str:
        return sandbox_endpoint(self.url, account)

    def messages(self) -> list[dict[str, object]] | None:
        """What it accepted since :meth:`attach`; None when its inbox cannot be read."""
        try:
            return [m for m in fetch_messages(self.url) if str(m["id"]) not in self.seen]
        except InboxUnavailable:
            return None

    def stop(self) -> None:
        """Nothing to stop: it runs on after this run."""
