"""Profiles and configured locations."""
from __future__ import annotations

import pytest

from course_utils import config


def test_profiles_differ_where_they_should():
    smoke, full = config.get_profile("smoke"), config.get_profile("full")
    assert full.train_size is None and full.test_size is None
    assert smoke.train_size < 25_000 and smoke.epochs == 1
    assert smoke.maxlen < full.maxlen and smoke.vocab_size < full.vocab_size


def test_profile_from_environment_and_overrides(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    assert config.get_profile().name == "smoke"
    assert config.get_profile(seed=7).seed == 7
    assert config.get_profile(seed=None).seed == 42
    monkeypatch.delenv("COURSE_PROFILE")
    assert config.get_profile().name == "full"


def test_unknown_profile_lists_the_choices():
    with pytest.raises(ValueError, match=r"Unknown profile 'fast'.*\['full', 'smoke'\]"):
        config.get_profile("fast")


def test_cache_and_output_directories(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_UTILS_CACHE", str(tmp_path / "c"))
    assert config.cache_dir() == tmp_path / "c"
    monkeypatch.delenv("COURSE_UTILS_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert config.cache_dir() == tmp_path / "xdg" / "course_utils"
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COURSE_OUTPUT_DIR", raising=False)
    out = config.output_dir(profile="smoke")
    assert out.as_posix() == "outputs/smoke" and out.is_dir()
    monkeypatch.setenv("COURSE_OUTPUT_DIR", str(tmp_path / "o"))
    assert config.output_dir() == tmp_path / "o"
