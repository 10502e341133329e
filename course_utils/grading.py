"""Assignments with otter-grader: build student/autograder versions, grade a class in a batch.

``python -m course_utils.grading assign`` runs ``otter assign`` on every source notebook in
``assignments/``; ``python -m course_utils.grading grade --assignment NAME --submissions DIR``
grades every submission in a pool of worker processes, each with a time limit, and writes
one grade sheet (CSV) and one feedback file per student. One student's notebook can never
stop or corrupt the batch: each runs in its own process and temporary folder, and the sheet
is written atomically at the end.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import nbformat
import pandas as pd

from .fileio import write_json_atomic, write_text_atomic
from .progress import progress_bar

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS_DIR = ROOT / "assignments"
DIST_DIR = ROOT / "dist"
LOG_LIMIT = 20_000  # characters of a submission's output kept for feedback

#: Patterns in a submission's code that deserve a human look (reported, never silently scored).
SUSPICIOUS = {
    r"(?:\btests?/|\.otter|autograder|otter_config|results\.json)": "touches the autograder's files",
    r"\bcourse_utils(?:\.\w+)+\s*=(?!=)|setattr\(\s*course_utils": "patches course_utils",
    r"\b(?:shutil\.rmtree|os\.remove|os\.unlink|os\.rmdir|Path\([^)]*\)\.unlink)\b": "deletes files",
    r"\bgrader\s*=(?!=)|\botter\.(?!Notebook\()": "tampers with the grader",
}


@dataclass
class GradeResult:
    """One submission's outcome: per-question scores, total and a status saying what happened."""

    student: str
    scores: dict[str, float]
    status: str
    feedback: str = ""
    flags: list[str] = field(default_factory=list)

    @property
    def total(self) -> float:
        """Points earned."""
        return float(sum(self.scores.values()))


# ------------------------------------------------------------------------------ assign

def assign(source: str | os.PathLike, dist_dir: str | os.PathLike = DIST_DIR, *,
           run_tests: bool = True) -> Path:
    """Run ``otter assign`` on one source notebook; return the stable autograder zip path.

    Writes ``<dist>/<name>/student/<name>.ipynb`` (what students get) and
    ``<dist>/<name>/autograder/<name>-autograder.zip`` (what grades them; it also works on
    Gradescope).
    """
    source = Path(source).resolve()
    out = Path(dist_dir).resolve() / source.stem
    if out.exists():
        shutil.rmtree(out)
    cmd = [sys.executable, "-m", "otter", "assign", str(source), str(out)]
    if not run_tests:
        cmd.insert(4, "--no-run-tests")
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=source.parent)
    if proc.returncode != 0:
        raise RuntimeError(f"otter assign failed for {source.name}:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    zips = sorted((out / "autograder").glob("*.zip"))
    if len(zips) != 1:
        raise RuntimeError(f"expected one autograder zip in {out / 'autograder'}, found {len(zips)}")
    stable = out / "autograder" / f"{source.stem}-autograder.zip"
    zips[0].rename(stable)  # otter stamps the name with the time; keep one stable path
    if run_tests and re.search(r"❌|Test case failed", proc.stdout + proc.stderr):
        raise RuntimeError(f"the solution of {source.name} fails its own tests:\n{proc.stdout[-3000:]}")
    return stable


def autograder_for(name: str, dist_dir: str | os.PathLike = DIST_DIR) -> Path:
    """The autograder zip of an assignment built by :func:`assign`."""
    path = Path(dist_dir) / name / "autograder" / f"{name}-autograder.zip"
    if not path.exists():
        raise FileNotFoundError(f"No autograder for {name!r} at {path}: run `make assign` first.")
    return path


def question_points(autograder_zip: str | os.PathLike) -> dict[str, float]:
    """Points per question, read from the autograder's test files."""
    points = {}
    with zipfile.ZipFile(autograder_zip) as archive:
        for name in sorted(archive.namelist()):
            match = re.fullmatch(r"tests/(\w+)\.py", name)
            if match:
                source = archive.read(name).decode()
                found = re.search(r"^points\s*=\s*([0-9.]+)", source, flags=re.M)
                points[match.group(1)] = float(found.group(1)) if found else 0.0
    return points


# ------------------------------------------------------------------------------ grade one

def integrity_flags(nb: nbformat.NotebookNode) -> list[str]:
    """Reasons a submission's code deserves a human look (reading tests, patching, deleting)."""
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    code = "\n".join(line for line in code.splitlines()
                     if not line.strip().startswith(("grader.check", "import otter", "grader = otter.Notebook")))
    return sorted({reason for pattern, reason in SUSPICIOUS.items() if re.search(pattern, code)})


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _tail(path: Path, limit: int = LOG_LIMIT) -> str:
    if not path.exists():
        return ""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        if size > limit:
            handle.seek(size - limit)
        text = handle.read().decode("utf-8", errors="replace")
    return (f"[... {size - limit:,} earlier bytes of output cut ...]\n" if size > limit else "") + text


def grade_one(submission: str | os.PathLike, autograder_zip: str | os.PathLike, *,
              timeout: float = 300, student: str | None = None) -> GradeResult:
    """Grade one submission in its own process and temporary folder, within ``timeout`` seconds."""
    submission = Path(submission)
    student = student or submission.stem
    questions = question_points(autograder_zip)
    zero = {q: 0.0 for q in questions}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # old notebooks without cell ids are fine here
            nb = nbformat.read(submission, as_version=4)
    except Exception as exc:  # not JSON, not a notebook: a status, never a crash
        return GradeResult(student, zero, f"invalid notebook: {type(exc).__name__}: {str(exc)[:200]}")
    flags = integrity_flags(nb)
    with tempfile.TemporaryDirectory(prefix=f"grade-{re.sub(r'[^A-Za-z0-9_-]', '_', student)}-") as tmp:
        work = Path(tmp) / "work"
        work.mkdir()
        shutil.copy(submission, work / "submission.ipynb")
        log, result_file = Path(tmp) / "output.log", Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", "course_utils.grading", "_grade-one",
               str(work / "submission.ipynb"), str(Path(autograder_zip).resolve()), str(result_file)]
        env = {**os.environ, "COURSE_PROGRESS": "0", "PYTHONPATH": os.pathsep.join(
            filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        with open(log, "wb") as out:
            proc = subprocess.Popen(cmd, cwd=work, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, env=env, start_new_session=True)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                return GradeResult(student, zero, f"timeout: stopped after {timeout:g} s", _tail(log), flags)
        output = _tail(log)
        try:
            data = json.loads(result_file.read_text())
        except (OSError, ValueError):
            last = [l for l in output.strip().splitlines() if l.strip()][-1:] or ["no output"]
            return GradeResult(student, zero, f"grader error (exit {proc.returncode}): {last[0][:200]}",
                               output, flags)
    scores = {q: float(data["scores"].get(q, 0.0)) for q in questions}
    status = "graded" if not data.get("error") else f"graded with errors: {data['error'][:200]}"
    if flags:
        status += f"; flagged: {', '.join(flags)}"
    return GradeResult(student, scores, status, data.get("feedback", ""), flags)


def _grade_one_child(submission: str, autograder_zip: str, result_file: str) -> int:
    """Runs inside the worker process: otter grades, we write a small JSON result."""
    import contextlib
    import io

    from otter.api import grade_submission

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        results = grade_submission(submission, autograder_zip, quiet=True)
    error = results.catastrophic_error
    scores = {} if error else {name: float(tf.score) for name, tf in results.results.items()}
    feedback = "" if error else "\n\n".join(
        f"## {name}: {tf.score:g} / {tf.possible:g}\n{tf.summary(public_only=True)}"
        for name, tf in sorted(results.results.items()))
    write_json_atomic(result_file, {"scores": scores, "feedback": feedback,
                                    "error": f"{type(error).__name__}: {error}" if error else ""})
    return 0


# ------------------------------------------------------------------------------ batch

def find_submissions(directory: str | os.PathLike) -> dict[str, Path]:
    """``student -> notebook``: ``<student>.ipynb`` files, or one notebook in ``<student>/``."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"Submissions folder {directory} does not exist.")
    found: dict[str, Path] = {}
    for path in sorted(directory.iterdir()):
        if path.is_file() and path.suffix == ".ipynb":
            found[path.stem] = path
        elif path.is_dir() and not path.name.startswith("."):
            notebooks = sorted(path.glob("*.ipynb"))
            if notebooks:
                found[path.name] = notebooks[0]
    return found


def grade_batch(submissions: str | os.PathLike, autograder_zip: str | os.PathLike,
                output_dir: str | os.PathLike, *, workers: int = 2, timeout: float = 300,
                progress: bool | None = None) -> pd.DataFrame:
    """Grade every submission; write ``grades.csv`` and ``feedback/<student>.md`` atomically.

    Returns the grade sheet: one row per student, one column per question, ``total``,
    ``max_total`` and ``status``. Re-running gives the same sheet.
    """
    found = find_submissions(submissions)
    questions = question_points(autograder_zip)
    output_dir = Path(output_dir)
    results: list[GradeResult] = []
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool, progress_bar(
            total=len(found), desc="Grading", unit="submission", enabled=progress) as bar:
        futures = [pool.submit(grade_one, path, autograder_zip, timeout=timeout, student=name)
                   for name, path in found.items()]
        for future in futures:
            results.append(future.result())
            bar.update(1)
    rows = [{"student": r.student, **r.scores, "total": r.total, "max_total": sum(questions.values()),
             "status": r.status} for r in results]
    sheet = pd.DataFrame(rows, columns=["student", *questions, "total", "max_total", "status"])
    sheet = sheet.sort_values("student", kind="stable").reset_index(drop=True)
    for r in results:
        lines = [f"# Feedback for {r.student}", "", f"Score: {r.total:g} / {sum(questions.values()):g}",
                 f"Status: {r.status}", "", r.feedback or "(no test output)"]
        write_text_atomic(output_dir / "feedback" / f"{r.student}.md", "\n".join(lines) + "\n")
    write_text_atomic(output_dir / "grades.csv", sheet.to_csv(index=False))
    return sheet


# ------------------------------------------------------------------------------ command line

def main(argv: Sequence[str] | None = None) -> int:
    """``assign`` builds every assignment; ``grade`` grades a folder of submissions."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_assign = sub.add_parser("assign", help="build student notebooks and autograders")
    p_assign.add_argument("--source", default=str(ASSIGNMENTS_DIR))
    p_assign.add_argument("--dist", default=str(DIST_DIR))
    p_grade = sub.add_parser("grade", help="grade a folder of submissions")
    p_grade.add_argument("--assignment", required=True, help="e.g. a1_data_preparation")
    p_grade.add_argument("--submissions", required=True)
    p_grade.add_argument("--output", default=None, help="default: grades/<assignment>")
    p_grade.add_argument("--dist", default=str(DIST_DIR))
    p_grade.add_argument("--workers", type=int, default=2)
    p_grade.add_argument("--timeout", type=float, default=300)
    p_child = sub.add_parser("_grade-one", help=argparse.SUPPRESS)
    p_child.add_argument("submission")
    p_child.add_argument("autograder")
    p_child.add_argument("result")
    args = parser.parse_args(argv)

    if args.command == "_grade-one":
        return _grade_one_child(args.submission, args.autograder, args.result)
    if args.command == "assign":
        sources = sorted(Path(args.source).glob("a*.ipynb"))
        if not sources:
            print(f"error: no assignment notebooks in {args.source}", file=sys.stderr)
            return 1
        for source in sources:
            start = time.perf_counter()
            print(f"otter assign {source.name} ...", end=" ", flush=True)
            try:
                path = assign(source, args.dist)
            except RuntimeError as exc:
                print("FAILED", flush=True)
                print(f"error: {exc}", file=sys.stderr)
                return 1
            print(f"ok ({time.perf_counter() - start:.0f} s): {os.path.relpath(path)}", flush=True)
        return 0
    try:
        autograder = autograder_for(args.assignment, args.dist)
        output = Path(args.output or Path("grades") / args.assignment)
        sheet = grade_batch(args.submissions, autograder, output, workers=args.workers, timeout=args.timeout)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(sheet.to_string(index=False))
    print(f"\nGrade sheet: {output / 'grades.csv'}; feedback: {output / 'feedback'}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
