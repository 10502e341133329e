"""The project's own consistency: dependencies declared once, clean notebooks."""
from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import nbformat
import pytest
import yaml

from course_utils import config
from course_utils.workbook.cells import PARAMETERS_CELL, SETUP_CELL, colab_badge, colab_url

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _requirement(spec: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", spec)
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def test_environment_yml_names_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = list(project["dependencies"])
    for extra, items in project["optional-dependencies"].items():
        declared += [i for i in items if not i.startswith("course-utils")]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    listed = [d for d in env if isinstance(d, str) and not d.startswith(("python", "pip"))]
    listed += [d for d in next(d["pip"] for d in env if isinstance(d, dict)) if not d.startswith("-")]
    assert dict(map(_requirement, listed)) == dict(map(_requirement, declared))


def test_readme_shows_the_test_command_ci_runs():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "make test" in ci


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_clean_and_starts_the_same_way(path):
    nb = nbformat.read(path, 4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith(f"# {path.stem[:2]} ·")
    assert code[0].source == SETUP_CELL, "first code cell must be course_utils.notebook.SETUP_CELL"
    assert code[1].source == PARAMETERS_CELL and code[1].metadata.get("tags") == ["parameters"]
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert set(nb.metadata) <= {"kernelspec", "language_info"}
    raw = path.read_text()
    assert not re.search(r'"/(work|tmp|root|home|Users)/', raw), "machine path in the notebook"
    assert '"output_type": "error"' not in raw
    assert "\x1b[" not in raw, "terminal colour codes in outputs"
    assert "Summary" in raw and "Exercises" in raw


def test_setup_cell_carries_the_one_repository_url():
    assert config.REPO_URL in SETUP_CELL
