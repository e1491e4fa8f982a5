"""Secrets never leave the environment through validate, render or the other read-only commands.

Every credential of the case corpus's smsspec.yaml is set to a recognisable
secret; every command runs in a fresh interpreter over a copy of the corpus
(valid specs, invalid specs, broken and missing configuration); the secret
must appear in no output, in no encoding (URL, XML, JSON, shell, Basic auth),
and in no file in the folder afterwards. A secret written into smsspec.yaml
itself (SECRET-LITERAL) is reported without repeating it.

send, the ledger and the sandbox are covered by their own secret tests.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

CASES = ROOT / "tests" / "cases"
TIMEOUT = 120


def secret_for(variable: str) -> str:
    # The alphanumeric core survives every escaping; the rest is there to be escaped.
    return f"zq{variable.lower().replace('_', '')}9x&<>\"'%+= /#;:?"


def core(secret: str) -> str:
    return secret.split("&", 1)[0]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("secrets") / "cases"
    shutil.copytree(CASES, folder)
    return folder


def variables(folder: Path) -> list[str]:
    found: set[str] = set()
    for config in folder.rglob("smsspec.yaml"):
        found.update(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", config.read_text(encoding="utf-8")))
    return sorted(found)


def environment(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SMSSPEC_DEBUG", "GITHUB_ACTIONS")}
    env["NO_COLOR"] = "1"
    env.update({name: secret_for(name) for name in variables(folder)})
    return env


def forbidden(folder: Path) -> list[str]:
    """Every form a leaked secret could take."""
    names = variables(folder)
    forms = [core(secret_for(name)) for name in names]
    for user in names:
        for key in names:
            pair = f"{secret_for(user)}:{secret_for(key)}".encode()
            forms.append(base64.b64encode(pair).decode())
    for name in names:
        raw = secret_for(name).encode()
        forms += [base64.b64encode(raw).decode().rstrip("=")[:-2]]
    return forms


def leaks(text: str, folder: Path) -> list[str]:
    return [form for form in forbidden(folder) if form in text]


def smsspec(folder: Path, *args: str, debug: bool = False) -> subprocess.CompletedProcess[str]:
    env = environment(folder)
    if debug:
        env["SMSSPEC_DEBUG"] = "1"
    return subprocess.run([sys.executable, "-m", "smsspec", *args], cwd=folder, env=env, capture_output=True, text=True,
                          encoding="utf-8", errors="replace", timeout=TIMEOUT, check=False)


VALID = ["common/valid", "skycore/valid", "skycore-xml/valid", "sendmachine/valid", "inwise/valid", "whatcounts/valid"]
INVALID = ["common/invalid", "skycore/invalid", "skycore-xml/invalid", "sendmachine/invalid", "inwise/invalid", "whatcounts/invalid",
           "yaml/invalid", "config-bad"]
COMMANDS: dict[str, tuple[list[str], set[int]]] = {
    "validate-text": (["validate", "."], {1}),
    "validate-json": (["validate", ".", "--format", "json"], {1}),
    "validate-github": (["validate", ".", "--format", "github"], {1}),
    "validate-sarif": (["validate", ".", "--format", "sarif"], {1}),
    "validate-verbose": (["validate", ".", "-v", "--strict"], {1}),
    "validate-quiet": (["validate", ".", "-q"], {1}),
    "validate-valid": (["validate", *VALID, "--format", "json"], {0}),
    "render-text": (["render", *VALID], {0}),
    "render-json": (["render", *VALID, "--format", "json"], {0}),
    "render-curl": (["render", *VALID, "--format", "curl"], {0}),
    "render-one-message": (["render", *VALID, "--message", "short", "--format", "curl"], {0}),
    "render-curl-env-refs": (["render", *VALID, "--format", "curl", "--env-refs"], {0}),
    "render-no-such-message": (["render", *VALID, "--message", "no-such-message"], {2}),
    "render-errors": (["render", *INVALID], {1}),
    "render-debug": (["render", *VALID, "--format", "curl"], {0}),
    "plan": (["plan", *VALID], {0}),
    "plan-json": (["plan", *VALID, "--format", "json"], {0}),
    "missing-config-option": (["validate", "common/valid", "--config", "nothere.yaml"], {2}),
    "missing-path": (["render", "no/such/folder"], {2}),
    "broken-config": (["render", "config-bad"], {1}),
    "providers": (["providers"], {0}),
    "providers-show": (["providers", "show", "skycore"], {0}),
    "providers-show-xml": (["providers", "show", "skycore-xml"], {0}),
    "providers-show-sendmachine": (["providers", "show", "sendmachine"], {0}),
    "providers-show-inwise": (["providers", "show", "inwise"], {0}),
    "providers-show-whatcounts": (["providers", "show", "whatcounts"], {0}),
    "providers-show-unknown": (["providers", "show", "nosuch"], {2}),
    "rules": (["rules"], {0}),
    "rules-explain": (["rules", "explain", "SECRET-LITERAL"], {0}),
    "schema-config": (["schema", "config"], {0}),
    "segments": (["segments", "Hello"], {0}),
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_no_command_shows_a_secret(name: str, corpus: Path) -> None:
    args, codes = COMMANDS[name]
    result = smsspec(corpus, *args, debug=name == "render-debug")
    output = result.stdout + result.stderr
    assert result.returncode in codes, output[-3000:]
    assert "Traceback" not in output
    assert leaks(output, corpus) == []
    if name == "render-curl-env-refs":
        assert '"$' in output and "***" not in output, "the credentials are shown as variable references"
    elif name.startswith("render-") and result.returncode == 0 and "message" not in name:
        assert "***" in output, "the credentials are shown redacted"


def test_a_spec_without_configuration_shows_no_secret(tmp_path: Path, corpus: Path) -> None:
    (tmp_path / "lonely.sms.yaml").write_text((corpus / "skycore" / "valid").glob("*.sms.yaml").__next__().read_text(encoding="utf-8"))
    env = environment(corpus)
    result = subprocess.run([sys.executable, "-m", "smsspec", "render", "lonely.sms.yaml"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert result.returncode == 2 and "CONFIG-NOT-FOUND" in result.stderr
    assert leaks(result.stdout + result.stderr, corpus) == []


def test_report_files_and_the_folder_hold_no_secret(corpus: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    shutil.copytree(corpus, work)
    before = {p.relative_to(work) for p in work.rglob("*")}
    for args in (["validate", ".", "--format", "sarif", "-o", "report.sarif"], ["validate", ".", "--format", "json", "-o", "report.json"],
                 ["render", *VALID, "--format", "json"], ["plan", *VALID], ["fix", *INVALID]):
        smsspec(work, *args)
    after = {p.relative_to(work) for p in work.rglob("*")}
    assert {"report.sarif", "report.json"} <= {str(p) for p in after - before}
    for path in work.rglob("*"):
        if path.is_file():
            assert leaks(path.read_text(encoding="utf-8", errors="replace"), corpus) == [], path


# --------------------------------------------------------------------------
# A secret written into smsspec.yaml is named as a problem, not repeated


LITERAL = "sk_live_LITERAL7q"
# What follows `credentials:` in smsspec.yaml, and the literal secret in it.
LITERAL_CONFIGS = {
    "string": (f"\n      api_key: {LITERAL}", LITERAL),
    "quoted": (f'\n      api_key: "{LITERAL}"', LITERAL),
    "with-reference": (f'\n      api_key: "${{SKY}}{LITERAL}"', LITERAL),
    "misnamed-credential": (f"\n      apikey: {LITERAL}\n      api_key: ${{SKY}}", LITERAL),
    "not-a-mapping": (f" {LITERAL}", LITERAL),
    "in-a-list": (f"\n      api_key: [{LITERAL}]", LITERAL),
    "digits": ("\n      api_key: 8815550123456789", "8815550123456789"),
    "hex-number": ("\n      api_key: 0x5EC7E7C0DE", "0x5EC7E7C0DE"),
    "boolean-like": ("\n      api_key: YES", "YES"),
}


def literal_project(folder: Path, credentials: str) -> Path:
    (folder / "smsspec.yaml").write_text("version: 1\naccounts:\n  skycore:\n    provider: skycore\n"
                                         f"    endpoint: https://api.example.net/send\n    credentials:{credentials}\n", encoding="utf-8")
    (folder / "hi.sms.yaml").write_text('version: 1\naccount: skycore\nmessages:\n  - id: hi\n    from: "60856"\n    text: Hi\n'
                                        '    to: ["+12015550123"]\n', encoding="utf-8")
    return folder


def secret_in_reports(folder: Path, literal: str) -> list[str]:
    """The commands whose output repeats the literal."""
    shown = []
    for args in (["validate", "hi.sms.yaml"], ["validate", "hi.sms.yaml", "--format", "json"],
                 ["validate", "hi.sms.yaml", "--format", "github"], ["validate", "hi.sms.yaml", "--format", "sarif"],
                 ["render", "hi.sms.yaml"]):
        result = subprocess.run([sys.executable, "-m", "smsspec", *args], cwd=folder, capture_output=True, text=True,
                                timeout=TIMEOUT, check=False, env={**os.environ, "NO_COLOR": "1"})
        output = result.stdout + result.stderr
        assert result.returncode == 1, output
        assert "SECRET-LITERAL" in output or "SPEC-TYPE" in output, output
        if literal in output:
            shown.append(" ".join(args))
    return shown


@pytest.mark.parametrize(("credentials", "literal"), LITERAL_CONFIGS.values(), ids=list(LITERAL_CONFIGS))
def test_literal_secret_is_reported_without_repeating_it(credentials: str, literal: str, tmp_path: Path) -> None:
    assert secret_in_reports(literal_project(tmp_path, credentials), literal) == []
