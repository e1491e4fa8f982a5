"""A throwaway project whose accounts point at a sandbox, and ways to run smsspec on it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, SimpleQueue
from typing import Any

from click.testing import CliRunner

from smsspec.cli import main
from smsspec.sandbox import Sandbox, SandboxAccounts

# Secrets with characters that URL, JSON, XML and base64 encodings all change.
API_KEY = 'SeCrEt-Key/+&=<"x">-123'
USERNAME = "SeCrEt-User_456"
PASSWORD = "SeCrEt Pass/&?=%+#-789"
REALM = "test-realm"
ENV = {"T_API_KEY": API_KEY, "T_USERNAME": USERNAME, "T_PASSWORD": PASSWORD}

PATHS = {
    "skycore": "/skycore/v2/sendsms",
    "skycore-xml": "/skycore/v1/sendsms",
    "sendmachine": "/sms/send",
    "inwise": "/transactional/SMS/send",
    "whatcounts": "/api_web",
}
CREDENTIALS = {
    "skycore": {"api_key": "${T_API_KEY}"},
    "skycore-xml": {"api_key": "${T_API_KEY}"},
    "sendmachine": {"username": "${T_USERNAME}", "api_key": "${T_API_KEY}"},
    "inwise": {"api_key": "${T_API_KEY}"},
    "whatcounts": {"password": "${T_PASSWORD}"},
}

# One message per provider: provider -> (message fields, recipients).
MESSAGES: dict[str, tuple[dict[str, Any], list[str]]] = {
    "skycore": ({"from": "60856", "text": "Your code is 1234"}, ["+447400123456"]),
    "skycore-xml": ({"from": "60856", "text": "Hello Jerry"}, ["+12015550123"]),
    "sendmachine": (
        {"type": "transactional", "text": "See you on Monday"},
        ["+40712034567", "+40722123456"],
    ),
    "inwise": ({"text": "Your parcel is on its way"}, ["+972502345678", "+972502345679"]),
    "whatcounts": ({"from": "120162701555", "text": "Thanks!"}, ["+12065551212"]),
}


def sandbox_accounts() -> SandboxAccounts:
    return SandboxAccounts(api_key=API_KEY, username=USERNAME, password=PASSWORD, settings={"realm": REALM})


def closed_port() -> int:
    """A port nothing listens on: connecting to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.stdout)
        return data


@dataclass
class Project:
    root: Path
    base_url: str
    endpoints: dict[str, str] = field(default_factory=dict)  # account -> endpoint override
    rules: dict[str, str] = field(default_factory=dict)  # rule id -> off | warning | error

    @property
    def config(self) -> Path:
        return self.root / "smsspec.yaml"

    @property
    def ledger(self) -> Path:
        """Where runs of this project keep their ledger: its accounts point at a sandbox on
        127.0.0.1, so the sandbox ledger (never the real one)."""
        return self.root / ".smsspec" / "sandbox-ledger.db"

    def write_config(self) -> None:
        lines = ["version: 1", "accounts:"]
        for provider, path in PATHS.items():
            name = account_name(provider)
            endpoint = self.endpoints.get(name, self.base_url + path)
            lines += [f"  {name}:", f"    provider: {provider}", f"    endpoint: {endpoint}"]
            lines += ["    allow_insecure_http: true"] if endpoint.startswith("http://") else []  # the sandbox on 127.0.0.1
            lines.append("    credentials:")
            lines += [f"      {k}: '{v}'" for k, v in CREDENTIALS[provider].items()]
            if provider == "whatcounts":
                lines += ["    settings:", f"      realm: {REALM}"]
        if self.rules:
            lines += ["rules:", *(f"  {rule}: {level}" for rule, level in self.rules.items())]
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def spec(self, name: str, messages: Sequence[Mapping[str, Any]]) -> Path:
        """Write ``<name>.sms.yaml`` (JSON is YAML) and return its path."""
        path = self.root / f"{name}.sms.yaml"
        path.write_text(json.dumps({"version": 1, "messages": list(messages)}, indent=1), encoding="utf-8")
        return path

    def provider_spec(self, provider: str, message_id: str | None = None, **changes: Any) -> Path:
        fields, recipients = MESSAGES[provider]
        message = {
            "id": message_id or f"{provider}-hello",
            "account": account_name(provider),
            **fields,
            "to": recipients,
            **changes,
        }
        return self.spec(message["id"], [message])

    @property
    def real_ledger(self) -> Path:
        """The ledger of runs to accounts that are not on a loopback address."""
        return self.root / ".smsspec" / "ledger.db"

    def request_metas(self, ledger: Path | None = None) -> list[dict[str, Any]]:
        """The meta recorded with each request (file, provider, URL, preview)."""
        ledger = ledger or self.ledger
        if not ledger.exists():
            return []
        with contextlib.closing(sqlite3.connect(ledger)) as db:
            rows = db.execute("SELECT meta FROM smsspec_requests ORDER BY claimed_at").fetchall()
        return [json.loads(meta) for (meta,) in rows]


def account_name(provider: str) -> str:
    return f"{provider}-acct"


def run_cli(args: Sequence[str], env: Mapping[str, str] | None = None) -> Outcome:
    """smsspec in this process (fast); stdin is not a terminal, so it never asks."""
    runner = CliRunner()
    merged = {**ENV, **(env or {})}
    result = runner.invoke(main, list(args), env=merged, catch_exceptions=False)
    return Outcome(result.exit_code, result.stdout, result.stderr)


def subprocess_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, **ENV, **(extra or {})}
    env.pop("SMSSPEC_DEBUG", None)
    return env


def ctrl_c_as_in_a_terminal() -> None:
    """preexec_fn: SIGINT handled as in a terminal. A shell without job control
    starts background commands with SIGINT ignored, and children inherit that;
    a test that stops a child with SIGINT must not depend on how it was run."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_cli(args: Sequence[str], cwd: Path, extra_env: Mapping[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "smsspec", *args],
        cwd=cwd,
        env=subprocess_env(extra_env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_line(process: subprocess.Popen[str], wanted: str, limit: float = 20.0) -> str:
    """The first line of the process's stderr holding ``wanted`` (a wait, not a timing assertion)."""
    assert process.stderr is not None
    lines: SimpleQueue[str] = SimpleQueue()
    stream = process.stderr

    def read() -> None:
        for line in iter(stream.readline, ""):
            lines.put(line)
            if wanted in line:
                return
        lines.put("")

    threading.Thread(target=read, daemon=True).start()
    seen = ""
    deadline = time.monotonic() + limit
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except Empty:
            break
        if not line or wanted in line:
            return line
        seen += line
    raise AssertionError(f"gave up waiting for {wanted!r} on stderr; saw {seen!r}")


def wait_for(condition: Callable[[], bool], what: str, limit: float = 20.0) -> None:
    """Poll until ``condition`` holds (a wait, not a timing assertion)."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.01)


def received(sandbox: Sandbox, provider: str) -> int:
    requests = sandbox.stats()["requests"]
    assert isinstance(requests, dict)
    return int(requests.get(PATHS[provider], 0))


def stored_recipients(sandbox: Sandbox) -> list[str]:
    return sorted(str(m["recipient"]) for m in sandbox.messages())
