"""Benchmark: how long loading and validating data/ takes, cold (parse and check) and cached.

Run: .venv/bin/python benchmarks/bench_data.py
Prints the median of several runs and the ratio cold / cached. Goal: a cold load well under 100 ms, so a
notebook's first cell is instant.
"""

from __future__ import annotations

import statistics
import time

from trotsky1940 import data

GOAL_COLD_MS = 100.0


def measure(runs: int = 15) -> tuple[float, float]:
    cold, cached = [], []
    for _ in range(runs):
        data._load_cached.cache_clear()
        start = time.perf_counter()
        data.load()
        cold.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        data.load()
        cached.append((time.perf_counter() - start) * 1000)
    return statistics.median(cold), statistics.median(cached)


if __name__ == "__main__":
    cold_ms, cached_ms = measure()
    rows = sum(len(getattr(data.load(), name)) for name in data.RECORD_TYPES)
    print(f"rows validated           {rows}")
    print(f"cold load, median        {cold_ms:8.2f} ms   goal <= {GOAL_COLD_MS:.0f} ms   "
          f"{'met' if cold_ms <= GOAL_COLD_MS else 'NOT met'} ({cold_ms / GOAL_COLD_MS:.2f} of goal)")
    print(f"cached load, median      {cached_ms:8.2f} ms   ratio cold/cached {cold_ms / max(cached_ms, 1e-6):.0f}x")
