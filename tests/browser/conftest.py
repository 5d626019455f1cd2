"""A real JupyterLab on a free loopback port, serving a temporary copy of the notebooks, and a Chromium page.

JupyterLab autosaves, so it never serves the repository's own files. The server is stopped by its PID.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ..conftest import serving
from ..helpers import ROOT, free_port, one_worker, stop_group

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


@dataclass
class Lab:
    url: str
    token: str
    root: Path
    log: Path  # what the server printed: kernel starts, restarts and deaths
    kept: set[str] = field(default_factory=set)  # sessions end_sessions leaves running (the shared start-here)

    def tree(self, path: str) -> str:
        """``path`` opened in a workspace of its own: Lab restores the tabs a workspace last had, so in the shared
        default one a test would meet the notebooks of the tests before it (and Run All could reach one of them)."""
        return f"{self.url}/lab/workspaces/t40-{uuid.uuid4().hex[:12]}/tree/{path}?token={self.token}"

    def api(self, method: str, path: str) -> object:
        request = urllib.request.Request(f"{self.url}/api/{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def end_sessions(self, notebook: str | None = None) -> int:
        """Shut down the kernels earlier tests left open (on ``notebook``, or on any notebook); return how many.
        Lab reconnects a new page to a notebook's running kernel, so without this each test would inherit the
        state of the last one."""
        ended = 0
        for session in self.api("GET", "sessions"):
            if session["id"] in self.kept:
                continue
            if notebook is None or session.get("path") == notebook:
                try:
                    self.api("DELETE", f"sessions/{session['id']}")
                except urllib.error.HTTPError as exc:
                    if exc.code != 404:  # 404: it ended meanwhile
                        raise
                ended += 1
        return ended

    def log_tail(self, lines: int = 25) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@pytest.fixture(scope="session")
@one_worker  # every test that opens a notebook in it runs in one worker: one server per run
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    base = tmp_path_factory.mktemp("lab")
    root = base / "served"
    shutil.copytree(ROOT / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    config = base / "config"
    settings = config / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False, "doNotDisturbMode": True}))
    port = free_port()
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--ServerApp.root_dir={root}",
               "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    env = {**os.environ, "JUPYTER_PREFER_ENV_PATH": "1", "MPLBACKEND": "Agg"}
    with serving(command, base, port, env=env, deadline_s=90) as server:  # its config: base/config, above
        yield Lab(url=server.base, token=server.token, root=root, log=server.log)


@pytest.fixture(scope="session")
def browser(chromium: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, tmp_path: Path) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


START_HERE = "00-start-here.ipynb"
START_HERE_VIEWPORT = {"width": 1400, "height": 1000}


@pytest.fixture(scope="session")
def start_here_run(lab, browser) -> Iterator[object]:
    """00-start-here run all once in Lab, in a page and on a kernel kept for the whole run (each Run All costs a
    kernel and Lab's rendering, about 5 CPU-seconds): the page the tests of `start_here` share. Its session is
    one that ``Lab.end_sessions`` spares. It uses ``lab``, so its tests all run in the Lab tests' worker."""
    context = browser.new_context(viewport=START_HERE_VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        open_and_run_all(page, lab, START_HERE)
        session = page.evaluate("() => window.t40Notebook.sessionContext.session.id")
        lab.kept.add(session)
        yield page
        lab.kept.discard(session)
    finally:
        context.close()


@pytest.fixture
def start_here(start_here_run):
    """The page of ``start_here_run``, at its first size, with the explorer's cell (timeline.timeline_explorer())
    run again, so that each test meets the explorer as a student does after Run All: on its first event, all
    phases, not zoomed, not playing, at the normal speed, whatever the test before did."""
    page = start_here_run
    page.set_viewport_size(START_HERE_VIEWPORT)
    # a Play left running by the test before (its timer lives in the widget's model, which outlives the view)
    page.evaluate("() => document.querySelectorAll('.t40-timeline button.t40-stop').forEach(b => b.click())")
    index = page.evaluate("""() => window.t40Notebook.content.widgets.findIndex(
        c => c.model.type === 'code' && c.model.sharedModel.getSource().includes('timeline_explorer('))""")
    assert index >= 0, f"{START_HERE} has no cell that calls timeline.timeline_explorer()"
    before = page.evaluate("i => window.t40Notebook.content.widgets[i].model.executionCount", index)
    page.evaluate("""i => { const w = window.t40Notebook;
        window.jupyterapp.shell.activateById(w.id); w.content.activeCellIndex = i; w.content.deselectAll();
        window.jupyterapp.commands.execute('notebook:run-cell'); }""", index)
    page.wait_for_function("""([i, before]) => { const w = window.t40Notebook;
        const n = w.content.widgets[i].model.executionCount;
        return n !== null && n !== before && w.sessionContext.session.kernel.status === 'idle'; }""",
                           arg=[index, before], timeout=60_000, polling=100)
    page.wait_for_function("() => document.querySelectorAll('.t40-timeline').length === 1 && (document.querySelector("
                           "'.t40-timeline .t40-card')?.innerText || '').startsWith('Event 1 of')", timeout=30_000)
    return page


RUN_ALL_STATE = """() => {
    const w = window.t40Notebook || window.jupyterapp.shell.currentWidget;
    const kernel = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
    const cells = w && w.content ? w.content.widgets.filter(c => c.model.type === 'code') : [];
    const errors = [];
    cells.forEach((c, i) => {
        for (let j = 0; j < c.model.outputs.length; j++) {
            const o = c.model.outputs.get(j).toJSON();
            if (o.output_type === 'error') errors.push(`code cell ${i + 1}: ${o.ename}: ${o.evalue}`);
        }
    });
    return {
        widget: w ? w.title.label : null,
        kernel: kernel ? `${kernel.connectionStatus}/${kernel.status}` : 'none',
        runAll: window.t40RunAll === undefined ? 'not started' : window.t40RunAll,
        pending: cells.map((c, i) => c.model.executionCount === null
            ? `${i + 1}: ${c.model.sharedModel.getSource().split('\\n')[0]}` : null).filter(x => x),
        errors: errors,
        dialogs: Array.from(document.querySelectorAll('.jp-Dialog')).map(d => d.innerText.slice(0, 200)),
    };
}"""


def open_and_run_all(page, lab: Lab, notebook: str, timeout_ms: int = 90_000) -> None:
    """Open a notebook in Lab on a fresh kernel, wait until it is connected and idle, then run all cells and wait
    until Lab says the run finished and the kernel is idle. On a timeout or a failed run the error names what was
    left: the cells that never ran, error outputs, Lab's dialogs, the kernel's state and the server's last lines."""
    lab.end_sessions()
    page.goto(lab.tree(notebook))
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=timeout_ms, polling=250)
    kernel_ready = """(path) => {
        const w = window.jupyterapp.shell.currentWidget;
        const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
        const ready = w && w.context && w.context.path === path && w.context.isReady
            && k && k.connectionStatus === 'connected' && k.status === 'idle';
        if (ready) window.t40Notebook = w;  // the waits below read this notebook, whatever has the focus then
        return ready;
    }"""
    # The first kernel of a fresh environment (a CI clone) can take well over a minute on a busy machine; as
    # long under `make test WORKERS=2`, where this runs at nice 10 beside the sandbox tests.
    wait_ms = max(timeout_ms, 240_000)
    try:
        page.wait_for_function(kernel_ready, arg=notebook, timeout=wait_ms, polling=250)
        # Start Run All without awaiting it (page.evaluate has no timeout, and the promise never settles if Lab
        # shows a dialog); its outcome lands in window.t40RunAll, which the wait below, with a timeout, reads.
        page.evaluate("""() => {
            window.t40RunAll = 'running';
            // cleared first, so that a cell that never runs shows no count (the files keep their saved ones)
            // and the errors reported are this run's
            window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs');
            window.jupyterapp.commands.execute('notebook:run-all-cells').then(
                ok => { window.t40RunAll = ok ? 'done' : 'failed'; },
                e => { window.t40RunAll = 'error: ' + e; });
        }""")
        page.wait_for_function(  # every 250 ms, not every frame: a long wait costs no CPU
            """() => window.t40RunAll !== 'running'
                && window.t40Notebook?.sessionContext?.session?.kernel?.status === 'idle'""",
            timeout=wait_ms, polling=250)
    except Exception as exc:  # a Playwright timeout: say what was left, not only that time ran out
        raise AssertionError(f"{notebook}: Run All did not finish ({type(exc).__name__}).\n"
                             f"{run_all_report(page, lab)}") from exc
    state = page.evaluate(RUN_ALL_STATE)
    if state["runAll"] != "done" or state["pending"] or state["errors"]:
        raise AssertionError(f"{notebook}: Run All did not run every cell cleanly.\n{run_all_report(page, lab)}")


def run_all_report(page, lab: Lab) -> str:
    """What a Run All left behind, for an error message; a screenshot of the page goes to test-artifacts/."""
    try:
        state = json.dumps(page.evaluate(RUN_ALL_STATE), indent=1)
    except Exception as exc:  # the page itself may be gone
        state = f"(could not read the page: {exc})"
    with contextlib.suppress(Exception):
        screenshot(page, "failed-run-all")
    return f"Lab's state: {state}\nThe server's last lines:\n{lab.log_tail()}"


def screenshot(page, name: str) -> Path:
    """Save a screenshot under test-artifacts/ (kept by CI as an artifact) and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


@contextlib.contextmanager
def make_app(target: str, *variables: str, log_path: Path | None = None) -> Iterator[str]:
    """``make <target> PORT=<free port> <variables>`` (a Voila app on 127.0.0.1) until the block ends; yields its
    address once it answers. Stopped by its process group."""
    port = free_port()
    env = {**os.environ, "DISPLAY": "", "WAYLAND_DISPLAY": ""}
    env.pop("TROTSKY1940_RESULTS", None)
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115 - closed below
    proc = subprocess.Popen(["make", "--no-print-directory", target, *variables, f"PORT={port}"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"make {target} exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                time.sleep(0.3)
        else:
            raise TimeoutError(f"make {target}: Voila did not answer within 90 s")
        yield url
    finally:
        stop_group(proc)
        if log_path:
            log.close()


@pytest.fixture(scope="session")
@one_worker
def present_url() -> Iterator[str]:
    """`make present` (the projector app, a Voila server on 127.0.0.1), started once for the tests of
    test_present.py (which loads it once and checks it at each size, with axe-core and from the keyboard)."""
    with make_app("present") as url:
        yield url
