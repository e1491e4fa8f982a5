"""Hostile and broken spec files get a clear answer from the command line, every time.

Each entry of ``tests/hostile/manifest.yaml`` is run through ``smsspec validate``
and ``smsspec render`` in a fresh interpreter: the exit code is the expected
one, every expected diagnostic is reported as ``file:line:col: error[RULE]``,
and nothing prints a traceback. Inputs too big to commit, or that are not
regular files, are built here (GENERATORS).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from smsspec.load.config import find_config
from tests.conftest import ROOT

HOSTILE = ROOT / "tests" / "hostile"
TIMEOUT = 120  # seconds; a hang is a failure, not a slow pass

HEAD = 'version: 1\naccount: skycore\nmessages:\n  - id: hostile\n    from: "60856"\n'


def _fifty_megabytes(path: Path) -> None:
    line = b'      - "+12015550123"\n'
    with path.open("wb") as out:
        out.write((HEAD + "    text: Hi\n    to:\n").encode())
        chunk = line * 50_000
        for _ in range(50 * 1024 * 1024 // len(chunk) + 1):
            out.write(chunk)


def _million_recipients(path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(HEAD + "    text: Hi\n    to:\n")
        for block in range(100):
            out.write("".join(f'      - "+447400{block:02d}{i:04d}"\n' for i in range(10_000)))


def _long_line_syntax(path: Path) -> None:
    # A million-character value, then a stray token at the end of the same line.
    path.write_text(HEAD + '    text: "' + "A" * 1_000_000 + '" oops\n    to: ["+12015550123"]\n', encoding="utf-8")


def _long_text(path: Path) -> None:
    path.write_text(HEAD + "    text: " + "A" * 1_000_000 + '\n    max_segments: 1\n    to: ["+12015550123"]\n', encoding="utf-8")


def _nested(opening: str, closing: str) -> Callable[[Path], None]:
    def generate(path: Path) -> None:
        deep = opening * 10_000 + closing * 10_000
        path.write_text(HEAD + '    text: Hi\n    to: ["+12015550123"]\n    vars:\n      x: ' + deep + "\n", encoding="utf-8")

    return generate


def _nested_block_lists(path: Path) -> None:
    path.write_text(HEAD + '    text: Hi\n    to: ["+12015550123"]\n    tags:\n      ' + "- " * 10_000 + "x\n", encoding="utf-8")


def _no_config(path: Path) -> None:
    path.write_text(HEAD + '    text: Hi\n    to: ["+12015550123"]\n', encoding="utf-8")


def _directory(path: Path) -> None:
    path.mkdir()


def _broken_symlink(path: Path) -> None:
    path.symlink_to(path.with_name("deleted-target.sms.yaml"))


GENERATORS: dict[str, Callable[[Path], None]] = {
    "fifty-megabytes": _fifty_megabytes,
    "million-recipients": _million_recipients,
    "long-line-syntax": _long_line_syntax,
    "long-text": _long_text,
    "nested-flow-lists": _nested("[", "]"),
    "nested-flow-mappings": _nested("{a: ", "}"),
    "nested-block-lists": _nested_block_lists,
    "no-config": _no_config,
    "directory": _directory,
    "broken-symlink": _broken_symlink,
}

# Known defects, each named after the file and line to fix; strict, so a fix makes the test fail until removed.
KNOWN: dict[str, str] = {}


@dataclass(frozen=True)
class Case:
    file: str
    exit: int
    expect: tuple[tuple[str, int, int], ...]
    generate: str | None

    @property
    def name(self) -> str:
        return self.generate or self.file


def load_manifest() -> list[Case]:
    entries: list[dict[str, Any]] = yaml.safe_load((HOSTILE / "manifest.yaml").read_text(encoding="utf-8"))
    return [
        Case(e["file"], e["exit"], tuple((r, int(line), int(col)) for r, line, col in e["expect"]), e.get("generate"))
        for e in entries
    ]


CASES = load_manifest()


def params() -> list[Any]:
    out = []
    for case in CASES:
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN[case.name])] if case.name in KNOWN else []
        out.append(pytest.param(case, id=case.name, marks=marks))
    return out


def smsspec(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SMSSPEC_DEBUG"}
    env["NO_COLOR"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "smsspec", *args], cwd=cwd, env=env, capture_output=True, text=True,
        encoding="utf-8", errors="replace", timeout=TIMEOUT, check=False,
    )


def place(case: Case, tmp_path: Path) -> Path:
    """The spec to name on the command line (its folder is the working directory)."""
    if case.generate is None:
        return HOSTILE / case.file
    if case.generate == "no-config":
        folder = tmp_path / "no-config"
        folder.mkdir()
        if find_config(folder) is not None:
            pytest.skip(f"an smsspec.yaml above {folder} is in the way")
    else:
        folder = tmp_path / "with-config"
        folder.mkdir()
        shutil.copy(HOSTILE / "smsspec.yaml", folder / "smsspec.yaml")
    path = folder / case.file
    GENERATORS[case.generate](path)
    return path


def diagnostics(output: str) -> set[tuple[str, str, int, int]]:
    """(file, rule, line, column) of every `file:line:col: severity[RULE]` line."""
    found = set()
    for match in re.finditer(r"^(.+?):(\d+):(\d+): (?:error|warning)\[([A-Z0-9-]+)\]", output, re.MULTILINE):
        found.add((match.group(1), match.group(4), int(match.group(2)), int(match.group(3))))
    return found


def test_manifest_names_every_committed_input() -> None:
    named = {case.file for case in CASES if case.generate is None}
    committed = {str(p.relative_to(HOSTILE)) for p in HOSTILE.rglob("*.sms.yaml")}
    assert named == committed
    assert {case.generate for case in CASES if case.generate} == set(GENERATORS)


@pytest.mark.parametrize("command", ["validate", "render"])
@pytest.mark.parametrize("case", params())
def test_hostile_input_gets_a_clear_answer(case: Case, command: str, tmp_path: Path) -> None:
    path = place(case, tmp_path)
    result = smsspec(command, path.name, cwd=path.parent)
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert "internal error" not in output
    assert result.returncode == case.exit, output[-2000:]
    found = diagnostics(result.stdout if command == "validate" else result.stderr)
    shown = {(rule, line, col) for file, rule, line, col in found if file in (path.name, "smsspec.yaml")}
    missing = [e for e in case.expect if e not in shown]
    assert not missing, output[-2000:]
    if case.exit:
        assert found, "a failing input must be reported as file:line:col"
    elif command == "validate":
        assert found == set(), output
    else:
        assert result.stdout.startswith(f"# {path.name}  message "), output


def test_python_tags_run_nothing(tmp_path: Path) -> None:
    marker = Path("/tmp/smsspec-hostile-pwned")
    marker.unlink(missing_ok=True)
    for command in ("validate", "render"):
        smsspec(command, "python-tag.sms.yaml", cwd=HOSTILE)
    assert not marker.exists()


def test_a_folder_of_hostile_inputs_is_checked_in_one_run(tmp_path: Path) -> None:
    """Scanning a folder: one bad file does not stop the others from being checked."""
    folder = tmp_path / "corpus"
    shutil.copytree(HOSTILE, folder, symlinks=True)
    result = smsspec("validate", ".", cwd=folder)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode == 1
    reported = {file for file, *_ in diagnostics(result.stdout)}
    for case in CASES:
        if case.generate is None and case.exit:
            config = str(Path(case.file).parent / "smsspec.yaml")
            assert case.file in reported or config in reported, case.file


def test_text_report_does_not_pass_control_characters_through(tmp_path: Path) -> None:
    shutil.copy(HOSTILE / "smsspec.yaml", tmp_path / "smsspec.yaml")
    (tmp_path / "inject.sms.yaml").write_text(
        'version: 1\naccount: skycore\n"x\\n::error file=README.md,line=1::fake\\e[2J": 1\nmessages: []\n', encoding="utf-8")
    for command in ("validate", "render"):
        result = smsspec(command, "inject.sms.yaml", cwd=tmp_path)
        output = result.stdout + result.stderr
        assert result.returncode == 1
        assert "\x1b" not in output
        assert not any(line.startswith("::") for line in output.splitlines())
