"""Seeded, reproducible training on synthetic data."""
from __future__ import annotations

import contextlib
import json

import keras
import numpy as np
import pytest

from course_utils import models, training
from course_utils.synthetic import synthetic_review
from course_utils.text import encode_dataset


@pytest.fixture(scope="module")
def encoded():
    rng = np.random.default_rng(0)
    labels = np.array([0, 1] * 60)
    texts = [synthetic_review(int(y), rng, mean_words=20) for y in labels]
    return encode_dataset(texts[:80], labels[:80], texts[80:], labels[80:], vocab_size=60, maxlen=24)


def _train(enc, tmp_path=None, seed=7, recurrent=False):
    """Two epochs of a tiny model (a Dense one unless ``recurrent``: it compiles faster)."""
    training.seed_everything(seed)
    if recurrent:
        model = models.build_gru(len(enc.vocab), enc.maxlen, units=4, embedding_dim=6)
    else:
        model = models.build_dense(len(enc.vocab), enc.maxlen, embedding_dim=6, hidden_units=4)
    result = training.fit_model(model, enc.x_train, enc.y_train, epochs=2, batch_size=16, seed=seed,
                                history_path=tmp_path / "h.json" if tmp_path else None, verbose=False)
    return model, result


def test_same_seed_same_numbers_other_seed_other_numbers(encoded):
    m1, r1 = _train(encoded, recurrent=True)
    m2, r2 = _train(encoded, recurrent=True)
    assert r1.history == r2.history
    for a, b in zip(m1.get_weights(), m2.get_weights()):
        np.testing.assert_array_equal(a, b)
    _, r3 = _train(encoded, seed=8, recurrent=True)
    assert r1.history["loss"] != r3.history["loss"]


def test_history_timing_and_file(encoded, tmp_path, capsys):
    _, result = _train(encoded, tmp_path)
    assert result.epochs == 2 and len(result.epoch_seconds) == 2 and result.train_seconds > 0
    assert set(result.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    saved = json.loads((tmp_path / "h.json").read_text())
    assert saved["history"]["loss"] == result.history["loss"] and saved["validation_size"] == 16
    val = result.history["val_loss"]
    assert result.best_epoch == (1 if val[1] > val[0] - 1e-3 else 2)  # improvement means by min_delta


class _WeightsPerEpoch(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append([w.copy() for w in self.model.get_weights()])


@pytest.mark.parametrize("min_delta", [0.0, 10.0])
def test_the_kept_weights_are_those_of_best_epoch(encoded, min_delta):
    """With min_delta=10 no epoch after the first counts as better, whatever the losses: the
    kept weights (and best_epoch) are epoch 1's, not those of the lowest validation loss."""
    training.seed_everything(3)
    model = models.build_dense(len(encoded.vocab), encoded.maxlen, embedding_dim=6, hidden_units=4)
    spy = _WeightsPerEpoch()
    result = training.fit_model(model, encoded.x_train, encoded.y_train, epochs=4, batch_size=16, seed=3,
                                patience=10, min_delta=min_delta, verbose=False, callbacks=[spy])
    val = result.history["val_loss"]
    expected = 1 if min_delta else int(np.argmin(val)) + 1
    assert result.best_epoch == expected and len(val) == 4
    for kept, saved in zip(model.get_weights(), spy.weights[expected - 1]):
        np.testing.assert_array_equal(kept, saved)


def test_validation_split_is_stratified_and_seeded():
    x = np.arange(100).reshape(100, 1)
    y = np.array([0] * 50 + [1] * 50)  # sorted by label, like IMDB
    x_tr, x_val, y_tr, y_val = training.validation_split(x, y, 0.2, seed=1)
    assert len(y_val) == 20 and y_val.sum() == 10
    assert np.array_equal(x_val, training.validation_split(x, y, 0.2, seed=1)[1])
    with pytest.raises(ValueError, match="validation fraction"):
        training.validation_split(x, y, 1.5, seed=1)


def test_fit_model_validates(encoded):
    model = models.build_gru(len(encoded.vocab), encoded.maxlen, units=2)
    with pytest.raises(ValueError, match="x has 80 rows but y has 79"):
        training.fit_model(model, encoded.x_train, encoded.y_train[:-1], epochs=1, batch_size=8, seed=0)
    with pytest.raises(ValueError, match="epochs and batch_size must be positive"):
        training.fit_model(model, encoded.x_train, encoded.y_train, epochs=0, batch_size=8, seed=0)


def test_epoch_log_prints_one_line_per_epoch(encoded, capsys):
    training.seed_everything(0)
    model = models.build_dense(len(encoded.vocab), encoded.maxlen, embedding_dim=4, hidden_units=2)
    training.fit_model(model, encoded.x_train, encoded.y_train, epochs=2, batch_size=16, seed=0,
                       patience=5)
    lines = [l for l in capsys.readouterr().out.splitlines() if l.startswith("epoch")]
    assert len(lines) == 2 and "val_accuracy=" in lines[0]


tensorflow_only = pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                                     reason="tf.data input pipelines exist only on the TensorFlow backend")


def _keras_array_dataset(x, y):
    from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter
    return ArrayDataAdapter(x, y, batch_size=16, shuffle=True).get_tf_dataset()


@tensorflow_only
def test_steady_tf_input_turns_autotuning_off_inside_the_block_only(encoded):
    x, y = encoded.x_train, encoded.y_train
    assert _keras_array_dataset(x, y).options().autotune.enabled is not False
    with training.steady_tf_input():
        assert _keras_array_dataset(x, y).options().autotune.enabled is False
        with training.steady_tf_input():  # nested (fit_model inside a user's block): still off after
            pass
        assert _keras_array_dataset(x, y).options().autotune.enabled is False
    assert _keras_array_dataset(x, y).options().autotune.enabled is not False
    with pytest.raises(RuntimeError):
        with training.steady_tf_input():
            raise RuntimeError("boom")
    assert _keras_array_dataset(x, y).options().autotune.enabled is not False  # restored on error


@tensorflow_only
def test_steady_tf_input_keeps_batches_and_their_order(encoded, monkeypatch):
    steady_model, steady = _train(encoded)
    monkeypatch.setattr(training, "steady_tf_input", contextlib.nullcontext)  # Keras's own pipeline
    keras_model, plain = _train(encoded)
    assert steady.history == plain.history
    for a, b in zip(steady_model.get_weights(), keras_model.get_weights()):
        np.testing.assert_array_equal(a, b)
