"""Score reviews a student types, and say how far the model could read them.

A model trained on English IMDB reviews answers with a probability for any input, even one it
cannot read: a Spanish sentence in which it knows one word, an emoji, a 50,000-word paste of
which it reads the end. :func:`predict_reviews` therefore reports, beside ``p(positive)``, how many
words the review has, how many of them the model read and how many of those it knew, and gives a
verdict only where the answer means something:

* ``"cannot judge"``: no word the model read is in its vocabulary. The model is not called (an
  input that is all padding is fully masked, which some GPU kernels refuse); ``p(positive)`` is NaN.
* ``"too few known words"``: fewer than :data:`MIN_KNOWN_WORDS` known words were read.
* ``"mostly unknown words"``: under :data:`MIN_KNOWN_SHARE` of the words read are known, as in a
  review in another language (the models read English only).
* ``"undecided"``: ``p(positive)`` is within :data:`UNDECIDED_MARGIN` of 0.5.
* ``"positive"`` / ``"negative"`` otherwise.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .i18n import N_
from .text import OOV, EncodedData, tokenize, valid_unicode

#: A probability strictly within this distance of 0.5 is "undecided": neither verdict, neither right nor wrong.
UNDECIDED_MARGIN = 0.1
#: Fewer known words than this among those read, and the review is "too few known words" to judge.
MIN_KNOWN_WORDS = 3
#: Under this share of known words among those read, the review is "mostly unknown words"
#: (another language, names, typos): the model cannot read it, whatever it answers.
MIN_KNOWN_SHARE = 0.5

POSITIVE, NEGATIVE = N_("positive"), N_("negative")
UNDECIDED = N_("undecided")
CANNOT_JUDGE = N_("cannot judge")
TOO_FEW_KNOWN = N_("too few known words")
MOSTLY_UNKNOWN = N_("mostly unknown words")
#: Verdicts that are neither "positive" nor "negative": never counted right or wrong.
NOT_JUDGED = (CANNOT_JUDGE, TOO_FEW_KNOWN, MOSTLY_UNKNOWN)
#: The columns of :func:`predict_reviews`' table, in order.
COLUMNS = ("review", N_("words"), N_("words read"), N_("known words"), "p(positive)", "verdict")


def _review_list(reviews) -> list[str]:
    """``reviews`` as a list of str, or a TypeError that says what is accepted."""
    if isinstance(reviews, str):
        return [valid_unicode(reviews, "review 0")]
    accepted = "a str or a list of str, e.g. predict_reviews(model, enc, [\"Great film!\"])"
    if isinstance(reviews, (bytes, bytearray)):
        raise TypeError(f"reviews must be {accepted}; got bytes: decode them first, "
                        f"e.g. reviews.decode('utf-8').")
    if reviews is None or not isinstance(reviews, (list, tuple, pd.Series, np.ndarray)):
        raise TypeError(f"reviews must be {accepted}; got {type(reviews).__name__}.")
    reviews = list(reviews)
    for i, review in enumerate(reviews):
        if not isinstance(review, str):
            raise TypeError(f"reviews must be {accepted}; item {i} is {type(review).__name__} "
                            f"({review!r:.40}).")
    return [valid_unicode(review, f"review {i}") for i, review in enumerate(reviews)]


def words_read(ids: Sequence[int], maxlen: int, *, truncating: str = "pre", drop_unknown: bool = False) -> int:
    """How many of a review's words the model's input covers, given the review's token ids.

    A review longer than ``maxlen`` is cut (``truncating="pre"`` keeps its end). With
    ``drop_unknown`` the unknown words are left out first, so the ``maxlen`` known words kept span
    more of the review; the count is that span, unknown words inside it included.

    Parameters
    ----------
    ids : sequence of int
        The review's ids, one per word, unknown words as ``OOV`` (``Vocabulary.encode``).
    maxlen : int
        The model's input length.
    truncating : {"pre", "post"}
        Which end is cut, as in ``text.pad_sequences``.
    drop_unknown : bool
        Whether the encoding leaves unknown words out before cutting.

    Returns
    -------
    int
        The number of the review's words, counted from the end kept, that the input covers.
    """
    n = len(ids)
    if not drop_unknown:
        return min(n, maxlen)
    kept = [i for i, token in enumerate(ids) if token != OOV]
    if len(kept) <= maxlen:
        return n
    return n - kept[-maxlen] if truncating == "pre" else kept[maxlen - 1] + 1


def judge(p: float, known: int, read: int) -> str:
    """The verdict for a probability from ``known`` known words among ``read`` words read.

    Parameters
    ----------
    p : float
        The model's p(positive) (ignored when ``known`` is 0: the model was not asked).
    known : int
        Known words among those the model read.
    read : int
        Words the model read (see :func:`words_read`).

    Returns
    -------
    str
        One of "cannot judge", "too few known words", "mostly unknown words", "undecided",
        "positive", "negative" (see the module's docstring).
    """
    if known <= 0:
        return CANNOT_JUDGE
    if known < MIN_KNOWN_WORDS:
        return TOO_FEW_KNOWN
    if known < MIN_KNOWN_SHARE * read:
        return MOSTLY_UNKNOWN
    if abs(p - 0.5) < UNDECIDED_MARGIN:
        return UNDECIDED
    return POSITIVE if p >= 0.5 else NEGATIVE


def predict_reviews(model, encoded: EncodedData, reviews: str | Sequence[str]) -> pd.DataFrame:
    """Score any reviews, and say how many of their words the model read and knew.

    Each review is cleaned and tokenized exactly as the training reviews were
    (``text.standardize``), then encoded with ``encoded.encode_review``.

    Parameters
    ----------
    model : keras.Model
        A trained model taking ``encoded``'s inputs.
    encoded : EncodedData
        The encoding the model was trained on (vocabulary, ``maxlen``, truncation).
    reviews : str or sequence of str
        One review or several; any characters, even empty.

    Returns
    -------
    pandas.DataFrame
        One row per review: ``review``; ``words`` (words in the review); ``words read`` (how many
        of them the model's input covers: fewer than ``words`` when a long review is cut);
        ``known words`` (known words among those read); ``p(positive)`` (NaN where no known word
        was read: the model is not called); ``verdict`` (see :func:`judge`).

    Raises
    ------
    TypeError
        If ``reviews`` is not a str or a list of str.
    """
    from .evaluation import predict_scores

    reviews = _review_list(reviews)
    vocab, maxlen = encoded.vocab, encoded.maxlen
    ids = [vocab.encode_tokens(tokenize(r)) for r in reviews]
    x = np.concatenate([encoded.encode_review(r) for r in reviews]) if reviews else \
        np.zeros((0, maxlen), dtype=np.int32)
    known = (x > OOV).sum(axis=1).astype(np.int64)
    read = np.array([words_read(i, maxlen, truncating=encoded.truncating, drop_unknown=encoded.drop_unknown)
                     for i in ids], dtype=np.int64)
    scores = np.full(len(reviews), np.nan)
    asked = known > 0  # an all-padding row is never sent to the model
    if asked.any():
        scores[asked] = np.asarray(predict_scores(model, x[asked]), dtype=float).ravel()
    verdict = [judge(p, k, r) for p, k, r in zip(scores, known, read)]
    table = pd.DataFrame(dict(zip(COLUMNS, (reviews, np.array([len(i) for i in ids], dtype=np.int64), read, known,
                                            np.round(scores, 3), verdict))))
    table.attrs["truncating"] = encoded.truncating  # which end "words read" counts from
    return table
