"""Assignments in two editions: built side by side, graded with the same tests, and feedback
written in the language the submission's notebook declares (read as untrusted input)."""
from __future__ import annotations

import importlib
import json
import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest

from course_tools.grading import answers, batch
from course_tools.grading.assign import EDITION_KEY, assign, assign_all, edition_dist, find_assignments
from course_utils.i18n import N_, LazyText

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = ROOT / "assignments"


def _copy_assignments(target: Path) -> Path:
    """The English assignments and their catalogues, without the generated Spanish notebooks."""
    shutil.copytree(ASSIGNMENTS, target, ignore=lambda folder, names: ["es"] if Path(folder) == ASSIGNMENTS else [])
    assert not (target / "es").exists()
    return target


def test_assign_builds_english_into_dist_and_spanish_into_dist_es_from_fresh_sources(tmp_path, monkeypatch):
    module = importlib.import_module("course_tools.grading.assign")  # the package names a function so too

    source = _copy_assignments(tmp_path / "assignments")
    calls = []

    def fake_assign(path, dist, *, run_tests=True, edition="en"):
        calls.append((Path(path).relative_to(source).as_posix(), Path(dist), run_tests, edition))
        return Path(dist) / Path(path).stem / "autograder" / "x.zip"

    monkeypatch.setattr(module, "assign", fake_assign)
    dist = tmp_path / "dist"
    built = assign_all(source, dist, report=lambda line: None)
    names = [p.stem for p in find_assignments(ASSIGNMENTS)]
    assert calls == [(f"{n}.ipynb", dist, True, "en") for n in names] + \
                    [(f"es/{n}.ipynb", dist / "es", False, "es") for n in names]
    assert len(built) == 6
    # the Spanish sources were generated from the catalogues, exactly as committed
    for name in names:
        assert (source / "es" / f"{name}.ipynb").read_text(encoding="utf-8") == \
               (ASSIGNMENTS / "es" / f"{name}.ipynb").read_text(encoding="utf-8")
    assert edition_dist("en", dist) == dist and edition_dist("es", dist) == dist / "es"
    with pytest.raises(ValueError, match="edition must be"):
        edition_dist("../x", dist)


def _zip_contents(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_both_editions_of_an_assignment_grade_with_the_same_tests_and_say_their_language(tmp_path):
    """Real otter (without re-running the solutions: ~20 s): the autograders are identical and
    each student notebook carries its edition, which the grader reads back."""
    name = "a3_metrics_report"
    zips = {edition: assign(ASSIGNMENTS / (f"{name}.ipynb" if edition == "en" else f"es/{name}.ipynb"),
                            edition_dist(edition, tmp_path / "dist"), run_tests=False, edition=edition)
            for edition in ("en", "es")}
    assert zips["es"] == tmp_path / "dist" / "es" / name / "autograder" / f"{name}-autograder.zip"
    en, es = _zip_contents(zips["en"]), _zip_contents(zips["es"])
    assert en == es and any(n.startswith("tests/") for n in en), "the same tests, points and files"
    students = {edition: nbformat.read(zips[edition].parent.parent / "student" / f"{name}.ipynb", 4)
                for edition in ("en", "es")}
    assert students["en"].metadata["otter"] == students["es"].metadata["otter"]  # the public tests
    assert [c.source for c in students["en"].cells if c.cell_type == "code"] == \
           [c.source for c in students["es"].cells if c.cell_type == "code"]
    assert [c.source for c in students["es"].cells if c.cell_type == "markdown"][0].startswith("# Práctica 3")
    assert {e: nb.metadata[EDITION_KEY] for e, nb in students.items()} == {"en": "en", "es": "es"}
    assert {e: batch.submission_edition(nb) for e, nb in students.items()} == {"en": "en", "es": "es"}


HOSTILE = [None, 1, True, 1.5, ["es"], {"es": "es"}, "", "ES", "es ", "es\n", "es\x00", "../es", "../../etc/passwd",
           "fr", "en_US", "{0.__class__}", "es" * 500_000]


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_an_unknown_or_hostile_edition_reads_as_english(value):
    assert batch.submission_edition({"metadata": {EDITION_KEY: value}, "cells": []}) == "en"


@pytest.mark.parametrize("nb", [None, [], "es", {}, {"metadata": None}, {"metadata": []}, {"metadata": "es"},
                                {"metadata": {"other": "es"}}])
def test_a_notebook_without_usable_metadata_reads_as_english(nb):
    assert batch.submission_edition(nb) == "en"


def _challenge():
    accuracy = LazyText(N_("q2: held-out accuracy {accuracy} (needs {threshold})"), accuracy=0.734, threshold=0.76)
    checks = [answers.Check("q1", 1.5, N_("compute_metrics: the keys"), lambda a: (a.get("x", {}).get("ok") == 1, "x")),
              answers.Check("q2", 1, N_("report: the values"), lambda a: (False, accuracy)),
              answers.Check("q3", 1, N_("fig is a figure"), lambda a: (a["y"]["ok"] == 2, "y"))]  # KeyError
    return answers.Challenge("a3_metrics_report", [], checks)


def _submission(path: Path, student: str, metadata: dict) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f"student = '{student}'")]
    nb.metadata.update(metadata)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb), encoding="utf-8")  # as a student's client may save it: no validation


def test_feedback_is_in_the_submissions_language_and_hostile_metadata_gets_english(tmp_path, monkeypatch):
    public = tmp_path / "public"
    public.mkdir()
    monkeypatch.setattr(batch.sandbox, "check_available", lambda: "bwrap")
    monkeypatch.setattr(batch, "student_folder", lambda *a: public)
    monkeypatch.setattr(batch.reference_answers, "challenge", lambda name, seed: _challenge())

    def fake_run(command, *, work, read_only, env, limits, unsafe, keep=None):
        (work / "answers" / "answers.json").write_text(json.dumps({"x": {"ok": 1}}))
        (work / "answers" / "run.json").write_text(json.dumps(
            {"errors": [{"cell": 3, "error": "NameError: name 'f' is not defined"}]}))
        return batch.sandbox.RunResult(0, False, "", 0.0)

    monkeypatch.setattr(batch.sandbox, "run", fake_run)
    subs = tmp_path / "subs"
    _submission(subs / "ana.ipynb", "ana", {EDITION_KEY: "es"})
    _submission(subs / "ben.ipynb", "ben", {EDITION_KEY: "en"})
    _submission(subs / "cy.ipynb", "cy", {})
    hostile = {f"h{i}": value for i, value in enumerate([["es"], {"es": 1}, 7, "../es", "es" * 200_000, "ES", "fr"])}
    for student, value in hostile.items():
        _submission(subs / f"{student}.ipynb", student, {EDITION_KEY: value})
    out = tmp_path / "grades"
    sheet = batch.grade_batch(subs, "a3_metrics_report", out, workers=1, progress=False)

    def feedback(student):
        return (out / "feedback" / batch.feedback_filename(student)).read_text(encoding="utf-8")

    assert feedback("ana") == (
        "# Comentarios para ana\n\nNota: 1,5 / 10\nEstado: calificado; 1 celda(s) lanzaron un error\n\n"
        "- ✔ q1 · compute_metrics: las claves (1,5 puntos)\n"
        "- ✘ q2 · report: los valores (1 punto): q2: exactitud con reseñas reservadas 0,734 (se necesita 0,76)\n"
        "- ✘ q3 · fig es una figura (1 punto): q3: respuesta inutilizable (KeyError)\n\n"
        "Celdas que lanzaron un error:\n- celda 3: NameError: name 'f' is not defined\n")
    english = (
        "# Feedback for {student}\n\nScore: 1.5 / 10\nStatus: graded; 1 cell(s) raised\n\n"
        "- ✔ q1 · compute_metrics: the keys (1.5 points)\n"
        "- ✘ q2 · report: the values (1 point): q2: held-out accuracy 0.734 (needs 0.76)\n"
        "- ✘ q3 · fig is a figure (1 point): q3: unusable answer (KeyError)\n\n"
        "Cells that raised an error:\n- cell 3: NameError: name 'f' is not defined\n")
    for student in ["ben", "cy", *hostile]:
        assert feedback(student) == english.format(student=student), student
    # the instructor's sheet and report stay English, whatever the student's language
    assert set(sheet["status"]) == {"graded; 1 cell(s) raised"} and len(sheet) == 3 + len(hostile)
    assert set(sheet["total"]) == {1.5}
    assert (out / "report.md").read_text(encoding="utf-8").startswith("# Grading report: a3_metrics_report\n")


def test_the_command_line_builds_the_editions_asked_for_and_names_what_stops_a_translation(tmp_path, monkeypatch,
                                                                                           capsys):
    from course_tools.grading.__main__ import main
    from course_tools import edition

    module = importlib.import_module("course_tools.grading.assign")
    source = _copy_assignments(tmp_path / "assignments")
    built = []
    monkeypatch.setattr(module, "assign", lambda path, dist, *, run_tests=True, edition="en":
                        built.append((Path(path).name, edition)) or Path(dist) / "x.zip")
    assert main(["assign", "--source", str(source), "--dist", str(tmp_path / "dist"), "--editions", "es"]) == 0
    assert built == [(p.name, "es") for p in find_assignments(ASSIGNMENTS)]
    assert capsys.readouterr().out.count("otter assign [es] ") == 3
    po = edition.catalogue_path("es", "a2_recurrent_classifier", source / "locales")
    catalog = edition.read_catalogue(po)
    next(m for m in catalog if m.context == "md-02").flags.add("fuzzy")
    edition.write_catalogue(catalog, po)
    assert main(["assign", "--source", str(source), "--dist", str(tmp_path / "dist")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: the 'es' assignments cannot be built") and "a2_recurrent_classifier.ipynb md-02: fuzzy" in err
    assert [e for _, e in built[3:]] == ["en"] * 3, "English is built before the translation stops"


@pytest.mark.notebooks
def test_a_spanish_class_graded_in_the_sandbox_gets_spanish_feedback(tmp_path):
    """End to end, in real sandboxes (slow: runs two assignment-3 notebooks): the solution handed
    in from the Spanish student build (its metadata) earns full marks with Spanish feedback; the
    same notebook claiming an unknown edition earns the same with English feedback."""
    name = "a3_metrics_report"
    dist = tmp_path / "dist"
    for edition in ("en", "es"):
        source = ASSIGNMENTS / (f"{name}.ipynb" if edition == "en" else f"es/{name}.ipynb")
        assign(source, edition_dist(edition, dist), run_tests=False, edition=edition)
    solution = nbformat.read(dist / "es" / name / "autograder" / f"{name}.ipynb", 4)
    subs = tmp_path / "subs"
    subs.mkdir()
    for student, value in [("ana", "es"), ("ona", "../es")]:
        solution.metadata[EDITION_KEY] = value
        nbformat.write(solution, subs / f"{student}.ipynb")
    out = tmp_path / "grades"
    sheet = batch.grade_batch(subs, name, out, workers=1, timeout=180, dist_dir=dist, progress=False)
    assert list(sheet["total"]) == [10, 10] and list(sheet["status"]) == ["graded", "graded"], sheet
    ana = (out / "feedback" / batch.feedback_filename("ana")).read_text(encoding="utf-8")
    ona = (out / "feedback" / batch.feedback_filename("ona")).read_text(encoding="utf-8")
    assert ana.startswith("# Comentarios para ana\n\nNota: 10 / 10\nEstado: calificado\n\n- ✔ q1 · compute_metrics: las claves")
    assert "Feedback" not in ana and "point" not in ana
    assert ona.startswith("# Feedback for ona\n\nScore: 10 / 10\nStatus: graded\n\n- ✔ q1 · compute_metrics: the keys")
