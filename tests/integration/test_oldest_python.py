"""The oldest supported Python: what the project declares, and that the code compiles there.

The full suite on the oldest Python runs in CI in its own virtualenv (see
`.ci/run`); this test keeps the declarations in step with each other and, when
that interpreter is on the machine, compiles every module with it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.integration

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the oldest Python
    tomllib = pytest.importorskip("tomli")

OLDEST = (3, 10)


def pyproject() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def oldest_interpreter() -> str | None:
    """SMSSPEC_OLDEST_PYTHON, pyenv's 3.10, or python3.10 on PATH: the first that runs and is 3.10."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [
        os.environ.get("SMSSPEC_OLDEST_PYTHON"),
        *(str(p) for p in sorted(pyenv.glob(f"{OLDEST[0]}.{OLDEST[1]}.*/bin/python"), reverse=True)),
        shutil.which(f"python{OLDEST[0]}.{OLDEST[1]}"),
    ]
    for candidate in candidates:
        if not candidate:
            continue
        try:
            done = subprocess.run([candidate, "-c", "import sys; print(tuple(sys.version_info[:2]))"],
                                  capture_output=True, text=True, timeout=60)
        except OSError:
            continue
        if done.returncode == 0 and done.stdout.strip() == str(OLDEST):
            return candidate
    return None


def test_the_oldest_python_is_declared_everywhere() -> None:
    config = pyproject()
    project = config["project"]
    assert isinstance(project, dict)
    assert project["requires-python"] == f">={OLDEST[0]}.{OLDEST[1]}"
    versions = sorted(
        tuple(int(part) for part in match.groups())
        for classifier in project["classifiers"]
        if (match := re.fullmatch(r"Programming Language :: Python :: (\d+)\.(\d+)", classifier))
    )
    assert versions[0] == OLDEST and versions == [(3, minor) for minor in range(OLDEST[1], OLDEST[1] + len(versions))]
    tools = config["tool"]
    assert isinstance(tools, dict)
    assert tools["mypy"]["python_version"] == f"{OLDEST[0]}.{OLDEST[1]}"
    assert tools["ruff"]["target-version"] == f"py{OLDEST[0]}{OLDEST[1]}"


def test_every_module_compiles_on_the_oldest_python(tmp_path: Path) -> None:
    python = oldest_interpreter()
    if python is None:
        pytest.skip(f"no Python {OLDEST[0]}.{OLDEST[1]} here (set SMSSPEC_OLDEST_PYTHON)")
    done = subprocess.run(
        [python, "-m", "compileall", "-q", "-f", str(ROOT / "smsspec"), str(ROOT / "tests")],
        capture_output=True, text=True, env={**os.environ, "PYTHONPYCACHEPREFIX": str(tmp_path)}, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
