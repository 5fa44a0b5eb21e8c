"""The quick tier (`pytest -m "not slow"`) touches every package under `lossevo/`.

Read from the test sources with `ast`: a package is covered when a test module that imports
it holds at least one test function that no tier marker (`slow`, or a marker that implies it)
takes out of the quick tier.
"""

import ast
import functools
import os
import re

import pytest

from tests.conftest import IMPLY_SLOW

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SLOW_MARKS = {"slow", *IMPLY_SLOW}


def _packages() -> list[str]:
    base = os.path.join(ROOT, "lossevo")
    return sorted(
        name
        for name in os.listdir(base)
        if not name.startswith("_") and os.path.isfile(os.path.join(base, name, "__init__.py"))
    )


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


def _imported_packages(tree: ast.Module) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            if parts[0] == "lossevo":
                if len(parts) > 1:
                    found.add(parts[1])
                found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "lossevo" and len(parts) > 1:
                    found.add(parts[1])
    return found


@functools.cache
def _quick_coverage() -> dict[str, list[str]]:
    covered: dict[str, list[str]] = {}
    for folder, _, files in os.walk(os.path.join(ROOT, "tests")):
        for name in files:
            if not re.fullmatch(r"test_.*\.py", name):
                continue
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as f:
                tree = ast.parse(f.read())
            if _quick_tests(tree):
                for package in _imported_packages(tree):
                    covered.setdefault(package, []).append(os.path.relpath(path, ROOT))
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
