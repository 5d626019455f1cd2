"""Grade a class: ``python -m trotsky1940 grade REFERENCE SUBMISSION… --out DIR``.

REFERENCE is the teacher's reference notebook (e.g. ``exercises/reference/01-background.ipynb``);
each SUBMISSION is a notebook file or a folder of them. Writes ``DIR/gradebook.csv`` (one row per file:
submission, status, points per question, total, max) and ``DIR/feedback/<submission>.md``.

Exit code: 0 when every file was graded; 1 when some could not be (their status says why); 2 when grading
could not start (for example, the reference notebook fails its own checks): then no grades are written.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import grading

HELP = "grade submitted exercise notebooks against the teacher's reference notebook"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("reference", help="the teacher's reference notebook")
    parser.add_argument("submissions", nargs="+", help="submitted notebooks, or folders of them")
    parser.add_argument("--out", required=True, help="folder for gradebook.csv and feedback/")
    parser.add_argument("--workers", type=int, default=2, help="submissions graded at once (default 2)")
    parser.add_argument("--cell-timeout", type=int, default=20, help="seconds allowed per cell (default 20)")
    parser.add_argument("--timeout", type=int, default=180, help="seconds allowed per submission (default 180)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run student code without isolation (only for code you trust)")


def run(args: argparse.Namespace) -> int:
    settings = grading.Settings(cell_timeout=args.cell_timeout, submission_timeout=args.timeout,
                                workers=args.workers, use_sandbox=not args.no_sandbox)
    started = time.monotonic()
    try:
        grader = grading.Grader(args.reference, settings)
    except grading.GradingError as exc:
        print(f"grade: {exc}", file=sys.stderr)
        return 2
    try:
        print(f"grading against {args.reference}: {len(grader.auto)} auto-graded questions, "
              f"{grader.max_points} points; sandbox:")
        for line in grader.caps.summary():
            print(f"  {line}")
        submissions = grading.collect_submissions(args.submissions)
        if not submissions:
            print("grade: no submissions found", file=sys.stderr)
            return 2
        try:
            grader.check_reference()
        except grading.GradingError as exc:
            print(f"grade: {exc}", file=sys.stderr)
            return 2
        results = grader.grade(submissions)
        gradebook = grading.write_outputs(grader, results, Path(args.out))
    finally:
        grader.close()
    graded = sum(r.graded for r in results)
    print(f"{graded} of {len(results)} submissions graded in {time.monotonic() - started:.1f} s; "
          f"gradebook: {gradebook}")
    for r in results:
        if not r.graded:
            print(f"  not graded: {r.submission}: {r.status}")
    return 0 if graded == len(results) else 1
