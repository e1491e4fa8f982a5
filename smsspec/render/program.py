"""Payload programs: a template's output as constant pieces with escaped values between them.

A message's requests differ only in ``text``, ``to`` and ``recipients``. When
a template provably uses those only as escaped output (``{{ text|json }}``,
``{% for n in recipients %}{{ n|json }}{% endfor %}``), it is rendered once per
message and batch size with slots standing in for them. That gives a
:class:`Program`: constant pieces with an escaped value between each two,
which the caller checks against a full render of its first request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from secrets import token_hex
from typing import Any, NoReturn

import jinja2
from jinja2 import nodes

from smsspec.render.escapes import ESCAPERS, Escape, environment_with

PER_REQUEST = frozenset({"text", "to", "recipients"})


# Which templates a program reproduces exactly
#
# A per-request name may only be loaded as `{{ name|escaper }}` (one or more
# escapers, no arguments) directly in an output; `recipients` may also be the
# iterable of a plain `for`, whose target then follows the same rule and whose
# `loop` exposes only what depends on the batch size. Nothing may capture
# output (macros, blocks, filter/set blocks, includes), call anything that
# could change the constants, or be random; then the output is the constant
# pieces with each escaped value in its place, for every value.

_STATEMENTS = (nodes.Output, nodes.If, nodes.For, nodes.Assign, nodes.With)
_EXPRESSIONS = (
    nodes.Literal, nodes.Name, nodes.NSRef, nodes.CondExpr, nodes.Filter, nodes.Test, nodes.Call, nodes.Getitem,
    nodes.Getattr, nodes.Slice, nodes.Concat, nodes.Compare, nodes.BinExpr, nodes.UnaryExpr, nodes.Helper,
)
_PURE_GLOBALS = frozenset({"range", "dict"})
_PURE_METHODS = frozenset({
    "get", "items", "keys", "values", "count", "index", "startswith", "endswith", "lower", "upper", "title",
    "capitalize", "strip", "lstrip", "rstrip", "replace", "split", "join", "format", "isdigit", "cycle",
})
_IMPURE_FILTERS = frozenset({"random"})
_BATCH_LOOP_ATTRS = frozenset({"index", "index0", "revindex", "revindex0", "first", "last", "length", "depth", "depth0", "cycle"})


def proven(template: nodes.Template) -> bool:
    """Whether per-request values reach this template's output only escaped (see above)."""
    loops = [f for f in template.find_all(nodes.For) if _is_name(f.iter, "recipients")]
    if not all(isinstance(f.target, nodes.Name) and f.test is None and not f.recursive for f in loops):
        return False
    targets = [f.target for f in loops if isinstance(f.target, nodes.Name)]
    tracked = PER_REQUEST | {t.name for t in targets}
    if len(tracked) != len(PER_REQUEST) + len(targets):
        return False  # a target named like a per-request value, or two loops sharing one
    reserved = tracked | _PURE_GLOBALS
    for name in template.find_all(nodes.Name):
        if name.ctx != "load" and name.name in reserved and not any(name is t for t in targets):
            return False
    if any(ref.name in reserved for ref in template.find_all(nodes.NSRef)):
        return False
    return all(_allowed(child, tracked, False) for child in template.body)


def _is_name(node: nodes.Node | None, name: str) -> bool:
    return isinstance(node, nodes.Name) and node.name == name and node.ctx == "load"


def _is_escaper(node: nodes.Node) -> bool:
    return (isinstance(node, nodes.Filter) and node.name in ESCAPERS and node.node is not None
            and not (node.args or node.kwargs or node.dyn_args or node.dyn_kwargs))


def _escaped_name(node: nodes.Node, in_batch_loop: bool) -> bool:
    """``name|json``, ``name|xml|q``, ...: a variable under escapers only."""
    if not _is_escaper(node):
        return False
    while isinstance(node, nodes.Filter) and _is_escaper(node):
        assert node.node is not None
        node = node.node
    return isinstance(node, nodes.Name) and node.ctx == "load" and not (in_batch_loop and node.name == "loop")


def _pure_call(callee: nodes.Node) -> bool:
    if isinstance(callee, nodes.Name):
        return callee.name in _PURE_GLOBALS
    return isinstance(callee, nodes.Getattr) and callee.attr in _PURE_METHODS


def _allowed(node: nodes.Node, tracked: frozenset[str], in_batch_loop: bool) -> bool:
    if isinstance(node, nodes.Output):
        return all(_escaped_name(c, in_batch_loop) or _allowed(c, tracked, in_batch_loop) for c in node.nodes)
    if isinstance(node, nodes.For) and _is_name(node.iter, "recipients"):
        return all(_allowed(child, tracked, True) for child in (*node.body, *node.else_))
    if isinstance(node, nodes.Name):
        return not ((node.ctx == "load" and node.name in tracked) or (in_batch_loop and node.name == "loop"))
    if isinstance(node, nodes.Getattr) and in_batch_loop and _is_name(node.node, "loop"):
        return node.attr in _BATCH_LOOP_ATTRS
    if isinstance(node, nodes.Call) and not _pure_call(node.node):
        return False
    if isinstance(node, nodes.Filter) and node.name in _IMPURE_FILTERS:
        return False
    if not isinstance(node, (*_STATEMENTS, *_EXPRESSIONS)):
        return False
    return all(_allowed(child, tracked, in_batch_loop) for child in node.iter_child_nodes())


# --------------------------------------------------------------------------
# Recording a program


class _NotProvable(Exception):
    """A slot was used other than escaped and written out."""


TEXT, RECIPIENTS = -1, -2  # where a slot's value comes from, besides the index of one recipient (`to` is 0)


@dataclass
class _Recorder:
    marker: str = field(default_factory=lambda: f"\x00{token_hex(8)}:")  # followed by the slot's number and \x00
    slots: list[tuple[Escape, int]] = field(default_factory=list)

    def emit(self, where: int, chain: tuple[str, ...]) -> str:
        self.slots.append((_escape_chain(chain), where))
        return f"{self.marker}{len(self.slots) - 1}\x00"


class _Slot:
    """A per-request value while recording: it may only be escaped, then written out."""

    __slots__ = ("chain", "recorder", "where")

    def __init__(self, recorder: _Recorder, where: int, chain: tuple[str, ...] = ()) -> None:
        self.recorder, self.where, self.chain = recorder, where, chain

    def escaped(self, name: str) -> _Slot:
        return _Slot(self.recorder, self.where, (*self.chain, name))

    def __str__(self) -> str:
        if not self.chain:
            self._refuse()
        return self.recorder.emit(self.where, self.chain)

    def _refuse(self) -> NoReturn:
        raise _NotProvable(self.where)

    def __getattr__(self, name: str) -> NoReturn:
        self._refuse()

    def __bool__(self) -> NoReturn:
        self._refuse()

    def __len__(self) -> NoReturn:
        self._refuse()

    def __iter__(self) -> NoReturn:
        self._refuse()


class _Slots(list[_Slot]):
    """The recipients while recording: a real list of slots, itself a slot when escaped whole."""

    __slots__ = ("whole",)

    def __init__(self, recorder: _Recorder, size: int) -> None:
        super().__init__(_Slot(recorder, i) for i in range(size))
        self.whole = _Slot(recorder, RECIPIENTS)


def _recording_filter(name: str, real: Escape) -> Callable[[Any], Any]:
    def apply(value: Any) -> Any:
        if isinstance(value, _Slots):
            value = value.whole
        return value.escaped(name) if isinstance(value, _Slot) else real(value)

    return apply


@lru_cache(maxsize=1)
def recording_environment() -> jinja2.Environment:
    return environment_with({name: _recording_filter(name, real) for name, real in ESCAPERS.items()})


def _escape_chain(names: tuple[str, ...]) -> Escape:
    escapes = [ESCAPERS[name] for name in names]
    if len(escapes) == 1:
        return escapes[0]

    def escape(value: Any) -> str:
        for one in escapes:
            value = one(value)
        return str(value)

    return escape


@dataclass(frozen=True)
class Program:
    """A payload as constant pieces, with one escaped per-request value between each two."""

    head: str
    steps: tuple[tuple[Escape, int, str], ...]  # (escape, where the value comes from, the constant piece after it)

    def body(self, text: str, numbers: Sequence[str]) -> str:
        parts = [self.head]
        for escape, where, piece in self.steps:
            parts.append(escape(text if where == TEXT else numbers if where == RECIPIENTS else numbers[where]))
            parts.append(piece)
        return "".join(parts)


def record_program(recording: jinja2.Template, size: int, constants: Mapping[str, Any]) -> Program | None:
    """The program for requests to ``size`` recipients, or None when recording it fails."""
    recorder = _Recorder()
    slots = _Slots(recorder, size)
    try:
        output = recording.render(text=_Slot(recorder, TEXT), to=_Slot(recorder, 0), recipients=slots, **constants)
    except Exception:
        return None
    parts = re.split(f"{re.escape(recorder.marker)}([0-9]+)\x00", output)
    numbers = parts[1::2]
    if numbers != [str(i) for i in range(len(recorder.slots))]:
        return None  # the marker turned up in constant text too
    return Program(parts[0], tuple((escape, where, piece) for (escape, where), piece in zip(recorder.slots, parts[2::2], strict=True)))
