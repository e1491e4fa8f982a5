"""On a terminal, send asks before it sends; --yes and pipelines do not ask."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest

from smsspec.sandbox import Sandbox
from tests.e2e.send_helpers import Project, received, subprocess_env


def run_on_terminal(args: list[str], answer: str | None, project: Project) -> tuple[int, str]:
    main, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "smsspec", *args],
        cwd=project.root,
        env={**subprocess_env(), "NO_COLOR": "1"},
        stdin=secondary,
        stdout=subprocess.PIPE,
        stderr=secondary,
    )
    os.close(secondary)
    seen = b""
    try:
        if answer is not None:
            while b"[y/N]" not in seen:
                chunk = os.read(main, 1024)
                if not chunk:
                    break
                seen += chunk
            os.write(main, answer.encode() + b"\n")
        out, _ = process.communicate(timeout=30)
    finally:
        try:
            while chunk := os.read(main, 1024):
                seen += chunk
        except OSError:
            pass
        os.close(main)
    return process.returncode, seen.decode(errors="replace") + out.decode()


@pytest.mark.parametrize(("answer", "code", "sent"), [("n", 1, 0), ("y", 0, 1)])
def test_a_person_at_a_terminal_confirms_first(
    project: Project, sandbox: Sandbox, answer: str, code: int, sent: int
) -> None:
    spec = str(project.provider_spec("whatcounts"))

    returncode, output = run_on_terminal(["send", spec], answer, project)

    assert "Send 1 request to 1 recipient through whatcounts-acct? [y/N]" in output
    assert returncode == code, output
    assert received(sandbox, "whatcounts") == sent


def test_yes_skips_the_question(project: Project, sandbox: Sandbox) -> None:
    spec = str(project.provider_spec("whatcounts"))

    returncode, output = run_on_terminal(["send", spec, "--yes"], None, project)

    assert returncode == 0, output
    assert "[y/N]" not in output
    assert "sending" in output  # the progress bar, on the terminal's stderr
    assert received(sandbox, "whatcounts") == 1
