"""Text from outside (provider answers, spec file names) never reaches a terminal or a CI log raw.

Every command's text output writes control characters as escapes, so an escape sequence
cannot retitle the terminal and a line break cannot start a ``::error::`` workflow command.
JSON output keeps the values as they are (``json`` escapes them).
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from smsspec.sandbox import Sandbox
from tests.e2e.send_helpers import Project, run_cli

HOSTILE = "bad\x1b]0;pwned\x07\n::error::injected"


def assert_escaped(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text
    assert not [line for line in text.splitlines() if line.lstrip().startswith("::")], text


def test_a_hostile_provider_answer_is_escaped_by_send_and_ledger_show(project: Project, sandbox: Sandbox) -> None:
    sandbox.accounts.rejections["972502345679"] = HOSTILE
    spec = project.provider_spec("inwise")

    sent = run_cli(["send", str(spec)])
    shown = run_cli(["ledger", "show", "--ledger", str(project.ledger)])
    as_json = run_cli(["ledger", "show", "--ledger", str(project.ledger), "--format", "json"])

    assert sent.code == 1, sent.stdout + sent.stderr
    assert shown.code == 0, shown.stdout + shown.stderr
    for out in (sent, shown):
        assert_escaped(out.stdout + out.stderr)
        assert "bad\\x1b]0;pwned\\x07" in out.stdout
    rows = {r["recipient"]: r for r in json.loads(as_json.stdout)["deliveries"]}
    assert rows["+972502345679"]["error_code"].startswith("bad\x1b]0;pwned\x07")  # the record keeps it


def test_a_hostile_spec_file_name_is_escaped_by_every_command(project: Project, sandbox: Sandbox) -> None:
    spec = project.provider_spec("skycore", message_id="hello").rename(
        project.root / "evil\x1b]0;pwned\x07\n::error::x.sms.yaml"
    )
    ledger = ["--ledger", str(project.ledger)]

    runs = {
        "validate": run_cli(["validate", str(spec), "--format", "text"]),
        "render": run_cli(["render", str(spec)]),
        "render curl": run_cli(["render", str(spec), "--format", "curl"]),
        "plan": run_cli(["plan", str(spec), *ledger]),
        "send --dry-run": run_cli(["send", str(spec), "--dry-run", *ledger]),
        "send": run_cli(["send", str(spec), *ledger]),
        "ledger show": run_cli(["ledger", "show", *ledger]),
    }

    for name, out in runs.items():
        assert out.code == 0, (name, out.stdout, out.stderr)
        assert_escaped(out.stdout + out.stderr)
    for name in ("render", "render curl", "send --dry-run", "ledger show"):
        assert "evil\\x1b]0;pwned\\x07\\n::error::x.sms.yaml" in runs[name].stdout, name
    rendered = json.loads(run_cli(["render", str(spec), "--format", "json"]).stdout)
    assert rendered[0]["file"].endswith("evil\x1b]0;pwned\x07\n::error::x.sms.yaml")


def test_curl_commands_quote_control_characters_the_shells_way(project: Project) -> None:
    spec = project.provider_spec("skycore", text="Hi\x1b[2J there\u0085 it's \\ok")

    out = run_cli(["render", str(spec), "--format", "curl"])
    [request] = json.loads(run_cli(["render", str(spec), "--format", "json"]).stdout)

    assert out.code == 0, out.stdout + out.stderr
    assert_escaped(out.stdout)
    quoted = out.stdout.split("--data-binary ", 1)[1].rstrip("\n")
    assert quoted.startswith("$'") and "\\u0085" in quoted
    locale = {**os.environ, "LC_ALL": "C.UTF-8"}  # bash writes $'\\uHHHH' in the locale's encoding
    echoed = subprocess.run(["bash", "-c", f"printf '%s' {quoted}"], capture_output=True, check=True, env=locale)
    assert echoed.stdout.decode("utf-8") == request["body"]  # the command still sends the exact body


def test_a_message_text_line_never_becomes_a_ci_command_in_render(project: Project) -> None:
    spec = project.provider_spec("skycore-xml", text="Hi\n::error::injected\nBye")

    out = run_cli(["render", str(spec)])

    assert out.code == 0, out.stdout + out.stderr
    assert_escaped(out.stdout)
    assert "Hi\\n::error::injected\nBye" in out.stdout  # the other line breaks are kept


def test_a_spec_file_named_like_a_ci_command_starts_no_line(
    project: Project, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox.accounts.rejections["972502345679"] = "unsubscribe"
    project.provider_spec("inwise").rename(project.root / "::error::x.sms.yaml")
    monkeypatch.chdir(project.root)

    dry = run_cli(["send", "::error::x.sms.yaml", "--dry-run"])
    sent = run_cli(["send", "::error::x.sms.yaml"])
    again = run_cli(["send", "::error::x.sms.yaml"])

    assert (dry.code, sent.code, again.code) == (0, 1, 1), sent.stdout + sent.stderr
    for out in (dry, sent, again):
        assert_escaped(out.stdout + out.stderr)
        assert "./::error::x.sms.yaml" in out.stdout
