"""The Large Movie Review Dataset (Maas et al., 2011): find it, read it, cache it.

``load_imdb()`` looks, in order, at an explicit path, ``$IMDB_DATA_DIR``, the user's
cache directory, and finally downloads the official archive (checksum verified).
Reviews are read straight out of the ``.tar.gz`` and kept in a compact Parquet cache,
so a second load takes about a second.
"""
from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import os
import re
import sys
import tarfile
import urllib.error
import warnings
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import config
from .fileio import atomic_path
from .i18n import _
from .progress import progress_bar

SPLITS = ("train", "test")
LABELS = {"neg": 0, "pos": 1}
#: Bump when the cache's content or layout changes; old caches are then rebuilt.
CACHE_FORMAT = 1
_MEMBER = re.compile(r"(?:^|/)aclImdb/(train|test)/(pos|neg)/(\d+)_(\d+)\.txt$")
_ARCHIVE_NAMES = (config.IMDB_ARCHIVE_NAME, "aclImdb_labeled.tar.gz", "aclImdb.tar.gz")


class DataError(RuntimeError):
    """The dataset could not be found, downloaded or read; the message says how to fix it."""


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _warn_caller(message: str, category: type[Warning]) -> None:
    """Warn, pointing at the first frame outside this package: the line the user wrote."""
    frame, level = sys._getframe(1), 2
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


@dataclass(frozen=True)
class ImdbData:
    """The labelled reviews, one DataFrame per official split.

    Each frame has the columns ``id`` (int), ``text`` (str), ``label`` (0 = negative,
    1 = positive) and ``rating`` (1-10, from the file name).
    """

    train: pd.DataFrame
    test: pd.DataFrame
    source: str

    def __repr__(self) -> str:
        return (f"ImdbData(train={len(self.train):,} reviews, test={len(self.test):,} reviews, "
                f"source={Path(self.source).name!r})")  # the file name only: no machine paths in outputs


# --------------------------------------------------------------------------- reading

def _archive_in(directory: Path) -> Path | None:
    for name in _ARCHIVE_NAMES:
        if (directory / name).is_file():
            return directory / name
    return None


def find_source(location: str | os.PathLike) -> Path | None:
    """Return the ``aclImdb`` directory or archive that ``location`` names or holds, if any."""
    path = Path(location).expanduser()
    if path.is_file():
        return path
    if path.is_dir():
        if path.name == "aclImdb" and (path / "train").is_dir():
            return path
        if (path / "aclImdb").is_dir():
            return path / "aclImdb"
        return _archive_in(path)
    return None


def _rows_to_frames(rows: list[tuple[str, int, int, int, str]], source: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = pd.DataFrame(rows, columns=["split", "label", "id", "rating", "text"])
    counts = frame.groupby(["split", "label"]).size()
    missing = [f"aclImdb/{s}/{lab}/" for s in SPLITS for lab, y in LABELS.items()
               if counts.get((s, y), 0) == 0]
    if missing:
        raise DataError(
            f"{source} is not in the layout of the official IMDB archive: no reviews found in "
            f"{', '.join(missing)}. Expected files aclImdb/{{train,test}}/{{pos,neg}}/<id>_<rating>.txt "
            f"(found {len(frame):,} review files in all). Point ${config.ENV_DATA_DIR} at the folder "
            f"holding 'aclImdb/' or '{config.IMDB_ARCHIVE_NAME}', or download it from {config.IMDB_URL}."
        )
    bad = frame[(frame.rating < 1) | (frame.rating > 10)]
    if len(bad):
        raise DataError(f"{source}: {len(bad)} review file names carry a rating outside 1-10, "
                        f"e.g. {bad.iloc[0].split}/{bad.iloc[0].id}_{bad.iloc[0].rating}.txt.")
    empty = frame[frame.text.str.strip() == ""]
    if len(empty):
        where = ", ".join(f"{r.split}/{'pos' if r.label else 'neg'}/{r.id}_{r.rating}.txt" for r in empty.head(3).itertuples())
        _warn_caller(f"{len(empty):,} review(s) in {source.name} are empty (e.g. {where}); they are kept, with the "
                     f"label of their file name, but give a model no word to read.", UserWarning)
    frame = frame.sort_values(["split", "label", "id"])  # pandas sorts on several keys stably
    out = []
    for split in SPLITS:
        part = frame.loc[frame.split == split, ["id", "text", "label", "rating"]].reset_index(drop=True)
        out.append(part.astype({"id": "int64", "label": "int8", "rating": "int8"}))
    return out[0], out[1]


class _Decoder:
    """UTF-8 decoding that counts the reviews it had to repair (undecodable bytes -> U+FFFD)."""

    def __init__(self) -> None:
        self.repaired = 0

    def __call__(self, raw: bytes) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.repaired += 1
            return raw.decode("utf-8", errors="replace")

    def report(self, source: Path) -> None:
        if self.repaired:
            _warn_caller(f"{self.repaired:,} review(s) in {source} are not valid UTF-8; their undecodable "
                         f"bytes were replaced by '\ufffd'.", UnicodeWarning)


def read_archive(path: str | os.PathLike, *, progress: bool | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read labelled reviews straight out of an ``aclImdb`` ``.tar.gz`` (nothing is extracted).

    Raises
    ------
    DataError
        If the archive is truncated, corrupt or not in the official layout.
    """
    path = Path(path)
    rows, decode = [], _Decoder()
    try:
        with tarfile.open(path, mode="r|gz") as archive, progress_bar(
                total=None, desc=_("Reading reviews"), unit=_("review"), enabled=progress) as bar:
            for member in archive:
                match = _MEMBER.search(member.name) if member.isfile() else None
                if not match:
                    continue
                split, label, idx, rating = match.groups()
                file = archive.extractfile(member)  # None for anything but a regular file
                if file is None:
                    continue
                data = file.read()
                rows.append((split, LABELS[label], int(idx), int(rating), decode(data)))
                bar.update(1)
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile, OSError) as exc:
        in_cache = config.cache_dir().resolve() in path.resolve().parents
        fix = ("Delete it (it is this package's download) and run again to download it afresh." if in_cache else
               f"Check that file, or get a fresh copy from {config.IMDB_URL} (SHA-256 {config.IMDB_SHA256}).")
        raise DataError(f"The archive {path} is truncated or corrupt ({type(exc).__name__}: {exc}). {fix}") from exc
    decode.report(path)
    return _rows_to_frames(rows, path)


def read_directory(path: str | os.PathLike, *, progress: bool | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read labelled reviews from an extracted ``aclImdb/`` directory."""
    path = Path(path)
    root = path.parent
    files = [f for s in SPLITS for lab in LABELS for f in (path / s / lab).glob("*.txt")]
    rows, decode = [], _Decoder()
    for f in progress_bar(files, desc=_("Reading reviews"), unit=_("review"), enabled=progress):
        match = _MEMBER.search(f.relative_to(root).as_posix())
        if match:
            split, label, idx, rating = match.groups()
            rows.append((split, LABELS[label], int(idx), int(rating), decode(f.read_bytes())))
    decode.report(path)
    return _rows_to_frames(rows, path)


# --------------------------------------------------------------------------- caching

def _fingerprint(source: Path) -> str:
    # The inode and ctime change whenever the file is replaced or rewritten, even by a copy that
    # keeps the old size and modification time (cp -p, rsync -t, tar): such a file is read afresh.
    stat = source.stat()
    key = f"{CACHE_FORMAT}|{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{stat.st_ino}|{stat.st_ctime_ns}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _cache_file(source: Path, cache: Path) -> Path:
    return cache / f"imdb-reviews-{_fingerprint(source)}.parquet"


def _write_cache(target: Path, train: pd.DataFrame, test: pd.DataFrame, source: Path) -> None:
    frame = pd.concat([train.assign(split="train"), test.assign(split="test")], ignore_index=True)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    meta = {"format": CACHE_FORMAT, "source": str(source.resolve()),
            "fingerprint": _fingerprint(source), "rows": len(frame)}
    table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                           b"course_utils": json.dumps(meta).encode()})
    with atomic_path(target) as tmp:
        pq.write_table(table, tmp, compression="zstd")


def _read_cache(target: Path, source: Path) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """Return the cached frames, or None (and delete the file) if it is stale or damaged."""
    try:
        table = pq.read_table(target)
        meta = json.loads(table.schema.metadata[b"course_utils"])
        fresh = (meta["format"] == CACHE_FORMAT and meta["fingerprint"] == _fingerprint(source)
                 and meta["rows"] == table.num_rows)
    except Exception:  # a damaged or foreign file is never trusted
        fresh = False
    if not fresh:
        try:
            target.unlink(missing_ok=True)
        except OSError:
            _warn_caller(f"The cache {target} is damaged and its folder is read-only: reading {source} "
                         f"without the cache.", UserWarning)
        return None
    frame = table.to_pandas()
    parts = []
    for split in SPLITS:
        part = frame[frame.split == split].drop(columns="split").reset_index(drop=True)
        parts.append(part)
    return parts[0], parts[1]


def _read_source(source: Path, *, cache: Path | None, progress: bool | None) -> ImdbData:
    target = _cache_file(source, cache) if cache is not None else None
    if target is not None and target.exists():
        frames = _read_cache(target, source)
        if frames is not None:
            return ImdbData(*frames, source=str(source))
    reader = read_directory if source.is_dir() else read_archive
    train, test = reader(source, progress=progress)
    if target is not None:
        try:
            _write_cache(target, train, test, source)
        except OSError:  # a read-only cache is no reason to fail the load
            pass
    return ImdbData(train, test, source=str(source))


# --------------------------------------------------------------------------- downloading

def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Return the hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def download(url: str, target: str | os.PathLike, *, sha256: str | None, timeout: float = 60,
             progress: bool | None = None) -> Path:
    """Download ``url`` to ``target`` with a progress bar, verifying its SHA-256.

    The file is written under a temporary name and renamed only when it is complete
    and its checksum matches, so an interrupted download leaves nothing behind.

    Raises
    ------
    DataError
        On an HTTP error, a network failure, a cut connection or a checksum mismatch.
    """
    target = Path(target)
    digest = hashlib.sha256()
    try:
        with atomic_path(target) as tmp, urllib.request.urlopen(url, timeout=timeout) as response:
            expected = int(response.headers.get("Content-Length") or 0) or None
            received = 0
            desc = _("Downloading {name}").format(name=target.name)
            with open(tmp, "wb") as out, progress_bar(total=expected, desc=desc, unit="B", unit_scale=True,
                                                      enabled=progress) as bar:
                while block := response.read(1 << 20):
                    out.write(block)
                    digest.update(block)
                    received += len(block)
                    bar.update(len(block))
            if expected is not None and received != expected:
                raise DataError(f"The download of {url} was cut off after {received:,} of "
                                f"{expected:,} bytes. Run again to retry.")
            if sha256 is not None and digest.hexdigest() != sha256.lower():
                raise DataError(
                    f"The file downloaded from {url} has SHA-256 {digest.hexdigest()}, expected "
                    f"{sha256}. It was discarded. Retry, or download it by hand and check it.")
    except urllib.error.HTTPError as exc:
        raise DataError(f"Downloading {url} failed: HTTP {exc.code} {exc.reason}.") from exc
    except (TimeoutError, urllib.error.URLError, http.client.HTTPException, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DataError(f"Downloading {url} failed: {type(exc).__name__}: {reason}.") from exc
    except OSError as exc:  # e.g. a read-only cache folder
        raise DataError(f"Cannot write the download into {target.parent}: {exc.strerror or exc}. Set "
                        f"${config.ENV_CACHE_DIR} to a folder you can write to.") from exc
    return target


# --------------------------------------------------------------------------- public entry point

def load_imdb(path: str | os.PathLike | None = None, *, download_if_missing: bool = True,
              url: str | None = None, sha256: str = config.IMDB_SHA256,
              use_cache: bool = True, progress: bool | None = None) -> ImdbData:
    """Load the 50,000 labelled IMDB reviews with the official train/test split.

    Looks, in order, at ``path``; the directory in ``$IMDB_DATA_DIR`` (holding ``aclImdb/``
    or an archive in the official layout); the cache directory (``$COURSE_UTILS_CACHE``,
    default ``~/.cache/course_utils``); and finally downloads the official archive into the
    cache directory, verifying its SHA-256.

    Parameters
    ----------
    path : path-like, optional
        An ``aclImdb`` directory, an archive, or a directory holding either.
    download_if_missing : bool
        Download the official archive when nothing is found locally.
    url : str, optional
        Where to download from: default ``$IMDB_URL`` (a mirror) if set, else the official URL.
    sha256 : str
        The checksum the download must have (the official archive's, whatever the URL).
    use_cache : bool
        Keep and reuse a Parquet cache of the parsed reviews.
    progress : bool, optional
        Show progress bars (default: unless ``$COURSE_PROGRESS=0``).

    Raises
    ------
    DataError
        With every place looked at and how to fix it, when the data cannot be had.
    """
    url = url or config.imdb_url()
    cache = config.cache_dir()
    cache_for_parsed = cache if use_cache else None
    looked: list[str] = []
    candidates: list[tuple[str, str | os.PathLike]] = []
    if path is not None:
        candidates.append(("the path argument", path))
    env = os.environ.get(config.ENV_DATA_DIR)
    if env:
        candidates.append((f"${config.ENV_DATA_DIR}", env))
    else:
        looked.append(f"${config.ENV_DATA_DIR}: not set")
    candidates.append(("the cache directory", cache))

    for what, location in candidates:
        source = find_source(location)
        if source is not None:
            return _read_source(source, cache=cache_for_parsed, progress=progress)
        if what != "the cache directory" and not Path(location).expanduser().exists():
            raise DataError(f"{what} names {location}, which does not exist. Fix the path, or unset it "
                            f"to fall back to the cache directory or a download.")
        looked.append(f"{what}: {location} (no 'aclImdb/' folder and no {' / '.join(_ARCHIVE_NAMES)})")

    if download_if_missing:
        try:
            archive = download(url, cache / config.IMDB_ARCHIVE_NAME, sha256=sha256, progress=progress)
            return _read_source(archive, cache=cache_for_parsed, progress=progress)
        except DataError as exc:
            looked.append(f"download: {exc}")
    else:
        looked.append("download: not attempted (download_if_missing=False)")
    raise DataError(
        "Could not find the IMDB reviews. Looked at:\n  - " + "\n  - ".join(looked) +
        f"\nTo fix: set ${config.ENV_DATA_DIR} to a folder holding 'aclImdb/' or "
        f"'{config.IMDB_ARCHIVE_NAME}', or download {url} by hand (SHA-256 {sha256}) into {cache}."
    )


def subsample(frame: pd.DataFrame, n: int | None, *, seed: int) -> pd.DataFrame:
    """Draw ``n`` reviews, balanced across labels and reproducible for a seed (``None``: all)."""
    if n is None or n >= len(frame):
        return frame.reset_index(drop=True)
    if n < 2:
        raise ValueError(f"n must be at least 2 to keep both classes, got {n}.")
    rng = np.random.default_rng(seed)
    parts = []
    labels = sorted(frame.label.unique())
    for i, label in enumerate(labels):
        group = frame.index[frame.label == label].to_numpy()
        take = n // len(labels) + (1 if i < n % len(labels) else 0)
        parts.append(rng.choice(group, size=min(take, len(group)), replace=False))
    index = np.sort(np.concatenate(parts))
    return frame.loc[index].reset_index(drop=True)


def load_profile_data(profile: config.Profile, path: str | os.PathLike | None = None, **kwargs) -> ImdbData:
    """Load the dataset and subsample each split to the profile's size (seeded, balanced).

    Parameters
    ----------
    profile : config.Profile
        Its ``train_size``, ``test_size`` and ``seed`` decide the subsample (None sizes: all).
    path : path, optional
        Where the dataset is (default: :func:`load_imdb`'s search).
    **kwargs
        Passed on to :func:`load_imdb`.

    Returns
    -------
    ImdbData
        Both splits, subsampled.
    """
    data = load_imdb(path, **kwargs)
    return ImdbData(subsample(data.train, profile.train_size, seed=profile.seed),
                    subsample(data.test, profile.test_size, seed=profile.seed + 1),
                    source=data.source)
