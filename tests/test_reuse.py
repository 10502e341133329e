"""A re-run reuses what it trained (same key), retrains when anything that decides the weights
changes, and an interrupted training resumes from its last finished epoch."""
from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from course_utils import config, experiment, models, reuse, training
from course_utils.text import EncodedData, Vocabulary

VOCAB, MAXLEN = 40, 12


def _data(seed: int = 0, n: int = 96):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(2, MAXLEN + 1, n)
    x = np.zeros((n, MAXLEN), dtype=np.int32)
    for i, length in enumerate(lengths):
        x[i, MAXLEN - length:] = rng.integers(2, VOCAB, length)
    y = (x[:, -1] % 2).astype(np.int32)  # learnable: the last word decides
    return x, y


def _encoded(seed: int = 0) -> EncodedData:
    x, y = _data(seed)
    vocab = Vocabulary.from_tokens([[f"w{i}" for i in range(VOCAB - 2)]])
    return EncodedData(x_train=x, y_train=y, x_test=x[:32], y_test=y[:32], vocab=vocab, maxlen=MAXLEN)


def _gru(seed: int = 1, units: int = 4, learning_rate: float = 1e-3, name: str = "gru") -> keras.Model:
    keras.utils.set_random_seed(seed)
    return models.build_gru(VOCAB, MAXLEN, units=units, embedding_dim=4, head="pool",
                            learning_rate=learning_rate, name=name)


SETTINGS = {"epochs": 2, "batch_size": 32, "seed": 1, "validation_fraction": 0.25}


def _key(model=None, x=None, y=None, **settings) -> str:
    dx, dy = _data()
    return reuse.training_key(model if model is not None else _gru(), dx if x is None else x,
                              dy if y is None else y, {**SETTINGS, **settings})


def test_the_same_settings_give_the_same_key_so_a_rerun_can_reuse():
    assert _key() == _key()


@pytest.mark.parametrize("change", [
    "seed", "architecture", "learning_rate", "inputs", "labels", "epochs", "batch_size",
    "validation_fraction", "fit_argument", "keras_version", "backend", "device", "code"])
def test_the_key_changes_whenever_the_weights_could(change, monkeypatch):
    base = _key()
    if change == "seed":
        other = _key(_gru(seed=2))
    elif change == "architecture":
        other = _key(_gru(units=5))
    elif change == "learning_rate":
        other = _key(_gru(learning_rate=2e-3))
    elif change == "inputs":
        x, _ = _data()
        x = x.copy()
        x[0, -1] = (x[0, -1] + 1) % VOCAB or 2
        other = _key(x=x)
    elif change == "labels":
        _, y = _data()
        other = _key(y=1 - y)
    elif change in ("epochs", "batch_size", "validation_fraction"):
        other = _key(**{change: {"epochs": 3, "batch_size": 16, "validation_fraction": 0.2}[change]})
    elif change == "fit_argument":
        other = _key(patience=5)
    elif change in ("keras_version", "backend", "device"):
        real = reuse.package_versions()
        field = {"keras_version": "keras"}.get(change, change)
        monkeypatch.setattr(reuse, "package_versions", lambda: {**real, field: real[field] + "-other"})
        other = _key()
    else:  # the source of a module that runs in training
        real = reuse.code_digest
        monkeypatch.setattr(reuse, "code_digest", lambda model: "0" * 64 if real(model) else "")
        other = _key()
    assert other != base


def test_the_code_digest_covers_the_course_layers_module():
    digest = reuse.code_digest(_gru())
    original = reuse.TRAINING_MODULES
    try:
        reuse.TRAINING_MODULES = ()
        without_training = reuse.code_digest(_gru())
    finally:
        reuse.TRAINING_MODULES = original
    assert digest != without_training  # training.py counts
    import course_utils.layers as layers_module  # MaskedGlobalMaxPooling1D, the pool head's
    assert layers_module.__name__ in {type(layer).__module__ for layer in reuse._all_layers(_gru())}


_MODULE = '''"""A training module."""
RATE = 0.5  # the step size


def step(x):
    """One step."""
    return x * RATE


class Schedule:
    """A schedule."""

    def value(self):
        """Its value."""
        return RATE
'''


def _module_key(tmp_path, monkeypatch, source: str) -> str:
    """``code_digest`` of a model trained by a module whose file holds ``source``."""
    import importlib.util
    name = "course_utils._reuse_probe"
    path = tmp_path / f"probe_{abs(hash(source))}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setitem(__import__("sys").modules, name, module)
    monkeypatch.setattr(reuse, "TRAINING_MODULES", (name,))
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    return reuse.code_digest(model)


@pytest.mark.parametrize("edit, old, new", [
    ("comment", "# the step size", "# the learning rate, halved"),
    ("added comment line", "def step(x):\n", "# steps once\ndef step(x):\n"),
    ("module docstring", '"""A training module."""', '"""The training module, reworded."""'),
    ("function docstring", '"""One step."""', '"""One step, documented at length."""'),
    ("method docstring", '"""Its value."""', '"""What it is worth."""'),
    ("formatting", "return x * RATE", "return (x\n            * RATE)"),
])
def test_a_comment_docstring_or_layout_edit_keeps_the_stored_models(edit, old, new, tmp_path, monkeypatch):
    assert old in _MODULE
    assert _module_key(tmp_path, monkeypatch, _MODULE.replace(old, new)) == _module_key(tmp_path, monkeypatch, _MODULE)


@pytest.mark.parametrize("edit, old, new", [
    ("constant", "RATE = 0.5", "RATE = 0.25"),
    ("operator", "return x * RATE", "return x + RATE"),
    ("method body", "        return RATE", "        return -RATE"),
    ("default argument", "def step(x):", "def step(x=1.0):"),
    ("docstring replaced by code", '"""One step."""', "x = -x"),
])
def test_a_code_edit_changes_the_key(edit, old, new, tmp_path, monkeypatch):
    assert old in _MODULE
    assert _module_key(tmp_path, monkeypatch, _MODULE.replace(old, new)) != _module_key(tmp_path, monkeypatch, _MODULE)


class _FitCounter:
    def __init__(self, monkeypatch):
        self.calls = 0
        real = experiment.fit_model

        def counting(*args, **kwargs):
            self.calls += 1
            return real(*args, **kwargs)
        monkeypatch.setattr(experiment, "fit_model", counting)


def _run(tmp_path, capsys, seed: int = 1, **profile_changes):
    profile = config.get_profile("smoke").replace(epochs=2, batch_size=32, seed=seed, **profile_changes)
    exp = experiment.run_experiment(_gru(seed), _encoded(), profile, tmp_path, notebook="06_gru", verbose=False)
    return exp, capsys.readouterr().out


def test_a_second_run_reuses_the_model_and_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(config.ENV_RETRAIN, raising=False)
    fits = _FitCounter(monkeypatch)
    first, said_first = _run(tmp_path, capsys)
    second, said_second = _run(tmp_path, capsys)
    assert fits.calls == 1
    assert "Reused" not in said_first and "**Reused** `gru`" in said_second
    assert second.record.accuracy == first.record.accuracy
    assert second.training.history == first.training.history
    np.testing.assert_array_equal(second.scores, first.scores)
    np.testing.assert_array_equal(second.model.predict(_data()[0][:8], verbose=0),
                                  first.model.predict(_data()[0][:8], verbose=0))


def test_a_model_built_after_a_reused_one_starts_from_the_same_weights(tmp_path, capsys, monkeypatch):
    """07 and 08 build a second model after the first: reused or trained, it must start alike."""
    monkeypatch.delenv(config.ENV_RETRAIN, raising=False)
    fits = _FitCounter(monkeypatch)

    def second_model_weights():
        _run(tmp_path, capsys)
        return [w.copy() for w in models.build_gru(VOCAB, MAXLEN, units=4, embedding_dim=4).get_weights()]

    trained_then, reused_then = second_model_weights(), second_model_weights()
    assert fits.calls == 1  # the first run trained, the second reused
    for a, b in zip(trained_then, reused_then):
        np.testing.assert_array_equal(a, b)


def test_retrain_is_forced_by_the_environment_and_by_another_seed(tmp_path, capsys, monkeypatch):
    fits = _FitCounter(monkeypatch)
    _run(tmp_path, capsys)
    monkeypatch.setenv(config.ENV_RETRAIN, "1")
    _, said = _run(tmp_path, capsys)
    assert fits.calls == 2 and "Reused" not in said
    monkeypatch.delenv(config.ENV_RETRAIN)
    _run(tmp_path, capsys, seed=2)
    assert fits.calls == 3


def test_a_damaged_store_is_not_trusted(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(config.ENV_RETRAIN, raising=False)
    fits = _FitCounter(monkeypatch)
    first, _ = _run(tmp_path, capsys)
    scores = tmp_path / "metrics" / "gru.scores.npz"
    np.savez_compressed(scores, y_true=first.encoded.y_test, y_score=np.zeros_like(first.scores))
    _run(tmp_path, capsys)
    assert fits.calls == 2
    (tmp_path / "models" / "gru.key.json").write_text("{not json")
    _run(tmp_path, capsys)
    assert fits.calls == 3


class _Interrupt(keras.callbacks.Callback):
    def __init__(self, at_epoch: int) -> None:
        super().__init__()
        self.at_epoch = at_epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at_epoch:
            raise KeyboardInterrupt("the kernel was interrupted")


def test_an_interrupted_training_resumes_from_its_last_finished_epoch(tmp_path, capsys):
    x, y = _data()
    backup = tmp_path / "backup"
    kwargs = dict(epochs=4, batch_size=32, seed=1, validation_fraction=0.25, patience=10, backup_dir=backup)
    model = _gru()
    with pytest.raises(KeyboardInterrupt):
        training.fit_model(model, x, y, callbacks=[_Interrupt(2)], **kwargs)
    state = json.loads((backup / "course_state.json").read_text())
    assert len(state["epoch_seconds"]) == 2 and len(state["history"]["loss"]) == 2
    capsys.readouterr()

    resumed = training.fit_model(_gru(), x, y, **kwargs)  # a fresh kernel: a new, untrained model
    assert "resuming after epoch 2" in capsys.readouterr().out
    assert resumed.epochs == 4 and len(resumed.history["loss"]) == 4
    assert resumed.history["loss"][:2] == state["history"]["loss"]
    assert not backup.exists(), "the backup is removed once training ends"


def test_a_resumed_run_keeps_early_stoppings_memory(tmp_path):
    """Early stopping's best so far survives the interruption: a best that no later epoch can
    beat (planted in the saved state) stays the epoch kept after resuming."""
    x, y = _data()
    backup = tmp_path / "backup"
    kwargs = dict(epochs=5, batch_size=32, seed=1, validation_fraction=0.25, patience=10, backup_dir=backup)
    with pytest.raises(KeyboardInterrupt):
        training.fit_model(_gru(), x, y, callbacks=[_Interrupt(2)], **kwargs)
    path = backup / "course_state.json"
    state = json.loads(path.read_text())
    state["early"].update(best=-1.0, best_epoch=1, wait=1)
    path.write_text(json.dumps(state))
    resumed = training.fit_model(_gru(), x, y, **kwargs)
    assert resumed.epochs == 5
    assert resumed.best_epoch == 2  # epoch index 1, 1-based
