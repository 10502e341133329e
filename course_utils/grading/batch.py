"""Grade a class: each submission in its own sandbox, scored outside it, one atomic grade sheet.

For each student the batch copies the notebook and the assignment's public tests into a
fresh folder, runs it in the sandbox (``sandbox``) with the harness (``harness``), which
answers a challenge drawn with the class's secret seed, and then scores those answers here,
with the pristine reference (``answers``). Only this process writes the sheet, the report
and the feedback files, each atomically; temporary folders are removed whatever happens.
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import sys
import tempfile
import unicodedata
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd

from ..fileio import write_text_atomic
from ..progress import progress_bar
from . import answers as reference_answers
from . import sandbox
from .assign import student_folder

PACKAGE_DIR = Path(__file__).resolve().parents[1]
NOTEBOOK_LIMIT = 20 << 20  # bytes: a bigger "notebook" is refused before it runs
ANSWERS_LIMIT = 50 << 20  # bytes of answers.json read back from a sandbox
RUN_LIMIT = 1 << 20  # bytes of run.json (the cells' errors)
SCORES_LIMIT = 8 << 20  # bytes of scores.npy
FLAG_SCAN_LIMIT = 1 << 20  # characters of code scanned for flags

#: Advisory flags: plain substrings (linear time), looked for in the code cells' first MiB.
FLAGS = {
    "otter": "mentions the grader (otter)", "course_utils.grading": "touches the grader's package",
    "/proc": "looks at other processes", "subprocess": "starts programs", "os.system": "starts programs",
    "os.fork": "forks processes", "setsid": "starts a daemon", "socket": "opens network connections",
    "ctypes": "calls native code", "__import__": "imports by name", "importlib": "imports by name",
    "shutil.rmtree": "deletes files", "os.remove": "deletes files", "unlink(": "deletes files",
    "setattr(": "patches objects", "sys.modules": "patches modules",
}
#: Lines every student notebook starts with; not flagged.
TEMPLATE_LINES = ("import otter", "grader = otter.notebook(", "grader.check(")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class GradeResult:
    """One submission's outcome: per-question points, a status, feedback and advisory flags."""

    student: str
    scores: dict[str, float]
    status: str
    feedback: str = ""
    flags: list[str] = field(default_factory=list)

    @property
    def total(self) -> float:
        """Points earned."""
        return float(sum(self.scores.values()))


@dataclass(frozen=True)
class Roster:
    """What a submissions folder holds: gradable notebooks, conflicts and skipped entries."""

    submissions: dict[str, Path]
    conflicts: dict[str, str]
    skipped: list[tuple[str, str]]


# ------------------------------------------------------------------------------ names

def normalise_name(name: str) -> str:
    """A student's name in Unicode NFC (``zoë`` typed either way is one student)."""
    return unicodedata.normalize("NFC", name)


def spreadsheet_safe(text: str) -> str:
    """Text a spreadsheet shows as text: a leading ``= + - @`` would start a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def feedback_filename(student: str) -> str:
    """A file name for a student's feedback that cannot escape the feedback folder."""
    safe = "".join(c if c.isalnum() or c in "-_. " else "_" for c in student).strip(". ") or "student"
    digest = hashlib.blake2b(student.encode(), digest_size=4).hexdigest()
    return f"{safe[:60]}-{digest}.md" if safe != student else f"{safe}.md"


def find_submissions(directory: str | os.PathLike) -> Roster:
    """``<student>.ipynb`` files and ``<student>/`` folders holding exactly one notebook.

    A student given twice (a file and a folder, or names equal after NFC) and a folder with
    several notebooks are *conflicts*, graded for nobody until resolved; every other entry
    that is not graded is *skipped*, with the reason.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"Submissions folder {directory} does not exist.")
    candidates: dict[str, list[tuple[str, Path]]] = {}
    conflicts: dict[str, str] = {}
    skipped: list[tuple[str, str]] = []
    for entry in sorted(directory.iterdir()):
        name = entry.name
        if name.startswith("."):
            skipped.append((name, "hidden entry"))
        elif entry.is_symlink():
            skipped.append((name, "symbolic link (copy the file in instead)"))
        elif entry.is_file():
            if entry.suffix == ".ipynb":
                candidates.setdefault(normalise_name(entry.stem), []).append((name, entry))
            elif entry.suffix.lower() == ".ipynb":
                skipped.append((name, f"extension {entry.suffix!r}: rename it to .ipynb"))
            else:
                skipped.append((name, "not a notebook (.ipynb)"))
        elif entry.is_dir():
            if entry.suffix.lower() == ".ipynb":
                skipped.append((name, "a folder named like a notebook"))
                continue
            notebooks = sorted(p for p in entry.iterdir() if p.is_file() and p.suffix == ".ipynb")
            student = normalise_name(name)
            if not notebooks:
                skipped.append((name, "folder without a notebook"))
            elif len(notebooks) > 1:
                conflicts[student] = f"folder {name}/ holds {len(notebooks)} notebooks: " + \
                    ", ".join(p.name for p in notebooks)
            else:
                candidates.setdefault(student, []).append((f"{name}/{notebooks[0].name}", notebooks[0]))
        else:
            skipped.append((name, "not a file or folder"))
    submissions = {}
    for student, found in candidates.items():
        if student in conflicts:
            conflicts[student] += "; also " + ", ".join(label for label, _ in found)
        elif len(found) > 1:
            conflicts[student] = "given more than once: " + ", ".join(label for label, _ in found)
        else:
            submissions[student] = found[0][1]
    return Roster(submissions, conflicts, skipped)


def integrity_flags(nb: nbformat.NotebookNode) -> list[str]:
    """Advisory reasons for a human look (never a substitute for the sandbox): linear-time
    substring checks over at most ``FLAG_SCAN_LIMIT`` characters of code."""
    code, size = [], 0
    for cell in nb.cells:
        if cell.cell_type == "code" and size < FLAG_SCAN_LIMIT:
            code.append(str(cell.source)[: FLAG_SCAN_LIMIT - size])
            size += len(code[-1])
    lines = (line for line in "\n".join(code).lower().splitlines()
             if not line.strip().startswith(TEMPLATE_LINES + ("#",)))
    text = "\n".join(lines)
    return sorted({reason for needle, reason in FLAGS.items() if needle in text})


# ------------------------------------------------------------------------------ one submission

@dataclass
class Context:
    """Everything the submissions of one batch share: folders outside the sandbox, the challenge."""

    assignment: str
    challenge: reference_answers.Challenge
    pristine: Path  # a copy of course_utils taken when the batch started
    data: Path  # what the sandbox may read as the dataset
    public: Path  # the student version's folder (public tests)
    scratch: Path
    limits: sandbox.Limits
    unsafe: bool = False


def _read_notebook(path: Path) -> nbformat.NotebookNode:
    if path.stat().st_size > NOTEBOOK_LIMIT:
        raise ValueError(f"larger than {NOTEBOOK_LIMIT >> 20} MiB")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nbformat.reads(path.read_text(encoding="utf-8", errors="replace"), as_version=4)


def _load_answers(out: Path) -> tuple[dict, list[dict]]:
    """The submission's answers and cell errors, read as data with size limits (never trusted)."""
    answers, errors = {}, []
    path = out / "answers.json"
    if path.is_file() and not path.is_symlink() and path.stat().st_size <= ANSWERS_LIMIT:
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            answers = loaded if isinstance(loaded, dict) else {}
        except ValueError:
            answers = {}
    run = out / "run.json"
    if run.is_file() and not run.is_symlink() and run.stat().st_size <= RUN_LIMIT:
        try:
            errors = [e for e in json.loads(run.read_text(encoding="utf-8")).get("errors", []) if isinstance(e, dict)]
        except (ValueError, AttributeError):
            errors = []
    scores = out / "scores.npy"
    if scores.is_file() and not scores.is_symlink() and scores.stat().st_size <= SCORES_LIMIT:
        try:
            answers["$scores"] = np.load(scores, allow_pickle=False).astype(float).reshape(-1)
        except (ValueError, OSError):
            pass
    return answers, errors[:20]


def grade_one(submission: Path, student: str, ctx: Context) -> GradeResult:
    """Run one submission in a fresh sandbox and score its answers here."""
    zero = {q: 0.0 for q in reference_answers.QUESTIONS[ctx.assignment]}
    try:
        nb = _read_notebook(submission)
    except Exception as exc:  # not JSON, not a notebook, too large: a status, never a crash
        return GradeResult(student, zero, f"invalid notebook: {type(exc).__name__}: {str(exc)[:200]}")
    flags = integrity_flags(nb)
    folder = Path(tempfile.mkdtemp(prefix="sub-", dir=ctx.scratch))
    try:
        work = folder / "work"
        shutil.copytree(ctx.public, work, ignore=shutil.ignore_patterns("*.ipynb"))
        notebook = f"{ctx.assignment}.ipynb"  # the name otter.Notebook(...) in the notebook expects
        nbformat.write(nb, work / notebook)
        ctx.challenge.write(work)
        (work / "answers").mkdir()
        inside = sandbox.WORK if not ctx.unsafe else str(work)
        env = {"PYTHONPATH": "/opt/course" if not ctx.unsafe else str(ctx.pristine),
               "IMDB_DATA_DIR": "/data" if not ctx.unsafe else str(ctx.data),
               "COURSE_UTILS_CACHE": "/tmp/cache" if not ctx.unsafe else str(folder / "cache"),
               "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "COURSE_PROGRESS": "0",
               "JUPYTER_PREFER_ENV_PATH": "1", "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1",
               "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "tensorflow")}
        run = sandbox.run([sys.executable, "-m", "course_utils.grading.harness", f"{inside}/{notebook}",
                           f"{inside}/challenge.json", f"{inside}/answers"], work=work,
                          read_only={"/opt/course": ctx.pristine, "/data": ctx.data}, env=env,
                          limits=ctx.limits, unsafe=ctx.unsafe)
        answers, errors = _load_answers(work / "answers")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    scores, lines = reference_answers.score(ctx.challenge, answers)
    if run.timed_out:
        status = f"timeout: stopped after {ctx.limits.wall_seconds:g} s; scored what it answered"
    elif run.returncode != 0:
        status = f"stopped with exit code {run.returncode}; scored what it answered"
    else:
        status = "graded"
    if errors:
        status += f"; {len(errors)} cell(s) raised"
    if flags:
        status += f"; flagged: {', '.join(flags)}"
    feedback = "\n".join(lines)
    if errors:
        feedback += "\n\nCells that raised an error:\n" + "\n".join(
            f"- cell {e.get('cell')}: {str(e.get('error'))[:300]}" for e in errors)
    return GradeResult(student, scores, status, feedback, flags)


# ------------------------------------------------------------------------------ batch

def class_seed(output_dir: Path, *, new: bool = False) -> int:
    """The class's secret seed for challenge inputs, kept (mode 600) beside the sheet and never
    shown to a sandbox: re-runs draw the same inputs, students cannot know them."""
    path = output_dir / ".challenge-seed"
    if path.exists() and not new:
        return int(path.read_text().strip())
    seed = secrets.randbits(63)
    output_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, f"{seed}\n")
    os.chmod(path, 0o600)
    return seed


def pristine_copy(target: Path) -> Path:
    """A copy of the package's source (no ``__pycache__``: a planted ``.pyc`` stays behind)."""
    shutil.copytree(PACKAGE_DIR, target / "course_utils",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo"))
    return target


def grade_batch(submissions: str | os.PathLike, assignment: str, output_dir: str | os.PathLike, *,
                workers: int = 2, timeout: float = 300, unsafe: bool = False, new_secret: bool = False,
                dist_dir: str | os.PathLike | None = None, progress: bool | None = None,
                limits: sandbox.Limits | None = None) -> pd.DataFrame:
    """Grade every submission in ``submissions``; write ``grades.csv``, ``report.md`` and
    ``feedback/`` under ``output_dir``, atomically. Returns the sheet.

    Raises
    ------
    sandbox.SandboxUnavailable
        Where no sandbox can run, unless ``unsafe=True`` (trusted code only).
    """
    if not unsafe:
        sandbox.check_available()
    if assignment not in reference_answers.QUESTIONS:
        raise ValueError(f"Unknown assignment {assignment!r}; choose one of {sorted(reference_answers.QUESTIONS)}.")
    output_dir = Path(output_dir)
    roster = find_submissions(submissions)
    public = student_folder(assignment, dist_dir) if dist_dir else student_folder(assignment)
    challenge = reference_answers.challenge(assignment, class_seed(output_dir, new=new_secret))
    questions = reference_answers.QUESTIONS[assignment]
    limits = limits or sandbox.Limits(wall_seconds=timeout)
    results: list[GradeResult] = []
    with tempfile.TemporaryDirectory(prefix="grading-") as scratch:
        scratch = Path(scratch)
        os.chmod(scratch, 0o711)  # the sandbox user may enter, not list
        from .reference import write_sandbox_data

        data = scratch / "data"
        if assignment in reference_answers.READS_DATA:
            write_sandbox_data(data)
        data.mkdir(exist_ok=True)
        ctx = Context(assignment, challenge, pristine_copy(scratch / "pristine"), data, public, scratch, limits,
                      unsafe)
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool, progress_bar(
                total=len(roster.submissions), desc="Grading", unit="submission", enabled=progress) as bar:
            futures = [pool.submit(grade_one, path, name, ctx) for name, path in roster.submissions.items()]
            for future in futures:
                results.append(future.result())
                bar.update(1)
    for student, reason in roster.conflicts.items():
        results.append(GradeResult(student, {q: 0.0 for q in questions}, f"not graded: conflict: {reason}"))
    sheet = _sheet(results, questions)
    for r in results:
        write_text_atomic(output_dir / "feedback" / feedback_filename(r.student), _feedback(r, questions))
    write_text_atomic(output_dir / "report.md", _report(roster, assignment, unsafe))
    write_text_atomic(output_dir / "grades.csv", sheet.to_csv(index=False))
    return sheet


def _sheet(results: list[GradeResult], questions: dict[str, float]) -> pd.DataFrame:
    rows = [{"student": spreadsheet_safe(r.student), **{q: min(r.scores.get(q, 0.0), float(m)) for q, m in questions.items()},
             "max_total": float(sum(questions.values())), "status": spreadsheet_safe(r.status)} for r in results]
    sheet = pd.DataFrame(rows, columns=["student", *questions, "max_total", "status"])
    sheet.insert(len(questions) + 1, "total", sheet[list(questions)].sum(axis=1))
    return sheet.sort_values("student").reset_index(drop=True)  # names are unique: no ties


def _feedback(result: GradeResult, questions: dict[str, float]) -> str:
    total = sum(min(result.scores.get(q, 0.0), float(m)) for q, m in questions.items())
    return "\n".join([f"# Feedback for {result.student}", "", f"Score: {total:g} / {sum(questions.values()):g}",
                      f"Status: {result.status}", "", result.feedback or "(nothing was scored)", ""])


def _report(roster: Roster, assignment: str, unsafe: bool) -> str:
    lines = [f"# Grading report: {assignment}", "",
             f"Graded: {len(roster.submissions)}; conflicts: {len(roster.conflicts)}; skipped: {len(roster.skipped)}."]
    if unsafe:
        lines += ["", "**Graded with --unsafe: no sandbox. Use this for trusted code only.**"]
    if roster.conflicts:
        lines += ["", "## Conflicts (not graded until resolved)"] + [f"- {spreadsheet_safe(s)}: {r}" for s, r in roster.conflicts.items()]
    if roster.skipped:
        lines += ["", "## Skipped"] + [f"- {spreadsheet_safe(n)}: {r}" for n, r in roster.skipped]
    return "\n".join(lines) + "\n"
