"""The nbval worker: imports pytest and nbval once, then runs one nbval job per forked child.

Runs inside the nbval sandbox of a worker slot (:meth:`trotsky1940.grading.sandbox.Launcher.worker_command`),
as an unprivileged uid other than the kernel's when the grader is root. It never runs student code: each job's
child runs nbval, which connects to the student's kernel in that kernel's own sandbox and compares outputs.
The grader talks to it over stdin/stdout, one JSON line per job and per answer::

    -> {"args": [pytest arguments], "cwd": "folder", "env": {...}, "timeout": 180, "memory": bytes}
    <- {"exit": 1, "timed_out": false, "seconds": 2.1, "maxrss_kb": 81234, "cpu_s": 0.12, "worker_cpu_s": 3.4}

(``cpu_s``: the job's CPU time; ``worker_cpu_s``: the worker's own and all its jobs' so far.)

pytest runs with ``--noconftest``, no cache plugin and ``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1`` (set by the
sandbox), so only the plugins named on its command line load: nbval and
:mod:`trotsky1940.grading.nbval_plugin`. Forking from a process that has already imported them saves their
start-up time for every submission.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import signal
import sys
import time

# jsonschema's optional URI format checker builds a grammar on import (about a second); nbval never needs it.
sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]

import pytest  # noqa: E402
from jupyter_client import blocking as _blocking  # noqa: E402,F401
from nbval import plugin as _nbval_plugin  # noqa: E402,F401 - imported once, before forking

from . import nbval_plugin as _plugin  # noqa: E402

PLUGINS = ["-p", "nbval.plugin", "-p", "trotsky1940.grading.nbval_plugin"]
# pytest's own plugins that grading never needs: each costs set-up time in every job (unraisableexception
# alone runs five full garbage collections at the end of each session)
UNUSED = ("cacheprovider", "unraisableexception", "threadexception", "faulthandler", "doctest", "junitxml",
          "pastebin", "tmpdir", "monkeypatch", "recwarn", "stepwise", "setuponly", "setupplan",
          "debugging", "unittest", "subtests", "logging", "warnings")
BASE_ARGS = ["-q", *[arg for name in UNUSED for arg in ("-p", f"no:{name}")], "--noconftest", *PLUGINS]


def run_job(job: dict) -> dict:
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: a fresh process group, the job's folder and environment, then nbval
        code = 99
        try:
            os.setsid()
            memory = int(job.get("memory", 0))
            if memory:
                resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
            os.chdir(job["cwd"])
            os.environ.update(job["env"])
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            code = pytest.main([*BASE_ARGS, *job["args"]])
        except BaseException:  # noqa: BLE001 - the child must never return into the worker loop
            code = 99
        os._exit(int(code))
    deadline = start + float(job.get("timeout", 180))
    timed_out = False
    status, usage = 0, None
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            timed_out = True
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _, status, usage = os.wait4(pid, 0)
            break
        time.sleep(0.01)
    try:
        os.killpg(pid, signal.SIGKILL)  # anything the job left in its group
    except ProcessLookupError:
        pass
    return {"exit": os.waitstatus_to_exitcode(status), "timed_out": timed_out,
            "seconds": round(time.monotonic() - start, 3), "maxrss_kb": getattr(usage, "ru_maxrss", 0),
            "cpu_s": round(getattr(usage, "ru_utime", 0.0) + getattr(usage, "ru_stime", 0.0), 3),
            "worker_cpu_s": round(sum(u.ru_utime + u.ru_stime for u in (
                resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN))), 3)}


def warm_up() -> None:
    """Import what pytest loads lazily for a run (its own modules, the plugins' hooks), and build once the
    notebook schema validator that nbformat builds on its first read (a quarter of a second per job otherwise):
    every forked job inherits both."""
    import tempfile

    import nbformat

    nbformat.validate(nbformat.v4.new_notebook())
    nbformat.reads(nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])), as_version=4)
    with tempfile.TemporaryDirectory() as tmp:
        stdout = sys.stdout
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        try:
            pytest.main([*BASE_ARGS, "--collect-only", "-c", os.devnull, "--rootdir", tmp, tmp])
        finally:
            sys.stdout.close()
            sys.stdout = stdout


def main() -> None:
    warm_up()
    gc.freeze()  # what is imported now is never collected: cheaper collections in every forked job
    out = sys.stdout
    out.write(json.dumps({"ready": True, "plugin": _plugin.__name__}) + "\n")
    out.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        out.write(json.dumps(run_job(json.loads(line))) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
