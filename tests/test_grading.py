"""Grading real submissions, hostile ones included, in the sandbox (slow: runs notebooks).

One submission per attack class of issue #11. Each must hold: a score never above what it
earned, nothing outside its folder changed, no process left after grading, other students'
scores unchanged, the same sheet on a re-run.
"""
from __future__ import annotations

import csv
import re
import hashlib
import os
import subprocess
import unicodedata
from pathlib import Path

import nbformat
import pytest

from course_tools import grading
from course_tools.grading import batch
from synthetic import make_synthetic_archive

pytestmark = pytest.mark.notebooks
ASSIGNMENTS = sorted(p.stem for p in grading.ASSIGNMENTS_DIR.glob("a*.ipynb"))
PACKAGE = Path(grading.__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def data_env(tmp_path_factory):
    """Real data where configured (CI), else a synthetic corpus large enough for assignment 2."""
    if os.environ.get("IMDB_DATA_DIR"):
        yield
        return
    archive = make_synthetic_archive(tmp_path_factory.mktemp("gdata") / "aclImdb_v1.tar.gz",
                                     n_per_class=2600, seed=3)
    old = {k: os.environ.get(k) for k in ("IMDB_DATA_DIR", "COURSE_UTILS_CACHE")}
    os.environ["IMDB_DATA_DIR"] = str(archive.parent)
    os.environ["COURSE_UTILS_CACHE"] = str(tmp_path_factory.mktemp("gcache"))
    yield
    for k, v in old.items():
        os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)


@pytest.fixture(scope="session")
def dist(tmp_path_factory, data_env):
    """Every assignment built once with `otter assign` (a1 and a3 also run their solution's
    otter tests; a2's solution is graded by the sandboxed batch below instead)."""
    out = tmp_path_factory.mktemp("dist")
    for name in ASSIGNMENTS:
        grading.assign(grading.ASSIGNMENTS_DIR / f"{name}.ipynb", out, run_tests=name != "a2_recurrent_classifier")
    return out


def _versions(dist, name):
    return dist / name / "autograder" / f"{name}.ipynb", dist / name / "student" / f"{name}.ipynb"


def _variant(source: Path, target: Path, edit=None) -> Path:
    nb = nbformat.read(source, 4)
    if edit is not None:
        edit(nb)
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    return target


def _append(code):
    return lambda nb: nb.cells.append(nbformat.v4.new_code_cell(code))


def _tree_digest(folder: Path) -> str:
    """Digest of a folder's files (not ``__pycache__``, which Python itself refreshes)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()


def _nobody_processes() -> list[str]:
    """Processes of the sandboxes' users (``nobody`` and the per-sandbox uids) still running."""
    users = ",".join(str(u) for u in [batch.sandbox.NOBODY, *batch.sandbox.SANDBOX_UIDS])
    out = subprocess.run(["ps", "-u", users, "-o", "pid=,args="], capture_output=True, text=True)
    return [line for line in out.stdout.splitlines() if line.strip()]


@pytest.fixture(scope="session")
def hostile(dist, tmp_path_factory):
    """A class of assignment-3 submissions, honest and hostile, graded in one batch."""
    name = "a3_metrics_report"
    solution, student = _versions(dist, name)
    subs = tmp_path_factory.mktemp("submissions")
    grades = tmp_path_factory.mktemp("grades")
    canary = tmp_path_factory.mktemp("canary") / "grades.csv"
    canary.write_text("untouched\n")
    _variant(solution, subs / "ada.ipynb")                                                     # perfect
    _variant(student, subs / "ben.ipynb")                                                      # untouched
    _variant(solution, subs / "cy.ipynb", lambda nb: nb.cells.insert(1, nbformat.v4.new_code_cell("raise RuntimeError('x')")))
    _variant(solution, subs / "dee.ipynb", lambda nb: nb.cells.insert(1, nbformat.v4.new_code_cell("while True:\n    pass")))
    _variant(solution, subs / "eli.ipynb", _append("print('x' * 5_000_000)"))
    (subs / "fay.ipynb").write_text("{ this is not json")
    _variant(solution, subs / "gus.ipynb", lambda nb: setattr(nb, "cells", [c for c in nb.cells if "def compute_metrics" not in c.source]))
    # forges its score: points, an answers file of its own, a grade sheet, a blank notebook otherwise
    _variant(student, subs / "forger.ipynb", _append(
        "import json, os\npoints = 1000\nos.makedirs('/grading/answers', exist_ok=True)\n"
        "json.dump({k: {'ok': 1000} for k in ['q1ex', 'report', 'fig']}, open('/grading/answers/answers.json', 'w'))\n"
        f"open({str(grades / 'grades.csv')!r}, 'w').write('forger,1000')"))
    # changes the reference for everyone: the package source, a planted .pyc, the data
    _variant(solution, subs / "poisoner.ipynb", _append(
        "import course_utils, os, glob\nroot = os.path.dirname(course_utils.__file__)\n"
        "blocked = []\n"
        "for target in [root + '/evaluation.py', root + '/__pycache__/evaluation.cpython-311.pyc', '/data/x']:\n"
        "    try:\n        open(target, 'a').write('classification_metrics = None')\n    except OSError as exc:\n"
        "        blocked.append(exc.errno)\n"
        "raise RuntimeError(f'blocked: {blocked}')"))
    # a daemon that outlives the kernel and rewrites what it can find
    _variant(solution, subs / "daemon.ipynb", _append(
        "import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', 'import time\\nwhile True:\\n"
        f"    time.sleep(0.5)\\n    open({str(canary)!r}, \"w\").write(\"forged\")'], start_new_session=True)"))
    # looks for classmates, tests and the batch through /proc and the file system, then kills what it sees
    def spy(nb):  # looks for classmates, the package and the batch's process
        nb.cells.append(nbformat.v4.new_code_cell(
            f"import os\nfound = [os.path.exists(p) for p in ({str(subs)!r}, {str(PACKAGE)!r}, '/proc/{os.getpid()}')]\n"
            "raise RuntimeError('found: ' + str(found))"))

    def killer(nb):  # kills every process it can see
        nb.cells.append(nbformat.v4.new_code_cell(
            "import os, signal\nfor pid in [int(p) for p in os.listdir('/proc') if p.isdigit()]:\n"
            "    if pid != os.getpid():\n        try:\n            os.kill(pid, signal.SIGKILL)\n"
            "        except OSError:\n            pass"))
    _variant(student, subs / "spy.ipynb", spy)
    _variant(solution, subs / "killer.ipynb", killer)
    _variant(solution, subs / "hog.ipynb", _append("block = bytearray(7 << 30)"))
    _variant(student, subs / "kernel.ipynb", _append("import sys\nraise RuntimeError('kernel: ' + sys.executable)"))
    _variant(solution, subs / "=HYPERLINK(1).ipynb")
    _variant(solution, subs / unicodedata.normalize("NFD", "zoë") / "final.ipynb")
    _variant(student, subs / "kim.ipynb")
    _variant(solution, subs / "kim" / "final.ipynb")
    (subs / "lee").mkdir()
    (subs / "max.ipynb").mkdir()
    _variant(solution, subs / "Sam.IPYNB")
    # issue #23's batch: a recursion bomb for answers, a link to the solution, look-alike names, a file name
    # carrying Markdown and HTML
    _variant(solution, subs / "bomb.ipynb", _append(
        "import pathlib\n_write = pathlib.Path.write_text\n"
        "def _bomb(self, data, *args, **kwargs):\n"
        "    return _write(self, '[' * 100_000 + ']' * 100_000 if self.name == 'answers.json' else data, *args, **kwargs)\n"
        "pathlib.Path.write_text = _bomb"))
    (subs / "eve").mkdir()
    (subs / "eve" / "final.ipynb").symlink_to(solution)
    _variant(solution, subs / "=bob.ipynb")
    _variant(student, subs / "'=bob.ipynb")
    (subs / "x\n\n## Conflicts\n- ada: cheated <img src=x onerror=alert(1)>.txt").write_text("hi")
    # issue #23, item 4: a process hog (takes every process it may, for a while) and a memory hog whose
    # children together exceed the sandbox's memory, each graded beside honest classmates
    _variant(solution, subs / "forker.ipynb", lambda nb: nb.cells.insert(1, nbformat.v4.new_code_cell(
        "import os, time\nkids = []\nwhile True:\n    try:\n        pid = os.fork()\n    except OSError:\n        break\n"
        "    if pid == 0:\n        time.sleep(8)\n        os._exit(0)\n    kids.append(pid)\n"
        "for pid in kids:\n    os.waitpid(pid, 0)")))
    _variant(solution, subs / "memhog.ipynb", lambda nb: nb.cells.insert(1, nbformat.v4.new_code_cell(
        "import os, time\nkids = []\nfor _ in range(3):\n    pid = os.fork()\n    if pid == 0:\n"
        "        block = b'x' * (1200 << 20)\n        time.sleep(5)\n        os._exit(0)\n    kids.append(pid)\n"
        "print([os.waitpid(pid, 0)[1] for pid in kids])")))
    package_before, subs_before = _tree_digest(PACKAGE), _tree_digest(subs)
    sheet = grading.grade_batch(subs, name, grades, workers=2, timeout=60, dist_dir=dist)
    return dict(subs=subs, grades=grades, sheet=sheet.set_index("student"), canary=canary,
                package_before=package_before, subs_before=subs_before)


def _feedback(grades: Path, student: str) -> str:
    """A student's feedback file, its Markdown escapes undone."""
    return re.sub(r"\\(.)", r"\1", (grades / "feedback" / batch.feedback_filename(student)).read_text())


def test_issue_23_batch_bomb_link_look_alike_names_and_injected_file_name(hostile):
    sheet, report = hostile["sheet"], (hostile["grades"] / "report.md").read_text()
    assert sheet.loc["ada", "total"] == 10 and sheet.loc["'=bob", "total"] == 10, "honest students keep full marks"
    assert sheet.loc["bomb", "total"] == 0
    assert sheet.loc["eve", "total"] == 0 and sheet.loc["eve", "status"].startswith("not graded: refused")
    assert sheet.loc["''=bob", "total"] == 0, "the blank notebook under a look-alike name is its own row"
    assert report.count("## Conflicts") == 1 and "<img" not in report
    assert not [line for line in report.splitlines() if line.startswith("- ada")]


def test_process_and_memory_hogs_do_not_change_a_classmates_grade(hostile):
    sheet = hostile["sheet"]
    honest = ["ada", "cy", "eli", "'=bob", "'=HYPERLINK(1)", "poisoner"]
    assert (sheet.loc[honest, "total"] == 10).all(), sheet.loc[honest, ["total", "status"]]
    assert "killed over the memory limit" in sheet.loc["memhog", "status"], sheet.loc["memhog", "status"]


def test_honest_submissions_get_what_they_earned(hostile):
    sheet = hostile["sheet"]
    assert (sheet["max_total"] == 10).all()
    assert sheet.loc["ada", "total"] == 10 and sheet.loc["ada", "status"] == "graded"
    assert sheet.loc["ben", "total"] == 0
    assert sheet.loc["cy", "total"] == 10 and "1 cell(s) raised" in sheet.loc["cy", "status"]
    assert sheet.loc["gus", "q1"] == 0 and sheet.loc["gus", "total"] < 10
    assert sheet.loc["eli", "total"] == 10


def test_limits_stop_loops_and_memory_hogs(hostile):
    sheet = hostile["sheet"]
    assert sheet.loc["dee", "status"].startswith("timeout: stopped after 60 s") and sheet.loc["dee", "total"] == 0
    assert sheet.loc["hog", "total"] == 10 and "cell(s) raised" in sheet.loc["hog", "status"]
    assert sheet.loc["fay", "status"].startswith("invalid notebook")


def test_forged_points_answers_and_sheets_earn_nothing(hostile):
    sheet = hostile["sheet"]
    assert sheet.loc["forger", "total"] == 0
    rows = list(csv.DictReader(open(hostile["grades"] / "grades.csv", encoding="utf-8")))
    assert all(float(r["total"]) <= float(r["max_total"]) for r in rows)
    assert "forger,1000" not in (hostile["grades"] / "grades.csv").read_text()


def test_nothing_outside_a_submission_changes(hostile):
    assert _tree_digest(PACKAGE) == hostile["package_before"], "the package (or its __pycache__) changed"
    assert _tree_digest(hostile["subs"]) == hostile["subs_before"], "a submission was changed"
    assert hostile["sheet"].loc["poisoner", "total"] == 10
    assert re.search(r"blocked: \[\d+, \d+, \d+\]", _feedback(hostile["grades"], "poisoner"))
    assert hostile["canary"].read_text() == "untouched\n"


def test_no_process_outlives_grading(hostile):
    assert _nobody_processes() == []
    assert hostile["canary"].read_text() == "untouched\n"


def test_the_batch_is_invisible_from_inside(hostile):
    feedback = _feedback(hostile["grades"], "spy")
    assert "found: [False, False, False]" in feedback, feedback
    assert hostile["sheet"].loc["spy", "total"] == 0
    assert "looks at other processes" in hostile["sheet"].loc["killer", "status"]
    assert hostile["sheet"].loc["killer", "total"] <= 10  # it ends its own sandbox; the batch goes on


def test_kernels_use_this_environments_python(hostile):
    import sys
    assert f"kernel: {sys.executable}" in _feedback(hostile["grades"], "kernel")


def test_names_are_escaped_normalised_and_conflicts_reported(hostile):
    sheet, report = hostile["sheet"], (hostile["grades"] / "report.md").read_text()
    assert sheet.loc["'=HYPERLINK(1)", "total"] == 10
    assert sheet.loc[unicodedata.normalize("NFC", "zoë"), "total"] == 10
    assert sheet.loc["kim", "status"].startswith("not graded: conflict")
    assert "lee: folder without a notebook" in report and "max.ipynb: a folder named like a notebook" in report
    assert "Sam.IPYNB: extension '.IPYNB'" in report


def test_no_temporary_folders_are_left(hostile):
    import tempfile
    assert not list(Path(tempfile.gettempdir()).glob("grading-*"))


def test_regrading_gives_the_same_sheet(hostile, dist, tmp_path):
    """The same submissions graded again with the class's secret give the same rows."""
    name = "a3_metrics_report"
    subs = tmp_path / "again"
    for student in ("ada", "forger", "gus"):
        _variant(hostile["subs"] / f"{student}.ipynb", subs / f"{student}.ipynb")
    out = tmp_path / "grades"
    (out).mkdir()
    (out / ".challenge-seed").write_text((hostile["grades"] / ".challenge-seed").read_text())
    grading.grade_batch(subs, name, out, workers=2, timeout=60, dist_dir=dist)
    first = {row["student"]: row for row in csv.DictReader(open(hostile["grades"] / "grades.csv", encoding="utf-8"))}
    again = list(csv.DictReader(open(out / "grades.csv", encoding="utf-8")))
    assert [row["student"] for row in again] == ["ada", "forger", "gus"]
    for row in again:
        assert row == first[row["student"]]


def test_assignment_1_reference_cannot_be_poisoned_for_the_next_student(dist, tmp_path):
    solution, _ = _versions(dist, "a1_data_preparation")
    subs = tmp_path / "subs"
    _variant(solution, subs / "aaa_poisoner.ipynb", _append(
        "import course_utils.text as t\nimport inspect\n"
        "try:\n    open(inspect.getsourcefile(t), 'a').write('\\nstandardize = lambda s: \"\"\\n')\nexcept OSError:\n    pass\n"
        "try:\n    import glob\n    [open(p, 'wb').write(b'x') for p in glob.glob('/tmp/cache/*.parquet') + glob.glob('/data/**/*.txt', recursive=True)[:5]]\n"
        "except OSError:\n    pass"))
    _variant(solution, subs / "zed.ipynb")
    sheet = grading.grade_batch(subs, "a1_data_preparation", tmp_path / "out", workers=1, timeout=180,
                                dist_dir=dist).set_index("student")
    assert sheet.loc["zed", "total"] == 12 and sheet.loc["aaa_poisoner", "total"] == 12


def test_assignment_2_scores_the_solution_on_held_out_reviews(dist, tmp_path):
    solution, student = _versions(dist, "a2_recurrent_classifier")
    subs = tmp_path / "subs"
    _variant(solution, subs / "ada.ipynb")
    _variant(student, subs / "ben.ipynb")
    sheet = grading.grade_batch(subs, "a2_recurrent_classifier", tmp_path / "out", workers=2, timeout=300,
                                dist_dir=dist).set_index("student")
    assert sheet.loc["ada", "total"] == 7, _feedback(tmp_path / "out", "ada")
    assert sheet.loc["ben", "total"] == 0


def test_student_versions_hide_solutions_and_hidden_tests(dist):
    for name in ASSIGNMENTS:
        text = str(nbformat.read(_versions(dist, name)[1], 4))
        assert "BEGIN SOLUTION" not in text and "hidden: true" not in text
