"""The benchmark harness runs and writes its report (no timing assertions)."""
from __future__ import annotations

import importlib.util

import pytest

from course_utils import batching
from course_tools import bench

pytestmark = pytest.mark.notebooks


def test_harness_runs_and_writes_its_tables(tmp_path, monkeypatch):
    from synthetic import make_synthetic_archive
    import os
    if not os.environ.get("IMDB_DATA_DIR"):
        archive = make_synthetic_archive(tmp_path / "data" / "aclImdb_v1.tar.gz", n_per_class=1200)
        monkeypatch.setenv("IMDB_DATA_DIR", str(archive.parent))
        monkeypatch.setenv("COURSE_UTILS_CACHE", str(tmp_path / "cache"))
    tables = bench.run(tmp_path / "bench", archs=["dense", "gru"], reps=2, warmup=0, profile="smoke",
                       pipeline=False, fractions=(0.5, 1.0), lengths=(64,), scaling_archs=("gru",),
                       bucketing=("gru",), jax_compiles=("gru",))
    models = tables["models"].set_index("arch")
    assert list(models.index) == ["dense", "gru"] and (models["params"] > 0).all()
    assert (models["median_s"] > 0).all() and (models["reviews_per_s"] > 0).all() and (models["peak_mib"] > 0).all()
    assert (models["reps"] == 2).all() and (models["min_s"] <= models["median_s"]).all()
    overhead = tables["overhead"].set_index("arch")
    assert overhead.loc["plain_keras_lstm", "ratio_to_plain"] == 1.0
    assert overhead.loc["plain_keras_lstm", "ratio_of_fastest"] == 1.0
    assert list(overhead.index) == ["plain_keras_lstm", "plain_keras_lstm_steady", "course_utils_lstm"]
    assert overhead["params"].nunique() == 1  # one model, three ways of training it
    assert (overhead["reps"] == 2).all() and (overhead["ratio_to_plain"] > 0).all()
    assert "masking" not in tables  # the taught models are Keras's masked layers: nothing to compare
    bucketing = tables["bucketing"].set_index("feed")
    assert list(bucketing.index) == ["fixed", "bucketed"] and bucketing["params"].nunique() == 1
    assert bucketing.loc["fixed", "ratio_to_fixed"] == 1.0 and bucketing.loc["fixed", "shapes"] == 1
    assert bucketing.loc["bucketed", "steps"] <= bucketing.loc["fixed", "steps"]  # trimmed, never longer
    assert 1 <= bucketing.loc["bucketed", "shapes"] <= batching.MAX_BUCKETS + 1
    if importlib.util.find_spec("jax") is not None:  # an optional backend; the table says when it ran
        compiles = tables["jax_compiles"].iloc[0]
        # shapes bounded: epoch 2 compiles no step, at most early stopping's scalar comparison (jit(less))
        assert compiles["compiles_epoch_2"] <= 1 < compiles["compiles_epoch_1"]
    else:
        assert "jax_compiles" not in tables
    scaling = tables["scaling"]
    assert sorted(zip(scaling.fraction, scaling.maxlen)) == [(0.5, 128), (1.0, 64), (1.0, 128)]
    # the full-data, default-length point is the models table's measurement, not a second one
    reused = scaling[(scaling.fraction == 1.0) & (scaling.maxlen == 128)].iloc[0]
    assert reused["median_s"] == models.loc["gru", "median_s"]
    half = scaling[scaling.fraction == 0.5].iloc[0]
    assert half["train_reviews"] == models.loc["gru", "train_reviews"] // 2
    report = (tmp_path / "bench" / "results.md").read_text()
    assert "## models" in report and "## bucketing" in report and "backend" in report
    assert (tmp_path / "bench" / "scaling.png").exists() and (tmp_path / "bench" / "models.csv").exists()


def test_pipeline_measurements_cover_every_step(tmp_path, monkeypatch, synthetic_archive):
    monkeypatch.setenv("IMDB_DATA_DIR", str(synthetic_archive.parent))
    monkeypatch.setenv("COURSE_UTILS_CACHE", str(tmp_path / "cache"))
    rows = bench.measure_pipeline(reps=2)
    assert [r["step"] for r in rows] == ["load: cold (archive)", "load: warm (cache)",
                                         "tokenize + encode 50k reviews", "encoded arrays: warm (cache)"]
    assert all(r["reps"] == 2 and 0 < r["min_s"] <= r["median_s"] <= r["max_s"] for r in rows)
    assert list((tmp_path / "cache").glob("encoded-*.npz"))  # the warm step read a real cache


def test_an_unknown_comparison_is_named_in_the_error():
    with pytest.raises(ValueError, match=r"comparison must be one of \['overhead'\], got 'speed'"):
        bench.measure_interleaved("speed")
