"""Benchmark: grade a class in the sandbox, against the floor, and (where installed) against nbgrader.

Makes 30 and 100 submissions of Exercises 1 (exercises/reference/01-background.ipynb) in a realistic mix, a
quarter each: all right, half right (the first three questions wrong), handed in blank, all wrong; grades
each set with the full sandbox, with 1 and with 2 workers (``python -m trotsky1940 grade``, as a teacher runs
it, reference check included), and prints per submission the wall time and the CPU time of the whole run: the
grader's process tree, every kernel sandbox (read from its cgroup, so as root; kernels started ahead and never
needed included) and the nbval workers (as they report it), and the whole machine's busy time meanwhile.

The floor, measured in the same run: the cells that grading runs (the reference without its chart cell, which
the grader skips because nbval compares nothing of it) executed in one warm kernel, five times after a first
run that pays the imports; also shown with the chart cell, as the whole reference. "x floor" is the cost per
submission divided by the floor's. The machine's load (``uptime``) is printed before and after: the figures
are only comparable on an otherwise quiet machine.

nbgrader (optional, never in the test suite): where a Python with nbgrader is given (``--nbgrader PYTHON``) or
found at /tmp/nbg/bin/python, the same submissions are also graded as an nbgrader assignment with the same six
questions as autograded answer cells and assert tests (same points), by ``nbgrader autograde``, and the ratio
is printed. To install it in a scratch environment::

    python -m venv /tmp/nbg && /tmp/nbg/bin/pip install nbgrader anywidget ipywidgets matplotlib numpy pillow
    /tmp/nbg/bin/pip install --no-deps -e .

Run: .venv/bin/python benchmarks/bench_grading.py [--counts 30 100] [--workers 1 2] [--nbgrader PYTHON]
Goals (issue 16): 100 submissions in <= 60 s on 2 cores; CPU per submission <= 2x the floor; >= 4x faster
than nbgrader's autograde on the same set.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from trotsky1940.authoring.build_exercises import build_student, questions
from trotsky1940.grading import core

ROOT = Path(__file__).resolve().parents[1]
NAME = "01-background"
REFERENCE = ROOT / "exercises" / "reference" / f"{NAME}.ipynb"
KINDS = ("all right", "half right", "blank", "all wrong")
GOAL_100_S = 60.0
GOAL_FLOOR = 2.0
GOAL_NBGRADER = 4.0


# -- the class ------------------------------------------------------------------------------------------
def answer_sources(kind: str) -> dict[str, str]:
    """{question: answer cell source} for one kind of submission ({} for a blank one)."""
    ref = nbformat.read(REFERENCE, as_version=4)
    qs = questions(ref, NAME)
    auto = [qid for qid, q in qs.items() if q["kind"] == "auto"]
    sources = {qid: ref.cells[q["answer_cell"]].source for qid, q in qs.items()}
    if kind == "blank":
        return {}
    wrong = auto if kind == "all wrong" else auto[:3] if kind == "half right" else []
    for qid in wrong:
        sources[qid] = f'answer_{qid} = "no idea"'
    return sources


def make_submissions(folder: Path, count: int) -> list[str]:
    ref = nbformat.read(REFERENCE, as_version=4)
    qs = questions(ref, NAME)
    kinds = []
    for i in range(count):
        kind = KINDS[i % len(KINDS)]
        nb = build_student(ref, NAME)
        for qid, source in answer_sources(kind).items():
            nb.cells[qs[qid]["answer_cell"]].source = source
        nbformat.write(nb, folder / f"student-{i:03d}.ipynb")
        kinds.append(kind)
    return kinds


# -- measuring ------------------------------------------------------------------------------------------
def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy since boot (all users: shows contention)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def uptime() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def timed(command: list[str], **kwargs) -> tuple[subprocess.CompletedProcess, float, float, float]:
    cpu, busy, start = children_cpu(), machine_busy(), time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    return result, time.perf_counter() - start, children_cpu() - cpu, machine_busy() - busy


def grade_once(folder: Path, out: Path, workers: int, extra: list[str], env: dict) -> dict:
    command = [sys.executable, "-m", "trotsky1940", "grade", str(REFERENCE), str(folder), "--out", str(out),
               "--workers", str(workers), "--quiet", *extra]
    result, wall, cpu, busy = timed(command, env=env)
    if result.returncode not in (0, 1) or not (out / "gradebook.csv").exists():
        raise SystemExit(f"grading failed (exit {result.returncode}):\n{result.stderr[-3000:]}")
    with (out / "gradebook.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    totals = run.get("cpu")
    if totals:  # every kernel (also those started ahead and never needed) and the nbval workers as a whole
        kernel, nbval = totals["kernels_s"], totals["nbval_workers_s"]
    else:  # an earlier grader: the submissions' kernels and nbval jobs
        kernel = sum(s.get("kernel_cpu_s", 0.0) for s in run["submissions"])
        nbval = sum(s.get("nbval_cpu_s", 0.0) for s in run["submissions"])
    # the grader's own process tree (what this process's children used) does not include the sandboxes:
    # their processes end in PID namespaces whose time reaches no waiting parent; the kernels' cgroups and the
    # nbval workers count them
    return {"wall": wall, "cpu": cpu + kernel + nbval, "grader_cpu": cpu, "busy": busy,
            "graded": sum(r["status"].startswith("graded") for r in rows), "rows": rows, "kernel_cpu": kernel,
            "nbval_cpu": nbval}


def floor(repeats: int = 5) -> dict:
    """The graded cells (and the whole reference) run in one warm kernel: a first run, then ``repeats`` more."""
    from jupyter_client.manager import start_new_kernel

    template = core.skip_unscored(nbformat.read(REFERENCE, as_version=4))
    graded = [c.source for c in template.cells if c.cell_type == "code" and "nbval-skip" not in c.metadata.get(
        "tags", [])]
    whole = [c.source for c in template.cells if c.cell_type == "code"]
    home = tempfile.mkdtemp(prefix="t40-floor-")
    env = {**os.environ, "MPLBACKEND": "Agg", "HOME": home, "MPLCONFIGDIR": f"{home}/mpl",
           "OPENBLAS_NUM_THREADS": "1", "TROTSKY1940_NO_KEYS": "1"}
    started = time.perf_counter()
    km, kc = start_new_kernel(kernel_name="python3", env=env)
    start_s = time.perf_counter() - started
    pid = km.provisioner.process.pid

    def kernel_cpu() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def run(cells) -> tuple[float, float]:
        cpu, start = kernel_cpu(), time.perf_counter()
        for source in cells:
            reply = kc.execute_interactive(source, output_hook=lambda msg: None, timeout=120)
            if reply["content"]["status"] != "ok":
                raise SystemExit(f"the reference failed in the floor kernel: {reply['content']}")
        return time.perf_counter() - start, kernel_cpu() - cpu

    try:
        first = run(graded)
        warm = [run(graded) for _ in range(repeats)]
        run(whole)
        chart = [run(whole) for _ in range(repeats)]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        shutil.rmtree(home, ignore_errors=True)
    return {"start_s": start_s, "first_wall": first[0], "first_cpu": first[1],
            "wall": statistics.median(w for w, _ in warm), "cpu": statistics.median(c for _, c in warm),
            "chart_wall": statistics.median(w for w, _ in chart), "chart_cpu": statistics.median(c for _, c in chart)}


# -- nbgrader -------------------------------------------------------------------------------------------
def nbgrader_assignment(course: Path) -> None:
    """source/ps1/ps1.ipynb: the six questions as autograded answer cells with assert tests, same points."""
    ref = nbformat.read(REFERENCE, as_version=4)
    qs = questions(ref, NAME)
    setup = next(c.source for c in ref.cells if "setup" in c.metadata.get("tags", []))
    cells = [nbformat.v4.new_code_cell(setup.replace('ex = exercises.start("01-background")', ""),
                                       metadata={"nbgrader": {"grade": False, "locked": True, "solution": False,
                                                              "grade_id": "setup", "schema_version": 3}})]
    for qid, q in qs.items():
        if q["kind"] != "auto":
            continue
        model = ref.cells[q["answer_cell"]].source
        cells.append(nbformat.v4.new_code_cell(
            f"### BEGIN SOLUTION\n{model}\n### END SOLUTION",
            metadata={"nbgrader": {"grade": False, "locked": False, "solution": True, "grade_id": f"{qid}-answer",
                                   "schema_version": 3}}))
        test = (f"_expected = {{'ev': ev}}\nexec({model!r}, _expected)\n"
                f"assert answer_{qid} == _expected['answer_{qid}'], 'not right'")
        cells.append(nbformat.v4.new_code_cell(
            test, metadata={"nbgrader": {"grade": True, "locked": True, "solution": False, "points": q["points"],
                                         "grade_id": f"{qid}-test", "schema_version": 3}}))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (course / "source" / "ps1").mkdir(parents=True)
    nbformat.write(nb, course / "source" / "ps1" / "ps1.ipynb")
    (course / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.course_id = 'bench'\nc.CourseDirectory.root = {str(course)!r}\n"
        f"c.Exchange.root = {str(course / 'exchange')!r}\n")


def nbgrader_run(python: str, kinds: list[str], place: Path) -> dict:
    course = place / "course"
    nbgrader_assignment(course)
    env = {**os.environ, "MPLBACKEND": "Agg", "HOME": str(place), "TROTSKY1940_NO_KEYS": "1",
           "PATH": f"{Path(python).parent}:{os.environ.get('PATH', '')}"}
    env.pop("VIRTUAL_ENV", None)
    nbg = [python, "-m", "nbgrader"]
    for step in (["db", "assignment", "add", "ps1"], ["generate_assignment", "ps1", "--force"]):
        result = subprocess.run([*nbg, *step], cwd=course, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"nbgrader {' '.join(step)} failed:\n{result.stderr[-2000:]}")
    release = nbformat.read(course / "release" / "ps1" / "ps1.ipynb", as_version=4)
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): i for i, c in enumerate(release.cells)}
    for i, kind in enumerate(kinds):
        nb = nbformat.read(course / "release" / "ps1" / "ps1.ipynb", as_version=4)
        for qid, source in answer_sources(kind).items():
            if f"{qid}-answer" in by_id:
                nb.cells[by_id[f"{qid}-answer"]].source = source
        folder = course / "submitted" / f"student{i:03d}" / "ps1"
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / "ps1.ipynb")
        subprocess.run([*nbg, "db", "student", "add", f"student{i:03d}"], cwd=course, env=env, capture_output=True)
    result, wall, cpu, busy = timed([*nbg, "autograde", "ps1", "--force"], cwd=course, env=env)
    if result.returncode != 0:
        raise SystemExit(f"nbgrader autograde failed:\n{result.stderr[-3000:]}")
    return {"wall": wall, "cpu": cpu, "busy": busy}


# -- the report -----------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--counts", type=int, nargs="+", default=[30, 100])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--grade-args", default="", help="more arguments for grade, e.g. '--warm 0'")
    parser.add_argument("--pythonpath", default="", help="grade with the package found here instead (a "
                                                         "checkout's src/, to compare versions)")
    parser.add_argument("--nbgrader", default="", help="a Python that has nbgrader (default: /tmp/nbg/bin/python "
                                                       "when it exists); 'no' to skip")
    parser.add_argument("--nbgrader-counts", type=int, nargs="+", default=None,
                        help="the counts nbgrader grades (default: the same as --counts)")
    args = parser.parse_args()
    env = dict(os.environ)
    if args.pythonpath:
        env["PYTHONPATH"] = args.pythonpath
    nbgrader = args.nbgrader or ("/tmp/nbg/bin/python" if Path("/tmp/nbg/bin/python").exists() else "")
    if nbgrader == "no":
        nbgrader = ""
    print(f"load average before: {uptime()}; {os.cpu_count()} cores")
    measured = floor()
    print(f"floor (one warm kernel, median of 5 runs after a first): graded cells {measured['wall']:.3f} s wall, "
          f"{measured['cpu']:.3f} s CPU (first run {measured['first_wall']:.2f} s); whole reference with its "
          f"chart {measured['chart_wall']:.3f} s wall, {measured['chart_cpu']:.3f} s CPU; kernel start "
          f"{measured['start_s']:.2f} s")
    table = []
    nb_results: dict[int, dict] = {}
    with tempfile.TemporaryDirectory(prefix="t40-bench-") as tmp:
        place = Path(tmp)
        for count in args.counts:
            folder = place / f"class-{count}"
            folder.mkdir()
            kinds = make_submissions(folder, count)
            for workers in args.workers:
                out = place / f"out-{count}-{workers}"
                result = grade_once(folder, out, workers, args.grade_args.split(), env)
                expected = sum(k != "blank" for k in kinds)
                if result["graded"] != expected:
                    raise SystemExit(f"{result['graded']} graded, {expected} expected")
                table.append((count, workers, result))
                print(f"  {count} files, {workers} worker{'s' if workers > 1 else ''}: {result['wall']:.1f} s "
                      f"(load {uptime()})", flush=True)
            if nbgrader and count in (args.nbgrader_counts or args.counts):
                nb_place = place / f"nbgrader-{count}"
                nb_place.mkdir()
                nb_results[count] = nbgrader_run(nbgrader, kinds, nb_place)
                print(f"  {count} files, nbgrader autograde: {nb_results[count]['wall']:.1f} s (load {uptime()})",
                      flush=True)
    print()
    header = (f"{'files':>5} {'workers':>7} {'wall s':>7} {'wall/file':>9} {'CPU s':>7} {'CPU/file':>8} "
              f"{'CPU/graded':>10} {'x floor':>7} {'busy/file':>9}  CPU/file: grader + kernels + nbval")
    print(header)
    for count, workers, r in table:
        graded = max(1, r["graded"])
        print(f"{count:>5} {workers:>7} {r['wall']:>7.1f} {r['wall'] / count:>9.3f} {r['cpu']:>7.1f} "
              f"{r['cpu'] / count:>8.3f} {r['cpu'] / graded:>10.3f} {r['cpu'] / count / measured['cpu']:>7.1f} "
              f"{r['busy'] / count:>9.3f}  {r['grader_cpu'] / count:.3f} + {r['kernel_cpu'] / count:.3f} + "
              f"{r['nbval_cpu'] / count:.3f}")
    for count, r in nb_results.items():
        print(f"{count:>5} {'nbgrader':>7} {r['wall']:>7.1f} {r['wall'] / count:>9.3f} {r['cpu']:>7.1f} "
              f"{r['cpu'] / count:>8.3f} {'':>10} {r['cpu'] / count / measured['cpu']:>7.1f} "
              f"{r['busy'] / count:>9.3f}")
    print(f"\nCPU: the grader's process tree, every kernel sandbox (its cgroup; as root) and the nbval workers; "
          f"busy: the whole machine (all users) meanwhile. Floor: {measured['cpu']:.3f} s CPU, "
          f"{measured['wall']:.3f} s wall per run of the graded cells.")
    print(f"load average after: {uptime()}")
    goals = []
    for count, workers, r in table:
        if count == 100 and workers == 2:
            goals.append(f"100 submissions on 2 workers in {r['wall']:.1f} s: goal <= {GOAL_100_S:.0f} s "
                         f"{'met' if r['wall'] <= GOAL_100_S else 'NOT met'}")
        if workers == max(args.workers):
            ratio = r["cpu"] / count / measured["cpu"]
            goals.append(f"{count} files, {workers} workers: CPU per submission {ratio:.1f}x the floor: goal <= "
                         f"{GOAL_FLOOR:.0f}x {'met' if ratio <= GOAL_FLOOR else 'NOT met'}")
            if count in nb_results:
                speed = nb_results[count]["wall"] / r["wall"]
                goals.append(f"{count} files, {workers} workers: {speed:.1f}x faster than nbgrader autograde: goal "
                             f">= {GOAL_NBGRADER:.0f}x {'met' if speed >= GOAL_NBGRADER else 'NOT met'}")
    if not nb_results:
        goals.append("nbgrader: not measured (no Python with nbgrader; see the docstring)")
    for line in goals:
        print(line)


if __name__ == "__main__":
    main()
