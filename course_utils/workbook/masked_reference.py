"""Keras's masked layers as the course used them before ``models.LengthAwareRNN``.

The reference that the length-aware layers are tested against, and the masked arm of
``make bench``'s ``masking`` table. Keras's ``GlobalMaxPooling1D`` ignores masks, so the max
pooling of a masked sequence needs its own layer.
"""
from __future__ import annotations

from typing import Literal

import keras
from keras import layers, ops


class MaskedMaxPooling(keras.layers.Layer):
    """Max over the steps a Keras mask keeps; zeros for a row where it keeps none."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        keep = ops.expand_dims(ops.cast(mask, "bool"), -1)
        pooled = ops.max(ops.where(keep, inputs, -1e9), axis=1)
        return ops.where(ops.any(keep, axis=1), pooled, ops.zeros_like(pooled))

    def compute_mask(self, inputs, mask=None):
        return None


def masked_bigru(vocab_size: int, maxlen: int, *, units: int, embedding_dim: int, dropout: float = 0.0,
                 head: Literal["last", "pool"] = "pool") -> keras.Model:
    """``models.build_bigru``'s architecture from Keras's masked layers: ``Embedding(mask_zero=True)``,
    ``Bidirectional(GRU)``, then the last state or the masked max and mean (uncompiled).

    Its layers are named as in ``build_bigru`` (``embedding``, ``bi_gru_1``, ``sentiment``), so
    weights can be copied across by name.
    """
    inputs = keras.Input(shape=(maxlen,), dtype="int32", name="tokens")
    x = layers.Embedding(vocab_size, embedding_dim, mask_zero=True, name="embedding")(inputs)
    x = layers.SpatialDropout1D(dropout)(x) if dropout else x
    x = layers.Bidirectional(layers.GRU(units, return_sequences=head == "pool"), name="bi_gru_1")(x)
    x = layers.Dropout(dropout)(x) if dropout else x
    if head == "pool":
        x = layers.Concatenate()([MaskedMaxPooling()(x), layers.GlobalAveragePooling1D()(x)])
    return keras.Model(inputs, layers.Dense(1, activation="sigmoid", name="sentiment")(x), name="masked_bigru")
