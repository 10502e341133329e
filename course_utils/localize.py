"""What a student reads in a table or a figure, in the edition's language.

The code cells are the same in every edition, so a Spanish notebook shows the same DataFrames
and figures as the English one; this module translates them **where they are shown**:

* ``localized_frame`` / ``localized_series``: a display copy of a table whose labels (column and
  index names, and cells that are labels such as a verdict ``"positive"``) come from the
  catalogue and whose numbers are written in the edition's typography (``0,903``). The data
  (and the CSV/JSON files written from it) keep English keys and the decimal point.
* ``register_display`` installs IPython formatters (``text/html``, ``text/plain``) for DataFrame
  and Series that show that copy; ``notebook.start`` calls it in a translated edition only, so
  the English notebooks display exactly what pandas displays.
* ``localize_figure`` translates a figure's texts (titles, axis labels, legend entries, word
  tick labels) and writes its numeric tick labels with a decimal comma; ``plots.show`` calls it.

A label is translated only when the whole string is a catalogue entry (``i18n.label``): model
names, reviews and words of the vocabulary stay as they are. ``LABELS`` marks the labels the
package and the notebooks' code cells show, so that ``edition update`` extracts them.
"""
from __future__ import annotations

import numbers
import re

import numpy as np
import pandas as pd

from .i18n import DEFAULT_EDITION, N_, _, fmt_int, fmt_number, get_edition, label

#: Labels shown in tables and figures: column and index names, values that are labels, and the
#: figure texts that notebooks' code cells pass to ``plots`` (extracted by ``edition update``).
LABELS = (
    # metrics and run records
    N_("accuracy"), N_("precision"), N_("recall"), N_("f1"), N_("roc_auc"), N_("cohen_kappa"), N_("loss"),
    N_("val_accuracy"), N_("val_loss"), N_("params"), N_("train_seconds"), N_("seconds"), N_("epochs"),
    N_("best_epoch"), N_("source"), N_("profile"), N_("this run"), N_("committed full run"), N_("model"),
    N_("metric"), N_("value"), N_("runs"), N_("mean"), N_("sd"), N_("min"), N_("max"), N_("count"),
    # predictions and reviews
    N_("review"), N_("label"), N_("score"), N_("text"), N_("verdict"), N_("positive"), N_("negative"),
    N_("p(positive)"), N_("known words"), N_("no known words"), N_("confidence"), N_("correct"),
    N_("stated score"), N_("rating"), N_("words"), N_("tokens"), N_("reviews"), N_("train"), N_("test"),
    N_("occurrences"), N_("repeated texts"), N_("label conflicts"), N_("extra copies"), N_("unknown word"),
    N_("reviews truncated"), N_("trained"), N_("bucket"), N_("size"),
    N_("input"), N_("mask"), N_("padded"), N_("aligned"), N_("step"), N_("length"),
    # behavioural checks
    N_("check"), N_("capability"), N_("kind"), N_("expect"), N_("invariant"), N_("expected"), N_("failed"),
    N_("variant"), N_("p_variant"), N_("negation"), N_("contrast"), N_("intensifiers"), N_("robustness"),
    N_("fairness"), N_("negated positive"), N_("negated negative"), N_("contrast: bad, but good"),
    N_("contrast: good, but bad"), N_("intensified"), N_("neutral filler"), N_("typo in the sentiment word"),
    N_("names swapped"),
    # hyperparameter search
    N_("configurations"), N_("folds"), N_("hours"), N_("seconds per configuration"),
    N_("tuner"), N_("trial"), N_("epochs trained"), N_("epochs in all"), N_("random search"),
    N_("this search (both tuners)"), N_("seconds per configuration are"), N_("learning_rate"), N_("dropout"),
    N_("embedding_dim"), N_("epochs trained (cumulative)"), N_("validation accuracy"),
    N_("Search progress under the same budget"),
    # figure texts the notebooks pass to ``plots``
    N_("tokens before the end of the review"), N_("mean |Δ p(positive)|"), N_("What the SimpleRNN still hears"),
    N_("What the LSTM still hears"), N_("review length (tokens)"), N_("test accuracy"),
    N_("Accuracy by review length"), N_("Where each model listens"), N_("frequency rank in our vocabulary"),
    N_("share with a vector"), N_("GloVe coverage by word frequency"), N_("GloVe coverage"), N_("ROC, test set"),
    N_("training"), N_("validation"), N_("chance"),
    # pandas' describe(), and labels the notebooks' code cells write
    N_("std"), N_("log-odds (positive vs negative)"), N_("log-odds (negative vs positive)"), N_("train ∩ test"),
    N_("tag"), N_("tokens covered"), N_("share of tokens that are <oov>"), N_("short review"), N_("long review"),
    N_("covered"), N_("Keras count"), N_("by formula"), N_("formula"), N_("measured"), N_("full grid"),
    N_("this random search"), N_("scaled from the subset"), N_("up to rank"), N_("parameters"), N_("units"),
    N_("training reviews"), N_("before"), N_("after"), N_("layer"), N_("type"), N_("output shape"),
    # scikit-learn's displays
    N_("True label"), N_("Predicted label"), N_("False Positive Rate (Positive label: 1)"),
    N_("True Positive Rate (Positive label: 1)"),
)


def translated(edition: str | None = None) -> bool:
    """Whether the edition in force (or ``edition``) is a translation, not the English source."""
    return (edition or get_edition()) != DEFAULT_EDITION


def _decimal_comma(text: str) -> str:
    return text.replace(".", ",")


def _column_strings(values: pd.Series) -> pd.Series | None:
    """A numeric column as the strings pandas would show, in the edition's typography (None if the
    column is not numeric: it is left to the label translation)."""
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return None
    if pd.api.types.is_integer_dtype(values):
        return values.map(lambda v: fmt_int(int(v)) if pd.notna(v) else "NaN")
    from pandas.io.formats.format import format_array

    shown = format_array(values.to_numpy(dtype=float), None)
    return pd.Series([_decimal_comma(s.strip()) for s in shown], index=values.index, name=values.name,
                     dtype=object)


_PERCENTILE = re.compile(r"(\d+)(?:st|nd|rd|th) percentile")
_ENGLISH_NUMBER = re.compile(r"(-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)(%?)")


def _text(value: str) -> str:
    """A string cell or label: a number a code cell formatted the English way (``"1,000"``,
    ``"69.3%"``) in the edition's typography, else the label through the catalogue."""
    number = _ENGLISH_NUMBER.fullmatch(value.strip())
    if not number:
        percentile = _PERCENTILE.fullmatch(value.strip())
        if percentile:  # an index a code cell writes itself ("50th percentile", text.length_percentiles)
            return _("percentile {n}").format(n=percentile.group(1))
        return label(value)
    digits = number.group(1).replace(",", "")
    decimals = len(digits.split(".", 1)[1]) if "." in digits else 0
    shown = fmt_number(float(digits), decimals)
    return shown + ("\u00a0%" if number.group(2) else "")


def _cell(value: object) -> object:
    """One cell of a display copy: a label translated; a lone float with a decimal comma."""
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return fmt_int(int(value))  # an integer among labels (a mixed column): 25 000, as a number column shows it
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, numbers.Integral)) and np.isfinite(value):  # type: ignore[call-overload]  # numbers.Real: untyped in the stubs
        return _decimal_comma(f"{value:g}" if abs(value) >= 1e-4 else repr(float(value)))  # type: ignore[operator]  # as above
    return value


def _labels(index: pd.Index) -> pd.Index:
    """An index (or columns) with every label translated, level names included."""
    renamed = index.copy() if pd.api.types.is_numeric_dtype(index.dtype) else \
        index.map(lambda v: tuple(_cell(x) for x in v) if isinstance(v, tuple) else _cell(v))
    renamed.names = [label(n) for n in index.names]
    return renamed


def localized_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A display copy of ``frame``: labels from the catalogue, numbers in the edition's typography.

    In English it is ``frame`` itself.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"localized_frame takes a pandas DataFrame, got {type(frame).__name__}.")
    if not translated():
        return frame
    out = pd.DataFrame(index=frame.index)
    counts = [i for i, name in enumerate(frame.index) if name == "count"]  # describe()'s first row
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        strings = _column_strings(column)
        out[position] = strings if strings is not None else column.map(_cell)
        for row in counts:  # a count is a whole number, "12 500", not "12500,0"
            value = column.iloc[row]
            if isinstance(value, numbers.Real) and np.isfinite(value) and float(value).is_integer():  # type: ignore[call-overload]  # numbers.Real: untyped in the stubs
                out.iloc[row, position] = fmt_int(int(value))  # type: ignore[call-overload]  # as above
    out.columns = _labels(frame.columns)
    out.index = _labels(frame.index)
    return out


def localized_series(series: pd.Series) -> pd.Series:
    """A display copy of ``series`` (see ``localized_frame``)."""
    if not isinstance(series, pd.Series):
        raise TypeError(f"localized_series takes a pandas Series, got {type(series).__name__}.")
    if not translated():
        return series
    strings = _column_strings(series)
    out = strings if strings is not None else series.map(_cell)
    out.index = _labels(series.index)
    out.name = label(series.name)
    return out


def frame_html(frame: pd.DataFrame) -> str:
    """The HTML a translated edition shows for ``frame``."""
    return localized_frame(frame)._repr_html_()


_FOOTER = re.compile(r"\n\[(\d+) rows x (\d+) columns\]$")


def frame_text(frame: pd.DataFrame) -> str:
    """The plain text a translated edition shows for ``frame`` (pandas' footer of a truncated
    table included)."""
    return _FOOTER.sub(lambda m: "\n" + _("[{rows} rows x {columns} columns]").format(rows=m.group(1), columns=m.group(2)),
                       repr(localized_frame(frame)))


def series_text(series: pd.Series) -> str:
    """The plain text a translated edition shows for ``series`` (no dtype line: the display copy's
    ``object`` would mislead)."""
    out = localized_series(series)
    text = out.to_string(dtype=False, length=False)
    return text if out.name is None else text + "\n" + _("Name: {name}").format(name=out.name)


def data_text(data) -> str:
    """What a translated edition shows for a ``data.ImdbData`` (its English ``repr`` otherwise)."""
    from pathlib import Path

    return _("ImdbData(train={train} reviews, test={test} reviews, source={source})").format(
        train=fmt_int(len(data.train)), test=fmt_int(len(data.test)), source=repr(Path(data.source).name))


_REGISTERED: list[tuple[str, type]] = []


def register_display(shell=None) -> bool:
    """In a translated edition, make IPython show DataFrames and Series through their display
    copies; in English, remove what an earlier call registered. True if formatters are active."""
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover - IPython ships with every notebook environment
            return False
        shell = get_ipython()
    if shell is None:
        return False
    formatters = shell.display_formatter.formatters
    while _REGISTERED:
        mime, kind = _REGISTERED.pop()
        formatters[mime].pop(kind, None)
    if not translated():
        return False
    formatters["text/html"].for_type(pd.DataFrame, frame_html)
    formatters["text/plain"].for_type(pd.DataFrame, lambda obj, p, cycle: p.text(frame_text(obj)))
    formatters["text/plain"].for_type(pd.Series, lambda obj, p, cycle: p.text(series_text(obj)))
    from .data import ImdbData

    formatters["text/plain"].for_type(ImdbData, lambda obj, p, cycle: p.text(data_text(obj)))
    _REGISTERED.extend([("text/html", pd.DataFrame), ("text/plain", pd.DataFrame), ("text/plain", pd.Series),
                        ("text/plain", ImdbData)])
    return True


_AUC = re.compile(r"(.*) \(AUC = (\d+\.\d+)\)", re.S)


def _figure_text(text: str) -> str:
    """A figure's text: a number in the edition's typography (decimal comma; English thousands
    commas dropped, regrouped as the edition groups), anything else through the catalogue."""
    auc = _AUC.fullmatch(text)
    if auc:  # scikit-learn's ROC legend entry: "<model> (AUC = 0.95)"
        return f"{auc.group(1)} (AUC = {fmt_number(float(auc.group(2)), len(auc.group(2).split('.')[1]))})"
    minus = "\u2212" in text
    plain = text.replace("\u2212", "-").replace(",", "").strip()
    if not plain or not all(c.isdigit() or c in "-." for c in plain) or not any(c.isdigit() for c in plain):
        return label(text)
    try:
        value = float(plain)
    except ValueError:
        return label(text)
    decimals = len(plain.split(".", 1)[1]) if "." in plain else 0
    shown = fmt_number(value, decimals)
    return shown.replace("-", "\u2212") if minus else shown


class _EditionFormatter:
    """Marker base for the formatter ``localize_figure`` installs (see ``_edition_formatter``)."""


def _edition_formatter(inner):
    """A tick formatter that writes what ``inner`` writes in the edition's typography.

    It only changes the *text* of the labels: the axis keeps its locator (integer epochs, the ROC
    plot's 0..1 ticks) and its limits, and ticks are still chosen when the figure is drawn.
    Rewriting the labels with ``set_ticks(get_ticklocs(), ...)`` instead would fix the ticks
    matplotlib computed, including those just outside the view, and widen the limits to them.
    """
    import matplotlib.ticker

    class EditionFormatter(_EditionFormatter, matplotlib.ticker.Formatter):
        def __init__(self):
            self.inner = inner

        def set_axis(self, axis):
            super().set_axis(axis)
            self.inner.set_axis(axis)

        def set_locs(self, locs):
            self.locs = locs
            self.inner.set_locs(locs)

        def __call__(self, x, pos=None):
            return _figure_text(self.inner(x, pos))

        def format_ticks(self, values):
            return [_figure_text(text) for text in self.inner.format_ticks(values)]

        def get_offset(self):
            return _figure_text(self.inner.get_offset()) if self.inner.get_offset() else ""

        def format_data_short(self, value):
            return self.inner.format_data_short(value)

    return EditionFormatter()


def localize_figure(fig) -> bool:
    """Translate a figure's texts in place for the edition in force; True if anything changed.

    Titles, axis labels, legend entries and titles, annotations and tick labels are looked up in
    the catalogue as whole strings; numbers (tick labels, bar and cell annotations) are rewritten
    in the edition's typography (``0,85``; ``12 500``; ``2000``). Tick labels get a formatter that
    wraps the axis's own, so the axis keeps its locator, its limits and its tick positions: the
    figure is the English one with Spanish texts. In English the figure is left untouched.
    """
    import matplotlib.text

    if not translated():
        return False
    fig.canvas.draw()  # tick labels exist once drawn
    changed = False
    ticks = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for which in ("major", "minor"):
                labels = axis.get_majorticklabels() if which == "major" else axis.get_minorticklabels()
                texts = [t.get_text() for t in labels]
                if any(texts) and [_figure_text(t) for t in texts] != texts:
                    formatter = axis.get_major_formatter() if which == "major" else axis.get_minor_formatter()
                    if not isinstance(formatter, _EditionFormatter):
                        wrapped = _edition_formatter(formatter)
                        (axis.set_major_formatter if which == "major" else axis.set_minor_formatter)(wrapped)
                    changed = True
                ticks |= {id(t) for t in labels}
    if changed:
        fig.canvas.draw()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            ticks |= {id(t) for t in axis.get_majorticklabels() + axis.get_minorticklabels()}
    for text in fig.findobj(matplotlib.text.Text):
        if id(text) in ticks:
            continue
        old = text.get_text()
        new = _figure_text(old)
        if new != old:
            text.set_text(new)
            changed = True
    return changed
