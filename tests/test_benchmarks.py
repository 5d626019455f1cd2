"""Running the suite in parallel: benchmarks/bench_suite.py's report of how the pytest-xdist workers were kept busy
(read from suite_cpu.py's per-worker files), and the xdist groups of tests/conftest.py, which that report showed
split over both workers."""

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


def test_xdist_keeps_each_one_worker_group_whole():
    """pytest-xdist's --dist loadgroup reads the group from the node id: it must find ours, for parametrized
    tests and for fixtures with parameters too (a group name ending in "]" was once read as no group at all)."""
    from xdist.scheduler import LoadGroupScheduling

    from .helpers import group_name

    for group in (group_name("tests.conftest.make_lab", []), group_name("tests.x.who", ["who=root"]), "sandbox"):
        for test in ("tests/test_x.py::test_a", "tests/test_x.py::test_b[user-01a.ipynb]"):
            assert LoadGroupScheduling._split_scope(None, f"{test}@{group}") == group, (test, group)
