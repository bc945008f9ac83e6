"""The package's modules import each other without a cycle, lazy imports included.

Every ``import`` and ``from … import`` statement is read from the syntax tree —
those inside functions and ``if TYPE_CHECKING:`` blocks as well — and the
graph of the package's modules must have no cycle.  Importing a module of a
subpackage runs that subpackage's ``__init__`` first, so that counts as an
edge too (the top package's ``__init__`` excepted: it is imported before
anything else and only re-exports).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "symbackprop"
ROOT = PACKAGE.name


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _is_package(name: str, modules: dict[str, Path]) -> bool:
    return modules[name].name == "__init__.py"


def _imported(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules that ``name`` imports, wherever the statement stands."""
    package = name if _is_package(name, modules) else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                start = ".".join(base + ([node.module] if node.module else []))
            else:
                start = node.module or ""
            # `from x import y` imports the module x.y when there is one, else x itself.
            targets = [f"{start}.{alias.name}" if f"{start}.{alias.name}" in modules else start for alias in node.names]
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target.startswith(ROOT):
                out.add(target)
    return out


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges = _imported(name, path, modules)
        for target in list(edges):
            # A subpackage's __init__ runs before any of its modules.
            parent = target.rpartition(".")[0]
            while parent and parent != ROOT:
                edges.add(parent)
                parent = parent.rpartition(".")[0]
        edges.discard(name)
        graph[name] = {target for target in edges if not (target == ROOT or name.startswith(target + "."))}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a list of modules, or None."""
    state: dict[str, int] = {}  # 1 while on the path, 2 when done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return path[path.index(target) :] + [target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_import_graph_has_no_cycle():
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_walker_sees_lazy_and_type_checking_imports(tmp_path):
    source = tmp_path / "probe.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "from .spec import Network\n"
        "if TYPE_CHECKING:\n"
        "    from .derive import Derivation\n"
        "def later():\n"
        "    from .numeric.codegen import generate\n"
        "    from . import models\n"
        "    import symbackprop.tensor\n",
        encoding="utf-8",
    )
    modules = {**_modules(), f"{ROOT}.probe": source}
    found = _imported(f"{ROOT}.probe", source, modules)
    assert found == {f"{ROOT}.{name}" for name in ("spec", "derive", "numeric.codegen", "models", "tensor")}


@pytest.mark.parametrize(
    ("graph", "cyclic"),
    [({"a": {"b"}, "b": {"c"}, "c": set()}, False), ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, True)],
)
def test_cycle_finder(graph, cyclic):
    assert (_cycle(graph) is not None) == cyclic
