"""Assignment 2's model is judged by the grader: its configuration checked as data before
anything is built, then loaded in safe mode and scored in a separate sandbox on held-out inputs
the submission never sees (issue #23, item 6)."""
from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from course_tools.grading import answers, batch, modelcheck, sandbox

VOCAB, MAXLEN = 300, 16


@pytest.fixture(scope="module")
def solution_archive(tmp_path_factory):
    """The specified model (untrained), exported as the harness exports it."""
    import keras
    from keras import layers

    model = keras.Sequential([keras.Input(shape=(MAXLEN,), dtype="int32"), layers.Embedding(VOCAB, 32, mask_zero=True),
                              layers.GRU(32), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    path = tmp_path_factory.mktemp("model") / "model.keras"
    model.save(path)
    return path


def _edited(source, target, edit):
    """A copy of a .keras archive whose config.json is changed by ``edit`` (the weights stay)."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "config.json":
                config = json.loads(data)
                edit(config)
                data = json.dumps(config).encode()
            zout.writestr(info.filename, data)
    return target


def _layer(config, name):
    return next(layer for layer in config["config"]["layers"] if layer["class_name"] == name)["config"]


def test_the_solution_meets_the_specification(solution_archive):
    report = modelcheck.check_config(modelcheck.read_config(solution_archive), vocab_size=VOCAB, maxlen=MAXLEN)
    assert report["unsafe"] == [] and report["spec"] == []
    assert report["facts"]["params"] == VOCAB * 32 + 3 * (32 * 64 + 64) + 33 and report["facts"]["kind"] == "gru"


@pytest.mark.parametrize("edit,problem", [
    (lambda c: _layer(c, "Embedding").update(input_dim=4_000_000), "Embedding of 4000000 x 32: out of bounds"),
    (lambda c: _layer(c, "GRU").update(units=100_000), "GRU of 100000 units: out of bounds"),
    (lambda c: c["config"]["layers"].insert(2, {"module": "keras.layers", "class_name": "Lambda",
                                                  "config": {"function": "os.system"}, "registered_name": None}),
     "layer 'Lambda' is not one of"),
    (lambda c: c["config"]["layers"][2].update(module="evil.layers", registered_name="evil>Thing"),
     "an object from module 'evil.layers'"),
])
def test_a_dangerous_configuration_is_refused_before_anything_is_built(solution_archive, tmp_path, edit, problem):
    path = _edited(solution_archive, tmp_path / "evil.keras", edit)
    assert path.stat().st_size < 1 << 20
    report = modelcheck.check_config(modelcheck.read_config(path), vocab_size=VOCAB, maxlen=MAXLEN)
    assert any(problem in p for p in report["unsafe"]), report["unsafe"]


@pytest.mark.parametrize("edit,problem", [
    (lambda c: _layer(c, "GRU").update(units=64), "one GRU or LSTM of 32 units"),
    (lambda c: _layer(c, "GRU").update(recurrent_dropout=0.2), "cuDNN-eligible"),
    (lambda c: _layer(c, "Embedding").update(mask_zero=False), "mask_zero=True"),
    (lambda c: _layer(c, "Dense").update(activation="linear"), "Dense(1, activation='sigmoid')"),
    (lambda c: c["compile_config"]["loss"].__class__ and c["compile_config"].update(loss="mse"), "binary cross-entropy"),
])
def test_a_model_off_the_specification_loses_the_specification_only(solution_archive, tmp_path, edit, problem):
    path = _edited(solution_archive, tmp_path / "off.keras", edit)
    report = modelcheck.check_config(modelcheck.read_config(path), vocab_size=VOCAB, maxlen=MAXLEN)
    assert report["unsafe"] == [] and any(problem in p for p in report["spec"]), report


def test_an_archive_with_other_members_or_a_huge_config_is_not_read(solution_archive, tmp_path):
    extra = tmp_path / "extra.keras"
    with zipfile.ZipFile(solution_archive) as zin, zipfile.ZipFile(extra, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info))
        zout.writestr("payload.py", "import os")
    with pytest.raises(ValueError, match="holds config.json, metadata.json and model.weights.h5 only"):
        modelcheck.read_config(extra)
    deep = _edited(solution_archive, tmp_path / "deep.keras", lambda c: c.update(x=json.loads("[" * 50 + "]" * 50)))
    with pytest.raises(ValueError, match="JSON nested"):
        modelcheck.read_config(deep)


def _evaluate(tmp_path, archive, x):
    answers_dir = tmp_path / "answers"
    answers_dir.mkdir()
    (answers_dir / "model.keras").write_bytes(archive.read_bytes())
    folder = tmp_path / "folder"
    folder.mkdir()
    pristine = batch.pristine_copy(tmp_path / "pristine")
    return modelcheck.evaluate(answers_dir, x, vocab_size=VOCAB, maxlen=MAXLEN, folder=folder, pristine=pristine,
                               limits=sandbox.Limits(wall_seconds=240, total_memory_bytes=2 << 30))


def test_the_grader_scores_the_exported_model_in_a_sandbox_of_its_own(solution_archive, tmp_path):
    x = np.random.default_rng(0).integers(1, VOCAB, size=(50, MAXLEN)).astype("int32")
    result = _evaluate(tmp_path, solution_archive, x)
    assert result["$model"]["built"] and result["$model"]["unsafe"] == [], result
    scores = result["$scores"]
    assert scores.shape == (50,) and np.all((scores > 0) & (scores < 1))
    points, _ = answers.score(answers.Challenge("a2_recurrent_classifier", [], [
        answers.Check("q1", 2, "spec", lambda a: answers._a2_model(a, "spec")),
        answers.Check("q2", 2, "acc", lambda a: answers._a2_accuracy(a, (scores > 0.5).astype(int), 0.99))]), result)
    assert points == {"q1": 2.0, "q2": 2.0}


def test_a_4_million_word_embedding_is_never_built(solution_archive, tmp_path):
    evil = _edited(solution_archive, tmp_path / "evil.keras", lambda c: _layer(c, "Embedding").update(input_dim=4_000_000))
    result = _evaluate(tmp_path, evil, np.ones((5, MAXLEN), dtype="int32"))
    assert result["$model"]["built"] is False and "$scores" not in result
    assert any("4000000 x 32: out of bounds" in p for p in result["$model"]["unsafe"]), result


def test_no_exported_model_and_a_linked_one_score_nothing(tmp_path, solution_archive):
    folder = tmp_path / "answers"
    folder.mkdir()
    report = modelcheck.evaluate(folder, np.ones((2, 2)), vocab_size=1, maxlen=2, folder=tmp_path, pristine=tmp_path,
                                 limits=sandbox.Limits())
    assert report == {"$model": {"unsafe": ["no exported model: cannot be opened (No such file or directory)"],
                                 "spec": [], "facts": {}, "built": False}}
    (folder / "model.keras").symlink_to(solution_archive)
    report = modelcheck.evaluate(folder, np.ones((2, 2)), vocab_size=1, maxlen=2, folder=tmp_path, pristine=tmp_path,
                                 limits=sandbox.Limits())
    assert report["$model"]["unsafe"] == ["no exported model: a symbolic link (links are never followed)"]
    assert answers._a2_model(report, "shape")[0] is False and answers._a2_accuracy(report, np.ones(2), 0.5)[0] is False


def test_the_held_out_reviews_never_enter_the_sandbox(monkeypatch, tmp_path):
    from course_tools.grading import reference
    x = np.arange(12, dtype="int32").reshape(3, 4) + 1
    monkeypatch.setattr(reference, "heldout", lambda seed: (x, np.array([0, 1, 0])))
    monkeypatch.setattr(reference, "a2_vocabulary", lambda: list(range(VOCAB)))
    challenge = answers.challenge("a2_recurrent_classifier", 3)
    challenge.write(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["challenge.json"]
    assert json.loads((tmp_path / "challenge.json").read_text()) == {"probes": [{"id": "model", "model": "model"}]}
    assert challenge.model_check["x"] is x and challenge.model_check["vocab_size"] == VOCAB
