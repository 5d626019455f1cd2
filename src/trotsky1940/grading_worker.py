"""A grading worker: imports pytest and nbval once, then runs one nbval job per forked child.

The grader starts one worker per slot, inside the sandbox's namespaces (:func:`trotsky1940.sandbox.wrap`),
and talks to it over stdin/stdout, one JSON line per job and per answer::

    -> {"args": [pytest arguments], "cwd": "folder", "env": {...}, "timeout": 180}
    <- {"exit": 1, "timed_out": false, "seconds": 2.1}

Forking from a process that has already imported pytest, nbval and jupyter_client saves their start-up time
(about half a second of CPU) for every submission. The worker itself never runs student code: each job's
child runs nbval, and nbval starts the student's kernel as a separate, limited process.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time

# jsonschema's optional URI format checker builds a grammar on import (about a second); nbval never needs it.
sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]

import pytest  # noqa: E402
from jupyter_client import manager as _manager  # noqa: E402,F401
from nbval import plugin as _nbval_plugin  # noqa: E402,F401 - imported once, before forking

from . import nbval_tags as _tags  # noqa: E402,F401


def run_job(job: dict) -> dict:
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: a fresh process group, the job's folder and environment, then nbval
        try:
            os.setsid()
            os.chdir(job["cwd"])
            os.environ.clear()
            os.environ.update(job["env"])
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            code = pytest.main(job["args"])
        except BaseException:  # noqa: BLE001 - the child must never return into the worker loop
            code = 99
        os._exit(int(code))
    deadline = start + float(job.get("timeout", 180))
    timed_out = False
    status = 0
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            timed_out = True
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _, status = os.waitpid(pid, 0)
            break
        time.sleep(0.02)
    try:
        os.killpg(pid, signal.SIGKILL)  # anything the job left in its group
    except ProcessLookupError:
        pass
    exit_code = os.waitstatus_to_exitcode(status)
    return {"exit": exit_code, "timed_out": timed_out, "seconds": round(time.monotonic() - start, 3)}


def warm_up() -> None:
    """Import what pytest loads lazily for a run (plugins found through entry points, its own modules)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        stdout = sys.stdout
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        try:
            pytest.main(["-q", "-p", "no:cacheprovider", "--collect-only", "-c", os.devnull, "--rootdir", tmp, tmp])
        finally:
            sys.stdout.close()
            sys.stdout = stdout


def main() -> None:
    warm_up()
    out = sys.stdout
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        out.write(json.dumps(run_job(json.loads(line))) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
