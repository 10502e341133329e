"""Each plot draws what it says and saves atomically."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from course_utils import plots

Y = np.array([0, 0, 1, 1, 1, 0])
S = np.array([0.1, 0.7, 0.8, 0.9, 0.4, 0.2])


def test_class_balance_bars_carry_the_counts():
    frame = pd.DataFrame({"label": [0, 1, 1]})
    fig = plots.class_balance({"train": frame, "test": frame})
    heights = sorted(p.get_height() for p in fig.axes[0].patches)
    assert heights == [1, 1, 2, 2]


def test_confusion_matrix_counts():
    fig = plots.confusion(Y, S)
    texts = sorted(t.get_text() for t in fig.axes[0].texts)
    assert texts == sorted(["2", "1", "1", "2"])


def test_learning_curves_have_train_and_validation():
    fig = plots.learning_curves({"loss": [1, 0.5], "val_loss": [1, 0.7], "accuracy": [0.5, 0.8],
                                 "val_accuracy": [0.5, 0.7]})
    assert [len(ax.lines) for ax in fig.axes] == [2, 2]


def test_roc_curves_one_line_per_model_plus_chance():
    fig = plots.roc_curves({"a": (Y, S), "b": (Y, 1 - S)})
    assert len(fig.axes[0].lines) == 3


def test_save_figure_writes_a_png(tmp_path):
    fig = plots.length_distribution({"train": np.array([5, 10, 20])}, maxlen=12)
    path = plots.save_figure(fig, tmp_path, "lengths")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert plots.save_figure(fig, None, "x") is None
    plots.show(fig, tmp_path, "shown")
    assert (tmp_path / "figures" / "shown.png").exists()


def test_comparison_plots_label_every_model():
    table = pd.DataFrame({"accuracy": [0.8, 0.9], "f1": [0.8, 0.9], "roc_auc": [0.85, 0.95],
                          "train_seconds": [1.0, 30.0]}, index=pd.Index(["dense", "lstm"], name="model"))
    fig = plots.accuracy_vs_time(table)
    assert sorted(t.get_text() for t in fig.axes[0].texts) == ["dense", "lstm"]
    fig = plots.metric_bars(table)
    assert len(fig.axes[0].patches) >= 6
    fig = plots.coverage_curve({100: 0.5, 1000: 0.9}, chosen=500)
    assert len(fig.axes[0].lines) == 2
    fig = plots.rating_histogram(pd.DataFrame({"rating": [1, 10, 10], "label": [0, 1, 1]}))
    assert len(fig.axes[0].patches) == 20
