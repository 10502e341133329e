"""One Keras 3 builder per architecture of the workbook.

These are the answer key: the notebooks write each model in Keras in their own cells, and a test
(``tests/test_notebook_models.py``) builds every notebook's model from its cell and checks that it
equals the builder here (layer types, configurations, parameter count); the bench, the tuner and
assignment 2's checks build from here. Everything is backend-neutral Keras 3, so it runs with
TensorFlow (the default), PyTorch or JAX. The recurrent models use Keras's own masking
(``Embedding(mask_zero=True)``) on right-padded batches (``course_utils.batching``) with no empty
row, which TensorFlow-GPU's cuDNN kernels accept, and keep cuDNN-eligible settings:
``tanh``/``sigmoid`` activations, ``recurrent_dropout=0``, ``unroll=False``,
``use_bias=True`` and (GRU) ``reset_after=True``. Change any of them and Keras silently
falls back to a generic kernel that is several times slower on a GPU. Regularise with
``dropout`` between layers instead of ``recurrent_dropout``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import keras
import numpy as np

if TYPE_CHECKING:
    import pandas as pd
from keras import layers

from .layers import MaskedGlobalMaxPooling1D

RecurrentKind = Literal["simple_rnn", "lstm", "gru"]
_CELLS = {"simple_rnn": layers.SimpleRNN, "lstm": layers.LSTM, "gru": layers.GRU}


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}.")


def _check_rate(name: str, value: float) -> None:
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}.")


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
                embedding_matrix: np.ndarray | None = None, learning_rate: float = 1e-3,
                name: str = "dense") -> keras.Model:
    """Embedding -> global pooling -> Dense -> sigmoid: the bag-of-embeddings baseline (notebook 03).

    Word order is ignored, which makes it the yardstick every recurrent model must beat. Given
    ``embedding_matrix`` (GloVe), it starts from the same vectors as the recurrent models.
    """
    _check_positive(maxlen=maxlen, hidden_units=hidden_units)  # embedding_layer checks vocab_size
    _check_rate("dropout", dropout)
    if pooling not in ("avg", "max", "avg+max"):
        raise ValueError(f"pooling must be 'avg', 'max' or 'avg+max', got {pooling!r}.")
    inputs = keras.Input(shape=(maxlen,), dtype="int32", name="tokens")
    x = embedding_layer(vocab_size, embedding_dim, mask_zero=pooling == "avg",
                        embedding_matrix=embedding_matrix)(inputs)
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
    """Embedding -> (stacked, optionally bidirectional) recurrent layers -> sigmoid (notebooks 04-08).

    The embedding masks the padding (index 0, ``mask_zero=True``) and every later layer honours
    the mask, so a review's outputs do not depend on how much padding its batch holds. Feed
    right-padded batches with no empty row (``course_utils.batching.LengthBuckets`` does), which
    TensorFlow-GPU's cuDNN kernels require of a mask.

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
    x = embedding_layer(vocab_size, embedding_dim, mask_zero=True, embedding_matrix=embedding_matrix,
                        trainable=trainable_embedding)(inputs)
    x = layers.SpatialDropout1D(dropout, name="embedding_dropout")(x) if dropout else x
    for i in range(layers_count):
        sequences = i < layers_count - 1 or head == "pool"
        layer = _CELLS[kind](units, return_sequences=sequences, name=f"{kind}_{i + 1}")
        x = (layers.Bidirectional(layer, name=f"bi_{kind}_{i + 1}") if bidirectional else layer)(x)
        if dropout:
            x = layers.Dropout(dropout, name=f"dropout_{i + 1}")(x)
    if head == "pool":
        x = layers.Concatenate(name="pools")([MaskedGlobalMaxPooling1D(name="max_pool")(x),
                                              layers.GlobalAveragePooling1D(name="avg_pool")(x)])
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


def summary_table(model: keras.Model) -> pd.DataFrame:
    """The model's layers as a plain table (layer, type, output shape, parameters).

    Unlike ``model.summary()`` it stores cleanly in a notebook (no terminal colour codes).

    Parameters
    ----------
    model : keras.Model
        A built model.

    Returns
    -------
    pandas.DataFrame
        One row per layer.
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
