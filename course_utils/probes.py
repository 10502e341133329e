"""Measurements that show *why* a model behaves as it does (backend-neutral: forward passes only)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .evaluation import predict_scores
from .text import PAD


def accuracy_by_length(y_true, y_score, lengths, bins=(0, 100, 200, 300, 500, 10_000),
                       threshold: float = 0.5) -> pd.DataFrame:
    """Test accuracy per bucket of review length (in tokens, before truncation).

    Parameters
    ----------
    y_true : array-like of int
        The labels.
    y_score : array-like of float
        p(positive) for each review.
    lengths : array-like of int
        Tokens per review.
    bins : sequence of int, default (0, 100, 200, 300, 500, 10000)
        The bucket edges.
    threshold : float, default 0.5
        Scores at or above it are positive predictions.

    Returns
    -------
    pandas.DataFrame
        Per bucket: ``reviews`` and ``accuracy``.
    """
    y_true = np.asarray(y_true).ravel()
    correct = (np.asarray(y_score).ravel() >= threshold).astype(int) == y_true
    buckets = pd.cut(np.asarray(lengths), bins=list(bins), right=False)
    frame = pd.DataFrame({"bucket": buckets, "correct": correct})
    table = frame.groupby("bucket", observed=True).correct.agg(reviews="size", accuracy="mean")
    table.index = [f"{int(i.left)}–{int(i.right) - 1}" if i.right < bins[-1] else f"{int(i.left)}+"
                   for i in table.index]
    table.index.name = "tokens"
    return table


def position_sensitivity(model, x: np.ndarray, *, window: int = 16, n_windows: int = 12,
                         sample: int = 256, seed: int = 0, fill: int = PAD) -> pd.Series:
    """How much the prediction moves when a window of tokens is removed, by distance from the end.

    For each window (counted back from the last token), the tokens there are replaced by
    ``fill`` in ``sample`` reviews and the mean absolute change in p(positive) is recorded.
    The default, padding, removes the words for a model that masks padding (its recurrent
    layers skip those steps); ``fill=OOV`` would instead insert "unknown word" vectors,
    which a model trained with ``drop_unknown`` has never learned. A model with short
    memory reacts only to the last windows.

    Parameters
    ----------
    model : keras.Model
        A trained classifier.
    x : numpy.ndarray
        Encoded reviews (pre-padded: their last tokens at the end).
    window : int, default 16
        Tokens per window.
    n_windows : int, default 12
        How many windows, counted back from the end.
    sample : int, default 256
        Reviews used.
    seed : int, default 0
        Seed of the sample.
    fill : int, default 0
        The index written over a window (0: padding).

    Returns
    -------
    pandas.Series
        Mean absolute change in p(positive), by window (its distance from the end).

    Raises
    ------
    ValueError
        If ``window`` or ``n_windows`` is not positive.
    """
    if window < 1 or n_windows < 1:
        raise ValueError("window and n_windows must be positive.")
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(x), size=min(sample, len(x)), replace=False)
    x = np.asarray(x)[np.sort(rows)]
    maxlen = x.shape[1]
    base = predict_scores(model, x)
    out = {}
    for k in range(n_windows):
        end = maxlen - k * window
        start = max(0, end - window)
        if end <= 0:
            break
        occluded = x.copy()
        block = occluded[:, start:end]
        block[block != PAD] = fill
        has_tokens = (x[:, start:end] != PAD).any(axis=1)
        if not has_tokens.any():
            continue
        delta = np.abs(predict_scores(model, occluded) - base)
        out[maxlen - end] = float(delta[has_tokens].mean())
    series = pd.Series(out, name="mean |Δ p(positive)|")
    series.index.name = "tokens before the end"
    return series
