"""Credentials never reach stdout, stderr or the ledger, in any encoding, whatever goes wrong."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import quote, quote_plus
from xml.sax.saxutils import escape

from smsspec.sandbox import Sandbox
from tests.e2e.send_helpers import (
    API_KEY,
    MESSAGES,
    PASSWORD,
    USERNAME,
    Outcome,
    Project,
    account_name,
    closed_port,
    run_cli,
)

WRONG_KEY = "SeCrEt-Wrong/Key&=-999"


def forms(secret: str) -> set[str]:
    return {
        secret,
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        escape(secret),
        base64.b64encode(secret.encode()).decode(),
    }


LEAKS = (
    forms(API_KEY)
    | forms(PASSWORD)
    | forms(USERNAME)
    | forms(WRONG_KEY)
    | {base64.b64encode(f"{USERNAME}:{API_KEY}".encode()).decode()}
)


def assert_clean(*texts: str) -> None:
    for text in texts:
        for leak in LEAKS:
            assert leak not in text, f"a secret ({leak!r}) leaked into: {text[:2000]}"
        assert "SeCrEt" not in text


def everything(outcome: Outcome) -> str:
    return outcome.stdout + outcome.stderr


def ledger_files(project: Project) -> str:
    folder = project.ledger.parent
    return "".join(p.read_text(encoding="utf-8", errors="replace") for p in folder.iterdir()) if folder.exists() else ""


def test_no_secret_in_any_output_or_the_ledger(project: Project, sandbox: Sandbox, tmp_path: Path) -> None:
    specs = [str(project.provider_spec(p)) for p in sorted(MESSAGES)]
    seen: list[str] = []

    seen.append(everything(run_cli(["send", *specs, "--dry-run"])))
    seen.append(everything(run_cli(["send", *specs, "--dry-run", "--format", "json"])))
    for provider in MESSAGES:
        sandbox.add_fault("refuse", provider)
    seen.append(everything(run_cli(["send", *specs, "--read-timeout", "0.5"])))
    for provider in MESSAGES:
        sandbox.add_fault("status_500_after_store", provider)
    seen.append(everything(run_cli(["send", *specs, "--retry-unknown", "--format", "json"])))
    for provider in MESSAGES:
        sandbox.add_fault("hang", provider)
    seen.append(everything(run_cli(["send", *specs, "--retry-unknown", "--read-timeout", "0.3"])))
    for provider in MESSAGES:
        sandbox.add_fault("malformed_body", provider)
    seen.append(everything(run_cli(["send", *specs, "--retry-unknown", "--format", "json"])))
    seen.append(everything(run_cli(["send", *specs, "--retry-unknown"], env={"T_API_KEY": WRONG_KEY})))
    seen.append(everything(run_cli(["send", *specs, "--retry-unknown", "--retry-rejected"])))
    seen.append(everything(run_cli(["send", *specs])))
    seen.append(everything(run_cli(["ledger", "show", "--config", str(project.config)])))
    seen.append(everything(run_cli(["ledger", "show", "--config", str(project.config), "--format", "json"])))
    seen.append(everything(run_cli(["send", *specs, "--retry-unknown"], env={"T_USERNAME": ""})))

    assert_clean(*seen, ledger_files(project))
    assert sandbox.stats()["total"] > 0
    assert "***" in seen[0]  # the dry run shows where the secrets go, masked


def test_the_whatcounts_password_in_the_url_is_masked_even_when_the_connection_fails(
    project: Project, sandbox: Sandbox
) -> None:
    project.endpoints[account_name("whatcounts")] = f"http://127.0.0.1:{closed_port()}/api_web"
    project.write_config()
    spec = str(project.provider_spec("whatcounts"))

    dry = run_cli(["send", spec, "--dry-run", "--format", "json"])
    failed = run_cli(["send", spec, "--max-attempts", "2", "--format", "json"])
    text = run_cli(["send", spec, "--retry-rejected", "--max-attempts", "1"])

    [row] = dry.json()["requests"]
    assert "p=***&" in row["url"]
    assert failed.json()["requests"][0]["error_code"] == "not-sent"
    assert_clean(everything(dry), everything(failed), everything(text), ledger_files(project))
    metas = project.request_metas()
    assert metas and all("p=***&" in meta["url"] for meta in metas)


def test_a_secret_written_into_a_message_text_is_masked_in_what_smsspec_prints(
    project: Project, sandbox: Sandbox
) -> None:
    spec = str(project.provider_spec("skycore", text=f"oops {PASSWORD}"))

    dry = run_cli(["send", spec, "--dry-run"])
    sent = run_cli(["send", spec, "--format", "json"])

    assert sent.code == 0
    assert_clean(everything(dry), everything(sent), ledger_files(project))
