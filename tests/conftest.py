"""Shared fixtures: the validated data set, a scratch copy of data/, the browser policy, the two static sites
(built once per test run, however many pytest-xdist workers run it), and the Jupyter servers a student meets
(`make lab`, and JupyterLab as Binder starts it), each started once for every test that only looks at it."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from trotsky1940 import data

from .helpers import ROOT, free_port, group_name, one_worker, stop_group, wait_for_status

CHROMIUM_HINT = (
    "Chromium was not found. Browser tests drive Debian's Chromium: install it with "
    "`sudo apt-get install chromium` (or set CHROMIUM=/path/to/chromium) and run `make test` again."
)


def in_ci() -> bool:
    """True when running under CI (CI=true), where nothing may be skipped for a missing tool."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def find_chromium() -> str | None:
    """The Chromium executable to drive: $CHROMIUM, else the first of chromium / chromium-browser on PATH."""
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of Chromium; skips the test locally when it is missing, fails it under CI=true."""
    path = find_chromium()
    if path is None:
        if in_ci():
            pytest.fail("CI=true: " + CHROMIUM_HINT, pytrace=False)
        pytest.skip(CHROMIUM_HINT)
    return path


@pytest.fixture(scope="session")
def evidence() -> data.Evidence:
    """The module's data set, loaded and validated once."""
    return data.load()


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A scratch copy of data/ that a test may break."""
    target = tmp_path / "data"
    shutil.copytree(ROOT / "data", target)
    return target


# ------------------------------------------------------------------------------------------------
# work done once per test run, shared by the workers


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Group tests for pytest-xdist's ``--dist loadgroup``: tests marked ``sandbox`` (they grade in the sandbox)
    all go to one worker, one after another, as they check the machine for leftovers and use tight time limits.
    Other tests that use a fixture marked with helpers.one_worker go to one worker per fixture and values of the
    parametrized fixtures it takes. The rest are spread one by one. Long groups are handed out first."""
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        if item.get_closest_marker("sandbox"):
            item.add_marker(pytest.mark.xdist_group("sandbox"))
            continue
        if info is None:  # not a test function
            continue
        params = item.callspec.params if hasattr(item, "callspec") else {}
        groups = []
        for name, definitions in sorted(info.name2fixturedefs.items()):
            definition = definitions[-1]
            if getattr(definition.func, "_t40_one_worker", False):
                values = [f"{arg}={params[arg]}" for arg in definition.argnames if arg in params]
                where = getattr(definition.func, "__module__", None) or item.module.__name__  # conftest: one group
                groups.append(group_name(f"{where}.{name}", values))
        if groups:
            item.add_marker(pytest.mark.xdist_group("+".join(groups)))
    # Longest first (the sandbox group, then modules with slow tests), each module kept in one piece and in its
    # own order, so that no long group starts last while the other workers sit idle.
    def rank(item: pytest.Item) -> int:
        return 0 if item.get_closest_marker("sandbox") else 1 if item.get_closest_marker("slow") else 2

    modules: dict[str, int] = {}
    for item in items:
        modules[item.nodeid.split("::")[0]] = min(modules.get(item.nodeid.split("::")[0], 2), rank(item))
    items.sort(key=lambda item: modules[item.nodeid.split("::")[0]])


def once_per_run(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """A folder that ``build`` fills once per test run: under pytest-xdist the first worker to ask builds it (the
    others wait on a lock file and reuse it); without xdist it is this process's own. A failed build is not kept,
    so each test that needs it reports the failure."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        target = tmp_path_factory.mktemp(name)
        build(target)
        return target
    shared = tmp_path_factory.getbasetemp().parent  # the run's folder, common to the workers
    target, done = shared / name, shared / f"{name}.done"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir()
            build(target)
            done.touch()
    return target


LOWER_PRIORITY = 10  # the nice value of a worker once it runs a test outside the sandbox group


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Under pytest-xdist, a worker lowers its CPU priority (nice 10, inherited by the servers, kernels and
    browsers it starts from then on) before its first test outside the sandbox group. The sandbox tests, first
    in the queue, keep the normal priority: their per-cell time limits (8 s in some) measure a student's code,
    and must not run out because a browser test in another worker took the CPU. The other tests wait on
    things with generous time-outs, and fill the time the sandbox tests leave."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    current = os.getpriority(os.PRIO_PROCESS, 0)
    if item.get_closest_marker("sandbox"):
        if current > 0 and os.geteuid() == 0:  # only root may raise a priority again (CI runs as root)
            os.setpriority(os.PRIO_PROCESS, 0, 0)
    elif current < LOWER_PRIORITY:
        os.setpriority(os.PRIO_PROCESS, 0, LOWER_PRIORITY)


# ------------------------------------------------------------------------------------------------
# the static sites of `make html`


@dataclass
class Sites:
    student: Path
    teacher: Path
    chapters_before: dict[str, str]


def build_site(out: Path, *options: str) -> subprocess.CompletedProcess:
    """``python -m trotsky1940 build-site --out OUT OPTIONS`` from the checkout."""
    return subprocess.run([sys.executable, "-m", "trotsky1940", "build-site", "--out", str(out), *options], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def chapter_hashes() -> dict[str, str]:
    """The SHA-256 of each chapter notebook: building the sites must not change them."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((ROOT / "notebooks").glob("*.ipynb"))}


def _build_sites(base: Path) -> None:
    (base / "chapters-before.txt").write_text("\n".join(f"{k} {v}" for k, v in chapter_hashes().items()))
    # The student site is built over an earlier build (marker file) that still holds a teacher page: it must go.
    from trotsky1940.authoring import site as site_module

    student = base / "site"
    (student / "teachers").mkdir(parents=True)
    (student / site_module.MARKER).write_text("an earlier build\n", encoding="utf-8")
    (student / "teachers" / "guide.html").write_text("stale teacher page", encoding="utf-8")
    for out, options in ((student, ()), (base / "site-teachers", ("--audience", "teacher"))):
        result = build_site(out, *options)
        assert result.returncode == 0, result.stderr


@pytest.fixture(scope="session")
def sites(tmp_path_factory) -> Sites:
    """The student and the teacher site, built once per test run (tests/test_site.py, tests/browser/)."""
    if not shutil.which("npm") and not in_ci():
        pytest.skip("make html copies the widget renderer from the npm registry: install npm (Debian: apt-get "
                    "install npm) to test the static site")
    base = once_per_run(tmp_path_factory, "sites", _build_sites)
    before = dict(line.split(" ", 1) for line in (base / "chapters-before.txt").read_text().splitlines())
    return Sites(student=base / "site", teacher=base / "site-teachers", chapters_before=before)


@pytest.fixture(scope="session")
def site(sites) -> Path:
    """The student site (the one to publish)."""
    return sites.student


@pytest.fixture(scope="session")
def teacher_site(sites) -> Path:
    """The teacher site (never to publish)."""
    return sites.teacher


# ------------------------------------------------------------------------------------------------
# the Jupyter servers a student meets: `make lab`, and JupyterLab as Binder starts it


@dataclass
class Server:
    base: str  # http://127.0.0.1:PORT
    token: str
    took: float  # seconds until /api/status answered
    log: Path  # what the command printed

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def server_env(folder: Path, base: dict[str, str] | None = None) -> tuple[dict[str, str], str]:
    """An environment for a Jupyter server (``base``, default this process's) with its own config and runtime
    folders under ``folder`` (``folder``/config may hold settings already), no screen, and a fresh token
    (``JUPYTER_TOKEN``)."""
    token = secrets.token_hex(16)
    env = {**(os.environ if base is None else base), "JUPYTER_CONFIG_DIR": str(folder / "config"),
           "JUPYTER_RUNTIME_DIR": str(folder / "rt"), "JUPYTER_TOKEN": token, "DISPLAY": "", "WAYLAND_DISPLAY": ""}
    env.pop("JUPYTER_CONFIG_PATH", None)
    return env, token


@contextlib.contextmanager
def serving(command: list[str], folder: Path, port: int, cwd: Path = ROOT, env: dict[str, str] | None = None,
            deadline_s: float = 120) -> Iterator[Server]:
    """The Jupyter server ``command`` starts in ``cwd`` (its output in ``folder``/server.log; its environment
    :func:`server_env` of ``env``) until the block ends, once /api/status answers. Stopped by its process
    group. The one way the tests start a Jupyter server (not Voila: browser/conftest.make_app)."""
    folder.mkdir(parents=True, exist_ok=True)
    env, token = server_env(folder, env)
    log_path = folder / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            took = wait_for_status(f"http://127.0.0.1:{port}/api/status", token, proc, deadline_s=deadline_s)
            yield Server(base=f"http://127.0.0.1:{port}", token=token, took=took, log=log_path)
        finally:
            stop_group(proc)


def binder_command(port: int, start: bool = True) -> list[str]:
    """JupyterLab as repo2docker starts it: through the repository's ./start script (or, ``start=False``, without
    it, to show what the script changes)."""
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--ServerApp.root_dir={ROOT}"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    return ["./start", *command] if start else command


@pytest.fixture(scope="session")
@one_worker
def make_lab(tmp_path_factory) -> Iterator[Server]:
    """`make lab` in the checkout, on a free port, with a config folder of its own: started once for every test
    that asks it something (the README's first command, what the file browser hides, the news settings)."""
    port = free_port()
    with serving(["make", "--no-print-directory", "lab", f"PORT={port}"], tmp_path_factory.mktemp("make-lab"),
                 port) as server:
        yield server


@pytest.fixture(scope="session")
@one_worker
def binder(tmp_path_factory) -> Iterator[dict[str, Server]]:
    """JupyterLab as Binder starts it (``"start"``: through ./start) and the same server without the script
    (``"plain"``), both running at once."""
    base = tmp_path_factory.mktemp("binder")
    with contextlib.ExitStack() as stack:
        servers = {}
        for name, start in (("start", True), ("plain", False)):
            port = free_port()
            servers[name] = stack.enter_context(serving(binder_command(port, start), base / name, port))
        yield servers
