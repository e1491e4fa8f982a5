"""Message texts: untrusted Jinja templates rendered in a sandbox.

Anyone with commit access writes these templates, so they run in Jinja's
immutable sandbox with undefined variables as errors and a short list of
filters. Work and memory are bounded too:

- no value a template computes may be longer than MAX_OUTPUT_CHARS as text:
  operators (``*``, ``**``, ``+``, ``%``, ``~``), filters, method calls and
  ``str.format`` check their arguments first and refuse to build anything
  bigger (``'a'.ljust(10**9)``, ``x|replace('a', y)``, ``'%999999999s'``);
- all the text a render produces, in loops, macros and ``{% set %}`` blocks
  included, counts against MAX_RENDER_CHARS;
- templates are at most MAX_TEMPLATE_CHARS long, and compiling or rendering
  one takes at most MAX_SECONDS of CPU time (on the main thread, where a
  timer signal can stop it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from operator import itemgetter
from typing import Any

from smsspec.errors import TextError
from smsspec.templating.limits import (
    MAX_OUTPUT_CHARS,
    MAX_RENDER_CHARS,
    MAX_SECONDS,
    MAX_TEMPLATE_CHARS,
    timed,
)

__all__ = ["MAX_OUTPUT_CHARS", "MAX_RENDER_CHARS", "MAX_SECONDS", "MAX_TEMPLATE_CHARS", "TextTemplate", "compile_text"]

_TEMPLATE_MARKERS = ("{{", "{%", "{#")
# A text whose only template syntax is `{{ name }}` is rendered by substitution,
# with Jinja's output and errors, and without compiling a Jinja template.
_PLAIN_FIELD = re.compile(r"\{\{ *([A-Za-z][A-Za-z0-9_]*) *\}\}")
_SPECIAL_NAMES = frozenset({
    "and", "or", "not", "in", "is", "if", "else", "true", "false", "none", "True", "False", "None",
    "self", "loop", "caller", "varargs", "kwargs", "super", "recursive",
})


@dataclass(frozen=True)
class TextTemplate:
    """A compiled message text. Plain substitutions (``fields``) are filled in with ``%``."""

    source: str
    template: Any  # a compiled Jinja template; None: plain text or substitution
    variables: frozenset[str]  # names the template reads from its context
    needs_timer: bool  # a Jinja template: bound its time
    fields: tuple[str, ...] | None = None  # plain substitution: text, name, text, name, ..., text

    def render(self, variables: Mapping[str, Any]) -> str:
        if self.fields is not None:
            if all(type(key) is str for key in variables):
                return self.substitute(variables)
            return _compile_jinja(self.source).render(variables)  # Jinja's own error for such keys
        if self.template is None:
            return self.source
        if self.needs_timer:
            return timed(lambda: self._render(variables), "render")
        return self._render(variables)

    def _render(self, variables: Mapping[str, Any]) -> str:
        from smsspec.templating.sandbox import render_template

        return render_template(self.template, variables)


    def substitute(self, variables: Mapping[str, Any]) -> str:
        """A plain substitution's text, for variables whose names are all strings."""
        try:
            # `%s` is str(), as below; whatever is unusual (a name missing, str() failing,
            # a text too long) is left to the loop, which names it.
            text: str = self._format % self._values(variables)
        except Exception:
            return self._substitute(variables)
        return text if len(text) <= MAX_OUTPUT_CHARS else self._substitute(variables)

    @cached_property
    def _format(self) -> str:
        assert self.fields is not None
        return "".join(part.replace("%", "%%") if index % 2 == 0 else "%s" for index, part in enumerate(self.fields))

    @cached_property
    def _values(self) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
        assert self.fields is not None
        names = self.fields[1::2]
        if len(names) == 1:
            one = itemgetter(names[0])
            return lambda variables: (one(variables),)
        return itemgetter(*names)

    def _substitute(self, variables: Mapping[str, Any]) -> str:
        assert self.fields is not None
        out: list[str] = []
        size = 0
        for index, part in enumerate(self.fields):
            if index % 2:
                if part not in variables:
                    raise TextError("TEXT-UNDEFINED-VAR", f"'{part}' is undefined", part)
                try:
                    part = str(variables[part])
                except (OverflowError, MemoryError, RecursionError):
                    raise TextError("TEXT-RENDER-LIMIT", "the template needs too much work or memory to render") from None
                except Exception as exc:
                    raise TextError("TEXT-TEMPLATE", f"{type(exc).__name__}: {exc}") from None
            elif not part:
                continue
            size += len(part)
            if size > MAX_OUTPUT_CHARS:
                raise TextError("TEXT-RENDER-LIMIT", f"the rendered text is longer than {MAX_OUTPUT_CHARS} characters")
            out.append(part)
        return "".join(out)


def _plain_fields(source: str) -> tuple[str, ...] | None:
    """Text and names, alternating, when `{{ name }}` is the text's only template syntax."""
    if "\r" in source:
        return None  # Jinja rewrites line breaks in the text around fields
    parts = tuple(_PLAIN_FIELD.split(source))
    for text in parts[::2]:
        if text.endswith("{") or any(marker in text for marker in _TEMPLATE_MARKERS):
            return None
    if any(name in _SPECIAL_NAMES for name in parts[1::2]):
        return None
    return parts


@lru_cache(maxsize=4096)
def compile_text(source: str) -> TextTemplate:
    """Compile once per distinct text; raises TextError for a broken template."""
    if not any(marker in source for marker in _TEMPLATE_MARKERS):
        return TextTemplate(source, None, frozenset(), False)
    fields = _plain_fields(source) if len(source) <= MAX_TEMPLATE_CHARS else None
    if fields is not None:
        return TextTemplate(source, None, frozenset(fields[1::2]), False, fields)
    return _compile_jinja(source)


@lru_cache(maxsize=256)
def _compile_jinja(source: str) -> TextTemplate:
    if len(source) > MAX_TEMPLATE_CHARS:
        raise TextError("TEXT-RENDER-LIMIT", f"the text is a template of {len(source)} characters; templates may have at most {MAX_TEMPLATE_CHARS}")
    from smsspec.templating.sandbox import compile_template

    template, variables = compile_template(source)
    # Every template is timed: straight-line code can be slow too.
    return TextTemplate(source, template, variables, True)
