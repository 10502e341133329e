"""Summarise a mutation-testing run: ``python -m course_tools.mutation RESULTS OUT.md``.

``RESULTS`` is the output of ``mutmut results --all true`` (one ``<mutant>: <status>`` per
line). The summary counts, per module, mutants killed, timed out, survived, with no test
reaching them, and not run yet, and gives mutmut's own score: (killed + timeout) / (killed +
timeout + survived + no tests). Mutants not run yet are left out of the score, not counted as
killed.
"""
from __future__ import annotations

import datetime as _dt
import re
import sys
from collections import Counter, defaultdict
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from course_utils.fileio import write_text_atomic

_LINE = re.compile(r"^\s*(course_(?:utils|tools)(?:\.\w+)+?)\.x\S*__mutmut_\d+:\s*(\w[\w ]*)$")
#: Columns of the table, as mutmut names the statuses.
STATUSES = ("killed", "timeout", "survived", "no tests", "not checked")


def summarise(text: str) -> dict[str, Counter]:
    """``{module: Counter(status -> mutants)}`` from mutmut's result lines."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for line in text.splitlines():
        match = _LINE.match(line)
        if match:
            module, status = match.groups()
            counts[module][status.strip()] += 1
    return dict(counts)


def score(counts: Counter) -> float | None:
    """mutmut's score: (killed + timeout) / (killed + timeout + survived + no tests); None if none ran."""
    detected = counts.get("killed", 0) + counts.get("timeout", 0)
    judged = detected + counts.get("survived", 0) + counts.get("no tests", 0)
    return detected / judged if judged else None


def render(counts: dict[str, Counter], *, tool: str, date: str) -> str:
    """A Markdown table: one row per module and a total."""
    head = ["module", *STATUSES, "score"]
    lines = [f"# Mutation testing ({tool}, {date})", "",
             "| " + " | ".join(head) + " |", "| --- |" + " ---: |" * (len(head) - 1)]
    total: Counter = Counter()
    for module in sorted(counts):
        total.update(counts[module])
        lines.append(_row(module, counts[module]))
    lines.append(_row("**all**", total))
    return "\n".join(lines) + "\n"


def _row(name: str, counts: Counter) -> str:
    value = score(counts)
    cells = [str(counts.get(s, 0)) for s in STATUSES] + ["–" if value is None else f"{value:.1%}"]
    return f"| {name} | " + " | ".join(cells) + " |"


def main(argv=None) -> int:
    results, out = (argv or sys.argv[1:])[:2]
    try:
        tool = f"mutmut {version('mutmut')}"
    except PackageNotFoundError:
        tool = "mutmut"
    write_text_atomic(out, render(summarise(Path(results).read_text(encoding="utf-8")), tool=tool,
                                  date=_dt.date.today().isoformat()))
    print(Path(out).read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
