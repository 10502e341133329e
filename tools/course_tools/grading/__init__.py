"""Grading: otter-grader assignments (``assign``), graded safely in batches (``batch``).

Each submission runs in an OS sandbox (``sandbox``: bubblewrap) with a harness (``harness``)
that makes it answer a challenge drawn with a secret seed; the points are computed outside the
sandbox from trusted reference answers (``answers``, ``reference``).
``python -m course_tools.grading assign|grade`` is the command line (``make assign``, ``make grade``).

The names below are imported on first use: the harness, which runs inside every sandbox,
imports ``course_tools.grading.harness`` without paying for the batch's imports.
"""
from __future__ import annotations

import importlib

from .assign import assign, root_cause, student_folder  # light: no third-party imports

# The repository folders too: they exist only in a checkout, which the sandbox is not.
_NAMES = {"GradeResult": "batch", "find_submissions": "batch", "grade_batch": "batch", "grade_one": "batch",
          "integrity_flags": "batch", "ASSIGNMENTS_DIR": "assign", "DIST_DIR": "assign"}

__all__ = ["assign", "root_cause", "student_folder", *sorted(_NAMES)]


def __getattr__(name: str):
    if name in _NAMES:
        value = getattr(importlib.import_module(f".{_NAMES[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
