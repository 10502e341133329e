"""Assignment 2's data satisfies what Keras 3 asserts before it runs a masked GRU/LSTM with cuDNN
(on a GPU, Colab included): every mask right-padded, no row fully masked. The condition is
written here as Keras writes it (``_assert_valid_mask`` in keras/src/backend/tensorflow/rnn.py),
so this runs on a CPU: the solution's training inputs and the grader's held-out reviews."""
from __future__ import annotations

import os

import nbformat
import numpy as np
import pytest

from course_tools.grading import ASSIGNMENTS_DIR, reference
from synthetic import make_synthetic_archive
from course_utils.text import pad_sequences


def keras_cudnn_mask_is_valid(x: np.ndarray) -> bool:
    """Keras's ``_assert_valid_mask`` for the mask of ``Embedding(mask_zero=True)`` on ``x``:
    no fully masked row (``_has_fully_masked_sequence``) and the mask equal to
    ``sequence_mask(count of True per row)`` (``_is_sequence_right_padded``)."""
    mask = np.asarray(x) != 0
    fully_masked = np.any(np.all(~mask, axis=1))
    count_of_true = mask.sum(axis=1)
    right_padded_mask = np.arange(mask.shape[1])[None, :] < count_of_true[:, None]
    return bool(not fully_masked and np.all(mask == right_padded_mask))


def test_the_condition_is_keras_s():
    assert keras_cudnn_mask_is_valid(np.array([[5, 6, 0, 0], [7, 8, 9, 0], [1, 2, 3, 4]]))
    assert not keras_cudnn_mask_is_valid(np.array([[0, 0, 5, 6], [7, 8, 9, 0]])), "left padding"
    assert not keras_cudnn_mask_is_valid(np.array([[5, 0, 6, 0]])), "a hole in the middle"
    assert not keras_cudnn_mask_is_valid(np.array([[5, 6, 0, 0], [0, 0, 0, 0]])), "a fully masked row"
    sequences = [[3, 4, 5], [6], [7, 8, 9, 10, 11]]
    assert not keras_cudnn_mask_is_valid(pad_sequences(sequences, 4))  # the course's default: left
    assert keras_cudnn_mask_is_valid(pad_sequences(sequences, 4, padding="post"))


def test_the_condition_matches_keras_itself_where_tensorflow_is_installed():
    import importlib
    tf = pytest.importorskip("tensorflow")
    rnn = importlib.import_module("keras.src.backend.tensorflow.rnn")
    for x in ([[5, 6, 0, 0], [7, 8, 9, 0]], [[0, 0, 5, 6], [7, 8, 9, 0]], [[5, 0, 6, 0]], [[5, 6, 0, 0], [0, 0, 0, 0]]):
        mask = tf.constant(np.asarray(x) != 0)
        keras_says = bool(rnn._is_sequence_right_padded(mask)) and not bool(rnn._has_fully_masked_sequence(mask))
        assert keras_cudnn_mask_is_valid(np.asarray(x)) == keras_says, x


@pytest.fixture(scope="module")
def a2_data(tmp_path_factory):
    """The a2 notebook's setup cell, run here on synthetic reviews (5,200 per split)."""
    archive = make_synthetic_archive(tmp_path_factory.mktemp("a2data") / "aclImdb_v1.tar.gz", n_per_class=2600, seed=5)
    old = {k: os.environ.get(k) for k in ("IMDB_DATA_DIR", "COURSE_UTILS_CACHE")}
    os.environ["IMDB_DATA_DIR"] = str(archive.parent)
    os.environ["COURSE_UTILS_CACHE"] = str(tmp_path_factory.mktemp("a2cache"))
    reference._splits.cache_clear()
    reference.a2_vocabulary.cache_clear()
    nb = nbformat.read(ASSIGNMENTS_DIR / "a2_recurrent_classifier.ipynb", 4)
    [setup] = [c.source for c in nb.cells if c.cell_type == "code" and "pipeline.prepare" in c.source]
    namespace: dict = {}
    exec(compile(setup, "a2-setup", "exec"), namespace)
    yield namespace
    reference._splits.cache_clear()
    reference.a2_vocabulary.cache_clear()
    for k, v in old.items():
        os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)


def test_the_solution_trains_on_right_padded_rows_with_a_word_each(a2_data):
    x = a2_data["x_train"]
    assert x.shape[1] == a2_data["MAXLEN"] and len(x) == len(a2_data["y_train"]) > 4000
    assert keras_cudnn_mask_is_valid(x)


def test_the_held_out_reviews_are_right_padded_too(a2_data):
    x, y = reference.heldout(seed=11, size=300)
    assert x.shape == (300, a2_data["MAXLEN"]) and y.shape == (300,)
    assert keras_cudnn_mask_is_valid(x)


def _setup_cell() -> str:
    nb = nbformat.read(ASSIGNMENTS_DIR / "a2_recurrent_classifier.ipynb", 4)
    [setup] = [c.source for c in nb.cells if c.cell_type == "code" and "pipeline.prepare" in c.source]
    return setup


def test_a_review_with_no_known_word_is_dropped_by_the_notebook_and_the_grader(monkeypatch):
    import pandas as pd
    from types import SimpleNamespace

    from course_utils import pipeline, training
    seen = {}

    def prepare(profile, **kwargs):
        seen.update(kwargs)
        x = pad_sequences([[5, 6], [], [7, 8, 9]], 4, padding=kwargs.get("padding", "pre"))
        return None, SimpleNamespace(x_train=x, y_train=np.array([1, 0, 1]), vocab=list(range(10)), maxlen=4)
    monkeypatch.setattr(pipeline, "prepare", prepare)
    monkeypatch.setattr(training, "seed_everything", lambda seed: None)
    namespace: dict = {}
    exec(compile(_setup_cell(), "a2-setup", "exec"), namespace)
    assert seen == {"padding": "post"}
    assert namespace["x_train"].tolist() == [[5, 6, 0, 0], [7, 8, 9, 0]] and namespace["y_train"].tolist() == [1, 1]

    words = " ".join(f"w{i}" for i in range(50))
    train = pd.DataFrame({"text": [words] * 10, "label": [0, 1] * 5, "id": range(10), "rating": 1})
    pool = pd.DataFrame({"text": ["zzz qqq", "w1 w2", "xxx", "w3", "yyy", "w4 w5 w6"] * 4, "label": [0, 1] * 12,
                         "id": range(24), "rating": 1})
    monkeypatch.setattr(reference, "_splits", lambda: (train, train, pool))
    monkeypatch.setattr(reference, "a2_vocabulary", lambda: __import__("course_utils.text", fromlist=["x"]).Vocabulary.build(
        train.text, max_size=100))
    x, y = reference.heldout(seed=1, size=6)
    assert len(x) == len(y) == 6 and keras_cudnn_mask_is_valid(x)
