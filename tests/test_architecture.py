"""The layout is a contract: imports run one way, down the stages of a run, and never in a circle.

Every import counts, at module level or inside a function (an import inside a function may
make start-up faster; it must never hide a cycle), and so does a package's `__init__`
importing its submodules while they import from it.
"""

from __future__ import annotations

import ast
from pathlib import Path

from .conftest import ROOT

PACKAGE = ROOT / "perfeval"

# Lowest first. A module may import from a lower layer, or from its own package at its own
# layer (checks.funds → checks.registry); never upward. A new module must be placed here.
LAYERS: list[tuple[str, ...]] = [
    (
        "perfeval.version",
        "perfeval.values",
        "perfeval.profiles",
        "perfeval.schema",
        "perfeval.names",
        "perfeval.atomic",
        "perfeval.guard",
        "perfeval.pool",
    ),
    ("perfeval.publish",),
    ("perfeval.model", "perfeval.formulas", "perfeval.catalogue"),
    ("perfeval.grid",),
    ("perfeval.forms",),
    ("perfeval.config", "perfeval.read", "perfeval.template"),
    ("perfeval.inbox", "perfeval.scoring", "perfeval.fill", "perfeval.cache", "perfeval.results"),
    ("perfeval.historydb", "perfeval.analysis"),
    ("perfeval.checks",),
    ("perfeval.outputs",),
    ("perfeval.pipeline", "perfeval.mail", "perfeval.api"),
    ("perfeval.clikit", "perfeval.terminal"),
    ("perfeval.history_cmd",),
    ("perfeval.cli", "perfeval.__main__", "perfeval"),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The perfeval modules that `name` imports, anywhere in its code."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "perfeval")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "perfeval":
                continue
            for alias in node.names:  # `from . import funds` imports the module perfeval.checks.funds
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in known else target)
    return {m for m in found if m in known and m != name}


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports_of(name, path, set(mods)) for name, path in mods.items()}


def layer_of(name: str) -> int:
    best, best_len = -1, -1
    for i, layer in enumerate(LAYERS):
        for prefix in layer:
            if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = i, len(prefix)
    return best


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle():
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_every_module_has_a_layer():
    assert [m for m in modules() if layer_of(m) < 0] == [], "place new modules in LAYERS"


def test_imports_run_down_the_layers():
    upward = []
    for name, targets in graph().items():
        for target in targets:
            here, there = layer_of(name), layer_of(target)
            same_package = name.rpartition(".")[0] == target.rpartition(".")[0] or target.startswith(name + ".")
            if there > here or (there == here and not same_package):
                upward.append(f"{name} (layer {here}) imports {target} (layer {there})")
    assert upward == []


def test_a_stage_never_imports_click():
    """Only the command line parses options and prints: the stages are a library."""
    offenders = []
    for name, path in modules().items():
        if name in ("perfeval.cli", "perfeval.clikit", "perfeval.history_cmd", "perfeval.__main__"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "click" for a in node.names):
                offenders.append(name)
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "click":
                offenders.append(name)
    assert offenders == []


def test_the_package_exports_what_it_lists():
    import perfeval

    assert set(perfeval.__all__) == {*perfeval._EXPORTS, "__version__"}
    for name in perfeval.__all__:
        assert getattr(perfeval, name) is not None
