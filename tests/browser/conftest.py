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
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
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

    def tree(self, path: str) -> str:
        return f"{self.url}/lab/tree/{path}?token={self.token}"


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
        yield Lab(url=server.base, token=server.token, root=root)


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


def open_and_run_all(page, lab: Lab, notebook: str, timeout_ms: int = 90_000) -> None:
    """Open a notebook in Lab, wait for a connected idle kernel, then run all cells and wait until idle."""
    page.goto(lab.tree(notebook))
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=timeout_ms, polling=250)
    kernel_ready = """() => {
        const w = window.jupyterapp.shell.currentWidget;
        const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
        return k && k.connectionStatus === 'connected' && k.status === 'idle';
    }"""
    # The first kernel of a fresh environment (a CI clone) can take well over a minute on a busy machine.
    page.wait_for_function(kernel_ready, timeout=max(timeout_ms, 240_000), polling=250)
    # Start Run All without awaiting its promise: page.evaluate has no timeout, and the promise never settles
    # if Lab shows a dialog. The wait below, which has a timeout, decides.
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    page.wait_for_function(
        """() => {
            const w = window.jupyterapp.shell.currentWidget;
            const cells = w.content.widgets.filter(c => c.model.type === 'code');
            return cells.length && cells.every(c => c.model.executionCount !== null)
                && w.sessionContext.session.kernel.status === 'idle';
        }""",
        # every 250 ms, not every frame: a long wait costs no CPU. As long as the kernel's wait: under
        # `make test WORKERS=2` this runs at nice 10 beside the sandbox tests, which can take both cores a while
        timeout=max(timeout_ms, 240_000), polling=250,
    )


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
    test_present.py and the accessibility check of test_accessibility.py."""
    with make_app("present") as url:
        yield url
