"""A first-time user's path, end to end: clone the repository (its committed HEAD: commit before running this)
and follow the README's commands from nothing.

`make lab` runs for real: it creates the environment from scratch (installing may take minutes on a slow mirror)
and must then answer, and what it installed must be exactly the student lock (the lock reproduces the
environment). `make lint`, the first step of `make test`, then installs the test environment on top, which must
be exactly the test lock. The teacher notebooks run from the clone with no network.

The narrative notebooks and the exercise references are not run again here: `make test` runs each of them once,
offline (tests/test_nbval.py runs `make notebooks` and `make exercises`), in an environment that
test_environment.py proves is the same lock this fresh one is proved to be. Running the whole `make test` in the
clone would run this test inside itself.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from trotsky1940.authoring import lock

from .conftest import serving
from .helpers import ROOT, free_port
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
    port = free_port()
    with serving(["make", "--no-print-directory", "lab", f"PORT={port}"], tmp_path / "server", port, cwd=clone,
                 env=env, deadline_s=600):
        pass
    assert (clone / ".venv" / "bin" / "jupyter").exists()
    assert subprocess.run(["make", "-q", "venv"], cwd=clone, env=env).returncode == 0, "a second make lab reinstalls"

    python = str(clone / ".venv" / "bin" / "python")
    assert installed(python) == locked(clone / "requirements.txt", python), "make lab did not install the lock"
    # with bytecode: a grading sandbox cannot write __pycache__, and would compile its imports for every submission
    site_packages = next((clone / ".venv" / "lib").glob("python3*/site-packages"))
    assert list((site_packages / "matplotlib" / "__pycache__").glob("pyplot.*.pyc")), "make lab wrote no bytecode"

    # 2. make test's first step, in the clone: ruff, after installing the test environment, which is the test lock
    run(["make", "--no-print-directory", "lint"], cwd=clone, env=env)
    assert installed(python) == locked(clone / "requirements-test.txt", python), "make lint did not install the lock"

    # 3. the teacher notebooks run from the clone with no network (under CI=true, tests/offline fails the run
    #    when it cannot make a network namespace)
    notebooks = sorted(str(p.relative_to(clone)) for p in (clone / "teachers").glob("*.ipynb"))
    command = f"{python} -m trotsky1940 execute {' '.join(notebooks)}"
    result = run([str(clone / "tests" / "offline"), "sh", "-c", command], cwd=clone, env=env)
    assert result.stdout.count(": ran in") == len(notebooks) >= 2
    assert "running with the network" not in result.stderr or offline_prefix() is None
    assert sys.executable not in result.stdout


def installed(python: str) -> dict[str, str]:
    """Every distribution in the environment of ``python``, by normalised name, but pip and the package itself."""
    code = ("import importlib.metadata as m, json; "
            "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))")
    found = json.loads(run([python, "-c", code], cwd=Path(python).parents[2]).stdout)  # the clone
    return {lock.normalise(name): version for name, version in found.items()
            if lock.normalise(name) not in ("pip", "setuptools", "wheel", "trotsky1940")}


def locked(path, python: str) -> dict[str, str]:
    """What the lock file at ``path`` pins for the Python and platform of ``python``."""
    code = "import json; from packaging.markers import default_environment as d; print(json.dumps(d()))"
    markers = json.loads(run([python, "-c", code], cwd=Path(python).parents[2]).stdout)
    return {p.name: p.version for p in lock.read_lock(path.read_text(encoding="utf-8"), path.name)
            if lock.applies(p, markers)}
