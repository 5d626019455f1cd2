"""One full lock (issue 15, item 1): requirements.txt and requirements-test.txt pin every package (made by
`make lock` from the .in files); environment.yml (what Binder builds) is exactly what the lock makes; the two locks
agree; the environment the tests run in holds the versions the lock names; the declared dependencies match the
package's imports; there is a console script."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

import pytest
import yaml

from trotsky1940.authoring import lock

ROOT = Path(__file__).resolve().parents[1]
LOCK = (ROOT / "requirements.txt").read_text(encoding="utf-8")
TEST_LOCK = (ROOT / "requirements-test.txt").read_text(encoding="utf-8")
ENV_TEXT = (ROOT / "environment.yml").read_text(encoding="utf-8")

if sys.version_info >= (3, 11):
    import tomllib

    PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
else:  # pragma: no cover - Python 3.10 has no tomllib
    PYPROJECT = None


def pins(text: str, where: str) -> dict[tuple[str, str], str]:
    return {(p.name, p.marker): p.version for p in lock.read_lock(text, where)}


def test_environment_yml_is_what_the_lock_makes():
    assert ENV_TEXT == lock.environment_yml(LOCK), "environment.yml is stale: run `make lock`"
    env = yaml.safe_load(ENV_TEXT)
    (pip,) = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    assert [p.line for p in lock.read_lock(LOCK)] == pip  # YAML reads back every pin, markers included


def test_the_locks_pin_every_package_exactly_and_agree():
    student, test = pins(LOCK, "requirements.txt"), pins(TEST_LOCK, "requirements-test.txt")
    assert len(student) > 100  # the whole tree, not only the direct choices
    assert {k: v for k, v in test.items() if k in student} == student  # the test lock contains the student's
    for name in ("jupyter-server", "nbconvert", "nbclient", "tornado", "pyzmq", "pillow", "mistune", "nbformat"):
        assert any(n == name for n, _ in student), f"{name} floats: it is not in the lock"
    for tool in ("ruff", "frictionless", "playwright", "pytest"):
        assert any(n == tool for n, _ in test)
    for tool in ("ruff", "frictionless", "playwright"):
        assert not any(n == tool for n, _ in student), f"{tool} is a test tool, not a student's"


def test_the_direct_choices_of_the_in_files_are_the_locked_versions():
    for source, text in (("requirements.in", LOCK), ("requirements-test.in", TEST_LOCK)):
        locked = {p.name: p.version for p in lock.read_lock(text) if not p.marker}
        for pin in lock.read_lock((ROOT / source).read_text(encoding="utf-8"), source):
            assert locked.get(pin.name) == pin.version, f"{source}: {pin.line} is not what the lock holds"


def test_a_loose_or_broken_line_is_refused_with_its_file_and_line():
    with pytest.raises(lock.LockProblem, match=r"requirements.txt, line 2: 'nbval>=0.11'"):
        lock.read_lock("anyio==4.16.0\nnbval>=0.11\n")
    changed = LOCK.replace("matplotlib==3.10.8", "matplotlib==3.10.7")
    assert changed != LOCK and lock.environment_yml(changed) != ENV_TEXT


def test_this_environment_is_the_lock():
    """What pip installed from requirements-test.txt is exactly what it names, for this Python and platform."""
    wanted = {p.name: p.version for p in lock.read_lock(TEST_LOCK) if lock.applies(p)}
    have = {lock.normalise(d.metadata["Name"]): d.version for d in importlib.metadata.distributions()}
    wrong = {name: (version, have.get(name)) for name, version in wanted.items() if have.get(name) != version}
    assert wrong == {}, "installed versions differ from the lock (run make venv-test): " + repr(wrong)
    extra = set(have) - set(wanted) - {"trotsky1940", "pip", "setuptools", "wheel"}
    assert extra == set(), f"installed but not locked: {sorted(extra)}"


def imports_of(paths) -> set[str]:
    """The top-level modules that these Python files import, less the standard library and the package itself."""
    found = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"trotsky1940"}


STUDENT_MODULES = ("data", "display", "charts", "timeline", "exercises", "answer_forms", "documents", "paths")
"""What the notebooks import: its imports must be in the base dependencies, not in an extra."""

DISTRIBUTION = {"PIL": "pillow", "zmq": "pyzmq", "IPython": "ipython", "yaml": "pyyaml", "packaging": "packaging",
                "xdist": "pytest-xdist"}


@pytest.mark.skipif(PYPROJECT is None, reason="reading pyproject.toml needs Python 3.11's tomllib")
def test_declared_dependencies_match_the_imports():
    project = PYPROJECT["project"]
    declared = {lock.normalise(re.split(r"[<>=!~; \[]", d)[0]) for d in project["dependencies"]}
    extras = {k: {lock.normalise(re.split(r"[<>=!~; \[]", d)[0]) for d in v}
              for k, v in project["optional-dependencies"].items()}
    everything = declared | extras["authoring"] | extras["grading"]
    package = ROOT / "src" / "trotsky1940"
    imported = {lock.normalise(DISTRIBUTION.get(m, m)) for m in imports_of(package.rglob("*.py"))}
    assert imported - everything == set(), "imported but not declared"
    assert everything - imported == set(), "declared but never imported"
    tests = {lock.normalise(DISTRIBUTION.get(m, m)) for m in imports_of((ROOT / "tests").rglob("*.py"))}
    assert tests - everything - extras["test"] == set(), "the tests import what no extra declares"
    # what a student's notebook imports is in the base; the rest only in its extra
    student = [package / f"{m}.py" for m in STUDENT_MODULES]
    notebook_side = {lock.normalise(DISTRIBUTION.get(m, m)) for m in imports_of(student)}
    assert notebook_side <= declared
    assert project["scripts"]["trotsky1940"] == "trotsky1940.__main__:main"


def test_binder_python_satisfies_the_package():
    env = yaml.safe_load(ENV_TEXT)
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    major, minor = (int(x) for x in python.split("=")[1].split(".")[:2])
    required = re.search(r'requires-python = ">=(\d+)\.(\d+)"', (ROOT / "pyproject.toml").read_text())
    assert required and (major, minor) >= (int(required.group(1)), int(required.group(2)))


def test_binder_installs_the_package_after_the_environment():
    post_build = ROOT / "postBuild"
    assert post_build.stat().st_mode & 0o111, "postBuild must be executable"
    assert "pip install --no-deps --editable ." in post_build.read_text()


def test_the_binder_image_can_grade_in_its_sandbox():
    """repo2docker installs apt.txt's Debian packages: without bubblewrap the image (and the Kubernetes shards that
    run on it) would refuse to grade (exit 2)."""
    packages = (ROOT / "apt.txt").read_text(encoding="utf-8").split()
    assert "bubblewrap" in packages
