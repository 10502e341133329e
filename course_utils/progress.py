"""Progress bars that show in a terminal or Jupyter and stay out of stored notebook outputs."""
from __future__ import annotations

import os
from typing import TypeVar
from collections.abc import Iterable

from tqdm.auto import tqdm

T = TypeVar("T")

#: Set to ``0`` to silence progress bars (the notebook runner does, so that executed
#: notebooks keep clean outputs).
ENV_PROGRESS = "COURSE_PROGRESS"


def progress_enabled(requested: bool | None = None) -> bool:
    """Whether to draw progress bars: ``requested`` if given, else ``$COURSE_PROGRESS != "0"``."""
    if requested is not None:
        return requested
    return os.environ.get(ENV_PROGRESS, "1") != "0"


def progress_bar(iterable: Iterable[T] | None = None, *, total: float | None = None,
                 desc: str = "", unit: str = "it", enabled: bool | None = None, **kwargs) -> tqdm:
    """Return a tqdm bar (or a disabled one when progress is turned off).

    ``desc`` and ``unit`` are shown in the edition's language: callers pass them translated
    (``_("Reading reviews")``), and a label the catalogue knows is looked up here too.
    """
    from .i18n import label

    return tqdm(iterable, total=total, desc=label(desc), unit=label(unit),
                disable=not progress_enabled(enabled), **kwargs)
