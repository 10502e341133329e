"""From a profile to model-ready arrays in one call, shared by every training notebook."""
from __future__ import annotations

import os

from .config import Profile
from .data import ImdbData, load_profile_data
from .text import EncodedData, encode_dataset


def prepare(profile: Profile, *, vocab_size: int | None = None, maxlen: int | None = None,
            padding: str = "pre", truncating: str = "pre", path: str | os.PathLike | None = None,
            data: ImdbData | None = None) -> tuple[ImdbData, EncodedData]:
    """Load the profile's reviews and encode them (vocabulary from the training split only)."""
    data = data if data is not None else load_profile_data(profile, path)
    encoded = encode_dataset(data.train.text, data.train.label, data.test.text, data.test.label,
                             vocab_size=vocab_size or profile.vocab_size,
                             maxlen=maxlen or profile.maxlen, padding=padding, truncating=truncating)
    return data, encoded
