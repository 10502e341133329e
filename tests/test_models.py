"""Model builders: shapes, parameter counts computed from the equations, validation."""
from __future__ import annotations

import numpy as np
import pytest

from course_utils import models

V, L, E, U = 100, 12, 8, 4


def _predict(model):
    x = np.random.default_rng(0).integers(0, V, size=(3, L)).astype("int32")
    return model.predict(x, verbose=0)


def test_dense_baseline_outputs_probabilities():
    out = _predict(models.build_dense(V, L, embedding_dim=E, hidden_units=5))
    assert out.shape == (3, 1) and np.all((out > 0) & (out < 1))


@pytest.mark.parametrize("kind,gates", [("simple_rnn", 1), ("lstm", 4)])
def test_recurrent_parameter_counts_follow_the_equations(kind, gates):
    model = models.build_recurrent(kind, V, L, units=U, embedding_dim=E, dropout=0.0)
    rnn = model.get_layer(f"{kind}_1")
    assert models.count_params(model) - V * E - (U + 1) == rnn.count_params()
    assert rnn.count_params() == gates * (U * (E + U) + U)


def test_gru_has_three_gates_with_reset_after_biases():
    gru = models.build_gru(V, L, units=U, embedding_dim=E).get_layer("gru_1")
    assert gru.count_params() == 3 * (U * (E + U) + 2 * U)
    lstm = models.build_lstm(V, L, units=U, embedding_dim=E).get_layer("lstm_1")
    assert gru.count_params() < lstm.count_params()


def test_bidirectional_and_stacked_shapes_and_names():
    model = models.build_bigru(V, L, units=U, embedding_dim=E, layers_count=2)
    assert model.name == "bigru_2x"
    assert model.get_layer("bi_gru_1").output.shape == (None, L, 2 * U)
    assert model.get_layer("bi_gru_2").output.shape == (None, 2 * U)
    assert _predict(model).shape == (3, 1)


def test_pooling_head_reads_every_time_step():
    model = models.build_lstm(V, L, units=U, embedding_dim=E, head="pool")
    assert model.get_layer("lstm_1").output.shape == (None, L, U)
    assert model.get_layer("pools").output.shape == (None, 2 * U)


def test_cudnn_eligible_defaults():
    for layer_name, model in (("lstm_1", models.build_lstm(V, L)), ("gru_1", models.build_gru(V, L))):
        cell = model.get_layer(layer_name)
        assert cell.activation.__name__ == "tanh"
        assert cell.recurrent_activation.__name__ == "sigmoid"
        assert cell.recurrent_dropout == 0 and not cell.unroll and cell.use_bias
    assert models.build_gru(V, L).get_layer("gru_1").reset_after


def test_embedding_matrix_initialises_and_freezes():
    matrix = np.arange(V * E, dtype="float32").reshape(V, E)
    model = models.build_lstm(V, L, embedding_dim=E, embedding_matrix=matrix, trainable_embedding=False)
    emb = model.get_layer("embedding")
    assert np.allclose(np.asarray(emb.embeddings), matrix)
    assert not emb.trainable
    assert models.count_params(model, trainable_only=True) == models.count_params(model) - V * E
    with pytest.raises(ValueError, match="expected \\(vocab_size, embedding_dim\\)"):
        models.build_lstm(V, L, embedding_dim=E + 1, embedding_matrix=matrix)


@pytest.mark.parametrize("kwargs,match", [
    (dict(units=0), "units must be a positive integer"),
    (dict(dropout=1.0), "dropout must be in"),
    (dict(head="attention"), "head must be"),
])
def test_builders_validate_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        models.build_gru(V, L, **kwargs)
    with pytest.raises(ValueError, match="kind must be one of"):
        models.build_recurrent("transformer", V, L)


def test_summary_table_totals_match_count_params():
    model = models.build_gru(V, L, units=U, embedding_dim=E)
    table = models.summary_table(model)
    assert table.attrs["total"] == models.count_params(model)
    assert table.loc["gru_1", "type"] == "GRU"  # Keras's own layer, masked by the embedding
