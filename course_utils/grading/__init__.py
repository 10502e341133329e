"""Grading: otter-grader assignments (``assign``), graded safely in batches (``batch``).

Each submission runs in an OS sandbox (``sandbox``: bubblewrap) with a harness (``harness``)
that makes it answer a challenge drawn with a secret seed; the points are computed outside the
sandbox from trusted reference answers (``answers``, ``reference``).
``python -m course_utils.grading assign|grade`` is the command line (``make assign``, ``make grade``).
"""
from .assign import ASSIGNMENTS_DIR, DIST_DIR, assign, root_cause, student_folder
from .batch import GradeResult, find_submissions, grade_batch, grade_one, integrity_flags

__all__ = ["ASSIGNMENTS_DIR", "DIST_DIR", "GradeResult", "assign", "find_submissions", "grade_batch",
           "grade_one", "integrity_flags", "root_cause", "student_folder"]
