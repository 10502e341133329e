"""The notebooks teach Keras: each model is written in its notebook's cells, and equals the answer key.

Every code cell tagged ``model`` in notebooks 03-08 is executed as the notebook would run it, with
the profile of the smoke run and small stand-ins for the data (a vocabulary of ``V`` words, a
GloVe matrix of width ``D``); training and records are replaced by a recorder. Each model it
builds is compared with ``course_utils.models``' builder of the same name: layer types, their
configurations (names aside), the parameter count and the compile settings. A notebook edited
without its builder (or the other way round) fails here.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path
from types import SimpleNamespace

import keras
import nbformat
import numpy as np
import pandas as pd
import pytest
from keras import layers

from course_utils import config, models, narrative, notebook, training
from course_utils.layers import MaskedGlobalMaxPooling1D
from test_grading_a2_cudnn import keras_cudnn_mask_is_valid

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
TRAINING_NOTEBOOKS = ("03_dense_baseline", "04_simple_rnn", "05_lstm", "06_gru", "07_bigru", "08_glove_transfer")
V, D, MAXLEN = 40, 6, 16
P = config.get_profile("smoke")
MATRIX = np.random.default_rng(0).normal(size=(V, D)).astype("float32")


def _reference(name: str) -> keras.Model:
    """The answer key for the model a notebook names ``name``."""
    rnn = dict(P.rnn_kwargs(embedding_dim=D, embedding_matrix=MATRIX))
    if name == "dense":
        return models.build_dense(V, MAXLEN, embedding_dim=D, embedding_matrix=MATRIX, hidden_units=P.dense_units,
                                  dropout=P.dense_dropout, learning_rate=P.dense_learning_rate)
    if name == "simplernn":
        return models.build_simple_rnn(V, **{**rnn, "head": "last"})
    if name in ("lstm", "gru"):
        return models.build_recurrent(name, V, **rnn)
    if name == "bigru":
        return models.build_bigru(V, **rnn)
    if name == "bigru_2x":
        return models.build_bigru(V, layers_count=2, **rnn)
    if name == "glove_frozen":
        return models.build_bigru(V, name=name, trainable_embedding=False, **rnn)
    if name == "bigru_learned":
        return models.build_bigru(V, name=name, **P.rnn_kwargs(embedding_dim=D))
    raise AssertionError(f"no reference builder for a model named {name!r}")


def _without_names(node):
    if isinstance(node, dict):
        return {k: _without_names(v) for k, v in node.items() if k != "name"}
    if isinstance(node, list):
        return [_without_names(v) for v in node]
    return node


def describe(model: keras.Model) -> dict:
    """What decides a model: its layers (types and settings, names aside), size and compile settings."""
    compiled = model.get_compile_config()
    optimizer = compiled["optimizer"]["config"]
    return {
        "layers": [(type(layer).__name__, _without_names(layer.get_config())) for layer in model.layers
                   if not isinstance(layer, layers.InputLayer)],
        "inputs": [tuple(t.shape) for t in model.inputs],
        "params": models.count_params(model), "trainable": models.count_params(model, trainable_only=True),
        "optimizer": (compiled["optimizer"]["class_name"], float(optimizer["learning_rate"])),
        "loss": compiled["loss"], "metrics": _without_names(compiled["metrics"]),
    }


def model_cells(name: str) -> list[str]:
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code" and "model" in c.metadata.get("tags", [])]


def build_from_cells(name: str) -> dict[str, keras.Model]:
    """Run a notebook's model cells with stand-ins for data and training; the models they build."""
    built: dict[str, keras.Model] = {}

    def run_experiment(model, *args, **kwargs):
        built[model.name] = model
        return SimpleNamespace(model=model, metrics=pd.Series(dtype=float))

    names = ["bigru_learned", "glove_frozen", "bigru"]
    namespace = {
        "keras": keras, "layers": layers, "np": np, "pd": pd, "models": models, "narrative": narrative,
        "notebook": notebook, "training": training, "MaskedGlobalMaxPooling1D": MaskedGlobalMaxPooling1D,
        "P": P, "enc": SimpleNamespace(vocab=[f"w{i}" for i in range(V)], maxlen=MAXLEN),
        "glove_matrix": MATRIX, "matrix": MATRIX, "glove": SimpleNamespace(dim=D),
        "S": SimpleNamespace(output_dir=Path("unused")),
        "experiment": SimpleNamespace(run_experiment=run_experiment, load_trained=lambda *a, **k: None),
        "evaluation": SimpleNamespace(load_records=lambda *a, **k: pd.DataFrame(
            0.0, index=names, columns=["accuracy", "precision", "recall", "f1", "roc_auc", "params"])),
    }
    cells = model_cells(name)
    assert cells, f"{name} has no code cell tagged 'model'"
    for source in cells:
        exec(compile(source, f"{name}.ipynb", "exec"), namespace)
    for value in namespace.values():
        if isinstance(value, keras.Model):
            built.setdefault(value.name, value)
    return built


@pytest.mark.parametrize("name", TRAINING_NOTEBOOKS)
def test_each_notebook_builds_its_models_in_keras_and_they_equal_the_answer_key(name):
    built = build_from_cells(name)
    assert built, f"{name}'s model cells build no model"
    for model_name, model in built.items():
        assert describe(model) == describe(_reference(model_name)), f"{name}: {model_name} differs from its builder"


def test_the_comparison_sees_a_changed_setting():
    """The check above is not vacuous: one unit more, or another optimizer rate, is a difference."""
    reference = describe(_reference("gru"))
    assert describe(models.build_gru(V, **P.rnn_kwargs(embedding_dim=D, embedding_matrix=MATRIX,
                                                       units=P.rnn_units + 1))) != reference
    assert describe(models.build_gru(V, **P.rnn_kwargs(embedding_dim=D, embedding_matrix=MATRIX,
                                                       learning_rate=0.5))) != reference
    assert describe(models.build_gru(V, **P.rnn_kwargs(embedding_dim=D, embedding_matrix=MATRIX,
                                                       head="last"))) != reference


def test_every_training_notebook_shows_its_model_and_calls_no_builder():
    for name in TRAINING_NOTEBOOKS:
        nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        assert not re.search(r"models\.build_\w+|rnn_kwargs|compile_binary", code), name
        assert "layers.Embedding(" in code and ".compile(" in code, name
    both = "\n".join(c.source for n in ("03_dense_baseline", "04_simple_rnn")
                     for c in nbformat.read(NOTEBOOKS / f"{n}.ipynb", as_version=4).cells)
    assert "keras.Sequential(" in both and "keras.Model(inputs, outputs" in both


def test_no_notebook_of_either_edition_shows_the_retired_mask_free_layers():
    for path in sorted(NOTEBOOKS.glob("*.ipynb")) + sorted(NOTEBOOKS.glob("*/*.ipynb")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"LengthAware|LeftAlignTokens", text), path.name


def _fit_cell_callbacks() -> list:
    nb = nbformat.read(NOTEBOOKS / "03_dense_baseline.ipynb", as_version=4)
    [cell] = [c.source for c in nb.cells if "fit" in c.metadata.get("tags", [])]
    assert "model.fit(" in cell and "model.compile(" not in cell
    statement = next(node for node in ast.parse(cell).body if isinstance(node, ast.Assign)
                     and getattr(node.targets[0], "id", None) == "callbacks")
    namespace = {"keras": keras, "training": training}
    exec(compile(ast.Module([statement], []), "03", "exec"), namespace)
    return namespace["callbacks"]


def _settings(callback) -> dict:
    return {k: repr(v) for k, v in vars(callback).items() if not k.startswith("_") and k != "model"}


def test_notebook_03_trains_with_the_callbacks_every_later_model_gets():
    """03 writes the callbacks out; ``training.fit_model`` (04-08) must use the same ones."""
    shown = _fit_cell_callbacks()
    course = training.course_callbacks()
    assert [type(c) for c in shown[:2]] == [type(c) for c in course]
    assert [_settings(c) for c in shown[:2]] == [_settings(c) for c in course]
    assert isinstance(shown[2], training.EpochLog)
    assert _settings(training.course_callbacks(patience=3)[0]) != _settings(shown[0])  # the check can fail


def test_every_bucketed_batch_is_what_cudnn_accepts_from_a_mask():
    """Right-padded, no fully masked row: what TensorFlow-GPU (Colab) asserts before cuDNN runs."""
    from course_utils.batching import LengthBuckets
    rng = np.random.default_rng(1)
    lengths = rng.integers(1, 60, 300)
    x = np.zeros((300, 64), dtype="int32")
    for row, length in enumerate(lengths):
        x[row, -length:] = rng.integers(2, 90, length)  # left-padded, as the course stores them
    assert not keras_cudnn_mask_is_valid(x)
    buckets = LengthBuckets(x, rng.integers(0, 2, 300), batch_size=32, seed=0)
    for _epoch in range(2):
        assert all(keras_cudnn_mask_is_valid(buckets[i][0]) for i in range(len(buckets)))
        buckets.on_epoch_end()


def test_fit_and_predict_never_send_an_empty_review(monkeypatch):
    from course_utils import batching, evaluation
    seen = []
    original = batching.LengthBuckets.__getitem__

    def record(self, index):
        batch = original(self, index)
        seen.append(batch[0] if isinstance(batch, tuple) else batch)
        return batch

    monkeypatch.setattr(batching.LengthBuckets, "__getitem__", record)
    rng = np.random.default_rng(2)
    x = np.zeros((40, 10), dtype="int32")
    x[:, -4:] = rng.integers(2, V, (40, 4))
    x[[3, 17, 30]] = 0  # three reviews with no known word
    y = rng.integers(0, 2, 40)
    model = models.build_gru(V, units=2, embedding_dim=3, dropout=0.0)
    training.fit_model(model, x, y, epochs=1, batch_size=8, seed=0, verbose=False)
    scores = evaluation.predict_scores(model, x)
    assert seen and all(keras_cudnn_mask_is_valid(batch) for batch in seen)
    assert scores[[3, 17, 30]].tolist() == [batching.EMPTY_REVIEW_SCORE] * 3
    assert np.allclose(scores[:3], keras.ops.convert_to_numpy(model(x[:3, -4:])).ravel(), atol=1e-6)


def test_a_plain_fit_is_recorded_and_stored_for_later_notebooks_but_never_reused(tmp_path):
    """03 trains with model.fit in a cell; 09's behavioural checks load that model (load_trained)."""
    from course_utils import experiment
    rng = np.random.default_rng(3)
    x = rng.integers(0, V, (60, MAXLEN)).astype("int32")
    y = rng.integers(0, 2, 60)
    enc = SimpleNamespace(x_train=x, y_train=y, x_test=x[:20], y_test=y[:20], maxlen=MAXLEN,
                          vocab=[f"w{i}" for i in range(V)])
    model = models.build_dense(V, MAXLEN, embedding_dim=D, hidden_units=2, name="dense")
    callbacks = [*training.course_callbacks(), training.EpochLog(verbose=False)]
    history = model.fit(x[:40], y[:40], validation_data=(x[40:], y[40:]), epochs=2, callbacks=callbacks, verbose=0)
    done = experiment.record_fit(model, history, callbacks, enc, P, tmp_path, validation_size=20, notebook="03")
    assert done.training.epochs == 2 and len(done.scores) == 20 and (tmp_path / "histories" / "dense.json").is_file()
    assert experiment.load_trained(tmp_path, "dense") is not None
    from course_utils import reuse
    assert reuse.StoredModel(tmp_path, "dense").matches(reuse.training_key(model, x, y, {})) is None
    with pytest.raises(ValueError, match="EarlyStopping and the training.EpochLog"):
        experiment.record_fit(model, history, callbacks[:1], enc, P, tmp_path, validation_size=20)
