"""Imports point down the layers and never form a cycle (read from the source with ``ast``).

The layers, top to bottom (docs/architecture.md draws them)::

    __main__ → cli → hyperpino/__init__ → bench → demo → solver → training → mms → model → pinn
             → {pde, mixer, continual} → hypernet → bottom → errors

The bottom modules are files (atomic writes), examples, devices, durations, argtypes and _lazy.

A module may import its own package and any package on a lower layer; packages on one layer do
not import each other. Every import counts, also one inside a function: a lazy import is still a
dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import hyperpino

PACKAGE = Path(hyperpino.__file__).parent
LAYERS: list[set[str]] = [
    {"__main__"},
    {"cli"},
    {"__init__"},
    {"bench"},
    {"demo"},
    {"solver"},
    {"training"},
    {"mms"},
    {"model"},
    {"pinn"},
    {"pde", "mixer", "continual"},
    {"hypernet"},
    {"files", "examples", "devices", "durations", "argtypes", "_lazy"},
    {"errors"},
]
RANK = {unit: i for i, layer in enumerate(LAYERS) for unit in layer}


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _unit(module: str) -> str:
    """The layer unit of ``hyperpino.x.y``: ``x`` (a subpackage or a top-level module)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        own = (node.module or "").startswith("hyperpino") if isinstance(node, ast.ImportFrom) else False
        if isinstance(node, ast.ImportFrom) and node.level == 0 and own:
            found.add(node.module)
            # `from hyperpino.pde import geometry` imports a module too
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("hyperpino"))
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}: relative import; the package uses absolute imports")
    return found


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Module → the package modules it imports (names that are not modules dropped)."""
    files = {_module_name(p, root): p for p in root.rglob("*.py")}
    return {mod: {m for m in _imports(p) if m in files and m != mod} for mod, p in files.items()}


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for mod, targets in graph.items():
        src = _unit(mod)
        for target in targets:
            dst = _unit(target)
            if src != dst and RANK[dst] <= RANK[src]:
                bad.append(f"{mod} -> {target}")
    return sorted(bad)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Module-level import cycles (one representative path each), by depth-first search."""
    state: dict[str, int] = {}
    found: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    return found


def test_every_unit_has_a_layer():
    units = {_unit(m) for m in import_graph()}
    assert units <= set(RANK), f"modules outside the layer table: {sorted(units - set(RANK))}"


def test_imports_point_down():
    assert upward_imports(import_graph()) == []


def test_no_import_cycles():
    assert cycles(import_graph()) == []


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "hyperpino" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "hyperpino"


@pytest.mark.parametrize("files", [
    # the two cycles this test was written against: a model method importing the solver, and a
    # result type whose save() imports the writers that import it
    {"model/hypino.py": "def generate():\n    from hyperpino.solver.generation import run\n",
     "solver/generation.py": "from hyperpino.model.hypino import HyPINO\n"},
    {"solver/result.py": "def save():\n    from hyperpino.solver.outputs import write\n",
     "solver/outputs.py": "from hyperpino.solver.result import SolveResult\n"},
])
def test_checker_catches_todays_cycles(tmp_path: Path, files: dict[str, str]):
    graph = import_graph(_write(tmp_path, files))
    assert cycles(graph) or upward_imports(graph)


def test_checker_catches_an_import_running_up(tmp_path: Path):
    graph = import_graph(_write(tmp_path, {
        "model/validation.py": "from hyperpino.demo import examples_dir\n", "demo.py": "x = 1\n"}))
    assert upward_imports(graph) == ["hyperpino.model.validation -> hyperpino.demo"]
