from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from smsspec.sandbox import Sandbox
from tests.e2e.send_helpers import ENV, Project, sandbox_accounts


@pytest.fixture(scope="module")
def shared_sandbox() -> Iterator[Sandbox]:
    with Sandbox(accounts=sandbox_accounts()) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(shared_sandbox: Sandbox) -> Iterator[Sandbox]:
    shared_sandbox.clear()
    shared_sandbox.accounts.settings.pop("enforce_campaign_check", None)
    shared_sandbox.accounts.rejections.clear()
    yield shared_sandbox
    shared_sandbox.clear()


@pytest.fixture
def project(tmp_path: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Project:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    made = Project(tmp_path, sandbox.url)
    made.write_config()
    return made


from tests.ledger_stores import location, postgres_url  # noqa: E402

__all__ = ["location", "postgres_url"]
