"""The encoded-array cache between notebooks: same arrays as encoding afresh, never stale."""
from __future__ import annotations

import numpy as np
import pytest

from course_utils import pipeline, text
from course_utils.config import get_profile
from course_utils.data import load_imdb

SETTINGS = dict(vocab_size=200, maxlen=32, drop_unknown=True)


@pytest.fixture
def data(isolated, synthetic_archive):
    return load_imdb(synthetic_archive, progress=False)


def _fresh(data, **settings):
    return text.encode_dataset(data.train.text, data.train.label, data.test.text, data.test.label, **settings)


def _same(a, b):
    for field in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
        assert getattr(a, field).dtype == getattr(b, field).dtype
    assert a.vocab == b.vocab
    assert (a.maxlen, a.padding, a.truncating, a.drop_unknown) == (b.maxlen, b.padding, b.truncating, b.drop_unknown)


def test_cached_encoding_equals_fresh_and_is_reused(data, isolated, monkeypatch):
    first = pipeline.encode_cached(data, **SETTINGS)
    _same(first, _fresh(data, **SETTINGS))
    assert len(list(isolated.glob("encoded-*.npz"))) == 1

    def fail(*args, **kwargs):
        raise AssertionError("encoded again although the cache holds the result")

    monkeypatch.setattr(pipeline, "encode_dataset", fail)
    second = pipeline.encode_cached(data, **SETTINGS)
    _same(first, second)
    assert second.encode_review("a great film").shape == (1, SETTINGS["maxlen"])


@pytest.mark.parametrize("change", [dict(maxlen=16), dict(vocab_size=100), dict(drop_unknown=False),
                                    dict(padding="post"), dict(truncating="post")])
def test_any_setting_change_gets_its_own_cache(data, isolated, change):
    pipeline.encode_cached(data, **SETTINGS)
    other = pipeline.encode_cached(data, **{**SETTINGS, **change})
    _same(other, _fresh(data, **{**SETTINGS, **change}))
    assert len(list(isolated.glob("encoded-*.npz"))) == 2


def test_changed_review_text_is_not_served_from_cache(data, isolated):
    pipeline.encode_cached(data, **SETTINGS)
    data.train.loc[0, "text"] = "zebra zebra zebra " + data.train.loc[0, "text"]
    again = pipeline.encode_cached(data, **SETTINGS)
    _same(again, _fresh(data, **SETTINGS))
    assert "zebra" in again.vocab


def test_damaged_cache_is_deleted_and_rebuilt(data, isolated):
    pipeline.encode_cached(data, **SETTINGS)
    (path,) = isolated.glob("encoded-*.npz")
    path.write_bytes(b"not an npz file")
    rebuilt = pipeline.encode_cached(data, **SETTINGS)
    _same(rebuilt, _fresh(data, **SETTINGS))
    assert np.load(path)["x_train"].shape[1] == SETTINGS["maxlen"]  # rewritten whole


def test_use_cache_false_writes_nothing(data, isolated):
    pipeline.encode_cached(data, use_cache=False, **SETTINGS)
    assert not list(isolated.glob("encoded-*.npz"))


def test_prepare_uses_the_profile_settings(data):
    profile = get_profile("smoke")
    _, enc = pipeline.prepare(profile, data=data)
    assert enc.maxlen == profile.maxlen and enc.drop_unknown == profile.drop_unknown
    assert len(enc.vocab) <= profile.vocab_size


def test_a_label_change_is_not_served_from_cache(data, isolated):
    first = pipeline.encode_cached(data, **SETTINGS)
    data.train.loc[0, "label"] = 1 - data.train.loc[0, "label"]
    again = pipeline.encode_cached(data, **SETTINGS)
    assert again.y_train[0] == 1 - first.y_train[0]
    assert len(list(isolated.glob("encoded-*.npz"))) == 2


def test_encoding_written_out_by_hand():
    """Expected arrays written in the test, not computed by the code under test: the vocabulary
    is too small for the training texts, so training has unknown words too."""
    train = ["good good film", "bad film", "good plot twist"]
    test = ["good twist", "awful film"]
    enc = text.encode_dataset(train, [1, 0, 1], test, [1, 0], vocab_size=5, maxlen=4, drop_unknown=True)
    assert enc.vocab.words == ("<pad>", "<oov>", "good", "film", "bad")  # 3, 2, then ties alphabetically
    assert enc.x_train.tolist() == [[0, 2, 2, 3], [0, 0, 4, 3], [0, 0, 0, 2]]  # 'plot twist' dropped
    assert enc.x_test.tolist() == [[0, 0, 0, 2], [0, 0, 0, 3]]
    kept = text.encode_dataset(train, [1, 0, 1], test, [1, 0], vocab_size=5, maxlen=4, drop_unknown=False)
    assert kept.x_train.tolist() == [[0, 2, 2, 3], [0, 0, 4, 3], [0, 2, 1, 1]]
    assert kept.x_test.tolist() == [[0, 0, 2, 1], [0, 0, 1, 3]]


def test_prepare_passes_profile_path_and_options_on(monkeypatch, tmp_path):
    from course_utils import config, pipeline
    calls = {}
    monkeypatch.setattr(pipeline, "load_profile_data",
                        lambda *a, **k: calls.setdefault("load", (a, k)) and "DATA")
    monkeypatch.setattr(pipeline, "encode_cached", lambda data, **k: calls.setdefault("encode", (data, k)) and "ENC")
    profile = config.get_profile("smoke").replace(drop_unknown=True)
    assert pipeline.prepare(profile, path=tmp_path) == ("DATA", "ENC")
    assert calls["load"] == ((profile, tmp_path), {"progress": False})
    assert calls["encode"] == ("DATA", dict(vocab_size=profile.vocab_size, maxlen=profile.maxlen, padding="pre",
                                            truncating="pre", drop_unknown=True, use_cache=True))
    calls.clear()
    pipeline.prepare(profile, data="MINE", vocab_size=7, maxlen=9, padding="post", truncating="post",
                     drop_unknown=False, use_cache=False)
    assert "load" not in calls, "given data is not loaded again"
    assert calls["encode"] == ("MINE", dict(vocab_size=7, maxlen=9, padding="post", truncating="post",
                                            drop_unknown=False, use_cache=False))


def _no_encoding(*args, **kwargs):
    raise AssertionError("encoded again although the cache holds the result")


def test_cache_file_name_defaults_a_full_vocabulary_and_odd_text(data, isolated, monkeypatch):
    import re
    first = pipeline.encode_cached(data, vocab_size=20, maxlen=8)  # 20 entries: the vocabulary is full
    assert len(first.vocab) == 20 and first.drop_unknown is False and first.padding == "pre"
    assert (first.x_test == text.OOV).any(), "unknown words stay <oov> unless asked otherwise"
    [path] = isolated.glob("encoded-*.npz")
    assert re.fullmatch(r"encoded-[0-9a-f]{24}\.npz", path.name)
    monkeypatch.setattr(pipeline, "encode_dataset", _no_encoding)
    _same(pipeline.encode_cached(data, vocab_size=20, maxlen=8), first)  # a full vocabulary is valid
    monkeypatch.undo()
    texts = data.train.text.astype(object)
    texts[0] = "lone \ud800 surrogate"  # a Python str may hold one (typed by a student, say)
    odd = type(data)(data.train.astype({"text": object}).assign(text=texts), data.test, data.source)
    assert pipeline.encode_cached(odd, vocab_size=20, maxlen=8).x_train.shape == (len(odd.train), 8)


def test_a_cache_file_that_needs_pickle_or_has_other_shapes_is_never_served(data, isolated):
    settings = dict(vocab_size=50, maxlen=8)
    real = pipeline.encode_cached(data, **settings)
    [path] = isolated.glob("encoded-*.npz")
    for bad in ({"words": np.array(list(real.vocab.words), dtype=object)},  # needs pickle to load
                {"x_train": np.zeros((len(real.y_train), 9), dtype=np.int32)}):  # another maxlen
        arrays = dict(x_train=np.zeros_like(real.x_train), y_train=real.y_train, x_test=real.x_test,
                      y_test=real.y_test, words=np.array(real.vocab.words, dtype=str))
        arrays.update(bad)
        with open(path, "wb") as handle:
            np.savez(handle, **arrays)
        _same(pipeline.encode_cached(data, **settings), real)


def test_the_encoding_cache_key_follows_the_text_code_not_its_comments(synthetic_archive, isolated, monkeypatch):
    """A new cleaning rule (text.py) must not reuse arrays a warm cache encoded with the old one."""
    from course_utils import config, data, pipeline
    monkeypatch.setenv("IMDB_DATA_DIR", str(synthetic_archive.parent))
    imdb = data.load_profile_data(config.get_profile("smoke"))
    settings = {"vocab_size": 50, "maxlen": 16}
    code = "def standardize(text):\n    return text.lower()\n"
    key = pipeline._encoding_key(imdb, settings, code)
    assert pipeline._encoding_key(imdb, settings, code.replace(":\n", ":  # lower-case\n", 1)) == key
    assert pipeline._encoding_key(imdb, settings, code.replace("lower", "casefold")) != key
    assert pipeline._encoding_key(imdb, settings) == pipeline._encoding_key(imdb, settings, pipeline._text_code())
