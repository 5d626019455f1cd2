"""What a teacher sees while a class is graded: done / total, the file in hand, time used and time left, and
each file that could not be graded, named as it happens.

Used by :mod:`trotsky1940.grading.cli`. On a terminal it is a live progress bar (tqdm); when the output is not
a terminal (CI, a log file) it prints one plain line per submission instead; ``--quiet`` turns it off.
Everything shown has passed through :func:`trotsky1940.grading.report.clean_line`.
"""

from __future__ import annotations

import sys
import threading
import time

from . import report


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


class Progress:
    """Progress of one grading run over ``total`` files."""

    def __init__(self, total: int, stream=None, quiet: bool = False, live: bool | None = None):
        self.total, self.done, self.failed = total, 0, 0
        self.stream = stream or sys.stdout
        self.quiet = quiet
        self.live = (self.stream.isatty() if live is None else live) and not quiet
        self.started = time.monotonic()
        self.lock = threading.Lock()
        self.bar = None
        if self.live:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="file", desc="grading", file=self.stream, dynamic_ncols=True,
                            bar_format="{desc}: {n_fmt}/{total_fmt} |{bar}| {elapsed} elapsed, {remaining} left"
                                       "{postfix}")

    def eta(self) -> float | None:
        if not self.done:
            return None
        return (time.monotonic() - self.started) / self.done * (self.total - self.done)

    def start(self, item) -> None:
        if self.bar is not None:
            with self.lock:
                self.bar.set_postfix_str(self._postfix(report.clean_line(item.label, 60)), refresh=True)

    def _postfix(self, current: str) -> str:
        failed = f"; {self.failed} not graded" if self.failed else ""
        return f" | {current}{failed}"

    def finish(self, result) -> None:
        with self.lock:
            self.done += 1
            label, status = report.clean_line(result.submission, 200), report.clean_line(result.status, 300)
            if not result.graded:
                self.failed += 1
            if self.quiet:
                return
            if self.bar is not None:
                if not result.graded:
                    kind = getattr(result, "kind", "") if getattr(result, "kind", "") != "graded" else ""
                    plain = kind in ("not attempted", "wrong exercise", "wrong variant")
                    shown = status if plain else f"not graded: {label}: {status}"
                    self.bar.write(shown if shown.startswith("not graded") else f"{label}: {shown}", file=self.stream)
                self.bar.set_postfix_str(self._postfix(report.clean_line(result.submission, 60)), refresh=False)
                self.bar.update(1)
                return
            eta = self.eta()
            left = f", about {_clock(eta)} left" if eta is not None and self.done < self.total else ""
            score = f" {sum(v for v in result.scores.values() if isinstance(v, int))} points" if result.graded else ""
            plain = result.graded or getattr(result, "kind", "") in ("not attempted", "wrong exercise", "wrong variant")
            verdict = status if plain else f"NOT GRADED: {status}"
            failed = f"; {self.failed} not graded so far" if self.failed else ""
            print(f"[{self.done}/{self.total}] {label}: {verdict}{score} ({result.seconds:.1f} s; "
                  f"{_clock(time.monotonic() - self.started)} elapsed{left}{failed})", file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
