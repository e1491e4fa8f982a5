"""`smsspec plan`: requests, segments and cost per account, the ledger's skips, and the CI gates."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from smsspec.cli import main
from tests.conftest import ROOT


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for path in (ROOT / "examples").glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout


def specs(project: Path) -> list[str]:
    """The examples whose recipients are written in the spec (the file-backed one needs its CSV)."""
    return sorted(str(p) for p in project.glob("*.sms.yaml") if p.name != "loyalty.sms.yaml")


def test_plan_counts_requests_segments_and_cost_per_account(project: Path) -> None:
    code, out = run("plan", *specs(project), "--format", "json")
    assert code == 0
    report = json.loads(out)
    by_account = {a["account"]: a for a in report["accounts"]}
    skycore = by_account["skycore-demo"]
    assert (skycore["requests"], skycore["recipients"], skycore["segments"]) == (3, 3, 3)
    assert skycore["cost"] == pytest.approx(3 * 0.0079) and skycore["currency"] == "USD"
    sendmachine = by_account["sendmachine-demo"]
    assert sendmachine["recipients"] == 5 and sendmachine["requests"] == 3  # same-text recipients share a request
    assert report["totals"]["segments"] == sum(a["segments"] for a in report["accounts"])
    assert report["gates"] == {"passed": True, "failures": []}


def test_gates_fail_with_exit_1(project: Path) -> None:
    code, out = run("plan", *specs(project), "--max-segments", "5")
    assert code == 1 and "gate failed: the plan bills 13 segments, over --max-segments 5" in out
    code, out = run("plan", str(project / "skycore.sms.yaml"), "--max-cost", "0.01")
    assert code == 1 and "over --max-cost 0.01" in out
    code, out = run("plan", str(project / "skycore.sms.yaml"), "--max-cost", "1")
    assert code == 0
    code, out = run("plan", str(project / "whatcounts.sms.yaml"), "--max-cost", "1")
    assert code == 1 and "cannot be checked for whatcounts-demo" in out


def test_plan_names_the_recipient_whose_variables_cost_more_segments(project: Path) -> None:
    spec = project / "spread.sms.yaml"
    spec.write_text(
        "version: 1\naccount: skycore-demo\nmessages:\n  - id: spread\n    from: \"60856\"\n    campaign: c\n"
        "    text: \"Hello {{ name }}, your order is ready for collection at our store.\"\n    to:\n"
        "      - number: \"+447400123456\"\n        vars: {name: Ann}\n"
        "      - number: \"+447911123456\"\n        vars: {name: \"" + "Bartholomew " * 10 + "\"}\n",
        encoding="utf-8",
    )
    code, out = run("plan", str(spec))
    assert code == 0
    assert "message 'spread' (skycore-demo) needs 1 to 2 segments per recipient; the worst case is +447911123456" in out


def test_plan_shows_what_the_ledger_would_skip(project: Path) -> None:
    assert CliRunner().invoke(main, ["send", str(project / "whatcounts.sms.yaml"), "--sandbox"]).exit_code == 0
    code, out = run("plan", str(project / "whatcounts.sms.yaml"), "--sandbox", "--format", "json")
    assert code == 0
    [account] = json.loads(out)["accounts"]
    assert account["requests"] == 0 and account["skipped"] == {"already-accepted": 1}
    assert not (project / ".smsspec" / "ledger.db").exists()  # the real ledger is untouched
    real = str(project / ".smsspec" / "ledger.db")
    code, out = run("plan", str(project / "whatcounts.sms.yaml"), "--ledger", real, "--format", "json")
    assert code == 0 and json.loads(out)["accounts"][0]["requests"] == 1


def test_plan_refuses_invalid_specs(project: Path) -> None:
    shutil.copytree(ROOT / "examples" / "invalid", project / "invalid")
    code, _ = run("plan", str(project / "invalid"))
    assert code == 1
