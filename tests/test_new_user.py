"""A first-time user's path, end to end: clone the repository (its committed HEAD: commit before running this),
follow the README's two commands, and run every notebook and exercise from the clone with no network (the
nbval runs of `make notebooks` and `make exercises` go through tests/offline, so each notebook runs once).

`make lab` runs for real (it creates the environment from scratch and must answer within 90 s). Of
`make test`, the clone runs the parts that check the new environment (ruff, nbval over the notebooks and the
exercise references) rather than the whole suite again, which would run this test inside itself.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys

import pytest

from .helpers import ROOT, free_port, stop_group, wait_for_status
from .test_notebooks import offline_prefix

pytestmark = pytest.mark.slow


def run(command: list[str], cwd, timeout: int = 900, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, **kwargs)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    return result


def test_new_user_follows_the_readme(tmp_path):
    if not (ROOT / ".git").exists() or not shutil.which("git"):
        pytest.skip("needs a git checkout to clone")
    clone = tmp_path / "trotsky1940"
    run(["git", "clone", "--quiet", str(ROOT), str(clone)], cwd=tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTEST", "JUPYTER"))}
    env.update(DISPLAY="", WAYLAND_DISPLAY="", PATH=os.environ["PATH"])

    # 1. make lab: creates .venv from nothing and serves JupyterLab on localhost with a token
    port, token = free_port(), secrets.token_hex(16)
    proc = subprocess.Popen(["make", "--no-print-directory", "lab", f"PORT={port}"], cwd=clone,
                            env={**env, "JUPYTER_TOKEN": token}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for_status(f"http://127.0.0.1:{port}/api/status", token, proc, deadline_s=600)
    finally:
        stop_group(proc)
    assert (clone / ".venv" / "bin" / "jupyter").exists()
    assert subprocess.run(["make", "-q", "venv"], cwd=clone, env=env).returncode == 0, "a second make lab reinstalls"

    # 2. make test, the parts that check the fresh environment: ruff, and nbval over the notebooks and the exercise
    #    references, which `make` runs through tests/offline (no network): every one of them runs once, offline
    result = run(["make", "--no-print-directory", "lint", "notebooks", "exercises"], cwd=clone, env=env)
    # (under CI=true, tests/offline fails the run when it cannot make a network namespace)
    assert "running with the network" not in result.stderr or offline_prefix() is None

    # 3. the teacher notebooks too run from the clone with no network
    python = str(clone / ".venv" / "bin" / "python")
    notebooks = sorted(str(p.relative_to(clone)) for p in (clone / "teachers").glob("*.ipynb"))
    command = f"{python} -m trotsky1940 execute {' '.join(notebooks)}"
    result = run([str(clone / "tests" / "offline"), "sh", "-c", command], cwd=clone, env=env)
    assert result.stdout.count(": ran in") == len(notebooks) >= 2
    assert sys.executable not in result.stdout
