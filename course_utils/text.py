"""From review text to integer sequences and back, in plain Python and NumPy (no TensorFlow).

The vocabulary reserves index 0 for padding and 1 for out-of-vocabulary words, so
any string a student types can be encoded: unknown words become ``<oov>``, never a
``KeyError``.
"""
from __future__ import annotations

import html
import json
import os
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from .fileio import write_json_atomic

PAD, OOV = 0, 1
PAD_TOKEN, OOV_TOKEN = "<pad>", "<oov>"
#: An HTML tag (``<br />``, ``<i>``, ``</a>``, ``<!-- -->``): ``<`` then a letter, ``/``, ``!`` or ``?``, so
#: ``"I <3 it"`` and ``"a < b > c"`` keep their text.
_HTML = re.compile(r"<[/!?a-z][^<>]{0,200}>", re.IGNORECASE)
#: Elements whose content is code, not prose: a pasted page's ``<script>`` or ``<style>`` is not read.
_HTML_CODE = re.compile(r"<(script|style)\b[^<>]{0,200}>.*?(?:</\1\s*>|\Z)", re.IGNORECASE | re.DOTALL)
#: A word: letters and digits of any script (``[^\W_]``), with an inner apostrophe (``don't``).
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
#: Apostrophes typed or typeset otherwise (curly quotes, modifier letters, accents) -> ``'``.
_APOSTROPHES = str.maketrans({c: "'" for c in "\u2019\u2018\u02bc\u02b9\u0060\u00b4\u2032"})


#: Code points UTF-8 cannot encode: halves of a surrogate pair (what a bad copy-paste or a
#: mis-decoded file can leave in a Python str). pandas and pyarrow refuse such text.
_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_unicode(text: str, what: str = "text") -> str:
    """``text`` with unpaired surrogates replaced by U+FFFD (and split pairs joined), so every
    library can encode it; a ``UnicodeWarning`` says what was replaced. Valid text is returned
    as it is."""
    if not isinstance(text, str):
        raise TypeError(f"{what} must be a str, got {type(text).__name__}.")
    if not _SURROGATE.search(text):
        return text
    fixed = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    lone = len(_SURROGATE.findall(text)) - 2 * (len(text) - len(fixed))
    if lone:
        import warnings
        warnings.warn(f"{what} held {lone} unpaired surrogate code point(s) ({text[:40]!a}...), which is not "
                      f"valid Unicode (a bad copy-paste or decoding); each was replaced by '\ufffd'.",
                      UnicodeWarning, stacklevel=3)
    return fixed


def _invisible(char: str) -> bool:
    """Format characters (Unicode category ``Cf``): zero-width space and joiners, the byte-order mark,
    soft hyphens, direction marks. They are invisible, so a word must read the same without them."""
    return unicodedata.category(char) == "Cf"


#: ``str.translate`` table deleting every format character of the Basic Multilingual Plane and the
#: tag characters (U+E0000-U+E007F, used in flag emoji).
_DROP_INVISIBLE = {cp: None for cp in [*range(0x10000), *range(0xE0000, 0xE0080)] if _invisible(chr(cp))}


def clean_text(text: str) -> str:
    """Review text as a reader sees it: what :func:`standardize` and :func:`tokenize` read.

    In this order: Unicode is normalised (NFKC: ``e`` + U+0301 -> ``é``, ``ﬁ`` -> ``fi``, full-width
    letters -> ASCII); ``<script>``/``<style>`` elements are dropped with their content and every
    other HTML tag becomes a space; HTML entities are decoded (``&lt;`` -> ``<``, ``&eacute;`` ->
    ``é``), so they are never read as words (``lt``); invisible format characters (zero-width space,
    joiners, soft hyphen, byte-order mark) are deleted, so ``"gr\u200beat"`` reads ``"great"``.
    Training reviews and typed reviews go through this same function.

    Parameters
    ----------
    text : str
        Any string.

    Returns
    -------
    str
        The cleaned text, with case and punctuation kept.
    """
    text = unicodedata.normalize("NFKC", text)
    if "<" in text:
        text = _HTML.sub(" ", _HTML_CODE.sub(" ", text))
    if "&" in text:  # an entity can stand for any character: normalise what it decodes to as well
        text = unicodedata.normalize("NFKC", html.unescape(text))
    return text.translate(_DROP_INVISIBLE)


def _normalise(text: str, caller: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"{caller} expects a str, got {type(text).__name__}.")
    return clean_text(text).lower().translate(_APOSTROPHES)


def standardize(text: str) -> str:
    """Lowercase, turn HTML tags such as ``<br />`` into spaces, and drop punctuation.

    Letters of every script are kept (``"Película"`` -> ``"película"``), the text is first cleaned
    by :func:`clean_text` (Unicode normalised, HTML tags, ``<script>`` content and entities handled,
    zero-width characters deleted) and curly apostrophes become ``'`` (``"don’t"`` -> ``"don't"``).
    The same function prepares the training reviews and any review a student types.

    Parameters
    ----------
    text : str
        A raw review.

    Returns
    -------
    str
        The standardized text.
    """
    return " ".join(_TOKEN.findall(_normalise(text, "standardize")))


def tokenize(text: str) -> list[str]:
    """Split a review into standardized word tokens (``"Don’t!"`` -> ``["don't"]``).

    Parameters
    ----------
    text : str
        A raw review.

    Returns
    -------
    list of str
        Its tokens, in order.
    """
    return _TOKEN.findall(_normalise(text, "tokenize"))


@dataclass(frozen=True)
class Vocabulary:
    """A word index built from training text: ``words[i]`` is the word with index ``i``."""

    words: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.words[:2] != (PAD_TOKEN, OOV_TOKEN):
            raise ValueError("A Vocabulary's first two words must be '<pad>' and '<oov>'.")
        object.__setattr__(self, "_index", {w: i for i, w in enumerate(self.words)})

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self._index  # type: ignore[attr-defined]  # set in __post_init__ (frozen dataclass)

    @classmethod
    def build(cls, texts: Iterable[str], max_size: int = 20000, min_count: int = 1) -> "Vocabulary":
        """Count tokens in ``texts`` (the training split only!) and keep the ``max_size`` most
        frequent, counting the two reserved entries; ties break alphabetically."""
        return cls.from_tokens((tokenize(t) for t in texts), max_size, min_count)

    @classmethod
    def from_tokens(cls, token_lists: Iterable[Sequence[str]], max_size: int = 20000,
                    min_count: int = 1) -> "Vocabulary":
        """Like :meth:`build`, from texts that are already tokenized."""
        if max_size < 3:
            raise ValueError(f"max_size must leave room for words beyond <pad> and <oov>, got {max_size}.")
        counts = Counter()  # type: Counter[str]
        for tokens in token_lists:
            counts.update(tokens)
        ranked = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
        return cls((PAD_TOKEN, OOV_TOKEN, *ranked[: max_size - 2]))

    def index(self, word: str) -> int:
        """The index of ``word``, or ``OOV`` (1) if it is not in the vocabulary."""
        return self._index.get(word, OOV)  # type: ignore[attr-defined]  # set in __post_init__ (frozen dataclass)

    def encode(self, text: str, *, drop_unknown: bool = False) -> list[int]:
        """Turn one text into a list of indices (unknown words -> 1, or left out)."""
        return self.encode_tokens(tokenize(text), drop_unknown=drop_unknown)

    def encode_many(self, texts: Iterable[str], *, drop_unknown: bool = False) -> list[list[int]]:
        """Encode many texts."""
        return [self.encode(t, drop_unknown=drop_unknown) for t in texts]

    def encode_tokens(self, tokens: Iterable[str], *, drop_unknown: bool = False) -> list[int]:
        """Encode an already tokenized text; ``drop_unknown`` leaves out-of-vocabulary words out."""
        get = self._index.get  # type: ignore[attr-defined]  # set in __post_init__ (frozen dataclass)
        if drop_unknown:
            return [i for i in (get(t, OOV) for t in tokens) if i != OOV]
        return [get(t, OOV) for t in tokens]

    def decode(self, ids: Iterable[int], *, skip_padding: bool = True) -> str:
        """Turn indices back into words; padding is dropped, unknown words read ``<oov>``."""
        words = self.words
        out = []
        for i in ids:
            i = int(i)
            if i == PAD and skip_padding:
                continue
            out.append(words[i] if 0 <= i < len(words) else OOV_TOKEN)
        return " ".join(out)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the vocabulary as JSON (atomically)."""
        return write_json_atomic(path, {"words": list(self.words)})

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Vocabulary":
        """Read a vocabulary written by :meth:`save`."""
        return cls(tuple(json.loads(Path(path).read_text(encoding="utf-8"))["words"]))


def pad_sequences(sequences: Sequence[Sequence[int]], maxlen: int, *, padding: str = "pre",
                  truncating: str = "pre", value: int = PAD) -> np.ndarray:
    """Pad or truncate each sequence to ``maxlen`` with :func:`keras.utils.pad_sequences`.

    A thin wrapper: ``maxlen`` is required (the course always chooses it from the data) and
    the arguments are checked before Keras sees them, so an empty sequence cannot hide a
    misspelt side. Keras is imported on the first call, keeping ``import course_utils.text``
    free of TensorFlow.

    Parameters
    ----------
    sequences : sequence of sequences of int
        Token ids, one sequence per review.
    maxlen : int
        Length of every output row; at least 1.
    padding : {"pre", "post"}, default "pre"
        Where the padding goes: ``"pre"`` puts the zeros first.
    truncating : {"pre", "post"}, default "pre"
        Which end a long sequence loses: ``"pre"`` drops tokens from the start, keeping a
        review's ending, where verdicts tend to be.
    value : int, default PAD
        The padding id.

    Returns
    -------
    numpy.ndarray
        An ``int32`` array of shape ``(len(sequences), maxlen)``.

    Raises
    ------
    ValueError
        If ``maxlen`` is below 1 or ``padding`` / ``truncating`` is not ``"pre"`` or ``"post"``.
    """
    if maxlen < 1:
        raise ValueError(f"maxlen must be a positive integer, got {maxlen}.")
    for name, val in (("padding", padding), ("truncating", truncating)):
        if val not in ("pre", "post"):
            raise ValueError(f"{name} must be 'pre' or 'post', got {val!r}.")
    from keras.utils import pad_sequences as keras_pad_sequences
    return keras_pad_sequences(sequences, maxlen=maxlen, dtype="int32", padding=padding,
                               truncating=truncating, value=value)


def sequence_lengths(sequences: Sequence[Sequence[int]]) -> np.ndarray:
    """Length of each sequence, as an array.

    Parameters
    ----------
    sequences : sequence of sequence of int
        Encoded reviews.

    Returns
    -------
    numpy.ndarray
        One int per sequence.
    """
    return np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))


def length_percentiles(sequences: Sequence[Sequence[int]],
                       q: Sequence[float] = (50, 75, 90, 95, 99)) -> dict[float, int]:
    """Percentiles of sequence length, to choose ``maxlen`` from data rather than folklore.

    Parameters
    ----------
    sequences : sequence of sequence of int
        Encoded reviews.
    q : sequence of float, default (50, 75, 90, 95, 99)
        The percentiles.

    Returns
    -------
    dict of float to int
        Each percentile's length, as an int.
    """
    lengths = sequence_lengths(sequences)
    return {p: int(np.percentile(lengths, p)) for p in q}


def truncation_share(sequences: Sequence[Sequence[int]], maxlen: int) -> float:
    """Fraction of reviews that lose tokens when cut to ``maxlen``.

    Parameters
    ----------
    sequences : sequence of sequence of int
        Encoded reviews.
    maxlen : int
        The length they are cut to.

    Returns
    -------
    float
        The share, 0 to 1.
    """
    return float(np.mean(sequence_lengths(sequences) > maxlen))


def token_coverage(texts: Iterable[str], vocab_sizes: Sequence[int]) -> dict[int, float]:
    """Share of all running tokens in ``texts`` covered by the top-``k`` words, for each ``k``.

    Parameters
    ----------
    texts : iterable of str
        The reviews.
    vocab_sizes : sequence of int
        The values of ``k``.

    Returns
    -------
    dict of int to float
        The covered share, 0 to 1, for each ``k``.
    """
    counts = Counter()  # type: Counter[str]
    for text in texts:
        counts.update(tokenize(text))
    freq = np.sort(np.fromiter(counts.values(), dtype=np.int64))[::-1]
    cum = np.cumsum(freq)
    total = cum[-1] if len(cum) else 1
    return {int(k): float(cum[min(k, len(cum)) - 1] / total) if len(cum) else 0.0 for k in vocab_sizes}


@dataclass(frozen=True)
class EncodedData:
    """Padded model inputs for both splits, with the vocabulary that made them."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    vocab: Vocabulary
    maxlen: int
    padding: str = "pre"
    truncating: str = "pre"
    drop_unknown: bool = False

    def encode_review(self, text: str) -> np.ndarray:
        """Turn any string into a model input of shape ``(1, maxlen)``; never raises KeyError."""
        return encode_review(text, self.vocab, self.maxlen, padding=self.padding,
                             truncating=self.truncating, drop_unknown=self.drop_unknown)


def encode_review(text: str, vocab: Vocabulary, maxlen: int, *, padding: str = "pre",
                  truncating: str = "pre", drop_unknown: bool = False) -> np.ndarray:
    """Encode one review a student types (any characters, even empty) as a ``(1, maxlen)`` input.

    Parameters
    ----------
    text : str
        The review.
    vocab : Vocabulary
        The vocabulary the model was trained with.
    maxlen : int
        The model's input length.
    padding, truncating : {"pre", "post"}, default "pre"
        As the training data was padded and cut.
    drop_unknown : bool, default False
        Leave out-of-vocabulary words out, as the training data did.

    Returns
    -------
    numpy.ndarray
        Int array of shape ``(1, maxlen)``.

    Raises
    ------
    TypeError
        If ``text`` is not a str.
    """
    if not isinstance(text, str):
        raise TypeError(f"encode_review expects the review as a str, got {type(text).__name__}.")
    return pad_sequences([vocab.encode(text, drop_unknown=drop_unknown)], maxlen, padding=padding,
                         truncating=truncating)


def encode_dataset(train_texts: Sequence[str], y_train: Sequence[int], test_texts: Sequence[str],
                   y_test: Sequence[int], *, vocab_size: int, maxlen: int, padding: str = "pre",
                   truncating: str = "pre", drop_unknown: bool = False) -> EncodedData:
    """Build the vocabulary on the training texts only, then encode and pad both splits.

    ``drop_unknown=True`` leaves out-of-vocabulary words out instead of encoding them as
    ``<oov>``: test reviews hold more unseen names than training reviews, and a learned
    ``<oov>`` vector carries the training set's sentiment into them.
    """
    train_tokens = [tokenize(t) for t in train_texts]  # tokenized once, used twice
    vocab = Vocabulary.from_tokens(train_tokens, max_size=vocab_size)
    pad = dict(maxlen=maxlen, padding=padding, truncating=truncating)
    return EncodedData(
        x_train=pad_sequences([vocab.encode_tokens(t, drop_unknown=drop_unknown) for t in train_tokens], **pad),  # type: ignore[arg-type]  # **pad: maxlen is an int, padding and truncating are str
        y_train=np.asarray(y_train, dtype=np.int32),
        x_test=pad_sequences(vocab.encode_many(test_texts, drop_unknown=drop_unknown), **pad),  # type: ignore[arg-type]  # **pad: maxlen is an int, padding and truncating are str
        y_test=np.asarray(y_test, dtype=np.int32),
        vocab=vocab, maxlen=maxlen, padding=padding, truncating=truncating, drop_unknown=drop_unknown,
    )


def unknown_rate(vocab: Vocabulary, texts: Iterable[str]) -> float:
    """Share of running tokens in ``texts`` that are outside ``vocab`` (would become ``<oov>``).

    Parameters
    ----------
    vocab : Vocabulary
        The vocabulary.
    texts : iterable of str
        The reviews.

    Returns
    -------
    float
        The share, 0 to 1.
    """
    known = total = 0
    for text in texts:
        tokens = tokenize(text)
        total += len(tokens)
        known += sum(1 for t in tokens if t in vocab)
    return (total - known) / total if total else 0.0
