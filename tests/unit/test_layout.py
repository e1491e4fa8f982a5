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


def _public_exception_classes() -> list[type[BaseException]]:
    """Every public exception class defined in smsspec/ (a module or class whose name starts
    with ``_`` is private)."""
    import importlib
    import inspect

    found: dict[str, type[BaseException]] = {}
    for name in sorted(_modules()):
        if any(part.startswith("_") for part in name.split(".")):
            continue
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__.startswith("smsspec")
                and not attr.startswith("_")
                and not value.__name__.startswith("_")
            ):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return list(found.values())


def test_every_public_exception_class_in_smsspec_derives_from_smsspec_error() -> None:
    from smsspec.errors import SmsspecError

    classes = _public_exception_classes()
    assert len(classes) >= 14  # the finder finds them (errors.py alone defines 14)
    assert [c.__qualname__ for c in classes if not issubclass(c, SmsspecError)] == []


def test_every_public_exception_class_is_defined_in_errors_and_drawn_in_its_docstring() -> None:
    import smsspec.errors

    doc = smsspec.errors.__doc__ or ""
    for cls in _public_exception_classes():
        assert cls.__module__ == "smsspec.errors", cls
        assert cls.__name__ in smsspec.errors.__all__
        drawn = f"── {cls.__name__} " in doc or f"    {cls.__name__}\n" in doc
        assert drawn, f"{cls.__name__} is not drawn in the tree in smsspec/errors.py's docstring"


_SPEAKS = {"print", "exit", "quit", "sys.exit", "sys.stderr", "sys.stdout", "os._exit", "click.echo", "click.secho"}


def _speaking(path: Path) -> list[str]:
    """Where ``path`` prints or exits: calls of print/exit, uses of sys.stdout/stderr/exit,
    os._exit and click.echo, as ``line: name``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        name = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name = node.func.id
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            name = f"{node.value.id}.{node.attr}"
        elif isinstance(node, ast.ImportFrom) and node.module in ("sys", "os", "click"):
            name = next((f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in _SPEAKS), None)
        if name in _SPEAKS:
            found.append((node.lineno, name))
    return [f"{line}: {name}" for line, name in sorted(found)]


def test_only_the_cli_prints_or_exits() -> None:
    speaking = {
        name: lines
        for name, path in _modules().items()
        if not (name == "smsspec.cli" or name.startswith("smsspec.cli."))
        and (lines := _speaking(path))
    }
    assert speaking == {}


def test_the_print_finder_finds_printing(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import sys\nfrom os import _exit\nprint(1)\nsys.stderr.write('x')\nsys.exit(2)\n")
    assert _speaking(module) == ["2: os._exit", "3: print", "4: sys.stderr", "5: sys.exit"]


# The flow, first to last: a stage imports only from stages before it and from the shared
# modules; a shared module imports only shared modules. The sandbox (the providers' simulator)
# comes after send, so sending never imports it.
STAGES = ["load", "templating", "validate", "render", "send", "receipts", "sandbox", "report", "review", "fix", "cli", "__main__"]
SHARED = {"__init__", "_version", "compliance", "data", "diagnostics", "errors", "model", "providers", "sms", "terminal"}

# What issue 12 has not untangled yet; each pair is "importer -> imported". Shrink it, never grow it.
KNOWN_BACKWARD = {
    # shared modules that reach into stages
    "smsspec.model -> smsspec.load.recipients",
    "smsspec.model -> smsspec.load.yaml.source_map",
    "smsspec.providers.docs -> smsspec.load.config",
    "smsspec.providers.editor_schema -> smsspec.load.config",
    "smsspec.providers.editor_schema -> smsspec.validate.catalog",
    "smsspec.providers.editor_schema -> smsspec.validate.schema",
    "smsspec.providers.registry -> smsspec.load.yaml.files",
    "smsspec.providers.registry -> smsspec.validate.schema",
}


def _part(name: str) -> str:
    return name.split(".")[1] if "." in name else "__init__"


def _backward_imports() -> set[str]:
    modules = _modules()
    found = set()
    for name, path in modules.items():
        for target in _imports(name, path, modules):
            mine, theirs = _part(name), _part(target)
            if mine == theirs or theirs in SHARED:
                continue
            if mine in SHARED or STAGES.index(theirs) > STAGES.index(mine):
                found.add(f"{name} -> {target}")
    return found


def test_every_part_of_smsspec_is_a_stage_or_shared() -> None:
    assert {_part(name) for name in _modules()} <= set(STAGES) | SHARED


def test_each_stage_imports_only_from_earlier_stages_and_shared_modules() -> None:
    assert _backward_imports() - KNOWN_BACKWARD == set()


def test_the_list_of_known_backward_imports_holds_only_what_is_still_there() -> None:
    assert KNOWN_BACKWARD - _backward_imports() == set()


def test_loading_imports_no_later_stage() -> None:
    """load/ returns data and a source map; the shape and account checks live in validate/."""
    assert {edge for edge in _backward_imports() if edge.startswith("smsspec.load.")} == set()


def _provider_literals(path: Path, ids: set[str], root: Path = PACKAGE) -> list[str]:
    """String constants that are exactly a provider id, or a provider file name, in one module."""
    names = ids | {f"{i}.schema.json" for i in ids}
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path.relative_to(root)}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.lower() in names
    ]


def test_no_python_outside_the_sandbox_providers_names_a_provider() -> None:
    """A provider is data: its id is a key in schemas/ and templates/, never a branch in the code
    (prose and examples in help texts may still mention one)."""
    from smsspec.providers import registry

    ids = {provider_id.lower() for provider_id in registry.ids()}
    assert len(ids) >= 5
    inside = PACKAGE / "sandbox" / "providers"
    found = [
        hit
        for path in sorted(PACKAGE.rglob("*.py"))
        if inside not in path.parents
        for hit in _provider_literals(path, ids)
    ]
    assert found == []


def test_the_provider_literal_finder_finds_one(tmp_path: Path) -> None:
    module = tmp_path / "probe.py"
    module.write_text('if account.provider == "WhatCounts":\n    doc = "whatcounts is a provider"\n', encoding="utf-8")
    assert _provider_literals(module, {"whatcounts"}, tmp_path) == ["probe.py:1: 'WhatCounts'"]
