"""A reader that closes standard output early (``smsspec ... | head -1``) changes nothing but the output.

The command still ends with its own exit code (``set -o pipefail`` sees it), never with an
internal error or a traceback, and a send still records every delivery.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from smsspec.sandbox import Sandbox
from smsspec.send.ledger import DeliveryStatus, Ledger
from tests.e2e.send_helpers import Project, subprocess_env

HANG_GUARD = 120.0


def with_stdout_closed(args: Sequence[str], cwd: Path) -> tuple[int, str]:
    """Run smsspec with the reading end of its standard output closed before it writes a byte."""
    process = subprocess.Popen(
        [sys.executable, "-m", "smsspec", *args],
        cwd=cwd,
        env=subprocess_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    try:
        err = process.stderr.read()
        code = process.wait(timeout=HANG_GUARD)
    finally:
        process.kill()
        process.stderr.close()
    return code, err


def assert_quiet(err: str) -> None:
    assert "internal error" not in err and "Traceback" not in err and "Exception ignored" not in err, err


def test_send_with_a_rejection_keeps_exit_1_and_a_complete_ledger(project: Project, sandbox: Sandbox) -> None:
    sandbox.accounts.rejections["972502345679"] = "unsubscribe"
    spec = project.provider_spec("inwise")

    code, err = with_stdout_closed(["send", str(spec)], project.root)

    assert code == 1, err
    assert_quiet(err)
    statuses = {s.key.recipient: s.status for s in Ledger.read(project.ledger).states()}
    assert statuses == {"+972502345678": DeliveryStatus.ACCEPTED, "+972502345679": DeliveryStatus.REJECTED}


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_send_that_succeeds_still_exits_0(project: Project, sandbox: Sandbox, fmt: str) -> None:
    spec = project.provider_spec("skycore")

    code, err = with_stdout_closed(["send", str(spec), "--format", fmt], project.root)

    assert code == 0, err
    assert_quiet(err)
    assert len(sandbox.messages()) == 1


def test_every_other_command_keeps_its_own_exit_code(project: Project, sandbox: Sandbox) -> None:
    good = project.provider_spec("skycore")
    bad = project.provider_spec("whatcounts", text="x" * 200)  # over WhatCounts' 160 characters
    many = project.spec("many", [
        {"id": f"m{n}", "account": "skycore-acct", "from": "60856", "text": "Hi", "to": ["+447400123456"]}
        for n in range(200)
    ])
    runs = {
        ("validate", str(bad)): 1,
        ("validate", str(good)): 0,
        ("render", str(many)): 0,
        ("render", str(many), "--format", "curl"): 0,
        ("plan", str(good)): 0,
        ("plan", str(good), "--max-segments", "0"): 1,
        ("send", str(good), "--dry-run"): 0,
        ("rules",): 0,
    }
    for args, expected in runs.items():
        code, err = with_stdout_closed(args, project.root)
        assert code == expected, (args, err)
        assert_quiet(err)
    project.provider_spec("skycore")
    assert with_stdout_closed(["send", str(good)], project.root)[0] == 0
    code, err = with_stdout_closed(["ledger", "show"], project.root)
    assert code == 0, err
    assert_quiet(err)
