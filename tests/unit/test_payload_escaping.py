"""Payloads carry exactly what the spec says, for any text, sender, campaign and number.

For every provider, hypothesis writes a spec (the text arrives as a variable,
so any Unicode reaches the payload unchanged, through the plain substitution
and through Jinja) and an smsspec.yaml, runs ``check_paths``, and either:

- validation reports an error, and then nothing is rendered; or
- every request, rendered with real credentials, parses with a real parser
  (json, defusedxml, urllib.parse) into exactly the expected fields, elements
  or parameters, holding exactly the text, numbers, sender, campaign, options
  and credential that were written.

A value can therefore never add, drop or change a field. Characters XML 1.0
cannot carry are a validation error (XML-CHARACTER) for the XML provider.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import phonenumbers
import pytest
import yaml
from defusedxml import ElementTree as SafeET
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from smsspec.diagnostics import Severity
from smsspec.model import RenderedRequest
from smsspec.render.requests import render_requests
from smsspec.sms import phones
from smsspec.validate.check import CheckResult, check_paths

ENDPOINT = "https://api.example.net/base/path"
PROVIDERS = ["skycore", "skycore-xml", "sendmachine", "inwise", "whatcounts"]
REGIONS = ["US", "GB", "DE", "FR", "IL", "RO", "IN", "BR", "JP", "AU", "ZA", "MX"]
POOL = sorted({
    phonenumbers.format_number(phonenumbers.example_number_for_type(r, phonenumbers.PhoneNumberType.MOBILE), phonenumbers.PhoneNumberFormat.E164)
    for r in REGIONS
})
# inwise's page shows only Israeli numbers, and smsspec refuses others for it (INWISE-NUMBER-COUNTRY).
ISRAELI = ["+972502345678", "+972541111111", "+972583200000"]
SOURCES = ["{{ t }}", "{{ t|string }}", "{% if true %}{{ t }}{% endif %}"]
NASTY = "<a href=\"x\">&amp; ]]> ' = # % + ? & ; / \\ \r\n\r\t \x85\u2028\u2029 \u200f\u202e😀 é 漢字 {{ 7*7 }} %s {0} \x7f"
# What XML 1.0 cannot carry: C0 controls other than tab, LF and CR, and U+FFFE/U+FFFF.
XML_FORBIDDEN = [chr(c) for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)] + ["\ufffe", "\uffff"]


@dataclass
class Sample:
    provider: str
    text: str
    numbers: list[str]
    source: str = "{{ t }}"
    fields: dict[str, Any] = field(default_factory=dict)  # message fields: from, campaign, ...
    options: dict[str, Any] = field(default_factory=dict)
    credentials: dict[str, str] = field(default_factory=dict)
    realm: str = "realm"


def write(folder: Path, sample: Sample) -> Path:
    account: dict[str, Any] = {
        "provider": sample.provider,
        "endpoint": ENDPOINT,
        "credentials": {name: f"${{PAYLOAD_{name.upper()}}}" for name in sample.credentials},
    }
    if sample.provider == "whatcounts":
        account["settings"] = {"realm": sample.realm}
    config = {"version": 1, "accounts": {"main": account}}
    message: dict[str, Any] = {"id": "payload", **sample.fields, "text": sample.source, "vars": {"t": sample.text}, "to": sample.numbers}
    if sample.options:
        message["options"] = sample.options
    spec = {"version": 1, "account": "main", "messages": [message]}
    for name, data in (("smsspec.yaml", config), ("payload.sms.yaml", spec)):
        dumped = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1_000_000)
        if yaml.safe_load(dumped) != data:  # PyYAML writes some characters (e.g. U+0085) raw that it then reads differently
            dumped = yaml.safe_dump(data, allow_unicode=False, sort_keys=False, width=1_000_000)
        assert yaml.safe_load(dumped) == data
        (folder / name).write_text(dumped, encoding="utf-8")
    return folder / "payload.sms.yaml"


def strict_json(text: str) -> Any:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        assert len(keys) == len(set(keys)), f"duplicate keys in {keys}"
        return dict(pairs)

    return json.loads(text, object_pairs_hook=no_duplicates)


def check_skycore(sample: Sample, requests: list[RenderedRequest]) -> None:
    assert [r.recipients for r in requests] == [(n,) for n in sample.numbers]
    for request, number in zip(requests, sample.numbers, strict=True):
        body = strict_json(request.body)
        expected = {"action": "sendsms", "message-text": sample.text, "to": number, "from": sample.fields["from"]}
        for name, key in (("sender_mask", "from-mask"), ("campaign", "campaign-ref"), ("click_tracking", "click-tracking")):
            if name in sample.fields:
                expected[key] = sample.fields[name]
        assert body == expected
        assert request.headers == {"Content-Type": "application/json; charset=utf-8", "x-api-key": sample.credentials["api_key"]}


def xml_document(request: RenderedRequest) -> str:
    """The XML of a skycore-xml request: form-encoded in the POST variable `xml` (Skycore HTTP API v1.3)."""
    [(name, document)] = parse_qsl(request.body, keep_blank_values=True, strict_parsing=True, errors="strict")
    assert name == "xml"
    return document


def check_skycore_xml(sample: Sample, requests: list[RenderedRequest]) -> None:
    assert [r.recipients for r in requests] == [(n,) for n in sample.numbers]
    for request, number in zip(requests, sample.numbers, strict=True):
        root = SafeET.fromstring(xml_document(request))
        assert (root.tag, root.attrib, root.text) == ("REQUEST", {}, None)
        expected = [("ACTION", "sendSMS"), ("API_KEY", sample.credentials["api_key"])]
        if "spid" in sample.options:
            expected.append(("SPID", sample.options["spid"]))
        expected += [("TO", number.lstrip("+")), ("FROM", sample.fields["from"])]
        if "campaign" in sample.fields:
            expected.append(("CAMPAIGNREF", sample.fields["campaign"]))
        expected.append(("TEXT", sample.text))
        assert [(child.tag, child.text or "") for child in root] == expected
        assert all(child.attrib == {} and len(child) == 0 and child.tail is None for child in root)
        assert request.headers == {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


def check_sendmachine(sample: Sample, requests: list[RenderedRequest]) -> None:
    [request] = requests
    assert request.recipients == tuple(sample.numbers)
    body = strict_json(request.body)
    personalization: dict[str, Any] = {"to": sample.numbers}
    if "metadata" in sample.options:
        personalization["metadata"] = sample.options["metadata"]
    expected: dict[str, Any] = {"personalization": [personalization], "message": sample.text}
    if "type" in sample.fields:
        expected["message_type"] = sample.fields["type"]
    if "campaign" in sample.fields:
        expected["campaign_name"] = sample.fields["campaign"]
    if "click_tracking" in sample.fields:
        expected["click_tracking"] = int(sample.fields["click_tracking"])
    assert body == expected
    user, key = sample.credentials["username"], sample.credentials["api_key"]
    assert set(request.headers) == {"Content-Type", "Authorization"}
    scheme, encoded = request.headers["Authorization"].split(" ")
    assert (scheme, base64.b64decode(encoded).decode("utf-8")) == ("Basic", f"{user}:{key}")


def check_inwise(sample: Sample, requests: list[RenderedRequest]) -> None:
    [request] = requests
    assert request.recipients == tuple(sample.numbers)
    body = strict_json(request.body)
    message: dict[str, Any] = {"content": sample.text}
    for name in ("charset", "unsubscribe_text", "add_unsubscribe_link", "add_unsubscribe_sms_reply"):
        if name in sample.options:
            message[name] = sample.options[name]
    message["to"] = [{"mobile_number": phones.format_number(n, "cc-ndc-sn")} for n in sample.numbers]
    if "click_tracking" in sample.fields:
        message["track_clicks"] = sample.fields["click_tracking"]
    if sample.fields.get("tags"):
        message["tags"] = sample.fields["tags"]
    assert body == {"message": message}
    assert [re.sub(r"\D", "", m["mobile_number"]) for m in body["message"]["to"]] == [n.lstrip("+") for n in sample.numbers]
    assert request.headers == {"Content-Type": "application/json; charset=utf-8", "X-Api-Key": sample.credentials["api_key"]}


def check_whatcounts(sample: Sample, requests: list[RenderedRequest]) -> None:
    assert [r.recipients for r in requests] == [(n,) for n in sample.numbers]
    base = urlsplit(ENDPOINT)
    for request, number in zip(requests, sample.numbers, strict=True):
        assert request.body == "" and request.method == "GET"
        url = urlsplit(request.url)
        assert (url.scheme, url.netloc, url.path, url.fragment) == (base.scheme, base.netloc, base.path, "")
        assert parse_qsl(url.query, keep_blank_values=True, strict_parsing=True) == [
            ("r", sample.realm), ("p", sample.credentials["password"]), ("c", "smssendmessagetophone"),
            ("phone", number.lstrip("+")), ("sender_code", sample.fields["from"]), ("message_text", sample.text),
        ]
        assert request.headers == {}


CHECKS: dict[str, Callable[[Sample, list[RenderedRequest]], None]] = {
    "skycore": check_skycore,
    "skycore-xml": check_skycore_xml,
    "sendmachine": check_sendmachine,
    "inwise": check_inwise,
    "whatcounts": check_whatcounts,
}


def run(folder: Path, sample: Sample) -> tuple[CheckResult, list[RenderedRequest]]:
    result = check_paths([str(write(folder, sample))])
    if any(d.severity is Severity.ERROR for d in result.diagnostics):
        assert result.checked == [], "a message with errors must not be rendered"
        return result, []
    requests = [r for checked in result.checked for r in render_requests(checked, sample.credentials)]
    CHECKS[sample.provider](sample, requests)
    return result, requests


# --------------------------------------------------------------------------
# Strategies

any_text = st.text(st.characters(codec="utf-8"), max_size=200)
texts = st.one_of(any_text, st.sampled_from([NASTY, "]]>", "&amp;", "a=b&c=d#e", "%41+%2B", "\r", "\r\n", "x\u202ey", "😀" * 3]),
                  st.lists(st.sampled_from([*NASTY, "]]>", "&#13;", "<![CDATA[", "-->", "\\u0000", "\x00", "\x1b"]), max_size=30).map("".join))
numbers = st.lists(st.sampled_from(POOL), min_size=1, max_size=3, unique=True)
israeli_numbers = st.lists(st.sampled_from(ISRAELI), min_size=1, max_size=3, unique=True)
secret_chars = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
secrets = st.text(secret_chars, min_size=1, max_size=40)
digits = st.from_regex(r"[0-9]{3,15}", fullmatch=True)
maybe = st.booleans()


@st.composite
def samples(draw: st.DrawFn, provider: str) -> Sample:
    text = draw(texts)
    sample = Sample(provider, text, draw(israeli_numbers if provider == "inwise" else numbers), draw(st.sampled_from(SOURCES)))
    fields, options = sample.fields, sample.options
    if provider in ("skycore", "skycore-xml"):
        plus = "+" if provider == "skycore" and draw(maybe) else ""
        fields["from"] = draw(st.one_of(digits.map(lambda d: plus + d), any_text))
        if draw(maybe):
            fields["campaign"] = draw(texts)
    if provider == "skycore":
        if draw(maybe):
            fields["sender_mask"] = draw(st.text(st.characters(codec="utf-8"), min_size=1, max_size=13))
        if draw(maybe):
            fields["click_tracking"] = draw(maybe)
    if provider == "skycore-xml" and draw(maybe):
        options["spid"] = draw(texts)
    if provider == "sendmachine":
        if draw(maybe):
            fields["campaign"] = draw(texts)
        if draw(maybe):
            fields["type"] = draw(st.sampled_from(["transactional", "campaign"]))
        if draw(maybe):
            fields["click_tracking"] = draw(maybe)
        if draw(maybe):
            options["metadata"] = draw(st.dictionaries(st.text(max_size=10), texts, max_size=3))
    if provider == "inwise":
        if draw(maybe):
            fields["tags"] = draw(st.lists(texts, max_size=3))
        if draw(maybe):
            fields["click_tracking"] = draw(maybe)
        if draw(maybe):
            options["unsubscribe_text"] = draw(texts)
        if draw(maybe):
            options["charset"] = draw(st.sampled_from(["unicode", "utf-8\"}", "<x>"]))
    if provider == "whatcounts":
        fields["from"] = draw(st.one_of(digits, any_text))
        sample.realm = draw(st.text(st.characters(codec="utf-8", exclude_categories=("Cc",)), min_size=1, max_size=30))
    credentials = {"skycore": ["api_key"], "skycore-xml": ["api_key"], "sendmachine": ["username", "api_key"],
                   "inwise": ["api_key"], "whatcounts": ["password"]}[provider]
    sample.credentials = {name: draw(secrets.filter(lambda s: ":" not in s) if name == "username" else secrets) for name in credentials}
    return sample


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("payloads")


@pytest.mark.parametrize("provider", PROVIDERS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_payload_carries_exactly_the_spec(provider: str, folder: Path, data: st.DataObject) -> None:
    run(folder, data.draw(samples(provider)))


@pytest.mark.slow
@pytest.mark.parametrize("provider", PROVIDERS)
@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_payload_carries_exactly_the_spec_long_run(provider: str, folder: Path, data: st.DataObject) -> None:
    run(folder, data.draw(samples(provider)))


# --------------------------------------------------------------------------
# Fixed hostile values: these must render (not just be refused)


HOSTILE_CREDENTIALS = {"api_key": "k&<>\"'=#%+?/;]]>", "username": "u&<>\"'=#%+?/;", "password": "p&=#%+?; x"}


def fixed(provider: str, text: str, **extra: Any) -> Sample:
    pool = ISRAELI if provider == "inwise" else POOL
    sample = Sample(provider, text, [pool[0], pool[1]], "{{ t }}")
    if provider in ("skycore", "skycore-xml", "whatcounts"):
        sample.fields["from"] = "60856"
    if provider in ("skycore", "skycore-xml", "sendmachine"):
        sample.fields["campaign"] = "c&=<>]]>\"'#%+"
    if provider == "whatcounts":
        sample.realm = "realm&p=stolen#x"
    sample.credentials = {name: HOSTILE_CREDENTIALS[name] for name in
                          {"skycore": ["api_key"], "skycore-xml": ["api_key"], "sendmachine": ["username", "api_key"],
                           "inwise": ["api_key"], "whatcounts": ["password"]}[provider]}
    for key, value in extra.items():
        (sample.options if key in ("spid", "metadata", "unsubscribe_text") else sample.fields)[key] = value
    return sample


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("provider", PROVIDERS)
def test_hostile_text_renders_exactly(provider: str, source: str, folder: Path) -> None:
    text = NASTY if provider != "whatcounts" else NASTY[:150]
    sample = fixed(provider, text)
    sample.source = source
    result, requests = run(folder, sample)
    assert requests, [d.message for d in result.diagnostics]


def test_literal_text_without_a_template_renders_exactly(folder: Path) -> None:
    text = NASTY.replace("{{ 7*7 }}", "")
    for provider in PROVIDERS:
        sample = fixed(provider, text[:150])
        sample.source = sample.text
        result, requests = run(folder, sample)
        assert requests, (provider, [d.message for d in result.diagnostics])


def test_carriage_returns_survive_xml(folder: Path) -> None:
    sample = fixed("skycore-xml", "a\rb\r\nc\n\td")
    _, [request, _] = run(folder, sample)
    assert "&#13;" in xml_document(request)
    assert SafeET.fromstring(xml_document(request)).findtext("TEXT") == "a\rb\r\nc\n\td"


def test_a_value_cannot_add_a_query_parameter(folder: Path) -> None:
    sample = fixed("whatcounts", "hi&p=stolen&phone=1#frag")
    sample.fields["from"] = "60856"
    _, requests = run(folder, sample)
    for request in requests:
        names = [name for name, _ in parse_qsl(urlsplit(request.url).query, keep_blank_values=True)]
        assert names == ["r", "p", "c", "phone", "sender_code", "message_text"]


# --------------------------------------------------------------------------
# What XML 1.0 cannot carry is refused before rendering


@pytest.mark.parametrize("char", XML_FORBIDDEN, ids=[f"U+{ord(c):04X}" for c in XML_FORBIDDEN])
@pytest.mark.parametrize("where", ["text", "campaign", "spid"])
def test_xml_forbidden_character_is_a_validation_error(char: str, where: str, folder: Path) -> None:
    value = f"before{char}after"
    if where == "text":
        sample = fixed("skycore-xml", value)
    elif where == "campaign":
        sample = fixed("skycore-xml", "hello", campaign=value)
    else:
        sample = fixed("skycore-xml", "hello", spid=value)
    result, requests = run(folder, sample)
    errors = [(d.rule, d.location.line, d.location.column) for d in result.diagnostics if d.severity is Severity.ERROR]
    assert errors and all(line > 0 and column > 0 for _, line, column in errors)
    if where in ("text", "campaign"):
        assert [rule for rule, _, _ in errors] == ["XML-CHARACTER"]
    assert requests == [] and result.checked == []


@pytest.mark.parametrize("char", ["\t", "\n", "\r", "\x7f", "\x85", "\u2028", "\ufffd", "\U0001f600"])
def test_xml_allowed_characters_render(char: str, folder: Path) -> None:
    _, requests = run(folder, fixed("skycore-xml", f"before{char}after", campaign=f"c{char}"))
    assert len(requests) == 2


@pytest.mark.parametrize("provider", ["skycore", "sendmachine", "inwise", "whatcounts"])
def test_json_and_query_providers_carry_control_characters(provider: str, folder: Path) -> None:
    text = "a\x00b\x01c\x1bd\ufffee"
    _, requests = run(folder, fixed(provider, text))
    assert requests


@example(value="\x00")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(st.characters(codec="utf-8"), min_size=1, max_size=20))
def test_xml_text_is_refused_exactly_when_xml_cannot_carry_it(value: str, tmp_path: Path) -> None:
    result, requests = run(tmp_path, fixed("skycore-xml", "x" + value))
    forbidden = any(c in XML_FORBIDDEN for c in value)
    rules = {d.rule for d in result.diagnostics if d.severity is Severity.ERROR}
    assert ("XML-CHARACTER" in rules) == forbidden
    assert bool(requests) == (not rules)


@pytest.mark.parametrize("endpoint", ["https://api.example.net/api_web#top", "https://api.example.net/api_web?x=1&y=#top",
                                      "https://api.example.net/api_web?x=1"])
def test_query_goes_before_an_endpoint_fragment(endpoint: str, folder: Path) -> None:
    sample = fixed("whatcounts", "hi")
    path = write(folder, sample)
    config = folder / "smsspec.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(ENDPOINT, endpoint), encoding="utf-8")
    result = check_paths([str(path)])
    assert result.errors == 0
    for request in render_requests(result.checked[0], sample.credentials):
        url = urlsplit(request.url)
        assert url.fragment == ""
        own = parse_qsl(urlsplit(endpoint).query, keep_blank_values=True)
        names = [name for name, _ in parse_qsl(url.query, keep_blank_values=True, strict_parsing=True)]
        assert names == [name for name, _ in own] + ["r", "p", "c", "phone", "sender_code", "message_text"]
