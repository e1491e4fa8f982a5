"""The terminal: colour, --quiet and -v, help texts with examples, `rules explain`, and finding smsspec.yaml."""

from __future__ import annotations

import os
import pty
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from smsspec.cli import main
from smsspec.validate.catalog import all_rules
from smsspec.validate.check import check_paths
from tests.conftest import ROOT

EXAMPLES = ROOT / "examples"
INVALID = EXAMPLES / "invalid"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
DIAGNOSTIC = re.compile(r"^\S+:\d+:\d+: (error|warning)\[[A-Z0-9-]+\] ")


def smsspec_env(**changes: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "GITHUB_ACTIONS", "FORCE_COLOR")}
    env["TERM"] = "xterm-256color"
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run_in_terminal(*args: str, env: dict[str, str]) -> str:
    """Run smsspec with its output on a pseudo-terminal; return what the terminal showed."""
    leader, follower = pty.openpty()
    with subprocess.Popen([sys.executable, "-m", "smsspec", *args], stdin=subprocess.DEVNULL, stdout=follower,
                          stderr=follower, env=env, cwd=ROOT) as process:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait()
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")


def run_piped(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "smsspec", *args], capture_output=True, text=True, env=env, cwd=ROOT)


# --------------------------------------------------------------------------
# Colour


def test_colour_on_a_terminal() -> None:
    shown = run_in_terminal("validate", "examples/invalid", env=smsspec_env())
    assert ANSI.search(shown), shown
    plain = ANSI.sub("", shown)
    assert "error[" in plain and "problems found" in plain
    assert "\x1b[31m" in shown  # errors in red


def test_no_colour_when_no_color_is_set() -> None:
    shown = run_in_terminal("validate", "examples/invalid", env=smsspec_env(NO_COLOR="1"))
    assert "error[" in shown and not ANSI.search(shown)


def test_an_empty_no_color_does_not_turn_colour_off() -> None:
    assert ANSI.search(run_in_terminal("validate", "examples/invalid", env=smsspec_env(NO_COLOR="")))


def test_no_colour_on_a_dumb_terminal() -> None:
    assert not ANSI.search(run_in_terminal("validate", "examples/invalid", env=smsspec_env(TERM="dumb")))


def test_no_colour_when_piped() -> None:
    done = run_piped("validate", "examples/invalid", env=smsspec_env())
    assert done.returncode == 1 and "error[" in done.stdout and not ANSI.search(done.stdout + done.stderr)


def test_machine_formats_never_have_colour_even_on_a_terminal() -> None:
    for fmt in ("json", "sarif", "github"):
        assert not ANSI.search(run_in_terminal("validate", "examples/invalid", "--format", fmt, env=smsspec_env()))


# --------------------------------------------------------------------------
# --quiet and -v


def invoke(*args: str) -> click.testing.Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_quiet_prints_only_errors_and_no_summary() -> None:
    loud = invoke("validate", str(INVALID))
    quiet = invoke("validate", str(INVALID), "-q")
    assert quiet.exit_code == loud.exit_code == 1
    lines = quiet.stdout.splitlines()
    assert lines and all(DIAGNOSTIC.match(line) and "error[" in line for line in lines)
    assert lines == [line for line in loud.stdout.splitlines() if "error[" in line and DIAGNOSTIC.match(line)]


def test_quiet_with_strict_keeps_the_warnings_that_fail_the_run() -> None:
    quiet = invoke("validate", str(INVALID), "--quiet", "--strict")
    assert any("warning[" in line for line in quiet.stdout.splitlines())
    assert "problems found" not in quiet.stdout


def test_quiet_on_a_clean_run_prints_nothing() -> None:
    result = invoke("validate", *sorted(str(p) for p in EXAMPLES.glob("*.sms.yaml")), "-q")
    assert result.exit_code == 0 and result.stdout == ""


def test_quiet_applies_to_machine_formats_too() -> None:
    import json

    report = json.loads(invoke("validate", str(INVALID), "-q", "--format", "json").stdout)
    assert report["diagnostics"] and all(d["severity"] == "error" for d in report["diagnostics"])


def test_verbose_names_each_specs_config_and_the_time_on_stderr() -> None:
    plain = invoke("validate", str(INVALID))
    verbose = invoke("validate", str(INVALID), "-v")
    assert verbose.stdout == plain.stdout
    config = os.path.relpath(EXAMPLES / "smsspec.yaml")
    for spec in sorted(INVALID.glob("*.sms.yaml")):
        assert f"{os.path.relpath(spec)}: config {config}" in verbose.stderr
    assert re.search(r"checked 3 files in \d+\.\d{3} s", verbose.stderr)


def test_quiet_and_verbose_together_are_a_usage_error() -> None:
    result = invoke("validate", str(INVALID), "-q", "-v")
    assert result.exit_code == 2 and "cannot be used together" in result.stderr


# --------------------------------------------------------------------------
# Help texts


def commands(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, click.Command]]:
    yield " ".join(path) or "smsspec", command
    if isinstance(command, click.Group):
        ctx = click.Context(command)  # the root group loads its commands lazily: ask it for them
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None
            yield from commands(sub, (*path, name))


ALL_COMMANDS = dict(commands(main))
# Commands whose help still lacks an example; they live in the send module.
@pytest.mark.parametrize("name", sorted(ALL_COMMANDS))
def test_every_command_has_help_with_an_example(name: str) -> None:
    args = [*name.split()[0 if name != "smsspec" else 1 :], "--help"]
    result = invoke(*args)
    assert result.exit_code == 0
    assert "Example" in result.stdout, result.stdout
    assert re.search(r"^\s+smsspec \S", result.stdout, re.MULTILINE), "an example shows a command line"


def test_the_command_tree_has_the_core_commands() -> None:
    assert {"smsspec", "validate", "render", "segments", "providers", "providers show", "rules", "rules explain", "schema"} <= set(ALL_COMMANDS)


# --------------------------------------------------------------------------
# rules explain


@pytest.mark.parametrize("rule_id", sorted(all_rules()))
def test_rules_explain_every_rule(rule_id: str) -> None:
    rule = all_rules()[rule_id]
    result = invoke("rules", "explain", rule_id.lower())
    assert result.exit_code == 0
    assert result.stdout.startswith(f"{rule_id} ({rule.severity.value}")
    assert rule.summary in result.stdout and f"Fix: {rule.fix}" in result.stdout
    if rule.provider is None:
        assert rule.example, f"{rule_id} needs an example"
    if rule.example:
        assert "Example that triggers it:" in result.stdout
        assert all(f"    {line}" in result.stdout for line in rule.example.splitlines())


# Examples that describe a file rather than show one, or need more than fits in an example.
# The compliance rules need an smsspec.yaml and an opt-out file beside the spec: tests/cases/compliance has them.
DESCRIBED_ONLY = {"FILE-UNREADABLE", "FILE-TOO-LARGE", "YAML-ENCODING", "YAML-ALIAS-LIMIT", "YAML-NESTING",
                  "CONFIG-NOT-FOUND", "TEXT-CHARACTER", "RECIPIENT-OPTED-OUT", "OPT-OUT-FILE", "QUIET-HOURS",
                  "SPEC-FILE-NAME"}
EXAMPLE_BASE = {"id": "example", "text": "Hello", "to": '["+447400123456"]'}
TOP_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*:")


def example_project(example: str, folder: Path) -> Path:
    """A project in which ``example`` is written where it belongs: a whole spec, an smsspec.yaml, or message fields."""
    shutil.copy(ROOT / "tests" / "cases" / "smsspec.yaml", folder / "smsspec.yaml")
    spec = folder / "example.sms.yaml"
    lines = example.splitlines()
    if lines[0].startswith("accounts:"):
        (folder / "smsspec.yaml").write_text("version: 1\n" + example + "\n", encoding="utf-8")
        spec.write_text('version: 1\naccount: prod\nmessages:\n  - id: example\n    text: Hello\n    to: ["+447400123456"]\n')
    elif lines[0].startswith(("version:", "messages:", "#")):
        spec.write_text(example + "\n", encoding="utf-8")
    else:
        given = {match[1] for line in lines if (match := TOP_KEY.match(line))}
        fields = [f"{key}: {value}" for key, value in EXAMPLE_BASE.items() if key not in given] + lines
        body = "\n".join(("  - " if i == 0 else "    ") + line for i, line in enumerate(fields))
        spec.write_text("version: 1\naccount: sendmachine\nmessages:\n" + body + "\n", encoding="utf-8")
    return spec


def test_the_example_project_is_clean_without_an_example(tmp_path: Path) -> None:
    assert check_paths([str(example_project("text: Hello", tmp_path))]).diagnostics == []


@pytest.mark.parametrize("rule_id", sorted(r.id for r in all_rules().values() if r.example and r.id not in DESCRIBED_ONLY))
def test_each_rules_example_triggers_it(rule_id: str, tmp_path: Path) -> None:
    spec = example_project(all_rules()[rule_id].example, tmp_path)
    assert rule_id in {d.rule for d in check_paths([str(spec)]).diagnostics}


# --------------------------------------------------------------------------
# Finding smsspec.yaml


def test_smsspec_yaml_is_found_from_any_working_directory(tmp_path: Path) -> None:
    env = smsspec_env()
    specs = sorted(str(p) for p in EXAMPLES.glob("*.sms.yaml"))
    for cwd in (tmp_path, ROOT, EXAMPLES, INVALID):
        done = subprocess.run([sys.executable, "-m", "smsspec", "validate", *specs], capture_output=True, text=True, env=env, cwd=cwd)
        assert done.returncode == 0, (cwd, done.stdout, done.stderr)
    relative = [os.path.relpath(p, INVALID) for p in specs]
    done = subprocess.run([sys.executable, "-m", "smsspec", "validate", *relative], capture_output=True, text=True, env=env, cwd=INVALID)
    assert done.returncode == 0 and done.stdout.startswith(f"ok: checked {len(specs)} files")


def test_naming_smsspec_yaml_validates_every_spec_of_its_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    by_config = invoke("validate", "examples/smsspec.yaml", "--format", "json")
    by_folder = invoke("validate", "examples", "--format", "json")
    assert by_config.exit_code == by_folder.exit_code == 1
    assert by_config.stdout == by_folder.stdout
