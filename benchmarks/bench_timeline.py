"""Benchmark: the timeline explorer's response time.

Server side (always): median time from a slider value change to new image bytes (and card) ready, over every
event, for the whole story and for the zoomed hours of 20-21 August 1940. Goal: <= 50 ms median.
Browser (with --browser, needs Chromium): starts a real JupyterLab on a free loopback port, opens
00-start-here in Chromium and measures key press (ArrowRight) to card and image changed. Goal: <= 200 ms median.

Run: .venv/bin/python benchmarks/bench_timeline.py [--browser]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from trotsky1940 import timeline

ROOT = Path(__file__).resolve().parents[1]
GOAL_SERVER_MS = 50.0
GOAL_BROWSER_MS = 200.0


def server_side(phase: str = timeline.ALL, zoom: bool = False, rounds: int = 3) -> tuple[float, float, int]:
    explorer = timeline.TimelineExplorer(phase=phase, zoom=zoom)
    samples = []
    for _ in range(rounds):
        for value in list(range(2, explorer.slider.max + 1)) + [1]:
            before = bytes(explorer.image.value)
            start = time.perf_counter()
            explorer.slider.value = value
            after = bytes(explorer.image.value)
            samples.append((time.perf_counter() - start) * 1000)
            assert after != before
    start = time.perf_counter()
    explorer.phase.value = "attack" if phase != "attack" else "aftermath"
    refilter = (time.perf_counter() - start) * 1000
    return statistics.median(samples), refilter, len(samples)


def browser() -> float | None:
    """Run the browser test once and read the median it records."""
    artifact = ROOT / "test-artifacts" / "timeline-browser-latency.json"
    artifact.unlink(missing_ok=True)
    env = {**os.environ, "CI": os.environ.get("CI", "")}
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    "tests/browser/test_timeline.py"], cwd=ROOT, env=env, check=False)
    if not artifact.exists():
        return None
    import json

    return json.loads(artifact.read_text())["median_ms"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--browser", action="store_true", help="also measure in Chromium (about 15 s)")
    args = parser.parse_args()
    for label, kwargs in (("all events", {}), ("zoom 20-21 Aug", {"phase": "attack", "zoom": True})):
        median, refilter, n = server_side(**kwargs)
        verdict = "met" if median <= GOAL_SERVER_MS else "NOT met"
        print(f"server, {label:16} value change -> new PNG, median {median:6.1f} ms over {n} steps   "
              f"goal <= {GOAL_SERVER_MS:.0f} ms: {verdict} ({median / GOAL_SERVER_MS:.2f} of goal); "
              f"phase change (full redraw) {refilter:.0f} ms")
    if args.browser:
        median = browser()
        if median is None:
            print("browser: not measured (the browser test did not run; is Chromium installed?)")
        else:
            verdict = "met" if median <= GOAL_BROWSER_MS else "NOT met"
            print(f"browser, ArrowRight -> card and image changed, median {median:6.1f} ms   "
                  f"goal <= {GOAL_BROWSER_MS:.0f} ms: {verdict} ({median / GOAL_BROWSER_MS:.2f} of goal)")


if __name__ == "__main__":
    main()
