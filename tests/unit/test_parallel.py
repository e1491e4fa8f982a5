"""Spreading files over processes gives the report one process gives."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from smsspec.validate import parallel
from smsspec.validate.check import CheckResult, check_paths
from tests.conftest import ROOT

CASES = ROOT / "tests" / "cases"
SPEC = """version: 1
account: {account}
messages:
  - id: {id}
    text: "Hi {{{{ name }}}}, see you at {{{{ time }}}}"
    from: "60856"
    campaign: spring
    vars: {{time: "10:00"}}
    to:
      - {{number: "+447400123456", vars: {{name: Ann}}}}
      - {{number: "{number}", vars: {{name: Bob}}}}
"""


def same(a: CheckResult, b: CheckResult) -> None:
    assert (a.files, a.messages) == (b.files, b.messages)
    assert [(d, d.extra) for d in a.diagnostics] == [(d, d.extra) for d in b.diagnostics]


@pytest.fixture
def spread(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Spread even a handful of files, in parts of two, and note when the parts were not used."""
    monkeypatch.setattr(parallel, "MIN_FILES", 1)
    monkeypatch.setattr(parallel, "_MAX_PART", 2)
    monkeypatch.setattr(parallel, "jobs", lambda: 2)
    calls: list[str] = []
    serial = parallel._serial

    def noted(paths: list[str], config_path: str | None) -> CheckResult:
        calls.append("serial")
        return serial(paths, config_path)

    monkeypatch.setattr(parallel, "_serial", noted)
    return calls


def corpus(root: Path, duplicate_across_files: bool) -> None:
    shutil.copy(CASES / "smsspec.yaml", root / "smsspec.yaml")
    for i in range(9):
        number = ["+447400123457", "12345", "+4474001234", "+447400123456"][i % 4]
        account = "skycore" if i != 5 else "skycor"
        ident = f"m{i}" if not (duplicate_across_files and i == 7) else "m0"
        text = SPEC.format(account=account, id=ident, number=number)
        if i == 3:
            text = text.replace("campaign:", "campain:")
        (root / f"f{i}.sms.yaml").write_text(text, encoding="utf-8")


def test_parts_joined_match_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spread: list[str]) -> None:
    corpus(tmp_path, duplicate_across_files=False)
    monkeypatch.chdir(tmp_path)
    alone = check_paths(["."])
    assert alone.diagnostics
    same(parallel.check_for_report(["."]), alone)
    assert spread == []


def test_an_id_used_in_two_parts_is_checked_in_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spread: list[str]) -> None:
    corpus(tmp_path, duplicate_across_files=True)
    monkeypatch.chdir(tmp_path)
    alone = check_paths(["."])
    assert any(d.rule == "SPEC-DUPLICATE-ID" for d in alone.diagnostics)
    same(parallel.check_for_report(["."]), alone)
    assert spread == ["serial"]


def test_every_case_folder_matches(monkeypatch: pytest.MonkeyPatch, spread: list[str]) -> None:
    monkeypatch.chdir(ROOT)
    for folder in sorted(p for p in CASES.iterdir() if p.is_dir()):
        same(parallel.check_for_report([str(folder)]), check_paths([str(folder)]))
    # config-bad's smsspec.yaml has its own diagnostics, which every part repeats: they are kept once


def test_a_configuration_warning_is_reported_once_without_a_second_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spread: list[str]) -> None:
    corpus(tmp_path, duplicate_across_files=False)
    config = (tmp_path / "smsspec.yaml").read_text(encoding="utf-8")
    config = config.replace("endpoint: https://api.example.net/skycore/send", "endpoint: http://127.0.0.1:9/skycore/send", 1)
    config = config.replace("version: 1", "version: 1  # smsspec: disable=PHONE-INVALID -- nothing here to suppress", 1)
    (tmp_path / "smsspec.yaml").write_text(config, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    alone = check_paths(["."])
    in_config = [d.rule for d in alone.diagnostics if d.location.file.endswith("smsspec.yaml")]
    assert "CONFIG-INSECURE-HTTP" in in_config and "SUPPRESSION-UNUSED" in in_config
    same(parallel.check_for_report(["."]), alone)
    assert spread == []


def test_usage_errors_are_the_same(tmp_path: Path, spread: list[str]) -> None:
    from smsspec.errors import UsageError

    for args in ([str(tmp_path / "missing")], ):
        with pytest.raises(UsageError) as one:
            check_paths(args)
        with pytest.raises(UsageError) as other:
            parallel.check_for_report(args)
        assert str(one.value) == str(other.value)
    with pytest.raises(UsageError, match="--config"):
        parallel.check_for_report([str(tmp_path)], str(tmp_path / "nope.yaml"))


def test_a_broken_opt_out_file_is_reported_once_however_the_files_are_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spread: list[str]
) -> None:
    """Every part loads smsspec.yaml and so reads its opt-out files: their problems reach across."""
    corpus(tmp_path, duplicate_across_files=False)
    with (tmp_path / "smsspec.yaml").open("a", encoding="utf-8") as config:
        config.write("opt_out:\n  files: [optouts.txt]\n")
    (tmp_path / "optouts.txt").write_text("+447400123457\nSTOP\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    alone = check_paths(["."])
    assert [d.rule for d in alone.diagnostics].count("OPT-OUT-FILE") == 1
    same(parallel.check_for_report(["."]), alone)
