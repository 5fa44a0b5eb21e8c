"""The package's shape, read from the source with `ast` (nothing is imported): no import
cycles, no lossevo imports hidden inside functions, layers that import downward only, and
no code outside the genome spaces that asks which kind a genome is."""

from __future__ import annotations

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "lossevo"

# The data flow, bottom to top: a module may import its own layer's package and lower layers.
LAYERS = [
    {"space", "version", "progress", "_quiet", "seeds", "store"},
    {"losses"},
    {"data", "models"},
    {"training"},
    {"search.types"},  # the search's shared types: fitness functions and engines both use them
    {"fitness"},
    {"search"},
    {"figures", "configs", "analysis"},
    {"runs"},
]


def module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, ast.Module]:
    return {module_name(p): ast.parse(p.read_text(), str(p)) for p in sorted(PACKAGE.rglob("*.py"))}


def imported(module: str, node: ast.Import | ast.ImportFrom, known: set[str], is_package: bool) -> set[str]:
    """The lossevo modules an import statement loads (a `from package import name` loads
    the submodule when `name` is one, else the package)."""
    if isinstance(node, ast.Import):
        return {a.name for a in node.names if a.name in known}
    base = node.module or ""
    if node.level:
        parts = module.split(".")
        keep = len(parts) - node.level + (1 if is_package else 0)
        base = ".".join(parts[:keep] + ([node.module] if node.module else []))
    out = set()
    for alias in node.names:
        name = f"{base}.{alias.name}"
        out.add(name if name in known else base)
    return {m for m in out if m in known}


def import_graph() -> tuple[dict[str, set[str]], list[str]]:
    """Edges (module-level and function-level imports alike) and the function-level ones."""
    trees = modules()
    known = set(trees)
    packages = {module_name(p) for p in PACKAGE.rglob("__init__.py")}
    edges: dict[str, set[str]] = {m: set() for m in trees}
    hidden = []
    for module, tree in trees.items():
        functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        inner = {id(n) for f in functions for n in ast.walk(f)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                targets = imported(module, node, known, module in packages) - {module}
                edges[module] |= targets
                if targets and id(node) in inner:
                    hidden.append(f"{module} -> {', '.join(sorted(targets))} (line {node.lineno})")
    return edges, hidden


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (iterative Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[v] = min(low[v], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
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
    return found


def test_the_cycle_finder_finds_cycles():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert cycles(edges) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    edges, _ = import_graph()
    assert len(edges) > 80  # the whole package was read
    assert cycles(edges) == []


def test_no_lossevo_imports_inside_functions():
    _, hidden = import_graph()
    assert hidden == []


def layer_of(module: str) -> int | None:
    """The layer of a module: its most specific entry in LAYERS (None: the package root)."""
    parts = module.split(".")[1:]
    if not parts:
        return None
    for n in range(len(parts), 0, -1):
        key = ".".join(parts[:n])
        for i, layer in enumerate(LAYERS):
            if key in layer:
                return i
    raise AssertionError(f"{module} is in no layer; add its package to LAYERS")


def test_layers_import_downward_only():
    edges, _ = import_graph()
    upward = []
    for module, targets in edges.items():
        mine = layer_of(module)
        for target in targets:
            theirs = layer_of(target)
            if mine is None or target == "lossevo":
                continue
            if theirs is None or theirs > mine:
                upward.append(f"{module} -> {target}")
    assert upward == []


def test_the_shared_search_types_import_nothing_from_lossevo():
    edges, _ = import_graph()
    assert edges["lossevo.search.types"] == {"lossevo.store.errors"}  # the errors it re-exports
    assert edges["lossevo.space.protocol"] == set()


def test_the_store_imports_nothing_from_lossevo_but_itself():
    edges, _ = import_graph()
    store = {m for m in edges if m == "lossevo.store" or m.startswith("lossevo.store.")}
    assert "lossevo.store.results" in store
    assert {m: edges[m] - store for m in store} == {m: set() for m in store}


KIND_AWARE = ("lossevo.space",)


def kind_questions(tree: ast.Module) -> list[int]:
    """Lines that compare a `.kind` with a literal or test isinstance against a concrete
    genome class."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(isinstance(o, ast.Attribute) and o.attr == "kind" for o in operands) and any(
                isinstance(o, ast.Constant) and isinstance(o.value, str) for o in operands
            ):
                lines.append(node.lineno)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "isinstance":
            if any(name in ast.unparse(node.args[1]) for name in ("TreeGenome", "GraphGenome", "TreeExpr")):
                lines.append(node.lineno)
    return lines


def test_the_checker_sees_a_kind_question():
    assert kind_questions(ast.parse("if genome.kind == 'tree':\n    pass")) == [1]
    assert kind_questions(ast.parse("isinstance(g, TreeGenome)")) == [1]
    assert kind_questions(ast.parse("g.per_example(y, y_hat)")) == []


def test_no_code_outside_the_spaces_asks_a_genomes_kind():
    asked = {
        module: lines
        for module, tree in modules().items()
        if not module.startswith(KIND_AWARE) and (lines := kind_questions(tree))
    }
    assert asked == {}


@pytest.mark.parametrize("limit", [300])
def test_files_stay_readable(limit):
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > limit
    }
    assert long == {}
