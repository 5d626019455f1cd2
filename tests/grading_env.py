"""Running the grader as an ordinary user from a test that runs as root.

The red-team suite grades every case twice: as root and as an ordinary user. When the tests run as root, an
ordinary user is made with ``useradd`` and given an environment it can run: a virtual environment made from
Debian's ``/usr/bin/python3`` (root's Python on these machines lives under ``/root``, which other users cannot
enter), with the pinned packages of ``requirements.txt`` and an editable install of a world-readable copy of
the package, the data and the exercises. The environment is built once per set of pins and reused.
When the tests already run as an ordinary user, that user and this interpreter are used as they are.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import pwd
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .helpers import ROOT

USER = "t40teacher"
BASE = Path("/var/tmp/trotsky1940-test-user")


@dataclass
class Runner:
    """How to run a command as a given grader identity."""

    name: str
    python: str
    repo: Path  # where the reference notebooks are, as that identity reads them
    uid: int
    home: Path

    def command(self, args: list[str]) -> list[str]:
        base = [self.python, "-m", "trotsky1940", *args]
        if self.uid == os.geteuid():
            return base
        return [shutil.which("setpriv") or "/usr/bin/setpriv", f"--reuid={self.uid}", f"--regid={self.uid}",
                "--init-groups", "--", "/usr/bin/env", f"HOME={self.home}", *base]

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV"))}
        if self.uid != os.geteuid():
            env.pop("VIRTUAL_ENV", None)
            env["PATH"] = f"{Path(self.python).parent}:/usr/bin:/bin"
        env.update(extra or {})
        return env

    def own(self, path: Path) -> None:
        """Give ``path`` (and everything in it) to this identity."""
        if self.uid == os.geteuid():
            return
        for folder, dirs, files in os.walk(path):
            for name in [folder, *(os.path.join(folder, n) for n in dirs + files)]:
                os.lchown(name, self.uid, self.uid)


def root_runner() -> Runner:
    return Runner("root", sys.executable, ROOT, 0, Path("/root"))


def _run(command: list[str], **kwargs) -> None:
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")


def _install(venv: Path, *args: str) -> None:
    """Install into ``venv`` as `make` does: with the uv it bootstrapped (.cache/uv), reusing its download cache,
    leaving out requirements-excludes.txt; else with pip, without dependencies (the lock is complete)."""
    uv = ROOT / ".cache" / "uv" / "bin" / "uv"
    if uv.exists():
        try:
            _run([str(uv), "pip", "install", "--quiet", "--compile-bytecode", "--python", str(venv / "bin" / "python"),
                  "--excludes", str(ROOT / "requirements-excludes.txt"), *args], timeout=1200)
            return
        except RuntimeError:
            pass
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
          *args], timeout=1200)


def _prepare(place: Path, system_python: str) -> None:
    """Copy the package, data and exercises into ``place/repo`` and make ``place/venv`` when it is missing."""
    venv, repo = place / "venv", place / "repo"
    # the package, data and exercises are copied afresh every test run (fast), so the user grades with this code
    fresh = place / "repo.new"
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir()
    for name in ("src", "data", "exercises"):
        shutil.copytree(ROOT / name, fresh / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md", "LICENSE", "requirements.txt"):
        shutil.copy2(ROOT / name, fresh / name)
    stamp = venv / ".trotsky1940-ready"
    if stamp.exists():  # keep the editable install's egg-info, replace the code
        for name in ("data", "exercises"):
            shutil.rmtree(repo / name, ignore_errors=True)
            shutil.move(fresh / name, repo / name)
        for package in (fresh / "src").iterdir():
            if package.is_dir() and not package.name.endswith(".egg-info"):
                shutil.rmtree(repo / "src" / package.name, ignore_errors=True)
                shutil.move(package, repo / "src" / package.name)
        shutil.rmtree(fresh, ignore_errors=True)
    else:
        shutil.rmtree(repo, ignore_errors=True)
        fresh.rename(repo)
        shutil.rmtree(venv, ignore_errors=True)
        _run([system_python, "-m", "venv", str(venv)], timeout=300)
        _install(venv, "-r", str(repo / "requirements.txt"))
        _install(venv, "--no-deps", "--editable", str(repo))
        stamp.touch()
    # Bytecode for everything the user's processes import: the user cannot write __pycache__ in these root-owned
    # folders, and without it every grader, nbval worker and kernel compiles its imports from source again
    # (about 1.3 s of CPU time each). The venv is compiled once, the copied code every run.
    compiled = venv / ".trotsky1940-compiled"
    if not compiled.exists():
        subprocess.run([str(venv / "bin" / "python"), "-m", "compileall", "-q", "-j0", str(venv / "lib")],
                       capture_output=True, timeout=1200)
        compiled.touch()
    subprocess.run([str(venv / "bin" / "python"), "-m", "compileall", "-q", str(repo / "src")], capture_output=True,
                   timeout=300)
    for folder, dirs, files in os.walk(place):
        for name in dirs:
            os.chmod(os.path.join(folder, name), 0o755)
        for name in files:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                os.chmod(path, os.stat(path).st_mode | 0o444)


def this_run() -> str:
    """An id shared by every process of this test run: pytest-xdist's run id in its workers, else this PID."""
    return os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"pid-{os.getpid()}"


@functools.cache
def ordinary_runner() -> Runner:
    """The ordinary-user identity (built on first use when running as root). Raises RuntimeError with the
    reason when it cannot be made. Test workers running at once take turns (a lock file), and the code is
    copied once per test run, never under a worker that is grading with it."""
    if os.geteuid() != 0:
        home = Path(os.environ.get("HOME", "/tmp"))
        return Runner(pwd.getpwuid(os.geteuid()).pw_name, sys.executable, ROOT, os.geteuid(), home)
    if not shutil.which("useradd"):
        raise RuntimeError("useradd is missing")
    system_python = "/usr/bin/python3"
    if not Path(system_python).exists():
        raise RuntimeError("/usr/bin/python3 is missing (apt-get install python3 python3-venv)")
    pins = (ROOT / "requirements.txt").read_bytes() + (ROOT / "pyproject.toml").read_bytes()
    place = BASE / hashlib.sha256(pins).hexdigest()[:12]
    BASE.mkdir(mode=0o755, exist_ok=True)
    os.chmod(BASE, 0o755)
    place.mkdir(mode=0o755, exist_ok=True)
    with open(BASE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            entry = pwd.getpwnam(USER)
        except KeyError:
            _run(["useradd", "--create-home", "--shell", "/bin/sh", USER])
            entry = pwd.getpwnam(USER)
        marker = place / ".this-run"
        if not (marker.exists() and marker.read_text() == this_run()):
            _prepare(place, system_python)
            marker.write_text(this_run())
    return Runner(USER, str(place / "venv" / "bin" / "python"), place / "repo", entry.pw_uid, Path(entry.pw_dir))
