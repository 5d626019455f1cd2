"""benchmarks/bench_suite.py: the report of how pytest-xdist workers were kept busy (read from suite_cpu.py's
per-worker files) says when each worker ended and what ran on it."""

from __future__ import annotations

import importlib.util

from .helpers import ROOT


def bench_suite():
    spec = importlib.util.spec_from_file_location("bench_suite", ROOT / "benchmarks" / "bench_suite.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def row(worker: str, group: str, start: float, end: float) -> dict:
    return {"id": f"tests/test_x.py::t{start}", "wall": end - start, "cpu": 0.0, "start": 1000 + start,
            "end": 1000 + end, "worker": worker, "group": group}


def test_packing_names_each_worker_its_idle_time_and_its_longest_groups(capsys):
    bench_suite().print_packing([
        [row("gw0", "sandbox", 0, 100), row("gw0", "sandbox", 100, 180), row("gw0", "", 180, 190)],
        [row("gw1", "lab", 0, 40), row("gw1", "", 40, 250)],
    ])
    text = capsys.readouterr().out
    assert "the last test ended at 250 s" in text
    assert "gw0: 3 tests, 190 s in tests, last ended at 190 s (idle 60 s at the end)" in text
    assert "gw1: 2 tests, 250 s in tests, last ended at 250 s (idle 0 s at the end)" in text
    lines = text.splitlines()
    gw0 = lines.index(next(line for line in lines if "gw0:" in line))
    assert "180 s" in lines[gw0 + 1] and "0-180" in lines[gw0 + 1] and "sandbox" in lines[gw0 + 1]
    assert "(no group)" in lines[gw0 + 2]
