"""Shared fixtures: isolated cache/output folders and small synthetic archives."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["COURSE_PROGRESS"] = "0"

from synthetic import make_synthetic_archive  # noqa: E402

#: The real data, when the environment provides it (CI does, from ../shared/data).
REAL_DATA_DIR = os.environ.get("IMDB_DATA_DIR")


@pytest.fixture(autouse=True)
def english_by_default(monkeypatch):
    """Every test starts and ends in the English edition: the edition is process-wide state, and
    a Spanish test must not leak into the English-exact ones (``course_utils.i18n``)."""
    from course_utils import i18n

    monkeypatch.delenv(i18n.ENV_EDITION, raising=False)
    i18n.set_edition(None)
    yield
    monkeypatch.delenv(i18n.ENV_EDITION, raising=False)
    i18n.set_edition(None)
    i18n.reload()


@pytest.fixture
def isolated(tmp_path, monkeypatch) -> Path:
    """An empty cache directory and no $IMDB_DATA_DIR: nothing leaks in from the machine."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("COURSE_UTILS_CACHE", str(cache))
    monkeypatch.delenv("IMDB_DATA_DIR", raising=False)
    return cache


@pytest.fixture(scope="session")
def synthetic_archive(tmp_path_factory) -> Path:
    """A small archive in the official layout: 20 reviews per split and label."""
    return make_synthetic_archive(tmp_path_factory.mktemp("synthetic") / "aclImdb_v1.tar.gz",
                                  n_per_class=20, seed=0)
