"""What the providers' own documentation says, end to end against the sandbox (issue 15).

Each test names the page and the sentence it follows.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs
from xml.etree import ElementTree

from smsspec.sandbox import Sandbox
from smsspec.send.ledger import Ledger
from tests.e2e.send_helpers import Project, received, run_cli


def test_skycore_xml_is_sent_form_encoded_in_the_post_variable_xml(project: Project, sandbox: Sandbox) -> None:
    """https://www.skycore.com/help/skycore-http-v1-3/: "POST Request - with XML data passed inside an 'xml'
    variable"; Skycore's E100: "send valid XML inside 'xml' field via POST" (1.3/CONTENTS/APPENDIX/APPENDIX_B.md
    in github.com/ryan-allan/API). The sandbox refuses any other shape with E100."""
    spec = project.provider_spec("skycore-xml")

    out = run_cli(["send", str(spec), "--format", "json"])

    assert out.code == 0, out.stdout + out.stderr
    assert out.json()["summary"]["accepted"] == 1
    [message] = sandbox.messages()
    request = message["request"]
    assert request["headers"]["content-type"].startswith("application/x-www-form-urlencoded")
    form = parse_qs(request["body"], strict_parsing=True)
    assert list(form) == ["xml"]
    root = ElementTree.fromstring(form["xml"][0])
    assert (root.tag, root.findtext("ACTION"), root.findtext("API_KEY")) == ("REQUEST", "sendSMS", "***")
    assert root.findtext("TEXT") == message["text"]


def test_whatcounts_query_is_encoded_as_the_doc_shows_and_the_sandbox_reads_it_back(
    project: Project, sandbox: Sandbox
) -> None:
    """004_3ab2735251f84056.txt: "...&message_text=Thanks!" and "message_text=Your%20message%20is%20delivered":
    `!` is kept, a space is %20; what a query parser reads as a separator (& = + ;) is encoded."""
    text = "Thanks! 50% off & more = yes+1; ok? (a/b) @home ça"
    spec = project.provider_spec("whatcounts", text=text)

    out = run_cli(["send", str(spec), "--format", "json"])

    assert out.code == 0, out.stdout + out.stderr
    [message] = sandbox.messages()
    assert message["text"] == text
    sent = message["request"]["path"].split("&message_text=", 1)[1]
    assert sent == "Thanks!%2050%25%20off%20%26%20more%20%3D%20yes%2B1%3B%20ok?%20(a/b)%20@home%20%C3%A7a"


def test_sendmachine_400_shows_the_reason_from_error_reason_not_http_400(project: Project, sandbox: Sandbox) -> None:
    """SendmachineApiClient.php (github.com/Sendmachine/SendmachineApiClient) reads an error's reason from
    `error_reason`; 001_9b905a786e07397a.txt: "invalid_recipient  Recipient phone number is invalid."."""
    sandbox.accounts.rejections["40712034567"] = "invalid_recipient"
    spec = project.provider_spec("sendmachine")

    out = run_cli(["send", str(spec), "--format", "json"])

    assert out.code == 1, out.stdout + out.stderr
    [row] = out.json()["requests"]
    assert (row["status"], row["http_status"], row["error_code"]) == ("rejected", 400, "invalid_recipient")
    assert row["error_text"] == "Recipient phone number is invalid."
    text = run_cli(["send", str(spec), "--retry-rejected"])
    assert "invalid_recipient Recipient phone number is invalid." in text.stdout
    assert "http-400" not in text.stdout


def test_skycore_request_limit_inside_a_200_answer_is_retried_and_never_a_final_rejection(
    project: Project, sandbox: Sandbox
) -> None:
    """Skycore v1.3 error codes (github.com/ryan-allan/API, 1.3/CONTENTS/APPENDIX/APPENDIX_B.md): "E120 Account
    has reached the API request limit." and "E106 You can call API every X seconds": the request was not
    processed, so it is retried with backoff like a 429 (descriptor `retry_error_codes`); when the attempts run
    out it is `not-sent`, as a 429 is, never the provider's final rejection."""
    sandbox.accounts.rejections["447400123456"] = "E120"
    spec = project.provider_spec("skycore")

    out = run_cli(["send", str(spec), "--format", "json", "--max-attempts", "3"])

    assert out.code == 1, out.stdout + out.stderr
    [row] = out.json()["requests"]
    assert (row["status"], row["attempts"], row["error_code"]) == ("rejected", 3, "not-sent")
    assert "E120 (provider busy)" in row["error_text"]
    assert received(sandbox, "skycore") == 3
    assert sandbox.messages() == []


def test_skycore_operator_not_supported_is_a_final_rejection_with_skycores_meaning(
    project: Project, sandbox: Sandbox
) -> None:
    """APPENDIX_B.md (github.com/ryan-allan/API, Skycore v1.3): "E628 Operator Not supported"."""
    sandbox.accounts.rejections["12015550123"] = "E628"
    spec = project.provider_spec("skycore-xml")

    out = run_cli(["send", str(spec), "--format", "json"])

    assert out.code == 1, out.stdout + out.stderr
    [row] = out.json()["requests"]
    assert (row["status"], row["attempts"], row["error_code"], row["error_text"]) == (
        "rejected", 1, "E628", "Operator Not supported")


def test_inwise_exception_is_a_rejection_with_its_reason_end_to_end(project: Project, sandbox: Sandbox) -> None:
    """002_a95422e87021d54b.txt: "There are more reject reasons as: exception, ..."; the id is read from
    `transaction_id`, as in a real inwise answer seen publicly."""
    sandbox.accounts.rejections["972502345679"] = "exception:no-available-gateways"
    spec = project.provider_spec("inwise")

    out = run_cli(["send", str(spec), "--format", "json"])

    assert out.code == 1, out.stdout + out.stderr
    summary = out.json()["summary"]
    assert (summary["accepted"], summary["rejected"], summary["unknown"]) == (1, 1, 0)
    text = run_cli(["send", str(spec), "--retry-rejected"]).stdout
    assert "no-available-gateways exception" in text
    [stored] = sandbox.messages()
    states = {s.key.recipient: s for s in Ledger.read(project.ledger).states()}
    assert states["+972502345678"].provider_id == stored["provider_id"]


def test_inwise_needs_no_endpoint_it_has_a_fixed_public_url(tmp_path: Path) -> None:
    """https://developers.inwise.com/docs/api/guides/transactional-sms-request-example: "Request URL:
    https://api.inwise.com/rest/v1/transactional/sms/send"."""
    (tmp_path / "smsspec.yaml").write_text(
        "version: 1\naccounts:\n  il:\n    provider: inwise\n    credentials:\n      api_key: ${INWISE_KEY}\n",
        encoding="utf-8")
    spec = tmp_path / "hello.sms.yaml"
    spec.write_text("version: 1\nmessages:\n  - id: hello\n    account: il\n    text: Hi\n    to: ['+972541111111']\n",
                    encoding="utf-8")

    out = run_cli(["render", str(spec), "--format", "json"])

    assert out.code == 0, out.stdout + out.stderr
    [request] = json.loads(out.stdout)
    assert request["url"] == "https://api.inwise.com/rest/v1/transactional/sms/send"


def test_skycore_numbers_keep_the_examples_plus_unless_the_account_asks_for_digits(
    project: Project, sandbox: Sandbox
) -> None:
    """000_8c4a62cb9c375efd.txt's examples send "to": "+10000000001" (the default); Skycore's v2 intro page
    (https://www.skycore.com/help/messaging-api-v2-intro/) says no "special characters such as the plus
    symbol": the account setting `number_format: digits`. `providers show skycore` names both sources."""
    spec = project.provider_spec("skycore")
    assert run_cli(["send", str(spec)]).code == 0
    config = project.config.read_text(encoding="utf-8")
    account = "    provider: skycore\n"
    assert account in config
    project.config.write_text(config.replace(account, account + "    settings:\n      number_format: digits\n"), encoding="utf-8")
    other = project.provider_spec("skycore", message_id="skycore-digits")
    assert run_cli(["send", str(other)]).code == 0

    sent = [json.loads(m["request"]["body"])["to"] for m in sandbox.messages()]
    assert sent == ["+447400123456", "447400123456"]
    shown = run_cli(["providers", "show", "skycore"]).stdout
    assert "000_8c4a62cb9c375efd.txt" in shown and "https://www.skycore.com/help/messaging-api-v2-intro/" in shown
    assert "number_format" in shown


def test_not_sent_deliveries_are_sent_on_the_next_run_without_retry_rejected(project: Project, sandbox: Sandbox) -> None:
    """Issue 15: a delivery recorded `not-sent` never reached the provider's processing (a 503 or 429 that
    outlasted the attempts, a refused connection): nothing can be duplicated, so the next plain run sends it,
    and `plan` counts it to send. A definitive rejection still waits for `--retry-rejected`."""
    spec = project.provider_spec("skycore", to=["+447400123456", "+447911123456"])
    sandbox.add_fault("status_503", "skycore", times=2, retry_after=0.01)
    sandbox.accounts.rejections["447911123456"] = "E628"

    first = run_cli(["send", str(spec), "--format", "json", "--max-attempts", "1"])

    assert first.code == 1, first.stdout + first.stderr
    assert [r["error_code"] for r in first.json()["requests"]] == ["not-sent", "not-sent"]
    plan = run_cli(["plan", str(spec), "--format", "json"])
    assert plan.json()["totals"]["recipients"] == 2, plan.stdout

    second = run_cli(["send", str(spec), "--format", "json"])

    rows = {tuple(r["recipients"]): (r["status"], r["error_code"]) for r in second.json()["requests"]}
    assert rows == {("+447400123456",): ("accepted", None), ("+447911123456",): ("rejected", "E628")}
    assert received(sandbox, "skycore") == 4
    third = run_cli(["send", str(spec), "--format", "json"])
    assert third.json()["summary"]["skipped"] == 2 and received(sandbox, "skycore") == 4  # E628 is definitive
