"""Every figure of the workbook, shared by all notebooks (no plotting code in cells)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Sequence

import matplotlib

if not os.environ.get("DISPLAY") and "ipykernel" not in str(matplotlib.get_backend()).lower() \
        and "inline" not in str(matplotlib.get_backend()).lower():
    matplotlib.use("Agg")  # headless scripts and tests; notebooks keep their inline backend

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from sklearn.metrics import ConfusionMatrixDisplay, RocCurveDisplay, confusion_matrix

from .fileio import atomic_path

CLASS_NAMES = ("negative", "positive")
PALETTE = {"negative": "#d62728", "positive": "#2ca02c"}


def use_course_style() -> None:
    """One consistent, readable style for every figure."""
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
    plt.rcParams.update({"figure.dpi": 90, "savefig.dpi": 110, "figure.autolayout": True})


def save_figure(fig: plt.Figure, output_dir: str | os.PathLike | None, name: str) -> Path | None:
    """Save ``fig`` as ``<output_dir>/figures/<name>.png`` atomically (skipped if no dir)."""
    if output_dir is None:
        return None
    target = Path(output_dir) / "figures" / f"{name}.png"
    with atomic_path(target) as tmp:
        fig.savefig(tmp, format="png", bbox_inches="tight")
    return target


def class_balance(frames: Mapping[str, pd.DataFrame]) -> plt.Figure:
    """Bar chart of positive/negative counts per split."""
    counts = pd.DataFrame({split: frame.label.map(dict(enumerate(CLASS_NAMES))).value_counts()
                           for split, frame in frames.items()}).T
    ax = counts.plot.bar(color=[PALETTE[c] for c in counts.columns], rot=0, figsize=(6, 3.5))
    ax.set(title="Reviews per class and split", ylabel="reviews")
    for container in ax.containers:
        ax.bar_label(container, fmt="{:,.0f}")
    return ax.figure


def length_distribution(lengths: Mapping[str, np.ndarray], *, unit: str = "words",
                        maxlen: int | None = None, clip: int | None = 1500) -> plt.Figure:
    """Histograms of review length (e.g. per class), with an optional ``maxlen`` line."""
    fig, ax = plt.subplots(figsize=(8, 4))
    for name, values in lengths.items():
        values = np.asarray(values)
        sns.histplot(np.minimum(values, clip) if clip else values, bins=60, ax=ax, label=name,
                     element="step", alpha=0.35, color=PALETTE.get(name))
    if maxlen:
        ax.axvline(maxlen, color="black", linestyle="--", label=f"maxlen = {maxlen}")
    ax.set(title=f"Review length in {unit}" + (f" (clipped at {clip})" if clip else ""),
           xlabel=unit, ylabel="reviews")
    ax.legend()
    return fig


def rating_histogram(frame: pd.DataFrame) -> plt.Figure:
    """Reviews per star rating (1-10), coloured by label: 5 and 6 are absent by design."""
    counts = frame.groupby(["rating", "label"]).size().unstack(fill_value=0).reindex(range(1, 11), fill_value=0)
    counts.columns = [CLASS_NAMES[c] for c in counts.columns]
    ax = counts.plot.bar(stacked=True, color=[PALETTE[c] for c in counts.columns], rot=0, figsize=(7, 3.5))
    ax.set(title="Ratings (from the file names)", xlabel="stars", ylabel="reviews")
    return ax.figure


def top_words(counts: Mapping[str, pd.Series], n: int = 15) -> plt.Figure:
    """Side-by-side horizontal bars of the ``n`` most distinctive words per class."""
    fig, axes = plt.subplots(1, len(counts), figsize=(5 * len(counts), 0.32 * n + 1.2))
    for ax, (name, series) in zip(np.atleast_1d(axes), counts.items()):
        top = series.head(n)[::-1]
        ax.barh(top.index, top.values, color=PALETTE.get(name))
        ax.set(title=f"{name}", xlabel=series.name or "score")
    return fig


def coverage_curve(coverage: Mapping[int, float], *, chosen: int | None = None) -> plt.Figure:
    """Share of running tokens covered against vocabulary size."""
    sizes, shares = zip(*sorted(coverage.items()))
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.plot(sizes, np.array(shares) * 100, marker="o")
    ax.set_xscale("log")
    if chosen:
        ax.axvline(chosen, color="black", linestyle="--", label=f"vocab_size = {chosen:,}")
        ax.legend()
    ax.set(title="Token coverage vs vocabulary size", xlabel="vocabulary size (log scale)",
           ylabel="% of tokens covered")
    return fig


def learning_curves(history: Mapping[str, Sequence[float]], *, title: str = "") -> plt.Figure:
    """Loss and accuracy per epoch, training vs validation."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    for ax, metric in zip(axes, ("loss", "accuracy")):
        epochs = np.arange(1, len(history.get(metric, [])) + 1)
        ax.plot(epochs, history.get(metric, []), marker="o", label="training")
        if f"val_{metric}" in history:
            ax.plot(epochs, history[f"val_{metric}"], marker="o", label="validation")
        ax.set(title=f"{title} {metric}".strip(), xlabel="epoch", ylabel=metric)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend()
    return fig


def confusion(y_true, y_score, *, threshold: float = 0.5, title: str = "") -> plt.Figure:
    """Confusion matrix (counts and row shares) at ``threshold``."""
    y_pred = (np.asarray(y_score).ravel() >= threshold).astype(int)
    cm = confusion_matrix(np.asarray(y_true).ravel(), y_pred, labels=[0, 1])
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ConfusionMatrixDisplay(cm, display_labels=CLASS_NAMES).plot(ax=ax, cmap="Blues", colorbar=False,
                                                                values_format=",d")
    ax.set_title(title or "Confusion matrix")
    ax.grid(False)
    return fig


def roc_curves(scores: Mapping[str, tuple[np.ndarray, np.ndarray]], *, title: str = "ROC") -> plt.Figure:
    """ROC curves of one or several models on one plot; ``scores[name] = (y_true, y_score)``."""
    fig, ax = plt.subplots(figsize=(5.5, 5))
    for name, (y_true, y_score) in scores.items():
        RocCurveDisplay.from_predictions(y_true, y_score, name=name, ax=ax)
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="chance")
    ax.set(title=title)
    ax.legend(loc="lower right", fontsize="small")
    return fig


def metric_bars(table: pd.DataFrame, metrics: Sequence[str] = ("accuracy", "f1", "roc_auc")) -> plt.Figure:
    """Grouped bars of a few metrics per model (rows of ``table``)."""
    long = table[list(metrics)].reset_index().melt(id_vars=table.index.name or "index",
                                                    var_name="metric", value_name="value")
    fig, ax = plt.subplots(figsize=(9, 4))
    sns.barplot(long, x=table.index.name or "index", y="value", hue="metric", ax=ax)
    low = float(np.nanmin(table[list(metrics)].to_numpy()))
    ax.set(ylim=(max(0.0, low - 0.05), 1.0), xlabel="", title="Test metrics per model")
    ax.tick_params(axis="x", rotation=30)
    return fig


def accuracy_vs_time(table: pd.DataFrame) -> plt.Figure:
    """Scatter of test accuracy against training seconds, one labelled point per model."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.scatter(table["train_seconds"], table["accuracy"], s=60)
    for name, row in table.iterrows():
        ax.annotate(str(name), (row["train_seconds"], row["accuracy"]), textcoords="offset points",
                    xytext=(5, 4), fontsize="small")
    ax.set(xscale="symlog", xlabel="training seconds (symlog)", ylabel="test accuracy",
           title="Accuracy vs training time")
    return fig


def series_plot(x: Sequence[float], ys: Mapping[str, Sequence[float]], *, xlabel: str, ylabel: str,
                title: str) -> plt.Figure:
    """Line plot of one or more series against a shared x (e.g. accuracy vs review length)."""
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for name, y in ys.items():
        ax.plot(x, y, marker="o", label=name)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    if len(ys) > 1:
        ax.legend()
    return fig


def show(fig: plt.Figure, output_dir: str | os.PathLike | None = None, name: str | None = None) -> None:
    """Save ``fig`` (when given a folder and name), display it once, and release it."""
    if output_dir is not None and name:
        save_figure(fig, output_dir, name)
    if "inline" in matplotlib.get_backend().lower():
        from IPython.display import display
        display(fig)
    plt.close(fig)
