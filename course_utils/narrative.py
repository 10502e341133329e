"""Sentences computed from results, so the prose beside a table or plot cannot drift from it.

Each function takes a result (a table, a curve, a set of predictions) and returns Markdown;
``notebook.say`` displays it. Static notebook prose keeps what does not depend on a run.
"""
from __future__ import annotations

import re
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from .config import Profile


def smoke_notice(profile: Profile) -> str:
    """A warning for runs that are not the course run ("" for the full profile)."""
    if profile.name == "full":
        return ""
    size = "all" if profile.train_size is None else f"{profile.train_size:,} training reviews"
    return (f"> **{profile.name} profile** ({size}, at most {profile.epochs} epoch"
            f"{'s' if profile.epochs > 1 else ''}): the numbers in this notebook check that the code "
            f"runs, nothing more. The computed sentences describe *this* run; the committed notebooks "
            f"show the full course run.")


def caveat(profile: Profile) -> str:
    """A short suffix for computed sentences in a run that is not the course run."""
    return "" if profile.name == "full" else f" *({profile.name} run: this checks wiring only.)*"


def _words(items: Sequence[str]) -> str:
    return ", ".join(f"*{w}*" for w in items)


def distinctive_words(tables: Mapping[str, pd.Series], n: int = 6) -> str:
    """Which words the log-odds ranking puts first for each class, in this run."""
    parts = [f"for **{name}** reviews: {_words(list(series.index[:n]))}" for name, series in tables.items()]
    return ("The strongest cues in this run are " + "; ".join(parts) + ". Ask of each word: is it a "
            "sentiment word that will transfer to new movies, or a name or title that happens to occur "
            "in one class of the training reviews? A model can memorise the second kind, and it will "
            "not help on reviews of other films.")


def data_summary(train: pd.DataFrame, test: pd.DataFrame, word_lengths: np.ndarray) -> str:
    """Sizes, balance and lengths of the loaded splits."""
    share = float(np.mean(train.label))
    median, p95 = np.percentile(word_lengths, [50, 95])
    return (f"{len(train):,} training and {len(test):,} test reviews; {share:.1%} of the training "
            f"reviews are positive. The median review has {median:.0f} words, and 5 % have more "
            f"than {p95:.0f}.")


def _fmt_model(name: str, records: pd.DataFrame, metric: str) -> str:
    return f"`{name}` ({records.loc[name, metric]:.3f})"


def compare_models(records: pd.DataFrame, model: str, others: Sequence[str], *, metric: str = "accuracy",
                   spread: pd.DataFrame | None = None, profile: Profile | None = None) -> str:
    """How ``model`` compares with ``others`` on ``metric``; with a seed table, whether each
    difference is larger than the run-to-run noise."""
    if model not in records.index:
        return f"`{model}` has no record yet."
    lines = []
    for other in others:
        if other not in records.index:
            continue
        apart = _different_runs(records, model, other)
        if apart:
            lines.append(f"`{model}` and `{other}` are not compared: {apart}.")
            continue
        diff = records.loc[model, metric] - records.loc[other, metric]
        word = "above" if diff > 0 else "below" if diff < 0 else "level with"
        sentence = (f"`{model}` reaches {metric} {records.loc[model, metric]:.3f}, "
                    f"{abs(diff) * 100:.1f} points {word} {_fmt_model(other, records, metric)}")
        noise = _noise(spread, (model, other), metric)
        if noise is not None:
            sentence += (", more than the seed-to-seed noise" if abs(diff) > noise else
                         ", within the seed-to-seed noise") + f" (2 × combined sd = {noise * 100:.1f} points)"
        lines.append(sentence + ".")
    text = " ".join(lines) if lines else f"`{model}`: {metric} {records.loc[model, metric]:.3f}."
    if not _from_this_run(records, model):  # a committed result: say so, and no caveat about this run
        return f"In {_origin(records, model)}, {text}"
    return text + (caveat(profile) if profile is not None else "")


def _origin(records: pd.DataFrame, model: str) -> str:
    """Where a row comes from: "this run (smoke profile)", "the committed full run"."""
    source = records.loc[model, "source"] if "source" in records else "this run"
    profile = records.loc[model, "profile"] if "profile" in records else None
    if source == "this run":
        return f"this run ({profile} profile)" if isinstance(profile, str) else "this run"
    return f"the {source}"


def _from_this_run(records: pd.DataFrame, model: str) -> bool:
    return "source" not in records or records.loc[model, "source"] == "this run"


def _different_runs(records: pd.DataFrame, a: str, b: str) -> str:
    """Why two rows must not be compared ("" when they may): other profiles mean other data."""
    if "profile" in records and records.loc[a, "profile"] != records.loc[b, "profile"]:
        return (f"`{a}` comes from {_origin(records, a)} and `{b}` from {_origin(records, b)}, "
                f"trained on other data")
    return ""


def _noise(spread: pd.DataFrame | None, models: Sequence[str], metric: str) -> float | None:
    """Twice the combined standard deviation of ``metric`` over seeds, if both are measured."""
    if spread is None:
        return None
    sds = []
    for model in models:
        row = spread[(spread["model"] == model) & (spread["metric"] == metric)]
        if row.empty or not np.isfinite(row["sd"].iloc[0]):
            return None
        sds.append(float(row["sd"].iloc[0]))
    return 2.0 * float(np.sqrt(np.sum(np.square(sds))))


def sensitivity(curve: pd.Series, model: str) -> str:
    """Where a model listens: the strongest window and how far back the effect still reaches."""
    if curve.empty:
        return f"No window of `{model}`'s inputs could be removed in this sample."
    peak_at, peak = int(curve.idxmax()), float(curve.max())
    far = curve[curve.index >= curve.index.max() / 2]
    far_share = float(far.mean() / peak) if peak > 0 else 0.0
    return (f"`{model}`'s prediction moves most (mean |Δp| = {peak:.3f}) when the tokens "
            f"{peak_at}–{peak_at + _window(curve)} before the end are removed; {int(far.index.min())} or more "
            f"tokens back, removing words moves it {far_share:.0%} as much on average.")


def _window(curve: pd.Series) -> int:
    steps = np.diff(curve.index.to_numpy())
    return int(steps[0]) if len(steps) else 16


_STATED = re.compile(r"\b(\d{1,2}(?:\.\d)?)\s*(?:/|out of)\s*10\b", re.IGNORECASE)


def stated_score(text: str) -> float | None:
    """A score out of 10 that a review states in its text ("9.5/10", "3 out of 10"), if any."""
    found = [float(m) for m in _STATED.findall(text) if 0 <= float(m) <= 10]
    return found[-1] if found else None


def label_doubts(frame: pd.DataFrame) -> str:
    """Among wrongly classified reviews (``label``, ``stated score`` columns), those whose own text
    contradicts their label: the dataset, not the model, is wrong there."""
    if "stated score" not in frame:
        return ""
    stated = frame["stated score"]
    doubtful = frame[((frame["label"] == 0) & (stated >= 7)) | ((frame["label"] == 1) & (stated <= 4))]
    if doubtful.empty:
        return (f"None of these {len(frame)} reviews states a score that contradicts its label: the "
                f"errors are the model's.")
    examples = ", ".join(f"review {i} says {stated[i]:g}/10 but is labelled "
                         f"{'positive' if frame.loc[i, 'label'] else 'negative'}" for i in doubtful.index[:3])
    verb = "contradicts its own label" if len(doubtful) == 1 else "contradict their own labels"
    return (f"{len(doubtful)} of these {len(frame)} reviews {verb} ({examples}): "
            f"the dataset is wrong there, and no model can be right about "
            f"{'it' if len(doubtful) == 1 else 'them'}.")


def verdicts(table: pd.DataFrame, expected: Sequence[int], model: str) -> str:
    """Which of a few hand-written reviews a model gets right (``expected``: 1 positive, 0 negative)."""
    if len(expected) != len(table):
        raise ValueError(f"expected has {len(expected)} labels for {len(table)} reviews.")
    parts = []
    for (_, row), want in zip(table.iterrows(), expected):
        right = row["verdict"] == ("positive" if want else "negative")
        parts.append(f"“{row['review']}” → p = {row['p(positive)']:.2f}, "
                     f"{'right' if right else '**wrong**'}")
    wrong = sum("**wrong**" in p for p in parts)
    return (f"`{model}` gets {len(parts) - wrong} of {len(parts)} right: " + "; ".join(parts) + ".")


def ranking(records: pd.DataFrame, *, metric: str = "accuracy", reference: str = "tfidf_logreg",
            exclude: Sequence[str] = ("majority",)) -> str:
    """The order of the models on ``metric``, and where the classical reference stands.

    Rows of different origins (``source``: this run, the committed full run) are ranked apart,
    and the reference is compared only with neural models of its own origin and profile.
    """
    table = records.drop(index=[m for m in exclude if m in records.index]).sort_values(metric, ascending=False)
    if table.empty:
        return "No records yet."
    groups = list(table.groupby("source", sort=False)) if "source" in table else [(None, table)]
    groups.sort(key=lambda item: item[0] != "this run")
    texts = []
    for source, group in groups:
        label = "In this table" if source is None else _origin(group, group.index[0])
        label = label[0].upper() + label[1:]
        text = f"{label}: " + " > ".join(f"`{m}` {v:.3f}" for m, v in group[metric].items()) + "."
        neural = group.drop(index=[reference], errors="ignore")
        if reference in group.index and len(neural) and not _different_runs(group, reference, neural.index[0]):
            best, diff = neural.index[0], group.loc[reference, metric] - neural[metric].iloc[0]
            text += (f" The best neural model, `{best}`, is {abs(diff) * 100:.1f} points "
                     f"{'below' if diff > 0 else 'above' if diff < 0 else 'level with'} "
                     f"TF-IDF + logistic regression.")
        elif reference in group.index:
            text += " No neural model ran here to compare with TF-IDF + logistic regression."
        texts.append(text)
    if len(groups) > 1:
        texts.append("Rows of different runs are ranked apart: they were trained on other data or machines.")
    return " ".join(texts)


def grid_cost(cost: Mapping[str, float], measured: Mapping[str, float]) -> str:
    """The full grid's cost against the random search actually run (both from the table)."""
    minutes = round(measured["hours"] * 60)
    return (f"A full grid of {int(cost['configurations'])} configurations × {int(cost['folds'])} folds would "
            f"take about {cost['hours']:.0f} hours here; the random search tried {int(measured['configurations'])} "
            + (f"configurations in under a minute." if minutes < 1 else
               f"configurations in about {minutes} minute{'' if minutes == 1 else 's'}."))


def _models(names: Sequence[str]) -> str:
    """`a`, `a` and `b`, `a`, `b` and `c`."""
    quoted = [f"`{n}`" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _extremes(row: pd.Series) -> tuple[list[str], list[str]]:
    """The models at the minimum and at the maximum of ``row`` (every tied model)."""
    low, high = row.min(), row.max()
    return ([m for m, v in row.items() if np.isclose(v, low)], [m for m, v in row.items() if np.isclose(v, high)])


def _fail(models: Sequence[str]) -> str:
    return "fails" if len(models) == 1 else "fail"


def behaviour(rates: pd.DataFrame, capabilities: Mapping[str, str]) -> str:
    """Per check, which models fail least and most (``rates``: checks x models, shares failed).

    Ties are stated as ties: every model at the extreme is named.
    """
    if rates.empty or rates.shape[1] == 0:
        return "No model has been checked yet."
    lines = []
    for check, row in rates.iterrows():
        row = row.dropna()
        best, worst = _extremes(row)
        if np.isclose(row.min(), row.max()):
            lines.append(f"- *{check}* ({capabilities.get(check, '')}): every model fails {row.min():.0%}.")
        else:
            lines.append(f"- *{check}* ({capabilities.get(check, '')}): {_models(best)} {_fail(best)} least "
                         f"({row.min():.0%}), {_models(worst)} most ({row.max():.0%}).")
    mean = rates.mean()
    best, worst = _extremes(mean)
    if np.isclose(mean.min(), mean.max()):
        lines.append(f"\nOver all checks, every model fails {mean.min():.0%} of sentences on average.")
    else:
        lines.append(f"\nOver all checks, {_models(best)} {_fail(best)} least ({mean.min():.0%} of sentences on "
                     f"average) and {_models(worst)} most ({mean.max():.0%}).")
    return "\n".join(lines)


#: The capabilities whose sentences turn on word order ("not good", "bad, but good").
WORD_ORDER_CAPABILITIES = ("negation", "contrast")


def word_order(rates: pd.DataFrame, capabilities: Mapping[str, str], *, order_free: str = "dense") -> str:
    """Does reading word order help on the checks that need it? Answered from ``rates``.

    ``order_free`` is a model that cannot see order (``dense`` averages its word vectors); the
    other columns are models that read in order. Each order check says who fails less, and the
    conclusion counts the checks where some order-reading model beats the order-free one.
    """
    checks = [c for c in rates.index if capabilities.get(c) in WORD_ORDER_CAPABILITIES]
    if not checks:
        return ""
    if order_free not in rates.columns:
        return (f"`{order_free}` (which cannot see word order) has not run into this output folder, so this run "
                f"cannot say whether reading word order helps on negation and contrast.")
    readers = [m for m in rates.columns if m != order_free]
    if not readers:
        return f"Only `{order_free}` has run here: no model that reads word order to compare it with."
    helped, lines = [], []
    for check in checks:
        free = float(rates.loc[check, order_free])
        row = rates.loc[check, readers].dropna()
        best = [m for m, v in row.items() if np.isclose(v, row.min())]
        if row.min() < free and not np.isclose(row.min(), free):
            helped.append(check)
            verdict = f"{_models(best)} {_fail(best)} less ({row.min():.0%})"
        else:
            verdict = f"no model that reads in order fails less (the best: {row.min():.0%})"
        lines.append(f"- *{check}*: `{order_free}` fails {free:.0%}; {verdict}.")
    if len(helped) == len(checks):
        end = f"Reading word order helped on every one of these {len(checks)} checks in this run."
    elif helped:
        end = (f"Reading word order helped on {len(helped)} of these {len(checks)} checks in this run; on the "
               f"others, `{order_free}`, which sees no order at all, did as well or better, so what decided them "
               f"was not word order.")
    else:
        end = (f"Reading word order helped on none of these {len(checks)} checks in this run: `{order_free}`, "
               f"which sees no order at all, did as well or better on each.")
    return "\n".join(lines) + "\n\n" + end


def verdicts_compared(tables: Mapping[str, pd.DataFrame], expected: Sequence[int]) -> str:
    """How many of the same hand-written reviews each model gets right, and who gets more."""
    right = {}
    for model, table in tables.items():
        if len(expected) != len(table):
            raise ValueError(f"expected has {len(expected)} labels for {len(table)} reviews of `{model}`.")
        want = np.where(np.asarray(expected) == 1, "positive", "negative")
        right[model] = int((table["verdict"].to_numpy() == want).sum())
    if len(right) < 2:
        return ""
    counts = pd.Series(right)
    best, _ = _extremes(counts)
    parts = ", ".join(f"`{m}` {n} of {len(expected)}" for m, n in right.items())
    if np.isclose(counts.min(), counts.max()):
        return f"On these reviews: {parts}. Neither model reads them better than the other here."
    return f"On these reviews: {parts}. {_models(best)} {'reads' if len(best) == 1 else 'read'} them best here."


def learning_curve(history: Mapping[str, Sequence[float]], model: str) -> str:
    """What the curves show: where validation peaked and how far training went beyond it."""
    val = list(history.get("val_accuracy", []))
    train = list(history.get("accuracy", []))
    if not val or not train:
        return f"`{model}` has no validation history."
    best = int(np.argmin(history.get("val_loss", val))) + 1
    text = (f"`{model}`: training accuracy went from {train[0]:.3f} to {train[-1]:.3f} over {len(train)} "
            f"epoch{'s' if len(train) > 1 else ''}; validation loss was lowest after epoch {best} "
            f"(validation accuracy {val[best - 1]:.3f}), and those are the weights kept.")
    if train[-1] - val[-1] > 0.02:
        text += (f" By the last epoch training accuracy is {100 * (train[-1] - val[-1]):.1f} points above "
                 f"validation accuracy: the model has started to memorise its training reviews.")
    return text


def truncation(share_cut: float, maxlen: int) -> str:
    """How many reviews the chosen ``maxlen`` cuts."""
    return (f"With `maxlen = {maxlen}`, {share_cut:.1%} of the training reviews lose tokens "
            f"(their beginnings, with `truncating=\"pre\"`); the other {1 - share_cut:.1%} are kept whole.")


def precision_recall(records: pd.DataFrame, models: Sequence[str]) -> str:
    """Which of ``models`` over- or under-predicts the positive class, read from precision and recall."""
    parts = []
    for model in models:
        if model not in records.index:
            continue
        p, r = records.loc[model, "precision"], records.loc[model, "recall"]
        lean = ("calls too few reviews positive (recall below precision)" if r < p - 0.02 else
                "calls too many reviews positive (precision below recall)" if p < r - 0.02 else
                "is balanced between the classes")
        parts.append(f"`{model}` (precision {p:.3f}, recall {r:.3f}) {lean}")
    return "; ".join(parts) + "." if parts else ""


def sources(records: pd.DataFrame) -> str:
    """Which rows of a comparison come from this run and which from the committed full run."""
    if "source" not in records or (records["source"] == "this run").all():
        return ""
    committed = [f"`{m}`" for m in records.index[records["source"] != "this run"]]
    return (f"> {len(committed)} of {len(records)} rows come from the **committed full-profile run**, "
            f"because their notebooks have not run into this output folder: {', '.join(committed)}. "
            f"The other rows are this run's.")
