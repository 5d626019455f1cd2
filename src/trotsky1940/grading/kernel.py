"""The kernel launcher: starts the student's IPython kernel inside its sandbox, within limits.

Runs inside the kernel sandbox (:meth:`trotsky1940.grading.sandbox.Launcher.kernel_command`), started by the
grader as ``python -m trotsky1940.grading.kernel -f /t40x/N/kernel.json``; this is the only grading module
that shares a process with student code. Before the kernel runs any of it, this:

- sets rlimits: address space, CPU seconds, file size, open files and processes (counted in the sandbox's own
  user namespace). Where the grader could create cgroups, the whole submission is also held to memory,
  process and CPU limits there;
- caps what each cell may print (``TROTSKY1940_OUTPUT_LIMIT`` characters), so enormous output is cut at the
  source (nbval caps what it receives as well);
- sets up a home folder in the sandbox's private ``/tmp`` (whose matplotlib folder links to the font cache the
  grader built once per run, read-only) and opens the kernel's sockets as Unix sockets in its exchange folder
  (world-connectable: nbval runs as another uid when the grader is root);
- leaves out the debugger (debugpy: nothing to debug while grading, and a fifth of the start-up time) and
  imports, before it answers, the modules the reference's own cells import (``TROTSKY1940_PREIMPORT``, found
  by the grader once per run). A kernel of the grader's warm pool is started while the previous submission is
  still running: by the time its submission comes, it only has to run it. It still serves that one
  submission and is destroyed with its sandbox.
"""

from __future__ import annotations

import os
import resource
import sys

LIMITS_ENV = {
    "TROTSKY1940_MEMORY_BYTES": resource.RLIMIT_AS,
    "TROTSKY1940_CPU_SECONDS": resource.RLIMIT_CPU,
    "TROTSKY1940_FILE_BYTES": resource.RLIMIT_FSIZE,
    "TROTSKY1940_OPEN_FILES": resource.RLIMIT_NOFILE,
    "TROTSKY1940_PROCESSES": resource.RLIMIT_NPROC,
}


def set_limits() -> None:
    for name, which in LIMITS_ENV.items():
        value = os.environ.get(name)
        if value:
            resource.setrlimit(which, (int(value), int(value)))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def cap_output() -> None:
    """Let each cell (each execute request) print at most TROTSKY1940_OUTPUT_LIMIT characters."""
    limit = int(os.environ.get("TROTSKY1940_OUTPUT_LIMIT", "0") or 0)
    if not limit:
        return
    from ipykernel import iostream

    original = iostream.OutStream.write
    state = {"cell": None, "written": 0, "warned": False}

    def write(self, text):
        cell = (self.parent_header or {}).get("msg_id")
        if cell != state["cell"]:  # output of a new cell: a fresh allowance
            state.update(cell=cell, written=0, warned=False)
        if state["written"] >= limit:
            if not state["warned"]:
                state["warned"] = True
                return original(self, f"\n[output stopped: more than {limit} characters in one cell]\n")
            return len(text)
        room = limit - state["written"]
        state["written"] += len(text)
        return original(self, text[:room])

    iostream.OutStream.write = write


def prepare_home() -> None:
    home = os.environ.get("HOME", "/tmp/home")
    os.makedirs(home, exist_ok=True)
    mpl = os.path.join(home, ".matplotlib")
    warm = os.environ.get("TROTSKY1940_MPL_CACHE")
    if warm and os.path.isdir(warm) and not os.path.exists(mpl):  # no font-cache rebuild in every kernel
        # matplotlib wants a writable folder; the font list in it is a link to the one built once per run
        os.makedirs(mpl)
        for name in os.listdir(warm):
            source = os.path.join(warm, name)
            if os.path.isfile(source):
                os.symlink(source, os.path.join(mpl, name))
    os.environ.update(IPYTHONDIR=os.path.join(home, ".ipython"), MPLCONFIGDIR=mpl, JUPYTER_RUNTIME_DIR=home,
                      OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    os.chdir(home)


def preimport() -> None:
    """Import the modules named in TROTSKY1940_PREIMPORT (comma-separated), those the reference imports; one
    that fails is left for the student's code to meet as it would in class."""
    import importlib

    for name in filter(None, os.environ.get("TROTSKY1940_PREIMPORT", "").split(",")):
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001,S112 - a module that cannot load here fails later, in its cell
            continue


def main(argv: list[str]) -> None:
    if "-f" not in argv:
        raise SystemExit("usage: python -m trotsky1940.grading.kernel -f CONNECTION_FILE")
    prepare_home()
    os.umask(0)  # the Unix sockets must be connectable by nbval's uid
    set_limits()
    sys.modules["debugpy"] = None  # type: ignore[assignment] # no debugger: ipykernel then leaves it out
    cap_output()
    preimport()
    from ipykernel import kernelapp

    # no input history database: nothing to keep between graded runs, and one file less to create
    sys.argv = ["ipykernel_launcher", *argv, "--HistoryManager.enabled=False"]
    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main(sys.argv[1:])
