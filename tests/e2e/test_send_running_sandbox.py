"""`send` to a sandbox that is already running (`--sandbox-url`, or the one `smsspec sandbox`
records for the project), so its inbox sees what was sent; `sandbox inbox --port`."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from smsspec.sandbox import running
from tests.e2e.send_helpers import (
    Project,
    closed_port,
    ctrl_c_as_in_a_terminal,
    run_cli,
    subprocess_env,
    wait_for,
)
from tests.e2e.test_send_prompt import run_on_terminal
from tests.e2e.test_send_sandbox_cli import copy_examples

STATE = Path(".smsspec") / "sandbox.json"


class Running:
    def __init__(self, process: subprocess.Popen[str], url: str) -> None:
        self.process, self.url = process, url

    def messages(self) -> list[dict[str, object]]:
        data: list[dict[str, object]] = httpx.get(self.url + "/_sandbox/messages").json()
        return data


@pytest.fixture
def running_sandbox(tmp_path: Path) -> Iterator[Running]:
    """`smsspec sandbox` in the foreground, started in the project folder as a user would."""
    (tmp_path / "smsspec.yaml").touch()  # replaced by copy_examples; the sandbox records itself beside it
    process = subprocess.Popen(
        [sys.executable, "-m", "smsspec", "sandbox", "--port", "0"],
        cwd=tmp_path, env=subprocess_env(), preexec_fn=ctrl_c_as_in_a_terminal,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    state = tmp_path / STATE
    try:
        wait_for(state.exists, "the sandbox to record where it runs")
        yield Running(process, json.loads(state.read_text())["url"])
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)
    assert process.returncode == 0
    assert not state.exists(), "the record is removed when the sandbox stops"


def test_send_sandbox_finds_the_running_sandbox_and_its_inbox_sees_the_messages(
    tmp_path: Path, running_sandbox: Running
) -> None:
    specs = copy_examples(tmp_path)

    out = run_cli(["send", *specs, "--sandbox"])

    assert out.code == 0, out.stdout + out.stderr
    assert f"sending to the sandbox already running at {running_sandbox.url}" in out.stderr
    assert "sandbox inbox" in out.stdout and "Thanks!" in out.stdout
    texts = {message["text"] for message in running_sandbox.messages()}
    assert "Thanks!" in texts
    assert (tmp_path / ".smsspec" / "sandbox-ledger.db").exists()
    assert not (tmp_path / ".smsspec" / "ledger.db").exists()
    port = running_sandbox.url.rsplit(":", 1)[1]
    inbox = run_cli(["sandbox", "inbox", "--port", port, "--format", "json"])
    assert inbox.code == 0
    assert len(json.loads(inbox.stdout)) == len(running_sandbox.messages())


def test_a_dry_run_names_the_running_sandbox_and_sends_nothing(tmp_path: Path, running_sandbox: Running) -> None:
    specs = copy_examples(tmp_path)

    out = run_cli(["send", *specs, "--sandbox", "--dry-run"])

    assert out.code == 0, out.stderr
    assert f"a real run would send to the sandbox already running at {running_sandbox.url}" in out.stderr
    assert running_sandbox.messages() == []


def test_send_sandbox_url_sends_to_that_sandbox(tmp_path: Path, running_sandbox: Running) -> None:
    specs = copy_examples(tmp_path / "elsewhere")  # another project: no discovery, the URL decides

    out = run_cli(["send", *specs, "--sandbox-url", running_sandbox.url, "--format", "json"])

    assert out.code == 0, out.stderr
    assert len(running_sandbox.messages()) == len(out.json()["sandbox_inbox"]) > 0
    assert (tmp_path / "elsewhere" / ".smsspec" / "sandbox-ledger.db").exists()


def test_a_stale_record_is_ignored_and_a_sandbox_is_started_for_the_run(tmp_path: Path) -> None:
    specs = copy_examples(tmp_path)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / ".smsspec").mkdir()
    (tmp_path / STATE).write_text(json.dumps({"url": f"http://127.0.0.1:{closed_port()}", "pid": int(gone.stdout)}))

    out = run_cli(["send", *specs, "--sandbox"])

    assert out.code == 0, out.stderr
    assert "already running" not in out.stderr
    assert "Thanks!" in out.stdout


def test_a_record_pointing_off_this_machine_is_never_used(tmp_path: Path) -> None:
    specs = copy_examples(tmp_path)
    (tmp_path / ".smsspec").mkdir()
    (tmp_path / STATE).write_text(json.dumps({"url": "http://example.com:80", "pid": 1}))

    out = run_cli(["send", *specs, "--sandbox", "--format", "json"])

    assert out.code == 0, out.stderr
    assert "already running" not in out.stderr and out.json()["sandbox_inbox"]


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("https://sms.example.com", "expected an http:// URL on this machine"),
        ("http://127.0.0.1:CLOSED", "no sandbox answers at"),
    ],
)
def test_a_sandbox_url_that_is_not_a_local_sandbox_sends_nothing(tmp_path: Path, url: str, said: str) -> None:
    specs = copy_examples(tmp_path)
    url = url.replace("CLOSED", str(closed_port()))

    out = run_cli(["send", *specs, "--sandbox-url", url])

    assert out.code == 2
    assert said in out.stderr
    assert not (tmp_path / ".smsspec").exists()


def test_the_confirmation_says_the_target_is_the_sandbox(tmp_path: Path, running_sandbox: Running) -> None:
    specs = copy_examples(tmp_path)
    project = Project(tmp_path, running_sandbox.url)

    code, output = run_on_terminal(["send", specs[-1], "--sandbox"], "n", project)
    assert code == 1
    assert f"through whatcounts-demo, to the sandbox at {running_sandbox.url} (nothing leaves this machine)? [y/N]" in output
    assert running_sandbox.messages() == []


def test_the_confirmation_names_a_sandbox_started_for_the_run(tmp_path: Path) -> None:
    specs = copy_examples(tmp_path)
    project = Project(tmp_path, "")

    code, output = run_on_terminal(["send", specs[-1], "--sandbox"], "n", project)

    assert code == 1
    assert "through whatcounts-demo, to a sandbox started for this run (nothing leaves this machine)? [y/N]" in output


def test_sandbox_inbox_takes_either_a_url_or_host_and_port() -> None:
    out = run_cli(["sandbox", "inbox", "--url", "http://127.0.0.1:1", "--port", "2"])
    assert out.code == 2
    assert "either --url or --host/--port" in out.stderr
    refused = run_cli(["sandbox", "inbox", "--port", str(closed_port())])
    assert refused.code == 2 and "no sandbox answers at" in refused.stderr


@pytest.mark.parametrize(
    "content",
    [
        "",
        "not json",
        "[1, 2]",
        '{"url": "http://127.0.0.1:8765"}',
        '{"url": "http://127.0.0.1:8765", "pid": 0}',
        '{"url": "http://127.0.0.1:8765", "pid": true}',
        '{"url": "https://127.0.0.1:8765", "pid": 1}',
        '{"url": "http://127.0.0.1:port", "pid": 1}',
        '{"url": "http://10.0.0.1:8765", "pid": 1}',
        '{"url": "http://127.0.0.1:8765", "pid": 1, "pad": "' + "x" * 5000 + '"}',
    ],
)
def test_a_record_that_is_not_a_local_sandbox_record_is_not_read(tmp_path: Path, content: str) -> None:
    (tmp_path / ".smsspec").mkdir()
    (tmp_path / STATE).write_text(content)

    assert running.read_record(tmp_path / STATE) is None
    assert running.live_sandbox([tmp_path]) is None


def test_sandbox_inbox_finds_the_projects_running_sandbox(
    tmp_path: Path, running_sandbox: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs = copy_examples(tmp_path)
    assert run_cli(["send", *specs, "--sandbox"]).code == 0
    monkeypatch.chdir(tmp_path / "recipients")  # below the project's smsspec.yaml

    inbox = run_cli(["sandbox", "inbox", "--format", "json"])

    assert inbox.code == 0, inbox.stderr
    assert len(json.loads(inbox.stdout)) == len(running_sandbox.messages()) > 0
