"""From a profile to model-ready arrays in one call, shared by every training notebook.

Tokenizing and encoding 50,000 reviews takes seconds on every notebook start; the encoded
arrays are therefore cached (``.npz`` in the cache directory) under a key made of the
reviews themselves, every encoding setting and the code of ``course_utils.text``, so a changed
review, vocabulary size, ``maxlen`` or cleaning rule never reuses a stale file.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np

from . import config
from .config import Profile
from .data import ImdbData, load_profile_data
from .fileio import atomic_path
from .text import EncodedData, Vocabulary, encode_dataset

#: Bump when the encoding changes in a way the code of ``course_utils.text`` does not show (the
#: key also holds that code's syntax tree, so an edit of the cleaning or the tokenizer retires
#: old caches by itself, while a comment or docstring edit keeps them).
ENCODING_FORMAT = 3  # 3: the key holds text.py's code; HTML entities, tags and zero-width characters cleaned


def _text_code() -> str:
    """The source of ``course_utils.text``, whose code decides every encoded array."""
    from . import text
    return Path(text.__file__).read_text(encoding="utf-8")


def _encoding_key(data: ImdbData, settings: dict, code: str | None = None) -> str:
    from .reuse import source_digest

    digest = hashlib.blake2b(digest_size=12)
    code_part = source_digest(_text_code() if code is None else code)
    digest.update(repr((ENCODING_FORMAT, code_part, sorted(settings.items()))).encode())
    for frame in (data.train, data.test):
        digest.update(frame["label"].to_numpy(dtype=np.int64).tobytes())
        for text in frame["text"]:
            digest.update(text.encode("utf-8", "surrogatepass"))
            digest.update(b"\0")
    return digest.hexdigest()


def _load_encoded(path: Path, settings: dict) -> EncodedData | None:
    """The cached arrays, or None (and the file deleted) if it is missing or damaged."""
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in ("x_train", "y_train", "x_test", "y_test", "words")}
        vocab = Vocabulary(tuple(str(w) for w in arrays.pop("words")))
        fits = arrays["x_train"].shape[1:] == (settings["maxlen"],) and len(vocab) <= settings["vocab_size"]
    except Exception:  # a damaged or foreign file is never trusted
        fits = False
    if not fits:
        try:
            path.unlink(missing_ok=True)
        except OSError:  # a read-only cache: encode without it
            pass
        return None
    return EncodedData(**arrays, vocab=vocab, **_encoded_fields(settings))


def _encoded_fields(settings: dict) -> dict:
    """The ``EncodedData`` fields among the encoding settings."""
    return {k: settings[k] for k in ("maxlen", "padding", "truncating", "drop_unknown")}


def _save_encoded(path: Path, encoded: EncodedData) -> None:
    try:
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as f:
                np.savez(f, x_train=encoded.x_train, y_train=encoded.y_train, x_test=encoded.x_test,
                         y_test=encoded.y_test, words=np.array(encoded.vocab.words, dtype=str))
    except OSError:  # a read-only cache is no reason to fail
        pass


def encode_cached(data: ImdbData, *, vocab_size: int, maxlen: int, padding: str = "pre",
                  truncating: str = "pre", drop_unknown: bool = False, use_cache: bool = True) -> EncodedData:
    """``text.encode_dataset`` on both splits of ``data``, reusing a cached result when the
    reviews and settings are the same (``use_cache=False`` always recomputes)."""
    settings: dict[str, Any] = dict(vocab_size=int(vocab_size), maxlen=int(maxlen), padding=padding,
                                    truncating=truncating, drop_unknown=bool(drop_unknown))
    def encode() -> EncodedData:
        return encode_dataset(data.train.text, data.train.label, data.test.text, data.test.label, **settings)

    if not use_cache:
        return encode()
    path = config.cache_dir() / f"encoded-{_encoding_key(data, settings)}.npz"
    encoded = _load_encoded(path, settings)
    if encoded is None:
        encoded = encode()
        _save_encoded(path, encoded)
    return encoded


def prepare(profile: Profile, *, vocab_size: int | None = None, maxlen: int | None = None,
            padding: str = "pre", truncating: str = "pre", path: str | os.PathLike | None = None,
            data: ImdbData | None = None, drop_unknown: bool | None = None,
            use_cache: bool = True) -> tuple[ImdbData, EncodedData]:
    """Load the profile's reviews and encode them (vocabulary from the training split only).

    The encoded arrays are cached between notebooks (see :func:`encode_cached`).

    Parameters
    ----------
    profile : Profile
        Decides the data subsample and the default encoding settings.
    vocab_size, maxlen : int, optional
        Override the profile's.
    padding, truncating : {"pre", "post"}, default "pre"
        Where sequences are padded and cut.
    path : path, optional
        Where the dataset is.
    data : ImdbData, optional
        Reviews already loaded (then ``path`` is not read).
    drop_unknown : bool, optional
        Override the profile's (leave out-of-vocabulary words out).
    use_cache : bool, default True
        Reuse cached encoded arrays.

    Returns
    -------
    tuple of (ImdbData, EncodedData)
        The reviews and their encoding.
    """
    data = data if data is not None else load_profile_data(profile, path, progress=False)
    encoded = encode_cached(data, vocab_size=vocab_size or profile.vocab_size,
                            maxlen=maxlen or profile.maxlen, padding=padding, truncating=truncating,
                            drop_unknown=profile.drop_unknown if drop_unknown is None else drop_unknown,
                            use_cache=use_cache)
    return data, encoded


def embedding_init(profile: Profile, encoded: EncodedData, *, kind: str | None = None) -> dict:
    """Embedding arguments for the recurrent builders: GloVe vectors aligned with the vocabulary
    (``kind="glove"``) or nothing, i.e. a randomly initialised embedding (``"learned"``)."""
    kind = kind or profile.embeddings
    if kind == "learned":
        return {}
    if kind != "glove":
        raise ValueError(f"embeddings must be 'glove' or 'learned', got {kind!r}.")
    matrix = glove_matrix(encoded, seed=profile.seed)
    return {"embedding_matrix": matrix, "embedding_dim": matrix.shape[1]}


def glove_matrix(encoded: EncodedData, *, seed: int = 42) -> np.ndarray:
    """GloVe's vector for each word of the vocabulary, one row per index (notebook 08 builds it).

    Parameters
    ----------
    encoded : EncodedData
        The encoded reviews; their vocabulary decides the rows.
    seed : int
        Seed of the small random vectors given to words GloVe lacks.

    Returns
    -------
    numpy.ndarray
        ``(len(encoded.vocab), dimension)`` floats, ready for
        ``keras.initializers.Constant`` in an ``Embedding`` layer. The vectors are loaded once
        per process (``embeddings.load_glove``: the PyPI package, or ``$GLOVE_PATH``).
    """
    from .embeddings import embedding_matrix, load_glove

    if "vectors" not in _glove_cache:  # loaded once per process, shared by every model
        _glove_cache["vectors"] = load_glove()
    return embedding_matrix(encoded.vocab, _glove_cache["vectors"], seed=seed)


_glove_cache: dict = {}
