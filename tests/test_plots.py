"""Each plot draws what it says and saves atomically."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

import matplotlib.pyplot as plt

from course_utils import plots

Y = np.array([0, 0, 1, 1, 1, 0])
S = np.array([0.1, 0.7, 0.8, 0.9, 0.4, 0.2])


def test_class_balance_bars_carry_the_counts():
    frame = pd.DataFrame({"label": [0, 1, 1]})
    fig = plots.class_balance({"train": frame, "test": frame})
    heights = sorted(p.get_height() for p in fig.axes[0].patches)
    assert heights == [1, 1, 2, 2]


def test_confusion_matrix_puts_each_count_in_its_cell():
    # asymmetric: 3 true negatives, 2 false positives, 1 false negative, 4 true positives
    y = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    s = np.array([0.1, 0.2, 0.3, 0.6, 0.7, 0.4, 0.8, 0.9, 0.95, 0.85])
    ax = plots.confusion(y, s).axes[0]
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in ax.texts}
    # rows: true label (negative, positive); columns: predicted label
    assert cells == {(0, 0): "3", (0, 1): "2", (1, 0): "1", (1, 1): "4"}
    assert [t.get_text() for t in ax.get_yticklabels()] == ["negative", "positive"]
    assert ax.get_ylabel() == "True label" and ax.get_xlabel() == "Predicted label"


def test_learning_curves_have_train_and_validation():
    fig = plots.learning_curves({"loss": [1, 0.5], "val_loss": [1, 0.7], "accuracy": [0.5, 0.8],
                                 "val_accuracy": [0.5, 0.7]})
    loss, accuracy = fig.axes
    assert [line.get_label() for line in loss.lines] == ["training", "validation"]
    assert loss.lines[1].get_ydata().tolist() == [1, 0.7] and accuracy.lines[0].get_ydata().tolist() == [0.5, 0.8]
    assert loss.lines[0].get_xdata().tolist() == [1, 2], "epochs count from 1"


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
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["dense (0.800, 1 s)", "lstm (0.900, 30 s)"]
    points = [c.get_offsets()[0].tolist() for c in fig.axes[0].collections]
    assert points == [[1.0, 0.8], [30.0, 0.9]]  # each model at (seconds, accuracy)
    fig = plots.metric_bars(table)
    heights = sorted(round(p.get_height(), 2) for p in fig.axes[0].patches if p.get_height() > 0)
    assert heights == [0.8, 0.8, 0.85, 0.9, 0.9, 0.95]
    assert fig.axes[0].get_ylabel() == "value (axis starts at 0.75)"
    fig = plots.coverage_curve({100: 0.5, 1000: 0.9}, chosen=500)
    assert len(fig.axes[0].lines) == 2
    fig = plots.rating_histogram(pd.DataFrame({"rating": [1, 10, 10], "label": [0, 1, 1]}))
    assert len(fig.axes[0].patches) == 20


# --- readability: every figure's text is readable (issue: overlapping labels, legends on bars) ---
COMPARISON = pd.DataFrame(
    {"accuracy": [0.908, 0.902, 0.891, 0.887, 0.881, 0.874, 0.861, 0.846, 0.761],
     "f1": [0.908, 0.90, 0.89, 0.887, 0.875, 0.872, 0.851, 0.852, 0.769],
     "roc_auc": [0.968, 0.966, 0.958, 0.956, 0.958, 0.948, 0.947, 0.927, 0.83],
     "train_seconds": [30, 480, 250, 260, 150, 20, 200, 240, 120]},
    index=pd.Index(["tfidf_logreg", "bigru", "gru", "bigru_2x", "lstm", "dense", "bigru_learned",
                    "glove_frozen", "simplernn"], name="model"))


@pytest.fixture(autouse=False)
def course_style():
    plots.use_course_style()


@pytest.mark.parametrize("make", [
    lambda: plots.class_balance({s: pd.DataFrame({"label": [0] * 12500 + [1] * 12500}) for s in ("train", "test")}),
    lambda: plots.metric_bars(COMPARISON),
    lambda: plots.accuracy_vs_time(COMPARISON),
])
def test_figures_have_no_overlapping_or_clipped_text(course_style, make):
    fig = make()
    assert plots.text_problems(fig) == []
    assert plots.alt_text(fig).startswith("Figure. ") and len(plots.alt_text(fig)) > 20


def test_text_problems_finds_overlaps_clipping_and_legends_on_bars(course_style):
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.bar([0, 1], [5, 6], label="bars")
    ax.annotate("lstm", (0.5, 3))
    ax.annotate("gru", (0.52, 3))
    ax.text(20, 3, "far away", clip_on=False)
    ax.legend(loc="center")
    found = plots.text_problems(fig)
    assert any(p.startswith("overlap: 'lstm' and 'gru'") or p.startswith("overlap: 'gru' and 'lstm'") for p in found)
    assert any("legend covers a bar" in p for p in found)
    plt.close(fig)


def test_show_refuses_an_unreadable_figure_when_checking(monkeypatch, course_style):
    monkeypatch.setenv("COURSE_CHECK_FIGURES", "1")
    fig, ax = plt.subplots()
    ax.annotate("lstm", (0.5, 0.5))
    ax.annotate("gru", (0.5, 0.5))
    with pytest.raises(ValueError, match="hard to read.*overlap"):
        plots.show(fig)


def test_a_one_epoch_learning_curve_reads_sensibly():
    """One epoch (the smoke profile): one whole-epoch tick, an accuracy axis that never passes 1."""
    fig = plots.learning_curves({"loss": [0.69], "val_loss": [0.68], "accuracy": [1.0], "val_accuracy": [0.99]})
    loss, accuracy = fig.axes
    assert list(accuracy.get_xticks()) == [1] and accuracy.get_xlim() == (0.5, 1.5)
    low, high = accuracy.get_ylim()
    assert high <= 1.01 and low < 0.99 and high > 1.0 - 1e-9
    assert loss.get_ylim()[0] >= 0 and loss.get_ylim()[0] < 0.68 < 0.69 < loss.get_ylim()[1]
    assert plots.text_problems(fig) == []


def test_the_roc_legend_sits_outside_the_axes_and_names_models_without_a_curve():
    fig = plots.roc_curves({"a": (Y, S)}, without_curve=["bigru", "gru"])
    fig.canvas.draw()
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent()
    assert legend.x0 >= ax.get_window_extent().x1, "the legend covers the curves"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("bigru" in t and "gru" in t and "no curve here" in t for t in labels)
    assert plots.text_problems(fig) == []


def test_committed_rows_get_panels_of_their_own():
    table = pd.DataFrame({"accuracy": [0.86, 0.90, 0.89], "f1": [0.86, 0.9, 0.88], "roc_auc": [0.93, 0.96, 0.95],
                          "train_seconds": [2.0, 600.0, 240.0],
                          "source": ["this run", "committed full run", "committed full run"],
                          "profile": ["smoke", "full", "full"]}, index=pd.Index(["tfidf", "bigru", "gru"], name="model"))
    for fig in (plots.metric_bars(table), plots.accuracy_vs_time(table)):
        panels = [ax for ax in fig.axes if ax.get_title()]
        assert [ax.get_title() for ax in panels] == ["this run (smoke profile)", "committed full run"]
        assert plots.text_problems(fig) == []
    bars = plots.metric_bars(table)
    assert [t.get_text() for t in bars.axes[0].get_xticklabels()] == ["tfidf"]
    assert [t.get_text() for t in bars.axes[1].get_xticklabels()] == ["bigru", "gru"]
    single = plots.metric_bars(table.assign(source="this run"))
    assert len(single.axes) == 1


# --- Readable by every reader: one time unit, whole-number ticks, distinct colours ------------

def test_accuracy_vs_time_writes_every_time_in_one_unit():
    """118 s beside 2 min was one figure in two units."""
    table = pd.DataFrame({"accuracy": [0.8, 0.85, 0.9], "train_seconds": [20.0, 118.0, 1500.0]},
                         index=pd.Index(["dense", "gru", "bigru"], name="model"))
    fig = plots.accuracy_vs_time(table)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "training time in min (log scale)"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["dense (0.800, 0.33 min)", "gru (0.850, 2 min)", "bigru (0.900, 25 min)"]
    fig.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert ticks and not any(unit in t for t in ticks for unit in ("s", "min", "h"))  # the unit is the label's
    assert [c.get_offsets()[0][0] for c in ax.collections] == pytest.approx([20 / 60, 118 / 60, 25])
    assert plots.time_unit([30, 90]) == ("s", 1.0) and plots.time_unit([30, 7300]) == ("h", 3600.0)


def _tick_values(axis) -> list[float]:
    low, high = sorted(axis.get_view_interval())
    return [v for v in axis.get_ticklocs() if low <= v <= high]


@pytest.mark.parametrize("epochs", [1, 2, 8, 12, 20, 30])
def test_epoch_axes_tick_whole_epochs_only(epochs):
    history = {"loss": list(np.linspace(1, 0.2, epochs)), "accuracy": list(np.linspace(0.5, 0.9, epochs))}
    fig = plots.learning_curves(history)
    for ax in fig.axes:
        fig.canvas.draw()
        ticks = _tick_values(ax.xaxis)
        assert ticks and all(float(t).is_integer() for t in ticks), ticks
    plt.close(fig)


def test_integer_ticks_drop_the_half_epochs_of_a_cumulative_epoch_axis():
    """Matplotlib ticks 1 to 20 epochs at 2.5, 5, 7.5... (the tuners' search progress)."""
    fig, ax = plt.subplots(figsize=(7, 3.8))
    ax.step([1, 6, 12, 20], [0.5, 0.7, 0.8, 0.85])
    fig.canvas.draw()
    assert 2.5 in _tick_values(ax.xaxis)
    plots.integer_ticks(ax, "x")
    fig.canvas.draw()
    ticks = _tick_values(ax.xaxis)
    assert ticks and all(float(t).is_integer() for t in ticks), ticks
    plt.close(fig)


def test_a_series_over_whole_numbers_ticks_whole_numbers():
    fig = plots.series_plot([1, 2, 3, 4], {"a": [0.1, 0.2, 0.3, 0.2]}, xlabel="tokens", ylabel="y", title="t")
    fig.canvas.draw()
    assert all(float(t).is_integer() for t in _tick_values(fig.axes[0].xaxis))


def _look(line) -> tuple[np.ndarray, tuple]:
    return np.array(matplotlib.colors.to_rgb(line.get_color())), tuple(line._dash_pattern[1] or ())


def _alike(a, b) -> bool:
    """Two lines a reader may confuse: close colours (RGB distance under 0.35) and the same dashes."""
    (colour_a, dashes_a), (colour_b, dashes_b) = _look(a), _look(b)
    return np.linalg.norm(colour_a - colour_b) < 0.35 and dashes_a == dashes_b


def test_ten_roc_curves_look_different_and_none_looks_like_chance():
    """09 draws ten ROC curves: with the course style, orange beside vermillion and a grey curve
    beside the grey chance line read as one."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    scores = {f"model{i}": (y, np.clip(y * 0.3 + rng.random(200), 0, 1)) for i in range(10)}
    with matplotlib.rc_context():
        plots.use_course_style()
        ax = plots.roc_curves(scores).axes[0]
    chance = next(line for line in ax.lines if line.get_label() == "chance")
    curves = [line for line in ax.lines if line.get_label().startswith("model")]
    assert len(curves) == 10
    assert len({matplotlib.colors.to_hex(line.get_color()) for line in curves}) == 10
    confusable = [(a.get_label(), b.get_label()) for i, a in enumerate(curves) for b in curves[i + 1:] if _alike(a, b)]
    assert confusable == []
    assert all(np.linalg.norm(_look(line)[0] - _look(chance)[0]) >= 0.35 and _look(line)[1] != _look(chance)[1]
               for line in curves)


def test_curve_styles_never_repeat_beyond_ten_curves():
    styles = plots.curve_styles(25)
    assert len({(s["color"], s["linestyle"]) for s in styles}) == 25
    assert len({s["color"] for s in styles[:10]}) == 10


def test_class_colours_differ_on_the_blue_yellow_axis_colour_blind_readers_see():
    """Red against green differs only on the axis that red-green colour blindness loses."""
    negative, positive = (matplotlib.colors.to_rgb(plots.PALETTE[c]) for c in plots.CLASS_NAMES)
    assert abs(negative[2] - positive[2]) > 0.5
    frame = pd.DataFrame({"label": [0, 1, 1], "rating": [1, 9, 10]})
    bars = plots.class_balance({"train": frame}).axes[0].patches
    assert {matplotlib.colors.to_hex(p.get_facecolor()) for p in bars} == {
        plots.PALETTE["negative"].lower(), plots.PALETTE["positive"].lower()}


def test_a_series_plot_over_categories_keeps_them_as_ticks():
    """Accuracy by length bin (notebook 04) has text on its x axis: no integer locator, no error."""
    fig = plots.series_plot(["0–99", "100–199", "200+"], {"a": [0.7, 0.8, 0.9]}, xlabel="x", ylabel="y", title="t")
    fig.canvas.draw()
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["0–99", "100–199", "200+"]
