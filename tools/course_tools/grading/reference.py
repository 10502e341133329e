"""Reference data for grading: the data a sandbox may see, and assignment 2's held-out reviews.

The sandbox gets the whole training split and a fixed *public* part of the test split; the
rest of the test split is the pool from which each grading run draws assignment 2's held-out
reviews with its secret seed. Their labels stay outside the sandbox.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from course_utils import config
from course_utils.data import load_imdb, subsample
from course_utils.evaluation import classification_metrics, predict_scores
from course_utils.text import Vocabulary, pad_sequences

#: Assignment 2's data: the smoke profile with 5,000 training reviews.
A2_PROFILE = config.get_profile("smoke").replace(train_size=5000, test_size=200)
#: Assignment 2 pads on the right, with no empty review: what cuDNN accepts for a masked GRU/LSTM
#: (Keras 3 on a GPU asserts it); see the assignment's "Why right padding".
A2_PADDING = "post"
HOLDOUT_SIZE = 1000
PUBLIC_TEST_SIZE, PUBLIC_TEST_SEED = 2000, 7


@lru_cache(maxsize=1)
def _splits() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Training split, public test part, held-out pool (the rest of the test split)."""
    data = load_imdb(progress=False)
    public = subsample(data.test, PUBLIC_TEST_SIZE, seed=PUBLIC_TEST_SEED)
    pool = data.test.merge(public[["id", "label"]], on=["id", "label"], how="left", indicator=True)
    pool = pool[pool["_merge"] == "left_only"].drop(columns="_merge").reset_index(drop=True)
    return data.train, public, pool


def write_sandbox_data(folder: str | Path) -> Path:
    """Write the data a sandbox may read, as an ``aclImdb/`` folder: training split and public test part."""
    train, public, _ = _splits()
    root = Path(folder) / "aclImdb"
    for split, frame in (("train", train), ("test", public)):
        for name in ("neg", "pos"):
            (root / split / name).mkdir(parents=True, exist_ok=True)
        for row in frame.itertuples():
            path = root / split / ("pos" if row.label else "neg") / f"{row.id}_{row.rating}.txt"
            path.write_text(row.text, encoding="utf-8")
    return Path(folder)


@lru_cache(maxsize=1)
def a2_vocabulary() -> Vocabulary:
    """The vocabulary the a2 notebook builds (its training subset, smoke profile size)."""
    train, _, _ = _splits()
    return Vocabulary.build(subsample(train, A2_PROFILE.train_size, seed=A2_PROFILE.seed).text,
                            max_size=A2_PROFILE.vocab_size)


def heldout(seed: int, size: int = HOLDOUT_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)``: ``size`` held-out reviews drawn with ``seed``, encoded as the a2 notebook encodes
    (right-padded; a review with no known word is left out, as the notebook leaves it out)."""
    _, _, pool = _splits()
    held = subsample(pool, min(len(pool), size + size // 10 + 10), seed=seed)
    vocab = a2_vocabulary()
    encoded = vocab.encode_many(held.text, drop_unknown=A2_PROFILE.drop_unknown)
    keep = np.flatnonzero([len(ids) > 0 for ids in encoded])[:size]
    x = pad_sequences([encoded[i] for i in keep], A2_PROFILE.maxlen, padding=A2_PADDING)
    return x, held.label.to_numpy()[keep]


def heldout_accuracy(model, seed: int = 90_210) -> float:
    """Accuracy of a trained model on held-out reviews (Gradescope's hidden tests use it)."""
    x, y = heldout(seed)
    return classification_metrics(y, predict_scores(model, x))["accuracy"]
