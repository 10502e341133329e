"""The papermill runner: order, parameters, and a clear message on failure."""
from __future__ import annotations

import json

import nbformat
import pytest

from course_tools import runner
from course_tools.cells import PARAMETERS_CELL


def _notebook(path, *code):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(PARAMETERS_CELL)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params] + [nbformat.v4.new_code_cell(c) for c in code]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_discover_orders_and_filters(tmp_path):
    for name in ("02_b.ipynb", "01_a.ipynb", "notes.ipynb"):
        _notebook(tmp_path / name, "1")
    assert [p.name for p in runner.discover(tmp_path)] == ["01_a.ipynb", "02_b.ipynb"]
    assert [p.name for p in runner.discover(tmp_path, ["02"])] == ["02_b.ipynb"]
    with pytest.raises(ValueError, match="No notebook matches \\['07'\\]"):
        runner.discover(tmp_path, ["07"])


@pytest.mark.notebooks
def test_run_passes_parameters_and_stops_at_the_failing_cell(tmp_path):
    nbdir = tmp_path / "nb"
    nbdir.mkdir()
    _notebook(nbdir / "01_ok.ipynb",
              "import json, pathlib\n"
              "pathlib.Path(output_dir, 'seen.json').write_text(json.dumps([profile, seed]))")
    _notebook(nbdir / "02_bad.ipynb", "x = 1", "raise ValueError('broken on purpose')")
    _notebook(nbdir / "03_never.ipynb", "open('ran', 'w')")
    out = tmp_path / "out"
    with pytest.raises(runner.NotebookFailed) as info:
        runner.run_all("smoke", out, notebook_dir=nbdir, seed=5)
    message = str(info.value)
    assert "02_bad.ipynb failed in cell" in message and "ValueError: broken on purpose" in message
    assert json.loads((out / "seen.json").read_text()) == ["smoke", 5]
    assert not (nbdir / "ran").exists()
    executed = nbformat.read(out / "executed" / "01_ok.ipynb", 4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])][0]
    assert "output_dir = \"../out\"" in injected.source  # relative: no machine path


def test_main_reports_failure_with_exit_code(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(runner, "run_all", lambda *a, **k: (_ for _ in ()).throw(
        runner.NotebookFailed("03_x.ipynb failed in cell 4")))
    assert runner.main(["--profile", "smoke"]) == 1
    assert "error: 03_x.ipynb failed in cell 4" in capsys.readouterr().err


def test_make_all_writes_where_a_notebook_opened_by_hand_writes(monkeypatch):
    from course_utils import config
    monkeypatch.delenv("COURSE_OUTPUT_DIR", raising=False)
    monkeypatch.chdir(runner.NOTEBOOK_DIR)  # Jupyter runs a notebook in its own folder
    assert config.output_dir(None, "smoke").resolve() == runner.default_output_dir("smoke").resolve()


def test_time_table_lists_every_notebook_and_the_total(tmp_path):
    path = runner.write_times({"01_eda": 17.2, "05_lstm": 41.0}, tmp_path / "times.md", profile="full")
    text = path.read_text()
    assert "| 01_eda | 17 |" in text and "| 05_lstm | 41 |" in text and "| **total** | **58** |" in text
    assert text.startswith("# Notebook times: full profile, Keras ")


@pytest.mark.parametrize("refresh", [False, True], ids=["run_all", "refresh_committed"])
def test_main_writes_the_time_table_in_both_modes(tmp_path, monkeypatch, refresh):
    """``--times`` is honoured when the committed notebooks are refreshed too (``make outputs``)."""
    timings = {"01_eda": 20.4, "07_bigru": 528.2}
    monkeypatch.setattr(runner, "run_all", lambda *a, **k: timings)
    monkeypatch.setattr(runner, "refresh_committed", lambda *a, **k: timings)
    args = ["--profile", "full", "--times", str(tmp_path / "times.md")] + (["--refresh-committed"] if refresh else [])
    assert runner.main(args) == 0
    assert "| 07_bigru | 528 |" in (tmp_path / "times.md").read_text()
