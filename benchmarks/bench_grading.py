"""Benchmark: grade 30 submissions in the sandbox with 2 workers. Goal: <= 30 s in all on 2 cores.

The 30 notebooks are made from exercises/reference/01-background.ipynb: 10 perfect, 10 with one wrong answer,
10 handed in blank. The time includes checking the reference itself, as a real run does.

Run: .venv/bin/python benchmarks/bench_grading.py [--workers 2] [--count 30]
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from trotsky1940.build_exercises import build_student, questions

ROOT = Path(__file__).resolve().parents[1]
NAME = "01-background"
GOAL_S = 30.0


def make_submissions(folder: Path, count: int) -> None:
    ref = nbformat.read(ROOT / "exercises" / "reference" / f"{NAME}.ipynb", as_version=4)
    qs = questions(ref, NAME)
    first = next(q for q in qs.values() if q["kind"] == "auto")
    for i in range(count):
        nb = build_student(ref, NAME)
        if i % 3 != 2:
            for q in qs.values():
                nb.cells[q["answer_cell"]].source = ref.cells[q["answer_cell"]].source
        if i % 3 == 1:
            nb.cells[first["answer_cell"]].source = "answer_q1 = 0"
        nbformat.write(nb, folder / f"student-{i:02d}.ipynb")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--count", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        folder.mkdir()
        make_submissions(folder, args.count)
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "trotsky1940", "grade",
                                 str(ROOT / "exercises" / "reference" / f"{NAME}.ipynb"), str(folder),
                                 "--out", str(Path(tmp) / "out"), "--workers", str(args.workers)],
                                capture_output=True, text=True)
        seconds = time.perf_counter() - start
        print(result.stdout.strip())
        if result.returncode != 0:
            print(result.stderr, file=sys.stderr)
            raise SystemExit(f"grading failed with exit code {result.returncode}")
        with (Path(tmp) / "out" / "gradebook.csv").open() as handle:
            rows = list(csv.DictReader(handle))
    graded = sum(r["status"] == "graded" for r in rows)
    verdict = "met" if seconds <= GOAL_S else "NOT met"
    print(f"{graded} of {args.count} submissions graded with {args.workers} workers in {seconds:.1f} s "
          f"({seconds / args.count:.2f} s each); goal <= {GOAL_S:.0f} s: {verdict} ({seconds / GOAL_S:.2f} of goal)")


if __name__ == "__main__":
    main()
