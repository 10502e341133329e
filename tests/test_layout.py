"""The repository's folders come from one leaf module, ``workbook.layout``: the root is a real
checkout (``$COURSE_REPO``, the one holding the package, or the one holding the working
directory), an installed package outside any checkout says so clearly, and the names that used
to live in ``grading.assign``, ``workbook.runner``, ``workbook.cells`` and ``workbook.edition``
still import from there."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course_tools import layout

ROOT = Path(__file__).resolve().parents[1]


def _checkout(folder: Path, name: str = layout.PROJECT_NAME) -> Path:
    (folder / "course_utils").mkdir(parents=True)
    (folder / "pyproject.toml").write_text(f'[project]\nname = "{name}"\n', encoding="utf-8")
    return folder


def test_the_root_is_the_checkout_holding_the_package(monkeypatch, tmp_path):
    monkeypatch.delenv(layout.ENV_REPO, raising=False)
    monkeypatch.chdir(tmp_path)  # the working directory does not matter when the package is in a checkout
    assert layout.repository_root() == ROOT
    assert (layout.ROOT, layout.NOTEBOOK_DIR, layout.ASSIGNMENTS_DIR, layout.DIST_DIR) == (
        ROOT, ROOT / "notebooks", ROOT / "assignments", ROOT / "dist")
    assert layout.discover() == sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")) != []
    assert [p.stem for p in layout.find_assignments()] == sorted(p.stem for p in (ROOT / "assignments").glob("a*.ipynb"))


def test_course_repo_names_the_checkout_and_a_wrong_one_is_an_error(monkeypatch, tmp_path):
    other = _checkout(tmp_path / "clone")
    monkeypatch.setenv(layout.ENV_REPO, str(other))
    assert layout.repository_root() == other.resolve()
    assert layout.notebook_dir() == other.resolve() / "notebooks"
    monkeypatch.setenv(layout.ENV_REPO, str(_checkout(tmp_path / "elsewhere", name="another-project")))
    with pytest.raises(layout.NotACheckoutError, match="COURSE_REPO"):
        layout.repository_root()


def test_a_pyproject_alone_or_of_another_project_is_no_checkout(tmp_path):
    assert layout.is_checkout(_checkout(tmp_path / "ours"))
    assert not layout.is_checkout(_checkout(tmp_path / "theirs", name="another-project"))
    (tmp_path / "bare").mkdir()
    (tmp_path / "bare" / "pyproject.toml").write_text('[project]\nname = "course-utils"\n')
    assert not layout.is_checkout(tmp_path / "bare")  # no course_utils/ beside it
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "course_utils").mkdir()
    (tmp_path / "broken" / "pyproject.toml").write_text("[project\n")
    assert not layout.is_checkout(tmp_path / "broken")


def _installed(tmp_path: Path) -> Path:
    """A copy of the packages outside any checkout, as ``pip install`` (or the grading sandbox) puts them."""
    site = tmp_path / "site-packages"
    shutil.copytree(ROOT / "course_utils", site / "course_utils",
                    ignore=shutil.ignore_patterns("__pycache__", "locales", "results"))
    shutil.copytree(ROOT / "tools" / "course_tools", site / "course_tools",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return site


def _run(code: str, site: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(site)}
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=60)


def test_an_installed_package_outside_a_checkout_says_so_and_still_grades(tmp_path):
    site = _installed(tmp_path)
    (tmp_path / "work").mkdir()
    lost = _run("from course_tools import layout; layout.notebook_dir()", site, tmp_path / "work")
    assert lost.returncode != 0 and "NotACheckoutError: No checkout of the course repository" in lost.stderr
    assert "COURSE_REPO" in lost.stderr
    # The harness runs inside the sandbox, outside any checkout: importing grading must not need one.
    harness = _run("import course_tools.grading, course_tools.grading.assign, course_tools.grading.harness",
                   site, tmp_path / "work")
    assert harness.returncode == 0, harness.stderr
    # Run from inside a clone, the installed package finds it through the working directory.
    clone = _checkout(tmp_path / "clone")
    (clone / "notebooks").mkdir()
    found = _run("from course_tools import layout; print(layout.notebook_dir())", site, clone / "notebooks")
    assert found.returncode == 0, found.stderr
    assert Path(found.stdout.strip()) == clone.resolve() / "notebooks"


def test_the_old_names_still_import_from_their_old_modules():
    import importlib

    from course_tools import cells, edition, grading, runner

    assign = importlib.import_module("course_tools.grading.assign")  # ``grading.assign`` is the function

    assert (assign.ROOT, assign.ASSIGNMENTS_DIR, assign.DIST_DIR) == (ROOT, ROOT / "assignments", ROOT / "dist")
    assert (grading.ASSIGNMENTS_DIR, grading.DIST_DIR) == (ROOT / "assignments", ROOT / "dist")
    assert assign.find_assignments is layout.find_assignments
    assert runner.NOTEBOOK_DIR == ROOT / "notebooks" and runner.discover is layout.discover
    assert edition._BADGE is cells._BADGE is cells.BADGE
    assert edition.set_edition_parameter is cells.set_edition_parameter
    assert cells.set_edition_parameter(cells.PARAMETERS_CELL, "es").endswith('\nedition = "es"')
