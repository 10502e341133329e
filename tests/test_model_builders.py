"""The builders' exact architectures, compile settings, summary table and the layers' shape logic.

Each expectation is written out here: the layers in order with their settings, so a dropped
dropout, a wrong default, a renamed layer or a mask on the wrong pooling fails.
"""
from __future__ import annotations

import keras
import numpy as np
import pytest

from course_utils import models

V, L, E, U = 20, 6, 3, 2


def _layers(model):
    return [(layer.name, type(layer).__name__) for layer in model.layers]


def _rates(model):
    return [layer.rate for layer in model.layers if isinstance(layer, (keras.layers.Dropout,
                                                                          keras.layers.SpatialDropout1D))]


def test_dense_baseline_architecture_and_defaults():
    model = models.build_dense(V, L)
    assert model.name == "dense"
    names = _layers(model)
    assert [t for _, t in names] == ["InputLayer", "Embedding", "GlobalAveragePooling1D", "GlobalMaxPooling1D",
                                     "Concatenate", "Dropout", "Dense", "Dropout", "Dense"]
    assert [n for n, _ in names][:5] == ["tokens", "embedding", "avg_pool", "max_pool", "pools"]
    assert [n for n, _ in names][6] == "hidden" and names[-1][0] == "sentiment"
    embedding = model.get_layer("embedding")
    assert (embedding.input_dim, embedding.output_dim, embedding.mask_zero) == (V, 64, False)
    assert model.get_layer("hidden").units == 32 and model.get_layer("hidden").activation.__name__ == "relu"
    assert model.get_layer("sentiment").units == 1
    assert model.get_layer("sentiment").activation.__name__ == "sigmoid"
    assert _rates(model) == [0.3, 0.3]
    assert model.inputs[0].shape == (None, L) and model.inputs[0].dtype == "int32"


@pytest.mark.parametrize("pooling, layer, mask", [("avg", "avg_pool", True), ("max", "max_pool", False)])
def test_dense_with_one_pooling_has_no_concatenation_and_masks_only_the_average(pooling, layer, mask):
    model = models.build_dense(V, L, embedding_dim=E, hidden_units=5, dropout=0.1, pooling=pooling, name="d")
    names = [n for n, _ in _layers(model)]
    assert names[2] == layer and "pools" not in names and model.name == "d"
    assert model.get_layer("embedding").mask_zero is mask
    assert model.get_layer("embedding").output_dim == E and model.get_layer("hidden").units == 5
    assert _rates(model) == [0.1, 0.1]


def test_compile_binary_uses_adam_at_the_rate_binary_cross_entropy_accuracy_and_auc():
    model = models.build_dense(V, L, embedding_dim=E, learning_rate=0.02)
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(0.02)
    x = np.arange(2 * L, dtype="int32").reshape(2, L) % V
    result = model.evaluate(x, np.array([0.0, 1.0]), verbose=0, return_dict=True)
    assert sorted(result) == ["accuracy", "auc", "loss"]
    probabilities = keras.ops.convert_to_numpy(model(x)).ravel()
    expected_loss = -np.mean([np.log(1 - probabilities[0]), np.log(probabilities[1])])
    assert result["loss"] == pytest.approx(expected_loss, rel=1e-4)
    for default in (models.build_gru(V, L, units=U, embedding_dim=E), models.build_dense(V, L, embedding_dim=E)):
        assert float(keras.ops.convert_to_numpy(default.optimizer.learning_rate)) == pytest.approx(1e-3)
    recurrent = models.build_lstm(V, L, units=U, embedding_dim=E, learning_rate=0.05)
    assert float(keras.ops.convert_to_numpy(recurrent.optimizer.learning_rate)) == pytest.approx(0.05)
    assert recurrent.inputs[0].shape == (None, L) and recurrent.inputs[0].dtype == "int32"


def test_recurrent_architecture_stacked_bidirectional_pool_head():
    model = models.build_recurrent("gru", V, L, units=U, embedding_dim=E, layers_count=2,
                                   bidirectional=True, head="pool", dropout=0.2)
    assert model.name == "bigru_2x"
    assert _layers(model) == [
        ("tokens", "InputLayer"), ("embedding", "Embedding"),
        ("embedding_dropout", "SpatialDropout1D"), ("bi_gru_1", "Bidirectional"), ("dropout_1", "Dropout"),
        ("bi_gru_2", "Bidirectional"), ("dropout_2", "Dropout"), ("max_pool", "MaskedGlobalMaxPooling1D"),
        ("avg_pool", "GlobalAveragePooling1D"), ("pools", "Concatenate"), ("sentiment", "Dense")]
    assert _rates(model) == [0.2, 0.2, 0.2]
    for name in ("bi_gru_1", "bi_gru_2"):
        rnn = model.get_layer(name)
        assert (type(rnn.forward_layer).__name__, rnn.forward_layer.units, rnn.forward_layer.return_sequences) == (
            "GRU", U, True)
    assert model.get_layer("embedding").mask_zero is True            # Keras's own mask
    assert model.get_layer("pools").output.shape == (None, 4 * U)    # max and mean of 2U states


def test_recurrent_defaults_last_head_and_no_dropout_layers_at_zero():
    model = models.build_recurrent("lstm", V, L, embedding_dim=E, layers_count=3, dropout=0.0)
    assert model.name == "lstm_3x"
    assert [n for n, _ in _layers(model)] == ["tokens", "embedding", "lstm_1", "lstm_2", "lstm_3", "sentiment"]
    assert [model.get_layer(f"lstm_{i}").return_sequences for i in (1, 2, 3)] == [True, True, False]
    assert model.get_layer("lstm_1").units == 64 and type(model.get_layer("lstm_1")).__name__ == "LSTM"
    assert model.get_layer("embedding").output_dim == E and model.get_layer("embedding").trainable
    default = models.build_recurrent("simple_rnn", V, L, units=U)
    assert default.name == "simplernn" and default.get_layer("embedding").output_dim == 64
    assert _rates(default) == [0.3, 0.3]


@pytest.mark.parametrize("builder, name, kind, bidirectional", [
    (models.build_simple_rnn, "simplernn", "simple_rnn", False), (models.build_lstm, "lstm", "lstm", False),
    (models.build_gru, "gru", "gru", False), (models.build_bigru, "bigru", "gru", True)])
def test_named_builders_pass_their_cell_and_options_on(builder, name, kind, bidirectional):
    model = builder(V, L, units=U, embedding_dim=E, dropout=0.0)
    rnn = model.layers[2]
    cell = rnn.forward_layer if bidirectional else rnn
    assert model.name == name and type(rnn).__name__ == ("Bidirectional" if bidirectional else type(cell).__name__)
    assert (type(cell).__name__, cell.units) == ({"simple_rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}[kind], U)
    assert model.inputs[0].shape == (None, L) and model.get_layer("embedding").input_dim == V


def test_a_pretrained_matrix_is_copied_in_and_can_be_frozen():
    matrix = np.arange(V * E, dtype="float32").reshape(V, E)
    model = models.build_recurrent("gru", V, L, units=U, embedding_dim=E, embedding_matrix=matrix,
                                   trainable_embedding=False)
    embedding = model.get_layer("embedding")
    assert np.array_equal(keras.ops.convert_to_numpy(embedding.embeddings), matrix)
    assert not embedding.trainable
    assert models.count_params(model) - models.count_params(model, trainable_only=True) == V * E
    layer = models.embedding_layer(V, E, name="glove")
    assert (layer.name, layer.mask_zero, layer.trainable) == ("glove", False, True)
    with pytest.raises(ValueError, match=r"^embedding_matrix has shape \(20, 4\), expected \(vocab_size, "
                                         r"embedding_dim\) = \(20, 3\)\.$"):
        models.embedding_layer(V, E, embedding_matrix=np.zeros((V, 4)))


@pytest.mark.parametrize("call, message", [
    (lambda: models.build_dense(0, L), "vocab_size must be a positive integer, got 0."),
    (lambda: models.build_dense(V, L, dropout=1.0), "dropout must be in [0, 1), got 1.0."),
    (lambda: models.build_dense(V, L, dropout=-0.1), "dropout must be in [0, 1), got -0.1."),
    (lambda: models.build_dense(V, L, pooling="sum"), "pooling must be 'avg', 'max' or 'avg+max', got 'sum'."),
    (lambda: models.build_recurrent("rnn", V, L),
     "kind must be one of ['gru', 'lstm', 'simple_rnn'], got 'rnn'."),
    (lambda: models.build_recurrent("gru", V, L, head="first"), "head must be 'last' or 'pool', got 'first'."),
    (lambda: models.build_recurrent("gru", V, L, layers_count=0), "layers_count must be a positive integer, got 0."),
    (lambda: models.build_recurrent("gru", 0, L), "vocab_size must be a positive integer, got 0."),
    (lambda: models.build_recurrent("gru", V, 0), "maxlen must be a positive integer, got 0."),
    (lambda: models.build_recurrent("gru", V, L, units=0), "units must be a positive integer, got 0."),
    (lambda: models.build_dense(V, 0), "maxlen must be a positive integer, got 0."),
    (lambda: models.build_dense(V, L, hidden_units=0), "hidden_units must be a positive integer, got 0."),
    (lambda: models.build_dense(V, L, embedding_dim=0), "embedding_dim must be a positive integer, got 0."),
])
def test_invalid_arguments_get_exact_messages(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert str(info.value) == message


def test_the_smallest_valid_arguments_are_accepted():
    model = models.build_dense(1, 1, embedding_dim=1, hidden_units=1, dropout=0.0)
    assert models.count_params(model) == 1 + (2 * 1 + 1) + (1 + 1)  # embedding, 2 pools -> hidden, output


def test_summary_table_lists_each_layer_with_its_shape_and_parameters():
    model = models.build_dense(10, 4, embedding_dim=3, hidden_units=2, pooling="max", dropout=0.0)
    table = models.summary_table(model)
    names = table.index.tolist()
    assert names[:3] == ["tokens", "embedding", "max_pool"] and names[4] == "hidden" and names[6] == "sentiment"
    rows = table.reset_index()[["type", "output shape", "parameters"]].values.tolist()
    assert rows == [["InputLayer", "(None, 4)", 0], ["Embedding", "(None, 4, 3)", 30],
                    ["GlobalMaxPooling1D", "(None, 3)", 0], ["Dropout", "(None, 3)", 0],
                    ["Dense", "(None, 2)", 3 * 2 + 2], ["Dropout", "(None, 2)", 0], ["Dense", "(None, 1)", 3]]
    assert table.attrs["total"] == 30 + 8 + 3 == models.count_params(model)
    assert list(table.columns) == ["type", "output shape", "parameters"] and table.index.name == "layer"
    unbuilt = models.summary_table(keras.Sequential([keras.layers.Dense(2, name="d")]))
    assert unbuilt.to_dict("index") == {"d": {"type": "Dense", "output shape": "?", "parameters": 0}}


def test_built_directions_read_the_embedding_width():
    model = models.build_recurrent("gru", V, L, units=U, embedding_dim=E, bidirectional=True, dropout=0.0)
    rnn = model.get_layer("bi_gru_1")
    directions = [rnn.forward_layer, rnn.backward_layer]
    assert [d.built for d in directions] == [True, True] and rnn.backward_layer.go_backwards
    assert [tuple(d.cell.kernel.shape) for d in directions] == [(E, 3 * U), (E, 3 * U)]


def test_compile_binary_defaults_to_a_learning_rate_of_1e_3():
    model = models.compile_binary(keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]))
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(1e-3)


def test_masked_max_pooling_skips_the_masked_steps():
    from course_utils.layers import MaskedGlobalMaxPooling1D
    states = np.array([[[1.0, -1.0], [5.0, -3.0], [9.0, 9.0]],
                       [[-2.0, -4.0], [9.0, 9.0], [9.0, 9.0]],
                       [[7.0, 7.0], [7.0, 7.0], [7.0, 7.0]]], dtype="float32")
    mask = np.array([[True, True, False], [True, False, False], [False, False, False]])
    pooled = keras.ops.convert_to_numpy(MaskedGlobalMaxPooling1D()(states, mask=mask))
    # the 9s sit in masked steps; a row with no step kept gives zeros; without a mask, the plain max
    assert pooled.tolist() == [[5.0, -1.0], [-2.0, -4.0], [0.0, 0.0]]
    assert keras.ops.convert_to_numpy(MaskedGlobalMaxPooling1D()(states)).tolist() == [[9, 9], [9, 9], [7, 7]]
    assert MaskedGlobalMaxPooling1D().compute_output_shape((2, 5, 4)) == (2, 4)


@pytest.mark.parametrize("kind, bidirectional, head", [("lstm", False, "pool"), ("gru", True, "pool"),
                                                       ("simple_rnn", False, "last"), ("gru", True, "last")])
def test_a_review_scores_the_same_whatever_padding_follows_it(kind, bidirectional, head):
    """The mask at work: trimming a batch (length buckets) or padding it longer changes nothing."""
    model = models.build_recurrent(kind, V, None, units=U, embedding_dim=E, bidirectional=bidirectional,
                                   head=head, dropout=0.0)
    rng = np.random.default_rng(0)
    x = np.zeros((3, 12), dtype="int32")
    for row, length in enumerate((3, 7, 12)):
        x[row, :length] = rng.integers(2, V, length)
    long = keras.ops.convert_to_numpy(model(x))
    assert np.allclose(keras.ops.convert_to_numpy(model(x[:2, :7])), long[:2], atol=1e-6)
    wider = np.concatenate([x, np.zeros((3, 5), dtype="int32")], axis=1)
    assert np.allclose(keras.ops.convert_to_numpy(model(wider)), long, atol=1e-6)
