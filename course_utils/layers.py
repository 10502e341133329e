"""The one layer the course adds to Keras: global max pooling that respects the mask.

Keras 3's ``GlobalAveragePooling1D`` skips masked steps, but ``GlobalMaxPooling1D`` ignores the
mask: over a right-padded batch it would also look at the states computed for padding. Notebook
05 shows this layer's code where it first uses it.
"""
from __future__ import annotations

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="course_utils")
class MaskedGlobalMaxPooling1D(layers.Layer):
    """For each feature, the largest value over the steps the mask keeps.

    Input ``(batch, steps, features)`` with an optional boolean mask ``(batch, steps)`` (the one
    ``Embedding(mask_zero=True)`` starts); output ``(batch, features)``. Without a mask it is
    ``GlobalMaxPooling1D``. A row with no kept step (which the course never feeds) gives zeros.
    """

    def __init__(self, **kwargs):  # pragma: no mutate block
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return ops.max(inputs, axis=1)
        keep = ops.expand_dims(ops.cast(mask, "bool"), -1)
        peak = ops.max(ops.where(keep, inputs, ops.full_like(inputs, -1e9)), axis=1)
        return ops.where(ops.any(keep, axis=1), peak, ops.zeros_like(peak))

    def compute_mask(self, inputs, mask=None):
        return None  # one vector per review: nothing left to mask

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])
