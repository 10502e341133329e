"""Length bucketing: batches of reviews of similar length, each trimmed to what it holds.

A fixed-shape batch pads every review to ``maxlen``, so a recurrent layer spends most of its
steps on padding when reviews are short. Here each review goes to the shortest of a few bucket
lengths that holds it; batches are drawn within a bucket and trimmed to that length. The
recurrent models mask the padding (``Embedding(mask_zero=True)``), so a trimmed batch gives every
review exactly the outputs the padded batch gives: bucketing changes the cost, not the model.
Notebook 02 shows it at work.

Few bucket lengths keep the number of shapes a compiler sees bounded (JAX compiles one program
per shape); the tokens are moved to the front of each row (right padding), the layout cuDNN
accepts everywhere.
"""
from __future__ import annotations

import math

import keras
import numpy as np

#: At most this many bucket lengths; with the one short last batch, at most ``MAX_BUCKETS + 1``
#: training shapes per model.
MAX_BUCKETS = 7
#: Bucket lengths are multiples of this (friendlier to vectorised kernels than odd lengths).
LENGTH_QUANTUM = 16


def review_lengths(x: np.ndarray) -> np.ndarray:
    """Tokens per row of a padded batch (padding is index 0, on either side)."""
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"expected padded reviews of shape (reviews, steps), got shape {x.shape}.")
    return np.count_nonzero(x, axis=1).astype(np.int64)


def left_align(x: np.ndarray) -> np.ndarray:
    """Move each row's tokens to the front, in order (right padding), keeping the shape.

    Parameters
    ----------
    x : numpy.ndarray
        Padded sequences, shape ``(n, maxlen)``, padding 0.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype, each row's tokens first and its padding after them.
    """
    x = np.asarray(x)
    real = x != 0
    order = np.argsort(~real, axis=1, kind="stable")  # real tokens first, each group in order
    return np.take_along_axis(x, order, axis=1)


def bucket_lengths(lengths: np.ndarray, maxlen: int, n_buckets: int = MAX_BUCKETS,
                   quantum: int = LENGTH_QUANTUM) -> np.ndarray:
    """Up to ``n_buckets`` increasing lengths, the last ``maxlen``, that split ``lengths`` evenly.

    Each boundary is a quantile of the review lengths rounded up to a multiple of ``quantum``, so
    about as many reviews fall in each bucket and a batch pads only to its bucket's length.
    """
    if maxlen < 1 or n_buckets < 1 or quantum < 1:
        raise ValueError(f"maxlen, n_buckets and quantum must be positive, got {maxlen}, {n_buckets}, {quantum}.")
    lengths = np.minimum(np.asarray(lengths), maxlen)
    if lengths.size == 0:
        return np.array([maxlen])
    cuts = np.quantile(lengths, np.arange(1, n_buckets) / n_buckets) if n_buckets > 1 else np.array([])
    rounded = np.minimum(np.ceil(np.maximum(cuts, 1) / quantum) * quantum, maxlen).astype(int)
    return np.unique(np.append(rounded, maxlen))


class LengthBuckets(keras.utils.PyDataset):
    """Batches of similar-length reviews, trimmed to their bucket's length (a Keras PyDataset).

    Every review appears exactly once per epoch. Reviews are shuffled within their bucket and
    the batches' order is shuffled, both from ``seed`` and the epoch number, so a run is
    reproducible; ``shuffle=False`` keeps a fixed order (validation, prediction). The reviews
    left over when a bucket does not fill its last batch are pooled (sorted by length) into
    batches of the next lengths, so at most one batch per epoch is smaller than ``batch_size``.

    Parameters
    ----------
    x : ndarray of int, shape (reviews, maxlen)
        Padded token ids (0 = padding, on either side).
    y : ndarray, optional
        Labels; without them a batch is ``x`` alone (for ``predict``).
    batch_size : int
        Reviews per batch.
    seed : int
        Seed of the shuffling.
    shuffle : bool
        Shuffle every epoch (training) or keep one order.
    boundaries : array of int, optional
        Bucket lengths; by default :func:`bucket_lengths` of these reviews.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray | None = None, *, batch_size: int, seed: int = 0,
                 shuffle: bool = True, boundaries: np.ndarray | None = None):
        super().__init__()
        x = np.asarray(x)
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
        if y is not None and len(y) != len(x):
            raise ValueError(f"x has {len(x)} rows but y has {len(y)}.")
        if len(x) == 0:
            raise ValueError("no reviews to batch: x is empty.")
        self.x = left_align(x)
        self.y = None if y is None else np.asarray(y)
        self.lengths = review_lengths(self.x)
        self.batch_size, self.seed, self.shuffle = int(batch_size), int(seed), bool(shuffle)
        maxlen = self.x.shape[1]
        self.boundaries = (bucket_lengths(self.lengths, maxlen) if boundaries is None
                           else np.unique(np.minimum(np.asarray(boundaries, dtype=int), maxlen)))
        if self.boundaries.size == 0 or self.boundaries[0] < 1 or self.boundaries[-1] < self.lengths.max():
            raise ValueError(f"bucket lengths {self.boundaries.tolist()} must be positive and hold the longest "
                             f"review ({int(self.lengths.max())} tokens).")
        # The shortest bucket that holds each review (an empty review goes to the first).
        self.bucket_of = np.searchsorted(self.boundaries, self.lengths, side="left")
        self.epoch = 0
        self._batches = self._plan(self.epoch)

    def _plan(self, epoch: int) -> list[tuple[np.ndarray, int]]:
        """This epoch's batches: (row indices, trimmed length) in the order they are served."""
        rng = np.random.default_rng([self.seed, epoch]) if self.shuffle else None
        batches, leftovers = [], []
        for bucket in range(len(self.boundaries)):
            rows = np.flatnonzero(self.bucket_of == bucket)
            if rng is not None:
                rows = rng.permutation(rows)
            full = len(rows) - len(rows) % self.batch_size
            batches += [rows[i:i + self.batch_size] for i in range(0, full, self.batch_size)]
            leftovers.append(rows[full:])
        rest = np.concatenate(leftovers)
        rest = rest[np.argsort(self.lengths[rest], kind="stable")]
        batches += [rest[i:i + self.batch_size] for i in range(0, len(rest), self.batch_size)]
        plan = [(rows, self._length_for(rows)) for rows in batches]
        if rng is not None:
            plan = [plan[i] for i in rng.permutation(len(plan))]
        return _distinct_first_lengths(plan)

    def _length_for(self, rows: np.ndarray) -> int:
        longest = int(self.lengths[rows].max())
        return int(self.boundaries[np.searchsorted(self.boundaries, max(longest, 1), side="left")])

    def __len__(self) -> int:
        return len(self._batches)

    def __getitem__(self, index: int):
        rows, length = self._batches[index]
        x = self.x[rows, :length]
        return x if self.y is None else (x, self.y[rows])

    def on_epoch_end(self) -> None:
        if self.shuffle:
            self.epoch += 1
            self._batches = self._plan(self.epoch)

    @property
    def order(self) -> np.ndarray:
        """The row of ``x`` behind each output, in serving order (to undo it after ``predict``)."""
        return np.concatenate([rows for rows, _ in self._batches])

    @property
    def shapes(self) -> set[tuple[int, int]]:
        """The distinct batch shapes of the current epoch."""
        return {(len(rows), length) for rows, length in self._batches}

    @property
    def steps(self) -> int:
        """Recurrent steps of one epoch summed over reviews (trimmed length × rows per batch)."""
        return int(sum(len(rows) * length for rows, length in self._batches))


def _distinct_first_lengths(plan: list) -> list:
    """Put a batch of another length second, if there is one.

    Keras's TensorFlow adapter infers the input's shape from the first two batches: two of the same
    length would fix the time axis and refuse every other bucket.
    """
    for i in range(1, len(plan)):
        if plan[i][1] != plan[0][1]:
            plan[1], plan[i] = plan[i], plan[1]
            break
    return plan


def accepts_any_length(model: keras.Model) -> bool:
    """True when the model's (single) input has no fixed length, i.e. it can be fed bucketed batches."""
    inputs = getattr(model, "inputs", None)
    return bool(inputs) and len(inputs) == 1 and len(inputs[0].shape) == 2 and inputs[0].shape[1] is None  # type: ignore[arg-type, index]  # bool(inputs) excludes None


#: The score of a review with no token: the model is not asked (a fully masked row stops cuDNN).
EMPTY_REVIEW_SCORE = 0.5


def predict_bucketed(model: keras.Model, x: np.ndarray, batch_size: int) -> np.ndarray:
    """``model.predict`` through length buckets, returned in the order of ``x``.

    A row with no token is never sent to the model (TensorFlow-GPU's cuDNN kernels refuse a
    fully masked row): its score is :data:`EMPTY_REVIEW_SCORE`, no evidence either way.
    """
    x = np.asarray(x)
    filled = review_lengths(x) > 0
    restored = np.full((len(x), 1), EMPTY_REVIEW_SCORE, dtype=np.float32)
    if filled.any():
        data = LengthBuckets(x[filled], batch_size=batch_size, shuffle=False)
        out = np.asarray(model.predict(data, verbose=0)).reshape(-1, 1)
        scores = np.empty_like(out)
        scores[data.order] = out
        restored[filled] = scores
    return restored


def padding_cost(lengths: np.ndarray, maxlen: int, batch_size: int) -> dict[str, float]:
    """Recurrent steps per epoch with fixed ``maxlen`` batches against length buckets.

    Returns the steps of each, the steps that hold a real token, and the padded share of each.

    Parameters
    ----------
    lengths : numpy.ndarray
        Tokens per review (after truncation to ``maxlen``).
    maxlen : int
        The fixed batches' length.
    batch_size : int
        Reviews per batch.

    Returns
    -------
    dict of str to float
        ``fixed_steps``, ``bucketed_steps``, ``real_steps``, ``fixed_padding``,
        ``bucketed_padding`` and ``ratio`` (bucketed steps over fixed steps).
    """
    lengths = np.minimum(np.asarray(lengths), maxlen)
    fixed = int(len(lengths) * maxlen)
    real = int(lengths.sum())
    tokens = (np.arange(maxlen) < lengths[:, None]).astype(np.int32)  # 1 where a review has a word
    bucketed = LengthBuckets(tokens, batch_size=batch_size, shuffle=False).steps
    return {"fixed_steps": fixed, "bucketed_steps": bucketed, "real_steps": real,
            "fixed_padding": 1 - real / fixed if fixed else 0.0,
            "bucketed_padding": 1 - real / bucketed if bucketed else 0.0,
            "ratio": bucketed / fixed if fixed else math.nan}
