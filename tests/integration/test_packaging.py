"""The wheel is what `pipx install .` installs: build it, install it in a fresh virtualenv, use it elsewhere.

Installing the wheel fetches smsspec's dependencies from the package index.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from smsspec.providers import registry as providers
from tests.conftest import ROOT

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(importlib.util.find_spec("build") is None, reason="needs build (pip install build)"),
]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    isolation = [] if importlib.util.find_spec("hatchling") is None else ["--no-isolation"]
    done = subprocess.run([sys.executable, "-m", "build", "--wheel", *isolation, "--outdir", str(out), str(ROOT)],
                          capture_output=True, text=True, timeout=540)
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = out.glob("smsspec-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bin/ of a fresh virtualenv with only the wheel (and its dependencies) installed."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    done = subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)],
                          capture_output=True, text=True, timeout=540)
    assert done.returncode == 0, done.stdout + done.stderr
    return bin_dir


def smsspec(bin_dir: Path, *args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "SMSSPEC_", "GITHUB_"))}
    return subprocess.run([str(bin_dir / "smsspec"), *args], capture_output=True, text=True, cwd=cwd,
                          env={**clean, **(env or {})}, timeout=120)


def test_the_wheel_ships_schemas_templates_and_declares_its_pythons(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = Parser().parsestr(archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode())
        entry_points = archive.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert {"smsspec/_data/schemas/spec.schema.json", "smsspec/_data/schemas/config.schema.json", "smsspec/py.typed"} <= names
    for provider in providers.registry().values():
        assert f"smsspec/_data/schemas/providers/{provider.id}.schema.json" in names
        assert f"smsspec/_data/templates/{provider.request.template}" in names
    assert not any(name.startswith(("tests/", "examples/")) for name in names)
    assert metadata["Requires-Python"] == ">=3.10"
    classifiers = metadata.get_all("Classifier") or []
    assert {f"Programming Language :: Python :: 3.{minor}" for minor in (10, 11, 12, 13)} <= set(classifiers)
    assert "smsspec = smsspec.cli:main" in entry_points


def test_the_installed_command_works_from_any_folder(installed: Path, tmp_path: Path) -> None:
    specs = sorted(str(p) for p in (ROOT / "examples").glob("*.sms.yaml"))
    done = smsspec(installed, "validate", *specs, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith(f"ok: checked {len(specs)} files")

    done = smsspec(installed, "validate", str(ROOT / "examples" / "invalid"), cwd=tmp_path)
    assert done.returncode == 1 and "error[SKYCORE-MASK-LENGTH]" in done.stdout  # provider schemas shipped

    done = smsspec(installed, "render", str(ROOT / "examples" / "skycore.sms.yaml"), "--format", "json", cwd=tmp_path)
    assert done.returncode == 0 and '"provider": "skycore"' in done.stdout  # payload templates shipped

    done = smsspec(installed, "schema", "spec", cwd=tmp_path)
    assert done.returncode == 0 and '"$schema"' in done.stdout
    assert smsspec(installed, "--version", cwd=tmp_path).stdout.startswith("smsspec, version ")


@pytest.mark.parametrize(("shell", "marker"), [
    ("bash", "complete -o nosort -F _smsspec_completion smsspec"),
    ("zsh", "#compdef smsspec"),
    ("fish", "complete --no-files --command smsspec"),
])
def test_shell_completion_scripts(installed: Path, tmp_path: Path, shell: str, marker: str) -> None:
    done = smsspec(installed, cwd=tmp_path, env={"_SMSSPEC_COMPLETE": f"{shell}_source"})
    assert done.returncode == 0 and marker in done.stdout


def test_completion_offers_commands_and_options(installed: Path, tmp_path: Path) -> None:
    done = smsspec(installed, cwd=tmp_path, env={"_SMSSPEC_COMPLETE": "bash_complete", "COMP_WORDS": "smsspec val", "COMP_CWORD": "1"})
    assert done.stdout.split() == ["plain,validate"]
    done = smsspec(installed, cwd=tmp_path, env={"_SMSSPEC_COMPLETE": "bash_complete", "COMP_WORDS": "smsspec validate --format ", "COMP_CWORD": "3"})
    assert done.stdout.split() == ["plain,text", "plain,json", "plain,github", "plain,sarif", "plain,markdown"]
