"""The benchmark harness runs and writes its report (no timing assertions)."""
from __future__ import annotations

import pytest

from course_utils import bench

pytestmark = pytest.mark.notebooks


def test_harness_runs_and_writes_its_tables(tmp_path, monkeypatch):
    from course_utils.synthetic import make_synthetic_archive
    import os
    if not os.environ.get("IMDB_DATA_DIR"):
        archive = make_synthetic_archive(tmp_path / "data" / "aclImdb_v1.tar.gz", n_per_class=1200)
        monkeypatch.setenv("IMDB_DATA_DIR", str(archive.parent))
        monkeypatch.setenv("COURSE_UTILS_CACHE", str(tmp_path / "cache"))
    tables = bench.run(tmp_path / "bench", archs=["dense"], reps=1, warmup=0, profile="smoke",
                       pipeline=False, fractions=(0.5, 1.0), lengths=(64,), scaling_archs=("gru",))
    models = tables["models"]
    assert models.loc[0, "arch"] == "dense" and models.loc[0, "params"] > 0
    assert models.loc[0, "median_s"] > 0 and models.loc[0, "reviews_per_s"] > 0 and models.loc[0, "peak_mib"] > 0
    overhead = tables["overhead"].set_index("arch")
    assert overhead.loc["plain_keras_lstm", "ratio_to_plain"] == 1.0
    assert overhead.loc["course_utils_lstm", "params"] == overhead.loc["plain_keras_lstm", "params"]
    scaling = tables["scaling"]
    assert sorted(zip(scaling.fraction, scaling.maxlen)) == [(0.5, 128), (1.0, 64), (1.0, 128)]
    report = (tmp_path / "bench" / "results.md").read_text()
    assert "## models" in report and "backend" in report
    assert (tmp_path / "bench" / "scaling.png").exists() and (tmp_path / "bench" / "models.csv").exists()
