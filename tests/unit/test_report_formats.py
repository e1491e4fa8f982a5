"""The machine formats of `smsspec validate`: GitHub workflow commands and SARIF 2.1.0."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from smsspec.cli import main
from smsspec.diagnostics import Diagnostic, Location, Severity
from smsspec.report.diagnostics import REPORTERS, Summary, github_annotation, sarif_log
from smsspec.validate.catalog import all_rules
from smsspec.validate.check import check_paths
from tests.conftest import ROOT

EXAMPLES = ROOT / "examples"
INVALID = EXAMPLES / "invalid"
SARIF_SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
ANNOTATION = re.compile(r"^::(?P<level>error|warning) (?P<properties>[^:]*)::(?P<message>.*)$")


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout


def unescape(text: str) -> str:
    """What the GitHub runner does to an escaped value."""
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def parse_annotation(line: str) -> tuple[str, dict[str, str], str]:
    match = ANNOTATION.match(line)
    assert match, line
    properties = dict(item.split("=", 1) for item in match["properties"].split(","))
    return match["level"], {k: unescape(v) for k, v in properties.items()}, unescape(match["message"])


def sarif_validator() -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(SARIF_SCHEMA)
    cls.check_schema(SARIF_SCHEMA)
    return cls(SARIF_SCHEMA, format_checker=cls.FORMAT_CHECKER)


# --------------------------------------------------------------------------
# GitHub


def test_github_annotations_escape_data_and_properties() -> None:
    nasty = Diagnostic(
        "TEXT-EMPTY", Severity.ERROR, "100% wrong,\r\nsee: line 2", Location("dir,with:odd/a%b.sms.yaml", 3, 7)
    )
    line = github_annotation(nasty)
    assert "\n" not in line and "\r" not in line
    assert line == "::error file=dir%2Cwith%3Aodd/a%25b.sms.yaml,line=3,col=7,title=TEXT-EMPTY::100%25 wrong,%0D%0Asee: line 2"
    level, properties, message = parse_annotation(line)
    assert level == "error"
    assert properties == {"file": "dir,with:odd/a%b.sms.yaml", "line": "3", "col": "7", "title": "TEXT-EMPTY"}
    assert message == "100% wrong,\r\nsee: line 2"


def test_github_annotation_without_a_position_names_only_the_file() -> None:
    line = github_annotation(Diagnostic("FILE-UNREADABLE", Severity.WARNING, "gone", Location("x.sms.yaml")))
    assert line == "::warning file=x.sms.yaml,title=FILE-UNREADABLE::gone"


def test_github_format_has_one_annotation_per_diagnostic_then_the_summary(in_tmp: Path) -> None:
    code, out = run("validate", str(INVALID), "--format", "github")
    assert code == 1
    lines = out.strip().splitlines()
    expected = check_paths([str(INVALID)]).diagnostics
    annotations = [parse_annotation(line) for line in lines[:-1]]
    assert len(annotations) == len(expected)
    for (level, properties, message), d in zip(annotations, expected, strict=True):
        assert (level, properties["title"], message) == (d.severity.value, d.rule, d.message)
        assert (int(properties["line"]), int(properties["col"])) == (d.location.line, d.location.column)
        assert Path(properties["file"]).resolve() == Path(d.location.file).resolve()
    assert lines[-1].startswith("problems found: checked 3 files")


def test_github_format_is_the_default_under_github_actions() -> None:
    code, out = run("validate", str(INVALID), env={"GITHUB_ACTIONS": "true"})
    assert code == 1 and out.startswith(("::error ", "::warning "))
    code, out = run("validate", str(INVALID), "--format", "text", env={"GITHUB_ACTIONS": "true"})
    assert code == 1 and not out.startswith("::")
    code, out = run("validate", str(INVALID), env={"GITHUB_ACTIONS": "false"})
    assert not out.startswith("::")


def test_github_paths_are_relative_to_the_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(INVALID)
    code, out = run("validate", ".", "--format", "github", env={"GITHUB_WORKSPACE": str(ROOT)})
    assert code == 1
    files = {parse_annotation(line)[1]["file"] for line in out.splitlines()[:-1]}
    assert files and all(f.startswith("examples/invalid/") for f in files)


# --------------------------------------------------------------------------
# SARIF


def sarif_of(*paths: str) -> dict[str, Any]:
    code, out = run("validate", *paths, "--format", "sarif")
    assert code in (0, 1)
    return json.loads(out)


def test_sarif_output_validates_against_the_official_schema(in_tmp: Path) -> None:
    validator = sarif_validator()
    for paths in ([str(INVALID)], sorted(str(p) for p in EXAMPLES.glob("*.sms.yaml"))):
        log = sarif_of(*paths)
        errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
        assert errors == [], [f"{list(e.absolute_path)}: {e.message}" for e in errors]
    broken = sarif_of(str(INVALID))
    broken["runs"][0]["results"][0]["level"] = "fatal"
    del broken["runs"][0]["tool"]["driver"]["name"]
    assert len(list(validator.iter_errors(broken))) == 2, "the schema must catch a wrong level and a missing name"


def test_sarif_results_match_the_diagnostics(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    log = sarif_of("examples/invalid")
    assert log["version"] == "2.1.0"
    (run_,) = log["runs"]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "smsspec" and driver["version"]
    expected = check_paths(["examples/invalid"]).diagnostics
    results = run_["results"]
    assert len(results) == len(expected)
    for result, d in zip(results, expected, strict=True):
        assert result["ruleId"] == d.rule and result["level"] == d.severity.value
        assert result["message"]["text"] == d.message
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"] == {"uri": d.location.file, "uriBaseId": "%SRCROOT%"}
        assert physical["region"] == {"startLine": d.location.line, "startColumn": d.location.column}
        assert driver["rules"][result["ruleIndex"]]["id"] == d.rule
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"] == ROOT.as_uri() + "/"
    assert run_["columnKind"] == "unicodeCodePoints"


def test_sarif_rules_carry_descriptions_help_with_the_fix_and_default_levels() -> None:
    log = sarif_log(Summary(0, 0, []))
    rules = {rule["id"]: rule for rule in log["runs"][0]["tool"]["driver"]["rules"]}
    catalog = all_rules()
    assert set(rules) == set(catalog)
    for rule_id, rule in rules.items():
        known = catalog[rule_id]
        assert rule["defaultConfiguration"]["level"] == known.severity.value
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert f"Fix: {known.fix}" in rule["help"]["text"]
        if known.example:
            assert known.example.splitlines()[0] in rule["help"]["text"]


def test_sarif_paths_outside_the_root_are_absolute_file_uris(tmp_path: Path) -> None:
    outside = Diagnostic("TEXT-EMPTY", Severity.ERROR, "empty", Location(str(tmp_path / "a b.sms.yaml"), 2, 3))
    log = sarif_log(Summary(1, 1, [outside]), root=str(ROOT))
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": (tmp_path / "a b.sms.yaml").as_uri()}
    assert "%20" in location["uri"]
    assert list(sarif_validator().iter_errors(log)) == []


def test_sarif_written_to_a_file_with_output(tmp_path: Path) -> None:
    target = tmp_path / "smsspec.sarif"
    code, out = run("validate", str(INVALID), "--format", "sarif", "--output", str(target))
    assert code == 1 and out == ""
    assert list(sarif_validator().iter_errors(json.loads(target.read_text(encoding="utf-8")))) == []


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_every_format_reports_a_clean_run(fmt: str) -> None:
    specs = sorted(str(p) for p in EXAMPLES.glob("*.sms.yaml"))
    code, out = run("validate", *specs, "--format", fmt)
    assert code == 0
    if fmt == "sarif":
        assert json.loads(out)["runs"][0]["results"] == []
    elif fmt == "json":
        assert json.loads(out)["diagnostics"] == []
    elif fmt == "markdown":
        assert out.startswith("### smsspec validate: ok\n") and f"Checked {len(specs)} files" in out
    else:
        assert out.strip().splitlines()[-1].startswith(f"ok: checked {len(specs)} files")


# --------------------------------------------------------------------------
# Text from the user's files


def test_control_characters_are_shown_as_escapes_and_cannot_start_a_ci_command() -> None:
    hostile = Diagnostic("SPEC-UNKNOWN-FIELD", Severity.ERROR, "field 'x\n::error file=README.md::fake\x1b[2J'",
                         Location("::warning ::x.sms.yaml", 3, 1))
    text = REPORTERS["text"](Summary(1, 1, [hostile]), lambda t, r: t)
    assert "\x1b" not in text and "\n::" not in text
    assert not any(line.startswith("::") for line in text.splitlines())
    assert "x\\n::error file=README.md::fake\\x1b[2J" in text
    annotation = github_annotation(hostile)
    assert annotation.count("\n") == 0 and "\x1b" not in annotation and annotation.startswith("::error file=%3A%3Awarning %3A%3Ax.sms.yaml,")
