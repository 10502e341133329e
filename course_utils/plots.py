"""Every figure of the workbook, shared by all notebooks (no plotting code in cells)."""
from __future__ import annotations

import os
from pathlib import Path
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib

if not os.environ.get("DISPLAY") and "ipykernel" not in str(matplotlib.get_backend()).lower() \
        and "inline" not in str(matplotlib.get_backend()).lower():
    matplotlib.use("Agg")  # headless scripts and tests; notebooks keep their inline backend

import matplotlib.pyplot as plt
import matplotlib.legend
import matplotlib.text
import matplotlib.ticker
import matplotlib.transforms
import numpy as np
import pandas as pd
import seaborn as sns
from sklearn.metrics import ConfusionMatrixDisplay, RocCurveDisplay, confusion_matrix

from .fileio import atomic_path
from .i18n import _, fmt_int, fmt_number, get_edition

CLASS_NAMES = ("negative", "positive")
#: Class colours a colour-blind reader tells apart (Okabe and Ito's vermillion and blue), not red and green.
PALETTE = {"negative": "#D55E00", "positive": "#0072B2"}
#: Curve colours: seaborn's "colorblind", ten distinct hues. Curves beyond ten reuse a hue with
#: another line style, so no two curves of a figure look the same.
CURVE_COLOURS = tuple(sns.color_palette("colorblind", 10).as_hex())
LINE_STYLES = ("-", "--", "-.", (0, (5, 1, 1, 1, 1, 1)))  # the last: dash, dot, dot
#: The chance diagonal of a ROC plot: black and dotted, unlike every curve.
CHANCE_STYLE: dict[str, Any] = {"color": "black", "linestyle": ":", "linewidth": 1.0}


def curve_styles(n: int) -> list[dict[str, Any]]:
    """``n`` distinct line styles (``color`` and ``linestyle``) for the curves of one figure.

    Up to ten curves get ten different colours; the line style also changes from one curve to
    the next (four styles, none dotted like the chance line), so the palette's closest hues
    (orange and vermillion, pink and grey) are still told apart.

    Parameters
    ----------
    n : int
        The number of curves.

    Returns
    -------
    list of dict
        Keyword arguments for ``Axes.plot``, one per curve, no two alike.
    """
    k = len(CURVE_COLOURS)
    return [{"color": CURVE_COLOURS[i % k], "linestyle": LINE_STYLES[(i + i // k) % len(LINE_STYLES)]}
            for i in range(n)]


def integer_ticks(ax: plt.Axes, axis: str = "x") -> None:
    """Ticks only at whole numbers on ``axis`` ("x" or "y"): epochs, counts, positions."""
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))


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
    """Bar chart of positive/negative counts per split, counts written inside the bars.

    Parameters
    ----------
    frames : mapping of str to pandas.DataFrame
        The splits by name (``label`` column).

    Returns
    -------
    matplotlib.figure.Figure
        The figure, to pass to :func:`show`.
    """
    counts = pd.DataFrame({split: frame.label.map(dict(enumerate(CLASS_NAMES))).value_counts()
                           for split, frame in frames.items()}).T.reindex(columns=list(CLASS_NAMES))
    ax = counts.plot.bar(color=[PALETTE[c] for c in counts.columns], rot=0, figsize=(6.5, 3.8), width=0.8)
    ax.set(title=_("Reviews per class and split"), ylabel=_("reviews"), xlabel="")
    for container in ax.containers:
        ax.bar_label(container, fmt="{:,.0f}", label_type="center", color="white", fontsize="small")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=len(counts.columns), frameon=False)
    return ax.figure


def length_distribution(lengths: Mapping[str, np.ndarray], *, unit: str = "words",
                        maxlen: int | None = None, clip: int | None = 1500) -> plt.Figure:
    """Histograms of review length (e.g. per class), with an optional ``maxlen`` line.

    Parameters
    ----------
    lengths : mapping of str to numpy.ndarray
        Lengths by group name.
    unit : str, default "words"
        What a length counts, for the axis label.
    maxlen : int, optional
        Draw a line there.
    clip : int or None, default 1500
        Lengths above it are drawn at it (None: no clipping).

    Returns
    -------
    matplotlib.figure.Figure
        The figure, to pass to :func:`show`.
    """
    fig, ax = plt.subplots(figsize=(8, 4))
    for name, values in lengths.items():
        values = np.asarray(values)
        sns.histplot(np.minimum(values, clip) if clip else values, bins=60, ax=ax, label=name,
                     element="step", alpha=0.35, color=PALETTE.get(name))
    if maxlen:
        ax.axvline(maxlen, color="black", linestyle="--", label=f"maxlen = {maxlen}")
    title = (_("Review length in {unit} (clipped at {clip})") if clip else _("Review length in {unit}"))
    ax.set(title=title.format(unit=_(unit), clip=clip), xlabel=unit, ylabel=_("reviews"))
    ax.legend()
    return fig


def rating_histogram(frame: pd.DataFrame) -> plt.Figure:
    """Reviews per star rating (1-10), coloured by label: 5 and 6 are absent by design.

    Parameters
    ----------
    frame : pandas.DataFrame
        A split (``rating`` and ``label`` columns).

    Returns
    -------
    matplotlib.figure.Figure
        The figure, to pass to :func:`show`.
    """
    counts = frame.groupby(["rating", "label"]).size().unstack(fill_value=0).reindex(range(1, 11), fill_value=0)
    counts.columns = [CLASS_NAMES[c] for c in counts.columns]
    ax = counts.plot.bar(stacked=True, color=[PALETTE[c] for c in counts.columns], rot=0, figsize=(7, 3.5))
    ax.set(title=_("Ratings (from the file names)"), xlabel=_("stars"), ylabel=_("reviews"))
    return ax.figure


def top_words(counts: Mapping[str, pd.Series], n: int = 15) -> plt.Figure:
    """Side-by-side horizontal bars of the ``n`` most distinctive words per class.

    Parameters
    ----------
    counts : mapping of str to pandas.Series
        Per class, a score by word (:func:`course_utils.eda.distinctive_words`).
    n : int, default 15
        Words per class.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, to pass to :func:`show`.
    """
    fig, axes = plt.subplots(1, len(counts), figsize=(5 * len(counts), 0.32 * n + 1.2))
    for ax, (name, series) in zip(np.atleast_1d(axes), counts.items()):
        top = series.head(n)[::-1]
        ax.barh(top.index, top.values, color=PALETTE.get(name))
        ax.set(title=f"{name}", xlabel=series.name or _("score"))
    return fig


def coverage_curve(coverage: Mapping[int, float], *, chosen: int | None = None) -> plt.Figure:
    """Share of running tokens covered against vocabulary size.

    Parameters
    ----------
    coverage : mapping of int to float
        :func:`course_utils.text.token_coverage`'s result.
    chosen : int, optional
        A vocabulary size to mark.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, to pass to :func:`show`.
    """
    sizes, shares = zip(*sorted(coverage.items()))
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.plot(sizes, np.array(shares) * 100, marker="o")
    ax.set_xscale("log")
    if chosen:
        ax.axvline(chosen, color="black", linestyle="--", label=f"vocab_size = {fmt_int(chosen)}")
        ax.legend()
    ax.set(title=_("Token coverage vs vocabulary size"), xlabel=_("vocabulary size (log scale)"),
           ylabel=_("% of tokens covered"))
    return fig


def learning_curves(history: Mapping[str, Sequence[float]], *, title: str = "") -> plt.Figure:
    """Loss and accuracy per epoch, training vs validation."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    for ax, metric in zip(axes, ("loss", "accuracy")):
        epochs = np.arange(1, len(history.get(metric, [])) + 1)
        ax.plot(epochs, history.get(metric, []), marker="o", label=_("training"))
        if f"val_{metric}" in history:
            ax.plot(epochs, history[f"val_{metric}"], marker="o", label=_("validation"))
        ax.set(title=_("{title} {metric}").format(title=title, metric=_(metric)).strip() if title else _(metric),
               xlabel=_("epoch"), ylabel=_(metric))
        integer_ticks(ax, "x")
        _sensible_limits(ax, epochs, [history.get(metric, []), history.get(f"val_{metric}", [])],
                         bounded=metric == "accuracy")
        ax.legend()
    return fig


def _sensible_limits(ax: plt.Axes, epochs: np.ndarray, series: Sequence[Sequence[float]], *, bounded: bool) -> None:
    """Axis limits that read well for any number of epochs, one included: whole epochs on x,
    a y range padded around the values (an accuracy never above 1, a loss never below 0)."""
    if len(epochs):
        ax.set_xlim(0.5, len(epochs) + 0.5)
        if len(epochs) <= 10:
            ax.set_xticks(epochs)
    values = np.concatenate([np.asarray(v, dtype=float) for v in series if len(v)] or [np.zeros(0)])
    values = values[np.isfinite(values)]
    if values.size:
        low, high = float(values.min()), float(values.max())
        pad = max(0.05 * max(abs(high), 1e-3) if not bounded else 0.02, 0.1 * (high - low))
        top = min(1.0 + pad / 4, high + pad) if bounded else high + pad
        ax.set_ylim(max(0.0, low - pad), top)


def confusion(y_true, y_score, *, threshold: float = 0.5, title: str = "") -> plt.Figure:
    """Confusion matrix (counts and row shares) at ``threshold``."""
    y_pred = (np.asarray(y_score).ravel() >= threshold).astype(int)
    cm = confusion_matrix(np.asarray(y_true).ravel(), y_pred, labels=[0, 1])
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ConfusionMatrixDisplay(cm, display_labels=CLASS_NAMES).plot(ax=ax, cmap="Blues", colorbar=False,
                                                                values_format=",d")
    ax.set_title(title or _("Confusion matrix"))
    ax.grid(False)
    return fig


def roc_curves(scores: Mapping[str, tuple[np.ndarray, np.ndarray]], *, title: str = "ROC",
               without_curve: Sequence[str] = ()) -> plt.Figure:
    """ROC curves of one or several models on one plot; ``scores[name] = (y_true, y_score)``.

    The legend sits outside the axes (it would cover the curves); ``without_curve`` names the
    models of the comparison that have no scores here, listed in the legend so a reader never
    mistakes a missing curve for a hidden one.

    Parameters
    ----------
    scores : mapping of str to tuple of numpy.ndarray
        ``(y_true, y_score)`` by model name.
    title : str, default "ROC"
        The title.
    without_curve : sequence of str, default ()
        Models of the comparison without scores.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, to pass to :func:`show`.
    """
    fig, ax = plt.subplots(figsize=(8.5 if scores or without_curve else 5.5, 5))
    for (name, (y_true, y_score)), style in zip(scores.items(), curve_styles(len(scores))):
        display = RocCurveDisplay.from_predictions(y_true, y_score, name=name, ax=ax)
        display.line_.set(**style)
    ax.plot([0, 1], [0, 1], label=_("chance"), **CHANCE_STYLE)
    if without_curve:
        ax.plot([], [], " ", label=_("no curve here (no scores in this run):") + "\n" + "\n".join(without_curve))
    ax.set(title=title, aspect="equal")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small", frameon=False)
    return fig


def origin_groups(table: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """``table``'s rows by origin (its ``source`` column), this run first; one untitled group
    when every row is this run's. Figures draw one panel per group: a committed result and one
    this runtime trained (another profile, data or machine) never share an axis."""
    if "source" not in table or (table["source"] == "this run").all():
        return [("", table)]
    groups = []
    for source, group in table.groupby("source", sort=False):
        title = str(source)  # a label: plots.show translates it
        if source == "this run" and "profile" in group:
            title = _("this run ({profile} profile)").format(profile=group["profile"].iloc[0])
        groups.append((source != "this run", title, group))
    return [(title, group) for _later, title, group in sorted(groups, key=lambda item: item[0])]


def _panels(groups: Sequence[tuple[str, pd.DataFrame]], width: Callable[[pd.DataFrame], float],
            height: float) -> tuple[plt.Figure, list[plt.Axes]]:
    widths = [width(frame) for _, frame in groups]
    fig, axes = plt.subplots(1, len(groups), figsize=(sum(widths) + 2.5, height), sharey=True, squeeze=False,
                             gridspec_kw={"width_ratios": widths})
    return fig, list(axes[0])


def metric_bars(table: pd.DataFrame, metrics: Sequence[str] = ("accuracy", "f1", "roc_auc")) -> plt.Figure:
    """Grouped bars of a few metrics per model (rows of ``table``); the axis floor is stated.

    Rows of different origins (``source``) are drawn in panels of their own.

    Parameters
    ----------
    table : pandas.DataFrame
        Metrics records, indexed by model.
    metrics : sequence of str, default ("accuracy", "f1", "roc_auc")
        The columns drawn.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, to pass to :func:`show`.
    """
    groups = origin_groups(table)
    fig, axes = _panels(groups, lambda frame: max(2.5, 1.1 * len(frame) + 1.5), 4.4)
    low = float(np.nanmin(table[list(metrics)].to_numpy()))
    floor = max(0.0, np.floor((low - 0.05) * 20) / 20)
    for ax, (title, frame) in zip(axes, groups):
        index = frame.index.name or "index"
        long = frame[list(metrics)].reset_index().melt(id_vars=index, var_name="metric", value_name="value")
        sns.barplot(long, x=index, y="value", hue="metric", ax=ax, legend=ax is axes[-1])
        ax.set(ylim=(floor, 1.0), xlabel="", title=title or _("Test metrics per model"),
               ylabel=_("value (axis starts at {floor})").format(floor=_number_g(floor)) if floor > 0 else _("value"))
        ax.tick_params(axis="x", rotation=40)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
            label.set_rotation_mode("anchor")
    if len(groups) > 1:
        fig.suptitle(_("Test metrics per model"))
    axes[-1].legend(title=_("metric"), loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


def accuracy_vs_time(table: pd.DataFrame) -> plt.Figure:
    """Test accuracy against training time (log scale), one marker per model, named in a legend.

    One time unit for the whole figure (seconds, minutes or hours, from the longest time), in the
    axis label, the ticks and the legend, so "118 s" never stands beside "2 min". A legend rather
    than labels next to the points: models with similar cost and accuracy (LSTM, GRU) would print
    their names on top of each other. Rows of different origins (``source``) get panels of their
    own: their times come from other machines or data.

    Parameters
    ----------
    table : pandas.DataFrame
        Metrics records, indexed by model (``accuracy``, ``train_seconds``, optionally ``source``).

    Returns
    -------
    matplotlib.figure.Figure
        The figure, to pass to :func:`show`.
    """
    groups = origin_groups(table)
    fig, axes = _panels(groups, lambda frame: 4.0, 4.5)
    markers = "osD^vP*Xhp<>"
    unit, per = time_unit(table["train_seconds"].to_numpy(dtype=float))
    handles = []
    for ax, (title, frame) in zip(axes, groups):
        times = frame["train_seconds"].clip(lower=0.1) / per
        for name, row in frame.iterrows():
            i = list(table.index).index(name)
            handles.append(ax.scatter(times[name], row["accuracy"], s=70, marker=markers[i % len(markers)],
                                      color=CURVE_COLOURS[i % len(CURVE_COLOURS)],
                                      label=f"{name} ({fmt_number(row['accuracy'], 3)}, "
                                            f"{_in_unit(row['train_seconds'] / per)} {unit})"))
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(matplotlib.ticker.LogLocator(base=10, subs=(1.0, 3.0)))
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _pos: _in_unit(v)))
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xlim(times.min() / 2, times.max() * 2)
        ax.set(xlabel=_("training time in {unit} (log scale)").format(unit=unit), title=title)
    axes[0].set_ylabel(_("test accuracy"))
    fig.suptitle(_("Accuracy vs training time"))
    axes[-1].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    return fig


def time_unit(seconds: Sequence[float]) -> tuple[str, float]:
    """The one unit a figure writes these durations in, from the longest: ``("s", 1)`` up to
    2 minutes, ``("min", 60)`` up to 2 hours, else ``("h", 3600)``.

    Parameters
    ----------
    seconds : sequence of float
        Durations in seconds (NaN ignored).

    Returns
    -------
    (str, float)
        The unit's symbol and its length in seconds.
    """
    values = np.asarray(seconds, dtype=float)
    longest = float(np.nanmax(values)) if values.size and np.isfinite(values).any() else 0.0
    if longest < 120:
        return "s", 1.0
    if longest < 7200:
        return "min", 60.0
    return "h", 3600.0


def _in_unit(value: float) -> str:
    """A duration already in the figure's unit, with the decimals it needs (``0.25``, ``1.5``, ``30``)."""
    decimals = 0 if value >= 10 else 1 if value >= 1 else 2
    text = fmt_number(value, decimals)
    return text[:-2] if decimals == 1 and text[-2:] in (".0", ",0") else text


def _number_g(x: float) -> str:
    """``{x:g}`` for an axis floor (``0.75``), in the edition's typography."""
    text = f"{x:g}"
    if "e" in text or get_edition() == "en":
        return text
    return fmt_number(x, len(text.split(".", 1)[1]) if "." in text else 0)


def series_plot(x: Sequence[float], ys: Mapping[str, Sequence[float]], *, xlabel: str, ylabel: str,
                title: str) -> plt.Figure:
    """Line plot of one or more series against a shared x (e.g. accuracy vs review length).

    Each series gets its own colour and line style (:func:`curve_styles`); an x of whole numbers
    gets ticks at whole numbers only.

    Parameters
    ----------
    x : sequence
        The shared x values (numbers or category labels).
    ys : mapping of str to sequence of float
        The series by name.
    xlabel, ylabel, title : str
        The axis labels and the title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, to pass to :func:`show`.
    """
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for (name, y), style in zip(ys.items(), curve_styles(len(ys))):
        ax.plot(x, y, marker="o", label=name, **style)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    try:
        values = np.asarray(x, dtype=float)
    except (TypeError, ValueError):  # categories such as length bins ("0–99"): matplotlib ticks each
        values = np.array([])
    if values.size and np.all(np.isfinite(values)) and np.all(values == np.round(values)):
        integer_ticks(ax, "x")  # token counts, positions, ranks: never a tick at 2.5
    if len(ys) > 1:
        ax.legend()
    return fig


def failure_heatmap(rates: pd.DataFrame, *, title: str | None = None) -> plt.Figure:
    """Share of failed sentences per behavioural check (rows) and model (columns); ``title``
    replaces the default one (e.g. to say the rates are the committed run's).

    Parameters
    ----------
    rates : pandas.DataFrame
        Checks x models, the share of sentences failed.
    title : str, optional
        Replaces the default title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, to pass to :func:`show`.
    """
    fig, ax = plt.subplots(figsize=(1.3 * rates.shape[1] + 4.5, 0.5 * rates.shape[0] + 1.8))
    sns.heatmap(rates.astype(float) * 100, annot=True, fmt=".0f", cmap="Reds", vmin=0, vmax=100,
                cbar_kws={"label": _("% of sentences failed")}, ax=ax)
    ax.set(title=title or _("Behavioural checks: failure rate (%)"), xlabel=_("model"), ylabel="")
    ax.tick_params(axis="x", rotation=30)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
        label.set_rotation_mode("anchor")
    return fig


def alt_text(fig: plt.Figure) -> str:
    """A one-line description of a figure for screen readers, from its titles and axis labels."""
    parts = []
    if fig.get_suptitle():
        parts.append(fig.get_suptitle())
    for ax in fig.axes:
        bits = [ax.get_title()] + [(_("x: {label}") if axis == "x" else _("y: {label}")).format(label=label)
                                   for axis, label in (("x", ax.get_xlabel()), ("y", ax.get_ylabel())) if label]
        legend = ax.get_legend()
        if legend is not None:
            bits.append(_("legend: {entries}").format(entries=", ".join(t.get_text() for t in legend.get_texts())))
        parts.append("; ".join(b for b in bits if b))
    return _("Figure. {description}").format(description=" | ".join(p for p in parts if p))


def text_problems(fig: plt.Figure) -> list[str]:
    """Text that a reader cannot read: labels that overlap each other or a legend, or are clipped.

    Checks every visible, non-empty text of the figure (titles, axis and tick labels, bar and
    point labels, legend entries) after drawing it as saved (``bbox_inches="tight"``).
    """
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]  # Agg's canvas (the stub's base has none)
    figure_box = fig.get_tightbbox(renderer).transformed(matplotlib.transforms.Affine2D().scale(fig.dpi))
    texts = []
    legends: list[matplotlib.legend.Legend] = []
    tick_labels, drawn_ticks = set(), set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                labels = {id(tick.label1), id(tick.label2)}
                tick_labels |= labels
                if low - 1e-9 * abs(high - low) <= tick.get_loc() <= high + 1e-9 * abs(high - low):
                    drawn_ticks |= labels  # ticks outside the view are never drawn
    for text in fig.findobj(matplotlib.text.Text):
        if id(text) in tick_labels and id(text) not in drawn_ticks:
            continue
        if text.get_visible() and text.get_text().strip() and text.get_figure() is fig:
            box = text.get_window_extent(renderer)
            if box.width > 0 and box.height > 0:
                texts.append((text, box))
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is not None:
            legends.append(legend)
    problems = []
    for i, (a, box_a) in enumerate(texts):
        if (box_a.x0 < figure_box.x0 - 1 or box_a.x1 > figure_box.x1 + 1 or box_a.y0 < figure_box.y0 - 1
                or box_a.y1 > figure_box.y1 + 1):
            problems.append(f"clipped: {a.get_text()!r}")
        for b, box_b in texts[i + 1:]:
            overlap_w = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
            overlap_h = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
            if overlap_w > 1 and overlap_h > 1:
                problems.append(f"overlap: {a.get_text()!r} and {b.get_text()!r}")
    for legend in legends:
        frame = legend.get_window_extent(renderer)
        own = set(map(id, legend.get_texts())) | {id(legend.get_title())}
        for text, box in texts:
            if id(text) not in own and frame.overlaps(box):
                problems.append(f"legend covers {text.get_text()!r}")
        ax = legend.axes
        for patch in ax.patches:
            box = patch.get_window_extent(renderer)
            if box.width > 0 and box.height > 0 and frame.overlaps(box):
                problems.append(f"legend covers a bar in {ax.get_title()!r}")
                break
    return problems


def show(fig: plt.Figure, output_dir: str | os.PathLike | None = None, name: str | None = None) -> None:
    """Save ``fig`` (when given a folder and name), display it once with alt text, and release it.

    With ``$COURSE_CHECK_FIGURES=1`` (the test suite's smoke run) a figure whose text overlaps
    or is clipped raises ``ValueError`` instead of being shown. In a translated edition the
    figure's texts are translated first (``localize.localize_figure``), so the checks, the saved
    file, the display and the alt text are all the edition's; the English figure is untouched.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    output_dir : path, optional
        The folder that gets ``figures/<name>.png``.
    name : str, optional
        The file's name, without extension.

    Raises
    ------
    ValueError
        With ``$COURSE_CHECK_FIGURES=1``, if the figure's text overlaps or is clipped.
    """
    from .localize import localize_figure

    localize_figure(fig)
    if os.environ.get("COURSE_CHECK_FIGURES") == "1":
        problems = text_problems(fig)
        if problems:
            plt.close(fig)
            raise ValueError(f"figure {name or ''!r} is hard to read: " + "; ".join(problems[:5]))
    if output_dir is not None and name:
        save_figure(fig, output_dir, name)
    if "inline" in matplotlib.get_backend().lower():
        import io

        from IPython.display import Image, display
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", bbox_inches="tight")
        display(Image(buffer.getvalue()), metadata={"image/png": {"alt": alt_text(fig)}})
    plt.close(fig)
