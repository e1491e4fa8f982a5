"""The command-line contracts: output formats, exit codes, and what each command prints."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs

import jsonschema
import pytest
from click.testing import CliRunner

from smsspec.cli import main
from smsspec.providers import registry as providers
from smsspec.validate.catalog import all_rules
from tests.conftest import ROOT

EXAMPLES = ROOT / "examples"
VALID_EXAMPLES = sorted(str(p) for p in EXAMPLES.glob("*.sms.yaml"))
INVALID = str(EXAMPLES / "invalid")
LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<severity>error|warning)\[(?P<rule>[A-Z0-9-]+)\] (?P<message>.+)$")


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_valid_examples_pass_with_exit_0() -> None:
    code, out, _ = run("validate", *VALID_EXAMPLES)
    assert code == 0
    assert out.strip().splitlines()[-1].startswith(f"ok: checked {len(VALID_EXAMPLES)} files")


def test_invalid_examples_print_one_line_per_diagnostic_and_exit_1() -> None:
    code, out, _ = run("validate", INVALID)
    assert code == 1
    lines = out.strip().splitlines()
    diagnostics = [LINE.match(line) for line in lines[:-1]]
    assert all(diagnostics), [line for line, m in zip(lines, diagnostics, strict=False) if not m]
    rules = {m["rule"] for m in diagnostics if m}
    assert {"YAML-NUMBER-AS-STRING", "SKYCORE-MASK-LENGTH", "SPEC-UNKNOWN-FIELD", "WHATCOUNTS-TEXT-LENGTH"} <= rules
    for match in diagnostics:
        assert match and Path(match["file"]).exists() and int(match["line"]) > 0 and int(match["col"]) > 0
    assert lines[-1].startswith("problems found")


def test_json_format_is_one_object_with_the_documented_keys() -> None:
    code, out, _ = run("validate", INVALID, "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert set(report) == {"files", "config_files", "messages", "messages_not_checked", "errors", "warnings", "diagnostics"}
    assert report["errors"] == sum(1 for d in report["diagnostics"] if d["severity"] == "error")
    for diagnostic in report["diagnostics"]:
        assert set(diagnostic) == {"file", "line", "column", "severity", "rule", "message", "message_id"}


def test_strict_turns_warnings_into_failure(tmp_path: Path) -> None:
    (tmp_path / "smsspec.yaml").write_text((EXAMPLES / "smsspec.yaml").read_text())
    spec = tmp_path / "warn.sms.yaml"
    spec.write_text('version: 1\naccount: skycore-demo\nmessages:\n  - id: w\n    from: "60856"\n    campaign: c\n'
                    '    text: "It’s here"\n    to: ["+447400123456"]\n')
    assert run("validate", str(spec))[0] == 0
    code, out, _ = run("validate", str(spec), "--strict")
    assert code == 1 and "TEXT-GSM-LOOKALIKE" in out


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    code, _, err = run("validate", str(tmp_path / "missing.sms.yaml"))
    assert code == 2 and "no such file" in err
    lonely = tmp_path / "lonely.sms.yaml"
    lonely.write_text("version: 1\nmessages: []\n")
    code, out, _ = run("validate", str(lonely))
    assert code == 2 and "CONFIG-NOT-FOUND" in out
    assert run("validate", "--format", "xml")[0] == 2


def test_render_json_lists_exact_requests_with_secrets_redacted() -> None:
    code, out, _ = run("render", *VALID_EXAMPLES, "--format", "json")
    assert code == 0
    requests = json.loads(out)
    assert {r["provider"] for r in requests} == set(providers.ids())
    for request in requests:
        assert set(request) == {"file", "message", "account", "provider", "method", "url", "headers", "body", "recipients"}
        if request["method"] == "GET":
            assert request["body"] == "" and "p=%2A%2A%2A" not in request["url"] and "p=***" in request["url"]
    skycore = next(r for r in requests if r["provider"] == "skycore")
    assert skycore["headers"]["x-api-key"] == "***"
    assert json.loads(skycore["body"])["action"] == "sendsms"
    xml = next(r for r in requests if r["provider"] == "skycore-xml")
    assert "<API_KEY>***</API_KEY>" in parse_qs(xml["body"])["xml"][0]
    sendmachine = [r for r in requests if r["provider"] == "sendmachine"]
    assert any(len(r["recipients"]) > 1 for r in sendmachine), "same-text recipients share a request"
    assert all(r["headers"]["Authorization"] == "Basic ***" for r in sendmachine)


def test_render_filters_by_message_and_refuses_unknown_ids() -> None:
    code, out, _ = run("render", *VALID_EXAMPLES, "--message", "thanks", "--format", "json")
    assert code == 0 and [r["message"] for r in json.loads(out)] == ["thanks"]
    code, _, err = run("render", *VALID_EXAMPLES, "--message", "nope")
    assert code == 2 and "nope" in err


def test_render_text_and_curl_show_the_payloads() -> None:
    code, out, _ = run("render", str(EXAMPLES / "whatcounts.sms.yaml"))
    assert code == 0 and "message_text = 'Thanks!'" in out and "p = '***'" in out
    code, out, _ = run("render", str(EXAMPLES / "skycore.sms.yaml"), "--format", "curl")
    assert code == 0 and out.count("curl -X POST") == 3 and "x-api-key: ***" in out


def test_render_refuses_specs_with_errors() -> None:
    code, out, err = run("render", INVALID)
    assert code == 1 and out == "" and "error[" in err


def test_segments_reports_encoding_units_and_forcing_characters() -> None:
    code, out, _ = run("segments", "Hello Jerry – Greetings from Marc!!", "--format", "json")
    assert code == 0
    analysis = json.loads(out)
    assert analysis["encoding"] == "UCS-2" and analysis["segments"] == 1 and analysis["characters"] == 35
    assert [c["char"] for c in analysis["ucs2_characters"]] == ["–"]
    code, out, _ = run("segments", "x" * 161)
    assert "segments:   2" in out and "GSM-7" in out


def test_providers_list_and_show_every_provider() -> None:
    code, out, _ = run("providers")
    assert code == 0 and all(pid in out for pid in providers.ids())
    for pid in providers.ids():
        code, out, _ = run("providers", "show", pid)
        assert code == 0 and out.startswith(f"{pid}: ") and "Rules" in out and "credentials:" in out
    code, _, err = run("providers", "show", "skycor")
    assert code == 2 and "did you mean 'skycore'" in err


def test_rules_lists_every_rule_and_explains_one() -> None:
    code, out, _ = run("rules")
    assert code == 0
    listed = {line.split()[0] for line in out.splitlines()}
    assert listed == set(all_rules())
    code, out, _ = run("rules", "explain", "skycore-mask-length")
    assert code == 0 and "11 characters" in out and "Fix:" in out
    assert run("rules", "explain", "NOPE")[0] == 2


@pytest.mark.parametrize("which", ["spec", "config"])
def test_schema_command_prints_a_valid_json_schema(which: str) -> None:
    code, out, _ = run("schema", which)
    assert code == 0
    jsonschema.Draft202012Validator.check_schema(json.loads(out))


def test_version_and_module_entry_point() -> None:
    code, out, _ = run("--version")
    assert code == 0 and out.startswith("smsspec, version ")
    done = subprocess.run([sys.executable, "-m", "smsspec", "validate", *VALID_EXAMPLES], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_validate_does_not_import_the_http_stack() -> None:
    probe = (
        "import sys\nfrom smsspec.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print('LOADED:' + ','.join(m for m in ('httpx', 'httpcore', 'smsspec.sandbox', 'smsspec.send') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe, "validate", *VALID_EXAMPLES], capture_output=True, text=True)
    assert done.stdout.strip().splitlines()[-1] == "LOADED:"
