"""From a profile to model-ready arrays in one call, shared by every training notebook."""
from __future__ import annotations

import os

from .config import Profile
from .data import ImdbData, load_profile_data
from .text import EncodedData, encode_dataset


def prepare(profile: Profile, *, vocab_size: int | None = None, maxlen: int | None = None,
            padding: str = "pre", truncating: str = "pre", path: str | os.PathLike | None = None,
            data: ImdbData | None = None, drop_unknown: bool | None = None) -> tuple[ImdbData, EncodedData]:
    """Load the profile's reviews and encode them (vocabulary from the training split only)."""
    data = data if data is not None else load_profile_data(profile, path, progress=False)
    encoded = encode_dataset(data.train.text, data.train.label, data.test.text, data.test.label,
                             vocab_size=vocab_size or profile.vocab_size,
                             maxlen=maxlen or profile.maxlen, padding=padding, truncating=truncating,
                             drop_unknown=profile.drop_unknown if drop_unknown is None else drop_unknown)
    return data, encoded


def embedding_init(profile: Profile, encoded: EncodedData, *, kind: str | None = None) -> dict:
    """Embedding arguments for the recurrent builders: GloVe vectors aligned with the vocabulary
    (``kind="glove"``) or nothing, i.e. a randomly initialised embedding (``"learned"``)."""
    kind = kind or profile.embeddings
    if kind == "learned":
        return {}
    if kind != "glove":
        raise ValueError(f"embeddings must be 'glove' or 'learned', got {kind!r}.")
    from .embeddings import embedding_matrix, load_glove

    if "vectors" not in _glove_cache:  # loaded once per process, shared by every model
        _glove_cache["vectors"] = load_glove()
    vectors = _glove_cache["vectors"]
    matrix = embedding_matrix(encoded.vocab, vectors, seed=profile.seed)
    return {"embedding_matrix": matrix, "embedding_dim": vectors.dim}


_glove_cache: dict = {}
