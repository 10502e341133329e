"""Grading's batch logic, fast: names, conflicts, clamping, the sheet, flags (no notebook runs)."""
from __future__ import annotations

import csv
import os
import sys
import unicodedata
from pathlib import Path

import nbformat
import pytest

from course_tools.grading import answers, batch


def _nb(path, code="x = 1"):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code)]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def test_names_are_nfc_and_every_oddity_is_reported(tmp_path):
    nfd, nfc = unicodedata.normalize("NFD", "zoë"), unicodedata.normalize("NFC", "zoë")
    _nb(tmp_path / f"{nfd}.ipynb")
    _nb(tmp_path / nfc / "final.ipynb")
    _nb(tmp_path / "kim.ipynb")
    _nb(tmp_path / "kim" / "final.ipynb")
    _nb(tmp_path / "ann" / "a.ipynb")
    _nb(tmp_path / "ann" / "b.ipynb")
    (tmp_path / "lee").mkdir()
    (tmp_path / "max.ipynb").mkdir()
    _nb(tmp_path / "Sam.IPYNB")
    (tmp_path / "notes.txt").write_text("hi")
    _nb(tmp_path / "lee-2" / "work.ipynb")
    _nb(tmp_path / "bob.ipynb")
    roster = batch.find_submissions(tmp_path)
    assert sorted(roster.submissions) == ["bob", "lee-2"]
    assert set(roster.conflicts) == {nfc, "kim", "ann"}
    assert "kim.ipynb" in roster.conflicts["kim"] and "kim/final.ipynb" in roster.conflicts["kim"]
    assert "holds 2 notebooks" in roster.conflicts["ann"]
    skipped = dict(roster.skipped)
    assert skipped["lee"] == "folder without a notebook"
    assert skipped["max.ipynb"] == "a folder named like a notebook"
    assert "rename it to .ipynb" in skipped["Sam.IPYNB"] and skipped["notes.txt"] == "not a notebook (.ipynb)"


@pytest.mark.parametrize("raw,safe", [("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"), ("+1", "'+1"), ("-2", "'-2"),
                                      ("@sum", "'@sum"), ("ann", "ann"), ("zoë", "zoë")])
def test_spreadsheet_formulas_are_escaped(raw, safe):
    assert batch.spreadsheet_safe(raw) == safe


def test_feedback_file_names_stay_in_their_folder():
    assert batch.feedback_filename("ann").startswith("ann-")
    odd = batch.feedback_filename("../../etc/passwd")
    assert "/" not in odd and odd.endswith(".md") and not odd.startswith(".")


def _challenge():
    checks = [answers.Check("q1", 2, "a", lambda a: (a.get("x", {}).get("ok") == 1, "x")),
              answers.Check("q1", 2, "b", lambda a: (True, "always")),  # more than q1's maximum in all
              answers.Check("q2", 1, "c", lambda a: (a["y"]["ok"] == 2, "y"))]  # raises on missing answers
    return answers.Challenge("a3_metrics_report", [], checks)


def test_points_are_clamped_and_forged_answers_cannot_raise_them():
    points, lines = answers.score(_challenge(), {"x": {"ok": 1}, "q1": {"ok": 1000}, "points": 1000})
    assert points == {"q1": 4.0, "q2": 0.0, "q3": 0.0}
    assert any("unusable answer (KeyError)" in line for line in lines)
    assert answers.score(_challenge(), {"x": {"ok": 1}, "y": {"ok": 2}})[0]["q1"] == 4.0  # q1's max is 5
    clamped = answers.Challenge("a2_recurrent_classifier", [], [answers.Check("q1", 99, "big", lambda a: (True, ""))])
    assert answers.score(clamped, {})[0] == {"q1": 3.0, "q2": 0.0}


def test_sheet_escapes_names_sums_clamped_points_and_lists_conflicts(tmp_path, monkeypatch):
    _nb(tmp_path / "subs" / "=cmd.ipynb")
    _nb(tmp_path / "subs" / "kim.ipynb")
    _nb(tmp_path / "subs" / "kim" / "x.ipynb")
    _nb(tmp_path / "subs" / "amy.ipynb")
    monkeypatch.setattr(batch.sandbox, "check_available", lambda: "bwrap")
    monkeypatch.setattr(batch, "student_folder", lambda *a: tmp_path)
    monkeypatch.setattr("course_tools.grading.reference.write_sandbox_data", lambda folder: folder)
    monkeypatch.setattr(batch.reference_answers, "challenge", lambda name, seed: _challenge())
    seen = []

    def fake_grade_one(path, student, ctx):
        seen.append(student)
        return batch.GradeResult(student, {"q1": 7.0, "q2": 1.0, "q3": 2.0}, "graded", "fine")

    monkeypatch.setattr(batch, "grade_one", fake_grade_one)
    out = tmp_path / "grades"
    sheet = batch.grade_batch(tmp_path / "subs", "a3_metrics_report", out)
    assert sorted(seen) == ["=cmd", "amy"]
    rows = list(csv.DictReader(open(out / "grades.csv", encoding="utf-8")))
    assert [r["student"] for r in rows] == ["'=cmd", "amy", "kim"]
    assert rows[1]["q1"] == "5.0" and rows[1]["total"] == "8.0" and rows[1]["max_total"] == "10.0"
    assert rows[2]["status"].startswith("not graded: conflict") and rows[2]["total"] == "0.0"
    assert "## Conflicts" in (out / "report.md").read_text()
    assert (out / "feedback" / batch.feedback_filename("amy")).read_text().startswith("# Feedback for amy\n\nScore: 8 / 10")
    assert list(sheet["student"]) == ["'=cmd", "amy", "kim"]
    seed = (out / ".challenge-seed").read_text()
    batch.grade_batch(tmp_path / "subs", "a3_metrics_report", out)
    assert (out / ".challenge-seed").read_text() == seed, "a re-run draws the same secret inputs"
    assert list(csv.DictReader(open(out / "grades.csv", encoding="utf-8"))) == rows, "same sheet on a re-run"


def test_a_killed_batch_leaves_the_previous_sheet(tmp_path, monkeypatch):
    _nb(tmp_path / "subs" / "amy.ipynb")
    out = tmp_path / "grades"
    out.mkdir()
    (out / "grades.csv").write_text("student,q1\namy,3\n")
    monkeypatch.setattr(batch.sandbox, "check_available", lambda: "bwrap")
    monkeypatch.setattr(batch, "student_folder", lambda *a: tmp_path)
    monkeypatch.setattr("course_tools.grading.reference.write_sandbox_data", lambda folder: folder)
    monkeypatch.setattr(batch.reference_answers, "challenge", lambda name, seed: _challenge())

    def killed(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(batch, "grade_one", killed)
    with pytest.raises(KeyboardInterrupt):
        batch.grade_batch(tmp_path / "subs", "a3_metrics_report", out)
    assert (out / "grades.csv").read_text() == "student,q1\namy,3\n"
    assert not list(out.glob("*.part")) and not list(out.glob(".*.tmp"))


def test_flags_are_advisory_linear_and_bounded():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import otter\ngrader = otter.Notebook('a.ipynb')\ngrader.check('q1')"),
                nbformat.v4.new_code_cell("open('/proc/1/cmdline')\nimport subprocess")]
    assert batch.integrity_flags(nb) == ["looks at other processes", "starts programs"]
    huge = nbformat.v4.new_notebook()
    huge.cells = [nbformat.v4.new_code_cell("Path(" * 2_000_000 + "\nimport socket")]
    assert batch.integrity_flags(huge) == [], "only the first MiB of code is scanned"


def test_refuses_without_a_sandbox(tmp_path, monkeypatch):
    _nb(tmp_path / "amy.ipynb")
    monkeypatch.setattr(batch.sandbox, "bwrap_path", lambda: None)
    with pytest.raises(batch.sandbox.SandboxUnavailable, match="otter-grader's Docker mode.*Gradescope"):
        batch.grade_batch(tmp_path, "a3_metrics_report", tmp_path / "out")


def test_a_failed_assign_names_the_real_cause():
    from course_tools.grading import root_cause
    output = ("Traceback (most recent call last):\n  ...\ncourse_utils.data.DataError: Could not find the IMDB reviews. "
              "Looked at: $IMDB_DATA_DIR: not set\n...\nTypeError: 'NoneType' object is not subscriptable\n")
    assert root_cause(output) == "DataError: Could not find the IMDB reviews. Looked at: $IMDB_DATA_DIR: not set"
    assert root_cause("ValueError: bad\nTypeError: worse") == "ValueError: bad"


def test_assign_without_the_data_says_so_before_running_otter(tmp_path, monkeypatch):
    from course_tools import grading
    monkeypatch.setenv("IMDB_DATA_DIR", str(tmp_path / "no-data"))
    (tmp_path / "no-data").mkdir()
    monkeypatch.setenv("COURSE_UTILS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("IMDB_URL", "http://127.0.0.1:9/aclImdb_v1.tar.gz")
    with pytest.raises(RuntimeError, match="needs the IMDB reviews. Could not find the IMDB reviews. Looked at"):
        grading.assign(grading.ASSIGNMENTS_DIR / "a1_data_preparation.ipynb", tmp_path / "dist")
    assert not (tmp_path / "dist").exists()


def _fake_batch(tmp_path, monkeypatch, behaviour):
    """Patch the sandbox with a fake that writes answers as ``behaviour(student)`` says; no kernel runs."""
    import json
    import threading
    import time
    monkeypatch.setattr(batch.sandbox, "check_available", lambda: "bwrap")
    public = tmp_path / "public"
    public.mkdir()
    monkeypatch.setattr(batch, "student_folder", lambda *a: public)
    calls, lock = [], threading.Lock()
    monkeypatch.setattr("course_tools.grading.reference.write_sandbox_data", lambda folder: calls.append("data"))
    monkeypatch.setattr(batch.reference_answers, "challenge", lambda name, seed: _challenge())

    def fake_run(command, *, work, read_only, env, limits, unsafe, keep=None):
        code = nbformat.read(work / "a3_metrics_report.ipynb", 4).cells[0].source
        student = code.splitlines()[0].split("=")[1].strip().strip("'")
        with lock:
            calls.append({"student": student, "wall": limits.wall_seconds, "command": command, "env": env,
                          "read_only": dict(read_only), "files": sorted(p.name for p in work.iterdir()),
                          "data": sorted(Path(read_only["/data"]).iterdir()),
                          "pristine": (Path(read_only["/opt/course"]) / "course_tools" / "grading" / "batch.py").is_file()
                                      and (Path(read_only["/opt/course"]) / "course_utils" / "models.py").is_file(),
                          "scratch": (work.parent.parent.name, oct(work.parent.parent.stat().st_mode & 0o777)),
                          "folder": work.parent.name})
        answers, errors, returncode, timed_out, delay = behaviour(student)
        time.sleep(delay)  # later students may finish first
        (work / "answers" / "answers.json").write_text(json.dumps(answers))
        (work / "answers" / "run.json").write_text(json.dumps({"errors": errors}))
        return batch.sandbox.RunResult(returncode, timed_out, "", delay)

    monkeypatch.setattr(batch.sandbox, "run", fake_run)
    return calls


def test_batch_passes_its_timeout_orders_by_student_and_reports_each_outcome(tmp_path, monkeypatch, capsys):
    subs = tmp_path / "subs"
    for student, path in [("lee", "lee.ipynb"), ("lee-2", "lee-2/work.ipynb"), ("amy", "amy.ipynb"),
                          ("bo", "bo.ipynb"), ("cat", "cat.ipynb")]:
        _nb(subs / path, f"student = '{student}'\nimport subprocess\nopen('/proc/1/status')" if student == "cat"
            else f"student = '{student}'")
    (subs / "dan.ipynb").write_text("{ not json")
    outcomes = {  # answers, cell errors, exit code, timed out, delay
        "lee": ({"x": {"ok": 1}, "y": {"ok": 2}}, [], 0, False, 0.3),
        "lee-2": ({"x": {"ok": 1}}, [{"cell": 3, "error": "NameError: name 'f' is not defined"}], 0, False, 0.0),
        "amy": ({}, [], None, True, 0.1),
        "bo": ({"y": {"ok": 2}}, [], 137, False, 0.0),
        "cat": ({}, [], 0, False, 0.0),
    }
    calls = _fake_batch(tmp_path, monkeypatch, outcomes.__getitem__)
    out = tmp_path / "grades"
    sheet = batch.grade_batch(subs, "a3_metrics_report", out, workers=3, timeout=7, progress=True)
    bar = capsys.readouterr().err
    assert "Grading: 100%" in bar and "6/6" in bar and "submission/s" in bar
    assert all(c["scratch"][0].startswith("grading-") and c["scratch"][1] == "0o711" for c in calls), \
        "the sandbox user may enter the scratch folder, not list it"
    assert all(c["folder"].startswith("sub-") for c in calls)

    assert sorted(c["student"] for c in calls) == ["amy", "bo", "cat", "lee", "lee-2"], "a3 reads no reviews"
    assert all(c["data"] == [] for c in calls)
    assert {c["wall"] for c in calls} == {7}, "the batch's timeout is each sandbox's wall clock"
    assert all("answers.json" not in c["files"] and "challenge.json" in c["files"] for c in calls)
    python = sys.executable
    assert calls[0]["env"] == {  # what a sandbox sees: paths inside it only, quiet TF, no progress bars
        "PYTHONPATH": "/opt/course", "IMDB_DATA_DIR": "/data", "COURSE_UTILS_CACHE": "/tmp/cache",
        "PATH": f"{Path(python).parent}:/usr/bin:/bin", "COURSE_PROGRESS": "0", "JUPYTER_PREFER_ENV_PATH": "1",
        "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1", "TF_CPP_MIN_LOG_LEVEL": "3",
        "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "tensorflow")}
    assert calls[0]["command"] == [python, "-m", "course_tools.grading.harness", "/grading/a3_metrics_report.ipynb",
                                   "/grading/challenge.json", "/grading/answers"]
    assert all(set(c["read_only"]) == {"/opt/course", "/data"} for c in calls)
    assert all(c["pristine"] for c in calls), "a copy of the package is mounted"
    assert list(sheet["student"]) == ["amy", "bo", "cat", "dan", "lee", "lee-2"], "student order, not path order"
    assert (out / "grades.csv").read_text(encoding="utf-8").splitlines()[0] == "student,q1,q2,q3,total,max_total,status"
    rows = {r["student"]: r for r in csv.DictReader(open(out / "grades.csv", encoding="utf-8"))}
    assert list(rows) == ["amy", "bo", "cat", "dan", "lee", "lee-2"]
    assert rows["lee"]["status"] == "graded" and rows["lee"]["total"] == "5.0"  # q1 4 + q2 1
    assert rows["lee-2"]["status"] == "graded; 1 cell(s) raised" and rows["lee-2"]["total"] == "4.0"
    assert rows["amy"]["status"] == "timeout: stopped after 7 s; scored what it answered"
    assert rows["bo"]["status"] == "stopped with exit code 137; scored what it answered"
    assert rows["bo"]["total"] == "3.0"  # check b always passes (2) + q2 (1)
    assert rows["cat"]["status"] == "graded; flagged: looks at other processes, starts programs"
    assert rows["dan"]["status"].startswith("invalid notebook: ") and rows["dan"]["total"] == "0.0"
    feedback = (out / "feedback" / batch.feedback_filename("lee-2")).read_text()
    assert feedback == ("# Feedback for lee-2\n\nScore: 4 / 10\nStatus: graded; 1 cell(s) raised\n\n"
                        "- ✔ q1 · a (2 points)\n- ✔ q1 · b (2 points)\n- ✘ q2 · c (1 point): q2: unusable answer (KeyError)"
                        "\n\nCells that raised an error:\n- cell 3: NameError: name 'f' is not defined\n")


def test_missing_folder_and_missing_build_are_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        batch.find_submissions(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match="run `make assign` first"):
        batch.student_folder("a9_missing", tmp_path)


def test_hidden_entries_links_and_double_conflicts_are_reported_word_for_word(tmp_path):
    subs = tmp_path / "subs"
    _nb(subs / "ann.ipynb")
    _nb(subs / "ann" / "a.ipynb")
    _nb(subs / "ann" / "b.ipynb")
    _nb(subs / ".hidden.ipynb")
    (subs / "link.ipynb").symlink_to(_nb(tmp_path / "elsewhere.ipynb"))
    _nb(subs / "=cy.ipynb")
    roster = batch.find_submissions(subs)
    assert list(roster.submissions) == ["=cy"]
    assert roster.conflicts == {"ann": "folder ann/ holds 2 notebooks: a.ipynb, b.ipynb; also ann.ipynb"}
    assert roster.skipped == [(".hidden.ipynb", "hidden entry")]
    assert roster.refused == {"link": "a symbolic link: links are never followed; copy the notebook in instead"}
    report = batch._report(roster, "a3_metrics_report", unsafe=True)
    assert report == ("# Grading report: a3_metrics_report\n\nGraded: 1; conflicts: 1; refused: 1; skipped: 1.\n\n"
                      "**Graded with --unsafe: no sandbox. Use this for trusted code only.**\n\n"
                      "## Conflicts (not graded until resolved)\n"
                      "- ann: folder ann/ holds 2 notebooks: a.ipynb, b.ipynb; also ann.ipynb\n\n"
                      "## Refused (links or special files; not graded)\n"
                      "- link: a symbolic link: links are never followed; copy the notebook in instead\n\n"
                      "## Skipped\n- .hidden.ipynb: hidden entry\n")
    assert "--unsafe" not in batch._report(roster, "a3_metrics_report", unsafe=False)


def test_feedback_names_keep_plain_names_readable_and_always_hash_them():
    assert batch.feedback_filename("Zoë Ann-Lee_2").startswith("Zoë Ann-Lee_2-")
    odd = batch.feedback_filename("a/b")
    assert odd.startswith("a_b-") and len(odd) == len("a_b-") + 16 + 3
    assert batch.feedback_filename("a/b") != batch.feedback_filename("a\\b"), "different students, different files"
    assert batch.feedback_filename("...").startswith("student-")
    assert len(batch.feedback_filename("x" * 100 + "/")) == 60 + 1 + 16 + 3


def test_the_class_secret_is_private_kept_and_renewed_on_request(tmp_path):
    import stat
    seed = batch.class_seed(tmp_path / "grades")
    path = tmp_path / "grades" / ".challenge-seed"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_text() == f"{seed}\n"
    assert 0 <= seed < 2 ** 63 and batch.class_seed(tmp_path / "grades") == seed
    renewed = batch.class_seed(tmp_path / "grades", new=True)
    assert renewed != seed and path.read_text() == f"{renewed}\n"


def test_unsafe_grading_points_at_real_folders_and_still_copies_the_public_files(tmp_path, monkeypatch):
    calls = _fake_batch(tmp_path, monkeypatch, lambda s: ({}, [], 0, False, 0.0))
    (tmp_path / "public" / "tests").mkdir()
    (tmp_path / "public" / "tests" / "q1.py").write_text("OK = 1")
    (tmp_path / "public" / "a3_metrics_report.ipynb").write_text("the blank student version")
    _nb(tmp_path / "subs" / "amy.ipynb", "student = 'amy'")
    monkeypatch.setenv("KERAS_BACKEND", "jax")         # the instructor's backend is the sandbox's
    sheet = batch.grade_batch(tmp_path / "subs", "a3_metrics_report", tmp_path / "out", unsafe=True, progress=False)
    [call] = calls
    work = Path(call["command"][3]).parent
    assert work.name == "work" and work.parent.name.startswith("sub-") and call["env"]["KERAS_BACKEND"] == "jax"
    assert call["command"][3:] == [f"{work}/a3_metrics_report.ipynb", f"{work}/challenge.json", f"{work}/answers"]
    assert call["env"]["PYTHONPATH"] == str(call["read_only"]["/opt/course"])
    assert call["env"]["IMDB_DATA_DIR"] == str(call["read_only"]["/data"])
    assert call["env"]["COURSE_UTILS_CACHE"] == str(work.parent / "cache")
    assert call["files"] == ["a3_metrics_report.ipynb", "answers", "challenge.json", "tests"]
    assert sheet.loc[0, "status"] == "graded" and "--unsafe" in (tmp_path / "out" / "report.md").read_text()
    assert not work.exists(), "the submission's folder is removed after grading"


def test_answers_are_read_as_bounded_data_and_anything_else_is_ignored(tmp_path, monkeypatch):
    import json
    import numpy as np
    out = tmp_path / "answers"
    out.mkdir()
    (out / "answers.json").write_text(json.dumps({"q1": {"ok": 1}, "$scores": [1, 0], "$model": {"built": True}}))
    (out / "run.json").write_text(json.dumps({"errors": [{"cell": i} for i in range(25)] + ["not a dict"]}))
    np.save(out / "scores.npy", np.array([[1, 0], [0, 1]], dtype=np.int8))
    answers_, errors = batch._load_answers(out)
    assert answers_ == {"q1": {"ok": 1}} and errors == [{"cell": i} for i in range(20)], \
        "the grader's own $-keys and a scores file written in the sandbox are never read"
    (out / "answers.json").write_text("[1, 2]")  # JSON, but not a mapping
    (out / "run.json").write_text("{ broken")
    assert batch._load_answers(out) == ({}, [])
    (out / "answers.json").unlink()
    (out / "answers.json").symlink_to(tmp_path / "elsewhere.json")
    (tmp_path / "elsewhere.json").write_text(json.dumps({"q1": {"ok": 1000}}))
    (out / "run.json").write_text(json.dumps({"errors": []}))
    assert batch._load_answers(out) == ({}, []), "a link to a file outside is not followed"
    (out / "answers.json").unlink()
    (out / "answers.json").write_text(json.dumps({"q1": {"ok": 2}}))
    monkeypatch.setattr(batch, "ANSWERS_LIMIT", (out / "answers.json").stat().st_size)
    assert batch._load_answers(out)[0] == {"q1": {"ok": 2}}, "exactly the limit is read"
    monkeypatch.setattr(batch, "ANSWERS_LIMIT", (out / "answers.json").stat().st_size - 1)
    assert batch._load_answers(out)[0] == {}, "one byte over the limit is not"


def test_notebooks_over_the_size_limit_are_refused_and_bad_bytes_replaced(tmp_path, monkeypatch):
    path = _nb(tmp_path / "amy.ipynb", "print('caf\\xe9')")
    raw = path.read_bytes().replace(b"caf\\\\xe9", b"caf\xe9")  # a Latin-1 byte, not UTF-8
    path.write_bytes(raw)
    assert "caf\ufffd" in batch._read_notebook(path).cells[0].source
    monkeypatch.setattr(batch, "NOTEBOOK_LIMIT", len(raw))
    batch._read_notebook(path)  # exactly the limit: read
    monkeypatch.setattr(batch, "NOTEBOOK_LIMIT", 3 << 20)
    path.write_bytes(raw + b" " * ((3 << 20) - len(raw) + 1))
    with pytest.raises(ValueError, match="^larger than 3,145,728 bytes$"):
        batch._read_notebook(path)


def test_the_pristine_copy_leaves_compiled_files_behind(tmp_path, monkeypatch):
    for name, attribute in (("course_utils", "PACKAGE_DIR"), ("course_tools", "TOOLS_DIR")):
        package = tmp_path / "src" / name
        (package / "__pycache__").mkdir(parents=True)
        for file in ("__init__.py", "text.py", "old.pyc", "old.pyo", "__pycache__/text.cpython-311.pyc"):
            (package / file).write_text("x")
        monkeypatch.setattr(batch, attribute, package)
    copy = batch.pristine_copy(tmp_path / "copy")
    assert copy == tmp_path / "copy"
    assert sorted(p.name for p in copy.iterdir()) == ["course_tools", "course_utils"]
    for name in ("course_utils", "course_tools"):
        assert sorted(p.name for p in (copy / name).iterdir()) == ["__init__.py", "text.py"]


# --- Details the mutation run found untested: each expectation written out by hand.

def test_conflicts_list_every_copy_and_odd_entries_are_named(tmp_path):
    subs = tmp_path / "subs"
    composed, decomposed = "zo\u00eb", unicodedata.normalize("NFD", "zo\u00eb")
    _nb(subs / f"{composed}.ipynb")
    _nb(subs / f"{decomposed}.ipynb")
    _nb(subs / composed / "a.ipynb")
    _nb(subs / composed / "b.ipynb")
    _nb(subs / "lee.ipynb")
    _nb(subs / "lee" / "work.ipynb")
    _nb(subs / "bo" / "work.ipynb")
    (subs / "bo" / "old.ipynb").mkdir()                 # a folder named like a notebook is no notebook
    os.mkfifo(subs / "pipe")
    roster = batch.find_submissions(subs)
    names = sorted([f"{composed}.ipynb", f"{decomposed}.ipynb"])
    assert roster.conflicts == {
        composed: f"folder {composed}/ holds 2 notebooks: a.ipynb, b.ipynb; also {names[0]}, {names[1]}",
        "lee": "given more than once: lee/work.ipynb, lee.ipynb"}
    assert roster.submissions == {"bo": subs / "bo" / "work.ipynb"}
    assert roster.skipped == [("pipe", "not a file or folder")]


def test_feedback_file_names_strip_only_dots_and_spaces_at_the_ends():
    assert batch.feedback_filename("Xavier/X").startswith("Xavier_X-")
    assert batch.feedback_filename(". Xena .").startswith("Xena-")


def test_flags_read_code_cells_only_skip_comments_and_template_lines_in_any_cell():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1"),
                nbformat.v4.new_code_cell("# import subprocess would start programs\nimport otter"),
                nbformat.v4.new_markdown_cell("Do not use os.system or ctypes here.")]
    assert batch.integrity_flags(nb) == []


def test_flags_scan_a_budget_of_characters_across_cells(monkeypatch):
    monkeypatch.setattr(batch, "FLAG_SCAN_LIMIT", 20)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("a" * 8), nbformat.v4.new_code_cell("b" * 8),
                nbformat.v4.new_code_cell("os.fork()")]      # 16 scanned, 4 left: "os.f"
    assert batch.integrity_flags(nb) == []
    nb.cells[1].source = "b" * 3                             # 11 scanned, 9 left: all of "os.fork()"
    assert batch.integrity_flags(nb) == ["forks processes"]
    nb.cells = [nbformat.v4.new_code_cell("a" * 19), nbformat.v4.new_code_cell("socket")]  # 1 left: "s"
    assert batch.integrity_flags(nb) == []
    nb.cells = [nbformat.v4.new_code_cell("a" * 14), nbformat.v4.new_code_cell("socket")]  # exactly fits
    assert batch.integrity_flags(nb) == ["opens network connections"]
    nb.cells = [nbformat.v4.new_code_cell("a" * 20), nbformat.v4.new_code_cell("socket")]  # budget spent
    assert batch.integrity_flags(nb) == []


def test_answer_files_have_their_own_size_limits_and_odd_content_reads_as_nothing(tmp_path, monkeypatch):
    import json
    out = tmp_path / "answers"
    out.mkdir()
    (out / "answers.json").write_text("{ not json")
    (out / "run.json").write_text(json.dumps({"no errors key": 1}))
    answers_, errors = batch._load_answers(out)
    assert errors == [] and answers_ == {}
    (out / "run.json").write_text(json.dumps({"errors": [{"cell": 1}]}))
    monkeypatch.setattr(batch, "RUN_LIMIT", (out / "run.json").stat().st_size)
    answers_, errors = batch._load_answers(out)
    assert errors == [{"cell": 1}], "exactly the limit is read"
    monkeypatch.setattr(batch, "RUN_LIMIT", (out / "run.json").stat().st_size - 1)
    assert batch._load_answers(out) == ({}, []), "one byte over is not"
    assert batch.RUN_LIMIT != 1 << 20
    monkeypatch.undo()
    assert (batch.ANSWERS_LIMIT, batch.RUN_LIMIT) == (8 << 20, 1 << 20)


def test_sheet_and_feedback_count_a_missing_question_as_zero_and_keep_their_columns_when_empty():
    questions = {"q1": 2, "q2": 1}
    sheet = batch._sheet([batch.GradeResult("=bo", {"q1": 3.0}, "graded")], questions)
    assert sheet.to_dict("records") == [{"student": "'=bo", "q1": 2.0, "q2": 0.0, "total": 2.0, "max_total": 3.0,
                                         "status": "graded"}]
    assert list(batch._sheet([], questions).columns) == ["student", "q1", "q2", "total", "max_total", "status"]
    assert batch._feedback(batch.GradeResult("bo", {"q1": 3.0}, "graded"), questions) == (
        "# Feedback for bo\n\nScore: 2 / 3\nStatus: graded\n\n(nothing was scored)\n")


def test_class_seed_creates_its_folders(tmp_path):
    seed = batch.class_seed(tmp_path / "term" / "grades")
    assert (tmp_path / "term" / "grades" / ".challenge-seed").read_text() == f"{seed}\n"


def test_grade_one_cleans_up_reports_cell_errors_and_invalid_notebooks_exactly(tmp_path, monkeypatch):
    import json
    calls = _fake_batch(tmp_path, monkeypatch, lambda s: (
        {}, [{"cell": 2, "error": "E" * 400}, {"cell": 5, "error": "ValueError: bad"}], 0, False, 0.0))
    (tmp_path / "public" / "extra.ipynb").write_text("{}")
    (tmp_path / "public" / "data.csv").write_text("a,b")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (tmp_path / "data").mkdir()
    ctx = batch.Context("a3_metrics_report", _challenge(), tmp_path / "pristine", tmp_path / "data",
                        tmp_path / "public", scratch, batch.sandbox.Limits(wall_seconds=5))
    result = batch.grade_one(_nb(tmp_path / "amy.ipynb", "student = 'amy'\nimport ctypes"), "amy", ctx)
    assert calls[0]["files"] == ["a3_metrics_report.ipynb", "answers", "challenge.json", "data.csv"]
    assert list(scratch.iterdir()) == [], "the submission's folder is removed"
    assert result.flags == ["calls native code"]
    assert result.status == "graded; 2 cell(s) raised; flagged: calls native code"
    assert result.feedback.endswith("\n\nCells that raised an error:\n- cell 2: " + "E" * 300
                                    + "\n- cell 5: ValueError: bad")
    broken = tmp_path / "bo.ipynb"
    broken.write_text(json.dumps({"nbformat": "x" * 300}))
    invalid = batch.grade_one(broken, "bo", ctx)
    assert invalid.status == "invalid notebook: not a Jupyter notebook (NBFormatError)", "never the file's text"
    assert invalid.scores == {"q1": 0.0, "q2": 0.0, "q3": 0.0} and len(calls) == 1


def test_grade_batch_defaults_names_and_what_it_hands_on(tmp_path, monkeypatch):
    calls = _fake_batch(tmp_path, monkeypatch, lambda s: ({}, [], 0, False, 0.0))
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    folders, seeds, pools = [], [], []
    monkeypatch.setattr(batch, "student_folder", lambda *a: folders.append(a) or tmp_path / "public")
    monkeypatch.setattr(batch.reference_answers, "challenge", lambda name, seed: seeds.append((name, seed))
                        or _challenge())
    real_pool = batch.ThreadPoolExecutor
    monkeypatch.setattr(batch, "ThreadPoolExecutor", lambda max_workers: pools.append(max_workers)
                        or real_pool(max_workers=max_workers))
    _nb(tmp_path / "subs" / "amy.ipynb", "student = 'amy'")
    out = tmp_path / "out"
    batch.grade_batch(tmp_path / "subs", "a3_metrics_report", out, progress=False)
    assert calls[0]["wall"] == 300 and pools == [2] and folders == [("a3_metrics_report",)]
    assert calls[0]["env"]["KERAS_BACKEND"] == "tensorflow"
    assert Path(calls[0]["read_only"]["/data"]).name == "data"
    assert Path(calls[0]["read_only"]["/opt/course"]).name == "pristine"
    assert (out / "report.md").read_text().startswith("# Grading report: a3_metrics_report\n")
    first_seed = seeds[0][1]
    batch.grade_batch(tmp_path / "subs", "a3_metrics_report", out, workers=0, timeout=9, dist_dir=tmp_path / "d",
                      new_secret=True, progress=False)
    assert pools == [2, 1] and folders[-1] == ("a3_metrics_report", tmp_path / "d")
    assert seeds[-1][0] == "a3_metrics_report" and seeds[-1][1] != first_seed
    assert seeds[-1][1] == int((out / ".challenge-seed").read_text())
    with pytest.raises(ValueError) as info:
        batch.grade_batch(tmp_path / "subs", "a9", out)
    assert str(info.value) == ("Unknown assignment 'a9'; choose one of "
                               f"{sorted(answers.QUESTIONS)}.")


def test_an_assignment_that_reads_reviews_gets_them_in_its_data_folder(tmp_path, monkeypatch):
    calls = _fake_batch(tmp_path, monkeypatch, lambda s: ({}, [], 0, False, 0.0))
    written = []

    def write_data(folder):
        folder.mkdir()
        (folder / "reviews.parquet").write_text("rows")
        written.append(folder)
    monkeypatch.setattr("course_tools.grading.reference.write_sandbox_data", write_data)
    monkeypatch.setattr(batch.reference_answers, "QUESTIONS", {**answers.QUESTIONS,
                                                               "a3_metrics_report": answers.QUESTIONS["a3_metrics_report"]})
    monkeypatch.setattr(batch.reference_answers, "READS_DATA", {"a3_metrics_report"})
    _nb(tmp_path / "subs" / "amy.ipynb", "student = 'amy'")
    batch.grade_batch(tmp_path / "subs", "a3_metrics_report", tmp_path / "out", progress=False)
    assert written == [Path(calls[0]["read_only"]["/data"])]
    assert [p.name for p in calls[0]["data"]] == ["reviews.parquet"]
