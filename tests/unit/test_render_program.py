"""Rendering a message's requests from a recorded program gives exactly what a full Jinja render gives.

``reference`` below is rendering as it is defined: one full ``template.render``
per request, then headers and redaction. ``render_requests`` must return equal
requests for every provider, text, number, batch size and message field, with
real credentials and redacted; templates whose use of per-request values a
program cannot reproduce are rendered in full. ``json_chunks`` must write what
``json.dumps(request.to_json(), ensure_ascii=False)`` writes.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode

import phonenumbers
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from smsspec.model import VIEW_FIELDS, CheckedMessage, RenderedRequest
from smsspec.providers.registry import Provider
from smsspec.render import program as render_program
from smsspec.render import requests as render
from smsspec.render.escapes import json_value, payload_environment
from smsspec.render.output import json_chunks
from smsspec.render.program import Program, proven, record_program
from smsspec.render.requests import render_requests
from smsspec.sms import encoding, phones
from smsspec.validate.check import check_paths
from tests.conftest import ROOT

PROVIDERS = ["skycore", "skycore-xml", "sendmachine", "inwise", "whatcounts"]
POOL = sorted({
    phonenumbers.format_number(phonenumbers.example_number_for_type(r, phonenumbers.PhoneNumberType.MOBILE), phonenumbers.PhoneNumberFormat.E164)
    for r in ("US", "GB", "DE", "FR", "IL", "RO", "IN", "BR", "JP", "AU")
})
STAND_IN = "SMSSPECREDACTED0X"
TRICKY = [
    "", "\x00", "\x00" + "0" * 16 + ":0\x00", "\x00:1\x00", STAND_IN, f"a{STAND_IN}b", "SMSSPECREDACTED1X", "***",
    "\"", "'", "\\", "&", "&amp;", "<", "]]>", "%", "%41", "+", "=", "#", "?", "\r", "\r\n", "\n", "\t", "\u2028",
    "😀", "é", "漢字", "{{ text }}", "{% if true %}", "%s", "{0}", "\x7f", "\x85", "\ufffe",
]
QUICK = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --------------------------------------------------------------------------
# Rendering as defined: one full Jinja render per request


def reference(checked: CheckedMessage, credentials: Mapping[str, str] | None = None) -> list[RenderedRequest]:
    provider, account, message = checked.provider, checked.account, checked.message
    secrets = dict(credentials) if credentials is not None else {n: f"SMSSPECREDACTED{i}X" for i, n in enumerate(provider.credentials)}
    fields = {name: message.fields.get(name) for name in VIEW_FIELDS}
    options = dict(message.fields.get("options") or {})
    template = render.payload_template(provider)
    out = []
    for group in render.batches(provider, checked.texts):
        numbers = tuple(checked.numbers[i] for i in group)
        formatted = [phones.format_number(n, provider.batching.phone_format) for n in numbers]
        try:
            rendered = template.render(text=checked.texts[group[0]], to=formatted[0], recipients=formatted, message=fields,
                                       options=options, settings=account.settings, credentials=secrets)
        except Exception as exc:  # a template's failure is the provider's, named at its file and line
            raise render._template_error(provider, exc, secrets=credentials is not None) from None
        if provider.request.form_field:
            rendered = urlencode({provider.request.form_field: rendered})
        url, body = account.endpoint or "", rendered
        if provider.request.body_format == "query":
            url = url.partition("#")[0]
            url, body = f"{url}{'&' if '?' in url else '?'}{rendered}", ""
        headers = reference_headers(provider, secrets)
        if credentials is None:
            body, url = hide(body, secrets), hide(url, secrets)
            headers = {k: hide("Basic ***" if k == "Authorization" and v.startswith("Basic ") else v, secrets) for k, v in headers.items()}
        out.append(RenderedRequest(
            file=checked.spec.path, message_id=message.id, account=account.name, provider=provider.id,
            method=provider.request.method, url=url, headers=headers, body=body, recipients=numbers,
            texts=tuple(checked.texts[i] for i in group), segments=sum(encoding.analyze(checked.texts[i] + provider.appended(options)).segments for i in group),
        ))
    return out


def reference_headers(provider: Provider, secrets: Mapping[str, str]) -> dict[str, str]:
    headers = {"Content-Type": f"{provider.request.content_type}; charset=utf-8"} if provider.request.content_type else {}
    auth = provider.request.auth
    if auth.get("type") == "header":
        headers[auth["header"]] = secrets[auth["credential"]]
    elif auth.get("type") == "basic":
        pair = f"{secrets[auth['username']]}:{secrets[auth['password']]}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    return headers


def hide(text: str, stand_ins: Mapping[str, str]) -> str:
    for stand_in in stand_ins.values():
        text = text.replace(stand_in, "***")
    return text


def outcome(produce: Callable[[], object]) -> tuple[object, ...]:
    """What a call gives, or the error it raises: both renderings must fail alike too."""
    try:
        return ("gave", produce())
    except Exception as exc:
        return ("raised", type(exc), str(exc))


def reference_json(requests: Sequence[RenderedRequest]) -> str:
    if not requests:
        return "[]\n"
    return "[" + ",".join("\n  " + json.dumps(r.to_json(), ensure_ascii=False) for r in requests) + "\n]\n"


# --------------------------------------------------------------------------
# Messages: the documented examples, with hypothesis's texts, numbers and fields


@pytest.fixture(scope="module")
def examples() -> dict[str, list[CheckedMessage]]:
    result = check_paths([str(ROOT / "tests" / "golden" / "docs.sms.yaml")])
    assert result.errors == 0
    found: dict[str, list[CheckedMessage]] = {}
    for checked in result.checked:
        found.setdefault(checked.provider.id, []).append(checked)
    assert sorted(found) == sorted(PROVIDERS)
    return found


texts = st.one_of(st.text(st.characters(codec="utf-8"), max_size=60), st.sampled_from(TRICKY),
                  st.lists(st.sampled_from(TRICKY), max_size=6).map("".join))
values = st.recursive(st.none() | st.booleans() | st.integers() | texts,
                      lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3), max_leaves=6)
send_at = st.sampled_from([None, "2020-01-20T13:05:00+02:00", "2026-12-01T10:00:00.5Z", "not a date"])


@st.composite
def messages(draw: st.DrawFn, examples: Mapping[str, list[CheckedMessage]], provider_id: str) -> CheckedMessage:
    base = draw(st.sampled_from(examples[provider_id]))
    provider = base.provider
    if provider.batching.group_by_text:
        provider = replace(provider, batching=replace(provider.batching, per_request=draw(st.sampled_from([None, 1, 2, 3, 99]))))
    pool = draw(st.lists(texts, min_size=1, max_size=3))  # few texts, so that recipients share requests
    numbers = draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=12))
    fields = dict(base.message.fields)
    for name in ("from", "sender_mask", "campaign", "type", "tags", "click_tracking"):
        if draw(st.booleans()):
            fields[name] = draw(values)
    fields["send_at"] = draw(send_at) if draw(st.booleans()) else fields.get("send_at")
    if draw(st.booleans()):
        fields["options"] = draw(st.dictionaries(st.sampled_from(["spid", "metadata", "charset", "unsubscribe_text", "async"]), values, max_size=3))
    account = base.account
    if provider_id == "whatcounts":
        account = replace(account, settings={"realm": draw(texts)}, endpoint=draw(st.sampled_from([account.endpoint, "https://x.test/a?b=1#f", None])))
    return replace(base, provider=provider, account=account, message=replace(base.message, fields=fields),
                   numbers=tuple(numbers), texts=tuple(draw(st.sampled_from(pool)) for _ in numbers))


def credentials_for(provider: Provider) -> st.SearchStrategy[dict[str, str] | None]:
    secret = st.one_of(st.text(st.characters(codec="utf-8"), min_size=1, max_size=20), st.sampled_from(TRICKY[1:]))
    return st.none() | st.fixed_dictionaries({name: secret for name in provider.credentials})


# --------------------------------------------------------------------------
# Differential: programs against full renders


@pytest.mark.parametrize("provider_id", PROVIDERS)
@QUICK
@given(data=st.data())
def test_requests_equal_full_renders(provider_id: str, examples: dict[str, list[CheckedMessage]], data: st.DataObject) -> None:
    checked = data.draw(messages(examples, provider_id))
    credentials = data.draw(credentials_for(checked.provider))
    fast = outcome(lambda: list(render_requests(checked, credentials)))
    assert fast == outcome(lambda: reference(checked, credentials))
    if fast[0] == "gave":
        requests = cast(list[RenderedRequest], fast[1])
        assert "".join(json_chunks(requests)) == reference_json(requests)


@pytest.mark.parametrize("provider_id", PROVIDERS)
@QUICK
@given(data=st.data())
def test_a_program_writes_what_the_template_writes(provider_id: str, examples: dict[str, list[CheckedMessage]], data: st.DataObject) -> None:
    checked = data.draw(messages(examples, provider_id))
    template, recording = render.payload_template(checked.provider), render._provider_templates(checked.provider).recording
    assert recording is not None, "every shipped template is one a program can reproduce"
    constants = render._MessageRenderer.of(checked, data.draw(credentials_for(checked.provider))).constants
    size = data.draw(st.integers(1, 5))
    program = record_program(recording, size, constants)
    if outcome(lambda: template.render(text="", to=POOL[0], recipients=POOL[:size], **constants))[0] == "raised":
        assert program is None  # e.g. an invalid send_at: no program, and the full render raises as it always did
        return
    assert isinstance(program, Program)
    for _ in range(3):
        text = data.draw(texts)
        formatted = [phones.format_number(n, checked.provider.batching.phone_format) for n in data.draw(st.lists(st.sampled_from(POOL), min_size=size, max_size=size))]
        assert program.body(text, formatted) == template.render(text=text, to=formatted[0], recipients=formatted, **constants)


@pytest.mark.parametrize("provider_id", PROVIDERS)
def test_only_the_first_request_of_each_size_is_rendered_in_full(provider_id: str, examples: dict[str, list[CheckedMessage]],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    checked = examples[provider_id][0]
    checked = replace(checked, numbers=tuple(POOL * 3), texts=tuple(f"text {i % 2}" for i in range(len(POOL) * 3)))
    if checked.provider.batching.group_by_text:
        checked = replace(checked, provider=replace(checked.provider, batching=replace(checked.provider.batching, per_request=4)))
    expected = reference(checked)
    template = render.payload_template(checked.provider)
    calls: list[int] = []
    real = template.render

    def counted(*args: Any, **kwargs: Any) -> str:
        calls.append(len(kwargs["recipients"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(template, "render", counted)
    requests = list(render_requests(checked))
    assert requests == expected
    assert len(requests) > 2 * len(set(calls))
    assert sorted(calls) == sorted({len(r.recipients) for r in requests})


@settings(max_examples=200, deadline=None)
@given(value=values)
@example(value="\u2028\x00</script>")
def test_json_filter_writes_what_json_dumps_writes(value: object) -> None:
    assert json_value(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# --------------------------------------------------------------------------
# Templates a program cannot reproduce are rendered in full


def custom(tmp: Path, base: CheckedMessage, source: str) -> CheckedMessage:
    """The message sent through a provider of our own: ``base``'s descriptor with this template."""
    name = "t" + hashlib.sha256(source.encode()).hexdigest()[:16]  # templates are cached by provider id
    (tmp / f"{name}.json.j2").write_text(source, encoding="utf-8")
    provider = replace(base.provider, id=f"test-{name}", template_dir=tmp, request=replace(base.provider.request, template=f"{name}.json.j2"))
    return replace(base, provider=provider)


PROVEN = [
    '{"t":{{ text|json }},"n":{{ to|json }}}',
    '{% for n in recipients %}{% if not loop.first %},{% endif %}{{ loop.index }}/{{ loop.length }}={{ n|xml|q }}{% endfor %}',
    '{{ recipients|json }}{{ recipients|xml }}{{ to|q|json }}{{ text|xml|json }}',
    '{% set a = options.get("x", 1) %}{% for k, v in message.items() %}{{ k|json }}{% endfor %}{{ a|json }}{{ text|json }}',
    '{% for x in range(2) %}{% for n in recipients %}{{ n|json }}{{ loop.cycle("a", "b") }}{% endfor %}{% endfor %}{{ text|json }}',
]
REFUSED = [
    "{{ text }}", "{{ text|upper }}", "{{ text|json|upper }}", "{{ text|json(indent=1) }}", "{{ (text|json) ~ '' }}",
    "{% if text %}x{% endif %}", "{{ to|length }}", "{{ recipients|length }}", "{% for c in to %}{{ c|json }}{% endfor %}",
    "{% for n in recipients if n %}{{ n|json }}{% endfor %}", "{% for a, b in recipients %}{{ a|json }}{% endfor %}",
    "{% for n in recipients %}{{ n }}{% endfor %}", "{% for n in recipients %}{{ loop.previtem|json }}{% endfor %}",
    "{% for n in recipients %}{{ loop.changed(n)|json }}{% endfor %}", "{% for n in recipients %}{{ loop|json }}{% endfor %}",
    "{% set x = text %}{{ x|json }}", "{% set text = 'a' %}{{ text|json }}", "{% set t %}{{ text|json }}{% endset %}{{ t|upper }}",
    "{% filter upper %}{{ text|json }}{% endfilter %}", "{% macro m() %}{{ text|json }}{% endmacro %}{{ m()|upper }}",
    "{{ [1, 2]|random }}{{ text|json }}", "{{ options.pop('x', 1)|json }}{{ text|json }}", "{{ lipsum(1) }}{{ text|json }}",
    "{% set range = options.pop %}{{ range('x', 1) }}{{ text|json }}", "{{ text.upper()|json }}", "{{ text['x']|json }}",
    "{% for n in recipients %}{% for n in [1] %}{% endfor %}{{ n|json }}{% endfor %}", '{% include "x" %}{{ text|json }}',
]


@pytest.mark.parametrize("source", PROVEN)
def test_what_a_program_covers(source: str) -> None:
    assert proven(payload_environment().parse(source))


@pytest.mark.parametrize("source", REFUSED)
def test_what_a_program_does_not_cover(source: str) -> None:
    assert not proven(payload_environment().parse(source))


FALLBACKS = [
    '{"n":{{ recipients|length }},"t":{{ text|upper|json }}{% if text %},"some":true{% endif %}}',
    '{% for n in recipients %}{{ n }}{% if loop.previtem is defined %}<{{ loop.previtem }}{% endif %};{% endfor %}{{ to[1:] }}',
    "{% set t %}{{ text|json }}{% endset %}{{ t|length }}:{{ t }}",
]


@pytest.mark.parametrize("source", PROVEN + FALLBACKS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_custom_templates_render_exactly(source: str, examples: dict[str, list[CheckedMessage]], tmp_path: Path, data: st.DataObject) -> None:
    checked = custom(tmp_path, data.draw(messages(examples, "inwise")), source)
    assert (render._provider_templates(checked.provider).recording is None) == (source in FALLBACKS)
    credentials = data.draw(credentials_for(checked.provider))
    assert outcome(lambda: list(render_requests(checked, credentials))) == outcome(lambda: reference(checked, credentials))


def test_a_marker_in_constant_text_means_no_program(examples: dict[str, list[CheckedMessage]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render_program, "token_hex", lambda size: "0" * 2 * size)
    base = examples["skycore-xml"][0]  # its campaign is written as XML text, where \x00 stays as it is
    checked = replace(base, message=replace(base.message, fields={**base.message.fields, "campaign": "\x00" + "0" * 16 + ":0\x00"}),
                      numbers=tuple(POOL), texts=tuple(f"hi {n}" for n in POOL))
    recording = render._provider_templates(checked.provider).recording
    assert recording is not None
    constants = render._MessageRenderer.of(checked, None).constants
    assert record_program(recording, 1, constants) is None
    assert list(render_requests(checked)) == reference(checked)


def test_a_program_that_differs_from_the_full_render_is_not_used(examples: dict[str, list[CheckedMessage]], monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = Program("{", ((lambda text: json_value(text.upper()), render_program.TEXT, "}"),))
    monkeypatch.setattr(render, "record_program", lambda recording, size, constants: wrong)
    checked = replace(examples["skycore"][0], numbers=tuple(POOL), texts=tuple(f"hi {n}" for n in POOL))
    assert list(render_requests(checked)) == reference(checked)


# --------------------------------------------------------------------------
# json_chunks writes what json.dumps writes


field_text = st.one_of(st.sampled_from(["f.sms.yaml", "m", "POST", "https://a.test/x?y=1"]), texts)
odd = st.one_of(field_text, st.none(), st.integers(), st.lists(st.text(max_size=3), max_size=2))


@st.composite
def rendered(draw: st.DrawFn) -> RenderedRequest:
    same = draw(st.booleans())  # most requests share a message's fields; some do not
    head = ["f.sms.yaml", "m", "acct", "skycore", "POST"] if same else [draw(odd if draw(st.booleans()) else field_text) for _ in range(5)]
    headers = draw(st.one_of(st.just({"Content-Type": "application/json; charset=utf-8", "x-api-key": "***"}),
                             st.dictionaries(st.one_of(field_text, st.integers()), odd, max_size=3)))
    return RenderedRequest(
        file=head[0], message_id=head[1], account=head[2], provider=head[3], method=head[4],
        url=draw(odd), headers=headers, body=draw(odd), recipients=tuple(draw(st.lists(odd, max_size=3))),
        texts=(), segments=1,
    )


@settings(max_examples=150, deadline=None)
@given(requests=st.lists(rendered(), max_size=6))
def test_json_chunks_write_what_json_dumps_writes(requests: list[RenderedRequest]) -> None:
    assert "".join(json_chunks(requests)) == reference_json(requests)


def test_json_chunks_follow_to_json(monkeypatch: pytest.MonkeyPatch) -> None:
    requests = [RenderedRequest("f", "m", "a", "p", "GET", f"u{i}", {}, "", (f"+{i}",), ("t",), 1) for i in range(3)]
    plain = RenderedRequest.to_json
    monkeypatch.setattr(RenderedRequest, "to_json", lambda self: {**plain(self), "extra": 1})
    assert "".join(json_chunks(requests)) == reference_json(requests)
    monkeypatch.undo()

    class Other(RenderedRequest):
        def to_json(self) -> dict[str, Any]:
            return {"other": self.url}

    others = [Other(**vars(r)) for r in requests]
    assert "".join(json_chunks([*requests, *others])) == reference_json([*requests, *others])


def test_json_chunks_encode_a_message_in_full_only_once(examples: dict[str, list[CheckedMessage]], monkeypatch: pytest.MonkeyPatch) -> None:
    checked = replace(examples["whatcounts"][0], numbers=tuple(POOL), texts=tuple(f"hi {n} {TRICKY}" for n in POOL))
    requests = list(render_requests(checked)) + list(render_requests(examples["skycore"][1]))
    expected = reference_json(requests)
    calls: list[str] = []
    plain = RenderedRequest.to_json

    def counted(self: RenderedRequest) -> dict[str, Any]:
        calls.append(self.message_id)
        return plain(self)

    monkeypatch.setattr(RenderedRequest, "to_json", counted)
    assert "".join(json_chunks(requests)) == expected
    assert sorted(calls) == sorted({r.message_id for r in requests})


def test_json_chunks_tell_equal_values_apart() -> None:
    """1 == 1.0 == True, and {"a": 1, "b": 2} == {"b": 2, "a": 1}; JSON writes each differently."""
    sames: list[Any] = [1, True, 1.0, 1, "1", True, "1"]
    requests = [RenderedRequest("f", same, "a", "p", "POST", "u", {}, "b", ("+1",), ("t",), 1) for same in sames]
    requests += [RenderedRequest("f", "m", "a", "p", "POST", "u", {"h": same}, "b", ("+1",), ("t",), 1) for same in sames]
    requests += [RenderedRequest("f", "m", "a", "p", "POST", "u", {same: "h"}, "b", ("+1",), ("t",), 1) for same in sames]
    requests += [RenderedRequest("f", "m", "a", "p", "POST", "u", headers, "b", ("+1",), ("t",), 1) for headers in ({"a": "1", "b": "2"}, {"b": "2", "a": "1"})]
    assert "".join(json_chunks(requests)) == reference_json(requests)


def test_make_builds_what_the_constructor_builds() -> None:
    values: dict[str, Any] = {
        "file": "f", "message_id": "m", "account": "a", "provider": "p", "method": "POST", "url": "u",
        "headers": {"h": "v"}, "body": "b", "recipients": ("+1",), "texts": ("t",), "segments": 2,
    }
    made, built = RenderedRequest.make(**values), RenderedRequest(**values)
    assert (made, repr(made), vars(made)) == (built, repr(built), vars(built))
    assert list(vars(made)) == [f.name for f in fields(RenderedRequest)]
    assert not hasattr(RenderedRequest, "__post_init__")  # make would skip it


@pytest.mark.parametrize("provider_id", PROVIDERS)
@pytest.mark.parametrize("recipients", [0, 1, 3])
def test_missing_credentials_fail_as_they_always_did(provider_id: str, recipients: int, examples: dict[str, list[CheckedMessage]]) -> None:
    checked = replace(examples[provider_id][0], numbers=tuple(POOL[:recipients]), texts=("hi",) * recipients)
    assert outcome(lambda: list(render_requests(checked, {}))) == outcome(lambda: reference(checked, {}))
