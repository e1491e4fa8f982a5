"""`render --account` selects as plan and send do; `render --format curl --env-refs` prints
commands that run as they are, reading each credential from its environment variable."""

from __future__ import annotations

import subprocess
from pathlib import Path

from smsspec.sandbox import Sandbox, SandboxAccounts
from tests.e2e.send_helpers import MESSAGES, Project, run_cli, subprocess_env

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
# Keys with nothing a payload format escapes: the command inserts the variable's value as it is.
PLAIN = {"T_API_KEY": "plainApiKey2026", "T_USERNAME": "plainUser2026", "T_PASSWORD": "plainPassword2026"}


def test_render_account_selects_that_accounts_messages() -> None:
    specs = [str(p) for p in sorted(EXAMPLES.glob("*.sms.yaml"))]

    out = run_cli(["render", *specs, "--account", "inwise-demo", "--format", "json"])

    assert out.code == 0, out.stderr
    assert {request["account"] for request in out.json()} == {"inwise-demo"}  # type: ignore[attr-defined]
    unknown = run_cli(["render", *specs, "--account", "inwise-dem"])
    assert unknown.code == 2
    assert "--account inwise-dem: no such account" in unknown.stderr


def test_curl_with_env_refs_runs_as_is_and_never_prints_a_value(tmp_path: Path) -> None:
    accounts = SandboxAccounts(
        api_key=PLAIN["T_API_KEY"], username=PLAIN["T_USERNAME"], password=PLAIN["T_PASSWORD"], settings={"realm": "test-realm"}
    )
    with Sandbox(accounts=accounts) as sandbox:
        project = Project(tmp_path, sandbox.url)
        project.write_config()
        specs = [str(project.provider_spec(provider)) for provider in MESSAGES]

        out = run_cli(["render", *specs, "--format", "curl", "--env-refs"], env=PLAIN)
        masked = run_cli(["render", *specs, "--format", "curl"], env=PLAIN)

        assert out.code == 0, out.stderr
        assert not any(value in out.stdout for value in PLAIN.values())
        assert '"$T_API_KEY"' in out.stdout and '"$T_PASSWORD"' in out.stdout
        assert '-u "$T_USERNAME":"$T_API_KEY"' in out.stdout  # HTTP Basic, encoded by curl
        assert "***" in masked.stdout and "$T_API_KEY" not in masked.stdout  # the default is unchanged
        ran = subprocess.run(
            ["bash", "-e", "-c", out.stdout.replace("\ncurl ", "\ncurl -sS -f ")],
            env=subprocess_env(PLAIN), capture_output=True, text=True, timeout=60,
        )
        assert ran.returncode == 0, ran.stderr
        stored = sandbox.messages()
    assert sorted({message["provider"] for message in stored}) == sorted(MESSAGES)
    assert len(stored) == sum(len(recipients) for _, recipients in MESSAGES.values())


def test_env_refs_needs_the_curl_format() -> None:
    out = run_cli(["render", str(EXAMPLES / "inwise.sms.yaml"), "--env-refs"])
    assert out.code == 2
    assert "--env-refs works with --format curl only" in out.stderr
