"""``python -m course_tools.grading assign`` builds every assignment with otter;
``python -m course_tools.grading grade --assignment NAME --submissions DIR`` grades a class."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from collections.abc import Sequence

from .assign import ASSIGNMENTS_DIR, DIST_DIR, TRANSLATIONS, assign_all
from .batch import grade_batch
from .sandbox import Limits, SandboxUnavailable


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_tools.grading", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_assign = sub.add_parser("assign", help="build student notebooks and autograders, English into DIST/<name>/, "
                                             "each translation into DIST/<edition>/<name>/")
    p_assign.add_argument("--source", default=str(ASSIGNMENTS_DIR))
    p_assign.add_argument("--dist", default=str(DIST_DIR))
    p_assign.add_argument("--editions", nargs="+", choices=["en", *TRANSLATIONS], default=["en", *TRANSLATIONS],
                          help="which editions to build (default: all: %(default)s)")
    p_grade = sub.add_parser("grade", help="grade a folder of submissions, each in a sandbox")
    p_grade.add_argument("--assignment", required=True, help="e.g. a1_data_preparation")
    p_grade.add_argument("--submissions", required=True)
    p_grade.add_argument("--output", default=None, help="default: grades/<assignment>")
    p_grade.add_argument("--dist", default=str(DIST_DIR))
    p_grade.add_argument("--workers", type=int, default=2)
    p_grade.add_argument("--timeout", type=float, default=300, help="seconds per submission")
    p_grade.add_argument("--memory", type=int, default=Limits.total_memory_bytes >> 20,
                         help="MiB per submission, all its processes and files in memory together (default: %(default)s)")
    p_grade.add_argument("--new-secret", action="store_true", help="draw new secret challenge inputs")
    p_grade.add_argument("--unsafe", action="store_true",
                         help="no sandbox: for trusted code only (e.g. your own solutions)")
    args = parser.parse_args(argv)

    if args.command == "assign":
        try:
            assign_all(args.source, args.dist, editions=tuple(args.editions), report=lambda line: print(line, flush=True))
        except RuntimeError as exc:
            print(f"error: {str(exc).splitlines()[0]}\n\n{exc}", file=sys.stderr)
            return 1
        return 0
    output = Path(args.output or Path("grades") / args.assignment)
    try:
        sheet = grade_batch(args.submissions, args.assignment, output, workers=args.workers,
                            timeout=args.timeout, unsafe=args.unsafe, new_secret=args.new_secret, dist_dir=args.dist,
                            limits=Limits(wall_seconds=args.timeout, total_memory_bytes=args.memory << 20))
    except SandboxUnavailable as exc:
        print(f"error: refusing to grade untrusted notebooks without a sandbox. {exc}", file=sys.stderr)
        return 2
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(sheet.to_string(index=False))
    print(f"\nGrade sheet: {output / 'grades.csv'}; report: {output / 'report.md'}; feedback: {output / 'feedback'}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
