"""The grader's one walk through untrusted folders (``grading.walk``), on its own: no link followed,
no FIFO opened, bounded in depth and entries, and no descriptor left open however the walk ends.
Its two callers' refusals and notes are tried in tests/test_grading_hostile.py and tests/test_sandbox.py."""
from __future__ import annotations

import os
import stat
import threading
from contextlib import closing
from pathlib import Path

import pytest

from course_tools.grading import walk

#: Seconds a walk of a few entries may take before it counts as blocked.
BLOCKED = 5.0
FDS = Path("/proc/self/fd")

needs_proc = pytest.mark.skipif(not FDS.is_dir(), reason="counts descriptors in /proc/self/fd (Linux)")


def _open_fds() -> int:
    return len(os.listdir(FDS))


def _walk(folder: Path, fifos: tuple[Path, ...] = (), *, limit: int = 1_000, max_depth: int = 16,
          breadth_first: bool = False) -> list[walk.Entry]:
    """The walk's entries, in order, or a failure if it blocks (a FIFO opened for reading waits for a
    writer): it runs in a thread, and after ``BLOCKED`` seconds ``fifos`` are opened for writing,
    which lets a blocked reader go, and the test fails rather than hangs."""
    found: list[walk.Entry] = []
    raised: list[BaseException] = []

    def run() -> None:
        try:
            found.extend(walk.entries(folder, limit=limit, max_depth=max_depth, breadth_first=breadth_first))
        except BaseException as exc:  # re-raised in the test's thread
            raised.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(BLOCKED)
    if thread.is_alive():
        for fifo in fifos:
            try:
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass
        thread.join(BLOCKED)
        pytest.fail(f"the walk blocked for {BLOCKED} s: it opened a FIFO")
    if raised:
        raise raised[0]
    return found


def _chain(top: Path, levels: int) -> None:
    """``top/d1/d2/.../d<levels>``, each level holding a file ``f``."""
    folder = top
    for level in range(1, levels + 1):
        folder = folder / f"d{level}"
        folder.mkdir(parents=True)
        (folder / "f").write_text(str(level))


def test_each_folder_is_sorted_depth_first_last_folder_first_or_level_by_level(tmp_path):
    for path in ("b/y", "a/x", "c.txt"):
        (tmp_path / path).parent.mkdir(exist_ok=True)
        (tmp_path / path).write_text("")
    assert [e.relative for e in _walk(tmp_path)] == ["a", "b", "c.txt", "b/y", "a/x"]
    assert [e.relative for e in _walk(tmp_path, breadth_first=True)] == ["a", "b", "c.txt", "a/x", "b/y"]
    [x] = [e for e in _walk(tmp_path) if e.name == "x"]
    assert x.parts == ("a", "x") and stat.S_ISREG(x.info.st_mode) and x.descent is None


@pytest.mark.parametrize("breadth_first", [False, True])
def test_links_are_seen_as_links_and_never_followed(tmp_path, breadth_first):
    outside = tmp_path / "outside"
    (outside / "private").mkdir(parents=True)
    (outside / "private" / "secret.txt").write_text("secret")
    top = tmp_path / "top"
    top.mkdir()
    (top / "to_folder").symlink_to(outside / "private")
    (top / "to_file").symlink_to(outside / "private" / "secret.txt")
    os.link(outside / "private" / "secret.txt", top / "hard")
    found = {e.relative: e for e in _walk(top, breadth_first=breadth_first)}
    assert sorted(found) == ["hard", "to_file", "to_folder"], "nothing behind a link is listed"
    for link in ("to_file", "to_folder"):
        assert stat.S_ISLNK(found[link].info.st_mode), f"{link}: lstat, not the target's stat"
        assert found[link].descent is None
    assert found["hard"].info.st_nlink == 2, "a hard link is the caller's to refuse: it is shown"
    with pytest.raises(walk.FolderUnopenable) as raised:
        _walk(top / "to_folder")  # the walk's own folder is opened with O_NOFOLLOW too
    assert raised.value.strerror


def test_a_fifo_is_never_opened_and_never_blocks_the_walk(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    fifos = (tmp_path / "pipe", tmp_path / "sub" / "pipe")
    for fifo in fifos:
        os.mkfifo(fifo)
    opened: list[str] = []
    real_open = os.open

    def spy(path, flags, *args, **kwargs):
        opened.append(os.fsdecode(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    found = {e.relative: e for e in _walk(tmp_path, fifos)}
    assert sorted(found) == ["pipe", "sub", "sub/pipe"]
    assert all(stat.S_ISFIFO(found[p].info.st_mode) and found[p].descent is None for p in ("pipe", "sub/pipe"))
    assert "pipe" not in opened, f"the walk opened only folders, not {opened}"
    with pytest.raises(walk.FolderUnopenable, match="Not a directory"):
        _walk(fifos[0], fifos[:1])  # O_DIRECTORY: refused at once, where a plain open would wait


def test_no_folder_at_the_depth_bound_is_entered(tmp_path):
    _chain(tmp_path, 6)
    found = {e.relative: e for e in _walk(tmp_path, max_depth=3)}
    assert max(len(e.parts) for e in found.values()) == 3
    assert found["d1"].descent is found["d1/d2"].descent is walk.Descent.OPENED
    assert found["d1/d2/d3"].descent is walk.Descent.TOO_DEEP, "level 3 is listed, not entered"
    assert "d1/d2/f" in found and "d1/d2/d3/f" not in found


def test_a_folder_1100_levels_deep_is_walked_without_a_path_past_path_max(tmp_path):
    levels, name = 1_100, "d" * 10  # a path of 12,099 characters at the bottom: PATH_MAX is 4,096
    folder_flags = os.O_RDONLY | os.O_DIRECTORY
    fd, made = os.open(tmp_path, folder_flags), 0
    try:
        for _ in range(levels):  # one descriptor at a time: no path is ever spelled out
            os.mkdir(name, dir_fd=fd)
            child = os.open(name, folder_flags, dir_fd=fd)
            os.close(fd)
            fd, made = child, made + 1
        found = _walk(tmp_path, limit=10_000, max_depth=levels + 1)
        assert len(found) == levels and all(e.descent is walk.Descent.OPENED for e in found)
        assert len(found[-1].relative) == 11 * levels - 1 > os.pathconf(tmp_path, "PC_PATH_MAX")
    finally:  # bottom up (shutil.rmtree, and pytest's clean-up, recurse)
        for _ in range(made):
            parent = os.open("..", folder_flags, dir_fd=fd)
            os.close(fd)
            os.rmdir(name, dir_fd=parent)
            fd = parent
        os.close(fd)


@needs_proc
def test_the_entry_limit_stops_the_walk_before_a_folder_too_full_is_yielded(tmp_path):
    (tmp_path / "sub").mkdir()
    for name in ("a", "b", "c", "d"):
        (tmp_path / name).write_text("")
        (tmp_path / "sub" / name).write_text("")
    assert len(_walk(tmp_path, limit=9)) == 9, "9 entries: within a limit of 9"
    before = _open_fds()
    seen = []
    with pytest.raises(walk.TooManyEntries, match="^more than 8 entries$"):
        for entry in walk.entries(tmp_path, limit=8, max_depth=16):
            seen.append(entry.relative)
    assert seen == ["a", "b", "c", "d", "sub"], "none of the folder that went past the limit"
    assert _open_fds() == before, "every descriptor closed when the limit stops the walk"


@needs_proc
def test_no_descriptor_is_left_open_however_the_walk_ends(tmp_path):
    for first in "abcde":
        _chain(tmp_path / first, 3)
    before = _open_fds()

    def first_deep_entry() -> str:
        for entry in walk.entries(tmp_path, limit=1_000, max_depth=16):
            if len(entry.parts) == 4:
                assert _open_fds() > before + 2, "several folders are open at once (the walk's pending ones)"
                return entry.relative  # out of the loop, the generator neither exhausted nor closed
        raise AssertionError("no entry at level 4")

    assert first_deep_entry() == "e/d1/d2/d3"
    assert _open_fds() == before, "a caller that returns out of its loop leaks nothing"
    with closing(walk.entries(tmp_path, limit=1_000, max_depth=16)) as found:
        next(found), next(found), next(found), next(found), next(found), next(found)
    assert _open_fds() == before, "closed early: every pending folder closed"
    with pytest.raises(LookupError), closing(walk.entries(tmp_path, limit=1_000, max_depth=16)) as found:
        for entry in found:
            if entry.parts[-1] == "f":
                raise LookupError(entry.relative)
    assert _open_fds() == before, "the caller raised: every descriptor closed"
    assert len(_walk(tmp_path)) == 5 + 5 * 6 and _open_fds() == before, "exhausted: every descriptor closed"
