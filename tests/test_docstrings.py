"""What the notebooks call is documented the numpydoc way.

The code cells of the English notebooks (``notebooks/NN_*.ipynb``) are parsed; every call
``module.function(...)`` of a module they import from ``course_utils`` (``from course_utils
import text, plots`` or ``... import layers as course_layers``), and every call of a function
they import directly (``from course_utils.module import function``), is resolved to the function
object that runs. Each of those public functions must have, in its docstring, a ``Parameters``
section when it takes parameters (``self`` and ``cls`` aside), a ``Returns`` (or ``Yields``)
section unless it returns ``None``, and a ``Raises`` section when its own body raises (a ``raise``
with an exception, outside the functions and classes defined inside it; a bare re-raise
documents nothing new). A cell that is not plain Python (``%magic``, ``!command``) is skipped.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import json
import re
import textwrap
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
PACKAGE = "course_utils"


def _cells(path: Path) -> list[ast.Module]:
    """The parsed code cells of one notebook (cells that do not parse are left out)."""
    trees = []
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        try:
            trees.append(ast.parse(source))
        except SyntaxError:
            continue
    return trees


def _bindings(trees: list[ast.Module]) -> tuple[dict[str, types.ModuleType], dict[str, object]]:
    """The names a notebook binds to ``course_utils`` modules, and to objects imported from them."""
    modules: dict[str, types.ModuleType] = {}
    objects: dict[str, object] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
                continue
            if node.module != PACKAGE and not node.module.startswith(PACKAGE + "."):
                continue
            parent = importlib.import_module(node.module)
            for alias in node.names:
                bound = alias.asname or alias.name
                try:
                    value = importlib.import_module(f"{node.module}.{alias.name}")
                except ModuleNotFoundError:
                    value = getattr(parent, alias.name)
                if isinstance(value, types.ModuleType):
                    modules[bound] = value
                else:
                    objects[bound] = value
    return modules, objects


def called_functions(notebooks: list[Path] = NOTEBOOKS) -> dict[str, types.FunctionType]:
    """``"module.function" -> function`` for every course function the notebooks call."""
    found: dict[str, types.FunctionType] = {}
    for path in notebooks:
        trees = _cells(path)
        modules, objects = _bindings(trees)
        for tree in trees:
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                target = None
                if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) \
                        and node.func.value.id in modules:
                    target = getattr(modules[node.func.value.id], node.func.attr)
                elif isinstance(node.func, ast.Name) and node.func.id in objects:
                    target = objects[node.func.id]
                if target is None:
                    continue
                function = inspect.unwrap(target)
                if not inspect.isfunction(function) or function.__name__.startswith("_"):
                    continue  # a class, a constant, a private helper
                found[f"{function.__module__}.{function.__qualname__}"] = function
    return found


def _has_section(doc: str, *names: str) -> bool:
    return any(re.search(rf"^{name}\n-{{3,}}$", doc, re.M) for name in names)


def _own_raises(function: types.FunctionType) -> bool:
    """Whether the function's own body raises an exception (nested definitions aside)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    definition = tree.body[0]
    stack = list(ast.iter_child_nodes(definition))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Raise) and node.exc is not None:
            return True
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))
    return False


def _returns_something(function: types.FunctionType) -> bool:
    annotation = inspect.signature(function).return_annotation
    if annotation is inspect.Signature.empty:  # unannotated: does it return a value?
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
        return any(isinstance(n, ast.Return) and n.value is not None for n in ast.walk(tree.body[0]))
    return annotation not in (None, "None")


def missing_sections(function: types.FunctionType) -> list[str]:
    """The numpydoc sections ``function``'s docstring lacks."""
    doc = inspect.cleandoc(function.__doc__ or "")
    parameters = [p for p in inspect.signature(function).parameters if p not in ("self", "cls")]
    missing = []
    if parameters and not _has_section(doc, "Parameters"):
        missing.append("Parameters")
    if _returns_something(function) and not _has_section(doc, "Returns", "Yields"):
        missing.append("Returns")
    if _own_raises(function) and not _has_section(doc, "Raises"):
        missing.append("Raises")
    return missing


def test_the_notebooks_calls_are_found():
    functions = called_functions()
    assert len(NOTEBOOKS) >= 9
    # one of each kind: a module's function, and a function a notebook imports directly
    assert "course_utils.text.pad_sequences" in functions or "course_utils.plots.roc_curves" in functions
    assert len(functions) >= 20, sorted(functions)


def test_functions_the_notebooks_call_have_numpydoc_sections():
    problems = {name: missing for name, function in sorted(called_functions().items())
                if (missing := missing_sections(function))}
    assert not problems, f"{len(problems)} functions lack numpydoc sections:\n" + "\n".join(
        f"  {name}: {', '.join(missing)}" for name, missing in problems.items())


def test_the_section_checks_themselves():
    def documented(x: int) -> int:
        """Twice.

        Parameters
        ----------
        x : int
            A number.

        Returns
        -------
        int
            Twice ``x``.

        Raises
        ------
        ValueError
            If ``x`` is negative.
        """
        if x < 0:
            raise ValueError("negative")
        return 2 * x

    def bare(x: int) -> int:
        """Twice."""
        def inner():
            raise ValueError("not its own")
        return 2 * x

    def quiet() -> None:
        """Nothing."""
        try:
            pass
        except OSError:
            raise

    assert missing_sections(documented) == []
    assert missing_sections(bare) == ["Parameters", "Returns"]
    assert missing_sections(quiet) == []
