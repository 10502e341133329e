"""Results of the committed full-profile run that travel with the package, so that a notebook
run alone (e.g. in Colab) can show them, labelled as such: ``reference_records.json`` (every
model's metrics record, written by ``make outputs``) and ``seed_spread.csv`` (``make seeds``)."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

FOLDER = Path(__file__).resolve().parent
RECORDS = FOLDER / "reference_records.json"
SPREAD = FOLDER / "seed_spread.csv"
#: The profile every committed result was trained in.
PROFILE = "full"


def seed_spread() -> pd.DataFrame | None:
    """The committed seed table (model, metric, runs, mean, sd, min, max, tolerance), if any.

    Returns
    -------
    pandas.DataFrame or None
        The table, or None before ``make seeds`` has written it.
    """
    return pd.read_csv(SPREAD) if SPREAD.exists() else None


def seed_table(spread: pd.DataFrame, records: pd.DataFrame, metric: str = "accuracy") -> pd.DataFrame:
    """The committed seed statistics of ``metric`` beside this run's value, per model.

    The ``this run`` column holds a value only for rows this runtime trained (``source`` "this
    run") in the committed profile: a committed row is not a result of this run, and a smoke
    row was trained on other data, so neither belongs next to the committed spread.

    Parameters
    ----------
    spread : pandas.DataFrame
        :func:`seed_spread`'s table.
    records : pandas.DataFrame
        This run's metrics records, indexed by model (with ``source``).
    metric : str, default "accuracy"
        The metric shown.

    Returns
    -------
    pandas.DataFrame
        Per model: the committed statistics and ``this run``.
    """
    table = spread[spread["metric"] == metric].set_index("model")[["runs", "mean", "sd", "min", "max"]]
    mine = records
    if "source" in mine:
        mine = mine[mine["source"] == "this run"]
    if "profile" in mine:
        mine = mine[mine["profile"] == PROFILE]
    return table.assign(**{"this run": mine[metric].reindex(table.index)})


def summary() -> pd.DataFrame:
    """The committed run, best first: one row per model with its notebook, accuracy, F1 and
    ROC-AUC, and the seed table's accuracy runs, mean and sd (``NaN`` where a model has no spread,
    e.g. the deterministic TF-IDF reference). README's table and the website's results page are
    drawn from this one frame."""
    records = pd.DataFrame(json.loads(RECORDS.read_text(encoding="utf-8")))
    table = records.set_index("model")[["notebook", "backend", "profile", "accuracy", "f1", "roc_auc"]]
    spread = seed_spread()
    seeds = pd.DataFrame(columns=["seed_runs", "seed_mean", "seed_sd"], dtype=float)
    if spread is not None:
        acc = spread[spread["metric"] == "accuracy"].set_index("model")
        acc = acc[(acc["runs"] >= 2) & acc["sd"].map(lambda v: math.isfinite(v))]
        seeds = acc[["runs", "mean", "sd"]].set_axis(["seed_runs", "seed_mean", "seed_sd"], axis=1)
    table = table.join(seeds, how="left")
    return table.sort_values(["accuracy"], ascending=False, kind="stable")
