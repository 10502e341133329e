"""Build each assignment with otter-grader: the student notebook (public tests, for
``grader.check``) and the autograder zip (hidden tests too, for Gradescope)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENTS_DIR = ROOT / "assignments"
DIST_DIR = ROOT / "dist"


def assign(source: str | os.PathLike, dist_dir: str | os.PathLike = DIST_DIR, *,
           run_tests: bool = True) -> Path:
    """Run ``otter assign`` on one source notebook; return the stable autograder zip path.

    Writes ``<dist>/<name>/student/<name>.ipynb`` (what students get, with ``tests/`` holding
    the public tests) and ``<dist>/<name>/autograder/<name>-autograder.zip`` (for Gradescope).

    Raises
    ------
    RuntimeError
        If otter fails, naming the first real cause it printed (e.g. a missing dataset).
    """
    source = Path(source).resolve()
    _check_data(source)
    out = Path(dist_dir).resolve() / source.stem
    if out.exists():
        shutil.rmtree(out)
    cmd = [sys.executable, "-m", "otter", "assign", str(source), str(out)]
    if not run_tests:
        cmd.insert(4, "--no-run-tests")
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=source.parent)
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise RuntimeError(f"otter assign failed for {source.name}: {root_cause(output)}\n{output[-3000:]}")
    zips = sorted((out / "autograder").glob("*.zip"))
    if len(zips) != 1:
        raise RuntimeError(f"expected one autograder zip in {out / 'autograder'}, found {len(zips)}")
    stable = out / "autograder" / f"{source.stem}-autograder.zip"
    zips[0].rename(stable)  # otter stamps the name with the time; keep one stable path
    if run_tests and re.search(r"❌|Test case failed", output):
        raise RuntimeError(f"the solution of {source.name} fails its own tests: {root_cause(output)}\n"
                           f"{output[-3000:]}")
    return stable


def _check_data(source: Path) -> None:
    """Load the dataset first for an assignment that needs it: otter would only report the
    ``NoneType`` errors that follow from a missing dataset, not the missing dataset."""
    text = source.read_text(encoding="utf-8")
    if "load_profile_data" not in text and "pipeline.prepare" not in text:
        return
    from ..data import DataError, load_imdb

    try:
        load_imdb(progress=False)
    except DataError as exc:
        raise RuntimeError(f"{source.name} needs the IMDB reviews. {exc}") from exc


def root_cause(output: str) -> str:
    """The first exception that explains a failed run (a ``DataError`` says what data is missing),
    rather than the ``NoneType`` errors that follow from it."""
    found = re.findall(r"^(?:course_utils\.\w+\.)?(\w*(?:Error|Exception)): (.+)$", output, flags=re.M)
    for name, message in found:
        if name == "DataError":
            return f"{name}: {message}"
    return f"{found[0][0]}: {found[0][1]}" if found else "see the output below"


def student_folder(name: str, dist_dir: str | os.PathLike = DIST_DIR) -> Path:
    """The built student folder of an assignment (its public tests travel with it)."""
    path = Path(dist_dir) / name / "student"
    if not (path / f"{name}.ipynb").exists():
        raise FileNotFoundError(f"No student version of {name!r} in {path}: run `make assign` first.")
    return path
