"""Every notebook runs top to bottom under papermill in the smoke profile."""
from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest

from course_utils import evaluation
from course_tools import runner
from course_utils.evaluation import METRIC_NAMES
from synthetic import make_synthetic_archive

pytestmark = pytest.mark.notebooks
NOTEBOOKS = runner.discover()


@pytest.fixture(scope="session")
def executed(tmp_path_factory):
    """Run all notebooks once, in order, into a temporary output folder.

    Uses the real data when $IMDB_DATA_DIR is set (CI), else a synthetic corpus.
    """
    out = tmp_path_factory.mktemp("smoke-run")
    saved = {k: os.environ.get(k) for k in ("IMDB_DATA_DIR", "COURSE_UTILS_CACHE", "COURSE_CHECK_FIGURES")}
    os.environ["COURSE_CHECK_FIGURES"] = "1"  # every figure: no overlapping or clipped text
    if not os.environ.get("IMDB_DATA_DIR"):
        archive = make_synthetic_archive(tmp_path_factory.mktemp("data") / "aclImdb_v1.tar.gz",
                                         n_per_class=1200, seed=1)
        os.environ["IMDB_DATA_DIR"] = str(archive.parent)
        os.environ["COURSE_UTILS_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    try:
        timings = runner.run_all("smoke", out)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return out, timings


@pytest.mark.parametrize("name", [p.stem for p in NOTEBOOKS])
def test_notebook_ran_clean(executed, name):
    out, timings = executed
    assert name in timings
    nb = nbformat.read(out / "executed" / f"{name}.ipynb", 4)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error"
            if output["output_type"] == "stream" and output["name"] == "stderr":
                pytest.fail(f"{name} wrote to stderr: {output['text'][:300]}")


def test_training_notebooks_write_valid_metrics_records(executed):
    out, _ = executed
    table = evaluation.load_records(out)
    assert {"majority", "dense"} <= set(table.index)
    for _model, row in table.iterrows():
        assert row["profile"] == "smoke"
        for metric in METRIC_NAMES:
            assert 0.0 <= row[metric] <= 1.0 or (metric == "cohen_kappa" and -1 <= row[metric] <= 1)
    assert table.loc["dense", "params"] > 0 and table.loc["dense", "train_seconds"] > 0
    assert (out / "figures" / "dense_learning_curves.png").exists()


def _computed_sentences(path: Path) -> list[str]:
    from course_utils.notebook import COMPUTED_MARK
    nb = nbformat.read(path, 4)
    return [o["data"]["text/markdown"] for c in nb.cells for o in c.get("outputs", [])
            if "text/markdown" in o.get("data", {}) and o["data"]["text/markdown"].startswith(COMPUTED_MARK)]


def test_notebook_09_alone_in_the_smoke_profile_never_ranks_a_committed_row_against_its_own(tmp_path, monkeypatch):
    """Opened alone (Colab), 09 has only its own smoke TF-IDF row and the committed full run's:
    it once said "bigru is 3.9 points above TF-IDF" against a committed 0.5 points *below*."""
    if not os.environ.get("IMDB_DATA_DIR"):
        archive = make_synthetic_archive(tmp_path / "data" / "aclImdb_v1.tar.gz", n_per_class=1200, seed=1)
        monkeypatch.setenv("IMDB_DATA_DIR", str(archive.parent))
        monkeypatch.setenv("COURSE_UTILS_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "alone"
    runner.run_all("smoke", out, only=["09"])
    sentences = "\n".join(_computed_sentences(out / "executed" / "09_metrics_comparison.ipynb"))
    assert "This run (smoke profile): `tfidf_logreg`" in sentences
    assert "Rows of different runs are ranked apart" in sentences
    assert "The best neural model" not in sentences, "a committed model ranked against the smoke TF-IDF row"
    assert "`bigru` and `tfidf_logreg` are not compared" in sentences
    assert not re.search(r"points (above|below) `tfidf_logreg`", sentences)
    nb = nbformat.read(out / "executed" / "09_metrics_comparison.ipynb", 4)
    seed_table = next(o["data"]["text/plain"] for c in nb.cells if "results.seed_table" in c.source
                      for o in c.get("outputs", []) if "text/plain" in o.get("data", {}))
    rows = [line.split() for line in seed_table.splitlines()[2:]]
    assert rows and all(row[-1] == "NaN" for row in rows), "the 'this run' column shows a result this run did not train"
