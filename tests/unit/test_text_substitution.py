"""Texts with only `{{ name }}` fields render without Jinja, exactly as Jinja renders them."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from smsspec.errors import TextError
from smsspec.templating.text import MAX_OUTPUT_CHARS, _compile_jinja, _plain_fields, compile_text


def outcome(render: Any, variables: Any) -> tuple[str, ...]:
    try:
        return ("ok", render(variables))
    except TextError as exc:
        return (exc.rule, str(exc), str(exc.variable))


pieces = st.sampled_from([
    "Hi ", "{{ name }}", "{{name}}", "{{  order  }}", " ", "{", "}", "}}", "{ ", "{{", "{%", "{#", "#}", "\n", "\r\n",
    "{{ self }}", "{{ true }}", "{{ none }}", "{{ x|upper }}", "{{ loop }}", "é", "{{ Name2 }}", "%", "x" * 50,
])
values = st.one_of(st.text(max_size=20), st.integers(), st.floats(allow_nan=False), st.booleans(), st.none(),
                   st.lists(st.integers(), max_size=3), st.just("y" * (MAX_OUTPUT_CHARS // 2 + 1)))
variables = st.dictionaries(st.sampled_from(["name", "order", "Name2", "x"]), values, max_size=4)


@settings(max_examples=500, deadline=None)
@given(parts=st.lists(pieces, max_size=8), variables=variables)
def test_substitution_matches_jinja(parts: list[str], variables: dict[str, Any]) -> None:
    source = "".join(parts)
    try:
        fast = compile_text(source)
    except TextError:
        return  # a syntax error: not a plain text
    if fast.fields is None:
        return  # no fields, or more than fields: not rendered by substitution
    jinja = _compile_jinja(source)
    assert fast.variables == jinja.variables
    assert outcome(fast.render, variables) == outcome(jinja.render, variables)


def test_plain_fields_skip_jinja() -> None:
    template = compile_text("Hi {{ name }}, order {{order}} is ready")
    assert template.fields is not None and template.template is None
    assert template.render({"name": "Ann", "order": 7}) == "Hi Ann, order 7 is ready"


def test_non_text_keys_fall_back_to_jinja() -> None:
    template = compile_text("Hi {{ name }}")
    assert outcome(template.render, {1: "x", "name": "Ann"}) == outcome(_compile_jinja("Hi {{ name }}").render, {1: "x", "name": "Ann"})


def test_syntax_beyond_plain_fields_uses_jinja() -> None:
    for source in ["Hi {{ name|upper }}", "{{{ name }}", "a\r\n{{ name }}", "{{ self }}", "{% if x %}y{% endif %}"]:
        assert _plain_fields(source) is None


def test_long_plain_text_matches_jinja() -> None:
    source = "Hi {{ name }}, " + "x" * 30_000

    def compiled_and_rendered(compile_: Any) -> tuple[str, ...]:
        try:
            template = compile_(source)
        except TextError as exc:
            return ("compile", exc.rule, str(exc))
        return outcome(template.render, {"name": "Ann"})

    assert compiled_and_rendered(compile_text) == compiled_and_rendered(_compile_jinja.__wrapped__)
