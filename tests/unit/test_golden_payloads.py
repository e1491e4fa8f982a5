"""The providers' own documented requests, reproduced from specs.

``tests/golden/docs.sms.yaml`` holds one message per documented example;
``tests/golden/expected/<id>.*`` is the payload as the provider's docs show it.
Rendering must give the same parsed JSON, the same XML tree, or the same query
parameters. (Where the docs mask digits, e.g. inwise's 972-58-32XXXXX, real
digits stand in; Sendmachine macros and inwise field_vars are not used because
smsspec renders each recipient's text itself.)
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from smsspec.model import CheckedMessage
from smsspec.render.requests import render_requests
from smsspec.validate.check import check_paths
from tests.conftest import ROOT

GOLDEN = ROOT / "tests" / "golden"
EXPECTED = sorted((GOLDEN / "expected").iterdir())
DOCS_SECRETS = {"api_key": "qTFkykO9JTfahCOqJ0V2Wf5Cg1t8iWlZ", "password": "mypass", "username": "YOUR_API_USERNAME"}


@pytest.fixture(scope="module")
def checked() -> dict[str, CheckedMessage]:
    result = check_paths([str(GOLDEN / "docs.sms.yaml")])
    assert result.errors == 0, [d.message for d in result.diagnostics]
    return {c.message.id: c for c in result.checked}


def test_every_documented_example_has_an_expected_payload(checked: dict[str, CheckedMessage]) -> None:
    assert sorted(checked) == sorted(p.stem for p in EXPECTED)


def tree(element: ET.Element) -> tuple[str, str, list[object]]:
    # The docs pad some values with spaces ("15551234888 "); layout whitespace is not content.
    return (element.tag, (element.text or "").strip(), [tree(child) for child in element])


@pytest.mark.parametrize("expected", EXPECTED, ids=lambda p: p.name)
def test_rendered_payload_equals_the_documented_one(expected: Path, checked: dict[str, CheckedMessage]) -> None:
    message = checked[expected.stem]
    secrets = {name: DOCS_SECRETS[name] for name in message.provider.credentials}
    [request] = list(render_requests(message, secrets))
    documented = expected.read_text(encoding="utf-8")
    if expected.suffix == ".json":
        assert json.loads(request.body) == json.loads(documented)
    elif expected.suffix == ".xml":
        # Skycore HTTP API v1.3: the XML travels form-encoded in the POST variable `xml`.
        [(name, document)] = parse_qsl(request.body, strict_parsing=True)
        assert name == "xml"
        assert request.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
        assert tree(ET.fromstring(document)) == tree(ET.fromstring(documented))
    else:
        assert request.body == ""
        # byte for byte: WhatCounts' examples keep `!` and write spaces as %20
        assert urlsplit(request.url).query == documented.strip().split("?", 1)[1]
        assert urlsplit(request.url).path.endswith("/api_web")


def test_display_rendering_hides_every_secret(checked: dict[str, CheckedMessage]) -> None:
    for message in checked.values():
        for request in render_requests(message):
            shown = json.dumps(request.to_json())
            assert "***" in shown
            for secret in DOCS_SECRETS.values():
                assert secret not in shown
