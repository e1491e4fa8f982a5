"""The package's shape: no import cycles inside smsspec/, and a pinned, lazy public API."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import smsspec

PACKAGE = Path(smsspec.__file__).resolve().parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ["smsspec", *path.relative_to(PACKAGE).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every smsspec module ``name`` imports, at any depth of its code (TYPE_CHECKING and
    function-level imports included: a cycle through them is still a tangle)."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    targets: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            targets += [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
    out = set()
    for target in targets:
        while target and target not in modules:
            target = target.rpartition(".")[0]
        # A module importing its own package's __init__ is not an edge worth a cycle.
        if target and target != name and not name.startswith(target + "."):
            out.add(target)
    return out


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_inside_smsspec_is_part_of_an_import_cycle() -> None:
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


PUBLIC = [
    "Account",
    "CheckResult",
    "CheckedMessage",
    "Config",
    "Diagnostic",
    "Location",
    "Message",
    "Recipient",
    "RenderedRequest",
    "Severity",
    "Spec",
    "__version__",
    "analyze",
    "check_paths",
    "render_requests",
]


def test_the_public_api_is_exactly_these_names_and_each_resolves() -> None:
    assert smsspec.__all__ == PUBLIC
    for name in PUBLIC:
        assert getattr(smsspec, name) is not None
    with pytest.raises(AttributeError):
        _ = smsspec.no_such_name  # type: ignore[attr-defined]


def test_importing_smsspec_loads_none_of_its_stages() -> None:
    code = "import smsspec, sys; print(sorted(m for m in sys.modules if m.startswith('smsspec.')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['smsspec._version']"
