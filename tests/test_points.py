"""Points are written in the assignment sources (otter's ``points:``) and in the grader's
``QUESTIONS``: the two must agree, question by question, in both editions, and the prompt a
student reads ("**Question 2 (3 points).**") must say the same.

The question cells are read the way ``otter assign`` reads them: a raw cell whose first line
is ``# BEGIN QUESTION``, the rest of it YAML (``name:``, ``points:``).
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from otter.assign.blocks import BlockType, get_cell_config, is_block_boundary_cell

from course_tools.grading.answers import QUESTIONS

ASSIGNMENTS = Path(__file__).resolve().parents[1] / "assignments"
SOURCES = sorted(ASSIGNMENTS.glob("*.ipynb"))
EDITIONS = sorted(ASSIGNMENTS.glob("*/*.ipynb"))
#: How a prompt states its points: "**Question 2 (3 points).**", "**Pregunta 2 (3 puntos).**".
_STATED = re.compile(r"\*\*(?:Question|Pregunta)\s+(\d+)\s+\((\d+(?:[.,]\d+)?)\s+(?:points?|puntos?)\)")


def otter_questions(path: Path) -> dict[str, tuple[float, int]]:
    """Each question of an assignment source: ``name -> (points, index of its BEGIN cell)``.

    Parameters
    ----------
    path : pathlib.Path
        An otter assignment source notebook.

    Returns
    -------
    dict
        The points of each question as otter assign reads them (a per-test-case list counts
        as its sum), keyed by the question's ``name``, in notebook order.

    Raises
    ------
    AssertionError
        If a question has no name, appears twice, or its points are not a number or a list of
        numbers (the grader could not compare them).
    """
    notebook = nbformat.read(path, as_version=4)
    found: dict[str, tuple[float, int]] = {}
    for index, cell in enumerate(notebook.cells):
        if not is_block_boundary_cell(cell, BlockType.QUESTION):
            continue
        config = get_cell_config(cell)
        name, points = config.get("name"), config.get("points")
        assert isinstance(name, str), f"{path.name}: a question cell without a name: {config}"
        assert name not in found, f"{path.name}: question {name} appears twice"
        if isinstance(points, list) and all(isinstance(p, (int, float)) for p in points):
            points = sum(points)
        assert isinstance(points, (int, float)) and not isinstance(points, bool), (
            f"{path.name}: question {name} has points {points!r}; give a number so the grader can agree")
        found[name] = (float(points), index)
    return found


def test_every_assignment_source_is_graded_and_every_graded_assignment_has_a_source():
    assert {path.stem for path in SOURCES} == set(QUESTIONS)
    for edition in EDITIONS:
        assert edition.stem in QUESTIONS, f"{edition} has no entry in QUESTIONS"


@pytest.mark.parametrize("path", SOURCES + EDITIONS, ids=lambda p: str(p.relative_to(ASSIGNMENTS)))
def test_the_grader_gives_each_question_the_points_of_the_assignment_source(path):
    written = {name: points for name, (points, _) in otter_questions(path).items()}
    graded = {name: float(points) for name, points in QUESTIONS[path.stem].items()}
    assert written == graded, (
        f"{path.relative_to(ASSIGNMENTS)}: otter's points: {written}, grading/answers.py QUESTIONS: {graded}")


@pytest.mark.parametrize("path", SOURCES + EDITIONS, ids=lambda p: str(p.relative_to(ASSIGNMENTS)))
def test_each_prompt_states_the_points_its_question_is_worth(path):
    notebook = nbformat.read(path, as_version=4)
    for name, (points, index) in otter_questions(path).items():
        prompt = next((cell for cell in notebook.cells[index + 1:] if cell.cell_type == "markdown"), None)
        stated = _STATED.search(prompt.source) if prompt is not None else None
        assert stated, f"{path.name}: the prompt of {name} does not state its points"
        assert f"q{stated.group(1)}" == name, f"{path.name}: the prompt after {name} is numbered {stated.group(1)}"
        assert float(stated.group(2).replace(",", ".")) == points, (
            f"{path.name}: the prompt of {name} says {stated.group(2)} points, otter gives {points:g}")
