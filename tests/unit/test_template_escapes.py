"""Message texts cannot escape Jinja's sandbox, and cannot run away with time or memory.

Each known escape payload ends in a clear TEXT-* error and runs nothing (the
payloads that would create a file, if they ran, leave no file). Values of
variables are data: they are never evaluated as templates. Every kind of work
a template can ask for is capped; each cap is asserted by the render ending
with TEXT-RENDER-LIMIT (the time it takes is measured separately, not here).
"""

from __future__ import annotations

import re
import signal
import threading
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from smsspec.errors import TextError
from smsspec.templating import text
from smsspec.templating.text import MAX_OUTPUT_CHARS, MAX_TEMPLATE_CHARS, compile_text
from smsspec.validate.check import check_paths
from tests.conftest import ROOT


def outcome(source: str, variables: dict[str, Any] | None = None) -> tuple[str, str]:
    try:
        return ("ok", compile_text(source).render({"x": "hi", **(variables or {})}))
    except TextError as exc:
        return (exc.rule, str(exc))


# Payloads, with the rule each must end in. `M` is replaced by a path the payload would create if it ran.
ESCAPES = {
    # attribute access to internals
    "{{ ''.__class__ }}": "TEXT-UNSAFE",
    "{{ x.__class__.__mro__[1].__subclasses__() }}": "TEXT-UNSAFE",
    "{{ ''.__class__.__mro__[-1].__subclasses__()[132].__init__.__globals__['popen']('touch M').read() }}": "TEXT-UNSAFE",
    "{{ ().__class__.__bases__[0].__subclasses__() }}": "TEXT-UNSAFE",
    "{{ (1).__class__ }}": "TEXT-UNSAFE",
    "{{ {}.__class__ }}": "TEXT-UNSAFE",
    "{{ x.__init__.__globals__ }}": "TEXT-UNSAFE",
    "{{ x['__class__'] }}": "TEXT-UNSAFE",
    "{{ x.__dict__ }}": "TEXT-UNSAFE",
    "{{ x.__getattribute__('__class__') }}": "TEXT-UNSAFE",
    "{{ x.upper.__self__ }}": "TEXT-UNSAFE",
    "{{ x.format.__globals__ }}": "TEXT-UNSAFE",
    "{% set y = x.__class__ %}{{ y }}": "TEXT-UNSAFE",
    "{% with a = x.__class__ %}{{ a }}{% endwith %}": "TEXT-UNSAFE",
    "{% filter upper %}{{ x.__class__ }}{% endfilter %}": "TEXT-UNSAFE",
    # |attr, also with format (CVE-2025-27516)
    "{{ x|attr('__class__') }}": "TEXT-TEMPLATE",
    "{{ x|attr('__cla' ~ 'ss__') }}": "TEXT-TEMPLATE",
    "{{ ('{0.__class__}'|attr('format'))(x) }}": "TEXT-TEMPLATE",
    "{{ x|attr('%s%sclass%s%s'|format('_', '_', '_', '_')) }}": "TEXT-TEMPLATE",
    # attribute names through filters
    "{{ x|map(attribute='__class__')|list }}": "TEXT-UNSAFE",
    "{{ x|map(attribute='__class__')|first }}": "TEXT-UNSAFE",
    "{{ [x]|selectattr('__class__')|list }}": "TEXT-UNSAFE",
    "{{ [x]|sort(attribute='__class__.__init__') }}": "TEXT-UNSAFE",
    "{{ [x]|sort(attribute='__class__') }}": "TEXT-UNSAFE",
    # str.format and format_map, direct and through a stored reference (CVE-2024-56326)
    "{{ '{0.__class__}'.format(x) }}": "TEXT-UNSAFE",
    "{{ '{0.__class__.__init__.__globals__}'.format(x) }}": "TEXT-UNSAFE",
    "{{ '{a.__class__.__init__.__globals__}'.format_map({'a': x}) }}": "TEXT-UNSAFE",
    "{% set f = '{0.__class__}'.format %}{{ f(x) }}": "TEXT-UNSAFE",
    "{% set f = '{a.__globals__}'.format_map %}{{ f({'a': x.upper}) }}": "TEXT-UNSAFE",
    "{{ '%s'|format(x.__class__) }}": "TEXT-UNSAFE",
    # cycler, joiner, namespace, lipsum, range, dict: not there at all
    "{{ cycler.__init__.__globals__.os.popen('touch M').read() }}": "TEXT-UNSAFE",
    "{{ joiner.__init__.__globals__.os.system('touch M') }}": "TEXT-UNSAFE",
    "{{ namespace.__init__.__globals__.os.system('touch M') }}": "TEXT-UNSAFE",
    "{{ lipsum.__globals__['os'].popen('touch M') }}": "TEXT-UNDEFINED-VAR",
    "{{ range.__class__ }}": "TEXT-UNSAFE",
    "{{ range(10) }}": "TEXT-UNDEFINED-VAR",
    "{{ dict(a=1) }}": "TEXT-UNDEFINED-VAR",
    # self, loop, macros, caller
    "{{ self.__init__.__globals__.__builtins__.__import__('os').system('touch M') }}": "TEXT-UNSAFE",
    "{{ self._TemplateReference__context.cycler.__init__.__globals__.os }}": "TEXT-UNSAFE",
    "{% for i in [1] %}{{ loop.__class__.__init__.__globals__ }}{% endfor %}": "TEXT-UNSAFE",
    "{% macro m() %}{% endmacro %}{{ m._func.__globals__ }}": "TEXT-UNSAFE",
    "{% macro m() %}{{ caller.__init__ }}{% endmacro %}{% call m() %}{% endcall %}": "TEXT-UNSAFE",
    # what web frameworks put in the context
    "{{ config.items() }}": "TEXT-UNDEFINED-VAR",
    "{{ request.application.__globals__ }}": "TEXT-UNDEFINED-VAR",
    # mutation, other files
    "{{ [].append(1) }}": "TEXT-UNSAFE",
    "{{ {}.update(a=1) }}": "TEXT-UNSAFE",
    "{% include '/etc/passwd' %}": "TEXT-TEMPLATE",
    "{% import 'os' as os %}{{ os.system('touch M') }}": "TEXT-TEMPLATE",
    "{% extends '/etc/passwd' %}": "TEXT-TEMPLATE",
    "{% debug %}": "TEXT-TEMPLATE",
}


@pytest.mark.parametrize(("payload", "rule"), ESCAPES.items(), ids=list(ESCAPES))
def test_escape_payload_is_a_clear_error_and_runs_nothing(payload: str, rule: str, tmp_path: Path) -> None:
    marker = tmp_path / "escaped"
    got_rule, message = outcome(payload.replace("touch M", f"touch {marker}"))
    assert got_rule == rule, message
    assert message and "Traceback" not in message
    assert not marker.exists()


@pytest.mark.parametrize(
    ("source", "tag", "line"),
    [
        ("Hi {% include 'footer.txt' %}", "include", 1),
        ("Hi\n{% import 'macros' as m %}{{ m.x() }}", "import", 2),
        ("{% from 'macros' import x %}{{ x() }}", "from ... import", 1),
        ("{% extends 'base' %}", "extends", 1),
    ],
)
def test_tags_that_load_other_files_are_named(source: str, tag: str, line: int) -> None:
    rule, message = outcome(source)
    assert rule == "TEXT-TEMPLATE"
    assert message.startswith(f"line {line} of the text: `{{% {tag} %}}` cannot be used")


def test_escape_payload_in_a_spec_is_reported_where_the_text_is_and_nothing_renders(tmp_path: Path) -> None:
    (tmp_path / "smsspec.yaml").write_text((ROOT / "tests" / "hostile" / "smsspec.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    marker = tmp_path / "escaped"
    spec = tmp_path / "escape.sms.yaml"
    spec.write_text(
        'version: 1\naccount: skycore\nmessages:\n  - id: escape\n    from: "60856"\n'
        f"    text: \"{{{{ cycler.__init__.__globals__.os.system('touch {marker}') }}}}\"\n"
        '    to: ["+12015550123"]\n', encoding="utf-8")
    result = check_paths([str(spec)])
    assert [(d.rule, d.location.line, d.location.column) for d in result.diagnostics] == [("TEXT-UNSAFE", 6, 11)]
    assert result.checked == []
    assert not marker.exists()


# --------------------------------------------------------------------------
# Values are data


@pytest.mark.parametrize("value", ["{{ 7*7 }}", "{% for i in 'ab' %}{{ i }}{% endfor %}", "{{ x.__class__ }}", "{# c #}", "{{", "%}"])
@pytest.mark.parametrize("source", ["{{ v }}", "Hi {{ v }}!", "{{ v|upper|lower }}", "{{ v ~ '' }}", "{% for i in [1] %}{{ v }}{% endfor %}",
                                    "{{ '%s'|format(v) }}", "{{ '{}'.format(v) }}", "{{ [v]|join }}"])
def test_a_variable_holding_template_syntax_is_rendered_as_it_is(source: str, value: str) -> None:
    expected = f"Hi {value}!" if source.startswith("Hi ") else value
    assert outcome(source, {"v": value}) == ("ok", expected)


def test_recipient_vars_holding_template_syntax_reach_the_text_as_written(tmp_path: Path) -> None:
    (tmp_path / "smsspec.yaml").write_text((ROOT / "tests" / "hostile" / "smsspec.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    spec = tmp_path / "data.sms.yaml"
    spec.write_text(
        'version: 1\naccount: skycore\nmessages:\n  - id: data\n    from: "60856"\n'
        '    text: "Hi {{ name }}, {{ order|upper }}"\n'
        '    to:\n      - number: "+12015550123"\n        vars: {name: "{{ 7*7 }}", order: "{% raw %}x"}\n', encoding="utf-8")
    result = check_paths([str(spec)])
    assert result.errors == 0, result.diagnostics
    assert result.checked[0].texts == ("Hi {{ 7*7 }}, {% RAW %}X",)


# --------------------------------------------------------------------------
# Caps on work and memory


BILLION = "{% for a in s %}{% for b in s %}{% for c in s %}{{ '' }}{% endfor %}{% endfor %}{% endfor %}"
LIMITS = {
    "billion-iterations": (BILLION, {"s": "x" * 1000}),
    "billion-iterations-no-output": ("{% for a in s %}{% for b in s %}{% for c in s %}{% endfor %}{% endfor %}{% endfor %}", {"s": "x" * 1000}),
    "string-repetition": ("{{ 'x' * 100000000 }}", {}),
    "list-repetition": ("{{ [1, 2] * 100000000 }}", {}),
    "repetition-of-a-variable": ("{{ s * 100000 }}", {"s": "abc"}),
    "huge-power": ("{{ 9 ** 999999999 }}", {}),
    "chained-powers": ("{{ (((9 ** 64) ** 64) ** 64) ** 64 }}", {}),
    "squaring-in-sets": ("{% set a = 9 ** 64 %}" + "{% set a = a * a %}" * 30 + "{{ a > 1 }}", {}),
    "doubling-with-tilde": ("{% set a = 'x' * 20000 %}" + "{% set a = a ~ a %}" * 30 + "{{ a|length }}", {}),
    "doubling-with-plus": ("{% set a = 'x' * 20000 %}" + "{% set a = a + a %}" * 30 + "{{ a|length }}", {}),
    "doubling-in-a-macro": ("{% macro m(s) %}{{ m(s ~ s) }}{% endmacro %}{{ m('x') }}", {}),
    "deep-macro-recursion": ("{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(1) }}", {}),
    "recursive-loop": ("{% for i in [[1]] recursive %}{{ loop([[i]]) }}{% endfor %}", {}),
    "output-size": ("{% for i in s %}{{ 'x' * 1000 }}{% endfor %}", {"s": "y" * 100}),
    "output-in-a-set-block": ("{% set b %}{% for i in s %}{% for j in s %}{{ 'y' * 19000 }}{% endfor %}{% endfor %}{% endset %}{{ b|length }}",
                              {"s": "z" * 300}),
    "literal-text-in-a-block": ("{% set b %}{% for i in s %}{% for j in s %}" + "L" * 19000 + "{% endfor %}{% endfor %}{% endset %}{{ b|length }}",
                                {"s": "z" * 300}),
    "output-in-a-macro": ("{% macro m() %}{% for i in s %}{% for j in s %}{{ 'y' * 19000 }}{% endfor %}{% endfor %}{% endmacro %}{{ m()|length }}",
                          {"s": "z" * 300}),
    "ljust": ("{{ 'a'.ljust(2000000000) }}", {}),
    "center-zfill": ("{{ 'a'.center(999999999) ~ 'b'.zfill(999999999) }}", {}),
    "expandtabs": ("{{ t.expandtabs(20000)|length }}", {"t": "\t" * 20000}),
    "translate": ("{{ ('x' * 20000).translate({120: 'y' * 20000})|length }}", {}),
    "to-bytes": ("{{ (1).to_bytes(999999999, 'big')|length }}", {}),
    "replace-filter": ("{{ ('x' * 20000)|replace('x', 'x' * 20000)|length }}", {}),
    "replace-method": ("{{ ('x' * 20000).replace('x', 'x' * 20000)|length }}", {}),
    "join-filter": ("{{ (['x' * 2000] * 10)|join('y' * 20000)|length }}", {}),
    "join-method": ("{{ ('x' * 20000).join(['y'] * 20000)|length }}", {}),
    "join-of-a-generator": ("{{ s|map('upper')|join('y' * 20000)|length }}", {"s": "z" * 2000}),
    "percent-width": ("{{ ('%999999999s' % 1)|length }}", {}),
    "percent-star-width": ("{{ ('%*s' % (999999999, 1))|length }}", {}),
    "format-filter-width": ("{{ '%999999999s'|format(1)|length }}", {}),
    "str-format-width": ("{{ '{:>999999999}'.format(1)|length }}", {}),
    "str-format-nested-width": ("{{ '{0:{1}}'.format(1, '>99999999') }}", {}),
    "str-format-precision": ("{{ '{:.999999f}'.format(1.5) }}", {}),
    "batch": ("{{ [1]|batch(1000000000, 'x')|list|length }}", {}),
    "slice": ("{{ [1]|slice(1000000000, 'x')|list|length }}", {}),
    "sum-of-lists": ("{{ [[1] * 6000, [1] * 6000, [1] * 6000, [1] * 6000]|sum(start=[])|length }}", {}),
    "print-a-shared-list": ("{{ [s] * 1000 }}", {"s": "x" * 1000}),
    "huge-variable": ("{{ v|length }}", {"v": list(range(100_000))}),
}


@pytest.mark.parametrize(("source", "variables"), LIMITS.values(), ids=list(LIMITS))
def test_runaway_template_ends_with_render_limit(source: str, variables: dict[str, Any]) -> None:
    rule, message = outcome(source, variables)
    assert rule == "TEXT-RENDER-LIMIT", message


NESTED = {  # opening, closing, depth, whether Jinja's output is too deep for Python at that depth
    "ifs": ("{% if x %}", "{% endif %}", 150, True),
    "loops": ("{% for i in x %}", "{% endfor %}", 30, True),
    "macros": ("{% macro m() %}", "{% endmacro %}", 150, True),
    "parentheses": ("{{ (", ") }}", 400, True),
    "lists": ("{{ [", "] }}", 400, True),
    "withs": ("{% with a = 1 %}", "{% endwith %}", 150, False),
    "filters": ("{% filter upper %}", "{% endfilter %}", 150, False),
    "set-blocks": ("{% set s %}", "{% endset %}", 150, False),
}


@pytest.mark.parametrize(("opening", "closing", "depth", "too_deep"), NESTED.values(), ids=list(NESTED))
def test_deeply_nested_template_renders_or_is_refused(opening: str, closing: str, depth: int, too_deep: bool) -> None:
    rule, message = outcome(opening * depth + "x" + closing * depth, {"x": "a"})
    if too_deep:
        assert (rule, message) == ("TEXT-RENDER-LIMIT", "the template is nested too deeply")
    else:
        assert rule == "ok"


def test_template_source_is_capped() -> None:
    rule, message = outcome("{{ x }}{% if x %}" + "y" * MAX_TEMPLATE_CHARS + "{% endif %}")
    assert rule == "TEXT-RENDER-LIMIT"
    assert str(MAX_TEMPLATE_CHARS) in message


def test_the_largest_allowed_templates_compile() -> None:
    for unit in ("{% set b = 1 %}", "{% if x %}{% endif %}", "{{ x ~ x }}", "{{ x|upper|lower }}", "{% for a in x %}{% endfor %}"):
        source = unit * (MAX_TEMPLATE_CHARS // len(unit))
        compile_text(source).render({"x": "a"})


def test_plain_text_is_not_a_template_however_long() -> None:
    long = "Plain text. " * 100_000
    assert outcome(long) == ("ok", long)


def test_output_at_the_limit_renders() -> None:
    assert outcome(f"{{{{ 'x' * {MAX_OUTPUT_CHARS} }}}}") == ("ok", "x" * MAX_OUTPUT_CHARS)
    assert outcome(f"{{{{ 'x' * {MAX_OUTPUT_CHARS + 1} }}}}")[0] == "TEXT-RENDER-LIMIT"


LEGITIMATE = {
    "Hi {{ name|title }}, your order {{ order }} ships {{ date }}.": "Hi Ann Lee, your order 1042 ships 2026-12-01.",
    "{{ items|join(', ') }}": "tea, cake",
    "{% for i in items %}{{ loop.index }}.{{ i }} {% endfor %}": "1.tea 2.cake ",
    "{{ '%05.1f'|format(price) }} {{ '{:,}'.format(big) }} {{ 2 ** 10 }} {{ 3 * 4 }}": "003.1 1,234,567 1024 12",
    "{{ name ~ '!' }} {{ name + '?' }} {{ ('ab' * 3)|upper }}": "ann lee! ann lee? ABABAB",
    "{% set greeting %}Hello {{ name }}{% endset %}{{ greeting|length }}": "13",
    "{% macro tag(t) %}[{{ t }}]{% endmacro %}{{ tag('a') }}{{ tag('b') }}": "[a][b]",
    "{{ name.replace('ann', 'Ann').center(11, '*') }}": "**Ann lee**",
    "{{ items|map('upper')|join('/') }} {{ items|select('eq', 'tea')|list|length }}": "TEA/CAKE 1",
    "{{ 'x' * 20000 == 'x' * 20000 }}": "True",
}


@pytest.mark.parametrize(("source", "expected"), LEGITIMATE.items(), ids=list(LEGITIMATE))
def test_ordinary_templates_still_work(source: str, expected: str) -> None:
    variables = {"name": "ann lee", "order": 1042, "date": "2026-12-01", "items": ["tea", "cake"], "price": 3.14159, "big": 1234567}
    assert outcome(source, variables) == ("ok", expected)


def test_the_timer_is_disarmed_after_each_render() -> None:
    assert outcome(BILLION, {"s": "x" * 1000})[0] == "TEXT-RENDER-LIMIT"
    assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)
    assert outcome("{% for i in [1, 2] %}{{ i }}{% endfor %}") == ("ok", "12")
    assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)


def test_the_timer_passes_signals_outside_a_render_to_the_previous_handler() -> None:
    seen: list[int] = []
    previous = signal.signal(signal.SIGPROF, lambda signum, frame: seen.append(signum))
    try:
        assert outcome("{% for i in [1] %}{{ i }}{% endfor %}") == ("ok", "1")
        signal.raise_signal(signal.SIGPROF)
        assert seen == [signal.SIGPROF]
    finally:
        signal.signal(signal.SIGPROF, previous)


def test_size_caps_hold_off_the_main_thread() -> None:
    """No timer outside the main thread, but every size cap still applies there."""
    results: list[tuple[str, str]] = []
    worker = threading.Thread(target=lambda: results.extend(outcome(src, v) for src, v in (LIMITS["ljust"], LIMITS["doubling-with-tilde"])))
    worker.start()
    worker.join()
    assert [rule for rule, _ in results] == ["TEXT-RENDER-LIMIT", "TEXT-RENDER-LIMIT"]


def test_errors_name_a_text_rule() -> None:
    assert set(ESCAPES.values()) | {"TEXT-RENDER-LIMIT"} <= {"TEXT-UNSAFE", "TEXT-TEMPLATE", "TEXT-UNDEFINED-VAR", "TEXT-RENDER-LIMIT"}
    assert text.MAX_RENDER_CHARS >= MAX_OUTPUT_CHARS


# --------------------------------------------------------------------------
# The jinja2 release


def _release(text_version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text_version)[:3])


def test_jinja2_floor_has_the_sandbox_fixes() -> None:
    """3.1.5 fixed CVE-2024-56326 (str.format reached indirectly), 3.1.6 CVE-2025-27516 (|attr to format)."""
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    floor = re.search(r'"jinja2>=([0-9.]+)"', pyproject)
    assert floor is not None and _release(floor.group(1)) >= (3, 1, 6)
    assert _release(version("jinja2")) >= (3, 1, 6)
