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
