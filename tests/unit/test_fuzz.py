"""Fuzzing the loader, the validator and the renderers: every input ends in diagnostics, never an exception.

The suite runs a modest number of examples per property; ``--run-slow`` runs
the same properties much longer (tests marked ``slow``).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import phonenumbers
import pytest
import yaml
from click.testing import CliRunner
from defusedxml import ElementTree as SafeET
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from smsspec.cli import main
from smsspec.diagnostics import Diagnostic
from smsspec.errors import TextError
from smsspec.render.requests import render_requests
from smsspec.templating.text import MAX_OUTPUT_CHARS, compile_text
from smsspec.validate.catalog import all_rules
from smsspec.validate.check import CheckResult, check_paths
from tests.conftest import ROOT

CONFIG = ROOT / "tests" / "hostile" / "smsspec.yaml"
ACCOUNTS = ["skycore", "skycore-enforced", "skycore-xml", "sendmachine", "inwise", "whatcounts", "budget", "nosuch"]
NUMBERS = sorted({
    phonenumbers.format_number(phonenumbers.example_number_for_type(r, phonenumbers.PhoneNumberType.MOBILE), phonenumbers.PhoneNumberFormat.E164)
    for r in ("US", "GB", "DE", "IL", "RO", "FR")
})
CREDENTIALS = {"api_key": "k", "username": "u", "password": "p"}
QUICK = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
LONG = settings(max_examples=5000, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz")
    shutil.copy(CONFIG, folder / "smsspec.yaml")
    return folder


def check_result(result: CheckResult) -> None:
    """What every check must satisfy, whatever the input."""
    rules = all_rules()
    for d in result.diagnostics:
        assert isinstance(d, Diagnostic)
        assert d.rule in rules, d.rule
        assert d.location.line >= 1 and d.location.column >= 1, d
        assert d.message
    assert len(result.checked) <= result.messages
    for checked in result.checked:
        assert len(checked.numbers) == len(checked.texts) == len(checked.message.recipients)
        for credentials in (None, {n: CREDENTIALS[n] for n in checked.provider.credentials}):
            for request in render_requests(checked, credentials):
                if request.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
                    [(_, document)] = parse_qsl(request.body, keep_blank_values=True, strict_parsing=True)
                    SafeET.fromstring(document)  # Skycore's XML, in the form variable `xml`
                elif request.body.startswith("<"):
                    SafeET.fromstring(request.body)
                elif request.body:
                    json.loads(request.body)
                else:
                    parse_qsl(urlsplit(request.url).query, keep_blank_values=True, strict_parsing=True)


def check_file(project: Path, raw: bytes) -> CheckResult:
    spec = project / "fuzz.sms.yaml"
    spec.write_bytes(raw)
    result = check_paths([str(spec)])
    check_result(result)
    return result


# --------------------------------------------------------------------------
# Arbitrary bytes, and YAML-looking text


YAMLISH = st.lists(st.sampled_from([
    *"[]{}:-?&*!|>'\"#%@`,.\n \t\\ab01~<=_", "\r\n", "---", "...", "<<: ", "&a ", "*a", "  ", "\ufeff", "\x00", "\xe9",
    "version: 1\n", "messages:\n", "  - id: x\n", "    text: ", "    to: [", '"+12015550123"', "account: skycore\n", "{{ ", " }}",
    "!!python/object:os.system ", "!!binary ", "!x ", "0o17", "0x1F", "1_000", "yes", "~", "2026-01-01",
]), max_size=80).map("".join)


@QUICK
@given(raw=st.binary(max_size=300))
@example(raw=b"\xef\xbb\xbfversion: 1\n")
def test_any_bytes_as_a_spec_end_in_diagnostics(project: Path, raw: bytes) -> None:
    check_file(project, raw)


@QUICK
@given(text=YAMLISH)
def test_yaml_like_text_as_a_spec_ends_in_diagnostics(project: Path, text: str) -> None:
    check_file(project, text.encode("utf-8", "surrogatepass"))


@pytest.mark.slow
@LONG
@given(raw=st.one_of(st.binary(max_size=2000), YAMLISH.map(lambda t: t.encode("utf-8"))))
def test_any_bytes_as_a_spec_long_run(project: Path, raw: bytes) -> None:
    check_file(project, raw)


# --------------------------------------------------------------------------
# Structured specs: the right fields with random types and random Unicode


scalars = st.one_of(
    st.text(max_size=12), st.integers(), st.floats(), st.booleans(), st.none(), st.binary(max_size=4),
    st.dates(), st.datetimes(timezones=st.none() | st.just(dt.timezone.utc)),
)
keys = st.one_of(st.text(max_size=8), st.integers(), st.booleans(), st.none())
anything = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3), max_leaves=8)
jinja_bits = st.lists(st.sampled_from([
    "Hi ", "{{ name }}", "{{ name|upper }}", "{{ missing }}", "{% if name %}", "{% endif %}", "{% for c in name %}{{ c }}{% endfor %}",
    "{{ name.__class__ }}", "{{ 'x' * 99999 }}", "{{", "}}", "{%", "%}", "😀", "é", "\n", "\r", "\x00", "]]>", "&", "\ufffe", " ",
]), max_size=8).map("".join)


def plausible(name: str) -> st.SearchStrategy[Any]:
    good: dict[str, st.SearchStrategy[Any]] = {
        "id": st.from_regex(r"[a-z0-9][a-z0-9_-]{0,12}", fullmatch=True),
        "account": st.sampled_from(ACCOUNTS),
        "text": st.one_of(jinja_bits, st.text(max_size=200)),
        "from": st.from_regex(r"\+?[0-9]{3,15}", fullmatch=True),
        "sender_mask": st.text(max_size=14),
        "campaign": st.text(max_size=20),
        "click_tracking": st.booleans(),
        "type": st.sampled_from(["transactional", "campaign", "other"]),
        "send_at": st.sampled_from(["2026-12-01T10:00:00+02:00", "2026-12-01T23:30:00+00:00", "2026-12-01", "tomorrow"]),
        "tags": st.lists(st.text(max_size=8), max_size=3),
        "max_segments": st.integers(min_value=-1, max_value=5),
        "vars": st.dictionaries(st.sampled_from(["name", "date", "x"]), st.one_of(st.text(max_size=30), anything), max_size=3),
        "options": st.dictionaries(st.sampled_from(["spid", "metadata", "charset", "async", "unsubscribe_text", "nosuch"]), anything, max_size=2),
        "to": st.lists(st.one_of(
            st.sampled_from(NUMBERS), st.text(max_size=15), st.integers(),
            st.fixed_dictionaries({"number": st.sampled_from(NUMBERS)}, optional={"vars": st.dictionaries(st.sampled_from(["name", "x"]), anything, max_size=2)}),
        ), max_size=4),
    }
    return st.one_of(good[name], good[name], anything)


MESSAGE_FIELDS = ["id", "account", "text", "from", "sender_mask", "campaign", "click_tracking", "type", "send_at", "tags",
                  "max_segments", "vars", "options", "to"]


VALID_BASE = {
    "skycore": {"from": "60856"},
    "skycore-enforced": {"from": "60856", "campaign": "c1"},
    "skycore-xml": {"from": "60856"},
    "sendmachine": {},
    "inwise": {},
    "whatcounts": {"from": "60856"},
    "budget": {"from": "60856"},
}


@st.composite
def messages(draw: st.DrawFn, account: str) -> dict[Any, Any]:
    """A valid message for the account, then zero to three mutations."""
    message: dict[Any, Any] = {
        "id": draw(plausible("id").filter(lambda v: isinstance(v, str)) | st.from_regex(r"[a-z]{1,8}", fullmatch=True)),
        **VALID_BASE.get(account, {}),
        "text": draw(st.one_of(jinja_bits, st.text(min_size=1, max_size=150))),
        "vars": {"name": draw(st.text(max_size=20))},
        "to": draw(st.lists(st.sampled_from(NUMBERS), min_size=1, max_size=3, unique=True)),
    }
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 1, 2, 3]))):
        action = draw(st.integers(0, 9))
        if action == 0 and message:
            del message[draw(st.sampled_from(sorted(message, key=str)))]
        elif action == 1:
            message[draw(keys)] = draw(anything)
        else:
            name = draw(st.sampled_from(MESSAGE_FIELDS))
            message[name] = draw(plausible(name))
    return message


@st.composite
def specs(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 19)) == 0:
        return draw(anything)
    account = draw(st.sampled_from(ACCOUNTS))
    spec: dict[Any, Any] = {"version": 1, "account": account, "messages": draw(st.lists(messages(account), min_size=1, max_size=3))}
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
        name = draw(st.sampled_from(["version", "account", "defaults", "messages", "extra"]))
        spec[name] = draw(st.one_of(anything, st.dictionaries(st.sampled_from(MESSAGE_FIELDS[1:]), anything, max_size=3))
                          if name == "defaults" else (plausible("account") if name == "account" else anything))
    return spec


def dump(spec: Any) -> bytes:
    return yaml.safe_dump(spec, allow_unicode=True, sort_keys=False).encode("utf-8")


@QUICK
@given(spec=specs())
@example(spec={"version": 1, "account": "skycore", "messages": [{"id": "a", "from": "60856", "text": "Hi", "to": [NUMBERS[0]]}]})
def test_structured_spec_ends_in_diagnostics(project: Path, spec: Any) -> None:
    check_file(project, dump(spec))


@pytest.mark.slow
@LONG
@given(spec=specs())
def test_structured_spec_long_run(project: Path, spec: Any) -> None:
    check_file(project, dump(spec))


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(spec=specs(), command=st.sampled_from(["validate", "render"]), fmt=st.sampled_from(["text", "json", "curl"]))
def test_structured_spec_through_the_command_line(project: Path, spec: Any, command: str, fmt: str) -> None:
    (project / "cli.sms.yaml").write_bytes(dump(spec))
    if command == "validate" and fmt == "curl":
        fmt = "json"
    result = CliRunner().invoke(main, [command, str(project / "cli.sms.yaml"), "--format", fmt])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.output and "internal error" not in result.output


# --------------------------------------------------------------------------
# Texts


variables = st.dictionaries(st.sampled_from(["name", "x", "items", "n"]), st.one_of(
    st.text(max_size=40), st.integers(), st.floats(), st.booleans(), st.none(), st.lists(st.text(max_size=5), max_size=4),
    st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=2),
), max_size=4)
template_bits = st.lists(st.sampled_from([
    "{{ ", " }}", "{% ", " %}", "{# ", " #}", "name", "x", "items", "n", "|", "upper", "join(', ')", "length", "default('d')",
    "format(1)", "replace('a', 'b')", "(", ")", "[", "]", "0", "-1", "*", "**", "+", "~", "%", ".", "__class__", "format", "ljust(99)",
    "if ", "for i in ", "endfor", "endif", "else", "set y = ", "macro m()", "endmacro", "m()", "loop.index", "'s'", '"q"', "\n",
    "Hi ", "😀", "é", "\r\n", "\x00",
]), max_size=25).map("".join)


def check_text(source: str, values: dict[str, Any]) -> None:
    try:
        template = compile_text(source)
    except TextError as exc:
        assert exc.rule.startswith("TEXT-")
        return
    try:
        rendered = template.render(values)
    except TextError as exc:
        assert exc.rule.startswith("TEXT-"), exc.rule
        return
    assert isinstance(rendered, str)
    assert len(rendered) <= MAX_OUTPUT_CHARS


@QUICK
@given(source=st.one_of(template_bits, st.text(max_size=200)), values=variables)
@example(source="{{ name.__class__ }}", values={"name": "x"})
@example(source="{{ n ** n ** n }}", values={"n": 9})
def test_any_text_compiles_and_renders_or_is_a_text_error(source: str, values: dict[str, Any]) -> None:
    check_text(source, values)


BLOCKS = [
    ("{% if x %}", "{% endif %}"), ("{% for i in items %}", "{% endfor %}"), ("{% with a = 1 %}", "{% endwith %}"),
    ("{% filter upper %}", "{% endfilter %}"), ("{% set s %}", "{% endset %}{{ s }}"), ("{% macro m() %}", "{% endmacro %}{{ m() }}"),
    ("{% call m() %}", "{% endcall %}"), ("{% if x %}a{% else %}", "{% endif %}"), ("{{ (", ") }}"), ("{{ [", "] }}"),
]
nested = st.integers(1, 160).flatmap(lambda depth: st.lists(st.sampled_from(BLOCKS), min_size=depth, max_size=depth)).map(
    lambda chain: "".join(o for o, _ in chain) + "x" + "".join(c for _, c in reversed(chain)))


@QUICK
@given(source=nested, values=variables)
@example(source="{% if x %}" * 100 + "y" + "{% endif %}" * 100, values={"x": 1})
@example(source="{% for i in items %}" * 21 + "y" + "{% endfor %}" * 21, values={"items": [1]})
def test_deeply_nested_blocks_render_or_are_a_text_error(source: str, values: dict[str, Any]) -> None:
    check_text(source, values)


@pytest.mark.slow
@LONG
@given(source=st.one_of(template_bits, st.text(max_size=400), nested), values=variables)
def test_any_text_long_run(source: str, values: dict[str, Any]) -> None:
    check_text(source, values)
