"""End to end on 127.0.0.1: `send` to the sandbox, the sandbox posts receipts to the receiver
(or answers inwise's status call), and `status` shows what the sandbox decided."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from smsspec.receipts.app import RunningReceiver, start_in_thread
from smsspec.receipts.setup import receiver_for
from smsspec.sandbox import Sandbox
from smsspec.sandbox.receipts import ReceiptSettings
from smsspec.send.ledger import Ledger
from tests.e2e.send_helpers import ENV, Project, account_name, run_cli, sandbox_accounts, wait_for

TOKEN = "sandbox-receipts-0123456789"
RECEIVING = ("skycore", "skycore-xml", "inwise")


@dataclass
class World:
    project: Project
    sandbox: Sandbox
    receiver: RunningReceiver

    def statuses(self, *extra: str) -> tuple[int, dict[str, object], str]:
        out = run_cli(["status", "--config", str(self.project.config), "--format", "json", *extra])
        return out.code, json.loads(out.stdout), out.stderr

    def decided(self) -> dict[str, dict[str, object]]:
        """The sandbox's decision per provider id."""
        return {str(m["provider_id"]): m["delivery"] for m in self.sandbox.messages() if m["delivery"]}  # type: ignore[misc]


def with_tokens(project: Project) -> None:
    text = project.config.read_text(encoding="utf-8")
    for provider in RECEIVING:
        name = account_name(provider)
        text = text.replace(f"  {name}:\n", f"  {name}:\n    receipts_token: ${{RECEIPTS_TOKEN}}\n")
    project.config.write_text(text, encoding="utf-8")


def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **shares: float) -> Iterator[World]:
    for name, value in {**ENV, "RECEIPTS_TOKEN": TOKEN}.items():
        monkeypatch.setenv(name, value)
    project = Project(tmp_path, "http://127.0.0.1:9")  # the receiver reads only accounts and tokens
    project.write_config()
    with_tokens(project)
    app, _ = receiver_for(str(project.config), str(project.ledger))
    receiver = start_in_thread(app)
    urls = {p: f"{receiver.url}/receipts/{account_name(p)}/{TOKEN}" for p in RECEIVING}
    settings = ReceiptSettings(urls, delay=0.0, seed=11, **shares)
    try:
        with Sandbox(accounts=sandbox_accounts(), receipts=settings) as sandbox:
            project.base_url = sandbox.url
            project.write_config()
            with_tokens(project)
            yield World(project, sandbox, receiver)
    finally:
        receiver.stop()


@pytest.fixture
def posting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from world(tmp_path, monkeypatch, failed=0.5, duplicated=0.5, reordered=0.5)


@pytest.fixture
def silent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from world(tmp_path, monkeypatch, failed=0.5, lost=1.0)


def spec(project: Project) -> list[str]:
    numbers = [f"+4474001{n:05d}" for n in range(8)]
    us = [f"+1201555{n:04d}" for n in range(8)]
    israel = [f"+9725023456{n:02d}" for n in range(8)]
    return [
        str(project.provider_spec("skycore", to=numbers)),
        str(project.provider_spec("skycore-xml", to=us)),
        str(project.provider_spec("inwise", to=israel, options={"async": True})),
    ]


def open_deliveries(ledger: Path) -> int:
    with Ledger.read(ledger) as view:
        return sum(1 for s in view.states() if s.delivery not in ("delivered", "failed"))


def test_receipts_from_the_sandbox_make_status_show_what_it_decided(posting: World) -> None:
    paths = spec(posting.project)
    out = run_cli(["send", *paths, "--yes"])
    assert out.code == 0, out.stderr
    assert posting.sandbox.wait_for_receipts(60)
    wait_for(lambda: open_deliveries(posting.project.ledger) == 0, "every receipt to be recorded", 60)
    code, report, _ = posting.statuses()
    decided = posting.decided()
    deliveries = report["deliveries"]
    assert isinstance(deliveries, list) and len(deliveries) == 24
    for entry in deliveries:
        fate = decided[entry["provider_id"]]
        assert entry["status"] == fate["outcome"], entry
        if fate["outcome"] == "failed":
            assert entry["code"] == fate["code"], entry
    failed = sum(1 for e in deliveries if e["status"] == "failed")
    assert 0 < failed < 24
    assert code == 1  # a failed delivery fails `status`, as a rejected send fails `send`
    with Ledger.read(posting.project.ledger) as view:
        assert all(r["state"] is not None for r in view.receipts())  # every posted shape was read
    one = run_cli(["status", paths[0], "--format", "json"])  # PATHS: only those specs' messages
    assert {d["message"] for d in json.loads(one.stdout)["deliveries"]} == {"skycore-hello"}


def test_status_refresh_asks_inwise_for_what_its_receipts_never_said(silent: World) -> None:
    """inwise (provider-docs/002): async mode answers "queued"; "final status and reject reason
    should be then retrieved from GET methods". So a queued send is accepted, delivery pending
    (not final), and --refresh asks GET /transactional/sms/info for the final word."""
    out = run_cli(["send", *spec(silent.project), "--yes"])
    assert out.code == 0, out.stderr
    code, report, _ = silent.statuses()
    by_provider = {}
    for entry in report["deliveries"]:  # type: ignore[union-attr]
        by_provider.setdefault(entry["provider"], set()).add(entry["status"])
    assert by_provider == {"skycore": {"accepted"}, "skycore-xml": {"accepted"}, "inwise": {"pending"}}
    assert code == 0
    code, report, err = silent.statuses("--refresh")
    assert "refreshed: 8 status call(s), 8 answer(s) recorded" in err
    decided = silent.decided()
    inwise = [e for e in report["deliveries"] if e["provider"] == "inwise"]  # type: ignore[union-attr]
    assert [e["status"] for e in inwise] == [decided[e["provider_id"]]["outcome"] for e in inwise]
    assert {e["status"] for e in inwise} == {"delivered", "failed"} and code == 1
    again = run_cli(["status", "--config", str(silent.project.config), "--refresh"])
    assert "refreshed: 0 status call(s)" in again.stderr  # nothing left open: nothing asked
