"""A bounded walk through a folder the grader did not write, that never follows a link.

Both of the grader's walks through untrusted folders use it: ``batch._regular_tree`` (is a
student's folder only regular files and folders?) and ``sandbox._copy_back`` (what a sandbox left,
copied back within limits). The walk

- opens every folder relative to its parent's descriptor, with ``O_NOFOLLOW | O_DIRECTORY``: no
  path grows past ``PATH_MAX`` however deep the folder, and no link is ever followed;
- opens nothing but folders (a FIFO, which would block the grader, or a device never is), and
  looks at every entry with ``lstat`` relative to its folder's descriptor;
- is bounded: at most ``limit`` entries are listed, and no folder at level ``max_depth`` or deeper
  is entered (the caller is told, so it can refuse the tree or skip the folder);
- is iterative (a folder 1,100 levels deep is no ``RecursionError``), and closes every descriptor
  it opened when it ends, when it raises, and when the generator is closed early (a caller that
  returns out of its loop; ``contextlib.closing`` makes that moment certain).
"""
from __future__ import annotations

import collections
import enum
import os
import stat
from collections.abc import Generator
from dataclasses import dataclass

#: How every folder of a walk is opened: read-only, a folder or nothing, never through a link.
FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


class FolderUnopenable(OSError):
    """The folder to walk cannot be opened as a folder (absent, a link, a file, not permitted);
    ``strerror`` says why. Raised only for the walk's own folder, never for one inside it."""


class TooManyEntries(Exception):
    """The walk listed more than ``limit`` entries and stopped."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit:,} entries")
        self.limit = limit


class Descent(enum.Enum):
    """What the walk did with a folder it met."""

    OPENED = "opened"  #: opened; its entries come later in the walk
    TOO_DEEP = "too deep"  #: not opened: it stands at level ``max_depth`` or deeper
    UNOPENABLE = "unopenable"  #: not opened: opening it as a folder failed (swapped for a link, removed)


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry of a walk.

    Attributes
    ----------
    dir_fd : int
        A descriptor of the folder that holds it, open until the walk moves on to the next
        folder: open the entry with ``dir_fd=dir_fd`` (and ``O_NOFOLLOW``), never by its path.
    name : str
        Its name in that folder.
    parts : tuple of str
        Its path relative to the walk's folder, ``name`` last; its level is ``len(parts)``.
    info : os.stat_result or None
        Its ``lstat`` (a link is seen as a link, never as what it points to); ``None`` when it
        vanished between the listing and the ``lstat``.
    descent : Descent or None
        For a folder, whether the walk will go into it; ``None`` for anything else.
    """

    dir_fd: int
    name: str
    parts: tuple[str, ...]
    info: os.stat_result | None
    descent: Descent | None = None

    @property
    def relative(self) -> str:
        """Its path relative to the walk's folder, ``/``-separated."""
        return "/".join(self.parts)


def entries(folder: str | os.PathLike[str], *, limit: int, max_depth: int,
            breadth_first: bool = False) -> Generator[Entry, None, None]:
    """Every entry under ``folder``, each folder's in sorted order, within bounds, no link followed.

    Parameters
    ----------
    folder : str or os.PathLike
        The folder to walk; itself opened with ``O_NOFOLLOW`` (a link to a folder is refused).
    limit : int
        Most entries listed, counted as each folder is listed (before any of its entries is
        yielded): a folder of a million names is never sorted.
    max_depth : int
        Levels of entries listed: the walk's folder holds level 1, and a folder at level
        ``max_depth`` or deeper is yielded with ``Descent.TOO_DEEP`` and not entered.
    breadth_first : bool, default False
        Level by level (all of a folder's entries before any of its subfolders'); otherwise depth
        first, the last subfolder in sorted order first.

    Yields
    ------
    Entry
        One for each entry, folders included; a folder's entries follow later (``Descent.OPENED``).

    Raises
    ------
    FolderUnopenable
        If ``folder`` itself cannot be opened as a folder (on the first ``next``).
    TooManyEntries
        When listing a folder takes the count past ``limit``; every descriptor is closed first.
    """
    try:
        top = os.open(folder, FOLDER_FLAGS)
    except OSError as exc:
        raise FolderUnopenable(exc.errno, exc.strerror, exc.filename) from exc
    pending: collections.deque[tuple[int, tuple[str, ...]]] = collections.deque([(top, ())])
    listed = 0
    try:
        while pending:
            fd, parts = pending.popleft() if breadth_first else pending.pop()
            try:
                with os.scandir(fd) as listing:
                    names = []
                    for item in listing:
                        listed += 1
                        if listed > limit:
                            raise TooManyEntries(limit)
                        names.append(item.name)
                for name in sorted(names):
                    child = parts + (name,)
                    try:
                        info = os.stat(name, dir_fd=fd, follow_symlinks=False)
                    except OSError:
                        yield Entry(fd, name, child, None)
                        continue
                    descent = None
                    if stat.S_ISDIR(info.st_mode):
                        if len(child) >= max_depth:
                            descent = Descent.TOO_DEEP
                        else:
                            try:
                                pending.append((os.open(name, FOLDER_FLAGS, dir_fd=fd), child))
                                descent = Descent.OPENED
                            except OSError:
                                descent = Descent.UNOPENABLE
                    yield Entry(fd, name, child, info, descent)
            finally:
                os.close(fd)
    finally:
        for fd, _ in pending:
            os.close(fd)
