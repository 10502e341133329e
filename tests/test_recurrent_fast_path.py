"""The length-aware recurrent layers: the maths of a masked layer, without a mask on the fast path.

Every check compares with Keras's own masked layers (the definition of "correctly masked") on
inputs padded on the left, on the right and in the middle, including an empty review.
"""
from __future__ import annotations

import keras
import keras.src.backend
import numpy as np
import pytest
from keras import layers

from course_utils import models
from course_utils.workbook.masked_reference import MaskedMaxPooling, masked_bigru

V, T, D, U = 30, 7, 5, 3
# rows: pre-padded, full, one token, empty, post-padded, zeros in the middle
TOKENS = np.array([
    [0, 0, 0, 4, 9, 2, 7],
    [3, 5, 8, 1, 6, 2, 9],
    [0, 0, 0, 0, 0, 0, 11],
    [0, 0, 0, 0, 0, 0, 0],
    [12, 4, 4, 0, 0, 0, 0],
    [5, 0, 7, 0, 0, 8, 3],
], dtype="int32")
LENGTHS = (TOKENS != 0).sum(axis=1)
CELLS = {"simple_rnn": layers.SimpleRNN, "lstm": layers.LSTM, "gru": layers.GRU}


def _np(x):
    return keras.ops.convert_to_numpy(x)


def _embed(tokens, seed=0):
    table = np.random.default_rng(seed).normal(size=(V, D)).astype("float32")
    return table[tokens]


def test_left_align_keeps_order_and_counts_tokens():
    aligned, lengths = models.LeftAlignTokens()(TOKENS)
    expected = [[4, 9, 2, 7, 0, 0, 0], [3, 5, 8, 1, 6, 2, 9], [11, 0, 0, 0, 0, 0, 0],
                [0] * 7, [12, 4, 4, 0, 0, 0, 0], [5, 7, 8, 3, 0, 0, 0]]
    assert _np(aligned).tolist() == expected
    assert _np(lengths).tolist() == [4, 7, 1, 0, 3, 4]


def test_reverse_within_length_reverses_only_the_review():
    index = _np(models.reverse_within_length(keras.ops.convert_to_tensor([3, 0, 5], "int32"), 5))
    assert index.tolist() == [[2, 1, 0, 3, 4], [0, 1, 2, 3, 4], [4, 3, 2, 1, 0]]


@pytest.mark.parametrize("width", [T, 1, 3])  # every step, the "last" head's one, repeats
def test_take_steps_picks_each_rows_own_steps(width):
    sequences = np.random.default_rng(1).normal(size=(len(TOKENS), T, D)).astype("float32")
    index = np.random.default_rng(2).integers(0, T, size=(len(TOKENS), width)).astype("int32")
    expected = sequences[np.arange(len(TOKENS))[:, None], index]  # NumPy's per-row fancy indexing
    got = _np(models._take_steps(keras.ops.convert_to_tensor(sequences), keras.ops.convert_to_tensor(index)))
    assert got.shape == (len(TOKENS), width, D)
    np.testing.assert_array_equal(got, expected)


def _pair(kind, bidirectional, return_sequences):
    """Our layer and Keras's masked reference with the same weights."""
    cell = CELLS[kind]
    reference = cell(U, return_sequences=return_sequences)
    if bidirectional:
        reference = layers.Bidirectional(reference)
    mask = TOKENS != 0
    expected = _np(reference(_embed(TOKENS), mask=mask))
    ours = models.LengthAwareRNN(kind, U, bidirectional=bidirectional, return_sequences=return_sequences)
    aligned, lengths = models.LeftAlignTokens()(TOKENS)
    ours.build([(None, T, D), (None,)])
    if bidirectional:
        ours.forward_layer.set_weights(reference.forward_layer.get_weights())
        ours.backward_layer.set_weights(reference.backward_layer.get_weights())
    else:
        ours.forward_layer.set_weights(reference.get_weights())
    got = _np(ours([_embed(_np(aligned)), lengths]))
    return got, expected


@pytest.mark.parametrize("kind", sorted(CELLS))
@pytest.mark.parametrize("bidirectional", [False, True])
def test_states_at_every_real_token_equal_the_masked_layer(kind, bidirectional):
    got, expected = _pair(kind, bidirectional, return_sequences=True)
    width = U * (2 if bidirectional else 1)
    assert got.shape == (len(TOKENS), T, width)
    for row, length in enumerate(LENGTHS):
        real = np.flatnonzero(TOKENS[row])
        np.testing.assert_allclose(got[row, :length], expected[row, real], rtol=1e-5, atol=1e-6)
        assert np.all(got[row, length:] == 0), "states after a review's end must be zero"


@pytest.mark.parametrize("kind", sorted(CELLS))
@pytest.mark.parametrize("bidirectional", [False, True])
def test_last_state_equals_the_masked_layer(kind, bidirectional):
    got, expected = _pair(kind, bidirectional, return_sequences=False)
    has_tokens = LENGTHS > 0
    np.testing.assert_allclose(got[has_tokens], expected[has_tokens], rtol=1e-5, atol=1e-6)
    assert np.all(got[~has_tokens] == 0) and np.isfinite(got).all()


def test_pooling_reads_only_real_steps_and_gives_zeros_for_an_empty_review():
    seq = np.arange(2 * 4 * 2, dtype="float32").reshape(2, 4, 2) - 20.0  # all negative early on
    pooled = _np(models.LengthAwarePooling()([seq, np.array([2, 0], dtype="int32")]))
    # row 0 keeps steps 0 and 1: max and mean written out by hand
    assert pooled[0].tolist() == [-18.0, -17.0, -19.0, -18.0]
    assert pooled[1].tolist() == [0.0, 0.0, 0.0, 0.0]


def test_the_reference_max_pooling_skips_masked_steps_and_gives_zero_for_an_empty_row():
    x = np.array([[[1.0], [-3.0]], [[5.0], [2.0]], [[-1.0], [-2.0]]], dtype="float32")
    mask = np.array([[False, False], [True, False], [False, True]])
    assert _np(MaskedMaxPooling()(x, mask=mask)).tolist() == [[0.0], [5.0], [-2.0]]


@pytest.fixture
def recorded_masks(monkeypatch):
    """Every mask that reaches a recurrent layer's loop, and which fast kernels were tried."""
    seen = {"masks": [], "fast": []}
    for cls in (layers.LSTM, layers.GRU, layers.SimpleRNN):
        original = cls.inner_loop

        def spy(self, sequences, initial_state, mask, training=False, _original=original):
            seen["masks"].append(mask)
            return _original(self, sequences, initial_state, mask, training=training)

        monkeypatch.setattr(cls, "inner_loop", spy)
    for name in ("lstm", "gru"):
        original = getattr(keras.src.backend, name)

        def fast(*args, _original=original, _name=name, **kwargs):
            seen["fast"].append((_name, args[3] if len(args) > 3 else kwargs.get("mask")))
            return _original(*args, **kwargs)

        monkeypatch.setattr(keras.src.backend, name, fast)
    return seen


@pytest.mark.parametrize("kind", sorted(CELLS))
@pytest.mark.parametrize("bidirectional,layers_count,head", [
    (False, 1, "last"), (False, 1, "pool"), (True, 1, "last"), (True, 2, "pool")])
def test_no_mask_reaches_the_backend_and_empty_reviews_give_numbers(recorded_masks, kind, bidirectional,
                                                                   layers_count, head):
    model = models.build_recurrent(kind, V, T, units=U, embedding_dim=D, bidirectional=bidirectional,
                                   layers_count=layers_count, head=head, dropout=0.2)
    out = _np(model(TOKENS, training=False))
    assert out.shape == (len(TOKENS), 1) and np.isfinite(out).all()
    calls = layers_count * (2 if bidirectional else 1)
    assert len(recorded_masks["masks"]) == calls
    assert all(mask is None for mask in recorded_masks["masks"])
    if kind != "simple_rnn":  # LSTM and GRU try the backend's fused (cuDNN) kernel, maskless
        assert [name for name, _ in recorded_masks["fast"]] == [kind] * calls
        assert all(mask is None for _, mask in recorded_masks["fast"])


@pytest.mark.parametrize("head", ["last", "pool"])
def test_whole_model_equals_a_masked_keras_model(head):
    """Same weights in a plain masked Keras model (Embedding(mask_zero) + Bidirectional(GRU)):
    the same probabilities for reviews padded on either side."""
    ours = models.build_bigru(V, T, units=U, embedding_dim=D, dropout=0.0, head=head)
    reference = masked_bigru(V, T, units=U, embedding_dim=D, head=head)
    rnn = ours.get_layer("bi_gru_1")
    reference.get_layer("embedding").set_weights(ours.get_layer("embedding").get_weights())
    reference.get_layer("bi_gru_1").forward_layer.set_weights(rnn.forward_layer.get_weights())
    reference.get_layer("bi_gru_1").backward_layer.set_weights(rnn.backward_layer.get_weights())
    reference.get_layer("sentiment").set_weights(ours.get_layer("sentiment").get_weights())
    rows = LENGTHS > 0
    np.testing.assert_allclose(_np(ours(TOKENS[rows])), _np(reference(TOKENS[rows])), rtol=1e-5, atol=1e-6)


def test_saved_model_reloads_with_identical_predictions(tmp_path):
    model = models.build_bigru(V, T, units=U, embedding_dim=D, layers_count=2, head="pool")
    path = tmp_path / "m.keras"
    model.save(path)
    again = keras.models.load_model(path)
    np.testing.assert_allclose(_np(again(TOKENS)), _np(model(TOKENS)), rtol=1e-6)
