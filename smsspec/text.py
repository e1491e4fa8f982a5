"""Message texts: untrusted Jinja templates rendered in a sandbox.

Anyone with commit access writes these templates, so they run in Jinja's
immutable sandbox with undefined variables as errors, a short list of filters,
capped string repetition and powers, a cap on output size and, for templates
with loops or macros, a time limit.
"""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_OUTPUT_CHARS = 20_000  # far above any SMS (255 segments of 67 units is ~17k)
MAX_SECONDS = 1.0
_TEMPLATE_MARKERS = ("{{", "{%", "{#")
_SAFE_FILTERS = (
    "abs", "capitalize", "d", "default", "first", "float", "int", "join", "last", "length",
    "list", "lower", "max", "min", "replace", "round", "sort", "string", "sum", "title", "trim",
    "truncate", "unique", "upper", "wordcount", "count", "dictsort", "items", "map", "select",
    "reject", "selectattr", "rejectattr", "batch", "slice", "striptags", "format",
)
_UNDEFINED_NAME = re.compile(r"'([^']+)' is undefined")
# A text whose only template syntax is `{{ name }}` is rendered by substitution,
# with Jinja's output and errors, and without compiling a Jinja template.
_PLAIN_FIELD = re.compile(r"\{\{ *([A-Za-z][A-Za-z0-9_]*) *\}\}")
_SPECIAL_NAMES = frozenset({
    "and", "or", "not", "in", "is", "if", "else", "true", "false", "none", "True", "False", "None",
    "self", "loop", "caller", "varargs", "kwargs", "super", "recursive",
})


class TextError(Exception):
    """A template that cannot render; ``rule`` is the diagnostic's rule id."""

    def __init__(self, rule: str, message: str, variable: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.variable = variable


class _Environment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > 64:
            raise TextError("TEXT-RENDER-LIMIT", "exponent too large in template")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and len(seq) * times > MAX_OUTPUT_CHARS:
                    raise TextError("TEXT-RENDER-LIMIT", "template repeats a value into too long a text")
        return super().call_binop(context, operator, left, right)


@lru_cache(maxsize=1)
def environment() -> _Environment:
    env = _Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.filters = {name: env.filters[name] for name in _SAFE_FILTERS if name in env.filters}
    env.globals = {}
    env.tests = {name: env.tests[name] for name in ("defined", "undefined", "none", "number", "string", "even", "odd", "divisibleby", "eq", "ne", "lt", "gt", "le", "ge", "in") if name in env.tests}
    return env


@dataclass(frozen=True)
class TextTemplate:
    source: str
    template: jinja2.Template | None  # None: the text has no template syntax
    variables: frozenset[str]  # names the template reads from its context
    needs_timer: bool  # loops or macros: bound its time
    fields: tuple[str, ...] | None = None  # plain substitution: text, name, text, name, ..., text

    def render(self, variables: Mapping[str, Any]) -> str:
        if self.fields is not None:
            if all(type(key) is str for key in variables):
                return self._substitute(variables)
            return _compile_jinja(self.source).render(variables)  # Jinja's own error for such keys
        if self.template is None:
            return self.source
        if self.needs_timer:
            with _time_limit(MAX_SECONDS):
                return self._render(variables)
        return self._render(variables)

    def _render(self, variables: Mapping[str, Any]) -> str:
        assert self.template is not None
        out: list[str] = []
        size = 0
        try:
            for chunk in self.template.root_render_func(self.template.new_context(dict(variables))):
                size += len(chunk)
                if size > MAX_OUTPUT_CHARS:
                    raise TextError("TEXT-RENDER-LIMIT", f"the rendered text is longer than {MAX_OUTPUT_CHARS} characters")
                out.append(chunk)
        except TextError:
            raise
        except jinja2.UndefinedError as exc:
            if "has no attribute '_" in str(exc):
                raise TextError("TEXT-UNSAFE", f"the template reaches for an internal attribute: {exc}") from None
            match = _UNDEFINED_NAME.search(str(exc))
            name = match.group(1) if match else None
            raise TextError("TEXT-UNDEFINED-VAR", str(exc), name) from None
        except SecurityError as exc:
            raise TextError("TEXT-UNSAFE", f"the template does something the sandbox forbids: {exc}") from None
        except (OverflowError, MemoryError, RecursionError):
            raise TextError("TEXT-RENDER-LIMIT", "the template needs too much work or memory to render") from None
        except jinja2.TemplateError as exc:
            raise TextError("TEXT-TEMPLATE", str(exc)) from None
        except Exception as exc:  # a template error surfaces as any Python error
            raise TextError("TEXT-TEMPLATE", f"{type(exc).__name__}: {exc}") from None
        return "".join(out)

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
    fields = _plain_fields(source)
    if fields is not None:
        return TextTemplate(source, None, frozenset(fields[1::2]), False, fields)
    return _compile_jinja(source)


@lru_cache(maxsize=256)
def _compile_jinja(source: str) -> TextTemplate:
    env = environment()
    try:
        tree = env.parse(source)
        template = env.from_string(tree)
    except jinja2.TemplateSyntaxError as exc:
        raise TextError("TEXT-TEMPLATE", f"line {exc.lineno} of the text: {exc.message}") from None
    except (RecursionError, MemoryError):
        raise TextError("TEXT-RENDER-LIMIT", "the template is nested too deeply") from None
    needs_timer = any(True for _ in tree.find_all((nodes.For, nodes.Macro, nodes.CallBlock)))
    return TextTemplate(source, template, frozenset(meta.find_undeclared_variables(tree)), needs_timer)


class _Timeout(BaseException):
    """Raised by the alarm; a BaseException so template code cannot swallow it."""


class _time_limit:
    """SIGALRM-based limit; only possible on the main thread of a POSIX process."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.active = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()

    def __enter__(self) -> None:
        if self.active:
            self.previous = signal.signal(signal.SIGALRM, self._expire)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, kind: object, value: object, trace: object) -> None:
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
        if isinstance(value, _Timeout):
            raise TextError("TEXT-RENDER-LIMIT", f"the template took longer than {self.seconds:g}s to render") from None

    @staticmethod
    def _expire(signum: int, frame: object) -> Iterator[None]:
        raise _Timeout()
