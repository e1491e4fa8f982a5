"""Credentials never reach stdout, stderr or the ledger, in any encoding, whatever goes wrong."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus
from xml.sax.saxutils import escape

import pytest

from smsspec.load.config import MIN_CREDENTIAL_CHARS, SANDBOX_CREDENTIAL
from smsspec.render.escapes import query_value
from smsspec.sandbox import Sandbox
from smsspec.sandbox.accounts import SANDBOX_SECRET
from smsspec.sandbox.faults import ECHO_PREFIX
from tests.e2e.send_helpers import (
    API_KEY,
    MESSAGES,
    PASSWORD,
    REALM,
    USERNAME,
    DeliveryOutcome,
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
        query_value(secret),
        quote_plus(escape(secret)),
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


def everything(outcome: DeliveryOutcome) -> str:
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


# --------------------------------------------------------------------------- cuts and plain words

SNIPPET_CUT = 200  # a provider's error text is shown cut to this many characters
PREVIEW_CUT = 40  # the ledger keeps a message text's first 40 characters as its preview
INBOX_CUT = 60  # `send --sandbox` lists each inbox text cut to 60 characters


def fragments(secret: str, size: int = 4) -> set[str]:
    """Every run of ``size`` characters of the secret as written and as a URL carries it."""
    found: set[str] = set()
    for form in (secret, quote(secret, safe=""), quote_plus(secret), query_value(secret), quote_plus(escape(secret))):
        found |= {form[i : i + size] for i in range(len(form) - size + 1)}
    return found


def assert_no_fragment(secret: str, *texts: str) -> None:
    for text in texts:
        for piece in fragments(secret):
            assert piece not in text, f"part of a secret ({piece!r}) leaked into: {text[:3000]}"


def set_realm(project: Project, realm: str) -> None:
    text = project.config.read_text(encoding="utf-8")
    project.config.write_text(text.replace(f"realm: {REALM}", f"realm: {realm}"), encoding="utf-8")


def test_a_provider_answer_quoting_the_url_is_scrubbed_before_it_is_cut(
    project: Project, sandbox: Sandbox
) -> None:
    # A server that quotes the request back, with the password placed across the cut.
    encoded = quote(PASSWORD, safe="")
    before_realm = len(ECHO_PREFIX) + len("GET /api_web?r=")
    realm = "r" * (SNIPPET_CUT - 1 - 10 - len("&p=") - before_realm)  # 10 characters of it fit
    set_realm(project, realm)
    spec = str(project.provider_spec("whatcounts"))
    quoted = f"{ECHO_PREFIX}GET /api_web?r={realm}&p={encoded}"
    assert quoted[SNIPPET_CUT - 1 - 10 : SNIPPET_CUT - 1] == encoded[:10]

    sandbox.add_fault("echo_request", "/api_web")
    text = run_cli(["send", spec])
    sandbox.add_fault("echo_request", "/api_web")
    data = run_cli(["send", spec, "--retry-rejected", "--format", "json"])
    shown = run_cli(["ledger", "show", "--config", str(project.config)])

    assert (text.code, data.code) == (1, 1)
    [row] = data.json()["requests"]
    assert row["error_code"] == "http-400"
    assert f"r={realm}&p=***&c=" in row["error_text"]
    assert len(row["error_text"]) == SNIPPET_CUT
    outputs = [everything(text), everything(data), everything(shown), ledger_files(project)]
    assert_no_fragment(PASSWORD, *outputs)
    assert_clean(*outputs)


@pytest.mark.parametrize("before", [PREVIEW_CUT - 1 - 6, INBOX_CUT - 1 - 6])
def test_a_secret_in_a_message_text_is_scrubbed_before_the_text_is_cut(
    project: Project, sandbox: Sandbox, before: int
) -> None:
    spec = str(project.provider_spec("skycore", text="a" * (before - 1) + " " + PASSWORD))

    sent = run_cli(["send", spec])
    sandboxed = run_cli(["send", spec, "--sandbox"])

    assert (sent.code, sandboxed.code) == (0, 0)
    assert "sandbox inbox" in sandboxed.stdout
    assert_no_fragment(PASSWORD, everything(sent), everything(sandboxed), ledger_files(project))


def test_the_sandbox_credential_works_and_leaves_plain_words_alone(tmp_path: Path) -> None:
    # `smsspec sandbox` accepts "sandbox" everywhere; it is published, not a secret.
    folder = tmp_path / "sandbox-try"
    folder.mkdir()
    with Sandbox() as local:
        project = Project(folder, local.url)
        project.write_config()
        set_realm(project, "sandbox")
        specs = [str(project.provider_spec(p)) for p in sorted(MESSAGES)]
        env = {"T_API_KEY": "sandbox", "T_USERNAME": "sandbox", "T_PASSWORD": "sandbox"}
        text = run_cli(["send", *specs, "--config", str(project.config)], env)
        data = run_cli(["send", *specs, "--dry-run", "--format", "json"], env)
        assert len(local.messages()) == 7

    assert text.code == 0, everything(text)
    assert "***" not in text.stdout
    assert str(project.ledger) in text.stdout
    files = {r["file"] for r in data.json()["skipped"]}
    assert files == set(specs)
    assert {meta["file"] for meta in project.request_metas()} == set(specs)


@pytest.mark.parametrize("value", ["1", "Zq9#x", "sandbox"])
def test_a_credential_too_short_to_be_real_is_refused_without_showing_it(
    project: Project, sandbox: Sandbox, value: str
) -> None:
    project.endpoints[account_name("skycore")] = "https://sms.example.com/skycore/v2/sendsms"
    project.endpoints[account_name("whatcounts")] = "https://sms.example.com/api_web"
    project.write_config()
    specs = [str(project.provider_spec(p)) for p in ("skycore", "whatcounts")]
    env = {"T_API_KEY": value, "T_PASSWORD": value}

    dry = run_cli(["send", *specs, "--dry-run"], env)
    real = run_cli(["send", *specs], env)

    for outcome in (dry, real):
        assert outcome.code == 2
        assert "environment variable T_API_KEY (api_key)" in outcome.stderr
        assert "at least 8 characters" in outcome.stderr
        assert "Traceback" not in everything(outcome)
        if len(value) > 1:
            assert value not in everything(outcome)
    assert "a real send would stop here" in dry.stderr
    assert "nothing was sent" in real.stderr
    assert sandbox.stats()["total"] == 0
    assert not project.request_metas(project.real_ledger) and not project.request_metas()


def test_the_credential_allowed_short_is_the_one_the_sandbox_publishes() -> None:
    assert SANDBOX_CREDENTIAL == SANDBOX_SECRET
    assert len(SANDBOX_CREDENTIAL) < MIN_CREDENTIAL_CHARS


class _QuotingWhatCounts(BaseHTTPRequestHandler):
    """A WhatCounts-like server whose failure line quotes the URL, sent in two chunks that
    split the password between them."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = f"FAILURE: cannot handle {self.path}".encode()
        middle = body.index(query_value(PASSWORD).encode()) + 6
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for part in (body[:middle], body[middle:]):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_a_password_split_across_two_chunks_of_an_answer_is_still_scrubbed(project: Project) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _QuotingWhatCounts)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        project.endpoints[account_name("whatcounts")] = f"http://127.0.0.1:{server.server_address[1]}/api_web"
        project.write_config()
        out = run_cli(["send", str(project.provider_spec("whatcounts")), "--format", "json"])
    finally:
        server.shutdown()
        server.server_close()

    [row] = out.json()["requests"]
    assert row["status"] == "rejected"
    assert row["error_text"].startswith("cannot handle /api_web?r=test-realm&p=***&c=")
    assert_no_fragment(PASSWORD, everything(out), ledger_files(project))
