"""The hostile catalogue, fast (no kernel, no sandbox): each attack of issue #23 against the
batch's own code, with the protection it meets. Slow, end-to-end versions: tests/test_grading.py."""
from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_tools.grading import __main__ as cli
from course_tools.grading import answers, batch, safefiles

SECRET = "TOP-SECRET-instructor-only-0123456789abcdef"


def _nb(path: Path, code: str = "x = 1") -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code)]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _challenge():
    checks = [answers.Check("q1", 5, "x", lambda a: (a.get("x", {}).get("ok") == 1, "x")),
              answers.Check("q2", 3, "y", lambda a: (a.get("y", {}).get("ok") == 2, "y")),
              answers.Check("q3", 2, "z", lambda a: (a.get("z", {}).get("ok") == 3, "z"))]
    return answers.Challenge("a3_metrics_report", [], checks)


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """A batch whose "sandbox" writes answers by student name (honest: full marks); no kernel runs.
    ``fake.write[student] = function(answers_folder)`` replaces what that student's run writes."""
    monkeypatch.setattr(batch.sandbox, "check_available", lambda: "bwrap")
    public = tmp_path / "public"
    public.mkdir()
    monkeypatch.setattr(batch, "student_folder", lambda *a: public)
    monkeypatch.setattr("course_tools.grading.reference.write_sandbox_data", lambda folder: None)
    monkeypatch.setattr(batch.reference_answers, "challenge", lambda name, seed: _challenge())
    write = {}

    def fake_run(command, *, work, read_only, env, limits, unsafe, keep=None):
        student = json.loads(nbformat.read(work / "a3_metrics_report.ipynb", 4).cells[0].source.split(" = ", 1)[1])
        if student in write:
            write[student](work / "answers")
        else:
            (work / "answers" / "answers.json").write_text(json.dumps({"x": {"ok": 1}, "y": {"ok": 2}, "z": {"ok": 3}}))
        return batch.sandbox.RunResult(0, False, "", 0.0)

    monkeypatch.setattr(batch.sandbox, "run", fake_run)
    fake_ns = type("Fake", (), {})()
    fake_ns.write, fake_ns.subs, fake_ns.out = write, tmp_path / "subs", tmp_path / "grades"
    fake_ns.grade = lambda **kw: batch.grade_batch(fake_ns.subs, "a3_metrics_report", fake_ns.out, progress=False, **kw)
    fake_ns.student = lambda name, path=None: _nb(path or fake_ns.subs / f"{name}.ipynb", f"student = {json.dumps(name)}")
    return fake_ns


def _rows(out: Path) -> dict[str, dict]:
    return {r["student"]: r for r in csv.DictReader(open(out / "grades.csv", encoding="utf-8"))}


def _everything_written(out: Path) -> str:
    return "".join(p.read_text(encoding="utf-8", errors="replace") for p in out.rglob("*") if p.is_file())


# ------------------------------------------------------------------- 1. nothing stops the batch

def test_a_recursion_bomb_in_answers_is_refused_before_parsing(tmp_path):
    bomb = tmp_path / "answers.json"
    bomb.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(safefiles.UnsafeFile, match="^JSON nested 100000 deep"):
        safefiles.read_json(bomb, 1 << 20)
    assert batch._load_answers(tmp_path) == ({}, [])
    assert safefiles.json_depth(b'{"a": "[[[[[[", "b": [1, {"c": "\\"]]"}]}') == 3, "brackets in strings don't count"


def test_a_submission_that_breaks_the_grader_is_its_own_row_and_the_class_is_graded(fake, monkeypatch):
    for name in ("ada", "bomb", "cy"):
        fake.student(name)
    real = batch.grade_one

    def fragile(path, student, ctx):  # what an unguarded parser did with a deep answers.json
        if student == "bomb":
            raise RecursionError("maximum recursion depth exceeded")
        return real(path, student, ctx)
    monkeypatch.setattr(batch, "grade_one", fragile)
    fake.grade(workers=2)
    rows = _rows(fake.out)
    assert rows["ada"]["total"] == rows["cy"]["total"] == "10.0"
    assert rows["bomb"]["total"] == "0.0" and rows["bomb"]["status"].startswith("not graded: grading failed (RecursionError)")
    assert (fake.out / "report.md").is_file()
    assert len(list((fake.out / "feedback").iterdir())) == 3


def test_a_real_recursion_bomb_written_by_a_sandbox_scores_nothing_and_stops_nobody(fake):
    for name in ("ada", "bomb"):
        fake.student(name)
    fake.write["bomb"] = lambda folder: (folder / "answers.json").write_text("[" * 100_000 + "]" * 100_000)
    fake.grade()
    rows = _rows(fake.out)
    assert rows["ada"]["total"] == "10.0" and rows["bomb"]["total"] == "0.0" and rows["bomb"]["status"] == "graded"


@pytest.mark.parametrize("content", [None, "notes.txt"])
def test_a_folder_without_submissions_is_refused_and_the_previous_sheet_kept(fake, content, capsys, monkeypatch):
    fake.subs.mkdir()
    if content:
        (fake.subs / content).write_text("hello")
    fake.out.mkdir()
    (fake.out / "grades.csv").write_text("student,total\nada,10\n")
    with pytest.raises(batch.NoSubmissions, match="No submission in .*(it is empty|'notes.txt')"):
        fake.grade()
    monkeypatch.setattr(cli, "grade_batch", batch.grade_batch)
    code = cli.main(["grade", "--assignment", "a3_metrics_report", "--submissions", str(fake.subs),
                     "--output", str(fake.out)])
    assert code != 0 and "No submission in" in capsys.readouterr().err
    assert sorted(p.name for p in fake.out.iterdir()) == ["grades.csv"], "nothing written, not even a seed"
    assert (fake.out / "grades.csv").read_text() == "student,total\nada,10\n"


def test_every_sheet_replaced_is_kept(fake, monkeypatch):
    fake.student("ada")
    fake.grade()
    first = (fake.out / "grades.csv").read_text()
    fake.write["ada"] = lambda folder: (folder / "answers.json").write_text("{}")
    fake.grade()
    fake.grade()
    kept = sorted((fake.out / "history").iterdir())
    assert len(kept) == 2 and kept[0].read_text() == first, "both earlier sheets, the first one first"
    assert _rows(fake.out)["ada"]["total"] == "0.0"


# ------------------------------------------------------------------- 2. links are never followed

def test_a_notebook_that_links_to_the_solution_earns_nothing_and_leaks_nothing(fake, tmp_path):
    solution = _nb(tmp_path / "instructor" / "a3_metrics_report.ipynb", 'student = "ada"')
    secret = tmp_path / "root-only.txt"
    secret.write_text(SECRET)
    fake.student("ada")
    (fake.subs / "eve").mkdir()
    (fake.subs / "eve" / "final.ipynb").symlink_to(solution)          # a folder whose notebook is a link
    (fake.subs / "mal.ipynb").symlink_to(secret)                      # a link to a private file
    (fake.subs / "deep" / "sub").mkdir(parents=True)
    fake.student("deep", fake.subs / "deep" / "final.ipynb")
    (fake.subs / "deep" / "sub" / "x.txt").symlink_to(secret)         # a link anywhere in a folder
    (fake.subs / "pip").mkdir()
    fake.student("pip", fake.subs / "pip" / "final.ipynb")
    os.mkfifo(fake.subs / "pip" / "pipe")                             # not a regular file
    fake.grade()
    rows = _rows(fake.out)
    assert rows["ada"]["total"] == "10.0"
    for student in ("eve", "mal", "deep", "pip"):
        assert rows[student]["total"] == "0.0" and rows[student]["status"].startswith("not graded: refused:"), student
    assert "symbolic link (final.ipynb)" in rows["eve"]["status"] and "pipe, which is not a regular file" in rows["pip"]["status"]
    assert SECRET[:10] not in _everything_written(fake.out)
    assert "## Refused" in (fake.out / "report.md").read_text()


def test_reading_never_follows_a_link_even_one_swapped_in_after_the_scan(tmp_path):
    secret = tmp_path / "secret.ipynb"
    _nb(secret, f"print('{SECRET}')")
    (tmp_path / "link.ipynb").symlink_to(secret)
    with pytest.raises(safefiles.UnsafeFile, match="^a symbolic link") as info:
        batch._read_notebook(tmp_path / "link.ipynb")
    assert SECRET[:10] not in str(info.value)
    (tmp_path / "dir").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(safefiles.UnsafeFile, match="is a link or not a folder"):
        safefiles.read_regular("dir/secret.ipynb", 1 << 20, base=tmp_path)
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(safefiles.UnsafeFile, match="^not a regular file$"):
        safefiles.read_regular(tmp_path / "fifo", 100)


def test_an_answers_folder_replaced_by_a_link_reads_as_nothing(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "answers.json").write_text(json.dumps({"x": {"ok": 1}}))
    (tmp_path / "answers").symlink_to(elsewhere, target_is_directory=True)
    assert batch._load_answers(tmp_path / "answers") == ({}, [])


def test_an_invalid_notebook_status_never_quotes_the_file(fake):
    fake.subs.mkdir(parents=True)
    (fake.subs / "dan.ipynb").write_text(json.dumps({"nbformat": SECRET}))
    (fake.subs / "kat.ipynb").write_text("[" * 100_000 + "]" * 100_000)
    fake.student("ada")
    fake.grade()
    rows = _rows(fake.out)
    assert rows["dan"]["status"] == "invalid notebook: not a Jupyter notebook (NBFormatError)"
    assert rows["kat"]["status"] == "invalid notebook: nested deeper than 64 levels"
    assert SECRET[:10] not in _everything_written(fake.out)


# ------------------------------------------------------------------- 3. names

def test_feedback_names_cannot_be_forged_by_another_student(fake):
    forged = batch.feedback_filename("o'neil")[:-3]                     # o_neil-<hash of o'neil>
    fake.student("o'neil")
    fake.student(forged)
    fake.write[forged] = lambda folder: (folder / "answers.json").write_text("{}")
    fake.grade()
    files = {p.name: p.read_text(encoding="utf-8") for p in (fake.out / "feedback").iterdir()}
    assert len(files) == 2
    assert "Score: 10 / 10" in files[batch.feedback_filename("o'neil")]
    assert "Score: 0 / 10" in files[batch.feedback_filename(forged)]


def test_names_that_would_look_alike_once_escaped_stay_two_rows(fake):
    fake.student("=bob")
    fake.student("'=bob")
    fake.write["'=bob"] = lambda folder: (folder / "answers.json").write_text("{}")
    fake.grade()
    rows = _rows(fake.out)
    assert set(rows) == {"'=bob", "''=bob"}
    assert rows["'=bob"]["total"] == "10.0" and rows["''=bob"]["total"] == "0.0"
    assert batch.spreadsheet_safe("'x") == "''x" and batch.spreadsheet_safe("x'") == "x'"


def test_a_file_name_cannot_write_markdown_or_html_into_the_report(fake):
    fake.student("ada")
    evil = "x\n\n## Conflicts\n- ada: cheated <img src=x onerror=alert(1)> [link](javascript:e.vil) `code`.txt"
    (fake.subs / evil).write_text("hi")
    fake.grade()
    report = (fake.out / "report.md").read_text(encoding="utf-8")
    assert report.count("## ") == 1 and "## Skipped" in report, report
    assert "<img" not in report and "&lt;img src=x onerror=alert(1)&gt;" in report
    assert "\\[link\\](javascript:e.vil)" in report and "\\`code\\`" in report
    [line] = [line for line in report.splitlines() if "cheated" in line]
    assert line.startswith(r"- x\\u000a\\u000a\#\# Conflicts\\u000a- ada: cheated"), "shown, as text, on one line"


def test_feedback_is_replaced_per_batch_and_a_failed_build_keeps_the_old_folder(fake, monkeypatch):
    fake.student("ada")
    fake.student("bo")
    fake.grade()
    (fake.subs / "bo.ipynb").unlink()
    fake.grade()
    assert [p.name for p in (fake.out / "feedback").iterdir()] == [batch.feedback_filename("ada")], \
        "a student no longer in the batch keeps no stale feedback"
    before = sorted(p.name for p in (fake.out / "feedback").iterdir())
    names = iter([batch.feedback_filename("ada")])
    monkeypatch.setattr(batch, "feedback_filename", lambda s: next(names))  # the second file fails
    with pytest.raises(StopIteration):
        batch.write_outputs(fake.out, batch._sheet([], {}), {"ada": "new", "bo": "new"}, "report")
    assert sorted(p.name for p in (fake.out / "feedback").iterdir()) == before
    assert "new" not in (fake.out / "feedback" / before[0]).read_text()
    assert [p.name for p in fake.out.iterdir() if p.name.startswith(".feedback")] == []


def test_missing_protections_are_said_in_the_report_and_a_memory_kill_in_the_status(fake, monkeypatch):
    fake.student("ada")
    fake.student("hog")
    real = batch.sandbox.run

    def noting(command, **kw):
        result = real(command, **kw)
        result.notes = ["no control group: not root: memory, processes and CPU are limited per process only"]
        if "hog" in nbformat.read(kw["work"] / "a3_metrics_report.ipynb", 4).cells[0].source:
            result.notes.append("the kernel killed 2 process(es) over the memory limit (256 MiB for the whole submission)")
        return result
    monkeypatch.setattr(batch.sandbox, "run", noting)
    fake.grade()
    rows, report = _rows(fake.out), (fake.out / "report.md").read_text()
    assert rows["hog"]["status"] == "graded; killed over the memory limit" and rows["ada"]["status"] == "graded"
    assert report.count("no control group: not root") == 1 and "the kernel killed" not in report
    assert "the kernel killed 2 process\\(es\\)" not in report
    assert "the kernel killed 2 process(es)" in (fake.out / "feedback" / batch.feedback_filename("hog")).read_text()


# ------------------------------------------------------------------- 5. scores only from checked plain data

def _points(assignment: str, answers_: dict) -> dict[str, float]:
    return answers.score(answers.challenge(assignment, 7), answers_)[0]


def test_a_fake_table_with_no_rows_scores_nothing():
    _, scores = answers.a3_data()
    names = sorted(scores)
    empty = {"report": {"ok": {"$frame": {"index": names, "columns": answers.A3_METRICS, "data": []}}}}
    assert _points("a3_metrics_report", empty)["q2"] == 0
    short = {"report": {"ok": {"$frame": {"index": names, "columns": answers.A3_METRICS,
                                          "data": [[0.5] * 5]}}}}  # one row for three models
    assert _points("a3_metrics_report", short)["q2"] == 0


@pytest.mark.parametrize("value,why", [
    ({"$array": [[1, 2], [3]]}, "ragged"),
    ({"$array": [1, 2], "dtype": "object", "shape": [2]}, "not numbers"),
    ({"$array": ["a", "b"]}, "not numbers"),
    ({"$array": [1, 2, 3], "dtype": "int64", "shape": [4]}, "shape differs"),
    ({"$array": [1e308 * 10]}, "infinite"),
    ({"$dict": [[1, 2, 3]]}, "key-value pairs"),
    ({"$dict": [[{"$array": [1]}, 2]]}, "key that is not a plain value"),
    ({"$frame": {"index": ["a"], "columns": ["x"], "data": [["0.5"]]}}, "finite number"),
    ({"$frame": {"index": ["a"], "columns": ["x"], "data": [[True]]}}, "finite number"),
    ({"$frame": {"index": ["a", "a"], "columns": ["x"], "data": [[1], [2]]}}, "rows not matching"),
    ({"$figure": [{"xlabel": "m", "ylabel": "s", "bars": "15"}]}, "not a count"),
    ({"$figure": []}, "without axes"),
    ({"$points": 1000}, "unknown fields"),
    (float("nan"), "finite number"),
])
def test_malformed_answers_are_refused_with_a_reason(value, why):
    with pytest.raises(answers.Malformed, match=why):
        answers.from_plain(value)


def test_numbers_must_be_numbers():
    from course_utils.evaluation import classification_metrics

    [probe] = [p for p in answers.challenge("a3_metrics_report", 7).probes if p["id"] == "q1ex"]
    right = classification_metrics(*(np.asarray(a["$array"]) for a in probe["args"]))["accuracy"]
    assert _points("a3_metrics_report", {"q1ex": {"ok": {"$dict": [[k, str(right)] for k in answers.A3_METRICS]}}})[
        "q1"] == 0, "the accuracy as text is not the accuracy"
    assert _points("a3_metrics_report", {"q1ex": {"ok": {"$dict": [[k, right] for k in answers.A3_METRICS]}}})["q1"] == 1
    with pytest.raises(answers.Malformed):
        answers.number(True)


# ------------------------------------------------------------------- 7. advisory: delegating to the reference

def test_an_a1_answer_that_delegates_to_course_utils_text_is_flagged_with_its_reason(tmp_path):
    import course_utils.text as text
    from course_tools.grading import harness

    def own(review):
        return " ".join(review.lower().split())

    def wrapper(review):
        return text.standardize(review)
    assert harness.delegation(text.standardize) == ["is course_utils.text.standardize"]
    assert harness.delegation(wrapper) == ["calls text (course_utils.text)"]
    assert harness.delegation(own) == []
    challenge = answers.challenge("a3_metrics_report", 1)
    challenge.write(tmp_path)
    harness.answer_challenge({"compute_metrics": lambda y, s, threshold=0.5: text.standardize("x")},
                             str(tmp_path / "challenge.json"), str(tmp_path / "answers"))
    written = json.loads((tmp_path / "answers" / "answers.json").read_text())
    assert written["_delegation"] == {"compute_metrics": ["calls text (course_utils.text)"]}


def test_delegation_is_flagged_in_the_status_and_explained_in_the_feedback(fake):
    fake.student("ada")
    fake.student("del")
    fake.write["del"] = lambda folder: (folder / "answers.json").write_text(json.dumps(
        {"x": {"ok": 1}, "y": {"ok": 2}, "z": {"ok": 3}, "_delegation": {"clean": ["is course_utils.text.standardize"]}}))
    fake.grade()
    rows = _rows(fake.out)
    assert rows["del"]["total"] == "10.0", "advisory: no points taken"
    assert rows["del"]["status"] == "graded; flagged: delegates to the course's reference code"
    assert rows["ada"]["status"] == "graded"
    feedback = (fake.out / "feedback" / batch.feedback_filename("del")).read_text()
    assert "- clean is course\\_utils.text.standardize" in feedback
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("from course_utils import text\nclean = text.standardize")]
    assert batch.integrity_flags(nb) == ["uses the course's reference text code"]


# ------------------------------------------------------------------- issue 21: a raising cell keeps the rest

def test_a_raising_function_keeps_the_other_answers(tmp_path):
    from course_tools.grading import harness
    challenge = answers.challenge("a3_metrics_report", 1)
    challenge.write(tmp_path)

    def broken(*args, **kwargs):
        raise ZeroDivisionError("student bug")
    harness.answer_challenge({"compute_metrics": broken, "report": "a value"}, str(tmp_path / "challenge.json"),
                             str(tmp_path / "answers"))
    written = json.loads((tmp_path / "answers" / "answers.json").read_text())
    assert written["q1ex"] == {"error": "ZeroDivisionError: student bug"}
    assert written["report"] == {"ok": "a value"} and written["fig"] == {"error": "not defined: 'fig'"}


def test_a_raising_cell_keeps_the_other_answers_points(fake):
    fake.student("cy")
    fake.write["cy"] = lambda folder: (
        (folder / "answers.json").write_text(json.dumps({"x": {"ok": 1}, "y": {"error": "NameError: f"}, "z": {"ok": 3}})),
        (folder / "run.json").write_text(json.dumps({"errors": [{"cell": 4, "error": "NameError: f"}]})))
    fake.grade()
    row = _rows(fake.out)["cy"]
    assert row["q1"] == "5.0" and row["q2"] == "0.0" and row["q3"] == "2.0" and row["status"] == "graded; 1 cell(s) raised"


def test_the_command_line_refuses_workers_that_do_not_fit_the_memory(fake, capsys, monkeypatch):
    fake.student("ada")
    from course_tools.grading import cgroups
    monkeypatch.setattr(cgroups, "machine_memory", lambda: 8 << 30)
    code = cli.main(["grade", "--assignment", "a3_metrics_report", "--submissions", str(fake.subs),
                     "--output", str(fake.out), "--workers", "3", "--memory", "4096"])
    assert code == 1
    assert "3 workers × 4096 MiB per sandbox = 12288 MiB, more than this machine's 8192 MiB" in capsys.readouterr().err
    assert not fake.out.exists(), "refused before anything is written"


# ------------------------------------------------------------------- round 4: bounded work on untrusted bytes

_LINEAR_CHILD = """
import resource, sys
resource.setrlimit(resource.RLIMIT_CPU, (60, 60))  # a watchdog, not a timing: the quadratic scan needs weeks
from course_tools.grading import safefiles
attack = b'"' + b'\\\\"' * (10 << 20)  # an unterminated string of escaped quotes, 20 MiB
print(safefiles.json_depth(attack), safefiles.json_depth(b'[' + attack + b']'), safefiles.json_depth(b'[[' * 9))
"""


def test_an_unterminated_string_of_escaped_quotes_is_scanned_in_one_pass():
    """The 180 kB notebook that froze every worker for 206 s, at the 20 MiB notebook limit."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _LINEAR_CHILD], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(Path(batch.__file__).parents[2])})
    assert done.returncode == 0, f"the scan did not finish within 60 CPU seconds ({done.returncode}): {done.stderr[-300:]}"
    assert done.stdout.split() == ["0", "1", "18"]


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 1 << 20])
def test_the_depth_scan_agrees_across_chunk_boundaries(chunk):
    cases = {b'{"a": "[[[[[[", "b": [1, {"c": "\\"]]"}]}': 3, b'["\\\\", [["\\\\\\"[", []]]]': 4,
             b'[["\\\\\\\\"], "]]]"]': 2, b'"\\\\"[[': 2, b'"[[': 0, b'': 0, b'[{}]': 2}
    for data, depth in cases.items():
        assert safefiles.json_depth(data, chunk) == depth, (data, chunk)


def test_the_depth_scan_reads_a_bounded_window_at_a_time(monkeypatch):
    seen = []
    real = safefiles.np.frombuffer
    monkeypatch.setattr(safefiles.np, "frombuffer", lambda buf, **kw: seen.append(len(buf)) or real(buf, **kw))
    assert safefiles.json_depth(b"[" * (3 * safefiles.SCAN_CHUNK + 7)) == 3 * safefiles.SCAN_CHUNK + 7
    assert max(seen) <= safefiles.SCAN_CHUNK and len(seen) == 4


def _deep_folder(top: Path, levels: int) -> None:
    """``top/d/d/.../d`` ``levels`` deep, made relative to each parent (the path itself may not fit PATH_MAX)."""
    top.mkdir(parents=True)
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(levels):
            os.mkdir("d", dir_fd=fd)
            child = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = child
    finally:
        os.close(fd)


def _remove_deep_folder(top: Path, levels: int) -> None:
    """Undo :func:`_deep_folder` from the bottom up (``shutil.rmtree`` recurses, and pytest's own
    clean-up of old temporary folders would meet a ``RecursionError`` in a later session)."""
    fds = [os.open(top, os.O_RDONLY | os.O_DIRECTORY)]
    for _ in range(levels - 1):
        fds.append(os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fds[-1]))
    for fd in reversed(fds):
        os.rmdir("d", dir_fd=fd)
        os.close(fd)
    top.rmdir()


def test_a_folder_1100_levels_deep_is_its_students_row_and_everyone_else_is_graded(fake):
    fake.student("ada")
    fake.student("deep", fake.subs / "deep" / "work.ipynb")
    _deep_folder(fake.subs / "deep" / "x", 1_100)
    try:
        fake.grade()
    finally:
        _remove_deep_folder(fake.subs / "deep" / "x", 1_100)
    rows = _rows(fake.out)
    assert rows["ada"]["total"] == "10.0"
    assert rows["deep"]["total"] == "0.0"
    assert rows["deep"]["status"] == "not graded: refused: folder deep/ nests folders more than 16 levels deep"


def test_whatever_reading_one_entry_raises_is_that_students_row(fake, monkeypatch):
    for name in ("ada", "cy"):
        fake.student(name)
    fake.student("bomb", fake.subs / "bomb" / "work.ipynb")
    real = batch._regular_tree

    def fragile(folder, *args, **kwargs):  # what os.walk did with a folder 1,100 levels deep
        if folder.name == "bomb":
            raise RecursionError("maximum recursion depth exceeded")
        return real(folder, *args, **kwargs)
    monkeypatch.setattr(batch, "_regular_tree", fragile)
    fake.grade()
    rows = _rows(fake.out)
    assert rows["ada"]["total"] == rows["cy"]["total"] == "10.0"
    assert rows["bomb"]["status"] == ("not graded: refused: could not be read (RecursionError); "
                                      "the rest of the class was graded")


def test_a_student_folder_with_too_many_entries_is_refused_unread(tmp_path):
    _nb(tmp_path / "subs" / "many" / "work.ipynb")
    for i in range(30):
        (tmp_path / "subs" / "many" / f"f{i}").mkdir()
    roster = batch.find_submissions(tmp_path / "subs")
    assert list(roster.submissions) == ["many"], "31 entries are within the default limit"
    assert batch._regular_tree(tmp_path / "subs" / "many", limit=20) == "holds more than 20 entries"


# ------------------------------------------------------------------- round 4: hard links are links

def _tarball_with_a_hard_link(tmp_path: Path, target: str, member: str) -> Path:
    """A student's tarball whose ``member`` is a hard link (``LNKTYPE``) to ``target`` (as ``tar -h`` makes)."""
    import io
    import tarfile

    archive = tmp_path / "submission.tar"
    with tarfile.open(archive, "w") as tar:
        data = b'{"cells": []}'
        info = tarfile.TarInfo(target)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo(member)
        link.type, link.linkname = tarfile.LNKTYPE, target
        tar.addfile(link)
    return archive


def test_a_notebook_hard_linked_to_the_solution_is_refused_and_leaks_nothing(fake, tmp_path):
    solution = _nb(tmp_path / "instructor" / "a3_metrics_report.ipynb", f'student = "ada"  # {SECRET}')
    fake.student("bob")
    fake.subs.mkdir(exist_ok=True)
    os.link(solution, fake.subs / "ada.ipynb")
    (fake.subs / "cy").mkdir()
    os.link(solution, fake.subs / "cy" / "work.ipynb")
    fake.grade()
    rows = _rows(fake.out)
    assert rows["bob"]["total"] == "10.0"
    assert rows["ada"]["total"] == rows["cy"]["total"] == "0.0"
    assert rows["ada"]["status"] == f"not graded: refused: {batch.HARD_LINK}"
    assert rows["cy"]["status"] == f"not graded: refused: folder cy/ holds work.ipynb, {batch.HARD_LINK}"
    assert SECRET not in _everything_written(fake.out)


def test_a_hard_link_made_by_extracting_a_tarball_is_refused(tmp_path):
    import tarfile

    subs = tmp_path / "subs"
    (subs / "dan").mkdir(parents=True)
    with tarfile.open(_tarball_with_a_hard_link(tmp_path, "notes.txt", "work.ipynb")) as tar:
        tar.extractall(subs / "dan")
    assert os.stat(subs / "dan" / "work.ipynb").st_nlink == 2, "tarfile made a hard link"
    roster = batch.find_submissions(subs)
    assert roster.submissions == {} and "hard link" in roster.refused["dan"]


def test_a_hard_link_swapped_in_after_the_scan_is_not_read(tmp_path):
    original = tmp_path / "private.json"
    original.write_text('{"secret": 1}')
    (tmp_path / "out").mkdir()
    os.link(original, tmp_path / "out" / "answers.json")
    with pytest.raises(safefiles.UnsafeFile, match="^a hard link"):
        safefiles.read_regular(tmp_path / "out" / "answers.json", 1 << 20)
    assert batch._load_answers(tmp_path / "out") == ({}, [])


# ------------------------------------------------------------------- round 4: names the file system allows

LATIN1_JOSE = os.fsdecode(b"Jos\xe9")  # what os.listdir gives for unzip's name from a Windows zip


def test_an_honest_latin1_name_from_a_windows_zip_is_graded_and_every_output_written(fake):
    fake.student(LATIN1_JOSE)
    fake.student("José")  # the same name in UTF-8: another student, another row
    fake.student("ada")
    fake.grade()
    rows = _rows(fake.out)
    assert rows["Jos\\xe9"]["total"] == rows["José"]["total"] == rows["ada"]["total"] == "10.0"
    assert rows["Jos\\xe9"]["status"] == "graded"
    feedback = {p.name: p.read_text(encoding="utf-8") for p in (fake.out / "feedback").iterdir()}
    assert len(feedback) == 3
    assert "Score: 10 / 10" in feedback[batch.feedback_filename(LATIN1_JOSE)]
    assert batch.feedback_filename(LATIN1_JOSE) != batch.feedback_filename("José")
    assert "# Feedback for Jos\\\\xe9" in feedback[batch.feedback_filename(LATIN1_JOSE)]
    assert "Graded: 3;" in (fake.out / "report.md").read_text(encoding="utf-8")


def test_a_255_byte_name_gets_its_row_and_a_feedback_file_the_file_system_accepts(fake):
    long_name = "𝒜" * 60  # 240 bytes, 246 with .ipynb
    fake.student(long_name)
    fake.grade()
    assert _rows(fake.out)[long_name]["total"] == "10.0"
    [written] = list((fake.out / "feedback").iterdir())
    assert written.name == batch.feedback_filename(long_name) and len(os.fsencode(written.name)) <= 255


def test_invisible_and_bidirectional_characters_read_differently_everywhere(fake):
    for name in ("bob", "bob\u200b", "\u202ebob", "bo\\u200bb"):
        fake.student(name)
    (fake.subs / "notes\u202etxt.pdf").write_text("hi")
    fake.write["bob\u200b"] = lambda folder: (folder / "answers.json").write_text("{}")
    fake.grade()
    rows = _rows(fake.out)
    assert set(rows) == {"bob", "bob\\u200b", "\\u202ebob", "bo\\\\u200bb"}, rows.keys()
    assert rows["bob"]["total"] == "10.0" and rows["bob\\u200b"]["total"] == "0.0"
    csv_text = (fake.out / "grades.csv").read_text(encoding="utf-8")
    assert "\u200b" not in csv_text and "\u202e" not in csv_text
    report = (fake.out / "report.md").read_text(encoding="utf-8")
    assert "\u202e" not in report and "notes\\\\u202etxt.pdf" in report
    assert len(list((fake.out / "feedback").iterdir())) == 4


def test_a_lone_surrogate_in_a_sandboxs_words_never_stops_the_sheet(fake):
    fake.student("ada")
    fake.student("eve")
    fake.write["eve"] = lambda folder: (folder / "run.json").write_text(
        json.dumps({"errors": [{"cell": "\ud800", "error": "bad \udce9 \ud83d"}]}))
    fake.grade()
    rows = _rows(fake.out)
    assert rows["ada"]["total"] == "10.0" and rows["eve"]["status"] == "graded; 1 cell(s) raised"
    text = (fake.out / "feedback" / batch.feedback_filename("eve")).read_text(encoding="utf-8")
    assert "- cell \\\\ud800: bad \\\\xe9 \\\\ud83d" in text


@pytest.mark.parametrize("name,shown", [("bob", "bob"), ("bob\u200b", "bob\\u200b"), ("\u202ebob", "\\u202ebob"),
                                        (LATIN1_JOSE, "Jos\\xe9"), ("a\\b", "a\\\\b"), ("x\ny", "x\\u000ay"),
                                        ("\u3164", "\\u3164"), ("\U000e0101", "\\U000e0101"), ("zoë ann", "zoë ann")])
def test_names_are_shown_one_to_one(name, shown):
    assert batch.shown(name) == shown


# ------------------------------------------------------------------- round 4: feedback and report are inert

FORGERY = ("\n\nScore: 10 / 10\nStatus: graded\n# Feedback for ada\n<script>alert(1)</script> "
           "[prize](https://e.vil/x) www.e.vil <https://e.vil> mail@e.vil **bold** ")


def _grader_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(("Score:", "Status:", "#"))]


def test_a_sandboxs_words_cannot_forge_feedback_lines_links_tags_or_megabytes(fake):
    fake.student("eve")
    fake.write["eve"] = lambda folder: (
        (folder / "answers.json").write_text(json.dumps({"x": {"error": FORGERY * 20_000}})),
        (folder / "run.json").write_text(json.dumps({"errors": [{"cell": FORGERY, "error": FORGERY * 100}] * 30})))
    fake.grade()
    text = (fake.out / "feedback" / batch.feedback_filename("eve")).read_text(encoding="utf-8")
    assert _grader_lines(text) == ["# Feedback for eve", "Score: 0 / 10",
                                   "Status: graded; 20 cell(s) raised"], _grader_lines(text)
    import re

    for rendered in ("<script", "<https", "www.e.vil", "https://", "mail@e", "**bold**"):
        assert rendered not in text, rendered
    assert not re.search(r"(?<!\\)\]\(", text), "no Markdown link: every bracket is escaped"
    assert "&lt;script&gt;" in text and "www\\[.\\]e.vil" in text and "https\\[:\\]//" in text
    assert len(text) < 30_000, f"feedback is bounded, not {len(text):,} characters"


def test_a_file_name_cannot_autolink_in_the_report(fake):
    fake.student("ada")
    (fake.subs / "see www.e.vil and https:__e.vil or a@e.vil.txt").write_text("hi")
    fake.grade()
    report = (fake.out / "report.md").read_text(encoding="utf-8")
    [line] = [line for line in report.splitlines() if "e.vil" in line]
    assert "www.e" not in line and "a@e" not in line and "www\\[.\\]e.vil" in line, line


def test_escaped_text_is_bounded_and_says_so():
    assert batch.markdown_safe("x" * 5_000).endswith("x... \\[3,000 more characters cut\\]")
    assert len(batch.markdown_safe("\u200b" * 5_000)) < 2 * batch.SHOWN_LIMIT + 100, "its backslashes doubled at most"


def test_an_answers_file_over_the_limit_is_never_parsed(tmp_path, monkeypatch):
    """Two concurrent 48 MiB answers files grew the grader to 4.6 GiB, outside any cgroup."""
    (tmp_path / "answers.json").write_bytes(b"[" + b"{}," * ((batch.ANSWERS_LIMIT // 3) + 1) + b"{}]")
    parsed = []
    monkeypatch.setattr(safefiles, "loads_bounded", lambda *a, **k: parsed.append(1) or {})
    assert batch._load_answers(tmp_path) == ({}, []) and parsed == [], "refused by its size, before parsing"
    assert batch.ANSWERS_LIMIT <= 8 << 20
