"""The composite action in action.yml, run as GitHub runs it: each `run:` step's script with
`bash --noprofile --norc -eo pipefail`, the inputs in the environment variables the step names,
GITHUB_PATH, GITHUB_STEP_SUMMARY and RUNNER_TEMP files, and the action's own folder as
GITHUB_ACTION_PATH. The install step really installs smsspec from this checkout."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT
from tests.e2e.test_diff import CONFIG, SPEC, git

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
_EXPRESSION = re.compile(r"\$\{\{\s*inputs\.([a-z-]+)\s*\}\}")


def _with_inputs(value: Any, inputs: dict[str, str]) -> str:
    """A step's `env:` value with `${{ inputs.NAME }}` replaced, as GitHub evaluates it."""
    defaults = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    return _EXPRESSION.sub(lambda m: inputs.get(m.group(1), defaults[m.group(1)]), str(value))


class Runner:
    """What a GitHub runner gives a composite action's steps, in a temporary folder."""

    def __init__(self, root: Path, workspace: Path) -> None:
        self.workspace = workspace
        self.temp = root / "runner-temp"
        self.temp.mkdir()
        self.path_file = root / "github_path"
        self.summary = root / "step_summary.md"
        self.path_file.touch()
        self.summary.touch()
        # The runner's own python (what actions/setup-python puts on PATH), and nothing of this checkout's venv.
        self.bin = root / "runner-bin"
        self.bin.mkdir()
        base = getattr(sys, "_base_executable", None) or shutil.which("python3") or sys.executable
        (self.bin / "python").symlink_to(base)

    def env(self) -> dict[str, str]:
        added = [line for line in self.path_file.read_text(encoding="utf-8").splitlines() if line]
        return {
            "PATH": os.pathsep.join([*reversed(added), str(self.bin), "/usr/bin", "/bin"]),
            "HOME": os.environ.get("HOME", "/root"),
            "GITHUB_ACTIONS": "true", "CI": "true",
            "GITHUB_ACTION_PATH": str(ROOT), "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_PATH": str(self.path_file), "GITHUB_STEP_SUMMARY": str(self.summary),
            "RUNNER_TEMP": str(self.temp), "NO_COLOR": "1",
            **{k: v for k, v in os.environ.items() if k.startswith(("PIP_", "GIT_")) or k in ("LANG", "LC_ALL")},
        }

    def run_step(self, step: dict[str, Any], inputs: dict[str, str]) -> subprocess.CompletedProcess[str]:
        assert step["shell"] == "bash"
        script = self.temp / "step.sh"
        script.write_text(step["run"], encoding="utf-8")
        env = {**self.env(), **{k: _with_inputs(v, inputs) for k, v in step.get("env", {}).items()}}
        return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=self.workspace,
                              env=env, capture_output=True, text=True, timeout=600, check=False)


def run_steps(runner: Runner) -> list[dict[str, Any]]:
    steps = ACTION["runs"]["steps"]
    assert [s.get("uses", "").split("@")[0] for s in steps if "uses" in s] == ["actions/setup-python"]
    return [s for s in steps if "run" in s]


def test_the_action_declares_its_inputs_and_never_puts_one_into_a_script() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert set(ACTION["inputs"]) == {"command", "paths", "args", "python-version", "extras"}
    for step in ACTION["runs"]["steps"]:
        # An input spliced into a script would run as shell code: inputs reach scripts only
        # through environment variables.
        assert "${{" not in step.get("run", "")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Runner, Path]:
    """A runner on which the action's install step has run (once: it installs smsspec for real)."""
    root = tmp_path_factory.mktemp("action")
    repo = root / "repo"
    (repo / "messages").mkdir(parents=True)
    (repo / "messages" / "smsspec.yaml").write_text(CONFIG, encoding="utf-8")
    (repo / "messages" / "orders.sms.yaml").write_text(SPEC, encoding="utf-8")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "specs")
    git(repo, "checkout", "-q", "-b", "change")
    runner = Runner(root, repo)
    install, _ = run_steps(runner)
    done = runner.run_step(install, {})
    assert done.returncode == 0, done.stdout + done.stderr
    [added] = runner.path_file.read_text(encoding="utf-8").splitlines()
    assert Path(added, "smsspec").exists() and Path(added).is_relative_to(runner.temp)
    return runner, repo


def test_validate_plan_and_diff_run_through_the_action_and_fill_the_job_summary(installed: tuple[Runner, Path]) -> None:
    runner, repo = installed
    _, command = run_steps(runner)

    validated = runner.run_step(command, {"command": "validate", "paths": "messages"})
    assert validated.returncode == 0, validated.stderr
    assert validated.stdout.strip().startswith("ok: checked 1 file and smsspec.yaml, 3 messages")
    assert runner.summary.read_text(encoding="utf-8").startswith("### smsspec validate: ok")

    (repo / "messages" / "orders.sms.yaml").write_text(SPEC.replace("We will miss you.", "Come back soon!"), encoding="utf-8")
    diffed = runner.run_step(command, {"command": "diff", "args": "main --format markdown"})
    assert diffed.returncode == 0, diffed.stderr
    assert "**0 added, 0 removed, 1 changed**" in diffed.stdout and "+Come back soon!" in diffed.stdout
    assert diffed.stdout in runner.summary.read_text(encoding="utf-8")

    gated = runner.run_step(command, {"command": "plan", "paths": "messages\n", "args": "--max-segments 1 --ledger plan.db"})
    assert gated.returncode == 1 and "gate failed: the plan bills 4 segments, over --max-segments 1" in gated.stdout
    assert "### smsspec plan: gate failed" in runner.summary.read_text(encoding="utf-8")


def test_send_runs_through_the_action_against_the_sandbox(installed: tuple[Runner, Path]) -> None:
    runner, _ = installed
    _, command = run_steps(runner)
    sent = runner.run_step(command, {"command": "send", "paths": "messages", "args": "--sandbox --format json"})
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert '"accepted": 4' in sent.stdout


def test_a_wrong_command_or_shell_syntax_in_the_inputs_runs_nothing(installed: tuple[Runner, Path]) -> None:
    runner, _ = installed
    _, command = run_steps(runner)
    wrong = runner.run_step(command, {"command": "rm"})
    assert wrong.returncode == 2 and wrong.stdout.startswith("::error title=smsspec::the command input must be")

    marker = runner.temp / "pwned"
    hostile = runner.run_step(command, {"command": "validate", "paths": f"messages $(touch {marker}) `touch {marker}` *",
                                        "args": f"; touch {marker}"})
    assert not marker.exists()
    assert hostile.returncode == 2  # smsspec was given the words as they are, and refused them
