"""`smsspec init`: a new project's files, which validate clean, and never an overwrite by surprise."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from smsspec.providers import registry
from tests.e2e.send_helpers import run_cli, subprocess_env

ROOT = Path(__file__).resolve().parents[2]
WRITTEN = [
    "smsspec.yaml",
    "messages/welcome.sms.yaml",
    "schemas-local/spec.schema.json",
    "schemas-local/config.schema.json",
    ".pre-commit-config.yaml",
]


@pytest.mark.parametrize("provider", registry.ids())
def test_init_writes_a_project_that_validates_clean(tmp_path: Path, provider: str) -> None:
    out = run_cli(["init", str(tmp_path / "project"), "--account", f"main={provider}"])

    assert out.code == 0, out.stderr
    project = tmp_path / "project"
    assert all((project / name).is_file() for name in WRITTEN)
    checked = run_cli(["validate", str(project)])
    assert checked.code == 0, checked.stdout
    assert "1 message: 0 errors, 0 warnings" in checked.stdout
    # Credentials are ${VAR} references, one per credential the provider takes, never a value.
    config = yaml.safe_load((project / "smsspec.yaml").read_text())
    credentials = config["accounts"]["main"]["credentials"]
    assert set(credentials) == set(registry.registry()[provider].credentials)
    assert all(re.fullmatch(r"\$\{MAIN_[A-Z0-9_]+\}", value) for value in credentials.values())
    # The next three commands, and the variables a real send reads.
    assert out.stdout.splitlines()[-3:] == [
        "  smsspec validate                     # check every spec against every rule",
        "  smsspec render messages/             # the exact request each provider would receive",
        "  smsspec send messages/ --sandbox     # send it to a local sandbox; nothing leaves the machine",
    ]
    assert f"cd {project}" in out.stdout
    assert "MAIN_" in out.stdout


def test_init_writes_the_editor_schema_line_and_this_projects_pre_commit_hook(tmp_path: Path) -> None:
    out = run_cli(["init", str(tmp_path), "--account", "a=inwise", "--account", "b=sendmachine"])

    assert out.code == 0, out.stderr
    spec = (tmp_path / "messages/welcome.sms.yaml").read_text()
    assert spec.splitlines()[0] == "# yaml-language-server: $schema=../schemas-local/spec.schema.json"
    assert (tmp_path / "smsspec.yaml").read_text().startswith("# yaml-language-server: $schema=schemas-local/config.schema.json\n")
    hook_ids = {hook["id"] for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    pre_commit = yaml.safe_load((tmp_path / ".pre-commit-config.yaml").read_text())
    assert [hook["id"] for hook in pre_commit["repos"][0]["hooks"]] == ["smsspec-validate"]
    assert "smsspec-validate" in hook_ids
    assert set(yaml.safe_load((tmp_path / "smsspec.yaml").read_text())["accounts"]) == {"a", "b"}


def test_init_never_overwrites_without_force(tmp_path: Path) -> None:
    (tmp_path / "smsspec.yaml").write_text("version: 1\naccounts: {mine: {provider: inwise}}\n")

    refused = run_cli(["init", str(tmp_path), "--account", "main=inwise"])

    assert refused.code == 2
    assert f"not overwriting {tmp_path / 'smsspec.yaml'}" in refused.stderr
    assert "nothing was written" in refused.stderr
    assert (tmp_path / "smsspec.yaml").read_text().startswith("version: 1\naccounts: {mine")
    assert not (tmp_path / "messages").exists()

    forced = run_cli(["init", str(tmp_path), "--account", "main=inwise", "--force"])

    assert forced.code == 0
    assert "main:" in (tmp_path / "smsspec.yaml").read_text()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ([], "no account given: add --account NAME=PROVIDER"),
        (["--account", "main"], "expected NAME=PROVIDER"),
        (["--account", "main=skycor"], "provider 'skycor' is not one of:"),
        (["--account", "-x=inwise"], "account name '-x'"),
        (["--account", "a=inwise", "--account", "a=sendmachine"], "each account needs its own name"),
    ],
)
def test_init_usage_errors_write_nothing(tmp_path: Path, args: list[str], said: str) -> None:
    out = run_cli(["init", str(tmp_path), *args])

    assert out.code == 2
    assert said in out.stderr
    assert list(tmp_path.iterdir()) == []


def test_init_asks_for_the_accounts_on_a_terminal(tmp_path: Path) -> None:
    main, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "smsspec", "init", str(tmp_path)],
        env={**subprocess_env(), "NO_COLOR": "1"},
        stdin=secondary, stdout=subprocess.PIPE, stderr=secondary,
    )
    os.close(secondary)
    seen = b""
    try:
        for prompt, answer in ((b"Provider", b"sendmachine"), (b"Account name", b""), (b"another", b"n")):
            while prompt not in seen:
                chunk = os.read(main, 1024)
                assert chunk, seen
                seen += chunk
            seen = b""
            os.write(main, answer + b"\n")
        process.communicate(timeout=30)
    finally:
        os.close(main)
    assert process.returncode == 0
    config = yaml.safe_load((tmp_path / "smsspec.yaml").read_text())
    assert config["accounts"] == {
        "sendmachine-prod": {
            "provider": "sendmachine",
            "credentials": {"username": "${SENDMACHINE_PROD_USERNAME}", "api_key": "${SENDMACHINE_PROD_API_KEY}"},
        }
    }
