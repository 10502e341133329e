"""A small, budgeted random search, and what a full grid search would have cost."""
from __future__ import annotations

import itertools
import math
import time
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from .training import fit_model, seed_everything


def sample_configs(space: Mapping[str, Sequence], n: int, *, seed: int) -> list[dict]:
    """``n`` distinct configurations drawn uniformly from a grid ``space`` (seeded)."""
    grid = list(itertools.product(*space.values()))
    if n < 1:
        raise ValueError(f"n must be positive, got {n}.")
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(grid), size=min(n, len(grid)), replace=False)
    return [dict(zip(space, grid[i])) for i in picks]


def grid_size(space: Mapping[str, Sequence]) -> int:
    """Number of configurations in the full grid."""
    return math.prod(len(v) for v in space.values())


def random_search(build: Callable[..., object], space: Mapping[str, Sequence], x, y, *, n_trials: int,
                  epochs: int, batch_size: int, seed: int, budget_seconds: float | None = None,
                  validation_fraction: float = 0.2) -> pd.DataFrame:
    """Train ``build(**config)`` for sampled configs; start no new trial once the budget is spent
    (the first trial always runs).

    Returns one row per trial: the configuration, best validation accuracy and seconds.
    """
    rows = []
    start = time.perf_counter()
    for i, cfg in enumerate(sample_configs(space, n_trials, seed=seed)):
        if i and budget_seconds is not None and time.perf_counter() - start > budget_seconds:
            break
        seed_everything(seed + i)
        model = build(**cfg)
        result = fit_model(model, x, y, epochs=epochs, batch_size=batch_size, seed=seed,
                           validation_fraction=validation_fraction, patience=epochs, verbose=False)
        rows.append({**cfg, "val_accuracy": max(result.history["val_accuracy"]),
                     "seconds": round(result.train_seconds, 2)})
    return pd.DataFrame(rows).sort_values("val_accuracy", ascending=False).reset_index(drop=True)


def grid_cost(space: Mapping[str, Sequence], seconds_per_config: float, *, folds: int = 1) -> dict[str, float]:
    """What the full grid would cost at the measured seconds per configuration."""
    configs = grid_size(space)
    total = configs * folds * seconds_per_config
    return {"configurations": configs, "folds": folds, "seconds per configuration": round(seconds_per_config, 2),
            "hours": round(total / 3600, 2)}


def stratified_subset(x, y, n: int, *, seed: int):
    """A seeded, class-balanced subset of ``n`` rows (IMDB arrays are sorted by label:
    ``x[:n]`` would hold one class only)."""
    from sklearn.model_selection import train_test_split

    y = np.asarray(y)
    if n >= len(y):
        return x, y
    x_sub, _, y_sub, _ = train_test_split(x, y, train_size=n, random_state=seed, stratify=y)
    return x_sub, y_sub
