"""Exploratory-analysis helpers for notebook 01: lengths, HTML residue, words, duplicates."""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from .text import standardize, tokenize

_TAG = re.compile(r"<\s*/?\s*([a-zA-Z]+)[^>]{0,40}>")


def word_lengths(texts: Iterable[str]) -> np.ndarray:
    """Whitespace-separated words per review (what people mean by 'a 230-word review').

    Parameters
    ----------
    texts : iterable of str
        The reviews.

    Returns
    -------
    numpy.ndarray
        One int64 count per review.
    """
    return np.fromiter((len(t.split()) for t in texts), dtype=np.int64)


def html_residue(texts: Iterable[str]) -> pd.DataFrame:
    """HTML tags left in the reviews: per tag, the reviews containing it and total occurrences.

    Parameters
    ----------
    texts : iterable of str
        The raw reviews.

    Returns
    -------
    pandas.DataFrame
        Indexed by tag: ``reviews`` and ``occurrences``, most frequent first.
    """
    reviews: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for text in texts:
        tags = [t.lower() for t in _TAG.findall(text)]
        total.update(tags)
        reviews.update(set(tags))
    frame = pd.DataFrame({"reviews": pd.Series(reviews), "occurrences": pd.Series(total)},
                         index=pd.Index(sorted(total), name="tag"))
    # ties break alphabetically (a stable sort of sorted tags), so the table is the same every run
    return frame.sort_values("occurrences", ascending=False, kind="stable").astype(int)


def frequent_words(texts: Iterable[str], n: int = 20, *, drop_stop_words: bool = True) -> pd.Series:
    """The ``n`` most frequent tokens, optionally without English stop words.

    Parameters
    ----------
    texts : iterable of str
        The reviews.
    n : int, default 20
        How many tokens.
    drop_stop_words : bool, default True
        Leave out scikit-learn's English stop words and one-letter tokens.

    Returns
    -------
    pandas.Series
        Counts by token, most frequent first (ties alphabetical).
    """
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(tokenize(text))
    if drop_stop_words:
        for word in list(counts):
            if word in ENGLISH_STOP_WORDS or len(word) < 2:
                del counts[word]
    top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:n]  # ties: alphabetical
    return pd.Series(dict(top), name="count", dtype=np.int64)


def distinctive_words(texts: Iterable[str], labels: Iterable[int], n: int = 15,
                      min_count: int = 50) -> dict[str, pd.Series]:
    """Words most typical of each class by smoothed log-odds ratio (frequency alone shows 'the').

    Parameters
    ----------
    texts : iterable of str
        The reviews.
    labels : iterable of int
        Their labels (0 negative, 1 positive).
    n : int, default 15
        Words per class.
    min_count : int, default 50
        Leave out words seen fewer times than this in both classes together.

    Returns
    -------
    dict of str to pandas.Series
        ``"negative"`` and ``"positive"``: the ``n`` words with the largest log-odds toward
        that class, largest first.
    """
    counts: dict[int, Counter[str]] = {0: Counter(), 1: Counter()}
    for text, label in zip(texts, labels):
        counts[int(label)].update(tokenize(text))
    vocab = sorted(w for w in set(counts[0]) | set(counts[1]) if counts[0][w] + counts[1][w] >= min_count)
    neg = np.array([counts[0][w] for w in vocab], dtype=float) + 1
    pos = np.array([counts[1][w] for w in vocab], dtype=float) + 1
    log_odds = np.log(pos / pos.sum()) - np.log(neg / neg.sum())
    series = pd.Series(log_odds, index=vocab, name="log-odds (positive vs negative)")
    top = dict(ascending=False, kind="stable")  # vocab is sorted: ties break alphabetically, every run
    return {"positive": series.sort_values(**top).head(n),
            "negative": (-series).sort_values(**top).head(n).rename("log-odds (negative vs positive)")}


def duplicate_report(train: pd.DataFrame, test: pd.DataFrame) -> pd.DataFrame:
    """Duplicate reviews (same standardized text) inside each split and across the splits.

    Rows: ``train``, ``test``, ``train ∩ test``; columns: distinct texts that repeat,
    extra copies, and copies whose labels disagree.

    Parameters
    ----------
    train, test : pandas.DataFrame
        The splits (``text`` and ``label`` columns).

    Returns
    -------
    pandas.DataFrame
        The three rows and three columns above.
    """
    tr, te = train.text.map(standardize), test.text.map(standardize)  # once: the costly part
    rows = {}
    for name, frame, keys in (("train", train, tr), ("test", test, te)):
        dup = keys[keys.duplicated(keep=False)]
        groups = frame.loc[dup.index].groupby(dup)
        rows[name] = {"repeated texts": int(dup.nunique()),
                      "extra copies": int(keys.duplicated().sum()),
                      "label conflicts": int((groups.label.nunique() > 1).sum())}
    shared = set(tr) & set(te)
    tr_labels = train.label.groupby(tr).first()
    te_labels = test.label.groupby(te).first()
    rows["train ∩ test"] = {"repeated texts": len(shared),
                            "extra copies": int(te.isin(shared).sum()),
                            "label conflicts": int(sum(tr_labels[k] != te_labels[k] for k in shared))}
    return pd.DataFrame(rows).T


def examples(frame: pd.DataFrame, n: int = 2, *, seed: int = 0, width: int = 500) -> pd.DataFrame:
    """``n`` random reviews per class, shortened to ``width`` characters for reading.

    Parameters
    ----------
    frame : pandas.DataFrame
        A split (``text`` and ``label`` columns).
    n : int, default 2
        Reviews per class.
    seed : int, default 0
        Seed of the random draw.
    width : int, default 500
        Characters kept of each review.

    Returns
    -------
    pandas.DataFrame
        The drawn reviews, shortened, with their labels.
    """
    parts = [frame[frame.label == label].sample(n=min(n, int((frame.label == label).sum())), random_state=seed)
             for label in (1, 0)]
    out = pd.concat(parts)[["label", "rating", "text"]]
    out["label"] = out["label"].map({0: "negative", 1: "positive"})
    out["text"] = out["text"].map(lambda t: t if len(t) <= width else t[:width] + " ...")
    return out
