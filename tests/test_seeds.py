"""The seed table and the tolerances make validate derives from it."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from course_utils import evaluation
from course_tools import seeds, validation


def _run(folder, lstm_correct: int | None, dense_correct: int | None, **others: int):
    """A run folder whose records have known accuracies (out of 1000 reviews)."""
    y = np.array([1] * 500 + [0] * 500)
    wanted = {"lstm": lstm_correct, "dense": dense_correct, **others}
    for model, correct in ((m, c) for m, c in wanted.items() if c is not None):
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


def test_runs_added_later_pool_exactly_as_if_read_together(tmp_path):
    """2 runs of lstm (0.880, 0.890) pooled later with 2 more (0.900, 0.920) give the 4-run table;
    dense ran in the first pair only and keeps its row; gru is new."""
    first = [_run(tmp_path / "a", 880, 870), _run(tmp_path / "b", 890, 860)]
    later = [_run(tmp_path / "c", 900, None, gru=900), _run(tmp_path / "d", 920, None, gru=920)]
    pooled = seeds.add_runs(seeds.spread(first), seeds.spread(later)).set_index(["model", "metric"])
    lstm = pooled.loc[("lstm", "accuracy")]
    values = np.array([0.88, 0.89, 0.90, 0.92])
    assert pooled["runs"].dtype == int and list(pooled.reset_index().columns) == list(seeds.spread(first).columns)
    assert lstm["runs"] == 4 and lstm["mean"] == pytest.approx(values.mean())
    assert lstm["sd"] == pytest.approx(values.std(ddof=1)) and lstm["tolerance"] == pytest.approx(4 * values.std(ddof=1))
    assert (lstm["min"], lstm["max"]) == (0.88, 0.92)
    kept = seeds.spread(first).set_index(["model", "metric"]).loc[("dense", "accuracy")]
    assert pooled.loc[("dense", "accuracy")].to_dict() == kept.to_dict(), "a row without new runs is kept as it was"
    dense = pooled.loc[("dense", "accuracy")]
    assert dense["runs"] == 2 and dense["mean"] == pytest.approx(0.865) and dense["max"] == 0.87
    gru = pooled.loc[("gru", "accuracy")]
    assert gru["runs"] == 2 and gru["mean"] == pytest.approx(0.91) and gru["sd"] == pytest.approx(np.std([0.9, 0.92], ddof=1))
    single = seeds.add_runs(seeds.spread(first[:1]), seeds.spread(later[:1])).set_index(["model", "metric"])
    assert single.loc[("lstm", "accuracy"), "sd"] == pytest.approx(np.std([0.88, 0.90], ddof=1))  # NaN sd of one run
    assert math.isnan(single.loc[("dense", "accuracy"), "sd"]) and single.loc[("dense", "accuracy"), "tolerance"] == 0.01


def test_validation_uses_the_seed_tolerance_per_model(tmp_path):
    runs = [_run(tmp_path / f"s{i}", lstm, 870) for i, lstm in enumerate((880, 890, 900))]
    per_metric = seeds.tolerances(seeds.spread(runs))
    reference = {"lstm": {"accuracy": 0.89}, "dense": {"accuracy": 0.87}}
    rerun = pd.DataFrame({"accuracy": [0.92, 0.885]}, index=pd.Index(["lstm", "dense"], name="model"))
    problems = validation.compare(reference, rerun, 0.01, per_metric)
    assert problems == ["dense.accuracy: 0.8850, committed 0.8700 (differs by more than 0.01)"]


def test_a_notebook_retrained_with_every_seed_replaces_only_its_models_rows(tmp_path):
    """07 retrained with seeds 42, 1 and 2: its models get new rows, 05's lstm keeps the committed one."""
    committed = seeds.spread([_run(tmp_path / f"old{i}", lstm, 870, gru=g) for i, (lstm, g) in
                              enumerate(((880, 800), (890, 810), (900, 820)))])
    retrained = [_run(tmp_path / f"new{i}", None, None, gru=g) for i, g in enumerate((900, 910, 920))]
    table = seeds.replace_retrained(committed, seeds.spread(retrained)).set_index(["model", "metric"])
    assert table.loc[("gru", "accuracy"), "mean"] == pytest.approx(0.91) and table.loc[("gru", "accuracy"), "runs"] == 3
    old = committed.set_index(["model", "metric"])
    assert table.loc[("lstm", "accuracy")].to_dict() == old.loc[("lstm", "accuracy")].to_dict()
    assert table.loc[("dense", "accuracy")].to_dict() == old.loc[("dense", "accuracy")].to_dict()
    assert sorted(table.index) == sorted(old.index)
    with_committed = [_run(tmp_path / "run42", 950, 990, gru=930)] + retrained  # the committed run holds every model
    table = seeds.replace_retrained(committed, seeds.spread(with_committed)).set_index(["model", "metric"])
    assert table.loc[("gru", "accuracy"), "runs"] == 4 and table.loc[("gru", "accuracy"), "max"] == 0.93
    assert table.loc[("lstm", "accuracy")].to_dict() == old.loc[("lstm", "accuracy")].to_dict(), \
        "a model in only one of the runs keeps its pooled row"


def test_the_command_line_replaces_rows_and_refuses_both_merges(tmp_path, capsys):
    committed = tmp_path / "spread.csv"
    seeds.main([str(_run(tmp_path / f"old{i}", 880 + 10 * i, 870, gru=800)) for i in range(2)] + ["--output", str(committed)])
    runs = [str(_run(tmp_path / f"new{i}", None, None, gru=900 + 10 * i)) for i in range(2)]
    assert seeds.main(runs + ["--retrained-in", str(committed), "--output", str(tmp_path / "out.csv")]) == 0
    out = pd.read_csv(tmp_path / "out.csv").set_index(["model", "metric"])
    assert out.loc[("gru", "accuracy"), "mean"] == pytest.approx(0.905)
    assert out.loc[("lstm", "accuracy"), "mean"] == pytest.approx(0.885)
    with pytest.raises(SystemExit):
        seeds.main(runs + ["--retrained-in", str(committed), "--add-to", str(committed), "--output", str(tmp_path / "x.csv")])
    assert "give one of them" in capsys.readouterr().err
