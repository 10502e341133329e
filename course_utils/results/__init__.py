"""Results of the committed full-profile run that travel with the package, so that a notebook
run alone (e.g. in Colab) can show them, labelled as such: ``reference_records.json`` (every
model's metrics record, written by ``make outputs``) and ``seed_spread.csv`` (``make seeds``)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

FOLDER = Path(__file__).resolve().parent
RECORDS = FOLDER / "reference_records.json"
SPREAD = FOLDER / "seed_spread.csv"
#: The profile every committed result was trained in.
PROFILE = "full"


def seed_spread() -> pd.DataFrame | None:
    """The committed seed table (model, metric, runs, mean, sd, min, max, tolerance), if any."""
    return pd.read_csv(SPREAD) if SPREAD.exists() else None


def seed_table(spread: pd.DataFrame, records: pd.DataFrame, metric: str = "accuracy") -> pd.DataFrame:
    """The committed seed statistics of ``metric`` beside this run's value, per model.

    The ``this run`` column holds a value only for rows this runtime trained (``source`` "this
    run") in the committed profile: a committed row is not a result of this run, and a smoke
    row was trained on other data, so neither belongs next to the committed spread.
    """
    table = spread[spread["metric"] == metric].set_index("model")[["runs", "mean", "sd", "min", "max"]]
    mine = records
    if "source" in mine:
        mine = mine[mine["source"] == "this run"]
    if "profile" in mine:
        mine = mine[mine["profile"] == PROFILE]
    return table.assign(**{"this run": mine[metric].reindex(table.index)})
