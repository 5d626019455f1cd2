"""Benchmark: how long `make test` takes, phase by phase, in wall time and in CPU time, against the goal.

Runs the phases of `make test` as the Makefile runs them (``make lint``, then ``make unit WORKERS=N``, whose
tests/test_nbval.py runs ``make notebooks`` and ``make exercises`` beside the other tests; ``--phases`` can name
those two on their own) one after another and prints, for each, the wall time and the CPU time of everything it
started. CPU time is read from a cgroup v1 ``cpuacct`` group made for the phase when this runs as root on a
machine that has one (as CI does): it counts every process, also those that outlive their parent; the grading
sandboxes move their kernels into cgroups of their own (under ``trotsky1940/``), whose CPU time is read from there
and shown apart ("sandboxes"). Elsewhere it falls back to the CPU time of waited-for children (``getrusage``),
which misses servers and browsers stopped by a signal: the figure is then a lower bound, and says so.

With ``--workers 0`` (one process) it also prints the CPU time of each test module
(``--top``), from a small pytest plugin in this folder (``suite_cpu.py``) that reads the phase's cgroup before and
after each test; under several workers those figures overlap and are not shown: it prints instead how each worker
was kept busy (its time in tests, when its last test ended, its longest xdist groups and when they ran).

The goal (issue 15): `make test` within 4 minutes (240 s) on 2 cores after install. On 2 cores a phase can be no
shorter than its CPU time / 2, whatever the number of workers: the "floor" column.

Run: .venv/bin/python benchmarks/bench_suite.py [--workers 2] [--phases lint unit] [--top 15]
Prints the machine's load before and after: figures are only comparable on an otherwise quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_S = 240.0
CORES = os.cpu_count() or 1
CPUACCT = Path("/sys/fs/cgroup/cpuacct")
SANDBOXES = CPUACCT / "trotsky1940" / "cpuacct.usage"


def _read_ns(path: Path) -> int:
    try:
        return int(path.read_text())
    except (OSError, ValueError):
        return 0


class Meter:
    """CPU time of one phase: a cgroup of its own where possible, else the waited-for children."""

    def __init__(self, name: str):
        self.group = None
        if os.geteuid() == 0 and (CPUACCT / "cgroup.procs").is_file():
            group = CPUACCT / f"t40-bench-{name}-{secrets.token_hex(3)}"
            try:
                group.mkdir()
                self.group = group
            except OSError:
                self.group = None
        self.exact = self.group is not None

    def command(self, argv: list[str]) -> list[str]:
        if self.group is None:
            return argv
        # the phase's shell joins the group first, so that everything it starts is counted
        return ["sh", "-c", f'echo $$ > "{self.group}/cgroup.procs" && exec "$@"', "sh", *argv]

    def env(self) -> dict[str, str]:
        return {"T40_BENCH_CGROUP": str(self.group)} if self.group else {}

    def seconds(self) -> float:
        if self.group is not None:
            return _read_ns(self.group / "cpuacct.usage") / 1e9
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def close(self) -> None:
        if self.group is not None:
            try:
                self.group.rmdir()
            except OSError:
                pass


def run_phase(name: str, argv: list[str], env: dict[str, str]) -> dict:
    meter = Meter(name)
    before_children = 0.0 if meter.exact else meter.seconds()
    before_sandboxes = _read_ns(SANDBOXES)
    start = time.monotonic()
    result = subprocess.run(meter.command(argv), cwd=ROOT, env={**env, **meter.env()})
    wall = time.monotonic() - start
    cpu = meter.seconds() - before_children
    sandboxes = (_read_ns(SANDBOXES) - before_sandboxes) / 1e9
    meter.close()
    return {"phase": name, "exit": result.returncode, "wall_s": wall, "cpu_s": cpu, "sandboxes_s": sandboxes,
            "exact": meter.exact}


def print_packing(per_worker: list[list[dict]]) -> None:
    """How the pytest-xdist workers were kept busy: per worker its tests' wall time, when it ran its last test,
    and its longest groups. A worker that ends well before the other shows time lost to packing."""
    start = min(t["start"] for rows in per_worker for t in rows)
    end = max(t["end"] for rows in per_worker for t in rows)
    print(f"\nworkers (times from the first test's start; the last test ended at {end - start:.0f} s):")
    for rows in per_worker:
        groups: dict[str, list[float]] = {}
        for t in rows:
            span = groups.setdefault(t["group"] or "(no group)", [0.0, t["start"], t["end"]])
            span[0] += t["wall"]
            span[1], span[2] = min(span[1], t["start"]), max(span[2], t["end"])
        busy = sum(t["wall"] for t in rows)
        last = max(t["end"] for t in rows)
        print(f"  {rows[0]['worker'] or 'main'}: {len(rows)} tests, {busy:.0f} s in tests, last ended at "
              f"{last - start:.0f} s (idle {end - last:.0f} s at the end)")
        for name, (wall, first, final) in sorted(groups.items(), key=lambda kv: -kv[1][0])[:6]:
            print(f"    {wall:6.0f} s  {first - start:5.0f}-{final - start:<5.0f} {name[:90]}")


SPEED_LOOP = ("import time\nt = time.process_time()\nx = 0\nfor i in range(20_000_000):\n    x += i\n"
              "print(time.process_time() - t)")


def speed() -> str:
    """CPU seconds a fixed loop of pure Python takes in a fresh interpreter, printed before and after the phases:
    on a shared machine the same suite's CPU time changes by a third from one hour to the next, and this tells a
    machine that was slower at the time from a slower suite (compare it between runs on the same machine)."""
    try:
        out = subprocess.run([sys.executable, "-c", SPEED_LOOP], capture_output=True, text=True, timeout=120)
        return f"{float(out.stdout):.2f} s"
    except (OSError, ValueError, subprocess.SubprocessError):
        return "?"


def load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2, help="make unit WORKERS=N (default 2, as make test on 2 "
                                                                   "cores; 0: one process, with CPU time per module)")
    parser.add_argument("--phases", nargs="+", default=["lint", "unit"],
                        choices=["lint", "notebooks", "exercises", "unit"])
    parser.add_argument("--top", type=int, default=15, help="test modules to list by CPU time (--workers 0 only)")
    args = parser.parse_args(argv)

    print(f"bench_suite: {CORES} cores, load {load()}, a fixed Python loop {speed()}, make unit WORKERS={args.workers}")
    per_test = Path(tempfile.mkdtemp(prefix="t40-bench-")) / "tests.json"
    rows = []
    for phase in args.phases:
        env = dict(os.environ)
        command = ["make", "--no-print-directory", phase]
        if phase == "unit":
            command.append(f"WORKERS={args.workers}")
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "benchmarks"), env.get("PYTHONPATH")]))
            env["PYTEST_ADDOPTS"] = f"{env.get('PYTEST_ADDOPTS', '')} -p suite_cpu".strip()
            env["T40_BENCH_TESTS"] = str(per_test)
        row = run_phase(phase, command, env)
        rows.append(row)
        print(f"  {phase}: exit {row['exit']}, {row['wall_s']:.0f} s", flush=True)

    print()
    print(f"{'phase':<10} {'wall s':>8} {'CPU s':>8} {'of which sandboxes':>19} {'floor s':>8}")
    for row in rows:
        total = row["cpu_s"] + row["sandboxes_s"]
        print(f"{row['phase']:<10} {row['wall_s']:8.0f} {total:8.0f} {row['sandboxes_s']:19.0f} "
              f"{total / CORES:8.0f}" + ("" if row["exact"] else "   (CPU: a lower bound, no cgroup)"))
    wall = sum(r["wall_s"] for r in rows)
    cpu = sum(r["cpu_s"] + r["sandboxes_s"] for r in rows)
    print(f"{'total':<10} {wall:8.0f} {cpu:8.0f} {'':>19} {cpu / CORES:8.0f}")
    print(f"\ngoal: {GOAL_S:.0f} s on 2 cores; wall / goal = {wall / GOAL_S:.2f}; CPU floor on {CORES} cores / goal = "
          f"{cpu / CORES / GOAL_S:.2f} (under 1 is needed, whatever the workers)")

    if per_test.exists():
        tests = json.loads(per_test.read_text())
        modules: dict[str, list[float]] = {}
        for test in tests:
            entry = modules.setdefault(test["id"].split("::")[0], [0.0, 0.0, 0])
            entry[0] += test["wall"]
            entry[1] += test["cpu"]
            entry[2] += 1
        print("\ntest modules by CPU time (one process; a session fixture counts where it is first made):")
        print(f"{'CPU s':>7} {'wall s':>7} {'tests':>6}  module")
        for name, (w, c, n) in sorted(modules.items(), key=lambda kv: -kv[1][1])[:args.top]:
            print(f"{c:7.1f} {w:7.1f} {n:6d}  {name}")
    workers = sorted(per_test.parent.glob("tests-*.json"))
    if workers:
        print_packing([json.loads(p.read_text()) for p in workers])
    print(f"\nload after: {load()}; the fixed Python loop: {speed()}")
    return max(r["exit"] for r in rows)


if __name__ == "__main__":
    sys.exit(main())
