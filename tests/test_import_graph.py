"""No import cycle inside ``course_utils`` and the tools (``course_tools``), deferred imports
included, and no import of the tools from the course package (Colab installs the course alone).

Every ``import`` and ``from ... import`` of every module counts, wherever it is written (module
level, inside a function, under ``if TYPE_CHECKING``): a cycle that only survives because one
edge is deferred into a function body is still a cycle, and the next module-level import would
turn it into an import-time failure.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (ROOT / "course_utils", ROOT / "tools" / "course_tools")


def module_names(packages: tuple[Path, ...] = PACKAGES) -> dict[str, Path]:
    """Every module of ``packages``, by dotted name (a package by its ``__init__``)."""
    names = {}
    for package in packages:
        for path in sorted(package.rglob("*.py")):
            parts = path.relative_to(package.parent).with_suffix("").parts
            names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def import_edges(modules: dict[str, Path]) -> dict[str, dict[str, int]]:
    """``importer -> {imported: line}`` for every import between modules of ``modules``."""
    edges: dict[str, dict[str, int]] = {name: {} for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[:len(anchor) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                # ``from pkg import sub`` imports the module ``pkg.sub``; ``from mod import name`` the module.
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                           for alias in node.names]
            for target in targets:
                while target and target not in modules:  # ``import a.b.c`` of a name inside ``a.b``
                    target = target.rpartition(".")[0]
                if target and target != name:
                    edges[name].setdefault(target, node.lineno)
    return edges


def cycles(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in edges[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_scan_sees_deferred_and_relative_imports():
    edges = import_edges(module_names())
    assert "course_utils.fileio" in edges["course_tools.grading.assign"]  # deferred
    assert "course_tools.layout" in edges["course_tools.grading.assign"]  # ``from .. import layout``
    assert "course_tools.grading.reference" in edges["course_tools.grading.answers"]  # ``from .reference``, deferred
    assert "course_utils.config" in edges["course_tools.cells"]  # ``from course_utils import config``
    assert "course_utils.batching" in edges["course_utils.training"]  # ``from .batching import``


def test_a_planted_cycle_is_found():
    edges = {"a": {"b": 1}, "b": {"c": 2}, "c": {"a": 3}, "d": {"a": 4}}
    assert cycles(edges) == [["a", "b", "c"]]


def test_no_module_of_the_package_is_part_of_an_import_cycle():
    edges = import_edges(module_names())
    found = cycles(edges)
    described = []
    for component in found:
        described.append(", ".join(f"{a} -> {b} (line {edges[a][b]})" for a in component for b in edges[a]
                                   if b in component))
    assert not found, "import cycles: " + "; ".join(described)


def test_the_layout_module_imports_nothing_of_the_package():
    edges = import_edges(module_names())
    assert edges["course_tools.layout"] == {}


def test_the_course_package_imports_nothing_of_the_tools():
    edges = import_edges(module_names())
    found = [f"{a} -> {b} (line {line})" for a, targets in edges.items() if a.startswith("course_utils")
             for b, line in targets.items() if b.startswith("course_tools")]
    assert not found, "the course package imports the tools, which Colab does not install: " + "; ".join(found)
