"""Reference data for the autograder's hidden tests (kept out of the student notebooks)."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import config
from .data import load_imdb, subsample
from .evaluation import classification_metrics, predict_scores
from .text import Vocabulary, pad_sequences

#: Assignment 2's data: the smoke profile with 5,000 training reviews.
A2_PROFILE = config.get_profile("smoke").replace(train_size=5000, test_size=200)
#: Held-out reviews for assignment 2: drawn from the official test split with a seed that
#: no notebook uses, so a submission cannot have trained on them.
HOLDOUT_SIZE, HOLDOUT_SEED = 1000, 90_210


@lru_cache(maxsize=1)
def holdout_inputs() -> tuple[np.ndarray, np.ndarray]:
    """Held-out ``(x, y)`` encoded with assignment 2's vocabulary (built from its training subset)."""
    data = load_imdb(progress=False)
    train = subsample(data.train, A2_PROFILE.train_size, seed=A2_PROFILE.seed)
    vocab = Vocabulary.build(train.text, max_size=A2_PROFILE.vocab_size)
    held = subsample(data.test, HOLDOUT_SIZE, seed=HOLDOUT_SEED)
    x = pad_sequences(vocab.encode_many(held.text), A2_PROFILE.maxlen)
    return x, held.label.to_numpy()


def holdout_accuracy(model) -> float:
    """Accuracy of a trained model on the held-out reviews."""
    x, y = holdout_inputs()
    return classification_metrics(y, predict_scores(model, x))["accuracy"]
