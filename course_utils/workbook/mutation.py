"""Summarise a mutation-testing run: ``python -m course_utils.workbook.mutation RESULTS OUT.md``.

``RESULTS`` is the output of ``mutmut results --all true`` (one ``<mutant>: <status>`` per
line); the summary counts, per module, mutants killed, survived and otherwise (timeouts,
suspicious, not checked) and the score killed / (killed + survived).
"""
from __future__ import annotations

import datetime as _dt
import re
import sys
from collections import Counter, defaultdict
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from ..fileio import write_text_atomic

_LINE = re.compile(r"^\s*(course_utils(?:\.\w+)+?)\.x_?\w*__mutmut_\d+:\s*(\w[\w ]*)$")


def summarise(text: str) -> dict[str, Counter]:
    """``{module: Counter(status -> mutants)}`` from mutmut's result lines."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for line in text.splitlines():
        match = _LINE.match(line)
        if match:
            module, status = match.groups()
            counts[module.rsplit(".x", 1)[0]][status.strip()] += 1
    return dict(counts)


def render(counts: dict[str, Counter], *, tool: str, date: str) -> str:
    """A Markdown table: module, killed, survived, other, score."""
    lines = [f"# Mutation testing ({tool}, {date})", "",
             "| module | killed | survived | other | score |", "| --- | ---: | ---: | ---: | ---: |"]
    for module in sorted(counts):
        c = counts[module]
        killed, survived = c.get("killed", 0), c.get("survived", 0)
        other = sum(c.values()) - killed - survived
        score = f"{killed / (killed + survived):.0%}" if killed + survived else "–"
        lines.append(f"| {module} | {killed} | {survived} | {other} | {score} |")
    return "\n".join(lines) + "\n"


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
