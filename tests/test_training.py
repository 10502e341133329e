"""Seeded, reproducible training on synthetic data."""
from __future__ import annotations

import contextlib
import json

import keras
import numpy as np
import pytest

from course_utils import models, training
from course_utils.batching import LengthBuckets
from synthetic import synthetic_review
from course_utils.text import encode_dataset


@pytest.fixture(scope="module")
def encoded():
    rng = np.random.default_rng(0)
    labels = np.array([0, 1] * 60)
    texts = [synthetic_review(int(y), rng, mean_words=20) for y in labels]
    return encode_dataset(texts[:80], labels[:80], texts[80:], labels[80:], vocab_size=60, maxlen=24)


def _train(enc, tmp_path=None, seed=7, recurrent=False, any_length=False):
    """Two epochs of a tiny model (a Dense one unless ``recurrent``: it compiles faster).

    ``any_length``: a recurrent model without a fixed input length, so it trains on length buckets."""
    training.seed_everything(seed)
    if recurrent or any_length:
        model = models.build_gru(len(enc.vocab), None if any_length else enc.maxlen, units=4, embedding_dim=6)
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
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("epoch")]
    assert len(lines) == 2 and "val_accuracy=" in lines[0]


tensorflow_only = pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                                     reason="tf.data input pipelines exist only on the TensorFlow backend")


def _keras_array_dataset(x, y):
    from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter
    return ArrayDataAdapter(x, y, batch_size=16, shuffle=True).get_tf_dataset()


def _keras_bucket_dataset(x, y):
    from keras.src.trainers.data_adapters.py_dataset_adapter import PyDatasetAdapter
    return PyDatasetAdapter(LengthBuckets(x, y, batch_size=16, seed=0)).get_tf_dataset()


@tensorflow_only
@pytest.mark.parametrize("dataset", [_keras_array_dataset, _keras_bucket_dataset], ids=["arrays", "buckets"])
def test_steady_tf_input_turns_autotuning_off_inside_the_block_only(encoded, dataset):
    x, y = encoded.x_train, encoded.y_train
    assert dataset(x, y).options().autotune.enabled is not False
    with training.steady_tf_input():
        assert dataset(x, y).options().autotune.enabled is False
        with training.steady_tf_input():  # nested (fit_model inside a user's block): still off after
            pass
        assert dataset(x, y).options().autotune.enabled is False
    assert dataset(x, y).options().autotune.enabled is not False
    with pytest.raises(RuntimeError):
        with training.steady_tf_input():
            raise RuntimeError("boom")
    assert dataset(x, y).options().autotune.enabled is not False  # restored on error


@tensorflow_only
@pytest.mark.parametrize("any_length", [False, True], ids=["arrays", "buckets"])
def test_steady_tf_input_keeps_batches_and_their_order(encoded, monkeypatch, any_length):
    steady_model, steady = _train(encoded, any_length=any_length)
    monkeypatch.setattr(training, "steady_tf_input", contextlib.nullcontext)  # Keras's own pipeline
    keras_model, plain = _train(encoded, any_length=any_length)
    assert steady.history == plain.history
    for a, b in zip(steady_model.get_weights(), keras_model.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("any_length", [False, True], ids=["arrays", "buckets"])
def test_fit_model_and_predict_scores_feed_inside_steady_input(encoded, monkeypatch, any_length):
    """Both input paths (padded arrays and length buckets) train and predict with autotuning off."""
    from course_utils import evaluation
    inside, calls = [], []
    real_fit = keras.Model.fit
    real_predict = keras.Model.predict

    @contextlib.contextmanager
    def recording():
        inside.append(True)
        try:
            yield
        finally:
            inside.pop()

    def fit(self, *args, **kwargs):
        calls.append(("fit", bool(inside)))
        return real_fit(self, *args, **kwargs)

    def predict(self, *args, **kwargs):
        calls.append(("predict", bool(inside)))
        return real_predict(self, *args, **kwargs)

    monkeypatch.setattr(training, "steady_tf_input", recording)
    monkeypatch.setattr(keras.Model, "fit", fit)
    monkeypatch.setattr(keras.Model, "predict", predict)
    model, _ = _train(encoded, any_length=any_length)
    evaluation.predict_scores(model, encoded.x_test)
    assert calls and all(steady for _, steady in calls), calls
    assert {kind for kind, _ in calls} == {"fit", "predict"}


# --- Exact checks without training: a fake model, clock and printer record what fit_model asks for.

class _Clock:
    def __init__(self, *times):
        self.times = list(times)

    def __call__(self):
        return self.times.pop(0)


def test_epoch_log_times_each_epoch_and_prints_one_flushed_line(monkeypatch):
    printed = []
    monkeypatch.setattr(training, "print", lambda *a, **k: printed.append((a, k)), raising=False)
    monkeypatch.setattr(training.time, "perf_counter", _Clock(50.0, 100.0, 102.5, 110.0, 121.0))
    log = training.EpochLog()                        # created at 50 s: verbose by default
    log.on_epoch_begin(0)                            # 100 s
    log.on_epoch_end(0, {"loss": 0.5, "accuracy": 0.75, "val_loss": 0.625, "val_accuracy": 0.7,
                         "auc": 0.8, "learning_rate": 0.001})   # 102.5 s
    log.on_epoch_begin(9)                            # 110 s
    log.on_epoch_end(9, None)                        # 121 s
    assert log.seconds == [2.5, 11.0]
    assert printed == [
        (("epoch  1    2.5s  loss=0.5000  accuracy=0.7500  val_loss=0.6250  val_accuracy=0.7000",),
         {"flush": True}),
        (("epoch 10   11.0s  ",), {"flush": True})]


def test_epoch_log_quiet_still_times_and_an_epoch_without_a_start_counts_from_creation(monkeypatch):
    printed = []
    monkeypatch.setattr(training, "print", lambda *a, **k: printed.append(a), raising=False)
    monkeypatch.setattr(training.time, "perf_counter", _Clock(7.0, 10.0))
    log = training.EpochLog(verbose=False)
    log.on_epoch_end(0, {"loss": 1.0})
    assert log.seconds == [3.0] and printed == []


def test_seed_everything_asks_tensorflow_and_only_tensorflow_for_determinism(monkeypatch):
    calls = []
    monkeypatch.setattr(training.keras.utils, "set_random_seed", lambda seed: calls.append(("seed", seed)))
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf
        monkeypatch.setattr(tf.config.experimental, "enable_op_determinism", lambda: calls.append("tf"))
        training.seed_everything(np.int64(3))
        assert calls == [("seed", 3), "tf"] and type(calls[0][1]) is int
    calls.clear()
    monkeypatch.setattr(training.keras.backend, "backend", lambda: "jax")
    training.seed_everything(4)
    assert calls == [("seed", 4)]


@pytest.mark.parametrize("fraction", [0.0, 1.0])
def test_validation_fraction_must_be_strictly_between_0_and_1(fraction):
    with pytest.raises(ValueError) as info:
        training.validation_split(np.zeros((10, 1)), np.array([0, 1] * 5), fraction, seed=0)
    assert str(info.value) == f"validation fraction must be in (0, 1), got {fraction!r}."


class _FakeModel:
    """Records what ``fit`` is given and returns a two-epoch history."""

    def fit(self, x, y, **kwargs):
        self.x, self.y, self.kwargs = x, y, kwargs
        for callback in kwargs["callbacks"]:
            callback.set_model(self)
            callback.on_train_begin()
            if isinstance(callback, keras.callbacks.EarlyStopping):
                callback.best_epoch = 1                # as if the second epoch had been the best
        return type("History", (), {"history": {"loss": [np.float32(0.5), 0.25],
                                                "val_loss": [0.75, np.float64(0.5)]}})()


def test_fit_model_hands_keras_the_course_settings(monkeypatch):
    x, y = np.arange(40).reshape(20, 2), np.array([0] * 10 + [1] * 10)
    model = _FakeModel()
    extra = keras.callbacks.Callback()
    result = training.fit_model(model, x, y, epochs=3, batch_size=1, seed=5, verbose=False, callbacks=[extra])
    from sklearn.model_selection import train_test_split
    x_tr, x_val, y_tr, y_val = train_test_split(x, y, test_size=0.2, random_state=5, stratify=y)
    assert np.array_equal(model.x, x_tr) and np.array_equal(model.y, y_tr)
    (vx, vy), kwargs = model.kwargs.pop("validation_data"), dict(model.kwargs)
    assert np.array_equal(vx, x_val) and np.array_equal(vy, y_val)
    log, early, plateau, added = kwargs.pop("callbacks")
    assert kwargs == {"epochs": 3, "batch_size": 1, "shuffle": True, "verbose": 0}
    assert isinstance(log, training.EpochLog) and not log.verbose and added is extra
    assert (early.monitor, early.patience, early.min_delta, early.restore_best_weights) == ("val_loss", 2, 1e-3, True)
    assert isinstance(plateau, keras.callbacks.ReduceLROnPlateau)
    assert (plateau.monitor, plateau.factor, plateau.patience, plateau.min_lr, plateau.verbose) == (
        "val_loss", 0.5, 1, 1e-5, 0)
    assert result.history == {"loss": [0.5, 0.25], "val_loss": [0.75, 0.5]}
    assert all(type(v) is float for vals in result.history.values() for v in vals)
    assert result.validation_size == 4 and result.best_epoch == 2      # counted from 1
    training.fit_model(model, x, y, epochs=1, batch_size=4, seed=5, patience=7, reduce_lr_patience=3,
                       min_delta=0.01, validation_fraction=0.5)
    _, early, plateau = model.kwargs["callbacks"]
    assert (early.patience, early.min_delta, plateau.patience) == (7, 0.01, 3)
    assert len(model.kwargs["validation_data"][1]) == 10 and model.kwargs["callbacks"][0].verbose
    with pytest.raises(ValueError, match=r"^epochs and batch_size must be positive, got 3 and 0\.$"):
        training.fit_model(model, x, y, epochs=3, batch_size=0, seed=5)


def test_epoch_log_and_resume_message_in_the_spanish_edition(monkeypatch):
    from course_utils import i18n
    printed = []
    monkeypatch.setattr(training, "print", lambda *a, **k: printed.append(a[0]), raising=False)
    monkeypatch.setattr(training.time, "perf_counter", _Clock(50.0, 100.0, 102.5))
    i18n.set_edition("es")
    try:
        log = training.EpochLog()
        log.on_epoch_begin(0)
        log.on_epoch_end(0, {"loss": 0.5, "val_accuracy": 0.7})
    finally:
        i18n.set_edition(None)
    assert printed == ["época  1    2,5 s  loss=0,5000  val_accuracy=0,7000"]
