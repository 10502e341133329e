"""The seed table and the tolerances make validate derives from it."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from course_utils import evaluation
from course_utils.workbook import seeds, validation


def _run(folder, lstm_correct: int, dense_correct: int):
    """A run folder whose lstm and dense records have known accuracies (out of 1000 reviews)."""
    y = np.array([1] * 500 + [0] * 500)
    for model, correct in (("lstm", lstm_correct), ("dense", dense_correct)):
        scores = np.where(np.arange(1000) < correct, y, 1 - y).astype(float)
        record = evaluation.MetricsRecord.from_scores(model, "full", y, scores, params=1, epochs=1,
                                                      train_seconds=1.0, notebook="05_lstm")
        evaluation.save_record(record, folder)
    return folder


def test_spread_has_mean_sd_min_max_and_tolerance(tmp_path):
    runs = [_run(tmp_path / f"s{i}", lstm, 870) for i, lstm in enumerate((880, 890, 900))]
    table = seeds.spread(runs).set_index(["model", "metric"])
    row = table.loc[("lstm", "accuracy")]
    assert row["runs"] == 3 and row["mean"] == pytest.approx(0.89) and row["sd"] == pytest.approx(0.01)
    assert (row["min"], row["max"]) == (0.88, 0.90)
    assert row["tolerance"] == pytest.approx(0.04)  # 4 sd
    assert table.loc[("dense", "accuracy"), "sd"] == 0 and table.loc[("dense", "accuracy"), "tolerance"] == 0.01


def test_one_run_gets_the_floor(tmp_path):
    table = seeds.spread([_run(tmp_path / "only", 880, 870)])
    assert math.isnan(table["sd"].iloc[0]) and (table["tolerance"] == seeds.TOLERANCE_FLOOR).all()


def test_validation_uses_the_seed_tolerance_per_model(tmp_path):
    runs = [_run(tmp_path / f"s{i}", lstm, 870) for i, lstm in enumerate((880, 890, 900))]
    per_metric = seeds.tolerances(seeds.spread(runs))
    reference = {"lstm": {"accuracy": 0.89}, "dense": {"accuracy": 0.87}}
    rerun = pd.DataFrame({"accuracy": [0.92, 0.885]}, index=pd.Index(["lstm", "dense"], name="model"))
    problems = validation.compare(reference, rerun, 0.01, per_metric)
    assert problems == ["dense.accuracy: 0.8850, committed 0.8700 (differs by more than 0.01)"]
