"""Reading the dataset in detail: odd archives, exact messages, warnings, the cache's format.

Every archive here is written member by member in the test, so each expectation is written
out by hand (no helper of the code under test computes them).
"""
from __future__ import annotations

import io
import json
import os
import re
import tarfile
import warnings
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from course_utils import config, data
from course_utils.data import DataError, load_imdb, load_profile_data, read_archive

#: One review per split and label: the smallest archive in the official layout.
FOUR = {"aclImdb/train/pos/1_9.txt": b"fine film", "aclImdb/train/neg/2_2.txt": b"dull film",
        "aclImdb/test/pos/3_8.txt": b"good one", "aclImdb/test/neg/4_1.txt": b"bad one"}


def assert_points_at_this_file(warning) -> None:
    """The warning names the test's own line, not a line inside course_utils.

    Under mutation testing (mutmut sets $MUTANT_UNDER_TEST) each package function is wrapped in a
    trampoline from mutmut's own module, the first frame outside the package; there only that
    much can be checked.
    """
    if "MUTANT_UNDER_TEST" in os.environ:
        assert "course_utils" not in Path(warning.filename).parts
    else:
        assert warning.filename == __file__


def write_archive(path: Path, members: dict[str, bytes | None]) -> Path:
    """A .tar.gz with these members in this order (``None``: a directory entry)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as archive:
        for name, body in members.items():
            info = tarfile.TarInfo(name)
            if body is None:
                info.type = tarfile.DIRTYPE
                archive.addfile(info)
            else:
                info.size = len(body)
                archive.addfile(info, io.BytesIO(body))
    return path


# --------------------------------------------------------------------------- where the data is

def test_find_source_takes_an_aclimdb_folder_itself_and_prefers_an_archive_otherwise(tmp_path):
    folder = tmp_path / "aclImdb"
    (folder / "train").mkdir(parents=True)
    assert data.find_source(folder) == folder
    other = tmp_path / "downloads"                  # has a train/ folder, but is not aclImdb/
    (other / "train").mkdir(parents=True)
    write_archive(other / "aclImdb_v1.tar.gz", FOUR)
    assert data.find_source(other) == other / "aclImdb_v1.tar.gz"
    empty = tmp_path / "aclImdb-empty" / "aclImdb"  # named aclImdb, but no train/ in it
    empty.mkdir(parents=True)
    assert data.find_source(empty) is None


def test_an_explicit_path_that_does_not_exist_is_named_in_the_error(isolated, tmp_path):
    with pytest.raises(DataError) as info:
        load_imdb(tmp_path / "nowhere")
    assert str(info.value) == (f"the path argument names {tmp_path / 'nowhere'}, which does not exist. Fix the "
                               f"path, or unset it to fall back to the cache directory or a download.")


def test_without_download_the_error_lists_each_place_on_its_own_line(isolated, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError) as info:
        load_imdb(empty, download_if_missing=False, url="http://example.invalid/a.tar.gz", sha256="abc")
    archives = "aclImdb_v1.tar.gz / aclImdb_labeled.tar.gz / aclImdb.tar.gz"
    assert str(info.value) == (
        "Could not find the IMDB reviews. Looked at:\n"
        f"  - $IMDB_DATA_DIR: not set\n"
        f"  - the path argument: {empty} (no 'aclImdb/' folder and no {archives})\n"
        f"  - the cache directory: {isolated} (no 'aclImdb/' folder and no {archives})\n"
        "  - download: not attempted (download_if_missing=False)\n"
        "To fix: set $IMDB_DATA_DIR to a folder holding 'aclImdb/' or 'aclImdb_v1.tar.gz', or download "
        f"http://example.invalid/a.tar.gz by hand (SHA-256 abc) into {isolated}.")


# --------------------------------------------------------------------------- reading an archive

def test_members_that_are_not_reviews_are_skipped_wherever_they_are(tmp_path):
    members = {"aclImdb/README": b"read me", "aclImdb/train/pos/5_10.txt/": None,  # a folder, not a review
               **FOUR, "aclImdb/imdb.vocab": b"film"}
    members = dict(list(members.items())[:2] + [("aclImdb/train/pos/9_7.txt", b"first")]
                   + list(members.items())[2:])
    train, test = read_archive(write_archive(tmp_path / "a.tar.gz", members), progress=False)
    assert train.to_dict("list") == {"id": [2, 1, 9], "text": ["dull film", "fine film", "first"],
                                     "label": [0, 1, 1], "rating": [2, 9, 7]}
    assert test.to_dict("list") == {"id": [4, 3], "text": ["bad one", "good one"],
                                    "label": [0, 1], "rating": [1, 8]}
    assert list(train.index) == [0, 1, 2] and list(test.index) == [0, 1]


def test_the_same_id_twice_keeps_the_archive_order(tmp_path):
    members = {**FOUR, "aclImdb/train/pos/1_7.txt": b"second copy of 1"}
    train, _ = read_archive(write_archive(tmp_path / "a.tar.gz", members), progress=False)
    assert train.text.tolist() == ["dull film", "fine film", "second copy of 1"]


def test_the_layout_error_names_every_missing_folder_and_the_archive(tmp_path):
    archive = write_archive(tmp_path / "a.tar.gz", {"aclImdb/train/pos/1_9.txt": b"x",
                                                    "aclImdb/train/pos/2_8.txt": b"y"})
    with pytest.raises(DataError) as info:
        read_archive(archive, progress=False)
    assert str(info.value).startswith(
        f"{archive} is not in the layout of the official IMDB archive: no reviews found in "
        "aclImdb/train/neg/, aclImdb/test/neg/, aclImdb/test/pos/. Expected files "
        "aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt (found 2 review files in all).")


def test_ratings_outside_1_to_10_are_refused_naming_the_first(tmp_path):
    members = {"aclImdb/train/pos/7_11.txt": b"too good", **FOUR, "aclImdb/test/neg/3_0.txt": b"too bad"}
    archive = write_archive(tmp_path / "a.tar.gz", members)
    with pytest.raises(DataError) as info:
        read_archive(archive, progress=False)
    assert str(info.value) == (f"{archive}: 2 review file names carry a rating outside 1-10, "
                               "e.g. train/7_11.txt.")


def test_invalid_utf8_is_repaired_counted_and_warned_about_at_the_callers_line(tmp_path):
    members = {**FOUR, "aclImdb/train/pos/5_9.txt": b"caf\xe9", "aclImdb/test/neg/6_2.txt": b"\xffbad"}
    archive = write_archive(tmp_path / "a.tar.gz", members)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        train, test = read_archive(archive, progress=False)
    (warning,) = caught
    assert warning.category is UnicodeWarning
    assert str(warning.message) == (f"2 review(s) in {archive} are not valid UTF-8; their undecodable "
                                    "bytes were replaced by '\ufffd'.")
    assert_points_at_this_file(warning)             # the line that asked for the data
    assert "caf\ufffd" in train.text.tolist() and "\ufffdbad" in test.text.tolist()


def test_the_utf8_warning_points_at_the_users_line_through_load_imdb(isolated, tmp_path):
    archive = write_archive(tmp_path / "a.tar.gz", {**FOUR, "aclImdb/train/pos/5_9.txt": b"caf\xe9"})
    with pytest.warns(UnicodeWarning, match=r"^1 review\(s\) in ") as caught:
        load_imdb(archive, use_cache=False, progress=False)
    assert_points_at_this_file(caught[0])


def test_a_corrupt_archive_in_the_cache_is_to_be_deleted_one_elsewhere_checked(isolated, tmp_path):
    good = write_archive(tmp_path / "good.tar.gz", FOUR).read_bytes()
    elsewhere = tmp_path / "mine" / "aclImdb_v1.tar.gz"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(good[: len(good) // 2])
    isolated.mkdir(parents=True)
    in_cache = isolated / "aclImdb_v1.tar.gz"
    in_cache.write_bytes(good[: len(good) // 2])
    pattern = r"The archive {} is truncated or corrupt \((EOFError|ReadError|BadGzipFile|error): .+\)\. "
    with pytest.raises(DataError, match=pattern.format(re.escape(str(elsewhere))) + "Check that file, or get "
                       "a fresh copy from " + re.escape(f"{config.IMDB_URL} (SHA-256 {config.IMDB_SHA256}).")):
        read_archive(elsewhere, progress=False)
    with pytest.raises(DataError, match=pattern.format(re.escape(str(in_cache))) + re.escape(
            "Delete it (it is this package's download) and run again to download it afresh.")):
        read_archive(in_cache, progress=False)


# --------------------------------------------------------------------------- progress bars

def test_progress_bars_count_reviews_and_follow_the_progress_argument(isolated, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("COURSE_PROGRESS", raising=False)   # bars on by default
    archive = write_archive(tmp_path / "a" / "aclImdb_v1.tar.gz", FOUR)
    read_archive(archive, progress=True)
    assert re.search(r"Reading reviews: 4review \[", capsys.readouterr().err)
    for call in (lambda: read_archive(archive, progress=False),
                 lambda: load_imdb(archive, progress=False),          # archive read, cache written
                 lambda: load_imdb(archive, progress=False),          # cache read
                 lambda: load_profile_data(config.get_profile("smoke"), archive, use_cache=False,
                                           progress=False)):
        call()
        assert capsys.readouterr().err == ""


# --------------------------------------------------------------------------- the cache

def test_the_cache_file_holds_both_splits_zstd_compressed_with_its_metadata(isolated, tmp_path):
    archive = write_archive(tmp_path / "a" / "aclImdb_v1.tar.gz", FOUR)
    load_imdb(archive, progress=False)
    (cache_file,) = isolated.iterdir()
    assert re.fullmatch(r"imdb-reviews-[0-9a-f]{16}\.parquet", cache_file.name)
    parquet = pq.ParquetFile(cache_file)
    assert parquet.schema_arrow.names == ["id", "text", "label", "rating", "split"]
    assert parquet.metadata.row_group(0).column(0).compression == "ZSTD"
    metadata = parquet.schema_arrow.metadata
    assert b"pandas" in metadata
    assert json.loads(metadata[b"course_utils"]) == {
        "format": data.CACHE_FORMAT, "source": str(archive.resolve()),
        "fingerprint": cache_file.name[len("imdb-reviews-"):-len(".parquet")], "rows": 4}
    assert pq.read_table(cache_file).column("split").to_pylist() == ["train", "train", "test", "test"]


def test_no_cache_is_written_with_use_cache_false_even_after_a_download(isolated, tmp_path):
    archive = write_archive(tmp_path / "a" / "aclImdb_v1.tar.gz", FOUR)
    load_imdb(archive, use_cache=False, progress=False)
    load_profile_data(config.get_profile("smoke"), archive, use_cache=False, progress=False)
    assert not isolated.exists()


@pytest.mark.parametrize("field, value", [("format", data.CACHE_FORMAT + 1), ("rows", 3),
                                          ("fingerprint", "0" * 16)])
def test_a_cache_with_any_field_stale_is_deleted_and_rebuilt(isolated, tmp_path, monkeypatch, field, value):
    archive = write_archive(tmp_path / "a" / "aclImdb_v1.tar.gz", FOUR)
    load_imdb(archive, progress=False)
    (cache_file,) = isolated.iterdir()
    table = pq.read_table(cache_file)
    meta = json.loads(table.schema.metadata[b"course_utils"])
    meta[field] = value
    pq.write_table(table.replace_schema_metadata({**table.schema.metadata,
                                                  b"course_utils": json.dumps(meta).encode()}), cache_file)
    assert data._read_cache(cache_file, archive) is None and not cache_file.exists()


def test_a_damaged_cache_that_cannot_be_deleted_warns_at_the_users_line(isolated, tmp_path, monkeypatch):
    archive = write_archive(tmp_path / "a" / "aclImdb_v1.tar.gz", FOUR)
    load_imdb(archive, progress=False)
    (cache_file,) = isolated.iterdir()
    cache_file.write_bytes(b"not parquet")

    def refuse(self, missing_ok=False):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(Path, "unlink", refuse)
    with pytest.warns(UserWarning) as caught:
        imdb = load_imdb(archive, progress=False)
    assert str(caught[0].message) == (f"The cache {cache_file} is damaged and its folder is read-only: "
                                      f"reading {archive} without the cache.")
    assert_points_at_this_file(caught[0])
    assert imdb.train.text.tolist() == ["dull film", "fine film"]


# --------------------------------------------------------------------------- downloading

def test_a_refused_connection_names_the_exception_and_its_reason(tmp_path):
    with pytest.raises(DataError) as info:
        data.download("http://127.0.0.1:9/a.tar.gz", tmp_path / "a.tar.gz", sha256=None, progress=False)
    assert str(info.value) == ("Downloading http://127.0.0.1:9/a.tar.gz failed: URLError: "
                               "[Errno 111] Connection refused.")


def test_an_error_without_a_reason_is_named_by_itself(tmp_path, monkeypatch):
    import http.client

    def cut(*args, **kwargs):
        raise http.client.IncompleteRead(b"abc", 7)
    monkeypatch.setattr(data.urllib.request, "urlopen", cut)
    with pytest.raises(DataError) as info:
        data.download("http://host/a.tar.gz", tmp_path / "a.tar.gz", sha256=None, progress=False)
    assert str(info.value) == ("Downloading http://host/a.tar.gz failed: IncompleteRead: "
                               "IncompleteRead(3 bytes read, 7 more expected).")


def test_a_download_into_an_unwritable_place_says_why_and_what_to_set(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(DataError) as info:
        data.download("http://127.0.0.1:9/a.tar.gz", blocker / "a.tar.gz", sha256=None, progress=False)
    assert str(info.value) == (f"Cannot write the download into {blocker}: File exists. "
                               "Set $COURSE_UTILS_CACHE to a folder you can write to.")


# --------------------------------------------------------------------------- subsampling

def test_subsample_draws_each_label_from_its_own_reviews():
    frame = pd.DataFrame({"label": [0] * 2 + [1] * 5 + [2] * 9, "id": range(16)})
    drawn = data.subsample(frame, 9, seed=0)
    assert drawn.label.value_counts().sort_index().to_dict() == {0: 2, 1: 3, 2: 3}  # 2 is all label 0 has
    assert drawn.id.is_unique and drawn.id.is_monotonic_increasing


def _stored_gzip_archive(path: Path, members: dict[str, bytes]) -> Path:
    """A .tar.gz whose gzip stream is *stored* (level 0, fixed header): same-length members give
    an archive of exactly the same size, whatever their bytes."""
    import gzip
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name, body in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(body), 0
            archive.addfile(info, io.BytesIO(body))
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=0, mtime=0) as gz:
        gz.write(buffer.getvalue())
    return path


def test_an_archive_replaced_by_another_of_the_same_size_and_mtime_is_read_afresh(isolated, tmp_path):
    """cp -p, rsync -t or tar keep size and modification time; the cache must not serve the old reviews."""
    folder = tmp_path / "data"
    folder.mkdir()
    path = _stored_gzip_archive(folder / "aclImdb_v1.tar.gz", FOUR)
    assert load_imdb(folder).train.text.tolist() == ["dull film", "fine film"]
    stat = path.stat()
    replacement = _stored_gzip_archive(tmp_path / "other.tar.gz", {**FOUR, "aclImdb/train/pos/1_9.txt": b"FINE FILM"})
    assert replacement.stat().st_size == stat.st_size
    os.replace(replacement, path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    assert load_imdb(folder).train.text.tolist() == ["dull film", "FINE FILM"]


def test_empty_reviews_are_counted_in_the_loads_warning(tmp_path):
    members = {**FOUR, "aclImdb/train/pos/5_10.txt": b"", "aclImdb/train/neg/6_1.txt": b"  \n ",
               "aclImdb/test/pos/7_7.txt": b"", "aclImdb/test/neg/8_3.txt": b""}
    with pytest.warns(UserWarning, match=r"^4 review\(s\) in a\.tar\.gz are empty \(e\.g\. ") as caught:
        train, test = read_archive(write_archive(tmp_path / "a.tar.gz", members))
    assert len(train) == 4 and len(test) == 4
    assert "give a model no word to read" in str(caught[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_archive(write_archive(tmp_path / "b.tar.gz", FOUR))  # no empty review: no warning
