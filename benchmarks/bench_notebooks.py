"""Benchmark: time to run each narrative notebook in a fresh kernel, against the floor.

The floor is a fresh kernel that only imports what the notebooks import
(``from trotsky1940 import charts, data, display, timeline``): kernel start-up plus imports, which no notebook can beat.
Goals (issue "narrative notebooks"): each notebook <= 1.5 x the floor, and all five <= 15 s in total on 2 cores.

Run: .venv/bin/python benchmarks/bench_notebooks.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

import nbformat

from trotsky1940.authoring.execute import run_notebook

ROOT = Path(__file__).resolve().parents[1]
GOAL_RATIO = 1.5
GOAL_TOTAL_S = 15.0


def floor_notebook(folder: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("from trotsky1940 import charts, data, display, timeline")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "floor.ipynb"
    nbformat.write(nb, path)
    return path


def median_seconds(path: Path, runs: int) -> float:
    return statistics.median(run_notebook(path)[1] for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("JUPYTER_PREFER_ENV_PATH", "1")
    with tempfile.TemporaryDirectory() as tmp:
        floor = median_seconds(floor_notebook(Path(tmp)), args.runs)
    print(f"floor (fresh kernel + imports)   {floor:6.2f} s   median of {args.runs}")
    total = 0.0
    worst = 0.0
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        seconds = median_seconds(path, args.runs)
        total += seconds
        ratio = seconds / floor
        worst = max(worst, ratio)
        verdict = "met" if ratio <= GOAL_RATIO else "NOT met"
        print(f"{path.name:32} {seconds:6.2f} s   {ratio:4.2f} x floor   goal <= {GOAL_RATIO} x: {verdict}")
    print(f"{'all notebooks':32} {total:6.2f} s   goal <= {GOAL_TOTAL_S:.0f} s: "
          f"{'met' if total <= GOAL_TOTAL_S else 'NOT met'}; worst ratio {worst:.2f} x")


if __name__ == "__main__":
    main()
