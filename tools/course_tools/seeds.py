"""Run-to-run spread of every model's test metrics over seeds, and the tolerances derived from it.

``python -m course_tools.seeds RUN_DIR [RUN_DIR ...] --output notebooks/seed_spread.csv``
reads the metrics records of several runs of the same notebooks (the committed run and
``make seeds``' extra seeds) and writes one row per model and metric: runs, mean, sd, min, max,
and the tolerance ``max(0.01, 4 sd)`` that ``make validate`` allows a re-run. With
``--add-to TABLE`` the runs join an existing table instead (a seed trained later, alone); with
``--retrained-in TABLE`` the models every run holds (one notebook retrained with every seed)
replace their rows of that table and the other models keep theirs.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from collections.abc import Sequence

import numpy as np
import pandas as pd

from course_utils.evaluation import load_records
from course_utils.fileio import write_text_atomic

METRICS = ("accuracy", "f1", "roc_auc")
TOLERANCE_FLOOR = 0.01
SD_FACTOR = 4.0


def tolerance(runs: int, sd: float) -> float:
    """What ``make validate`` allows a re-run: ``max(TOLERANCE_FLOOR, SD_FACTOR * sd)``, the floor for one run."""
    return max(TOLERANCE_FLOOR, SD_FACTOR * sd) if runs > 1 else TOLERANCE_FLOOR


def spread(run_dirs: Sequence[str | os.PathLike], metrics: Sequence[str] = METRICS) -> pd.DataFrame:
    """One row per (model, metric) over the runs: runs, mean, sd, min, max, tolerance.

    ``sd`` is the sample standard deviation (NaN for a single run); ``tolerance`` is
    ``max(TOLERANCE_FLOOR, SD_FACTOR * sd)``, or the floor where a model ran once.
    """
    frames = []
    for run in run_dirs:
        records = load_records(run)
        if records.empty:
            raise ValueError(f"{run} has no metrics records (did the notebooks run into it?).")
        frames.append(records[list(metrics)].assign(run=str(run)))
    table = pd.concat(frames).reset_index().melt(id_vars=["model", "run"], var_name="metric")
    rows = []
    for (model, metric), group in table.groupby(["model", "metric"], sort=True):
        values = group["value"].to_numpy(dtype=float)
        sd = float(np.std(values, ddof=1)) if len(values) > 1 else float("nan")
        rows.append({"model": model, "metric": metric, "runs": len(values), "mean": values.mean(), "sd": sd,
                     "min": values.min(), "max": values.max(),
                     "tolerance": tolerance(len(values), sd)})
    return pd.DataFrame(rows)


def add_runs(table: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Pool the seed table ``table`` with ``new`` (from :func:`spread` over more runs), exactly.

    Counts, means and sums of squared deviations add up, so runs trained later (another
    seed of one notebook) join the committed table without its earlier run folders:
    ``SS = SS_1 + SS_2 + n_1 n_2 / n (mean_1 - mean_2)^2``. Rows only in one table are kept.
    """
    key = ["model", "metric"]
    both = table.merge(new, on=key, how="outer", suffixes=("_1", "_2"))
    rows = []
    for r in both.itertuples(index=False):
        parts = [(getattr(r, f"runs_{i}"), getattr(r, f"mean_{i}"), getattr(r, f"sd_{i}"), getattr(r, f"min_{i}"),
                  getattr(r, f"max_{i}")) for i in (1, 2)]
        parts = [(int(n), m, 0.0 if n < 2 or pd.isna(sd) else float(sd), lo, hi)
                 for n, m, sd, lo, hi in parts if not pd.isna(n)]
        if len(parts) == 1:  # in one table only: its row as it was
            source = table if pd.isna(r.runs_2) else new
            rows.append(source.set_index(key).loc[(r.model, r.metric)].to_dict() | {"model": r.model, "metric": r.metric})
            continue
        n = sum(p[0] for p in parts)
        mean = sum(p[0] * p[1] for p in parts) / n
        ss = sum((p[0] - 1) * p[2] ** 2 + p[0] * (p[1] - mean) ** 2 for p in parts)
        sd = float(np.sqrt(ss / (n - 1))) if n > 1 else float("nan")
        rows.append({"model": r.model, "metric": r.metric, "runs": n, "mean": mean, "sd": sd,
                     "min": min(p[3] for p in parts), "max": max(p[4] for p in parts),
                     "tolerance": tolerance(n, sd)})
    pooled = pd.DataFrame(rows, columns=list(table.columns)).sort_values(key, ignore_index=True)
    return pooled.astype({"runs": int})


def replace_retrained(table: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """``table`` with the rows of the models ``new`` measured in all its runs put in their place.

    For a notebook retrained with every seed (its models changed; the others did not): the seed
    runs hold only its models, the committed run holds every model, so the models in all runs
    are the retrained ones. Their rows are replaced; every other row stays the one ``table``
    pooled (a model in only some of the runs, the committed run's others, is not re-measured).
    """
    runs = int(new["runs"].max())
    retrained = new[new["runs"] == runs]
    kept = table[~table["model"].isin(set(retrained["model"]))]
    merged = pd.concat([kept, retrained[list(table.columns)]], ignore_index=True)
    return merged.sort_values(["model", "metric"], ignore_index=True).astype({"runs": int})


def read_spread(path: str | os.PathLike) -> pd.DataFrame | None:
    """The committed seed table, or None where it does not exist."""
    path = Path(path)
    return pd.read_csv(path) if path.exists() else None


def tolerances(table: pd.DataFrame | None) -> dict[tuple[str, str], float]:
    """``{(model, metric): tolerance}`` from a seed table (empty without one)."""
    if table is None:
        return {}
    return {(r.model, r.metric): float(r.tolerance) for r in table.itertuples()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="output folders of runs with different seeds")
    parser.add_argument("--output", required=True)
    parser.add_argument("--add-to", default=None,
                        help="a committed seed table to pool these runs with (runs of seeds it does not hold)")
    parser.add_argument("--retrained-in", default=None,
                        help="a committed seed table whose rows of the models every run holds are replaced "
                             "(a notebook retrained with every seed); its other rows stay")
    args = parser.parse_args(argv)
    if args.add_to and args.retrained_in:
        parser.error("--add-to pools new runs, --retrained-in replaces rows: give one of them")
    try:
        table = spread(args.runs)
    except ValueError as exc:  # a run folder without records: say which, without a traceback
        parser.error(str(exc))
    option, path, merge = (("--add-to", args.add_to, add_runs) if args.add_to else
                           ("--retrained-in", args.retrained_in, replace_retrained))
    if path:
        base = read_spread(path)
        if base is None:
            parser.error(f"{option} {path}: no such seed table")
        table = merge(base, table)
    write_text_atomic(args.output, table.round(5).to_csv(index=False))
    print(table.round(4).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
