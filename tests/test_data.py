"""Loading the dataset: resolution order, archive and directory readers, cache safety."""
from __future__ import annotations

import os
import shutil
import tarfile
import time

import numpy as np
import pytest

from course_utils import data
from course_utils.data import DataError, load_imdb
from synthetic import make_synthetic_archive


def test_reads_archive_in_official_layout(isolated, synthetic_archive):
    imdb = load_imdb(synthetic_archive)
    assert len(imdb.train) == len(imdb.test) == 40
    assert list(imdb.train.columns) == ["id", "text", "label", "rating"]
    assert imdb.train.label.value_counts().to_dict() == {0: 20, 1: 20}
    assert imdb.train[imdb.train.label == 1].rating.between(7, 10).all()
    assert imdb.train[imdb.train.label == 0].rating.between(1, 4).all()


def test_directory_and_archive_give_the_same_frames(isolated, synthetic_archive, tmp_path):
    with tarfile.open(synthetic_archive) as archive:
        archive.extractall(tmp_path / "extracted", filter="data")
    from_dir = load_imdb(tmp_path / "extracted", use_cache=False)
    from_archive = load_imdb(synthetic_archive, use_cache=False)
    assert from_dir.train.equals(from_archive.train)
    assert from_dir.test.equals(from_archive.test)


def test_explicit_path_wins_over_environment(isolated, synthetic_archive, tmp_path, monkeypatch):
    other = make_synthetic_archive(tmp_path / "other" / "aclImdb_v1.tar.gz", n_per_class=3, seed=1)
    monkeypatch.setenv("IMDB_DATA_DIR", str(other.parent))
    assert len(load_imdb().train) == 6                    # the environment variable
    assert len(load_imdb(synthetic_archive).train) == 40  # the explicit argument wins


def test_environment_variable_names_a_directory_holding_an_archive(isolated, synthetic_archive, monkeypatch):
    monkeypatch.setenv("IMDB_DATA_DIR", str(synthetic_archive.parent))
    assert load_imdb().source == str(synthetic_archive)


def test_cache_directory_is_searched_after_the_environment(isolated, synthetic_archive):
    isolated.mkdir(parents=True)
    shutil.copy(synthetic_archive, isolated / "aclImdb_v1.tar.gz")
    assert load_imdb(download_if_missing=False).source == str(isolated / "aclImdb_v1.tar.gz")


def test_second_load_uses_the_cache_without_reading_the_archive(isolated, synthetic_archive, monkeypatch):
    first = load_imdb(synthetic_archive)
    assert list(isolated.glob("imdb-reviews-*.parquet"))
    monkeypatch.setattr(data, "read_archive", lambda *a, **k: pytest.fail("archive read again"))
    second = load_imdb(synthetic_archive)
    assert second.train.equals(first.train) and second.test.equals(first.test)


def test_cache_is_rebuilt_when_the_archive_changes(isolated, tmp_path):
    archive = make_synthetic_archive(tmp_path / "a" / "aclImdb_v1.tar.gz", n_per_class=3, seed=1)
    assert len(load_imdb(archive).train) == 6
    time.sleep(0.01)
    make_synthetic_archive(archive, n_per_class=5, seed=2)
    assert len(load_imdb(archive).train) == 10


def test_a_half_written_cache_is_never_read_as_valid(isolated, synthetic_archive, monkeypatch):
    load_imdb(synthetic_archive)
    (cache_file,) = isolated.glob("imdb-reviews-*.parquet")
    cache_file.write_bytes(cache_file.read_bytes()[: cache_file.stat().st_size // 2])  # truncated
    calls = []
    real = data.read_archive
    monkeypatch.setattr(data, "read_archive", lambda *a, **k: calls.append(1) or real(*a, **k))
    imdb = load_imdb(synthetic_archive)
    assert calls == [1] and len(imdb.train) == 40       # re-read from the archive
    assert data._read_cache(cache_file, synthetic_archive) is not None  # and the cache is good again


def test_interrupted_cache_write_leaves_no_file(isolated, synthetic_archive, monkeypatch):
    import pyarrow.parquet as pq

    def crash(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(pq, "write_table", crash)
    with pytest.raises(KeyboardInterrupt):
        load_imdb(synthetic_archive)
    assert not list(isolated.glob("*")) or not [p for p in isolated.iterdir() if p.is_file()]


def test_truncated_archive_gives_a_clear_error_and_no_cache(isolated, synthetic_archive, tmp_path):
    broken = tmp_path / "aclImdb_v1.tar.gz"
    broken.write_bytes(synthetic_archive.read_bytes()[:1500])
    with pytest.raises(DataError, match="truncated or corrupt"):
        load_imdb(broken)
    assert not isolated.exists() or not list(isolated.iterdir())


def test_not_gzip_at_all(isolated, tmp_path):
    junk = tmp_path / "aclImdb_v1.tar.gz"
    junk.write_bytes(b"this is not an archive" * 100)
    with pytest.raises(DataError, match="truncated or corrupt"):
        load_imdb(junk)


def test_directory_in_the_wrong_layout(isolated, tmp_path):
    (tmp_path / "aclImdb" / "train" / "pos").mkdir(parents=True)
    (tmp_path / "aclImdb" / "train" / "pos" / "1_9.txt").write_text("great")
    with pytest.raises(DataError, match=r"not in the layout.*aclImdb/train/neg/.*aclImdb/test/pos/"):
        load_imdb(tmp_path)


def test_environment_variable_pointing_nowhere(isolated, monkeypatch, tmp_path):
    monkeypatch.setenv("IMDB_DATA_DIR", str(tmp_path / "missing"))
    with pytest.raises(DataError, match=r"\$IMDB_DATA_DIR names .*missing, which does not exist"):
        load_imdb(download_if_missing=False)


def test_no_data_and_no_network_names_every_place_looked(isolated):
    with pytest.raises(DataError) as info:
        load_imdb(url="http://127.0.0.1:9/aclImdb_v1.tar.gz")  # port 9: nothing listens
    message = str(info.value)
    assert "$IMDB_DATA_DIR: not set" in message
    assert str(isolated) in message
    assert "download: Downloading http://127.0.0.1:9/" in message
    assert "To fix: set $IMDB_DATA_DIR" in message


def test_subsample_is_balanced_and_reproducible(isolated, synthetic_archive):
    imdb = load_imdb(synthetic_archive)
    a = data.subsample(imdb.train, 10, seed=3)
    b = data.subsample(imdb.train, 10, seed=3)
    c = data.subsample(imdb.train, 10, seed=4)
    assert a.equals(b) and not a.equals(c)
    assert a.label.value_counts().to_dict() == {0: 5, 1: 5}
    assert data.subsample(imdb.train, None, seed=0).equals(imdb.train)
    with pytest.raises(ValueError, match="at least 2"):
        data.subsample(imdb.train, 1, seed=0)


@pytest.mark.skipif(not os.environ.get("IMDB_DATA_DIR"), reason="the real dataset is not configured")
def test_real_dataset_matches_its_documented_facts():
    imdb = load_imdb()
    for frame in (imdb.train, imdb.test):
        assert len(frame) == 25_000
        assert frame.label.value_counts().to_dict() == {0: 12_500, 1: 12_500}
        assert set(frame.rating.unique()) == {1, 2, 3, 4, 7, 8, 9, 10}
    words = np.array([len(t.split()) for t in imdb.train.text])
    assert 220 < words.mean() < 240


def test_profile_data_takes_seeded_balanced_subsets_of_each_split(isolated, synthetic_archive):
    from course_utils import config
    profile = config.get_profile("smoke").replace(train_size=10, test_size=6, seed=4)
    full = load_imdb(synthetic_archive)
    sub = data.load_profile_data(profile, synthetic_archive)
    assert len(sub.train) == 10 and len(sub.test) == 6 and sub.source == full.source
    assert sub.train.label.value_counts().to_dict() == {0: 5, 1: 5}
    assert sub.test.label.value_counts().to_dict() == {0: 3, 1: 3}
    assert sub.train.equals(data.subsample(full.train, 10, seed=4))
    assert sub.test.equals(data.subsample(full.test, 6, seed=5)), "the test split draws with seed + 1"
    assert repr(sub) == "ImdbData(train=10 reviews, test=6 reviews, source='aclImdb_v1.tar.gz')"
    everything = data.load_profile_data(profile.replace(train_size=None, test_size=None), synthetic_archive)
    assert len(everything.train) == len(full.train) == 40


def test_sha256_of_a_file_read_in_chunks(tmp_path):
    import hashlib
    path = tmp_path / "blob"
    payload = bytes(range(256)) * 40  # 10,240 bytes: several chunks of 1,000
    path.write_bytes(payload)
    assert data.sha256_file(path, chunk=1000) == hashlib.sha256(payload).hexdigest()
    assert data.sha256_file(path) == hashlib.sha256(payload).hexdigest()
    (tmp_path / "empty").write_bytes(b"")
    assert data.sha256_file(tmp_path / "empty") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_subsample_edges_whole_frame_odd_sizes_and_no_repeats():
    import pandas as pd
    frame = pd.DataFrame({"id": range(7), "text": list("abcdefg"), "label": [1, 1, 1, 1, 1, 0, 0]})
    whole = data.subsample(frame, 7, seed=0)
    assert whole.equals(frame), "asking for every row returns every row, in order"
    assert data.subsample(frame, 100, seed=0).equals(frame)
    two = data.subsample(frame, 2, seed=0)
    assert sorted(two.label) == [0, 1] and two.columns.tolist() == ["id", "text", "label"]
    six = data.subsample(frame, 6, seed=3)
    assert six.label.tolist().count(0) == 2 and six.label.tolist().count(1) == 3  # 3 asked of each; class 0 has 2
    assert six.id.is_unique and six.index.tolist() == list(range(len(six)))
    assert six.id.tolist() == sorted(six.id), "rows keep the frame's order"
    for n in (0, 1):
        with pytest.raises(ValueError, match="at least 2"):
            data.subsample(frame, n, seed=0)
