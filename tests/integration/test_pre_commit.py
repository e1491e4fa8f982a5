"""The pre-commit hook, run by the real pre-commit in temporary git repositories.

One test installs the hook the way users do: a `.pre-commit-config.yaml` whose
`repo:` is this checkout at its current commit, `pre-commit install`, and real
`git commit`s. pre-commit builds the hook's virtualenv from that commit; the
environment variables below let pip do it without a network (the virtualenv
sees the packages of the interpreter running the tests).

The other test checks what pre-commit does with many files: it splits them
over several processes, and together they must report exactly what one
`smsspec validate` over the folder reports.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("git") is None, reason="needs git"),
    pytest.mark.skipif(importlib.util.find_spec("pre_commit") is None, reason="needs pre-commit (pip install pre-commit)"),
]

DIAGNOSTIC = re.compile(r"^(?P<file>[^\s:]+\.ya?ml):\d+:\d+: (error|warning)\[[A-Z0-9-]+\] .+$", re.MULTILINE)
CONFIG = """\
version: 1
accounts:
  sky:
    provider: skycore
    endpoint: https://api.example.net/skycore/send
    credentials:
      api_key: ${SKY_KEY}
"""
GOOD = 'version: 1\naccount: sky\nmessages:\n  - id: {id}\n    from: "60856"\n    text: Your order has shipped\n    to: ["+447400123456"]\n'
BAD = 'version: 1\naccount: sky\nmessages:\n  - id: {id}\n    from: 60856\n    sender_mask: DunderMifflinPaper\n    text: "It’s {{{{ name }}}}"\n    to: ["+44 7400 123456"]\n'


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One pre-commit cache for the module, so the hook's environment is built once."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def env(pre_commit_home: Path, tmp_path: Path) -> dict[str, str]:
    git_config = tmp_path / "gitconfig"
    git_config.write_text("[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n")
    values = {
        **os.environ,
        "PRE_COMMIT_HOME": str(pre_commit_home),
        "GIT_CONFIG_GLOBAL": str(git_config),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Spec Writer",
        "GIT_AUTHOR_EMAIL": "writer@example.com",
        "GIT_COMMITTER_NAME": "Spec Writer",
        "GIT_COMMITTER_EMAIL": "writer@example.com",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "NO_COLOR": "1",
    }
    for name in ("GITHUB_ACTIONS", "PRE_COMMIT_NO_CONCURRENCY", "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        values.pop(name, None)
    if base_interpreter_can_build():
        # Offline: the hook's virtualenv sees the base interpreter's packages (smsspec's
        # dependencies and the build backend), so pip needs no index.
        values.update(VIRTUALENV_SYSTEM_SITE_PACKAGES="1", PIP_NO_INDEX="1", PIP_NO_BUILD_ISOLATION="0")
    return values


def base_interpreter_can_build() -> bool:
    """Whether the interpreter under any virtualenv pre-commit makes has smsspec's dependencies and hatchling.

    pre-commit makes the hook's virtualenv from the interpreter it runs on; a
    virtualenv's "system site packages" are those of that interpreter's base
    installation, not of the virtualenv the tests may run in.
    """
    base = sys.executable
    if sys.prefix != sys.base_prefix:  # running in a virtualenv: probe the installation under it
        base = str(Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}")
    probe = "import hatchling, click, yaml, jsonschema, jinja2, httpx, phonenumbers, defusedxml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    return subprocess.run([base, "-I", "-c", probe], capture_output=True, env=env).returncode == 0


def sh(*args: str, cwd: Path, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=540)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {done.returncode}\n{done.stdout}\n{done.stderr}")
    return done


def git_repo(path: Path, env: dict[str, str]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    sh("git", "init", "-q", cwd=path, env=env)
    return path


def head_commit() -> str | None:
    """This checkout's HEAD, if it is a git checkout whose HEAD has the hook manifest."""
    if not (ROOT / ".git").exists():
        return None
    done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        return None
    commit = done.stdout.strip()
    listed = subprocess.run(["git", "cat-file", "-e", f"{commit}:.pre-commit-hooks.yaml"], cwd=ROOT, capture_output=True)
    return commit if listed.returncode == 0 else None


def diagnostics(output: str) -> Counter[str]:
    return Counter(match.group(0) for match in DIAGNOSTIC.finditer(output))


def test_the_hook_lets_good_specs_through_and_stops_bad_ones(tmp_path: Path, env: dict[str, str]) -> None:
    commit = head_commit()
    if commit is None:
        pytest.skip("needs a git checkout whose HEAD commit has .pre-commit-hooks.yaml")
    repo = git_repo(tmp_path / "messages-repo", env)
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {ROOT}\n    rev: {commit}\n    hooks:\n      - id: smsspec-validate\n"
    )
    sh(sys.executable, "-m", "pre_commit", "install", cwd=repo, env=env)
    (repo / "smsspec.yaml").write_text(CONFIG)
    (repo / "messages").mkdir()
    (repo / "messages" / "shipped.sms.yaml").write_text(GOOD.format(id="shipped"))
    sh("git", "add", ".", cwd=repo, env=env)
    good = sh("git", "commit", "-m", "good spec", cwd=repo, env=env, check=False)
    assert good.returncode == 0, good.stdout + good.stderr
    assert re.search(r"smsspec validate\.+Passed", good.stdout + good.stderr)

    (repo / "messages" / "deeper").mkdir()
    (repo / "messages" / "deeper" / "promo.sms.yaml").write_text(BAD.format(id="promo"))
    sh("git", "add", ".", cwd=repo, env=env)
    bad = sh("git", "commit", "-m", "bad spec", cwd=repo, env=env, check=False)
    output = bad.stdout + bad.stderr
    assert bad.returncode != 0, output
    assert re.search(r"smsspec validate\.+Failed", output)
    assert "messages/deeper/promo.sms.yaml:5:11: error[YAML-NUMBER-AS-STRING]" in output
    assert "error[SKYCORE-MASK-LENGTH]" in output and "error[PHONE-FORMAT]" in output
    assert sh("git", "log", "--format=%s", cwd=repo, env=env).stdout.split() == ["good", "spec"]

    # A change to smsspec.yaml alone checks every spec of the project, including the committed ones.
    (repo / "messages" / "deeper" / "promo.sms.yaml").unlink()
    (repo / "smsspec.yaml").write_text(CONFIG.replace("  sky:", "  skycore:"))
    sh("git", "add", "-A", ".", cwd=repo, env=env)
    renamed = sh("git", "commit", "-m", "rename account", cwd=repo, env=env, check=False)
    assert renamed.returncode != 0
    assert "messages/shipped.sms.yaml:2:10: error[SPEC-UNKNOWN-ACCOUNT]" in renamed.stdout + renamed.stderr
    assert "did you mean 'skycore'" in renamed.stdout + renamed.stderr


def write_projects(repo: Path) -> Iterator[Path]:
    """Two projects with their own smsspec.yaml, 30 specs in nested folders, a third of them with problems."""
    for project in ("team-a", "team-b"):
        (repo / project).mkdir()
        (repo / project / "smsspec.yaml").write_text(CONFIG)
        for number in range(15):
            folder = repo / project / f"area{number % 3}" / ("nested" if number % 2 else "")
            folder.mkdir(parents=True, exist_ok=True)
            template = BAD if number % 3 == 0 else GOOD
            path = folder / f"m{number:02}.sms.yaml"
            text = template.format(id=f"m{number:02}")
            if number == 4:  # a suppression, used
                text = text.replace("text: Your order has shipped", 'text: "It’s shipped"  # smsspec: disable=TEXT-GSM-LOOKALIKE -- brand spelling')
            if number == 5:  # a suppression without a reason
                text = text.replace("text: Your order has shipped", 'text: "It’s shipped"  # smsspec: disable=TEXT-GSM-LOOKALIKE')
            path.write_text(text)
            yield path


def test_many_files_in_several_processes_report_what_one_run_over_the_folder_reports(tmp_path: Path, env: dict[str, str]) -> None:
    repo = git_repo(tmp_path / "big-repo", env)
    specs = list(write_projects(repo))
    log = tmp_path / "invocations.log"
    runner = tmp_path / "smsspec-hook"
    runner.write_text(
        f"#!/bin/sh\necho \"$$ $#\" >> '{log}'\nexec '{sys.executable}' -m smsspec validate \"$@\"\n"
    )
    runner.chmod(0o755)
    (repo / ".pre-commit-config.yaml").write_text(
        "repos:\n  - repo: local\n    hooks:\n      - id: smsspec-validate\n        name: smsspec validate\n"
        f"        entry: {runner}\n        language: system\n        files: (\\.sms\\.ya?ml)$\n"
    )
    sh("git", "add", ".", cwd=repo, env=env)
    hook = sh(sys.executable, "-m", "pre_commit", "run", "--all-files", "--verbose", cwd=repo, env=env, check=False)
    assert hook.returncode == 1, hook.stdout + hook.stderr
    from_hook = diagnostics(hook.stdout + hook.stderr)

    one_run = sh(sys.executable, "-m", "smsspec", "validate", ".", cwd=repo, env=env, check=False)
    assert one_run.returncode == 1
    from_folder = diagnostics(one_run.stdout)

    assert from_hook == from_folder
    assert len(from_folder) >= 30
    assert {Path(match.split(":")[0]) for match in from_folder} <= {p.relative_to(repo) for p in specs}
    assert any("SUPPRESSION-REASON" in line for line in from_folder)
    assert not any("m04.sms.yaml" in line and "TEXT-GSM-LOOKALIKE" in line for line in from_folder)

    invocations = [line.split() for line in log.read_text().splitlines()]
    assert sum(int(count) for _, count in invocations) == len(specs), "every file is passed exactly once"
    if (os.cpu_count() or 1) > 1:
        assert len({pid for pid, _ in invocations}) > 1, "pre-commit split the files over several processes"
