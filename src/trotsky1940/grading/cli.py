"""Grade a class: ``python -m trotsky1940 grade REFERENCE SUBMISSION… --out DIR``.

REFERENCE is the teacher's reference notebook (e.g. ``exercises/reference/01-background.ipynb``); each
SUBMISSION is a notebook file or a folder of them. Writes ``DIR/gradebook.csv`` (one row per file found:
submission, status, points per question, total, max), ``DIR/feedback/<submission>-<hash>.md``,
``DIR/sandbox.json`` (the protections that were active) and ``DIR/run.json``. Results already in DIR are
moved to ``DIR/previous/<date and time>/`` first.

While it runs it shows done / total, the file in hand, the time used and left, and each file that could not
be graded: a live bar on a terminal, one line per file otherwise (a log, CI); --quiet shows nothing.

"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from . import core, intake, progress, report

HELP = "grade submitted exercise notebooks against the teacher's reference notebook"
EPILOG = """Examples:
  grade a folder of notebooks:
    python -m trotsky1940 grade exercises/reference/01-background.ipynb submissions/ --out results/01
  grade a few files, one at a time, with more time per cell:
    python -m trotsky1940 grade exercises/reference/02-the-two-attempts.ipynb a.ipynb b.ipynb \\
        --out results/02 --workers 1 --cell-timeout 60
  grade in a script or cron job, with no output but the exit code:
    python -m trotsky1940 grade exercises/reference/03-the-attack.ipynb class-9c/ --out results/03 --quiet

Exit codes: 0 every file was graded; 1 some could not be (their status says why); 2 grading could not start
(no sandbox here, the reference fails its own checks, --out overlaps the submissions): no grades are written.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("reference", help="the teacher's reference notebook")
    parser.add_argument("submissions", nargs="+", help="submitted notebooks, or folders of them")
    parser.add_argument("--out", required=True, help="folder for gradebook.csv and feedback/ (outside the submissions)")
    parser.add_argument("--workers", type=int, default=2, help="submissions graded at once (default 2)")
    parser.add_argument("--cell-timeout", type=int, default=20, help="seconds allowed per cell (default 20)")
    parser.add_argument("--timeout", type=int, default=180, help="seconds allowed per submission (default 180)")
    parser.add_argument("--max-size", type=float, default=intake.DEFAULT_MAX_BYTES / 1e6,
                        help="largest notebook read, in MB (default 20)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run student code without isolation (only for code you trust)")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors (the exit code tells)")


def say(text: str, stream=None, quiet: bool = False) -> None:
    if not quiet:
        print(report.clean_text(text), file=stream or sys.stdout, flush=True)


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    out = Path(args.out)
    problem = report.check_out_folder(out, [Path(s) for s in args.submissions])
    if problem:
        say(f"grade: {problem}", sys.stderr)
        return 2
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        say(f"grade: cannot write the results into --out {out}: {exc.strerror}; choose a folder you can write to",
            sys.stderr)
        return 2
    settings = core.Settings(cell_timeout=args.cell_timeout, submission_timeout=args.timeout,
                             workers=max(1, args.workers), use_sandbox=not args.no_sandbox,
                             max_bytes=int(args.max_size * 1e6))
    try:
        grader = core.Grader(args.reference, settings)
    except core.GradingError as exc:
        say(f"grade: {exc}", sys.stderr)
        return 2
    try:
        quiet = args.quiet
        say(f"grading against {args.reference}: {len(grader.auto)} auto-graded questions, "
            f"{grader.max_points} points; protections active:", quiet=quiet)
        for line in grader.caps.summary():
            say(f"  {line}", quiet=quiet)
        items = intake.collect(args.submissions)
        if not items:
            say("grade: no submissions found (give notebook files, or folders that hold them)", sys.stderr)
            return 2
        say(f"{len(items)} files found; the reference is checked alongside the first of them", quiet=quiet)
        reference = grader.start_reference_check()  # runs alongside the first submissions
        shown = progress.Progress(len(items), quiet=quiet)
        try:
            results = grader.grade(items, on_start=shown.start, on_done=shown.finish)
        finally:
            shown.close()
        try:
            grader.reference_verdict(reference)
        except core.GradingError as exc:
            say(f"grade: {exc}", sys.stderr)
            return 2
        gradebook = report.write_results(grader, results, out)
    finally:
        grader.close()
    graded = sum(r.graded for r in results)
    say(f"{graded} of {len(results)} submissions graded in {time.monotonic() - started:.1f} s; "
        f"gradebook: {gradebook}", quiet=args.quiet)
    for r in results:
        if not r.graded:
            say(f"  not graded: {r.submission}: {r.status}", quiet=args.quiet)
    return 0 if graded == len(results) else 1
