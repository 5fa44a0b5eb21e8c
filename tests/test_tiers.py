"""The quick tier (`pytest -m "not slow"`) touches every package under `lossevo/`.

Read from the test sources with `ast`: a package is covered when a test module that imports
it holds at least one test function that no tier marker (`slow`, or a marker that implies it)
takes out of the quick tier.
"""

import ast
import functools

import pytest

from tests.conftest import IMPLY_SLOW
from tests.test_architecture import PACKAGE, imported, modules

SLOW_MARKS = {"slow", *IMPLY_SLOW}


def _packages() -> list[str]:
    return sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py") if not p.parent.name.startswith("_"))


def _marks(decorators) -> set[str]:
    """The `pytest.mark.NAME` names among decorators (or a module's `pytestmark` value)."""
    found = set()
    for node in decorators:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Attribute):
                if sub.value.attr == "mark":
                    found.add(sub.attr)
    return found


def _quick_tests(tree: ast.Module) -> list[str]:
    module_marks = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "pytestmark" for t in node.targets):
            module_marks |= _marks([node.value])
    if module_marks & SLOW_MARKS:
        return []
    return [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and node.name.startswith("test_")
        and not _marks(node.decorator_list) & SLOW_MARKS
    ]


@functools.cache
def _quick_coverage() -> dict[str, list[str]]:
    """Each lossevo package, with the test files that import it and hold a quick test (the
    import reader is the architecture test's, which knows every lossevo module)."""
    known = set(modules())
    covered: dict[str, list[str]] = {}
    for path in sorted((PACKAGE.parent / "tests").rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if not _quick_tests(tree):
            continue
        loaded = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                loaded |= imported("tests", node, known, is_package=False)
        for package in {m.split(".")[1] for m in loaded if m.count(".") >= 1}:
            covered.setdefault(package, []).append(str(path.relative_to(PACKAGE.parent)))
    return covered


def test_the_marker_reader_sees_slow_tests():
    tree = ast.parse(
        "import pytest\n@pytest.mark.slow\ndef test_a(): pass\n@pytest.mark.launcher\ndef test_b(): pass\n"
        "def test_c(): pass\n"
    )
    assert _quick_tests(tree) == ["test_c"]
    assert _quick_tests(ast.parse("import pytest\npytestmark = pytest.mark.ray\ndef test_a(): pass\n")) == []


@pytest.mark.parametrize("package", _packages())
def test_every_package_has_quick_tests(package):
    assert _quick_coverage().get(package), f"no quick-tier test imports lossevo.{package}"
