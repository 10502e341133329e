"""Grade a class: each submission in its own sandbox, scored outside it, one atomic grade sheet.

For each student the batch copies the notebook and the assignment's public tests into a
fresh folder, runs it in the sandbox (``sandbox``) with the harness (``harness``), which
answers a challenge drawn with the class's secret seed, and then scores those answers here,
with the pristine reference (``answers``). Only this process writes the sheet, the report
and the feedback files, each atomically; temporary folders are removed whatever happens.
"""
from __future__ import annotations

import datetime
import hashlib
import os
import secrets
import shutil
import stat
import sys
import tempfile
import unicodedata
import warnings
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Mapping, Sequence

import nbformat
import pandas as pd

import course_utils
from course_utils.fileio import write_text_atomic
from course_utils.i18n import EDITIONS, N_, LazyText, render
from course_utils.i18n import gettext as _
from course_utils.progress import progress_bar
from . import answers as reference_answers
from . import safefiles, sandbox, walk
from .inert import SHOWN_LIMIT, markdown_safe, shown  # noqa: F401 - part of this module's interface
from .assign import EDITION_KEY, student_folder

#: The two packages a sandbox gets a pristine copy of: the course's, which the student's notebook
#: imports, and the tools', whose harness runs the notebook there.
PACKAGE_DIR = Path(course_utils.__file__).resolve().parent
TOOLS_DIR = Path(__file__).resolve().parents[1]
NOTEBOOK_LIMIT = 20 << 20  # bytes: a bigger "notebook" is refused before it runs
#: Bytes of answers.json read back from a sandbox: honest answers take about 100 kB (a1's word_index);
#: parsing 8 MiB of ``[{}, {}, ...]`` grows the grader by about 230 MiB (48 MiB: 1.2 GiB, per worker).
ANSWERS_LIMIT = 8 << 20
RUN_LIMIT = 1 << 20  # bytes of run.json (the cells' errors)
MODELCHECK_MEMORY = 2 << 30  # bytes for checking and scoring an exported model
FLAG_SCAN_LIMIT = 1 << 20  # characters of code scanned for flags
NOTEBOOK_DEPTH = 64  # JSON nesting of a notebook
#: What the scorer reads from a sandbox's folder: all that is copied back from it.
SCORED_FILES = ("answers/answers.json", "answers/run.json", "answers/model.keras")

#: Advisory flags: plain substrings (linear time), looked for in the code cells' first MiB.
FLAGS = {
    "otter": N_("mentions the grader (otter)"), "course_tools": N_("touches the grader's package"),
    "/proc": N_("looks at other processes"), "subprocess": N_("starts programs"), "os.system": N_("starts programs"),
    "os.fork": N_("forks processes"), "setsid": N_("starts a daemon"), "socket": N_("opens network connections"),
    "ctypes": N_("calls native code"), "__import__": N_("imports by name"), "importlib": N_("imports by name"),
    "shutil.rmtree": N_("deletes files"), "os.remove": N_("deletes files"), "unlink(": N_("deletes files"),
    "setattr(": N_("patches objects"), "sys.modules": N_("patches modules"),
    "course_utils.text": N_("uses the course's reference text code"), "course_utils import text":
    N_("uses the course's reference text code"),
}
#: The editions feedback can be written in (the student notebook's metadata names one): those
#: with a catalogue of the package's sentences.
FEEDBACK_EDITIONS = tuple(EDITIONS)
DELEGATES = N_("delegates to the course's reference code")
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
    notes: list[str] = field(default_factory=list)  # the sandbox's: protections missing, limits hit
    #: The submission's language (its notebook's metadata, checked): the feedback's language.
    edition: str = "en"
    #: ``status``'s parts, to write it in ``edition`` too (empty: ``status`` is shown as it is).
    status_parts: tuple = ()

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
    refused: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        """Students with a row on the sheet: graded, in conflict or refused."""
        return len(self.submissions) + len(self.conflicts) + len(self.refused)


# ------------------------------------------------------------------------------ names

def normalise_name(name: str) -> str:
    """A student's name in Unicode NFC (``zoë`` typed either way is one student)."""
    return unicodedata.normalize("NFC", name)


def spreadsheet_safe(text: str) -> str:
    """Text a spreadsheet shows as text: a leading ``= + - @`` would start a formula.

    One-to-one: a name that already starts with ``'`` gets another, so ``=bob`` (shown
    ``'=bob``) and ``'=bob`` (shown ``''=bob``) stay two rows.
    """
    return "'" + text if text.startswith(FORMULA_START + ("'",)) else text


def sheet_cell(text: str) -> str:
    """A name or status as the grade sheet shows it: :func:`shown` (invisible characters, bytes
    that are not UTF-8), then :func:`spreadsheet_safe`."""
    return spreadsheet_safe(shown(text))


#: Most UTF-8 bytes of a feedback file name's readable part (the file system allows 255 in all).
FILENAME_BYTES = 160


def feedback_filename(student: str) -> str:
    """A file name for a student's feedback: readable, inside the feedback folder, at most 255
    bytes, and one per student (always suffixed with a hash of the normalised name, so no name
    can forge another's). A byte that was not UTF-8 is kept in the hash, shown ``_`` in the name."""
    student = normalise_name(student)
    safe = "".join(c if c.isalnum() or c in "-_. " else "_" for c in student).strip(". ") or "student"
    safe = safe[:60]
    while len(safe.encode("utf-8")) > FILENAME_BYTES:  # 60 four-byte letters: 240 bytes
        safe = safe[:-1]
    digest = hashlib.blake2b(student.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
    return f"{safe}-{digest}.md"


def _utf8(text: str) -> str:
    """``text`` that always encodes to UTF-8 (a lone surrogate, e.g. from a JSON ``"\\udce9"``,
    is written as its escape): the last guard before a file is written, so the sheet always is."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


#: A student folder nested deeper than this, or holding more entries, is refused unread.
TREE_DEPTH = 16
TREE_ENTRIES = 10_000
HARD_LINK = ("a hard link (it shares its contents with another file, perhaps someone else's): "
             "hard links are refused like symbolic links; copy the file in instead")


def _regular_tree(folder: Path, limit: int = TREE_ENTRIES, max_depth: int = TREE_DEPTH) -> str | None:
    """Why ``folder`` cannot be graded (a link, a hard link or a special file anywhere in it, too
    deep, too many entries), or ``None``.

    A walk (``walk.entries``, depth first): iterative (a folder 1,100 levels deep is one refusal,
    not a ``RecursionError``), every folder opened relative to its parent's descriptor without
    following links (no path grows past ``PATH_MAX``), and bounded: at most ``limit`` entries and
    ``max_depth`` levels are looked at. The first entry that is not a regular file or a folder
    refuses the tree.
    """
    try:
        with closing(walk.entries(folder, limit=limit, max_depth=max_depth)) as found:
            for entry in found:
                if entry.info is None:
                    return "an entry vanished while it was read"
                mode, relative = entry.info.st_mode, entry.relative
                if stat.S_ISLNK(mode):
                    return (f"holds a symbolic link ({relative}): links are never followed; "
                            "copy the file in instead")
                if stat.S_ISREG(mode):
                    if entry.info.st_nlink > 1:
                        return f"holds {relative}, {HARD_LINK}"
                elif stat.S_ISDIR(mode):
                    if entry.descent is walk.Descent.TOO_DEEP:
                        return f"nests folders more than {max_depth} levels deep"
                    if entry.descent is walk.Descent.UNOPENABLE:
                        return f"holds {relative}, which cannot be opened as a folder"
                else:
                    return f"holds {relative}, which is not a regular file"
    except walk.FolderUnopenable as exc:
        return f"cannot be opened ({exc.strerror})"
    except walk.TooManyEntries:
        return f"holds more than {limit:,} entries"
    return None


def _classify(entry: Path, candidates: dict[str, list[tuple[str, Path]]], conflicts: dict[str, str],
              refused: dict[str, str], skipped: list[tuple[str, str]]) -> None:
    """Sort one entry of the submissions folder into ``candidates``, ``conflicts``, ``refused`` or
    ``skipped`` (the caller guards it: whatever it raises is that student's row)."""
    name = entry.name
    info = entry.lstat()
    mode = info.st_mode
    if name.startswith("."):
        skipped.append((name, "hidden entry"))
    elif stat.S_ISLNK(mode):
        if entry.suffix.lower() == ".ipynb" or "." not in name:
            refused[normalise_name(Path(name).stem if entry.suffix.lower() == ".ipynb" else name)] = \
                "a symbolic link: links are never followed; copy the notebook in instead"
        else:
            skipped.append((name, "symbolic link (copy the file in instead)"))
    elif stat.S_ISREG(mode):
        if entry.suffix == ".ipynb" and info.st_nlink > 1:
            refused[normalise_name(entry.stem)] = HARD_LINK
        elif entry.suffix == ".ipynb":
            candidates.setdefault(normalise_name(entry.stem), []).append((name, entry))
        elif entry.suffix.lower() == ".ipynb":
            skipped.append((name, f"extension {entry.suffix!r}: rename it to .ipynb"))
        else:
            skipped.append((name, "not a notebook (.ipynb)"))
    elif stat.S_ISDIR(mode):
        if entry.suffix.lower() == ".ipynb":
            skipped.append((name, "a folder named like a notebook"))
            return
        student = normalise_name(name)
        problem = _regular_tree(entry)
        if problem:
            refused[student] = f"folder {name}/ {problem}"
            return
        notebooks = sorted(p for p in entry.iterdir() if p.suffix == ".ipynb" and not p.is_dir())
        if not notebooks:
            skipped.append((name, "folder without a notebook"))
        elif len(notebooks) > 1:
            conflicts[student] = f"folder {name}/ holds {len(notebooks)} notebooks: " + \
                ", ".join(p.name for p in notebooks)
        else:
            candidates.setdefault(student, []).append((f"{name}/{notebooks[0].name}", notebooks[0]))
    else:
        skipped.append((name, "not a file or folder"))


def find_submissions(directory: str | os.PathLike) -> Roster:
    """``<student>.ipynb`` files and ``<student>/`` folders holding exactly one notebook.

    A student given twice (a file and a folder, or names equal after NFC) and a folder with
    several notebooks are *conflicts*, graded for nobody until resolved. A notebook that is a
    link, or a folder holding a link or a special file anywhere, is *refused* (never followed).
    Both get a row with no points; every other entry that is not graded is *skipped*, with the reason.

    Raises
    ------
    FileNotFoundError
        If ``directory`` is not a folder.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"Submissions folder {directory} does not exist.")
    candidates: dict[str, list[tuple[str, Path]]] = {}
    conflicts: dict[str, str] = {}
    refused: dict[str, str] = {}
    skipped: list[tuple[str, str]] = []
    for entry in sorted(directory.iterdir()):
        try:
            _classify(entry, candidates, conflicts, refused, skipped)
        except Exception as exc:  # noqa: BLE001 - one entry's failure is its own row, the rest are graded
            name = entry.name
            student = normalise_name(Path(name).stem if name.lower().endswith(".ipynb") else name)
            refused[student] = f"could not be read ({type(exc).__name__}); the rest of the class was graded"
    submissions = {}
    for student, found in candidates.items():
        if student in refused:
            refused[student] += "; also " + ", ".join(label for label, _ in found)
        elif student in conflicts:
            conflicts[student] += "; also " + ", ".join(label for label, _ in found)
        elif len(found) > 1:
            conflicts[student] = "given more than once: " + ", ".join(label for label, _ in found)
        else:
            submissions[student] = found[0][1]
    for student in refused:
        conflicts.pop(student, None)
    return Roster(submissions, conflicts, skipped, refused)


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


def submission_edition(nb: object) -> str:
    """The language a submission asks its feedback in: its notebook's ``metadata[EDITION_KEY]``
    (written by ``make assign``), read as untrusted input. Only a known edition (``"en"``,
    ``"es"``) is accepted; anything else (missing, not a string, a path, a huge string, odd
    metadata) means English. Never raises."""
    try:
        metadata = nb.get("metadata") if isinstance(nb, dict) else None
        value = metadata.get(EDITION_KEY) if isinstance(metadata, dict) else None
    except Exception:  # noqa: BLE001 - an odd notebook object reads as English
        return "en"
    return value if type(value) is str and value in FEEDBACK_EDITIONS else "en"


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
    """The notebook at ``path``, opened without following links, at most ``NOTEBOOK_LIMIT`` bytes.

    Raises
    ------
    safefiles.UnsafeFile
        If it is a link, not a regular file, too large, or not a notebook; the message never
        quotes the file (only its reason).
    """
    raw = safefiles.read_regular(path, NOTEBOOK_LIMIT)
    if safefiles.json_depth(raw) > NOTEBOOK_DEPTH:
        raise safefiles.UnsafeFile(f"nested deeper than {NOTEBOOK_DEPTH} levels")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return nbformat.reads(raw.decode("utf-8", errors="replace"), as_version=4)
    except Exception as exc:  # noqa: BLE001 - whatever nbformat raises, the file is not a notebook
        raise safefiles.UnsafeFile(f"not a Jupyter notebook ({type(exc).__name__})") from None


def _load_answers(out: Path) -> tuple[dict, list[dict]]:
    """The submission's answers and cell errors, read as data (never trusted): no link followed,
    sizes and nesting bounded; anything unreadable reads as no answer."""
    answers, errors = {}, []
    try:
        loaded = safefiles.read_json("answers.json", ANSWERS_LIMIT, base=out)
        # "$"-keys are the grader's own (e.g. "$scores", "$model"): a sandbox cannot supply them
        answers = {k: v for k, v in loaded.items() if not k.startswith("$")} if isinstance(loaded, dict) else {}
    except safefiles.UnsafeFile:
        answers = {}
    try:
        run = safefiles.read_json("run.json", RUN_LIMIT, base=out)
        found = run.get("errors") if isinstance(run, dict) else None
        errors = [e for e in found if isinstance(e, dict)] if isinstance(found, list) else []
    except safefiles.UnsafeFile:
        errors = []
    return answers, errors[:20]


def _check_model(answers_dir: Path, folder: Path, ctx: Context) -> dict:
    """Assignment 2: the exported model checked and scored outside the submission's sandbox."""
    from . import modelcheck

    spec = ctx.challenge.model_check
    if spec is None:  # only assignment 2's challenge exports a model
        raise ValueError(f"{ctx.assignment} has no model to check.")
    limits = sandbox.Limits(wall_seconds=min(ctx.limits.wall_seconds, 300), memory_bytes=ctx.limits.memory_bytes,
                            total_memory_bytes=min(ctx.limits.total_memory_bytes, MODELCHECK_MEMORY),
                            cgroup=ctx.limits.cgroup)
    return modelcheck.evaluate(answers_dir, spec["x"], vocab_size=spec["vocab_size"], maxlen=spec["maxlen"],
                               folder=folder, pristine=ctx.pristine, limits=limits, unsafe=ctx.unsafe)


def _delegation_advice(found) -> list[str]:
    """The harness's delegation findings (untrusted, advisory only), as bounded lines."""
    if not isinstance(found, dict):
        return []
    lines = []
    for name, reasons in list(found.items())[:20]:
        if isinstance(name, str) and isinstance(reasons, list):
            lines += [f"{name[:60]} {reason[:120]}" for reason in reasons[:5] if isinstance(reason, str)]
    return lines


def _failed(student: str, questions: Mapping[str, float], status: str) -> GradeResult:
    return GradeResult(student, {q: 0.0 for q in questions}, status)


def grade_guarded(submission: Path, student: str, ctx: Context) -> GradeResult:
    """:func:`grade_one`, with any failure (a recursion bomb, a full disk, a bug) turned into this
    student's status: one submission never stops the batch. The status names the error's type
    only: an exception's text may quote a file."""
    try:
        return grade_one(submission, student, ctx)
    except Exception as exc:  # noqa: BLE001 - one submission's failure is its own row
        return _failed(student, reference_answers.QUESTIONS[ctx.assignment],
                       f"not graded: grading failed ({type(exc).__name__}); the rest of the class was graded")


def grade_one(submission: Path, student: str, ctx: Context) -> GradeResult:
    """Run one submission in a fresh sandbox and score its answers here."""
    zero = {q: 0.0 for q in reference_answers.QUESTIONS[ctx.assignment]}
    try:
        nb = _read_notebook(submission)
    except safefiles.UnsafeFile as exc:  # a link, not JSON, not a notebook, too large: a status
        return GradeResult(student, zero, f"invalid notebook: {exc}")
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
        run = sandbox.run([sys.executable, "-m", "course_tools.grading.harness", f"{inside}/{notebook}",
                           f"{inside}/challenge.json", f"{inside}/answers"], work=work,
                          read_only={"/opt/course": ctx.pristine, "/data": ctx.data}, env=env,
                          limits=ctx.limits, unsafe=ctx.unsafe, keep=SCORED_FILES)
        answers, errors = _load_answers(work / "answers")
        if ctx.challenge.model_check is not None:
            answers.update(_check_model(work / "answers", folder, ctx))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    advice = _delegation_advice(answers.pop("_delegation", None))
    if advice:
        flags = sorted(set(flags) | {DELEGATES})
    edition = submission_edition(nb)
    scores, lines = reference_answers.score(ctx.challenge, answers, edition)
    if run.timed_out:
        parts = [LazyText(N_("timeout: stopped after {seconds} s; scored what it answered"),
                          seconds=ctx.limits.wall_seconds)]
    elif run.returncode != 0:
        parts = [LazyText(N_("stopped with exit code {code}; scored what it answered"), code=str(run.returncode))]
    else:
        parts = [LazyText(N_("graded"))]
    if errors:
        parts.append(LazyText(N_("{n} cell(s) raised"), n=len(errors)))
    if any(note.startswith("the kernel killed") for note in run.notes):
        parts.append(LazyText(N_("killed over the memory limit")))
    if flags:
        parts.append(LazyText(N_("flagged: {flags}"), flags=tuple(LazyText(f) for f in flags)))
    status = "; ".join(part.render() for part in parts)
    feedback = "\n".join(lines)
    if errors:
        cell_line = _("- cell {cell}: {error}", edition=edition)
        feedback += "\n\n" + _("Cells that raised an error:", edition=edition) + "\n" + "\n".join(
            cell_line.format(cell=markdown_safe(str(e.get('cell'))[:20]), error=markdown_safe(str(e.get('error'))[:300]))
            for e in errors)
    if advice:
        feedback += ("\n\n" + _("Advisory (for a human look, no points taken): the assignment asks for your own code, "
                                 "and these answers delegate to the course's reference package:", edition=edition)
                     + "\n" + "\n".join(f"- {markdown_safe(line)}" for line in advice))
    if run.notes:
        feedback += "\n\n" + _("Sandbox:", edition=edition) + "\n" + \
            "\n".join(f"- {markdown_safe(note)}" for note in run.notes)
    return GradeResult(student, scores, status, feedback, flags, list(run.notes), edition, tuple(parts))


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
    """A copy of the course's and the tools' sources (no ``__pycache__``: a planted ``.pyc``
    stays behind), side by side in ``target`` as the sandbox's ``PYTHONPATH`` finds them."""
    for source in (PACKAGE_DIR, TOOLS_DIR):
        shutil.copytree(source, target / source.name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo"))
    return target


def grade_batch(submissions: str | os.PathLike, assignment: str, output_dir: str | os.PathLike, *,
                workers: int = 2, timeout: float = 300, unsafe: bool = False, new_secret: bool = False,
                dist_dir: str | os.PathLike | None = None, progress: bool | None = None,
                limits: sandbox.Limits | None = None) -> pd.DataFrame:
    """Grade every submission in ``submissions``; write ``grades.csv``, ``report.md`` and
    ``feedback/`` under ``output_dir``, atomically. Returns the sheet.

    A failure while grading one submission becomes its row's status; the sheet, the report and
    the feedback are always written. A sheet that is replaced is kept first, as
    ``history/grades-<UTC time>.csv``.

    Raises
    ------
    sandbox.SandboxUnavailable
        Where no sandbox can run, unless ``unsafe=True`` (trusted code only).
    NoSubmissions
        If ``submissions`` holds no notebook at all (the previous sheet is left as it is).
    """
    if not unsafe:
        sandbox.check_available()
    if assignment not in reference_answers.QUESTIONS:
        raise ValueError(f"Unknown assignment {assignment!r}; choose one of {sorted(reference_answers.QUESTIONS)}.")
    output_dir = Path(output_dir)
    roster = find_submissions(submissions)
    if not len(roster):
        raise NoSubmissions(
            f"No submission in {submissions}: it holds no <student>.ipynb and no <student>/ folder with a notebook"
            + (f" ({len(roster.skipped)} other entries, e.g. {roster.skipped[0][0]!r}: {roster.skipped[0][1]})"
               if roster.skipped else " (it is empty)")
            + ". Check the --submissions path; nothing was written, and any previous sheet is unchanged.")
    limits = limits or sandbox.Limits(wall_seconds=timeout)
    if not unsafe:
        check_memory_fits(max(1, workers), limits)
    public = student_folder(assignment, dist_dir) if dist_dir else student_folder(assignment)
    challenge = reference_answers.challenge(assignment, class_seed(output_dir, new=new_secret))
    questions = reference_answers.QUESTIONS[assignment]
    results: list[GradeResult] = []
    with tempfile.TemporaryDirectory(prefix="grading-") as scratch_name:
        scratch = Path(scratch_name)
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
            futures = {name: pool.submit(grade_guarded, path, name, ctx) for name, path in roster.submissions.items()}
            for name, future in futures.items():
                try:
                    results.append(future.result())
                except Exception as exc:  # noqa: BLE001 - even a failure of the guard is one row
                    results.append(_failed(name, questions, f"not graded: grading failed ({type(exc).__name__})"))
                bar.update(1)
    for student, reason in roster.conflicts.items():
        results.append(_failed(student, questions, f"not graded: conflict: {reason}"))
    for student, reason in roster.refused.items():
        results.append(_failed(student, questions, f"not graded: refused: {reason}"))
    sheet = _sheet(results, questions)
    notes = sorted({note for r in results for note in r.notes if not note.startswith("the kernel killed")})
    write_outputs(output_dir, sheet, {r.student: _feedback(r, questions) for r in results},
                  _report(roster, assignment, unsafe, notes))
    return sheet


def check_memory_fits(workers: int, limits: sandbox.Limits, machine: int | None = None) -> None:
    """Refuse a batch whose sandboxes could together need more memory than the machine has.

    Raises
    ------
    ValueError
        If ``workers`` × ``limits.total_memory_bytes`` exceeds the machine's memory.
    """
    from . import cgroups

    machine = cgroups.machine_memory() if machine is None else machine
    need = workers * limits.total_memory_bytes
    if machine is not None and need > machine:
        raise ValueError(
            f"{workers} workers × {limits.total_memory_bytes >> 20} MiB per sandbox = {need >> 20} MiB, more than this "
            f"machine's {machine >> 20} MiB: grade with fewer --workers (at most {machine // limits.total_memory_bytes}) "
            "or a smaller --memory per submission.")


class NoSubmissions(ValueError):
    """The submissions folder holds nothing to grade."""


def write_outputs(output_dir: Path, sheet: pd.DataFrame, feedback: dict[str, str], report: str) -> None:
    """Write the feedback folder (built aside, then swapped in), the report, then the sheet;
    a sheet being replaced is first kept under ``history/``."""
    output_dir.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".feedback-", dir=output_dir))
    try:
        for student, text in feedback.items():
            (building / feedback_filename(student)).write_text(_utf8(text), encoding="utf-8")
        os.chmod(building, 0o755)
        _swap_in(building, output_dir / "feedback")
    finally:
        shutil.rmtree(building, ignore_errors=True)
    write_text_atomic(output_dir / "report.md", _utf8(report))
    previous = output_dir / "grades.csv"
    if previous.is_file() and not previous.is_symlink():
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        history = output_dir / "history"
        history.mkdir(exist_ok=True)
        shutil.copy2(previous, history / f"grades-{stamp}.csv")
    write_text_atomic(previous, _utf8(sheet.to_csv(index=False)))


def _swap_in(new: Path, target: Path) -> None:
    """Put folder ``new`` at ``target``: one atomic exchange where Linux offers it, else two renames."""
    if not target.exists() and not target.is_symlink():
        os.rename(new, target)
        return
    if target.is_symlink() or not target.is_dir():
        target.unlink()
        os.rename(new, target)
        return
    if not _exchange(new, target):
        old = Path(tempfile.mkdtemp(prefix=".feedback-old-", dir=target.parent))
        os.rename(target, old / "feedback")
        os.rename(new, target)
        new = old
    shutil.rmtree(new, ignore_errors=True)  # now the previous feedback


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with Linux's ``renameat2(RENAME_EXCHANGE)``; ``False`` if unavailable."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def _sheet(results: list[GradeResult], questions: Mapping[str, float]) -> pd.DataFrame:
    rows = [{"student": sheet_cell(r.student), **{q: min(r.scores.get(q, 0.0), float(m)) for q, m in questions.items()},
             "max_total": float(sum(questions.values())), "status": sheet_cell(r.status)} for r in results]
    sheet = pd.DataFrame(rows, columns=["student", *questions, "max_total", "status"])
    sheet.insert(len(questions) + 1, "total", sheet[list(questions)].sum(axis=1))
    return sheet.sort_values("student").reset_index(drop=True)  # names are unique: no ties


def _feedback(result: GradeResult, questions: Mapping[str, float]) -> str:
    """The student's feedback file, in the submission's edition (the sheet and report stay English)."""
    edition = result.edition if result.edition in FEEDBACK_EDITIONS else "en"
    total = sum(min(result.scores.get(q, 0.0), float(m)) for q, m in questions.items())
    status = "; ".join(part.render(edition) for part in result.status_parts) if result.status_parts else result.status
    return "\n".join([_("# Feedback for {student}", edition=edition).format(student=markdown_safe(result.student)), "",
                      _("Score: {total} / {maximum}", edition=edition).format(
                          total=render(float(total), edition), maximum=render(float(sum(questions.values())), edition)),
                      _("Status: {status}", edition=edition).format(status=markdown_safe(status)), "",
                      result.feedback or _("(nothing was scored)", edition=edition), ""])


def _report(roster: Roster, assignment: str, unsafe: bool, notes: Sequence[str] = ()) -> str:
    """The batch's report; every name and reason escaped (a file name is the student's text)."""
    md = markdown_safe
    lines = [f"# Grading report: {assignment}", "",
             f"Graded: {len(roster.submissions)}; conflicts: {len(roster.conflicts)}; refused: {len(roster.refused)}; "
             f"skipped: {len(roster.skipped)}."]
    if unsafe:
        lines += ["", "**Graded with --unsafe: no sandbox. Use this for trusted code only.**"]
    if notes:
        lines += ["", "## Sandbox: protections missing on this machine (see docs/grading.md)"] + [f"- {md(n)}" for n in notes]
    if roster.conflicts:
        lines += ["", "## Conflicts (not graded until resolved)"] + [f"- {md(s)}: {md(r)}" for s, r in roster.conflicts.items()]
    if roster.refused:
        lines += ["", "## Refused (links or special files; not graded)"] + [f"- {md(s)}: {md(r)}" for s, r in roster.refused.items()]
    if roster.skipped:
        lines += ["", "## Skipped"] + [f"- {md(n)}: {md(r)}" for n, r in roster.skipped]
    return "\n".join(lines) + "\n"
