"""The mutation summary counts mutmut's statuses per module and scores them as mutmut does."""
from __future__ import annotations

from course_tools import mutation

RESULTS = """\
    course_utils.text.x_tokenize__mutmut_1: killed
    course_utils.text.x_tokenize__mutmut_2: killed
    course_utils.text.xǁVocabularyǁdecode__mutmut_3: survived
    course_utils.text.x_pad_sequences__mutmut_4: timeout
    course_tools.grading.batch.x_grade_one__mutmut_1: killed
    course_tools.grading.batch.x__sheet__mutmut_2: no tests
    course_tools.grading.batch.x__sheet__mutmut_3: not checked
    course_utils.fileio.x_write_text_atomic__mutmut_1: not checked
this line is not a result
"""


def test_statuses_are_counted_per_module_including_subpackages_and_methods():
    counts = mutation.summarise(RESULTS)
    assert set(counts) == {"course_utils.text", "course_tools.grading.batch", "course_utils.fileio"}
    assert counts["course_utils.text"] == {"killed": 2, "survived": 1, "timeout": 1}
    assert counts["course_tools.grading.batch"] == {"killed": 1, "no tests": 1, "not checked": 1}


def test_score_counts_timeouts_as_detected_and_untested_as_not_and_skips_unrun():
    counts = mutation.summarise(RESULTS)
    assert mutation.score(counts["course_utils.text"]) == 3 / 4
    assert mutation.score(counts["course_tools.grading.batch"]) == 1 / 2
    assert mutation.score(counts["course_utils.fileio"]) is None
    table = mutation.render(counts, tool="mutmut 9", date="2026-11-26")
    lines = table.splitlines()
    assert lines[0] == "# Mutation testing (mutmut 9, 2026-11-26)"
    assert lines[2] == "| module | killed | timeout | survived | no tests | not checked | score |"
    assert "| course_utils.fileio | 0 | 0 | 0 | 0 | 1 | – |" in lines
    assert "| course_tools.grading.batch | 1 | 0 | 0 | 1 | 1 | 50.0% |" in lines
    assert "| course_utils.text | 2 | 1 | 1 | 0 | 0 | 75.0% |" in lines
    assert lines[-1] == "| **all** | 3 | 1 | 1 | 1 | 2 | 66.7% |"
