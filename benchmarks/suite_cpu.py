"""A pytest plugin for benchmarks/bench_suite.py: the wall and CPU time of each test, written as JSON at the end.

CPU time is read from the cgroup that bench_suite.py made for the phase (``$T40_BENCH_CGROUP``) plus the grading
sandboxes' cgroups (``trotsky1940/``), before and after each test; without a cgroup it records wall time only.
Loaded only by bench_suite.py (``-p suite_cpu``, with this folder on ``PYTHONPATH``); output: ``$T40_BENCH_TESTS``
(one process) or ``tests-<worker>.json`` beside it (pytest-xdist: each test's start and end, worker and group).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

_ROWS: list[dict] = []
_GROUP = os.environ.get("T40_BENCH_CGROUP", "")
_FILES = [Path(_GROUP) / "cpuacct.usage", Path("/sys/fs/cgroup/cpuacct/trotsky1940/cpuacct.usage")] if _GROUP else []


def _cpu_s() -> float:
    total = 0
    for path in _FILES:
        try:
            total += int(path.read_text())
        except (OSError, ValueError):
            pass
    return total / 1e9


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    start, wall, cpu = time.time(), time.monotonic(), _cpu_s()
    yield
    group = item.get_closest_marker("xdist_group")
    _ROWS.append({"id": item.nodeid, "wall": time.monotonic() - wall, "cpu": _cpu_s() - cpu, "start": start,
                  "end": time.time(), "worker": os.environ.get("PYTEST_XDIST_WORKER", ""),
                  "group": str(group.args[0]) if group and group.args else ""})


def pytest_sessionfinish(session):
    """One process: ``$T40_BENCH_TESTS``. Under pytest-xdist each worker writes ``tests-<worker>.json`` next to
    it (their CPU figures overlap and are not used; their times show how the workers were kept busy)."""
    out = os.environ.get("T40_BENCH_TESTS")
    if not out or not _ROWS:
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    target = Path(out).with_name(f"tests-{worker}.json") if worker else Path(out)
    target.write_text(json.dumps(_ROWS), encoding="utf-8")
