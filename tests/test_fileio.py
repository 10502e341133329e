"""Atomic writes, byte for byte: format, permissions, return values and stale-file cleanup."""
from __future__ import annotations

import os
import time
from pathlib import Path

from course_utils import fileio


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_json_is_indented_key_sorted_utf8_and_ends_with_a_newline(tmp_path):
    target = tmp_path / "deep" / "er" / "record.json"  # missing folders are made
    returned = fileio.write_json_atomic(target, {"b": [1, 2], "a": "café"})
    assert returned == target and isinstance(returned, Path)
    assert target.read_bytes() == b'{\n  "a": "caf\\u00e9",\n  "b": [\n    1,\n    2\n  ]\n}\n'
    fileio.write_text_atomic(str(target), "naïve ✓\n")  # a str path works too
    assert target.read_bytes() == "naïve ✓\n".encode()
    assert [p.name for p in target.parent.iterdir()] == ["record.json"]


def test_written_files_get_the_usual_permissions_not_mkstemps_0600(tmp_path):
    old = os.umask(0o022)
    try:
        path = fileio.write_text_atomic(tmp_path / "out.txt", "x")
        assert path.stat().st_mode & 0o777 == 0o644
        os.umask(0o077)
        path = fileio.write_text_atomic(tmp_path / "private.txt", "x")
        assert path.stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(old)


def test_stale_parts_are_counted_and_only_old_dot_parts_go(tmp_path):
    stale = [tmp_path / ".a.json.1.part", tmp_path / ".b.npz.2.part"]
    young = tmp_path / ".c.json.3.part"
    not_ours = [tmp_path / "d.part", tmp_path / ".e.partial"]
    for path in [*stale, young, *not_ours]:
        path.write_text("x")
    for path in [*stale, *not_ours]:
        _age(path, 3 * 24 * 3600)
    _age(young, 60)
    assert fileio.remove_stale_parts(tmp_path) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [".c.json.3.part", ".e.partial", "d.part"]
    assert fileio.remove_stale_parts(tmp_path) == 0
    assert fileio.remove_stale_parts(tmp_path, older_than=30) == 1  # the young one is now old enough
    assert not young.exists()


def test_the_stale_limit_is_a_day_and_strictly_older(tmp_path):
    assert fileio.STALE_PART_SECONDS == 24 * 3600
    almost = tmp_path / ".x.part"
    almost.write_text("x")
    _age(almost, 24 * 3600 - 120)
    assert fileio.remove_stale_parts(tmp_path) == 0 and almost.exists()
    now = time.time()
    os.utime(almost, (now - 100, now - 100))
    assert fileio.remove_stale_parts(tmp_path, older_than=1000) == 0


def test_a_part_exactly_as_old_as_the_limit_is_kept(tmp_path, monkeypatch):
    part = tmp_path / ".x.part"
    part.write_text("x")
    os.utime(part, ns=(1_999_999_000 * 10**9,) * 2)
    monkeypatch.setattr(fileio.time, "time", lambda: 2_000_000_000.0)
    assert fileio.remove_stale_parts(tmp_path, older_than=1000) == 0 and part.exists()
    assert fileio.remove_stale_parts(tmp_path, older_than=999.5) == 1 and not part.exists()


def test_a_part_that_cannot_be_removed_is_skipped_not_fatal(tmp_path, monkeypatch):
    part = tmp_path / ".x.part"
    part.write_text("x")
    _age(part, 3 * 24 * 3600)

    def refuse(self, missing_ok=False):
        raise PermissionError("not yours")

    monkeypatch.setattr(Path, "unlink", refuse)
    assert fileio.remove_stale_parts(tmp_path) == 0
    monkeypatch.undo()
    assert part.exists()
