"""The cache, the data and the GloVe file when something is odd: read-only folders, killed
writers, bad bytes, mirrors, and GloVe files in other shapes (issue #12)."""
from __future__ import annotations

import gzip
import os
import pathlib
import tempfile
import time
import warnings

import numpy as np
import pytest

from course_utils import config, data, embeddings, fileio
from course_utils.data import DataError, load_imdb


def _read_only(monkeypatch, folder):
    """Make writes and deletions in ``folder`` fail as on a read-only mount (root ignores chmod)."""
    folder = str(folder)
    real_unlink, real_mkstemp = pathlib.Path.unlink, tempfile.mkstemp

    def unlink(self, missing_ok=False):
        if str(self).startswith(folder):
            raise PermissionError(13, "Read-only file system", str(self))
        return real_unlink(self, missing_ok=missing_ok)

    def mkstemp(*args, dir=None, **kwargs):
        if dir is not None and str(dir).startswith(folder):
            raise PermissionError(13, "Read-only file system", str(dir))
        return real_mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(pathlib.Path, "unlink", unlink)
    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)


def test_a_damaged_cache_in_a_read_only_folder_loads_from_the_source(isolated, synthetic_archive, monkeypatch):
    load_imdb(synthetic_archive)
    cache_file = next(isolated.glob("*.parquet"))
    cache_file.write_bytes(b"not parquet")
    _read_only(monkeypatch, isolated)
    with pytest.warns(UserWarning, match="damaged and its folder is read-only"):
        frames = load_imdb(synthetic_archive)
    assert len(frames.train) == 40 and cache_file.read_bytes() == b"not parquet"


def test_a_download_into_a_read_only_cache_is_a_data_error_with_the_places_looked(isolated, monkeypatch):
    monkeypatch.setenv("IMDB_URL", "http://127.0.0.1:9/aclImdb_v1.tar.gz")
    isolated.mkdir()
    _read_only(monkeypatch, isolated)
    with pytest.raises(DataError, match=r"(?s)Looked at:.*Cannot write the download into .*COURSE_UTILS_CACHE"):
        load_imdb()


def test_the_download_url_can_be_a_mirror(monkeypatch):
    monkeypatch.setenv("IMDB_URL", "http://mirror.example/aclImdb_v1.tar.gz")
    assert config.imdb_url() == "http://mirror.example/aclImdb_v1.tar.gz"
    monkeypatch.delenv("IMDB_URL")
    assert config.imdb_url() == config.IMDB_URL


def test_stale_part_files_of_killed_writers_are_cleaned_on_the_next_write(tmp_path):
    old, fresh = tmp_path / ".cache.npz.abc.part", tmp_path / ".other.json.def.part"
    old.write_text("half")
    fresh.write_text("in progress")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (two_days_ago, two_days_ago))
    fileio.write_text_atomic(tmp_path / "new.txt", "ok")
    assert not old.exists() and fresh.exists() and (tmp_path / "new.txt").read_text() == "ok"


def test_an_interrupted_write_keeps_the_old_file_whole(tmp_path, monkeypatch):
    target = tmp_path / "grades.csv"
    target.write_text("student,total\nann,10\n")
    real = pathlib.Path.write_text

    def half_then_crash(self, text, *args, **kwargs):
        real(self, text[: len(text) // 2], *args, **kwargs)  # half the bytes reach the disk...
        raise OSError("disk full")  # ...then the writer dies

    monkeypatch.setattr(pathlib.Path, "write_text", half_then_crash)
    with pytest.raises(OSError, match="disk full"):
        fileio.write_text_atomic(target, "student,total\nann,0\nbob,3\n")
    monkeypatch.undo()
    assert target.read_text() == "student,total\nann,10\n"
    assert [p.name for p in tmp_path.iterdir()] == ["grades.csv"]


def test_reviews_that_are_not_utf8_are_counted(tmp_path):
    root = tmp_path / "aclImdb"
    for split in ("train", "test"):
        for label in ("pos", "neg"):
            (root / split / label).mkdir(parents=True)
            (root / split / label / f"1_{'9' if label == 'pos' else '2'}.txt").write_text("fine review")
    (root / "train" / "pos" / "2_8.txt").write_bytes(b"caf\xe9 ok")  # Latin-1, not UTF-8
    (root / "test" / "neg" / "3_1.txt").write_bytes(b"\xff\xfe bad")
    with pytest.warns(UnicodeWarning, match="2 review\\(s\\) in .* are not valid UTF-8"):
        train, _ = data.read_directory(root)
    assert "caf\ufffd ok" in set(train.text)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (root / "train" / "pos" / "2_8.txt").write_text("café ok")
        (root / "test" / "neg" / "3_1.txt").write_text("bad")
        data.read_directory(root)  # valid UTF-8: no warning


def test_a_user_archive_is_never_to_be_deleted(isolated, tmp_path):
    broken = tmp_path / "mine" / "aclImdb_v1.tar.gz"
    broken.parent.mkdir()
    broken.write_bytes(gzip.compress(b"not a tar at all" * 10))
    with pytest.raises(DataError) as info:
        load_imdb(broken)
    assert "Delete" not in str(info.value) and "Check that file" in str(info.value)


GLOVE = "the 0.1 0.2 0.3\ngood 0.4 0.5 0.6\n"


@pytest.mark.parametrize("text,match", [
    ("the 0.1 0.2 0.3\ngood nan 0.5 0.6\n", r":2: the vector of 'good' holds a value that is not finite"),
    ("the 0.1 0.2 0.3\nbad 0.1 inf 0.3\n", r":2: the vector of 'bad' holds a value that is not finite"),
    ("the 0.1 0.2 0.3\ngood 0.4\n", r":2: expected 3 numbers after the word, found 1"),
])
def test_glove_files_with_bad_values_name_the_line(tmp_path, text, match):
    path = tmp_path / "glove.txt"
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        embeddings.read_glove_txt(path)


def test_glove_header_gzip_and_words_with_spaces(tmp_path):
    with_header = tmp_path / "w2v.txt"
    with_header.write_text("2 3\n" + GLOVE)
    vectors = embeddings.read_glove_txt(with_header)
    assert vectors.words == ("the", "good") and vectors.dim == 3
    packed = tmp_path / "glove.txt.gz"
    packed.write_bytes(gzip.compress(GLOVE.encode()))
    assert np.allclose(embeddings.read_glove_txt(packed)["good"], [0.4, 0.5, 0.6])
    spaced = tmp_path / "glove.840B.txt"
    spaced.write_text(GLOVE + "at name@domain.com 0.7 0.8 0.9\n")
    vectors = embeddings.read_glove_txt(spaced)
    assert vectors.words[-1] == "at name@domain.com" and np.allclose(vectors["at name@domain.com"], [0.7, 0.8, 0.9])


def test_reading_a_folder_shows_progress_and_names_the_folder_in_warnings(tmp_path, capsys):
    root = tmp_path / "aclImdb"
    for split in ("train", "test"):
        for label in ("pos", "neg"):
            (root / split / label).mkdir(parents=True)
            (root / split / label / f"1_{'9' if label == 'pos' else '2'}.txt").write_text("fine review")
    (root / "train" / "pos" / "2_8.txt").write_bytes(b"caf\xe9")
    with pytest.warns(UnicodeWarning) as caught:
        train, test = data.read_directory(root, progress=True)
    assert f"1 review(s) in {root} are not valid UTF-8" in str(caught[0].message)
    err = capsys.readouterr().err
    assert "Reading reviews: 100%" in err and "5/5" in err and "review/s" in err
    assert len(train) == 3 and len(test) == 2
    (root / "test" / "neg" / "1_2.txt").unlink()
    with pytest.raises(data.DataError, match=f"^{root} is not in the layout"):
        data.read_directory(root)
