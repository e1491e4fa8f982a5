"""The Jinja side of message texts: the bounded sandbox, compiling and rendering.

Imported only when a text needs real Jinja (more than `{{ name }}` fields), so
checking plain and simple texts never loads jinja2. The limits it enforces are
described in :mod:`smsspec.templating.text` and enforced with
:mod:`smsspec.templating.limits`.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import lru_cache, update_wrapper
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedFormatter

from smsspec.errors import TextError
from smsspec.templating.limits import MAX_OUTPUT_CHARS, MAX_RENDER_CHARS, timed

_SAFE_FILTERS = (
    "abs", "capitalize", "d", "default", "first", "float", "int", "join", "last", "length",
    "list", "lower", "max", "min", "replace", "round", "sort", "string", "sum", "title", "trim",
    "truncate", "unique", "upper", "wordcount", "count", "dictsort", "items", "map", "select",
    "reject", "selectattr", "rejectattr", "batch", "slice", "striptags", "format",
)
_UNDEFINED_NAME = re.compile(r"'([^']+)' is undefined")
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


def sandboxed_environment(extra_filters: Mapping[str, Callable[..., Any]] | None = None, *, text: bool = True) -> _Environment:
    """The sandbox: no globals, the safe filters and tests only, every call, operator and filter bounded.

    Message texts use it as it is (:func:`environment`); payload templates add
    their escaping filters and, with ``text=False``, write values of any size
    (a batch's numbers) and drop the template's final line end.
    """
    env = _Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=text, finalize=_finalize if text else None)
    env.filters = {name: _bounded_filter(name, env.filters[name]) for name in _SAFE_FILTERS if name in env.filters}
    env.filters.update(extra_filters or {})
    env.globals = {}
    env.tests = {name: env.tests[name] for name in ("defined", "undefined", "none", "number", "string", "even", "odd", "divisibleby", "eq", "ne", "lt", "gt", "le", "ge", "in") if name in env.tests}
    return env


@lru_cache(maxsize=1)
def environment() -> _Environment:
    return sandboxed_environment()


# Tags that load another template: a text has no files to load them from.
_OTHER_FILES: tuple[tuple[type[nodes.Node], str], ...] = (
    (nodes.Extends, "extends"), (nodes.Include, "include"), (nodes.Import, "import"), (nodes.FromImport, "from ... import"),
)


def compile_template(source: str) -> tuple[jinja2.Template, frozenset[str]]:
    """Parse and compile within the CPU limit; every failure a TextError."""
    env = environment()

    def build() -> tuple[jinja2.Template, frozenset[str]]:
        tree = env.parse(source)
        for kind, word in _OTHER_FILES:
            found = tree.find(kind)
            if found is not None:
                raise TextError("TEXT-TEMPLATE", f"line {found.lineno} of the text: `{{% {word} %}}` cannot be used: "
                                "a message text is a template of its own and loads no other file")
        return env.from_string(tree), frozenset(meta.find_undeclared_variables(tree))

    try:
        return timed(build, "compile")
    except jinja2.TemplateSyntaxError as exc:
        raise TextError("TEXT-TEMPLATE", f"line {exc.lineno} of the text: {exc.message}") from None
    except (RecursionError, MemoryError, SyntaxError):
        # SyntaxError: Python refuses the code Jinja made for blocks nested about 20 (loops) to 100 deep.
        raise TextError("TEXT-RENDER-LIMIT", "the template is nested too deeply") from None


def render_template(template: Any, variables: Mapping[str, Any]) -> str:
    """Render a compiled template under the output budget, every failure a TextError."""
    out: list[str] = []
    size = 0
    _budget.left = MAX_RENDER_CHARS
    try:
        for chunk in template.root_render_func(template.new_context(dict(variables))):
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
