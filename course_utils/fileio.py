"""Atomic file writes: a reader never sees a half-written cache, record or grade sheet."""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any
from collections.abc import Iterator


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success.

    On any exception the temporary file is removed and ``target`` is left untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_parts(target.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp's 0600 would surprise readers of outputs
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


#: A temporary ``.part`` file older than this was left by a killed process.
STALE_PART_SECONDS = 24 * 3600


def remove_stale_parts(folder: str | os.PathLike, older_than: float = STALE_PART_SECONDS) -> int:
    """Delete ``.*.part`` files a killed writer left in ``folder`` (older than ``older_than`` s)."""
    removed, now = 0, time.time()
    for part in Path(folder).glob(".*.part"):
        try:
            if now - part.stat().st_mtime > older_than:
                part.unlink()
                removed += 1
        except OSError:  # gone already, or not ours to delete
            pass
    return removed


def write_text_atomic(target: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``target`` atomically (UTF-8)."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def write_json_atomic(target: str | os.PathLike, data: Any) -> Path:
    """Write ``data`` as indented, key-sorted JSON to ``target`` atomically."""
    return write_text_atomic(target, json.dumps(data, indent=2, sort_keys=True) + "\n")
