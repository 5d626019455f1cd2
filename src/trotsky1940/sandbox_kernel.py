"""Start an IPython kernel for grading, inside limits (``python -m trotsky1940.sandbox_kernel -f FILE``).

nbval starts this through the kernelspec that :mod:`trotsky1940.sandbox` writes. Before the kernel runs
any student code it:

- sets resource limits: address space, CPU seconds, file size, open files and, when it can drop to a
  grading user of its own, processes;
- caps what each cell may print (``TROTSKY1940_OUTPUT_LIMIT`` bytes), so enormous output cannot swamp the
  grader;
- moves to a scratch folder of its own (not the folder of the notebook being graded) and sets HOME there;
- when started as root with ``TROTSKY1940_SANDBOX_UID`` set, copies the connection file to the scratch folder
  and drops to that unprivileged user and group, so it cannot read the grader's files.
"""

from __future__ import annotations

import os
import resource
import shutil
import sys
import tempfile

LIMITS_ENV = {
    "TROTSKY1940_MEMORY_BYTES": resource.RLIMIT_AS,
    "TROTSKY1940_CPU_SECONDS": resource.RLIMIT_CPU,
    "TROTSKY1940_FILE_BYTES": resource.RLIMIT_FSIZE,
    "TROTSKY1940_OPEN_FILES": resource.RLIMIT_NOFILE,
}


def _set_limits(drop: bool) -> None:
    for name, which in LIMITS_ENV.items():
        value = os.environ.get(name)
        if value:
            resource.setrlimit(which, (int(value), int(value)))
    processes = os.environ.get("TROTSKY1940_PROCESSES")
    if processes and drop:  # RLIMIT_NPROC counts every process of the user: only safe for a user of our own
        resource.setrlimit(resource.RLIMIT_NPROC, (int(processes), int(processes)))


def _cap_output() -> None:
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


def main(argv: list[str]) -> None:
    if "-f" not in argv:
        raise SystemExit("usage: python -m trotsky1940.sandbox_kernel -f CONNECTION_FILE")
    index = argv.index("-f") + 1
    connection = argv[index]
    uid = os.environ.get("TROTSKY1940_SANDBOX_UID")
    drop = bool(uid) and os.geteuid() == 0
    scratch = tempfile.mkdtemp(prefix="trotsky1940-kernel-")
    if drop:
        copy = os.path.join(scratch, "kernel.json")
        shutil.copyfile(connection, copy)
        argv[index] = copy
        for path in (scratch, copy):
            os.chown(path, int(uid), int(uid))
    mpl = os.path.join(scratch, ".matplotlib")
    warm = os.environ.get("TROTSKY1940_MPL_CACHE")
    if warm and os.path.isdir(warm):  # a font cache built once by the grader: no rebuild in every kernel
        shutil.copytree(warm, mpl)
        if drop:
            for folder, _dirs, files in os.walk(mpl):
                for name in [folder, *(os.path.join(folder, f) for f in files)]:
                    os.chown(name, int(uid), int(uid))
    os.environ.update(HOME=scratch, IPYTHONDIR=os.path.join(scratch, ".ipython"), MPLCONFIGDIR=mpl,
                      JUPYTER_RUNTIME_DIR=scratch, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
                      MPLBACKEND="Agg")
    os.chdir(scratch)
    if drop:
        os.setgroups([])
        os.setgid(int(uid))
        os.setuid(int(uid))
    _set_limits(drop)
    _cap_output()
    from ipykernel import kernelapp

    # no input history database: nothing to keep between graded runs, and one file less to create
    sys.argv = ["ipykernel_launcher", *argv, "--HistoryManager.enabled=False"]
    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main(sys.argv[1:])
