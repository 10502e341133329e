"""A tiny synthetic IMDB-shaped corpus for fast tests and for running without the real data."""
from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import numpy as np

_POSITIVE = ("great", "wonderful", "brilliant", "moving", "superb", "loved", "masterpiece",
             "charming", "excellent", "funny")
_NEGATIVE = ("awful", "boring", "terrible", "waste", "dull", "worst", "poorly", "mess",
             "stupid", "disappointing")
_NEUTRAL = ("the", "movie", "film", "a", "and", "of", "plot", "actor", "scene", "story", "was",
            "it", "this", "director", "character", "ending", "music", "i", "watched", "but")


def synthetic_review(label: int, rng: np.random.Generator, *, mean_words: int = 40) -> str:
    """Return one review-like string whose sentiment words agree with ``label`` (1 = positive)."""
    n = max(3, int(rng.poisson(mean_words)))
    cue = _POSITIVE if label == 1 else _NEGATIVE
    words = [str(rng.choice(cue)) if rng.random() < 0.25 else str(rng.choice(_NEUTRAL))
             for _ in range(n)]
    words[0] = words[0].capitalize()
    text = " ".join(words)
    if rng.random() < 0.3:
        text = text.replace(" ", ". <br /><br />", 1)
    return text + rng.choice([".", "!", "..."])


def make_synthetic_archive(target: str | os.PathLike, *, n_per_class: int = 50,
                           seed: int = 0, mean_words: int = 40) -> Path:
    """Write a ``.tar.gz`` in the official ``aclImdb`` layout with synthetic reviews.

    Parameters
    ----------
    target : path-like
        The archive to write (its parent is created).
    n_per_class : int
        Reviews per split and label (the real data has 12,500).
    seed : int
        Seed; the same seed gives the same reviews.
    mean_words : int
        Mean review length in words.
    """
    if n_per_class < 1:
        raise ValueError(f"n_per_class must be at least 1, got {n_per_class}.")
    rng = np.random.default_rng(seed)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(target, "w:gz") as archive:
        for split in ("train", "test"):
            for name, label in (("neg", 0), ("pos", 1)):
                for idx in range(n_per_class):
                    rating = int(rng.integers(7, 11) if label else rng.integers(1, 5))
                    data = synthetic_review(label, rng, mean_words=mean_words).encode()
                    info = tarfile.TarInfo(f"aclImdb/{split}/{name}/{idx}_{rating}.txt")
                    info.size = len(data)
                    archive.addfile(info, io.BytesIO(data))
    return target
