"""Where things are in a checkout of the repository: its root, the notebooks, the assignments,
the build folder, and how the notebooks of a folder are found.

A leaf: this module imports nothing of ``course_utils`` (and only the standard library), so any
module may import it without making a cycle, including the grading harness inside its sandbox.

Nothing is looked up at import. The root is the first checkout (a folder whose
``pyproject.toml`` names the ``course-utils`` project and which holds ``course_utils/``) found

1. at ``$COURSE_REPO``, if it is set (a setting that names no checkout is an error, not skipped);
2. above this file: the package runs from a checkout (``pip install -e .``, or on ``PYTHONPATH``);
3. at or above the current working directory: an installed package run from inside a clone.

Otherwise :class:`NotACheckoutError` says so. ``ROOT``, ``NOTEBOOK_DIR``, ``ASSIGNMENTS_DIR`` and
``DIST_DIR`` are resolved when first read, so a module may still import them by name where it
only runs inside a checkout.
"""
from __future__ import annotations

import os
import tomllib
from pathlib import Path
from collections.abc import Sequence

#: The environment variable that names the checkout explicitly.
ENV_REPO = "COURSE_REPO"
#: The ``[project] name`` of this repository's ``pyproject.toml``.
PROJECT_NAME = "course-utils"
PACKAGE_NAME = "course_utils"

# Resolved on first access (module ``__getattr__``): annotated here for readers and type checkers.
ROOT: Path
NOTEBOOK_DIR: Path
ASSIGNMENTS_DIR: Path
DIST_DIR: Path


class NotACheckoutError(FileNotFoundError):
    """The repository's folders are needed but no checkout of the repository can be found."""


def is_checkout(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` is the root of a checkout of this repository.

    Parameters
    ----------
    folder : str or os.PathLike
        The folder to test.

    Returns
    -------
    bool
        True when ``folder/pyproject.toml`` names the ``course-utils`` project and
        ``folder/course_utils/`` exists.
    """
    folder = Path(folder)
    pyproject = folder / "pyproject.toml"
    if not (pyproject.is_file() and (folder / PACKAGE_NAME).is_dir()):
        return False
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return isinstance(project, dict) and project.get("name") == PROJECT_NAME


def _checkout_above(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if is_checkout(folder):
            return folder
    return None


def repository_root() -> Path:
    """The root of the checkout the tools work on.

    Returns
    -------
    pathlib.Path
        The resolved root folder, looked for in the order the module docstring gives.

    Raises
    ------
    NotACheckoutError
        If ``$COURSE_REPO`` is set but names no checkout, or no checkout holds this package or
        the current working directory (for example an installed package run elsewhere).
    """
    named = os.environ.get(ENV_REPO, "").strip()
    if named:
        root = Path(named).expanduser().resolve()
        if not is_checkout(root):
            raise NotACheckoutError(f"${ENV_REPO} is {named!r}, which is not a checkout of the course "
                                    f"repository (no pyproject.toml naming {PROJECT_NAME!r} beside {PACKAGE_NAME}/).")
        return root
    here = Path(__file__).resolve().parent
    cwd = Path.cwd().resolve()
    found = _checkout_above(here) or _checkout_above(cwd)
    if found is None:
        raise NotACheckoutError(
            f"No checkout of the course repository here: the tools are installed at {here.parent} and the "
            f"working directory {cwd} is not inside a clone. Run the instructor's tools from a clone of the "
            f"repository, or set ${ENV_REPO} to one.")
    return found


def notebook_dir() -> Path:
    """The course's English notebooks, ``<root>/notebooks``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    NotACheckoutError
        As :func:`repository_root`.
    """
    return repository_root() / "notebooks"


def assignments_dir() -> Path:
    """The assignments' otter source notebooks, ``<root>/assignments``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    NotACheckoutError
        As :func:`repository_root`.
    """
    return repository_root() / "assignments"


def dist_dir() -> Path:
    """Where the built assignments go, ``<root>/dist``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    NotACheckoutError
        As :func:`repository_root`.
    """
    return repository_root() / "dist"


def discover(directory: str | os.PathLike | None = None, only: Sequence[str] = ()) -> list[Path]:
    """The numbered notebooks (``NN_name.ipynb``) of a folder, in order.

    Parameters
    ----------
    directory : str or os.PathLike, optional
        The folder; default :func:`notebook_dir`.
    only : sequence of str, optional
        Keep the notebooks whose name starts with one of these prefixes or whose stem is one of them.

    Returns
    -------
    list of pathlib.Path

    Raises
    ------
    ValueError
        If an entry of ``only`` matches no notebook.
    NotACheckoutError
        If ``directory`` is left out and there is no checkout.
    """
    paths = sorted(Path(notebook_dir() if directory is None else directory).glob("[0-9][0-9]_*.ipynb"))
    if only:
        wanted = [p for p in paths if any(p.name.startswith(o) or p.stem == o for o in only)]
        unknown = [o for o in only if not any(p.name.startswith(o) or p.stem == o for p in paths)]
        if unknown:
            raise ValueError(f"No notebook matches {unknown}; available: {[p.stem for p in paths]}.")
        return wanted
    return paths


def find_assignments(directory: str | os.PathLike | None = None) -> list[Path]:
    """The assignments' source notebooks (``a<N>_name.ipynb``) of a folder, in order.

    Parameters
    ----------
    directory : str or os.PathLike, optional
        The folder; default :func:`assignments_dir`.

    Returns
    -------
    list of pathlib.Path

    Raises
    ------
    NotACheckoutError
        If ``directory`` is left out and there is no checkout.
    """
    return sorted(Path(assignments_dir() if directory is None else directory).glob("a[0-9]*_*.ipynb"))


_LAZY = {"ROOT": repository_root, "NOTEBOOK_DIR": notebook_dir, "ASSIGNMENTS_DIR": assignments_dir,
         "DIST_DIR": dist_dir}


def __getattr__(name: str) -> Path:
    if name in _LAZY:
        return _LAZY[name]()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
