"""One Keras 3 builder per architecture of the workbook.

Everything here uses backend-neutral Keras 3 layers and ``keras.ops``, so it runs with
TensorFlow (the default), PyTorch or JAX. The recurrent models pass no mask to Keras's
recurrent layers (see :class:`LengthAwareRNN`), and keep cuDNN-eligible settings:
``tanh``/``sigmoid`` activations, ``recurrent_dropout=0``, ``unroll=False``,
``use_bias=True`` and (GRU) ``reset_after=True``. Change any of them and Keras silently
falls back to a generic kernel that is several times slower on a GPU. Regularise with
``dropout`` between layers instead of ``recurrent_dropout``.
"""
from __future__ import annotations

from typing import Literal

import keras
import numpy as np
from keras import layers, ops

RecurrentKind = Literal["simple_rnn", "lstm", "gru"]
_CELLS = {"simple_rnn": layers.SimpleRNN, "lstm": layers.LSTM, "gru": layers.GRU}


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}.")


def _check_rate(name: str, value: float) -> None:
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}.")


# --- Length-aware recurrence -------------------------------------------------------------------
# A mask makes Keras's recurrent layers leave the fast kernels: on torch any mask falls back to a
# Python loop (27-40x slower than cuDNN on an H100), on TensorFlow-GPU cuDNN accepts only
# right-padded masks. So the recurrent models never pass a mask. Instead the tokens are moved to
# the front of each row (``LeftAlignTokens``); a forward recurrence is causal, so its states at the
# real tokens equal those of a masked layer whatever follows them; the backward direction reads
# each review reversed *within its own length*; pooling and the "last" head use the lengths.

def _step_mask(lengths, steps):
    """``(batch, steps)`` booleans: True where a step holds a real token."""
    return ops.less(ops.expand_dims(ops.arange(steps, dtype="int32"), 0), ops.expand_dims(lengths, 1))


def _take_steps(sequences, index):
    """``sequences[b, index[b, t], :]`` for every row ``b`` and step ``t``.

    One gather of whole feature rows from the flattened ``(batch * steps, features)`` tensor:
    ``take_along_axis`` would gather (and scatter the gradient of) every single number, about
    10x slower on TensorFlow's CPU kernels.
    """
    batch, steps, width = ops.shape(sequences)[0], ops.shape(sequences)[1], sequences.shape[-1]
    offsets = ops.expand_dims(ops.arange(batch, dtype="int32") * steps, 1)
    rows = ops.take(ops.reshape(sequences, (-1, width)), ops.reshape(index + offsets, (-1,)), axis=0)
    return ops.reshape(rows, (batch, ops.shape(index)[1], width))


def reverse_within_length(lengths, steps):
    """Index that reverses the first ``lengths[b]`` steps of each row and leaves the rest in place.

    Applying it twice gives the identity, so it also maps a reversed sequence back.
    """
    positions = ops.expand_dims(ops.arange(steps, dtype="int32"), 0)
    lengths = ops.expand_dims(lengths, 1)
    return ops.where(ops.less(positions, lengths), lengths - 1 - positions, positions)


@keras.saving.register_keras_serializable(package="course_utils")
class LeftAlignTokens(layers.Layer):
    """Move each row's real tokens (non-zero) to the front, in order, and count them.

    Works for pre-, post- or mixed padding: a zero anywhere is skipped, exactly as a masked
    recurrent layer skips a masked step. Returns ``(aligned_tokens, lengths)``.
    """

    def call(self, tokens):
        tokens = ops.cast(tokens, "int32")
        steps = ops.shape(tokens)[1]
        real = ops.not_equal(tokens, 0)
        positions = ops.expand_dims(ops.arange(steps, dtype="int32"), 0)
        # Unique keys (real tokens first, each group in its original order): any sort agrees.
        order = ops.argsort(ops.where(real, positions, positions + steps), axis=1)
        return ops.take_along_axis(tokens, order, axis=1), ops.sum(ops.cast(real, "int32"), axis=1)

    def compute_output_spec(self, tokens):
        return (keras.KerasTensor(tokens.shape, dtype="int32"),
                keras.KerasTensor((tokens.shape[0],), dtype="int32"))


@keras.saving.register_keras_serializable(package="course_utils")
class LengthAwareRNN(layers.Layer):
    """A (bidirectional) SimpleRNN/LSTM/GRU over left-aligned sequences, without a Keras mask.

    Called on ``[sequences, lengths]``. No mask reaches the backend, so LSTM and GRU take cuDNN
    on TensorFlow and torch GPUs; the results equal a masked layer's at every real step.

    Parameters
    ----------
    kind : {"simple_rnn", "lstm", "gru"}
        The recurrent cell.
    units : int
        Units per direction.
    bidirectional : bool
        Add a backward direction that reads each review reversed within its own length.
    return_sequences : bool
        ``True``: the states at every step (zeros after a review's end); ``False``: the forward
        state at each review's last token, with the backward state at its first token.
    """

    def __init__(self, kind: RecurrentKind, units: int, *, bidirectional: bool = False,
                 return_sequences: bool = False, **kwargs):  # pragma: no mutate block
        super().__init__(**kwargs)
        if kind not in _CELLS:
            raise ValueError(f"kind must be one of {sorted(_CELLS)}, got {kind!r}.")
        self.kind, self.units = kind, int(units)
        self.bidirectional, self.return_sequences = bool(bidirectional), bool(return_sequences)
        self.forward_layer = _CELLS[kind](units, return_sequences=True, name="forward")
        self.backward_layer = (_CELLS[kind](units, return_sequences=True, name="backward")
                               if bidirectional else None)

    @property
    def directions(self) -> list:
        """The Keras recurrent layers inside (forward, then backward if bidirectional)."""
        return [self.forward_layer] + ([self.backward_layer] if self.backward_layer else [])

    def build(self, input_shape):
        for layer in self.directions:
            layer.build(tuple(input_shape[0]))

    def call(self, inputs, training=None):
        sequences, lengths = inputs
        lengths = ops.cast(lengths, "int32")
        steps = ops.shape(sequences)[1]
        states = [self.forward_layer(sequences, training=training)]
        if self.backward_layer is not None:
            index = reverse_within_length(lengths, steps)
            backward = self.backward_layer(_take_steps(sequences, index), training=training)
            states.append(_take_steps(backward, index))
        if self.return_sequences:
            keep = ops.expand_dims(ops.cast(_step_mask(lengths, steps), states[0].dtype), -1)
            return ops.concatenate(states, axis=-1) * keep if len(states) > 1 else states[0] * keep
        last = ops.expand_dims(ops.maximum(lengths - 1, 0), 1)
        finals = [ops.squeeze(_take_steps(states[0], last), 1)]
        if len(states) > 1:
            finals.append(states[1][:, 0, :])  # the backward direction ends at the first token
        final = ops.concatenate(finals, axis=-1) if len(finals) > 1 else finals[0]
        has_tokens = ops.expand_dims(ops.cast(ops.greater(lengths, 0), final.dtype), -1)
        return final * has_tokens

    def compute_output_shape(self, input_shape):
        batch, steps = input_shape[0][0], input_shape[0][1]
        width = self.units * (2 if self.bidirectional else 1)
        return (batch, steps, width) if self.return_sequences else (batch, width)

    def get_config(self):
        return {**super().get_config(), "kind": self.kind, "units": self.units,
                "bidirectional": self.bidirectional, "return_sequences": self.return_sequences}


@keras.saving.register_keras_serializable(package="course_utils")
class LengthAwarePooling(layers.Layer):
    """Max and mean over each row's first ``lengths`` steps, concatenated; zeros for empty rows."""

    def call(self, inputs):
        sequences, lengths = inputs
        lengths = ops.cast(lengths, "int32")
        keep = ops.expand_dims(_step_mask(lengths, ops.shape(sequences)[1]), -1)
        count = ops.expand_dims(ops.cast(ops.maximum(lengths, 1), sequences.dtype), -1)
        mean = ops.sum(ops.where(keep, sequences, ops.zeros_like(sequences)), axis=1) / count
        peak = ops.max(ops.where(keep, sequences, ops.full_like(sequences, -1e9)), axis=1)
        peak = ops.where(ops.expand_dims(ops.greater(lengths, 0), -1), peak, ops.zeros_like(peak))
        return ops.concatenate([peak, mean], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], 2 * input_shape[0][2])


def embedding_layer(vocab_size: int, embedding_dim: int, *, mask_zero: bool = False,
                    embedding_matrix: np.ndarray | None = None, trainable: bool = True,
                    name: str = "embedding") -> layers.Embedding:
    """An Embedding layer, optionally initialised from pretrained vectors (e.g. GloVe)."""
    _check_positive(vocab_size=vocab_size, embedding_dim=embedding_dim)
    init = "uniform"
    if embedding_matrix is not None:
        if embedding_matrix.shape != (vocab_size, embedding_dim):
            raise ValueError(f"embedding_matrix has shape {embedding_matrix.shape}, expected "
                             f"(vocab_size, embedding_dim) = ({vocab_size}, {embedding_dim}).")
        init = keras.initializers.Constant(embedding_matrix)
    return layers.Embedding(vocab_size, embedding_dim, mask_zero=mask_zero,
                            embeddings_initializer=init, trainable=trainable, name=name)


def compile_binary(model: keras.Model, learning_rate: float = 1e-3) -> keras.Model:
    """Compile for binary sentiment: Adam, binary cross-entropy, accuracy and ROC-AUC."""
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="binary_crossentropy",
                  metrics=["accuracy", keras.metrics.AUC(name="auc")])
    return model


def build_dense(vocab_size: int, maxlen: int, *, embedding_dim: int = 64, hidden_units: int = 32,
                dropout: float = 0.3, pooling: Literal["avg", "max", "avg+max"] = "avg+max",
                learning_rate: float = 1e-3, name: str = "dense") -> keras.Model:
    """Embedding -> global pooling -> Dense -> sigmoid: the bag-of-embeddings baseline.

    Word order is ignored, which makes it the yardstick every recurrent model must beat.
    """
    _check_positive(maxlen=maxlen, hidden_units=hidden_units)  # embedding_layer checks vocab_size
    _check_rate("dropout", dropout)
    if pooling not in ("avg", "max", "avg+max"):
        raise ValueError(f"pooling must be 'avg', 'max' or 'avg+max', got {pooling!r}.")
    inputs = keras.Input(shape=(maxlen,), dtype="int32", name="tokens")
    x = embedding_layer(vocab_size, embedding_dim, mask_zero=pooling == "avg")(inputs)
    pooled = []
    if "avg" in pooling:
        pooled.append(layers.GlobalAveragePooling1D(name="avg_pool")(x))
    if "max" in pooling:
        pooled.append(layers.GlobalMaxPooling1D(name="max_pool")(x))
    x = pooled[0] if len(pooled) == 1 else layers.Concatenate(name="pools")(pooled)
    x = layers.Dropout(dropout)(x)
    x = layers.Dense(hidden_units, activation="relu", name="hidden")(x)
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(1, activation="sigmoid", name="sentiment")(x)
    return compile_binary(keras.Model(inputs, outputs, name=name), learning_rate)


def build_recurrent(kind: RecurrentKind, vocab_size: int, maxlen: int | None = None, *, units: int = 64,
                    embedding_dim: int = 64, layers_count: int = 1, bidirectional: bool = False,
                    dropout: float = 0.3, head: Literal["last", "pool"] = "last",
                    embedding_matrix: np.ndarray | None = None, trainable_embedding: bool = True,
                    learning_rate: float = 1e-3, name: str | None = None) -> keras.Model:
    """Embedding -> (stacked, optionally bidirectional) recurrent layers -> sigmoid.

    Padding (index 0) is skipped as a mask would skip it, but without a mask: the tokens are
    left-aligned (:class:`LeftAlignTokens`) and the layers are length-aware
    (:class:`LengthAwareRNN`), so LSTM and GRU run on cuDNN on TensorFlow and torch GPUs.
    Inputs may be padded on either side.

    Parameters
    ----------
    kind : {"simple_rnn", "lstm", "gru"}
        The recurrent cell.
    vocab_size : int
        Input vocabulary size.
    maxlen : int, optional
        A fixed input length; by default any length, so training can feed batches trimmed to
        their longest review (``course_utils.batching``): the outputs are the same, the cost lower.
    units : int
        Units per recurrent layer (per direction).
    embedding_dim : int
        Embedding width (must match ``embedding_matrix`` if one is given).
    layers_count : int
        Number of stacked recurrent layers; all but the last return sequences.
    bidirectional : bool
        Read the review both ways and concatenate.
    dropout : float
        Dropout after the embedding and between/after recurrent layers (cuDNN-safe).
    head : {"last", "pool"}
        ``"last"`` classifies from the state at each review's last token; ``"pool"`` from the
        max and mean of the states over the review's tokens, so evidence early in a long review
        is not lost.
    embedding_matrix : ndarray, optional
        Pretrained vectors ``(vocab_size, embedding_dim)`` to start from.
    trainable_embedding : bool
        ``False`` freezes the embedding (pure transfer); ``True`` fine-tunes it.
    learning_rate : float
        Adam's learning rate.
    name : str, optional
        Model name; defaults to e.g. ``"bigru"`` or ``"lstm_2x"``.
    """
    if kind not in _CELLS:
        raise ValueError(f"kind must be one of {sorted(_CELLS)}, got {kind!r}.")
    if head not in ("last", "pool"):
        raise ValueError(f"head must be 'last' or 'pool', got {head!r}.")
    _check_positive(units=units, layers_count=layers_count)  # and embedding_layer vocab_size
    if maxlen is not None:
        _check_positive(maxlen=maxlen)
    _check_rate("dropout", dropout)
    if name is None:
        name = ("bi" if bidirectional else "") + kind.replace("_", "") + (
            f"_{layers_count}x" if layers_count > 1 else "")
    inputs = keras.Input(shape=(maxlen,), dtype="int32", name="tokens")  # (None,): any length
    tokens, lengths = LeftAlignTokens(name="left_align")(inputs)
    x = embedding_layer(vocab_size, embedding_dim, embedding_matrix=embedding_matrix,
                        trainable=trainable_embedding)(tokens)
    x = layers.SpatialDropout1D(dropout, name="embedding_dropout")(x) if dropout else x
    for i in range(layers_count):
        sequences = i < layers_count - 1 or head == "pool"
        x = LengthAwareRNN(kind, units, bidirectional=bidirectional, return_sequences=sequences,
                           name=f"{'bi_' if bidirectional else ''}{kind}_{i + 1}")([x, lengths])
        if dropout:
            x = layers.Dropout(dropout, name=f"dropout_{i + 1}")(x)
    if head == "pool":
        x = LengthAwarePooling(name="pools")([x, lengths])
    outputs = layers.Dense(1, activation="sigmoid", name="sentiment")(x)
    return compile_binary(keras.Model(inputs, outputs, name=name), learning_rate)


def build_simple_rnn(vocab_size: int, maxlen: int | None = None, **kwargs) -> keras.Model:
    """A SimpleRNN classifier (see :func:`build_recurrent` for the options)."""
    return build_recurrent("simple_rnn", vocab_size, maxlen, **kwargs)


def build_lstm(vocab_size: int, maxlen: int | None = None, **kwargs) -> keras.Model:
    """An LSTM classifier (see :func:`build_recurrent` for the options)."""
    return build_recurrent("lstm", vocab_size, maxlen, **kwargs)


def build_gru(vocab_size: int, maxlen: int | None = None, **kwargs) -> keras.Model:
    """A GRU classifier (see :func:`build_recurrent` for the options)."""
    return build_recurrent("gru", vocab_size, maxlen, **kwargs)


def build_bigru(vocab_size: int, maxlen: int | None = None, **kwargs) -> keras.Model:
    """A bidirectional GRU classifier (see :func:`build_recurrent` for the options)."""
    return build_recurrent("gru", vocab_size, maxlen, bidirectional=True, **kwargs)


def _size(weights) -> int:
    return int(sum(int(np.prod(w.shape)) for w in weights))


def count_params(model: keras.Model, *, trainable_only: bool = False) -> int:
    """Number of (trainable) parameters of a built model."""
    return _size(model.trainable_weights if trainable_only else model.weights)


def summary_table(model: keras.Model) -> "pd.DataFrame":
    """The model's layers as a plain table (layer, type, output shape, parameters).

    Unlike ``model.summary()`` it stores cleanly in a notebook (no terminal colour codes).
    """
    import pandas as pd

    rows = []
    for layer in model.layers:
        try:
            shape = str(tuple(layer.output.shape))
        except (AttributeError, ValueError):
            shape = "?"
        rows.append({"layer": layer.name, "type": type(layer).__name__, "output shape": shape,
                     "parameters": _size(layer.weights)})
    table = pd.DataFrame(rows).set_index("layer")
    table.attrs["total"] = int(table["parameters"].sum())
    return table
