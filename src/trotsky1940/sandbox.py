"""How the grader isolates student code: what this machine allows, and the command that runs nbval.

Layers, each used where the system allows it (:func:`detect` says which):

1. **No network, almost nothing to see** — nbval and its kernel run inside ``unshare`` with a network
   namespace of their own (only loopback, which the kernel needs to talk to nbval) and a mount namespace in
   which every top-level folder but the system ones is an empty tmpfs, with only the Python install, this
   package, the data and the grader's folder put back (:func:`isolation_mounts`); any reference notebook or
   answer key still in view is covered by an empty file.
2. **An unprivileged user per worker** — when the grader runs as root, the kernel drops to a uid of its
   own (``FIRST_UID + worker``) that cannot read the grader's private folder; every process left with that
   uid is killed after each submission.
3. **Limits** — memory, CPU seconds, file size, open files, processes, and bytes of output
   (:mod:`trotsky1940.sandbox_kernel`).
4. **Nothing to read** — the injected notebook lives in a private folder (0700) as a 0600 file and is deleted
   as soon as nbval has read it (:mod:`trotsky1940.nbval_tags`).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

KERNEL_NAME = "trotsky1940-sandbox"
FIRST_UID = 61000


@dataclass
class Limits:
    """Resource limits for one graded kernel."""

    memory_bytes: int = 3 * 1024**3
    cpu_seconds: int = 120
    file_bytes: int = 64 * 1024**2
    open_files: int = 256
    processes: int = 128
    output_bytes: int = 1_000_000

    def env(self) -> dict[str, str]:
        return {
            "TROTSKY1940_MEMORY_BYTES": str(self.memory_bytes),
            "TROTSKY1940_CPU_SECONDS": str(self.cpu_seconds),
            "TROTSKY1940_FILE_BYTES": str(self.file_bytes),
            "TROTSKY1940_OPEN_FILES": str(self.open_files),
            "TROTSKY1940_PROCESSES": str(self.processes),
            "TROTSKY1940_OUTPUT_LIMIT": str(self.output_bytes),
        }


@dataclass
class Capabilities:
    """What isolation this machine allows; ``notes`` says what is missing and why."""

    namespaces: list[str] = field(default_factory=list)  # e.g. ["--net", "--mount"] (+ "--map-root-user")
    drop_user: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def network_isolated(self) -> bool:
        return "--net" in self.namespaces

    @property
    def files_hidden(self) -> bool:
        return "--mount" in self.namespaces

    def summary(self) -> list[str]:
        lines = [
            f"network: {'none (own network namespace, loopback only)' if self.network_isolated else 'NOT isolated'}",
            f"answer files: {'hidden from the kernel (mount namespace)' if self.files_hidden else 'NOT hidden'}",
            f"kernel user: {'an unprivileged uid per worker' if self.drop_user else 'the grader' + chr(39) + 's own'}",
            "limits: memory, CPU time, file size, open files, output size"
            + (", processes" if self.drop_user else ""),
        ]
        return lines + [f"note: {n}" for n in self.notes]


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=30, **kwargs)


SYSTEM_DIRS = {"usr", "etc", "dev", "proc", "sys", "run", "boot", "bin", "sbin", "lib", "lib32", "lib64", "libx32"}
"""Top-level folders the sandbox leaves in view; every other one is covered by an empty tmpfs."""


def needed_paths(extra: list[Path] | None = None) -> list[Path]:
    """What the sandbox keeps in view besides the system folders: the Python install, the environment, this
    package and the data (not the rest of the repository: not its exercises, not its .git)."""
    from . import paths

    found = {Path(sys.base_prefix), Path(sys.prefix), Path(sys.executable).resolve().parent,
             Path(__file__).resolve().parent, paths.data_dir(), *(extra or [])}
    resolved = sorted({p.resolve() for p in found})
    return [p for p in resolved if not any(p != q and p.is_relative_to(q) for q in resolved)]


def isolation_mounts(keep: list[Path]) -> list[str]:
    """Shell commands (run as root in the mount namespace) that cover every top-level folder but the system
    ones with an empty tmpfs, and put back only the folders in ``keep``.

    What the kernel can then see: /usr, /etc and the other system folders, the Python it runs on, this package,
    the data, and the grader's own folder (whose private parts are closed to the kernel's user). Not other
    checkouts of the repository, not anyone's home folder, not /tmp.
    """
    q = shlex.quote
    top = sorted(p for p in Path("/").iterdir() if p.is_dir() and not p.is_symlink() and p.name not in SYSTEM_DIRS)
    commands = ["mount -t tmpfs -o mode=1777 tmpfs /dev/shm"]
    stash = {}
    for i, path in enumerate(keep):
        if any(path.is_relative_to(t) for t in top):
            stash[path] = Path(f"/dev/shm/keep{i}")
            commands += [f"mkdir -p {q(str(stash[path]))}", f"mount --bind {q(str(path))} {q(str(stash[path]))}"]
    for folder in top:
        mode = "1777" if folder == Path("/tmp") else "0755"
        commands.append(f"mount -t tmpfs -o mode={mode} tmpfs {q(str(folder))}")
        for path, place in stash.items():
            if path.is_relative_to(folder):
                commands += [f"mkdir -p {q(str(path))}", f"mount --bind {q(str(place))} {q(str(path))}"]
    return commands


def detect(sandbox: bool = True, scratch: Path | None = None) -> Capabilities:
    """Probe which isolation layers work here (a few quick commands)."""
    caps = Capabilities()
    if not sandbox:
        caps.notes.append("sandbox switched off (--no-sandbox): student code runs with the grader's rights")
        return caps
    if shutil.which("unshare") and shutil.which("ip") and shutil.which("mount"):
        base = ["unshare", "--net", "--mount"] + ([] if os.geteuid() == 0 else ["--map-root-user"])
        probe = _run(base + ["sh", "-c", "ip link set lo up && mount -t tmpfs tmpfs /mnt && echo ok"])
        if probe.returncode == 0 and "ok" in probe.stdout:
            caps.namespaces = base[1:]
        else:
            caps.notes.append("cannot create network and mount namespaces here: " + probe.stderr.strip()[:200])
    else:
        caps.notes.append("unshare, ip or mount is missing: no network or mount isolation")
    if os.geteuid() != 0:
        caps.notes.append("not running as root: the kernel runs as the grader's own user")
    elif not caps.files_hidden or not shutil.which("setpriv"):
        caps.notes.append("without a mount namespace and setpriv the kernel cannot be moved to its own user")
    else:
        scratch = scratch or Path("/tmp")
        probe_cmd = ["setpriv", f"--reuid={FIRST_UID}", f"--regid={FIRST_UID}", "--clear-groups", sys.executable,
                     "-c", "import trotsky1940.sandbox_kernel, ipykernel, trotsky1940.data as d; d.load()"]
        script = " && ".join(["ip link set lo up", *isolation_mounts(needed_paths([scratch])),
                              "exec " + shlex.join(probe_cmd)])
        probe = _run(["unshare", *caps.namespaces, "sh", "-c", script], cwd="/")
        if probe.returncode == 0:
            caps.drop_user = True
        else:
            caps.notes.append("an unprivileged user cannot run this installation even with traversal mounts: "
                              "the kernel runs as root (" + probe.stderr.strip()[-200:] + ")")
    return caps


def write_kernelspec(folder: Path) -> Path:
    """A kernelspec that starts :mod:`trotsky1940.sandbox_kernel` with this Python; returns its JUPYTER_PATH."""
    spec = folder / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "trotsky1940.sandbox_kernel", "-f", "{connection_file}"],
        "display_name": "Python 3 (trotsky1940 grading sandbox)",
        "language": "python",
    }))
    return folder


def wrap(command: list[str], caps: Capabilities, hide: list[Path], scratch: Path) -> list[str]:
    """The command to run nbval with: inside the namespaces, with only the system folders, the installation,
    the data and ``scratch`` (the grader's folder) in view, and the files in ``hide`` covered by empty files
    wherever they still show."""
    if not caps.namespaces:
        return command
    steps = ["ip link set lo up", *isolation_mounts(needed_paths([scratch]))]
    steps += [f"if [ -f {shlex.quote(str(p))} ]; then mount --bind /dev/null {shlex.quote(str(p))}; fi" for p in hide]
    script = " && ".join(steps) + " && exec " + shlex.join(command)
    return ["unshare", *caps.namespaces, "sh", "-c", script]


def kill_user(uid: int) -> int:
    """Kill every process that runs as ``uid`` (after a submission); returns how many there were."""
    killed = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid == uid:
                os.kill(int(entry.name), signal.SIGKILL)
                killed += 1
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return killed


def kill_group(proc: subprocess.Popen) -> None:
    """Kill a process started with start_new_session=True and everything in its process group."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
