"""Probes, the TF-IDF reference, the tuning subset and grid cost, and the validation checks."""
from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from course_utils import baselines, probes, tuning
from course_tools import validation
from synthetic import synthetic_review
from course_utils.text import OOV


class LastTokenModel:
    """A stand-in model whose output depends only on the last token: a perfect short memory."""

    def predict(self, x, batch_size=None, verbose=0):
        return (np.asarray(x)[:, -1:] == 5).astype(float)


def test_position_sensitivity_sees_a_short_memory():
    x = np.full((20, 32), 5, dtype="int32")
    series = probes.position_sensitivity(LastTokenModel(), x, window=8, n_windows=4)
    assert series.index.tolist() == [0, 8, 16, 24]
    assert series.tolist() == [1.0, 0.0, 0.0, 0.0]


def test_accuracy_by_length_buckets():
    table = probes.accuracy_by_length([1, 1, 0, 0], [0.9, 0.2, 0.1, 0.1], [10, 150, 150, 600],
                                      bins=(0, 100, 200, 10_000))
    assert table.index.tolist() == ["0–99", "100–199", "200+"]
    assert table["reviews"].tolist() == [1, 2, 1]
    assert table["accuracy"].tolist() == [1.0, 0.5, 1.0]


def test_tfidf_reference_learns_the_synthetic_task():
    rng = np.random.default_rng(0)
    y = np.array([0, 1] * 100)
    texts = [synthetic_review(int(label), rng) for label in y]
    fitted = baselines.tfidf_logreg(texts[:150], y[:150], texts[150:], min_df=1)
    assert ((fitted.scores >= 0.5) == y[150:]).mean() > 0.9
    assert fitted.params > 10 and fitted.train_seconds > 0


def test_stratified_subset_keeps_both_classes():
    x = np.arange(100)
    y = np.array([0] * 50 + [1] * 50)
    xs, ys = tuning.stratified_subset(x, y, 10, seed=0)
    assert len(ys) == 10 and ys.sum() == 5
    with pytest.raises(ValueError, match="n must be a positive number of rows, got 0"):
        tuning.stratified_subset(x, y, 0, seed=0)


def test_validation_compares_within_tolerance_and_checks_targets(tmp_path):
    records = pd.DataFrame({"accuracy": [0.895, 0.915, 0.5], "f1": [0.88, 0.9, 0.67],
                            "roc_auc": [0.95, 0.96, 0.5]}, index=pd.Index(["lstm", "bigru", "majority"]))
    reference = validation.reference_from_records(records)
    assert validation.compare(reference, records) == []
    shifted = records.assign(accuracy=records.accuracy - 0.02)
    assert validation.compare(reference, shifted, tolerance=0.01)[0].startswith("lstm.accuracy: 0.8750")
    assert validation.compare({"gru": {"accuracy": 0.9}}, records) == ["gru: no metrics record in the re-run"]
    assert validation.check_targets(records) == []
    problems = validation.check_targets(shifted)
    assert not any(p.startswith("bigru: test accuracy") for p in problems)  # 0.895 meets its own 0.89
    assert any(p.startswith("lstm: test accuracy 0.8750 < target 0.89") for p in problems)
    assert any(p.startswith("best model bigru") for p in problems)


def test_position_sensitivity_can_fill_with_unknown_words():
    class SeesOOV:
        def predict(self, x, batch_size=None, verbose=0):
            return (np.asarray(x) == OOV).any(axis=1, keepdims=True).astype(float)
    x = np.full((10, 16), 5, dtype="int32")
    assert probes.position_sensitivity(SeesOOV(), x, window=8, n_windows=2).tolist() == [0.0, 0.0]
    assert probes.position_sensitivity(SeesOOV(), x, window=8, n_windows=2, fill=OOV).tolist() == [1.0, 1.0]


class PaddedFromLeftModel:
    """p = share of real (non-padding) tokens among the row's last 8 positions."""

    def predict(self, x, batch_size=None, verbose=0):
        return (np.asarray(x)[:, -8:] != 0).mean(axis=1, keepdims=True)


def test_position_sensitivity_skips_windows_of_pure_padding_and_counts_only_rows_with_tokens():
    # rows of different lengths, pre-padded: 4 rows of 24 tokens, 4 rows of 8 tokens
    x = np.zeros((8, 32), dtype="int32")
    x[:4, 8:] = 7
    x[4:, 24:] = 7
    series = probes.position_sensitivity(PaddedFromLeftModel(), x, window=8, n_windows=4, sample=8)
    # window 0 (the last 8): every row loses all 8 -> |Δp| = 1 for all; windows 8 and 16: only the
    # long rows have tokens there, and removing them does not move p; window 24: no row has tokens
    assert series.to_dict() == {0: 1.0, 8: 0.0, 16: 0.0}


def test_accuracy_by_length_puts_a_length_on_an_edge_in_the_upper_bucket():
    table = probes.accuracy_by_length([1, 0, 1], [0.9, 0.9, 0.2], [99, 100, 200], bins=(0, 100, 200, 10_000))
    assert table["reviews"].tolist() == [1, 1, 1]
    assert table.loc["100–199", "accuracy"] == 0.0 and table.loc["200+", "accuracy"] == 0.0


def test_subsample_of_an_odd_number_is_as_balanced_as_possible(isolated, synthetic_archive):
    from course_utils import data
    imdb = data.load_imdb(synthetic_archive)
    picked = data.subsample(imdb.train, 7, seed=1)
    assert len(picked) == 7 and sorted(picked.label.value_counts().tolist()) == [3, 4]
    assert picked.index.tolist() == list(range(7)) and picked.id.is_unique


def test_grid_cost_is_written_out():
    space = {"units": [32, 64, 128], "dropout": [0.0, 0.2], "lr": [1e-3, 3e-3]}
    assert tuning.grid_cost(space, 1234.5678) == {"configurations": 12, "folds": 1,
                                                 "seconds per configuration": 1234.57, "hours": 4.12}
    assert tuning.grid_cost(space, 1800, folds=5)["hours"] == 30.0  # 12 x 5 x 0.5 h
    assert tuning.grid_cost(space, 100.0)["hours"] == 0.33  # 1200 s, two decimals


def test_stratified_subset_is_seeded_balanced_and_whole_at_full_size():
    x = np.arange(100)
    y = np.array([0] * 80 + [1] * 20)
    xs, ys = tuning.stratified_subset(x, y, 10, seed=0)
    assert ys.sum() == 2 and np.array_equal(y[xs], ys), "a 20 % class keeps its share, rows keep labels"
    again, _ = tuning.stratified_subset(x, y, 10, seed=0)
    other, _ = tuning.stratified_subset(x, y, 10, seed=1)
    assert np.array_equal(xs, again) and not np.array_equal(xs, other)
    whole_x, whole_y = tuning.stratified_subset(x, y, 100, seed=0)
    assert whole_x is x and np.array_equal(whole_y, y)


class WeightedTokenModel:
    """p = (sum of the row's token ids) / 1e5: removing a window of row i (ids all i + 2) moves p
    by (tokens removed) x (i + 2) / 1e5, so the mean says which rows and which steps were probed."""

    def predict(self, x, batch_size=None, verbose=0):
        return np.asarray(x, dtype=float).sum(axis=1, keepdims=True) / 1e5


def test_position_sensitivity_defaults_window_sample_and_seed():
    x = np.repeat(np.arange(2, 302)[:, None], 200, axis=1).astype("int32")  # 300 rows of 200 tokens
    series = probes.position_sensitivity(WeightedTokenModel(), x)
    assert series.index.tolist() == list(range(0, 192, 16)), "12 windows of 16 tokens"
    assert series.name == "mean |Δ p(positive)|" and series.index.name == "tokens before the end"
    rows = np.random.default_rng(0).choice(300, size=256, replace=False)  # seed 0, 256 distinct reviews
    expected = 16 * (rows + 2).mean() / 1e5
    np.testing.assert_allclose(series.to_numpy(), expected, rtol=1e-9)
    assert series.iloc[0] != pytest.approx(16 * np.arange(2, 302).mean() / 1e5, rel=1e-6), "a sample, not all"


def test_position_sensitivity_covers_a_partial_first_window_and_rejects_bad_sizes():
    x = np.full((4, 33), 5, dtype="int32")  # 33 = 16 + 16 + 1
    series = probes.position_sensitivity(WeightedTokenModel(), x, n_windows=20)
    assert series.to_dict() == pytest.approx({0: 16 * 5 / 1e5, 16: 16 * 5 / 1e5, 32: 1 * 5 / 1e5})
    for bad in (dict(window=0), dict(n_windows=0)):
        with pytest.raises(ValueError, match="window and n_windows must be positive"):
            probes.position_sensitivity(WeightedTokenModel(), x, **bad)
    assert len(probes.position_sensitivity(WeightedTokenModel(), x, window=1, n_windows=1)) == 1


def test_accuracy_by_length_threshold_edge_hides_empty_buckets_and_names_the_index():
    table = probes.accuracy_by_length([1, 0, 1, 0], [0.5, 0.5, 0.49, 0.2], [10, 20, 350, 360])
    assert table.index.name == "tokens" and table.columns.tolist() == ["reviews", "accuracy"]
    assert table.index.tolist() == ["0–99", "300–499"], "buckets without reviews are left out"
    assert table["accuracy"].tolist() == [0.5, 0.5]  # a score of exactly 0.5 is a positive


def test_accuracy_by_length_puts_a_length_on_an_edge_in_the_upper_bucket_and_drops_empty_ones():
    table = probes.accuracy_by_length([1, 0, 1, 0], [0.5, 0.5, 0.9, 0.1], [100, 99, 350, 400],
                                      bins=(0, 100, 200, 300, 10_000))
    assert table.index.tolist() == ["0–99", "100–199", "300+"]   # 200–299 holds no review: left out
    assert table["reviews"].tolist() == [1, 1, 2]
    assert table["accuracy"].tolist() == [0.0, 1.0, 1.0]        # a score of exactly 0.5 is positive


def test_position_sensitivity_names_its_bad_arguments_exactly():
    with pytest.raises(ValueError) as info:
        probes.position_sensitivity(LastTokenModel(), np.ones((2, 4), dtype="int32"), window=0)
    assert str(info.value) == "window and n_windows must be positive."


def test_position_sensitivity_averages_over_the_reviews_with_tokens_there_and_skips_empty_windows():
    class ShareOfWords:
        def predict(self, x, batch_size=None, verbose=0):
            return (np.asarray(x) != 0).mean(axis=1, keepdims=True)
    x = np.array([[5] * 16,                 # tokens in both windows
                  [0] * 8 + [5] * 8,        # tokens in the last window only
                  [5] * 8 + [0] * 8],       # post-padded: tokens in the first window only
                 dtype="int32")
    series = probes.position_sensitivity(ShareOfWords(), x, window=8, n_windows=2)
    # last window: rows 1 and 2 each lose 8 tokens (p falls by 0.5); row 3 has none there: not counted
    # first window: rows 1 and 3 lose 8 tokens (0.5); row 2 has none there
    assert series.to_dict() == {0: 0.5, 8: 0.5}
    post_padded = np.array([[5] * 4 + [0] * 12], dtype="int32")
    series = probes.position_sensitivity(ShareOfWords(), post_padded, window=4, n_windows=4)
    assert series.to_dict() == {12: 0.25}   # three empty windows at the end are skipped, not the end
