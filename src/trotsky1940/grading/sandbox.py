"""How the grader isolates student code: bubblewrap sandboxes, per-submission limits, and what is active here.

Used by the grader (:mod:`trotsky1940.grading.core`) only; nothing here runs inside a sandbox.

Two sandboxes take part in grading one submission, both made with bubblewrap (``bwrap``, the sandbox that
Flatpak uses), each in its own user, PID, IPC, network, UTS and cgroup namespaces, with a fresh ``/proc``,
private size-capped ``/tmp`` and ``/dev/shm``, no capabilities, no nested user namespaces
(``--disable-userns``), a new session, ``--die-with-parent`` and an environment cleared down to an
allow-list:

- the **kernel sandbox** (one per submission, destroyed with it) runs the student's IPython kernel
  (:mod:`trotsky1940.grading.kernel`). It sees the system's ``/usr``, the Python it runs on, its packages,
  this package and ``data/``, read-only, and one folder of its own that holds its connection file and the
  Unix sockets it talks through. Nothing else: not the reference notebook, not the answer keys, not the
  repository, not the grader's folders.
- the **nbval sandbox** (one per worker slot, :mod:`trotsky1940.grading.worker`) runs pytest and nbval,
  which read the injected notebook (with the expected outputs) and talk to the kernel over its sockets. It
  runs as another user than the kernel when the grader is root, loads no ``conftest.py`` and no
  auto-discovered plugins, and caps every message it receives (:mod:`trotsky1940.grading.nbval_plugin`).

When the grader runs as root, neither sandbox runs as root: each is started as an unprivileged uid of its own
(taken from a range with lock files, so two grading runs at once never share one), and the user namespace maps
only that uid. Without root, bubblewrap needs unprivileged user namespaces; where they are not allowed, the
grader refuses to run student code unless told ``--no-sandbox``.

Limits per submission as a whole (the kernel and everything it starts): memory, processes and CPU time through
cgroups where the system lets this user create them (cgroup v1 as on these machines, or v2), else through
rlimits per process; disk through the size of the private ``/tmp`` and ``/dev/shm``, plus a file-size rlimit.
:func:`detect` says which layers are active.
"""

from __future__ import annotations

import fcntl
import os
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

FIRST_UID = 61000
UID_SLOTS = 400  # uids FIRST_UID … FIRST_UID + 2 * UID_SLOTS - 1, two per worker slot (nbval, kernel)
SANDBOX_UID = 1000  # the uid the processes see inside their user namespace
KERNEL_ROOT = "/t40x"  # where the kernel sockets live, the same path in both sandboxes
JOBS_ROOT = "/t40j"  # where the nbval sandbox finds its jobs (the injected notebook, the results file)
MPL_ROOT = "/t40mpl"  # the grader's warm matplotlib font cache, read-only in the kernel sandbox
ENV_ALLOW = ("LANG", "LC_ALL", "TZ")
BWRAP_HINT = ("bubblewrap (bwrap) is needed to grade student code safely. On Debian or Ubuntu: "
              "sudo apt-get install bubblewrap. To grade code you trust without it, add --no-sandbox.")
USERNS_HINT = ("this system does not let ordinary users create user namespaces, which bubblewrap needs. "
               "Ask an administrator to allow them (Debian: sysctl kernel.unprivileged_userns_clone=1; "
               "Ubuntu 24.04: an AppArmor profile for bwrap), run the grader as root, or add --no-sandbox "
               "for code you trust.")


@dataclass
class Limits:
    """Limits for one submission (the kernel and every process it starts), and for what nbval receives."""

    memory_bytes: int = 2 * 1024**3  # the whole submission (cgroup), else each process (RLIMIT_AS)
    processes: int = 64  # the whole submission (cgroup pids), else RLIMIT_NPROC in its user namespace
    cpu_seconds: int = 60  # CPU time of the whole submission (cgroup accounting), else each process
    cpu_share: float = 1.0  # at most this many cores at once (cgroup CPU quota)
    disk_bytes: int = 64 * 1024**2  # private /tmp (the kernel's home is inside it)
    shm_bytes: int = 16 * 1024**2  # private /dev/shm
    file_bytes: int = 32 * 1024**2  # any one file (RLIMIT_FSIZE)
    open_files: int = 256
    output_bytes: int = 1_000_000  # what one cell may print (kernel side)
    message_bytes: int = 4 * 1024**2  # one message nbval receives (ZeroMQ MAXMSGSIZE)
    cell_output_bytes: int = 8 * 1024**2  # all output nbval keeps for one cell
    cell_messages: int = 2000  # output messages nbval keeps for one cell
    nbval_memory_bytes: int = 3 * 1024**3  # the nbval process that receives them (RLIMIT_AS)

    def kernel_env(self) -> dict[str, str]:
        return {
            "TROTSKY1940_MEMORY_BYTES": str(self.memory_bytes),
            "TROTSKY1940_CPU_SECONDS": str(self.cpu_seconds),
            "TROTSKY1940_FILE_BYTES": str(self.file_bytes),
            "TROTSKY1940_OPEN_FILES": str(self.open_files),
            "TROTSKY1940_PROCESSES": str(self.processes),
            "TROTSKY1940_OUTPUT_LIMIT": str(self.output_bytes),
        }

    def receive_caps(self) -> dict[str, int]:
        return {"message_bytes": self.message_bytes, "cell_output_bytes": self.cell_output_bytes,
                "cell_messages": self.cell_messages, "memory_bytes": self.nbval_memory_bytes}


class SandboxUnavailable(RuntimeError):
    """Student code cannot be isolated here; the message says why and what to do."""


# -- cgroups ---------------------------------------------------------------------------------------------
class CgroupLayer:
    """Per-submission cgroups: v1 (one folder per controller) or v2 (one unified folder)."""

    V1_CONTROLLERS = ("memory", "pids", "cpu", "cpuacct")

    def __init__(self, version: int, roots: dict[str, Path]):
        self.version = version
        self.roots = roots  # controller (or "unified") -> this run's folder

    @classmethod
    def create(cls, run_id: str) -> tuple[CgroupLayer | None, str]:
        """The layer for this run, or (None, why not)."""
        base = Path("/sys/fs/cgroup")
        if (base / "cgroup.controllers").is_file():  # v2 only
            return cls._create_v2(base, run_id)
        roots = {}
        try:
            for controller in cls.V1_CONTROLLERS:
                top = base / controller
                if not (top / "cgroup.procs").is_file():
                    return None, f"cgroup v1 controller {controller!r} is not mounted"
                folder = top / "trotsky1940" / run_id
                folder.mkdir(parents=True, exist_ok=True)
                roots[controller] = folder
        except OSError as exc:
            for folder in roots.values():
                _rmdir(folder)
            return None, f"cannot create cgroups here ({exc.strerror}): limits are per process (rlimits)"
        return cls(1, roots), ""

    @classmethod
    def _create_v2(cls, base: Path, run_id: str) -> tuple[CgroupLayer | None, str]:
        controllers = set((base / "cgroup.subtree_control").read_text().split()) if os.geteuid() == 0 else set()
        if not {"memory", "pids", "cpu"} <= controllers:
            return None, ("cgroup v2 is not delegated to this user (or lacks memory, pids, cpu): "
                          "limits are per process (rlimits)")
        folder = base / f"trotsky1940-{run_id}"
        try:
            folder.mkdir()
            (folder / "cgroup.subtree_control").write_text("+memory +pids +cpu")
        except OSError as exc:
            _rmdir(folder)
            return None, f"cannot create cgroup v2 folders ({exc.strerror}): limits are per process (rlimits)"
        return cls(2, {"unified": folder}), ""

    def describe(self) -> str:
        return f"cgroup v{self.version}"

    def submission(self, name: str, limits: Limits) -> SubmissionCgroup:
        folders = {}
        for controller, root in self.roots.items():
            folder = root / name
            folder.mkdir()
            folders[controller] = folder
        group = SubmissionCgroup(self.version, folders)
        group.apply(limits)
        return group

    def close(self) -> None:
        for root in self.roots.values():
            for child in root.iterdir() if root.is_dir() else []:
                if child.is_dir():
                    _rmdir(child)
            _rmdir(root)


@dataclass
class SubmissionCgroup:
    version: int
    folders: dict[str, Path]

    def _write(self, controller: str, name: str, value: str) -> None:
        path = self.folders[controller] / name
        if path.exists():
            path.write_text(value)

    def apply(self, limits: Limits) -> None:
        period = 100_000
        quota = str(int(period * limits.cpu_share))
        if self.version == 1:
            self._write("memory", "memory.limit_in_bytes", str(limits.memory_bytes))
            self._write("memory", "memory.memsw.limit_in_bytes", str(limits.memory_bytes))
            self._write("pids", "pids.max", str(limits.processes))
            self._write("cpu", "cpu.cfs_period_us", str(period))
            self._write("cpu", "cpu.cfs_quota_us", quota)
        else:
            self._write("unified", "memory.max", str(limits.memory_bytes))
            self._write("unified", "memory.swap.max", "0")
            self._write("unified", "pids.max", str(limits.processes))
            self._write("unified", "cpu.max", f"{quota} {period}")

    def procs_files(self) -> list[Path]:
        return [folder / "cgroup.procs" for folder in self.folders.values()]

    def cpu_seconds(self) -> float:
        try:
            if self.version == 1:
                return int((self.folders["cpuacct"] / "cpuacct.usage").read_text()) / 1e9
            for line in (self.folders["unified"] / "cpu.stat").read_text().splitlines():
                if line.startswith("usage_usec"):
                    return int(line.split()[1]) / 1e6
        except (OSError, ValueError):
            pass
        return 0.0

    def pids(self) -> list[int]:
        found: set[int] = set()
        for path in self.procs_files():
            try:
                found.update(int(p) for p in path.read_text().split())
            except OSError:
                pass
        return sorted(found)

    def kill_all(self, wait: float = 5.0) -> None:
        """Kill every process left in the cgroup (repeated until none is left), then remove it."""
        deadline = time.monotonic() + wait
        while True:
            pids = self.pids()
            if not pids or time.monotonic() > deadline:
                break
            if self.version == 2 and (self.folders["unified"] / "cgroup.kill").exists():
                try:
                    (self.folders["unified"] / "cgroup.kill").write_text("1")
                except OSError:
                    pass
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.02)
        for folder in self.folders.values():
            _rmdir(folder)


def _rmdir(folder: Path) -> None:
    for _ in range(50):
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.02)


# -- uids --------------------------------------------------------------------------------------------------
class UidLease:
    """A pair of unprivileged uids (nbval, kernel) held for one worker slot with a lock file, so that two
    grading runs at once never use the same uid."""

    def __init__(self) -> None:
        folder = Path("/run/trotsky1940") if Path("/run").is_dir() else Path(tempfile.gettempdir()) / "trotsky1940"
        folder.mkdir(mode=0o755, exist_ok=True)
        for slot in range(UID_SLOTS):
            uid = FIRST_UID + 2 * slot
            handle = os.open(folder / f"uids-{uid}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(handle)
                continue
            self.handle, self.nbval_uid, self.kernel_uid = handle, uid, uid + 1
            return
        raise SandboxUnavailable(f"all {UID_SLOTS} grading uid pairs from {FIRST_UID} are in use")

    def release(self) -> None:
        try:
            os.close(self.handle)
        except OSError:
            pass


# -- what this machine allows -----------------------------------------------------------------------------
@dataclass
class Capabilities:
    """What isolation is active for this run; ``summary()`` says it in words."""

    sandbox: bool = False
    root: bool = False
    bwrap: str = ""
    cgroups: CgroupLayer | None = None
    notes: list[str] = field(default_factory=list)

    def layers(self) -> dict[str, str]:
        if not self.sandbox:
            return {"sandbox": "OFF (--no-sandbox): student code runs with the grader's rights, unisolated"}
        limits = (f"per submission ({self.cgroups.describe()}: memory, processes, CPU time and CPU share)"
                  if self.cgroups else "per process (rlimits: memory, CPU time, processes in the user namespace)")
        return {
            "sandbox": "bubblewrap: own user, PID, IPC, network, UTS and mount namespaces per submission",
            "files": "kernel sees only /usr, the Python install, this package and data/ (read-only)",
            "network": "none (own network namespace)",
            "users": ("nbval and the kernel run as two unprivileged uids of their own" if self.root else
                      "your own uid, in separate user and PID namespaces for nbval and the kernel"),
            "limits": limits + "; disk: private /tmp and /dev/shm of capped size; file size; output size",
            "nbval": "runs outside the kernel's sandbox: no conftest.py, no auto-loaded plugins, messages capped",
        }

    def summary(self) -> list[str]:
        return [f"{k}: {v}" for k, v in self.layers().items()] + [f"note: {n}" for n in self.notes]


def detect(use_sandbox: bool = True, run_id: str = "probe") -> Capabilities:
    """Which layers work here. Raises :class:`SandboxUnavailable` when the sandbox is wanted but impossible."""
    caps = Capabilities(root=os.geteuid() == 0)
    if not use_sandbox:
        return caps
    bwrap = shutil.which("bwrap")
    if not bwrap:
        raise SandboxUnavailable(BWRAP_HINT)
    caps.bwrap = bwrap
    probe_uid = None
    if caps.root:
        lease = UidLease()
        probe_uid = lease.kernel_uid
    try:
        command = [bwrap, *namespace_args(), "--ro-bind", "/usr", "/usr", *system_links(), "/usr/bin/true"]
        result = subprocess.run(command, capture_output=True, text=True, timeout=30,
                                **drop_to(probe_uid))
    finally:
        reap_orphans()
        if caps.root:
            lease.release()
    if result.returncode != 0:
        why = result.stderr.strip()[:300]
        raise SandboxUnavailable(f"bubblewrap could not start a sandbox ({why}): " + USERNS_HINT)
    caps.sandbox = True
    caps.cgroups, why = CgroupLayer.create(run_id) if caps.root else (None, (
        "not running as root: no cgroups to create, so limits are per process (rlimits)"))
    if why:
        caps.notes.append(why)
    if not caps.root:
        caps.notes.append("not running as root: nbval and the kernel run as your own uid, each in separate "
                          "user and PID namespaces (the kernel cannot see or signal nbval or the grader)")
    return caps


def drop_to(uid: int | None) -> dict:
    """subprocess arguments that start a process as ``uid`` (and the same gid, no supplementary groups)."""
    if uid is None:
        return {}
    return {"user": uid, "group": uid, "extra_groups": []}


def namespace_args() -> list[str]:
    return ["--unshare-all", "--unshare-user", "--disable-userns", "--uid", str(SANDBOX_UID), "--gid",
            str(SANDBOX_UID), "--hostname", "grading", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--proc", "/proc", "--dev", "/dev"]


def system_links() -> list[str]:
    """/bin, /lib and friends: symbolic links into /usr where the system has merged them, else read-only."""
    args = []
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    return args


def needed_paths() -> list[Path]:
    """What a sandbox needs besides /usr: the Python install, the environment, this package and the data."""
    from .. import paths

    package = Path(__file__).resolve().parents[1]
    found = {Path(sys.base_prefix), Path(sys.prefix), Path(sys.executable).resolve().parent.parent,
             package, paths.data_dir().resolve()}
    resolved = sorted({p.resolve() for p in found if p.exists()})
    keep = [p for p in resolved if not any(p != q and p.is_relative_to(q) for q in resolved)]
    return [p for p in keep if not p.is_relative_to("/usr")]


def traversable(path: Path, uid: int) -> bool:
    """Whether ``uid`` (with only its own gid) may walk down to ``path`` and list it."""
    for folder in [*reversed(path.parents), path]:
        try:
            info = folder.stat()
        except OSError:
            return False
        mode = info.st_mode
        if info.st_uid == uid:
            ok = mode & stat.S_IXUSR
        elif info.st_gid == uid:
            ok = mode & stat.S_IXGRP
        else:
            ok = mode & stat.S_IXOTH
        if not ok:
            return False
    return True


class Launcher:
    """Starts the sandboxes of one grading run.

    A *holder* process keeps a private mount namespace for the run (in a user namespace of its own when the
    grader is not root). In it, each slot's exchange folder is a small tmpfs (so a kernel can write at most
    ``exchange_bytes`` there, never onto the host's disk), and, as root, the paths an unprivileged uid cannot
    reach (a Python under /root, say) are bound onto reachable mount points. Both sandboxes of a slot start
    inside that namespace, so they see the same exchange folder; the holder ends with the grader.
    """

    def __init__(self, caps: Capabilities, limits: Limits, workdir: Path, exchanges: list[Path],
                 exchange_bytes: int = 4 * 1024**2):
        self.caps, self.limits = caps, limits
        self.paths = needed_paths()
        self.hidden: dict[Path, Path] = {}
        if caps.root:
            views = workdir / "views"
            for i, path in enumerate(self.paths):
                if not traversable(path, FIRST_UID):
                    view = views / f"p{i}"
                    view.mkdir(mode=0o755, parents=True, exist_ok=True)
                    os.chmod(views, 0o755)
                    self.hidden[path] = view
        q = shlex.quote
        mounts = [f"mount -t tmpfs -o size={exchange_bytes},nr_inodes=2000,mode=0711,nosuid,nodev tmpfs {q(str(x))}"
                  for x in exchanges]
        mounts += [f"mount --bind {q(str(a))} {q(str(b))}" for a, b in self.hidden.items()]
        script = " && ".join([*mounts, "echo ready", "exec sleep 2147483647"])
        userns = [] if caps.root else ["--user", "--map-root-user"]
        command = ["setpriv", "--pdeathsig", "KILL", "unshare", *userns, "--mount", "--propagation", "private",
                   "sh", "-c", script]
        self.holder = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, start_new_session=True)
        ready = self.holder.stdout.readline()
        if b"ready" not in ready:
            error = self.holder.stderr.read(400).decode(errors="replace") if self.holder.poll() is not None else ""
            self.close()
            raise SandboxUnavailable(f"cannot set up the grading mount namespace ({error.strip()})")
        self.root_view = Path(f"/proc/{self.holder.pid}/root")

    def host_path(self, path: Path) -> Path:
        """Where the grader reaches ``path`` as the sandboxes see it (inside the holder's mount namespace)."""
        return self.root_view / path.relative_to("/")

    def close(self) -> None:
        if self.holder.poll() is None:
            kill_group(self.holder)
        else:
            self.holder.wait()

    def _binds(self) -> list[str]:
        args = ["--ro-bind", "/usr", "/usr", *system_links()]
        for name in ("localtime", "fonts"):  # time zone and font settings, nothing else of /etc
            if (Path("/etc") / name).exists():
                args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
        for path in self.paths:
            args += ["--ro-bind", str(self.hidden.get(path, path)), str(path)]
        return args

    def _tmp(self) -> list[str]:
        """Private /tmp and /dev/shm. They come before the read-only binds, so that an installation that
        lives under /tmp (a clone made with mktemp, say) is bound on top of the new /tmp, not hidden by it."""
        return ["--size", str(self.limits.disk_bytes), "--perms", "1777", "--tmpfs", "/tmp",
                "--size", str(self.limits.shm_bytes), "--perms", "1777", "--tmpfs", "/dev/shm",
                "--dir", "/tmp/home"]

    def _env(self, extra: dict[str, str]) -> list[str]:
        env = {k: os.environ[k] for k in ENV_ALLOW if k in os.environ}
        env.setdefault("LANG", "C.UTF-8")
        env.update(PATH=f"{Path(sys.executable).parent}:/usr/bin:/bin", HOME="/tmp/home",
                   PYTHONDONTWRITEBYTECODE="1", PYTHONNOUSERSITE="1", **extra)
        args = ["--clearenv"]
        for key, value in env.items():
            args += ["--setenv", key, value]
        return args

    def _wrap(self, bwrap_args: list[str], uid: int | None, procs: list[Path] | None = None) -> tuple[list[str], dict]:
        """The host command that starts bubblewrap inside the holder's namespaces. As root: join the
        submission's cgroups (``procs``) and drop to ``uid`` first; bubblewrap itself never runs as root."""
        command = [self.caps.bwrap, *bwrap_args]
        pid = str(self.holder.pid)
        if uid is None:
            return ["nsenter", "--preserve-credentials", "--user", "--mount", "-t", pid, "--", *command], {}
        command = ["nsenter", f"--mount=/proc/{pid}/ns/mnt", "--", "setpriv", f"--reuid={uid}", f"--regid={uid}",
                   "--clear-groups", *command]
        if procs:
            joins = [f"echo $$ > {shlex.quote(str(p))}" for p in procs]
            command = ["sh", "-c", " && ".join([*joins, "exec " + shlex.join(command)])]
        return command, {}

    def kernel_command(self, exchange: Path, connection: str, uid: int | None, env: dict[str, str],
                       procs: list[Path] | None = None, mpl_cache: Path | None = None,
                       info_fd: int | None = None) -> tuple[list[str], dict]:
        """The student's kernel: sees the installation read-only and its own exchange folder."""
        cache = ["--ro-bind", str(mpl_cache), MPL_ROOT] if mpl_cache else []
        info = ["--info-fd", str(info_fd)] if info_fd is not None else []
        args = [*info, *namespace_args(), *self._tmp(), *self._binds(), *cache,
                "--bind", str(exchange), f"{KERNEL_ROOT}/{exchange.name}", "--remount-ro", "/",
                "--chdir", "/tmp/home", *self._env({**env, **self.limits.kernel_env()}),
                sys.executable, "-m", "trotsky1940.grading.kernel", "-f", connection]
        return self._wrap(args, uid, procs)

    def worker_command(self, jobs: Path, exchange_root: Path, uid: int | None, env: dict[str, str],
                       info_fd: int | None = None) -> tuple[list[str], dict]:
        """The nbval worker of a slot: sees its jobs folder and its kernels' exchange folders (read-only)."""
        info = ["--info-fd", str(info_fd)] if info_fd is not None else []
        args = [*info, *namespace_args(), *self._tmp(), *self._binds(),
                "--bind", str(jobs), JOBS_ROOT, "--ro-bind", str(exchange_root), KERNEL_ROOT, "--remount-ro", "/",
                "--chdir", "/tmp", *self._env({**env, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}),
                sys.executable, "-m", "trotsky1940.grading.worker"]
        return self._wrap(args, uid)


class SandboxProcess:
    """A started sandbox: its host process (bubblewrap) and the PID of the sandbox's init, read from
    bubblewrap's ``--info-fd``, so that :meth:`kill` can wait until every process inside has ended."""

    def __init__(self, build, **popen):
        read, write = os.pipe()
        command, extra = build(write)
        try:
            with _OWN_LOCK:  # registered before reap_orphans() can see it: only its Popen may reap it
                self.proc = subprocess.Popen(command, pass_fds=(write,), **popen, **extra)
                _OWN.add(self.proc.pid)
        finally:
            os.close(write)
        os.set_blocking(read, False)
        self._info, self._buffer, self.init_pid = read, b"", None

    def poll(self):
        return self.proc.poll()

    def _read_info(self) -> None:
        if self._info is None:
            return
        try:
            while chunk := os.read(self._info, 4096):
                self._buffer += chunk
        except BlockingIOError:
            pass
        match = re.search(rb'"child-pid"\s*:\s*(\d+)', self._buffer)
        if match:
            self.init_pid = int(match.group(1))

    def kill(self, wait: float = 10.0) -> None:
        """Kill the sandbox and wait (up to ``wait`` s) until its init, and so every process in its PID
        namespace, is gone."""
        self._read_info()
        kill_group(self.proc)
        self._read_info()
        if self._info is not None:
            os.close(self._info)
            self._info = None
        if self.init_pid is not None:
            wait_gone(self.init_pid, wait)
        reap_orphans()


_OWN: set[int] = set()  # the sandboxes this process started itself (their Popen objects reap them)
_OWN_LOCK = threading.Lock()


def become_subreaper() -> bool:
    """Make this process the one that orphaned sandbox inits are handed to, so that it can reap them
    (an init system that never reaps would otherwise collect one zombie per submission)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def reap_orphans() -> int:
    """Reap the sandbox processes (bubblewrap's init) that were handed to this process when their parent
    ended before them; returns how many."""
    me, reaped = os.getpid(), 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm, rest = (entry / "stat").read_text().rsplit(")", 1)
            fields = rest.split()
            if fields[0] == "Z" and int(fields[1]) == me and comm.endswith("(bwrap") and \
                    int(entry.name) not in _OWN:
                reaped += os.waitpid(int(entry.name), os.WNOHANG)[0] != 0
        except (OSError, ValueError, IndexError, ChildProcessError):
            continue
    return reaped


def wait_gone(pid: int, wait: float) -> bool:
    """Wait until ``pid`` has exited (reaped when it was handed to us; else gone or a zombie)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                return True
            time.sleep(0.01)
            continue
        except ChildProcessError:
            pass
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.01)
    return False


def kill_group(proc: subprocess.Popen) -> None:
    """Kill a process started with start_new_session=True and everything in its process group. A process
    already reaped is not signalled: its number may belong to another process by now (with many processes
    on a machine, numbers come round again within seconds)."""
    if proc.poll() is not None:
        _OWN.discard(proc.pid)
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=10)
        _OWN.discard(proc.pid)
    except subprocess.TimeoutExpired:
        pass
