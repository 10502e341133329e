"""Grading with otter: full marks for solutions, zero for untouched notebooks, and a batch that
survives every kind of bad submission."""
from __future__ import annotations

import csv
import os
from pathlib import Path

import nbformat
import pytest

from course_utils import grading
from course_utils.synthetic import make_synthetic_archive

pytestmark = pytest.mark.notebooks
ASSIGNMENTS = sorted(p.stem for p in grading.ASSIGNMENTS_DIR.glob("a*.ipynb"))


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
    """Every assignment built once with `otter assign` (which also runs the solution's tests)."""
    out = tmp_path_factory.mktemp("dist")
    return {name: grading.assign(grading.ASSIGNMENTS_DIR / f"{name}.ipynb", out) for name in ASSIGNMENTS}


def _versions(dist, name):
    root = dist[name].parent.parent
    return root / "autograder" / f"{name}.ipynb", root / "student" / f"{name}.ipynb"


def test_there_are_at_least_three_assignments():
    assert len(ASSIGNMENTS) >= 3


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_solution_scores_full_marks_and_student_version_zero(dist, name, tmp_path):
    solution, student = _versions(dist, name)
    points = grading.question_points(dist[name])
    assert len(points) >= 2 and all(p > 0 for p in points.values())
    full = grading.grade_one(solution, dist[name], timeout=240)
    assert full.status == "graded" and full.scores == points, full.feedback
    empty = grading.grade_one(student, dist[name], timeout=240)
    assert empty.status == "graded" and empty.total == 0
    text = nbformat.read(student, 4)
    assert "BEGIN SOLUTION" not in str(text) and "hidden: true" not in str(text)


def _variant(source: Path, target: Path, edit) -> Path:
    nb = nbformat.read(source, 4)
    edit(nb)
    nbformat.write(nb, target)
    return target


def _code(src):
    return nbformat.v4.new_code_cell(src)


@pytest.fixture(scope="session")
def batch(dist, tmp_path_factory):
    """A class of real submissions to assignment 3, good and bad, graded in one batch."""
    name = "a3_metrics_report"
    solution, student = _versions(dist, name)
    subs = tmp_path_factory.mktemp("submissions")
    _variant(solution, subs / "ada.ipynb", lambda nb: None)                                  # perfect
    _variant(student, subs / "ben.ipynb", lambda nb: None)                                   # untouched
    _variant(solution, subs / "cy.ipynb", lambda nb: nb.cells.insert(1, _code("raise RuntimeError('first cell')")))
    _variant(solution, subs / "dee.ipynb", lambda nb: nb.cells.insert(1, _code("while True:\n    pass")))
    _variant(solution, subs / "eli.ipynb", lambda nb: nb.cells.append(_code("print('x' * 5_000_000)")))
    (subs / "fay.ipynb").write_text("{ this is not json")

    def delete_q1(nb):  # the cell that defines compute_metrics is gone; the rest reordered
        nb.cells = [c for c in nb.cells if "def compute_metrics" not in c.source][::-1]
    _variant(solution, subs / "gus.ipynb", delete_q1)
    _variant(solution, subs / "hal.ipynb", lambda nb: nb.cells.append(_code(
        "import course_utils.evaluation\ncourse_utils.evaluation.classification_metrics = lambda *a, **k: {}\n"
        "def compute_metrics(*a, **k):\n    return {}\nprint(open('tests/q1.py').read())")))
    _variant(solution, subs / "ivy.ipynb", lambda nb: nb.cells.insert(1, _code(
        "import os\nfor f in os.listdir('.'):\n    if os.path.isfile(f):\n        os.remove(f)")))
    (subs / "jo").mkdir()
    _variant(student, subs / "jo" / "my_work.ipynb", lambda nb: None)                        # folder form
    out = tmp_path_factory.mktemp("grades")
    sheet = grading.grade_batch(subs, dist[name], out, workers=2, timeout=60)
    return subs, out, sheet.set_index("student"), dist[name]


def test_batch_grades_everyone_with_a_status(batch):
    _, out, sheet, _ = batch
    assert list(sheet.index) == ["ada", "ben", "cy", "dee", "eli", "fay", "gus", "hal", "ivy", "jo"]
    assert (sheet["max_total"] == 10).all()
    assert sheet.loc["ada", "total"] == 10 and sheet.loc["ada", "status"] == "graded"
    assert sheet.loc["ben", "total"] == 0 and sheet.loc["jo", "total"] == 0
    with open(out / "grades.csv", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 10


def test_a_notebook_that_raises_in_its_first_cell_keeps_what_it_earned(batch):
    assert batch[2].loc["cy", "total"] == 10  # otter carries on past errors; the answers are right


def test_an_endless_loop_is_stopped(batch):
    sheet = batch[2]
    assert sheet.loc["dee", "status"] == "timeout: stopped after 60 s" and sheet.loc["dee", "total"] == 0


def test_megabytes_of_output_do_not_break_grading(batch):
    assert batch[2].loc["eli", "total"] == 10


def test_invalid_json_is_reported(batch):
    sheet = batch[2]
    assert sheet.loc["fay", "status"].startswith("invalid notebook: NotJSONError")
    assert sheet.loc["fay", "total"] == 0


def test_deleted_and_reordered_cells_lose_only_what_they_break(batch):
    sheet = batch[2]
    assert sheet.loc["gus", "q1"] == 0 and sheet.loc["gus", "total"] < 10


def test_redefining_the_reference_and_reading_tests_is_flagged_and_earns_nothing(batch):
    sheet = batch[2]
    assert sheet.loc["hal", "q1"] == 0  # hidden tests reload course_utils; its own function is empty
    assert "flagged" in sheet.loc["hal", "status"]
    assert "patches course_utils" in sheet.loc["hal", "status"]
    assert "touches the autograder's files" in sheet.loc["hal", "status"]


def test_deleting_files_in_the_working_directory_harms_only_itself(batch):
    subs, _, sheet, _ = batch
    assert "deletes files" in sheet.loc["ivy", "status"]
    assert (subs / "ada.ipynb").exists() and (subs / "ivy.ipynb").exists()


def test_feedback_per_student_and_no_hidden_test_source(batch):
    _, out, _, _ = batch
    files = sorted(p.stem for p in (out / "feedback").glob("*.md"))
    assert files == ["ada", "ben", "cy", "dee", "eli", "fay", "gus", "hal", "ivy", "jo"]
    ada = (out / "feedback" / "ada.md").read_text()
    assert "Score: 10 / 10" in ada and "q1 results" in ada
    assert "test_q1_matches_reference_on_random_data" not in (out / "feedback" / "ben.md").read_text()


def test_rerunning_gives_the_same_sheet(batch, tmp_path):
    subs, out, _, autograder = batch
    first = (out / "grades.csv").read_text()
    again = grading.grade_batch(subs, autograder, out, workers=2, timeout=60)
    assert (out / "grades.csv").read_text() == first
    assert len(again) == 10


def test_missing_folder_and_missing_autograder_are_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        grading.find_submissions(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match="run `make assign` first"):
        grading.autograder_for("a9_missing", tmp_path)
