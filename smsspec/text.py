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

import itertools
import re
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache, update_wrapper
from typing import Any, TypeVar

import jinja2
from jinja2 import meta, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedFormatter

MAX_OUTPUT_CHARS = 20_000  # far above any SMS (255 segments of 67 units is ~17k)
MAX_RENDER_CHARS = 5 * MAX_OUTPUT_CHARS  # everything one render writes, blocks and macros included
MAX_TEMPLATE_CHARS = 10_000  # longest text compiled as a Jinja template (real ones are a few hundred)
MAX_SECONDS = 1.0
_T = TypeVar("_T")
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


def _too_big(what: str) -> TextError:
    return TextError("TEXT-RENDER-LIMIT", f"the template {what}; values are limited to {MAX_OUTPUT_CHARS} characters")


def _weight(value: Any, limit: int = MAX_OUTPUT_CHARS) -> int:
    """About how many characters ``value`` takes as text (shared parts counted
    each time they appear); stops counting once past ``limit``."""
    kind = type(value)
    if kind is str or kind is bytes:
        return len(value)
    if kind is int:
        return int(value.bit_length()) // 3 + 1
    if kind is bool or kind is float or value is None:
        return 1
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, (str, bytes)):
            total += len(item)
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 1  # a little over its decimal digits
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += 2 * len(item) + 2
            if total <= limit:
                stack.extend(item)
        elif isinstance(item, Mapping):
            total += 4 * len(item) + 2
            if total <= limit:
                for key, val in item.items():
                    stack += (key, val)
        else:
            total += 1
        if total > limit:
            return total
    return total


def _bounded(value: Any, what: str = "works on a value") -> Any:
    if _weight(value) > MAX_OUTPUT_CHARS:
        raise _too_big(what)
    return value


def _bounded_arguments(args: Sequence[Any], kwargs: Mapping[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """Arguments with iterators read into lists (at most a bounded number of items), all checked."""

    def one(value: Any) -> Any:
        if type(value) is str and len(value) <= MAX_OUTPUT_CHARS:
            return value
        if isinstance(value, Iterator):
            value = list(itertools.islice(value, MAX_OUTPUT_CHARS + 1))
        return _bounded(value)

    return [one(a) for a in args], {k: one(v) for k, v in kwargs.items()}


def _check_count(value: Any) -> None:
    if isinstance(value, int) and value > MAX_OUTPUT_CHARS:
        raise _too_big(f"asks for a width, length or count of {value}")


def _join_size(separator: Any, items: Sequence[Any]) -> int:
    return len(str(separator)) * max(len(items) - 1, 0) + sum(_weight(i) for i in items)


def _replace_size(text: Any, old: Any, new: Any, count: Any = -1) -> int:
    text, old, new = str(text), str(old), str(new)
    times = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and 0 <= count < times:
        times = count
    return len(text) + times * max(len(new) - len(old), 0)


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _check_percent(template: Any, values: Any) -> None:
    """``template % values`` must not pad or extend a value past the limit."""
    if not isinstance(template, str):
        return
    for match in _PERCENT_SPEC.finditer(template):
        for size in match.groups():
            if size == "*":
                for value in values if isinstance(values, tuple) else (values,):
                    _check_count(value)
            elif size is not None:
                _check_count(int(size[:9]))


def _check_method(method: Any, args: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
    """Refuse calls of str/bytes/int methods that would build something too big."""
    owner = getattr(method, "__self__", None)
    if not isinstance(owner, (str, bytes, int)):
        return
    name = getattr(method, "__name__", "")
    for value in (*args, *kwargs.values()):
        _check_count(value)  # widths, lengths, counts
    if not isinstance(owner, (str, bytes)):
        return
    size = 0
    if name == "join" and args:
        size = _join_size(owner, list(args[0]))
    elif name == "replace" and len(args) >= 2:
        size = _replace_size(owner, args[0], args[1], args[2] if len(args) > 2 else kwargs.get("count", -1))
    elif name == "expandtabs":
        tab = args[0] if args else kwargs.get("tabsize", 8)
        tabs = owner.count("\t") if isinstance(owner, str) else owner.count(b"\t")
        size = len(owner) + tabs * (tab if isinstance(tab, int) else 8)
    elif name == "translate" and args and isinstance(args[0], Mapping):
        size = len(owner) * max([_weight(v) for v in args[0].values()] or [1])
    if size > MAX_OUTPUT_CHARS:
        raise _too_big(f"would build a text of {size} characters")


class _Formatter(SandboxedFormatter):
    """str.format in the sandbox, refusing huge values, widths and precisions."""

    def get_field(self, field_name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> tuple[Any, str]:
        obj, first = super().get_field(field_name, args, kwargs)
        return _bounded(obj), first

    def format_field(self, value: Any, format_spec: str) -> Any:
        for digits in re.findall(r"\d+", format_spec):
            _check_count(int(digits[:9]))
        return super().format_field(value, format_spec)


class _CodeGenerator(CodeGenerator):
    """Jinja's code generator, with ``~`` and literal text routed through the environment's checks."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.bounded_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")

    def _output_const_repr(self, group: Any) -> str:
        return f"environment.counted_text({super()._output_const_repr(group)})"


class _RenderBudget(threading.local):
    left: int | None = None  # characters a render may still write; None outside a render


_budget = _RenderBudget()


def _charge(text: str) -> str:
    left = _budget.left
    if left is not None:
        left -= len(text)
        if left < 0:
            raise TextError("TEXT-RENDER-LIMIT", f"the template writes more than {MAX_RENDER_CHARS} characters (loops, macros and blocks included)")
        _budget.left = left
    return text


def _finalize(value: Any) -> str:
    """Every ``{{ value }}`` written, at any level: bounded before it becomes text."""
    if _weight(value, 2 * MAX_OUTPUT_CHARS) > 2 * MAX_OUTPUT_CHARS:
        raise TextError("TEXT-RENDER-LIMIT", f"the rendered text is longer than {MAX_OUTPUT_CHARS} characters")
    return _charge(str(value))


def _bounded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    passes = getattr(function, "jinja_pass_arg", None) is not None

    def run(*args: Any, **kwargs: Any) -> Any:
        head = args[:1] if passes else ()
        rest, kwargs = _bounded_arguments(args[len(head):], kwargs)
        if name == "join" and rest:
            separator = rest[1] if len(rest) > 1 else kwargs.get("d", "")
            if _join_size(separator, list(rest[0])) > MAX_OUTPUT_CHARS:
                raise _too_big("joins values into a text")
        elif name == "replace" and len(rest) >= 3:
            if _replace_size(*rest[:4], **kwargs) > MAX_OUTPUT_CHARS:
                raise _too_big("replaces text into a text")
        elif name == "format" and rest:
            _check_percent(rest[0], tuple(rest[1:]) or tuple(kwargs.values()))
        elif name in ("batch", "slice") and len(rest) > 1:
            _check_count(rest[1])
        return _bounded(function(*head, *rest, **kwargs), f"filter `{name}` makes a value")

    return update_wrapper(run, function)


class _Environment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset(["*", "**", "+", "%"])
    code_generator_class = _CodeGenerator

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > 64:
            raise TextError("TEXT-RENDER-LIMIT", "exponent too large in template")
        both_int = isinstance(left, int) and isinstance(right, int)
        if operator == "**" and both_int and right > 0 and left.bit_length() * right // 3 > MAX_OUTPUT_CHARS:
            raise _too_big("computes a number")
        if operator == "*":
            if both_int and (left.bit_length() + right.bit_length()) // 3 > MAX_OUTPUT_CHARS:
                raise _too_big("computes a number")
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and _weight(seq) * times > MAX_OUTPUT_CHARS:
                    raise TextError("TEXT-RENDER-LIMIT", "template repeats a value into too long a text")
        if operator == "+" and isinstance(left, (str, list, tuple)) and _weight(left) + _weight(right) > MAX_OUTPUT_CHARS:
            raise _too_big("adds values into one")
        if operator == "%" and isinstance(left, str):
            _check_percent(left, right)
        return _bounded(super().call_binop(context, operator, left, right))

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        checked, named = _bounded_arguments(args, kwargs)
        _check_method(__obj, checked, named)
        return _bounded(super().call(__context, __obj, *checked, **named), "calls something that returns a value")

    def unsafe_undefined(self, obj: Any, attribute: str) -> jinja2.Undefined:
        # Refuse at once: an undefined stand-in could still be printed by a filter (`map(attribute=...)`).
        raise SecurityError(f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe.")

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        if super().wrap_str_format(value) is None:
            return None
        owner: str = value.__self__
        is_format_map = value.__name__ == "format_map"
        formatter = _Formatter(self)

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_format_map:
                if kwargs:
                    raise TypeError("format_map() takes no keyword arguments")
                if len(args) != 1:
                    raise TypeError(f"format_map() takes exactly one argument ({len(args)} given)")
                kwargs = args[0]
                args = ()
            return str(_bounded(formatter.vformat(owner, args, kwargs)))

        return update_wrapper(wrapper, value)

    def bounded_concat(self, parts: Sequence[Any]) -> str:
        """``a ~ b``: the parts as text, refused before joining when too long."""
        if sum(_weight(part) for part in parts) > MAX_OUTPUT_CHARS:
            raise _too_big("joins text with `~`")
        return "".join([str(part) for part in parts])

    def counted_text(self, text: str) -> str:
        return _charge(text)


@lru_cache(maxsize=1)
def environment() -> _Environment:
    env = _Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True, finalize=_finalize)
    env.filters = {name: _bounded_filter(name, env.filters[name]) for name in _SAFE_FILTERS if name in env.filters}
    env.globals = {}
    env.tests = {name: env.tests[name] for name in ("defined", "undefined", "none", "number", "string", "even", "odd", "divisibleby", "eq", "ne", "lt", "gt", "le", "ge", "in") if name in env.tests}
    return env


@dataclass(frozen=True)
class TextTemplate:
    source: str
    template: jinja2.Template | None  # None: the text has no template syntax
    variables: frozenset[str]  # names the template reads from its context
    needs_timer: bool  # a Jinja template: bound its time
    fields: tuple[str, ...] | None = None  # plain substitution: text, name, text, name, ..., text

    def render(self, variables: Mapping[str, Any]) -> str:
        if self.fields is not None:
            if all(type(key) is str for key in variables):
                return self._substitute(variables)
            return _compile_jinja(self.source).render(variables)  # Jinja's own error for such keys
        if self.template is None:
            return self.source
        if self.needs_timer:
            return _timed(lambda: self._render(variables), "render")
        return self._render(variables)

    def _render(self, variables: Mapping[str, Any]) -> str:
        assert self.template is not None
        out: list[str] = []
        size = 0
        _budget.left = MAX_RENDER_CHARS
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
        finally:
            _budget.left = None
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
    fields = _plain_fields(source) if len(source) <= MAX_TEMPLATE_CHARS else None
    if fields is not None:
        return TextTemplate(source, None, frozenset(fields[1::2]), False, fields)
    return _compile_jinja(source)


@lru_cache(maxsize=256)
def _compile_jinja(source: str) -> TextTemplate:
    if len(source) > MAX_TEMPLATE_CHARS:
        raise TextError("TEXT-RENDER-LIMIT", f"the text is a template of {len(source)} characters; templates may have at most {MAX_TEMPLATE_CHARS}")
    env = environment()

    def build() -> tuple[jinja2.Template, frozenset[str]]:
        tree = env.parse(source)
        return env.from_string(tree), frozenset(meta.find_undeclared_variables(tree))

    try:
        template, variables = _timed(build, "compile")
    except jinja2.TemplateSyntaxError as exc:
        raise TextError("TEXT-TEMPLATE", f"line {exc.lineno} of the text: {exc.message}") from None
    except (RecursionError, MemoryError, SyntaxError):
        # SyntaxError: Python refuses the code Jinja made for blocks nested about 20 (loops) to 100 deep.
        raise TextError("TEXT-RENDER-LIMIT", "the template is nested too deeply") from None
    # Every template is timed: straight-line code can be slow too.
    return TextTemplate(source, template, variables, True)


class _Timeout(BaseException):
    """Raised by the alarm; a BaseException so template code cannot swallow it."""


_timing = False  # a limit is running (limits do not nest: the inner one would disarm the outer)
_chained: Any = None  # the SIGPROF handler found when ours was installed


def _on_timer(signum: int, frame: Any) -> None:
    if _timing:
        raise _Timeout()
    if callable(_chained):
        _chained(signum, frame)


def _timed(work: Callable[[], _T], what: str) -> _T:
    """Run ``work`` with a limit on the CPU time the process spends
    (ITIMER_PROF, so a busy machine does not make a template fail).

    Only possible on the main thread of a POSIX process. The SIGPROF handler
    is installed on first use and stays (installing it costs more than most
    renders); outside a timed call it passes the signal to the handler it
    replaced. The timer is disarmed before the call returns, and a timer that
    fires while disarming still ends as a TextError, never as a stray exception.
    """
    global _timing, _chained
    if _timing or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        return work()
    if signal.getsignal(signal.SIGPROF) is not _on_timer:
        _chained = signal.signal(signal.SIGPROF, _on_timer)
    _timing = True
    try:
        signal.setitimer(signal.ITIMER_PROF, MAX_SECONDS)
        try:
            return work()
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
    except _Timeout:
        raise TextError("TEXT-RENDER-LIMIT", f"the template took more than {MAX_SECONDS:g}s of CPU time to {what}") from None
    finally:
        _timing = False
