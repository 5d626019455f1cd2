"""A pytest plugin for benchmarks/bench_suite.py: the wall and CPU time of each test, written as JSON at the end.

CPU time is read from the cgroup that bench_suite.py made for the phase (``$T40_BENCH_CGROUP``) plus the grading
sandboxes' cgroups (``trotsky1940/``), before and after each test; without a cgroup it records wall time only.
Loaded only by bench_suite.py (``-p suite_cpu``, with this folder on ``PYTHONPATH``); output: ``$T40_BENCH_TESTS``.
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
    wall, cpu = time.monotonic(), _cpu_s()
    yield
    _ROWS.append({"id": item.nodeid, "wall": time.monotonic() - wall, "cpu": _cpu_s() - cpu})


def pytest_sessionfinish(session):
    out = os.environ.get("T40_BENCH_TESTS")
    if out and _ROWS and not os.environ.get("PYTEST_XDIST_WORKER"):
        Path(out).write_text(json.dumps(_ROWS), encoding="utf-8")
