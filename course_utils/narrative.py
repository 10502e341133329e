"""Sentences computed from results, so the prose beside a table or plot cannot drift from it.

Each function takes a result (a table, a curve, a set of predictions) and returns Markdown;
``notebook.say`` displays it. Static notebook prose keeps what does not depend on a run.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .config import Profile
from .i18n import _, fmt_int, fmt_number, fmt_percent, get_edition, label, ngettext


def _plain(n: float) -> str:
    """A count the English prose writes without separators (``{n}``); Spanish typography in es."""
    return str(int(n)) if get_edition() == "en" else fmt_int(int(n))


def _fixed(x: float, decimals: int) -> str:
    """``{x:.Nf}`` in English (no thousands separator); the edition's typography otherwise."""
    return f"{x:.{decimals}f}" if get_edition() == "en" else fmt_number(x, decimals)


def smoke_notice(profile: Profile) -> str:
    """A warning for runs that are not the course run ("" for the full profile)."""
    if profile.name == "full":
        return ""
    most = profile.max_epochs  # the most any notebook trains (03's Dense gets more than the rest)
    if profile.train_size is None:
        template = ngettext(
            "> **{profile} profile** (all, at most {epochs} epoch): the numbers in this notebook check that "
            "the code runs, nothing more. The computed sentences describe *this* run; the committed notebooks "
            "show the full course run.",
            "> **{profile} profile** (all, at most {epochs} epochs): the numbers in this notebook check that "
            "the code runs, nothing more. The computed sentences describe *this* run; the committed notebooks "
            "show the full course run.", most)
    else:
        template = ngettext(
            "> **{profile} profile** ({reviews} training reviews, at most {epochs} epoch): the numbers in this "
            "notebook check that the code runs, nothing more. The computed sentences describe *this* run; "
            "the committed notebooks show the full course run.",
            "> **{profile} profile** ({reviews} training reviews, at most {epochs} epochs): the numbers in this "
            "notebook check that the code runs, nothing more. The computed sentences describe *this* run; "
            "the committed notebooks show the full course run.", most)
    reviews = "" if profile.train_size is None else fmt_int(profile.train_size)
    return template.format(profile=profile.name, reviews=reviews, epochs=_plain(most))


def caveat(profile: Profile) -> str:
    """A short suffix for computed sentences in a run that is not the course run."""
    return "" if profile.name == "full" else _(" *({profile} run: this checks wiring only.)*").format(
        profile=profile.name)


def _words(items: Sequence[str]) -> str:
    return ", ".join(f"*{w}*" for w in items)


def distinctive_words(tables: Mapping[str, pd.Series], n: int = 6) -> str:
    """Which words the log-odds ranking puts first for each class, in this run.

    Parameters
    ----------
    tables : mapping of str to pandas.Series
        :func:`course_utils.eda.distinctive_words`' result.
    n : int, default 6
        Words named per class.

    Returns
    -------
    str
        Markdown.
    """
    parts = [_("for **{name}** reviews: {words}").format(name=label(name), words=_words(list(series.index[:n])))
             for name, series in tables.items()]
    return _("The strongest cues in this run are {parts}. Ask of each word: is it a sentiment word that will "
             "transfer to new movies, or a name or title that happens to occur in one class of the training "
             "reviews? A model can memorise the second kind, and it will not help on reviews of other "
             "films.").format(parts="; ".join(parts))


def data_summary(train: pd.DataFrame, test: pd.DataFrame, word_lengths: np.ndarray) -> str:
    """Sizes, balance and lengths of the loaded splits.

    Parameters
    ----------
    train, test : pandas.DataFrame
        The loaded splits.
    word_lengths : numpy.ndarray
        Words per review (:func:`course_utils.eda.word_lengths`).

    Returns
    -------
    str
        Markdown.
    """
    share = float(np.mean(train.label))
    median, p95 = np.percentile(word_lengths, [50, 95])
    return _("{train} training and {test} test reviews; {share} of the training reviews are positive. The "
             "median review has {median} words, and 5 % have more than {p95}.").format(
        train=fmt_int(len(train)), test=fmt_int(len(test)), share=fmt_percent(share, 1),
        median=_fixed(median, 0), p95=_fixed(p95, 0))


def _fmt_model(name: str, records: pd.DataFrame, metric: str) -> str:
    return f"`{name}` ({fmt_number(records.loc[name, metric], 3)})"


def compare_models(records: pd.DataFrame, model: str, others: Sequence[str], *, metric: str = "accuracy",
                   spread: pd.DataFrame | None = None, profile: Profile | None = None) -> str:
    """How ``model`` compares with ``others`` on ``metric``; with a seed table, whether each
    difference is larger than the run-to-run noise.

    Parameters
    ----------
    records : pandas.DataFrame
        The metrics records, indexed by model.
    model : str
        The model the sentence is about.
    others : sequence of str
        The models it is compared with.
    metric : str, default "accuracy"
        The column compared.
    spread : pandas.DataFrame, optional
        The committed seed table (:func:`course_utils.results.seed_spread`).
    profile : Profile, optional
        This run's profile: the seed table speaks for the committed profile only.

    Returns
    -------
    str
        Markdown.
    """
    if model not in records.index:
        return _("`{model}` has no record yet.").format(model=model)
    clauses: list[str] = []
    apart_lines: list[str] = []
    for other in others:
        if other not in records.index:
            continue
        apart = _different_runs(records, model, other)
        if apart:
            apart_lines.append(_("`{model}` and `{other}` are not compared: {reason}.").format(
                model=model, other=other, reason=apart))
            continue
        diff = records.loc[model, metric] - records.loc[other, metric]
        level = _level(diff)
        if not clauses:  # the model and its score once, then each comparison (review L36)
            template = (_("`{model}` reaches {metric} {value}, level with {other}: less than {points} points apart")
                        if level else
                        _("`{model}` reaches {metric} {value}, {points} points above {other}") if diff > 0 else
                        _("`{model}` reaches {metric} {value}, {points} points below {other}"))
        else:
            template = (_("level with {other}: less than {points} points apart") if level else
                        _("{points} points above {other}") if diff > 0 else _("{points} points below {other}"))
        clause = template.format(model=model, metric=label(metric), value=fmt_number(records.loc[model, metric], 3),
                                 points=fmt_number(0.05, 2) if level else fmt_number(abs(diff) * 100, 1),
                                 other=_fmt_model(other, records, metric))
        clause += _epochs_apart(records, model, other)
        noise = _noise(spread, (model, other), metric)
        if noise is not None:
            clause += (_(", more than the seed-to-seed noise (2 × combined sd = {points} points)")
                       if abs(diff) > noise else
                       _(", within the seed-to-seed noise (2 × combined sd = {points} points)")).format(
                points=fmt_number(noise * 100, 1))
        clauses.append(clause)
    lines = ([clauses[0] + "." if len(clauses) == 1 else
              _("{clauses}; and {last}.").format(clauses="; ".join(clauses[:-1]), last=clauses[-1])]
             if clauses else []) + apart_lines
    text = " ".join(lines) if lines else _("`{model}`: {metric} {value}.").format(
        model=model, metric=label(metric), value=fmt_number(records.loc[model, metric], 3))
    if not _from_this_run(records, model):  # a committed result: say so, and no caveat about this run
        return _("In {origin}, {text}").format(origin=_origin(records, model), text=text)
    return text + (caveat(profile) if profile is not None else "")


def _origin(records: pd.DataFrame, model: str) -> str:
    """Where a row comes from: "this run (smoke profile)", "the committed full run"."""
    source = records.loc[model, "source"] if "source" in records else "this run"
    profile = records.loc[model, "profile"] if "profile" in records else None
    if source == "this run":
        return _("this run ({profile} profile)").format(profile=profile) if isinstance(profile, str) else _("this run")
    return _("the {source}").format(source=label(source))


def _from_this_run(records: pd.DataFrame, model: str) -> bool:
    return "source" not in records or records.loc[model, "source"] == "this run"


def _different_runs(records: pd.DataFrame, a: str, b: str) -> str:
    """Why two rows must not be compared ("" when they may): other profiles mean other data."""
    if "profile" in records and records.loc[a, "profile"] != records.loc[b, "profile"]:
        return _("`{a}` comes from {origin_a} and `{b}` from {origin_b}, trained on other data").format(
            a=a, b=b, origin_a=_origin(records, a), origin_b=_origin(records, b))
    return ""


def _trained_epochs(records: pd.DataFrame, name: str) -> int | None:
    """The epochs a neural model trained for (``None`` for a row trained otherwise: TF-IDF, majority)."""
    if "epochs" not in records or "extra" not in records:
        return None
    extra = records.loc[name, "extra"]
    return int(records.loc[name, "epochs"]) if isinstance(extra, dict) and "best_epoch" in extra else None


def _epochs_apart(records: pd.DataFrame, model: str, other: str) -> str:
    """", in 2 epochs against 8" when two neural models trained for different numbers of epochs."""
    epochs, other_epochs = _trained_epochs(records, model), _trained_epochs(records, other)
    if epochs is None or other_epochs is None or epochs == other_epochs:
        return ""
    return ngettext(", in {epochs} epoch against {other_epochs}", ", in {epochs} epochs against {other_epochs}",
                    epochs).format(epochs=_plain(epochs), other_epochs=_plain(other_epochs))


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
    """Where a model listens: the strongest window and how far back the effect still reaches.

    Parameters
    ----------
    curve : pandas.Series
        :func:`course_utils.probes.position_sensitivity`'s result.
    model : str
        The model's name, as the sentence shows it.

    Returns
    -------
    str
        Markdown.
    """
    if curve.empty:
        return _("No window of `{model}`'s inputs could be removed in this sample.").format(model=model)
    peak_at, peak = int(curve.idxmax()), float(curve.max())
    far = curve[curve.index >= curve.index.max() / 2]
    far_share = float(far.mean() / peak) if peak > 0 else 0.0
    return _("`{model}`'s prediction moves most (mean |Δp| = {peak}) when the tokens {start}–{end} before the "
             "end are removed; {far} or more tokens back, removing words moves it {share} as much on "
             "average.").format(model=model, peak=fmt_number(peak, 3), start=_plain(peak_at),
                                end=_plain(peak_at + _window(curve)), far=_plain(far.index.min()),
                                share=fmt_percent(far_share, 0))


def _window(curve: pd.Series) -> int:
    steps = np.diff(curve.index.to_numpy())
    return int(steps[0]) if len(steps) else 16


_STATED = re.compile(r"\b(\d{1,2}(?:\.\d)?)\s*(?:/|out of)\s*10\b", re.IGNORECASE)


def stated_score(text: str) -> float | None:
    """A score out of 10 that a review states in its text ("9.5/10", "3 out of 10"), if any."""
    found = [float(m) for m in _STATED.findall(text) if 0 <= float(m) <= 10]
    return found[-1] if found else None


def _score(x: float) -> str:
    """``{x:g}`` for a score out of 10 (``9.5``, ``3``), in the edition's typography."""
    return f"{x:g}" if get_edition() == "en" else fmt_number(x, 0 if float(x).is_integer() else 1)


def label_doubts(frame: pd.DataFrame) -> str:
    """Among wrongly classified reviews (``label``, ``stated score`` columns), those whose own text
    contradicts their label: the dataset, not the model, is wrong there.

    Parameters
    ----------
    frame : pandas.DataFrame
        Misclassified reviews with ``label`` and ``stated score`` columns.

    Returns
    -------
    str
        Markdown.
    """
    if "stated score" not in frame:
        return ""
    stated = frame["stated score"]
    doubtful = frame[((frame["label"] == 0) & (stated >= 7)) | ((frame["label"] == 1) & (stated <= 4))]
    if doubtful.empty:
        return _("None of these {total} reviews states a score that contradicts its label: the errors are the "
                 "model's.").format(total=_plain(len(frame)))
    examples = ", ".join((_("review {review} says {score}/10 but is labelled positive") if frame.loc[i, "label"]
                          else _("review {review} says {score}/10 but is labelled negative")).format(
        review=i, score=_score(stated[i])) for i in doubtful.index[:3])
    return ngettext("{n} of these {total} reviews contradicts its own label ({examples}): the dataset is wrong "
                    "there, and no model can be right about it.",
                    "{n} of these {total} reviews contradict their own labels ({examples}): the dataset is "
                    "wrong there, and no model can be right about them.", len(doubtful)).format(
        n=_plain(len(doubtful)), total=_plain(len(frame)), examples=examples)


def _review_part(row: pd.Series, want: int, truncating: str) -> tuple[str, str]:
    """How one hand-written review went ("right", "wrong", "undecided" or "unjudged") and its phrase."""
    from . import reviews

    verdict, review = row["verdict"], row["review"]
    p = fmt_number(row["p(positive)"], 2) if pd.notna(row["p(positive)"]) else ""
    known = int(row["known words"]) if "known words" in row else 0
    if verdict == reviews.CANNOT_JUDGE:
        return "unjudged", _("“{review}” → no word it knows: cannot judge").format(review=review)
    if verdict == reviews.TOO_FEW_KNOWN:
        return "unjudged", ngettext("“{review}” → p = {p} from {known} known word: too few to judge",
                                    "“{review}” → p = {p} from {known} known words: too few to judge",
                                    known).format(review=review, p=p, known=_plain(known))
    if verdict == reviews.MOSTLY_UNKNOWN:
        return "unjudged", _("“{review}” → p = {p}, but it knows only {known} of the {read} words it read "
                             "(not English?): cannot judge").format(
            review=review, p=p, known=_plain(known), read=_plain(row["words read"]))
    if verdict == reviews.UNDECIDED:
        outcome, part = "undecided", _("“{review}” → p = {p}, undecided").format(review=review, p=p)
    elif verdict == ("positive" if want else "negative"):
        outcome, part = "right", _("“{review}” → p = {p}, right").format(review=review, p=p)
    else:
        outcome, part = "wrong", _("“{review}” → p = {p}, **wrong**").format(review=review, p=p)
    if {"words", "words read", "known words"} <= set(row.index):
        counts = dict(part=part, read=fmt_int(int(row["words read"])), words=fmt_int(int(row["words"])),
                      known=fmt_int(known))
        if row["words read"] < row["words"]:
            cut = (_("{part} (it read the first {read} of {words} words, {known} of them known)")
                   if truncating == "post" else
                   _("{part} (it read the last {read} of {words} words, {known} of them known)"))
            part = cut.format(**counts)
        else:
            part = _("{part} ({known} of {words} words known)").format(**counts)
    return outcome, part


def verdicts(table: pd.DataFrame, expected: Sequence[int], model: str) -> str:
    """Which of a few hand-written reviews a model gets right (``expected``: 1 positive, 0 negative).

    Parameters
    ----------
    table : pandas.DataFrame
        ``predict_reviews``' table (``review``, ``p(positive)``, ``verdict``; with ``words``,
        ``words read`` and ``known words`` the sentence also says where a long review was cut).
    expected : sequence of int
        The label each review deserves.
    model : str
        The model's name, as the sentence shows it.

    Returns
    -------
    str
        Markdown: how many are right and wrong; an "undecided" review (p near 0.5) and one the
        model cannot judge (no, or too few, known words) are counted apart, never right or wrong.

    Raises
    ------
    ValueError
        If ``expected`` does not hold one label per review.
    """
    from . import reviews

    if len(expected) != len(table):
        raise ValueError(f"expected has {len(expected)} labels for {len(table)} reviews.")
    truncating = table.attrs.get("truncating", "pre")
    outcomes, parts = [], []
    for (_row, row), want in zip(table.iterrows(), expected):
        outcome, part = _review_part(row, want, truncating)
        outcomes.append(outcome)
        parts.append(part)
    right, wrong = outcomes.count("right"), outcomes.count("wrong")
    undecided, unjudged = outcomes.count("undecided"), outcomes.count("unjudged")
    values = dict(model=model, right=_plain(right), wrong=_plain(wrong), total=_plain(len(parts)),
                  parts="; ".join(parts))
    if not undecided and not unjudged:
        return _("`{model}` gets {right} of {total} right: {parts}.").format(**values)
    apart = []
    if undecided:
        apart.append(ngettext("{n} is undecided (p within {margin} of 0.5)",
                              "{n} are undecided (p within {margin} of 0.5)", undecided).format(
            n=_plain(undecided), margin=fmt_number(reviews.UNDECIDED_MARGIN, 1)))
    if unjudged:
        apart.append(ngettext("{n} it cannot judge (too few words it knows)",
                              "{n} it cannot judge (too few words it knows)", unjudged).format(n=_plain(unjudged)))
    return _("`{model}` gets {right} of {total} right and {wrong} wrong; {apart}, neither right nor wrong: "
             "{parts}.").format(apart="; ".join(apart), **values)


def _level(diff: float) -> bool:
    """True when a difference of two scores rounds to 0.0 points: the prose calls it level, not above
    or below (0.9078 against 0.9075 reads 0.908 and 0.908)."""
    return round(abs(float(diff)) * 100, 1) == 0


def ranking(records: pd.DataFrame, *, metric: str = "accuracy", reference: str = "tfidf_logreg",
            exclude: Sequence[str] = ("majority",)) -> str:
    """The order of the models on ``metric``, and where the classical reference stands.

    Rows of different origins (``source``: this run, the committed full run) are ranked apart,
    and the reference is compared only with neural models of its own origin and profile.

    Parameters
    ----------
    records : pandas.DataFrame
        The metrics records, indexed by model (with ``source`` when mixed).
    metric : str, default "accuracy"
        The column ranked on.
    reference : str, default "tfidf_logreg"
        The classical reference model.
    exclude : sequence of str, default ("majority",)
        Models left out of the ranking.

    Returns
    -------
    str
        Markdown.
    """
    table = records.drop(index=[m for m in exclude if m in records.index]).sort_values(metric, ascending=False)
    if table.empty:
        return _("No records yet.")
    groups = list(table.groupby("source", sort=False)) if "source" in table else [(None, table)]
    groups.sort(key=lambda item: item[0] != "this run")
    texts = []
    for source, group in groups:
        title = _("In this table") if source is None else _origin(group, group.index[0])
        title = title[0].upper() + title[1:]
        shown = [(m, fmt_number(v, 3)) for m, v in group[metric].items()]
        text = f"{title}: `{shown[0][0]}` {shown[0][1]}" + "".join(
            f" {'≈' if value == previous else '>'} `{m}` {value}" for (_m, previous), (m, value) in zip(shown, shown[1:])) + "."
        neural = group.drop(index=[reference], errors="ignore")
        if reference in group.index and len(neural) and not _different_runs(group, reference, neural.index[0]):
            best, diff = neural.index[0], group.loc[reference, metric] - neural[metric].iloc[0]
            level = _level(diff)
            template = (_(" The best neural model, `{model}`, is level with TF-IDF + logistic regression (less "
                          "than {points} points apart).") if level else
                        _(" The best neural model, `{model}`, is {points} points below TF-IDF + logistic "
                          "regression.") if diff > 0 else
                        _(" The best neural model, `{model}`, is {points} points above TF-IDF + logistic "
                          "regression."))
            text += template.format(model=best, points=fmt_number(0.05, 2) if level else fmt_number(abs(diff) * 100, 1))
        elif reference in group.index:
            text += _(" No neural model ran here to compare with TF-IDF + logistic regression.")
        texts.append(text)
    if len(groups) > 1:
        texts.append(_("Rows of different runs are ranked apart: they were trained on other data or machines."))
    return " ".join(texts)


def grid_cost(cost: Mapping[str, float], searched: Mapping[str, float], *, tuners: int = 2) -> str:
    """The full grid's cost (a ``tuning.grid_cost`` row) against the search actually run
    (``configurations`` and ``hours``, both from the notebook's table).

    Parameters
    ----------
    cost : mapping of str to float
        A :func:`course_utils.tuning.grid_cost` row.
    searched : mapping of str to float
        ``configurations`` and ``hours`` of the search run.
    tuners : int, default 2
        How many tuners shared the search.

    Returns
    -------
    str
        Markdown.
    """
    minutes = round(float(searched["hours"]) * 60)
    values = dict(grid=_plain(cost["configurations"]), folds=_plain(cost["folds"]), hours=_fixed(cost["hours"], 0),
                  tried=_plain(searched["configurations"]), minutes=_plain(minutes), tuners=_plain(tuners))
    if minutes < 1:
        template = ngettext("A full grid of {grid} configurations × {folds} folds would take about {hours} hours "
                            "here; the tuner tried {tried} configurations in under a minute, on a subset.",
                            "A full grid of {grid} configurations × {folds} folds would take about {hours} hours "
                            "here; the {tuners} tuners tried {tried} configurations in under a minute, on a subset.",
                            tuners)
    elif tuners == 1:
        template = ngettext("A full grid of {grid} configurations × {folds} folds would take about {hours} hours "
                            "here; the tuner tried {tried} configurations in about {minutes} minute, on a subset.",
                            "A full grid of {grid} configurations × {folds} folds would take about {hours} hours "
                            "here; the tuner tried {tried} configurations in about {minutes} minutes, on a subset.",
                            minutes)
    else:
        template = ngettext("A full grid of {grid} configurations × {folds} folds would take about {hours} hours "
                            "here; the {tuners} tuners tried {tried} configurations in about {minutes} minute, "
                            "on a subset.",
                            "A full grid of {grid} configurations × {folds} folds would take about {hours} hours "
                            "here; the {tuners} tuners tried {tried} configurations in about {minutes} minutes, "
                            "on a subset.", minutes)
    return template.format(**values)


def tuner_comparison(table: pd.DataFrame, *, objective: str = "val_accuracy") -> str:
    """How the tuners of a ``tuning.compare_tuners`` table spent one budget, and which found the
    better configuration: configurations, trials, epochs, time and best score, each computed; a
    tie to three decimals is a tie.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`course_utils.tuning.compare_tuners`' table.
    objective : str, default "val_accuracy"
        The score column.

    Returns
    -------
    str
        Markdown.
    """
    from .tuning import distinct_configurations

    parts, best = [], {}
    for tuner, rows in table.groupby("tuner", sort=False):
        best[tuner] = round(float(rows[objective].max()), 3)
        configs, trials = distinct_configurations(rows), len(rows)
        part = ngettext("{tuner} tried {configs} configuration", "{tuner} tried {configs} configurations",
                        configs) + " " + ngettext("in {trials} trial", "in {trials} trials", trials) + ", " + _(
            "{epochs} epochs in all ({seconds} s), and reached a best validation accuracy of {best}")
        parts.append(part.format(tuner=label(str(tuner)), configs=_plain(configs), trials=_plain(trials),
                                 epochs=_plain(rows["epochs trained"].sum()), seconds=_fixed(rows["seconds"].sum(), 0),
                                 best=_fixed(best[tuner], 3)))
    if not parts:
        return ""
    sentence = "; ".join(parts) + "."
    if len(best) == 2:
        (a, va), (b, vb) = best.items()
        if va == vb:
            sentence += " " + _("The two tuners tie on this budget.")
        else:
            verdict = _("{winner} found the better configuration here, by {gap} points of validation accuracy: "
                        "one seed and one validation split, so rerun with another seed before trusting the "
                        "difference.").format(winner=label(str(a if va > vb else b)), gap=_fixed(100 * abs(va - vb), 1))
            sentence += " " + verdict[0].upper() + verdict[1:]
    return sentence[0].upper() + sentence[1:]


def _models(names: Sequence[str]) -> str:
    """`a`, `a` and `b`, `a`, `b` and `c`."""
    quoted = [f"`{n}`" for n in names]
    if len(quoted) == 1:
        return quoted[0]
    return _("{models} and {last}").format(models=", ".join(quoted[:-1]), last=quoted[-1])


def _extremes(row: pd.Series) -> tuple[list[str], list[str]]:
    """The models at the minimum and at the maximum of ``row`` (every tied model)."""
    low, high = row.min(), row.max()
    return ([m for m, v in row.items() if np.isclose(v, low)], [m for m, v in row.items() if np.isclose(v, high)])


def behaviour(rates: pd.DataFrame, capabilities: Mapping[str, str]) -> str:
    """Per check, which models fail least and most (``rates``: checks x models, shares failed).

    Ties are stated as ties: every model at the extreme is named.

    Parameters
    ----------
    rates : pandas.DataFrame
        Checks x models, the share of sentences failed.
    capabilities : mapping of str to str
        The capability each check tests.

    Returns
    -------
    str
        Markdown, one sentence per check.
    """
    if rates.empty or rates.shape[1] == 0:
        return _("No model has been checked yet.")
    lines = []
    for check, row in rates.iterrows():
        row = row.dropna()
        best, worst = _extremes(row)
        values = dict(check=label(check), capability=label(capabilities.get(check, "")),
                      low=fmt_percent(row.min(), 0), high=fmt_percent(row.max(), 0),
                      best=_models(best), worst=_models(worst))
        if np.isclose(row.min(), row.max()):
            lines.append(_("- *{check}* ({capability}): every model fails {low}.").format(**values))
        else:
            lines.append(ngettext("- *{check}* ({capability}): {best} fails least ({low}), {worst} most ({high}).",
                                  "- *{check}* ({capability}): {best} fail least ({low}), {worst} most ({high}).",
                                  len(best)).format(**values))
    mean = rates.mean()
    best, worst = _extremes(mean)
    values = dict(low=fmt_percent(mean.min(), 0), high=fmt_percent(mean.max(), 0), best=_models(best),
                  worst=_models(worst))
    if np.isclose(mean.min(), mean.max()):
        lines.append("\n" + _("Over all checks, every model fails {low} of sentences on average.").format(**values))
    else:
        lines.append("\n" + ngettext(
            "Over all checks, {best} fails least ({low} of sentences on average) and {worst} most ({high}).",
            "Over all checks, {best} fail least ({low} of sentences on average) and {worst} most ({high}).",
            len(best)).format(**values))
    return "\n".join(lines)


#: The capabilities whose sentences turn on word order ("not good", "bad, but good").
WORD_ORDER_CAPABILITIES = ("negation", "contrast")


def no_trained_model() -> str:
    """What a comparison says when the output folder holds no trained model (09 opened alone)."""
    return _("No trained model in this output folder: run notebooks 03–07 first.")


def no_seed_table() -> str:
    """What the seed section says before ``make seeds`` has written its table.

    Returns
    -------
    str
        Markdown.
    """
    return _("No seed table is committed yet: `make seeds` writes one.")


def word_order(rates: pd.DataFrame, capabilities: Mapping[str, str], *, order_free: str = "dense") -> str:
    """Does reading word order help on the checks that need it? Answered from ``rates``.

    ``order_free`` is a model that cannot see order (``dense`` averages its word vectors); the
    other columns are models that read in order. Each order check says who fails less, and the
    conclusion counts the checks where some order-reading model beats the order-free one.

    Parameters
    ----------
    rates : pandas.DataFrame
        Checks x models, the share of sentences failed.
    capabilities : mapping of str to str
        The capability each check tests.
    order_free : str, default "dense"
        The column of the model that cannot see order.

    Returns
    -------
    str
        Markdown.
    """
    checks = [c for c in rates.index if capabilities.get(c) in WORD_ORDER_CAPABILITIES]
    if not checks:
        return ""
    if order_free not in rates.columns:
        return _("`{model}` (which cannot see word order) has not run into this output folder, so this run cannot "
                 "say whether reading word order helps on negation and contrast.").format(model=order_free)
    readers = [m for m in rates.columns if m != order_free]
    if not readers:
        return _("Only `{model}` has run here: no model that reads word order to compare it with.").format(
            model=order_free)
    helped, lines = [], []
    for check in checks:
        free = float(rates.loc[check, order_free])
        row = rates.loc[check, readers].dropna()
        best = [m for m, v in row.items() if np.isclose(v, row.min())]
        if row.min() < free and not np.isclose(row.min(), free):
            helped.append(check)
            verdict = ngettext("{models} fails less ({rate})", "{models} fail less ({rate})", len(best)).format(
                models=_models(best), rate=fmt_percent(row.min(), 0))
        else:
            verdict = _("no model that reads in order fails less (the best: {rate})").format(
                rate=fmt_percent(row.min(), 0))
        lines.append(_("- *{check}*: `{model}` fails {rate}; {verdict}.").format(
            check=label(check), model=order_free, rate=fmt_percent(free, 0), verdict=verdict))
    values = dict(helped=_plain(len(helped)), checks=_plain(len(checks)), model=order_free)
    if len(helped) == len(checks):
        end = _("Reading word order helped on every one of these {checks} checks in this run.").format(**values)
    elif helped:
        end = ngettext("Reading word order helped on {helped} of these {checks} checks in this run; on the other, "
                       "`{model}`, which sees no order at all, did as well or better, so what decided it was not word "
                       "order.",
                       "Reading word order helped on {helped} of these {checks} checks in this run; on the others, "
                       "`{model}`, which sees no order at all, did as well or better, so what decided them was not "
                       "word order.", len(checks) - len(helped)).format(**values)
    else:
        end = _("Reading word order helped on none of these {checks} checks in this run: `{model}`, which sees no "
                "order at all, did as well or better on each.").format(**values)
    return "\n".join(lines) + "\n\n" + end


def verdicts_compared(tables: Mapping[str, pd.DataFrame], expected: Sequence[int]) -> str:
    """How many of the same hand-written reviews each model gets right, and who gets more.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        ``predict_reviews``' table of each model, by model name.
    expected : sequence of int
        The label each review deserves.

    Returns
    -------
    str
        Markdown.

    Raises
    ------
    ValueError
        If ``expected`` does not hold one label per review of a table.
    """
    right = {}
    for model, table in tables.items():
        if len(expected) != len(table):
            raise ValueError(f"expected has {len(expected)} labels for {len(table)} reviews of `{model}`.")
        want = np.where(np.asarray(expected) == 1, "positive", "negative")
        right[model] = int((table["verdict"].to_numpy() == want).sum())
    if len(right) < 2:
        return ""
    counts = pd.Series(right)
    _fewest, best = _extremes(counts)  # best: the most reviews right
    parts = ", ".join(_("`{model}` {right} of {total}").format(model=m, right=_plain(n), total=_plain(len(expected)))
                      for m, n in right.items())
    if np.isclose(counts.min(), counts.max()):
        return _("On these reviews: {parts}. Neither model reads them better than the other here.").format(parts=parts)
    return ngettext("On these reviews: {parts}. {best} reads them best here.",
                    "On these reviews: {parts}. {best} read them best here.", len(best)).format(
        parts=parts, best=_models(best))


def learning_curve(training, model: str) -> str:
    """What the curves show: the epoch whose weights training kept, and how far training went
    beyond it. ``training`` is a :class:`course_utils.training.TrainingResult`: the kept epoch is
    its ``best_epoch``, the one early stopping restored, not a guess from the history.

    Parameters
    ----------
    training : TrainingResult
        The fit's result (its ``history`` and ``best_epoch``).
    model : str
        The model's name, as the sentence shows it.

    Returns
    -------
    str
        Markdown.

    Raises
    ------
    ValueError
        If the kept epoch is not in the history.
    """
    history = training.history
    val = list(history.get("val_accuracy", []))
    train = list(history.get("accuracy", []))
    if not val or not train:
        return _("`{model}` has no validation history.").format(model=model)
    kept = int(training.best_epoch)
    if not 1 <= kept <= len(val):
        raise ValueError(f"the kept epoch {kept} is not among the {len(val)} epochs of the history.")
    values = dict(model=model, first=fmt_number(train[0], 3), last=fmt_number(train[-1], 3),
                  epochs=_plain(len(train)), best=_plain(kept), val=fmt_number(val[kept - 1], 3))
    val_loss = list(history.get("val_loss", []))
    if val_loss and kept == int(np.argmin(val_loss)) + 1:
        text = ngettext("`{model}`: training accuracy went from {first} to {last} over {epochs} epoch; validation loss "
                        "was lowest after epoch {best} (validation accuracy {val}), and those are the weights kept.",
                        "`{model}`: training accuracy went from {first} to {last} over {epochs} epochs; validation "
                        "loss was lowest after epoch {best} (validation accuracy {val}), and those are the weights "
                        "kept.", len(train)).format(**values)
    else:  # a later epoch lowered the loss by less than early stopping's min_delta
        text = ngettext("`{model}`: training accuracy went from {first} to {last} over {epochs} epoch; the weights "
                        "kept are those of epoch {best} (validation accuracy {val}).",
                        "`{model}`: training accuracy went from {first} to {last} over {epochs} epochs; the weights "
                        "kept are those of epoch {best} (validation accuracy {val}).", len(train)).format(**values)
    if train[-1] - val[-1] > 0.02:
        text += _(" By the last epoch training accuracy is {points} points above validation accuracy: the model "
                  "has started to memorise its training reviews.").format(
            points=fmt_number(100 * (train[-1] - val[-1]), 1))
    return text


def truncation(share_cut: float, maxlen: int) -> str:
    """How many reviews the chosen ``maxlen`` cuts.

    Parameters
    ----------
    share_cut : float
        The share of reviews longer than ``maxlen``.
    maxlen : int
        The chosen length.

    Returns
    -------
    str
        Markdown.
    """
    return _("With `maxlen = {maxlen}`, {cut} of the training reviews lose tokens (their beginnings, with "
             "`truncating=\"pre\"`); the other {kept} are kept whole.").format(
        maxlen=maxlen, cut=fmt_percent(share_cut, 1), kept=fmt_percent(1 - share_cut, 1))


def _code_list(items: Sequence[str]) -> str:
    return ", ".join(f"`{item}`" for item in items)


def vocabulary(words: Sequence[str], first: int = 15) -> str:
    """The vocabulary's size and its first entries (padding, unknown, then the most frequent).

    Parameters
    ----------
    words : sequence of str
        The vocabulary's words, by index.
    first : int, default 15
        How many entries to show.

    Returns
    -------
    str
        Markdown.
    """
    return _("The vocabulary has {n} entries; the first ones: {words}.").format(
        n=fmt_int(len(words)), words=_code_list(words[:first]))


def encoded_shapes(x_train: np.ndarray, x_test: np.ndarray, vocab_size: int) -> str:
    """The shapes of the encoded splits and the vocabulary size.

    Parameters
    ----------
    x_train, x_test : numpy.ndarray
        The encoded splits.
    vocab_size : int
        The vocabulary's size.

    Returns
    -------
    str
        Markdown.
    """
    return _("Training inputs of shape {train}, test inputs of shape {test}, a vocabulary of {n} entries.").format(
        train=f"`{tuple(x_train.shape)}`", test=f"`{tuple(x_test.shape)}`", n=fmt_int(vocab_size))


def lstm_parameters(units: int, inputs: int, keras_count: int) -> str:
    """An LSTM layer's parameters by the formula, against the count Keras reports.

    Parameters
    ----------
    units : int
        The LSTM's units.
    inputs : int
        The width of its input vectors.
    keras_count : int
        The parameters Keras counts for the layer.

    Returns
    -------
    str
        Markdown.
    """
    formula = 4 * (units * (inputs + units) + units)
    return _("LSTM layer: 4 weight blocks (3 gates and the candidate) × (u·(d+u) + u) = 4 × ({u}·({d}+{u}) + {u}) = "
             "{formula} parameters (Keras counts {keras}).").format(u=units, d=inputs, formula=fmt_int(formula), keras=fmt_int(keras_count))


def glove_loaded(words: int, dim: int, source: str) -> str:
    """What was loaded from GloVe.

    Parameters
    ----------
    words : int
        Vectors loaded.
    dim : int
        Their width.
    source : str
        Where they came from.

    Returns
    -------
    str
        Markdown.
    """
    return _("{words} words × {dim} dimensions from {source}.").format(words=fmt_int(words), dim=dim, source=source)


def glove_coverage(share: float, words: int) -> str:
    """The share of the vocabulary's words with a GloVe vector.

    Parameters
    ----------
    share : float
        The covered share, 0 to 1.
    words : int
        The vocabulary's real words.

    Returns
    -------
    str
        Markdown.
    """
    return _("{share} of our {n} words have a GloVe vector.").format(share=fmt_percent(share, 1), n=fmt_int(words))


def words_without_vector(words: Sequence[str]) -> str:
    """The most frequent words GloVe has no vector for.

    Parameters
    ----------
    words : sequence of str
        The vocabulary's words without a vector, most frequent first.

    Returns
    -------
    str
        Markdown.
    """
    return _("The most frequent words without a vector: {words}.").format(words=_code_list(words))


def neighbours_moved(table: pd.DataFrame) -> str:
    """What fine-tuning did to each word's nearest neighbours, read from 08's table.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``(word, "before")`` and ``(word, "after")``, one neighbour a row (08's
        neighbours table).

    Returns
    -------
    str
        One sentence naming, per word, the neighbours it lost and gained (or that it kept them
        all); empty for a table without columns.
    """
    parts = []
    for word in dict.fromkeys(w for w, _when in table.columns):
        before, after = list(table[(word, "before")]), list(table[(word, "after")])
        gone, came = [w for w in before if w not in after], [w for w in after if w not in before]
        if not gone:
            parts.append(_("*{word}* keeps all {k} of its neighbours").format(word=word, k=_plain(len(before))))
        else:
            parts.append(_("*{word}* trades {gone} for {came}").format(word=word, gone=_words(gone),
                                                                            came=_words(came)))
    return _("Fine-tuning moved the neighbourhoods: {parts}.").format(parts="; ".join(parts)) if parts else ""


def matrix_shape(shape: tuple[int, ...]) -> str:
    """The embedding matrix's shape, rows first.

    Parameters
    ----------
    shape : tuple of int
        The matrix's shape.

    Returns
    -------
    str
        Markdown.
    """
    return _("Embedding matrix of shape {shape}: one row per vocabulary entry, one column per dimension.").format(
        shape=f"`{tuple(shape)}`")


def search_budget(budget) -> str:
    """The epochs each tuner gets (a ``tuning.SearchBudget``): the same for both.

    Parameters
    ----------
    budget : SearchBudget
        :func:`course_utils.tuning.search_budget`'s result.

    Returns
    -------
    str
        Markdown.
    """
    return _("Budget: {hb_epochs} epochs for Hyperband ({hb_trials} trials), {rs_epochs} for random search "
             "({rs_trials} trials of {max_epochs} epochs).").format(
        hb_epochs=fmt_int(budget.hyperband_epochs), hb_trials=fmt_int(budget.hyperband_trials),
        rs_epochs=fmt_int(budget.random_epochs), rs_trials=fmt_int(budget.random_trials),
        max_epochs=fmt_int(budget.max_epochs))


def bucketing(cost: dict, maxlen: int, batch_size: int) -> str:
    """What padding costs per epoch, fixed-length batches against length buckets.

    ``cost`` is :func:`course_utils.batching.padding_cost`'s result for the training reviews.

    Parameters
    ----------
    cost : dict
        :func:`course_utils.batching.padding_cost`'s result.
    maxlen : int
        The fixed batches' length.
    batch_size : int
        Reviews per batch.

    Returns
    -------
    str
        Markdown.
    """
    return _("In batches of {batch} reviews padded to `maxlen = {maxlen}`, one epoch over the training reviews "
             "takes {fixed} recurrent steps, {fixed_pad} of them on padding. In length buckets it takes "
             "{bucketed} ({bucketed_pad} padding): {ratio}× the steps, and every review gets the same outputs.").format(
        batch=fmt_int(batch_size), maxlen=maxlen, fixed=fmt_int(cost["fixed_steps"]),
        fixed_pad=fmt_percent(cost["fixed_padding"], 0), bucketed=fmt_int(cost["bucketed_steps"]),
        bucketed_pad=fmt_percent(cost["bucketed_padding"], 0), ratio=fmt_number(cost["ratio"], 2))


def precision_recall(records: pd.DataFrame, models: Sequence[str]) -> str:
    """Which of ``models`` over- or under-predicts the positive class, read from precision and recall.

    Parameters
    ----------
    records : pandas.DataFrame
        The metrics records, indexed by model.
    models : sequence of str
        The models the sentence is about.

    Returns
    -------
    str
        Markdown.
    """
    parts = []
    for model in models:
        if model not in records.index:
            continue
        p, r = records.loc[model, "precision"], records.loc[model, "recall"]
        template = (_("`{model}` (precision {p}, recall {r}) calls too few reviews positive (recall below "
                      "precision)") if r < p - 0.02 else
                    _("`{model}` (precision {p}, recall {r}) calls too many reviews positive (precision below "
                      "recall)") if p < r - 0.02 else
                    _("`{model}` (precision {p}, recall {r}) is balanced between the classes"))
        parts.append(template.format(model=model, p=fmt_number(p, 3), r=fmt_number(r, 3)))
    return "; ".join(parts) + "." if parts else ""


def sources(records: pd.DataFrame) -> str:
    """Which rows of a comparison come from this run and which from the committed full run.

    Parameters
    ----------
    records : pandas.DataFrame
        A comparison table with a ``source`` column.

    Returns
    -------
    str
        Markdown (empty when every row is this run's).
    """
    if "source" not in records or (records["source"] == "this run").all():
        return ""
    committed = [f"`{m}`" for m in records.index[records["source"] != "this run"]]
    return _("> {committed} of {total} rows come from the **committed full-profile run**, because their "
             "notebooks have not run into this output folder: {models}. The other rows are this run's.").format(
        committed=_plain(len(committed)), total=_plain(len(records)), models=", ".join(committed))
