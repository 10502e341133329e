"""Results of the committed full-profile run that travel with the package, so that a notebook
run alone (e.g. in Colab) can show them, labelled as such: ``reference_records.json`` (every
model's metrics record, written by ``make outputs``) and ``seed_spread.csv`` (``make seeds``)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

FOLDER = Path(__file__).resolve().parent
RECORDS = FOLDER / "reference_records.json"
SPREAD = FOLDER / "seed_spread.csv"


def seed_spread() -> pd.DataFrame | None:
    """The committed seed table (model, metric, runs, mean, sd, min, max, tolerance), if any."""
    return pd.read_csv(SPREAD) if SPREAD.exists() else None
