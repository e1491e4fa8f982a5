"""What the providers' own documentation says, end to end against the sandbox (issue 15).

Each test names the page and the sentence it follows.
"""

from __future__ import annotations

from urllib.parse import parse_qs
from xml.etree import ElementTree

from smsspec.sandbox import Sandbox
from tests.e2e.send_helpers import Project, run_cli


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
