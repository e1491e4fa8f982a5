"""Fixtures for the inbox page tests: a sandbox, Chromium, and a place for screenshots."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from smsspec.sandbox import Sandbox
from tests.conftest import ROOT

ARTIFACTS = ROOT / "test-artifacts"

CONFIG = """\
version: 1
accounts:
  skycore:
    provider: skycore
    endpoint: {url}/skycore/v2/sendsms
    credentials: {{api_key: "${{INBOX_KEY}}"}}
  skycore-xml:
    provider: skycore-xml
    endpoint: {url}/skycore/v1/sendsms
    credentials: {{api_key: "${{INBOX_KEY}}"}}
  sendmachine:
    provider: sendmachine
    endpoint: {url}/sms/send
    credentials: {{username: "${{INBOX_KEY}}", api_key: "${{INBOX_KEY}}"}}
  inwise:
    provider: inwise
    endpoint: {url}/transactional/SMS/send
    credentials: {{api_key: "${{INBOX_KEY}}"}}
  whatcounts:
    provider: whatcounts
    endpoint: {url}/api_web
    credentials: {{password: "${{INBOX_KEY}}"}}
    settings: {{realm: sandbox}}
"""

# A recipient's name that would run script if the page put it in as HTML.
HOSTILE = "<img src=x onerror=document.title=1></script><script>document.title=2</script>"

SPEC = f"""\
version: 1
messages:
  - id: welcome
    account: skycore
    from: "60856"
    text: "Hi {{{{ name }}}}, welcome to Dunder Mifflin! Reply STOP to opt out."
    to:
      - number: "+447400123456"
        vars: {{name: Ann}}
      - number: "+12015550123"
        vars: {{name: "{HOSTILE}"}}
  - id: party
    account: sendmachine
    text: "Party on Friday 🎉 — bring snacks, bring friends, and bring your best dance moves; the office closes at 4pm so everyone can come!"
    to: ["+40712034567", "+447400123456"]
  - id: receipt
    account: skycore-xml
    from: "60856"
    text: "Your receipt: order 1234 was paid. Thank you for shopping with us. We will send another message when your parcel leaves the warehouse, and one more when it is out for delivery."
    to: ["+12015550123"]
  - id: shipped
    account: inwise
    text: "שלום! ההזמנה שלך נשלחה"
    to: ["+972502345678"]
  - id: signup
    account: whatcounts
    from: "120162701555"
    text: "Thanks for signing up"
    to: ["+12065551212"]
"""


def find_chromium() -> str | None:
    named = os.environ.get("SMSSPEC_CHROMIUM")
    if named:
        return named
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def chromium() -> str:
    binary = find_chromium()
    if binary is None:
        pytest.skip("no Chromium to drive: install Debian's `chromium` package (or set SMSSPEC_CHROMIUM)")
    return binary


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as running:
        yield running


def send_specs(sandbox: Sandbox, folder: Path) -> subprocess.CompletedProcess[str]:
    """`smsspec send` of the example spec to ``sandbox``, as a user would run it."""
    (folder / "smsspec.yaml").write_text(CONFIG.format(url=sandbox.url), encoding="utf-8")
    (folder / "inbox.sms.yaml").write_text(SPEC, encoding="utf-8")
    env = {**os.environ, "INBOX_KEY": "sandbox", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "smsspec", "send", str(folder), "--yes", "--ledger", str(folder / "ledger.jsonl")],
        cwd=folder, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
