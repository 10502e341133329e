"""The course wheel, what Colab's setup cell installs, holds ``course_utils`` alone, and a notebook
runs from it alone.

The wheel is built from a copy of the working tree (tracked and untracked files that git does not
ignore), as ``pip install git+…`` builds it from a clone. The notebook test installs that wheel
into a fresh virtual environment whose only other path is the third-party libraries of this one
(a plain path entry: its ``.pth`` files, among them the editable installs of ``course_utils``
and ``course_tools``, are not run), executes a smoke notebook there outside the repository, and
checks that the package it imported is the wheel's and that the tools cannot be imported.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOLS_PACKAGE = "course_tools"


def _working_tree(target: Path) -> Path:
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def build_course_wheel(tmp: Path) -> Path:
    """The course project's wheel, built from a copy of the working tree."""
    source = _working_tree(tmp / "src")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                            "--wheel-dir", str(tmp / "wheels"), str(source)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, f"the course wheel does not build (make setup installs setuptools>=77):\n{built.stderr[-3000:]}"
    (wheel,) = (tmp / "wheels").glob("course_utils-*.whl")
    return wheel


@pytest.fixture(scope="module")
def course_wheel(tmp_path_factory) -> Path:
    return build_course_wheel(tmp_path_factory.mktemp("wheel"))


def tooling_entries(names: list[str]) -> list[str]:
    """The entries of a wheel that are not the course package or the wheel's own metadata."""
    return [n for n in names if not n.startswith(("course_utils/", "course_utils-"))]


def test_the_course_wheel_holds_the_course_package_alone(course_wheel):
    names = zipfile.ZipFile(course_wheel).namelist()
    assert tooling_entries(names) == [], "the course wheel holds more than course_utils"
    modules = {n for n in names if n.endswith(".py")}
    assert {"course_utils/__init__.py", "course_utils/models.py", "course_utils/training.py"} <= modules
    # what the course reads at run time travels with it
    assert "course_utils/results/reference_records.json" in names
    assert "course_utils/locales/es/LC_MESSAGES/course_utils.po" in names
    assert not [n for n in names if "/workbook/" in n or "/grading/" in n or TOOLS_PACKAGE in n]


def test_the_check_sees_a_tooling_module_in_a_wheel():
    assert tooling_entries(["course_utils/__init__.py", "course_utils-0.3.0.dist-info/RECORD"]) == []
    assert tooling_entries(["course_utils/__init__.py", "course_tools/runner.py"]) == ["course_tools/runner.py"]


def _fresh_venv(folder: Path, wheel: Path) -> Path:
    venv.EnvBuilder(with_pip=False, symlinks=True).create(folder)
    python = folder / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    # The third-party libraries of this environment, as a plain path after the fresh site-packages.
    (site / "third_party.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site),
                    str(wheel)], check=True, capture_output=True, timeout=300)
    return python


@pytest.mark.notebooks
def test_a_smoke_notebook_runs_from_the_course_wheel_alone(course_wheel, tmp_path):
    python = _fresh_venv(tmp_path / "venv", course_wheel)
    where = subprocess.run([str(python), "-c", "import course_utils, importlib.util; print(course_utils.__file__); "
                            "print(importlib.util.find_spec('course_tools'))"],
                           cwd=tmp_path, capture_output=True, text=True, check=True).stdout.split()
    assert Path(where[0]).is_relative_to(tmp_path / "venv") and where[1] == "None"

    run = tmp_path / "run"
    run.mkdir()
    nb = nbformat.read(ROOT / "notebooks" / "03_dense_baseline.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import course_utils, importlib.util, json\n"
        "print(json.dumps([course_utils.__file__, importlib.util.find_spec('course_tools') is None]))"))
    nbformat.write(nb, run / "03_dense_baseline.ipynb")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COURSE_REPO", "VIRTUAL_ENV")}
    env["PATH"] = f"{python.parent}{os.pathsep}{env.get('PATH', '')}"
    executed = run / "executed.ipynb"
    result = subprocess.run(
        [str(python), "-m", "papermill", "--no-progress-bar", "-k", "python3", "-p", "profile", "smoke",
         "-p", "output_dir", str(run / "outputs"), str(run / "03_dense_baseline.ipynb"), str(executed)],
        cwd=run, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    last = nbformat.read(executed, as_version=4).cells[-1]
    imported, no_tools = json.loads(last.outputs[0]["text"])
    assert Path(imported).is_relative_to(tmp_path / "venv"), imported
    assert no_tools
