"""The README's Quick start, run as a new user would: its commands, in order, in an empty folder,
through the installed ``smsspec`` executable. A command added to the Quick start is run here too."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def quick_start_commands() -> list[list[str]]:
    """The first ``sh`` block under "## Quick start", one command a line, comments dropped."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None, "the Quick start has a sh block"
    return [shlex.split(line, comments=True) for line in block.group(1).splitlines() if line.strip()]


def executable() -> str:
    beside = Path(sys.executable).parent / "smsspec"
    found = str(beside) if beside.exists() else shutil.which("smsspec")
    assert found, "the smsspec executable is installed (pip install -e .)"
    return found


def test_the_quick_start_runs_from_init_to_send_in_an_empty_folder(tmp_path: Path) -> None:
    commands = quick_start_commands()
    assert next(c[:2] for c in commands if c[0] == "smsspec") == ["smsspec", "init"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSSPEC_")}
    env["NO_COLOR"] = "1"
    cwd = tmp_path
    outputs: dict[str, str] = {}
    for command in commands:
        if command[:3] == ["python", "-m", "pip"]:
            continue  # installed already: this test runs the installed executable
        if command[0] == "cd":
            cwd = cwd / command[1]
            continue
        assert command[0] == "smsspec", f"the Quick start runs only smsspec: {command}"
        ran = subprocess.run(
            [executable(), *command[1:]], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=120,
        )
        shown = " ".join(command)
        assert ran.returncode == 0, f"{shown}\n{ran.stdout}\n{ran.stderr}"
        assert "Traceback" not in ran.stderr
        outputs[command[1]] = ran.stdout

    assert "next:" in outputs["init"]
    assert "1 message: 0 errors, 0 warnings" in outputs["validate"]
    assert "Hi Ann, welcome aboard!" in outputs["render"]
    assert "1 request, 1 recipient, 1 segment" in outputs["plan"]
    assert "accepted  1" in outputs["send"] and "Hi Ann, welcome aboard!" in outputs["send"]
    assert (cwd / ".smsspec" / "sandbox-ledger.db").exists()
    assert not (cwd / ".smsspec" / "ledger.db").exists()  # a sandbox send never touches the real ledger
    assert "welcome" in outputs["status"] and "delivered" in outputs["status"]
