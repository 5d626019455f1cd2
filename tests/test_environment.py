"""environment.yml (what Binder builds) and requirements.txt (what `make` installs) must pin the same packages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!-]+)$")


def normalise(name: str) -> str:
    """PEP 503 name normalisation: 'PyYAML' and 'pyyaml', 'jupyter_server' and 'jupyter-server' are one."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_pins(lines: list[str], where: str) -> dict[str, str]:
    """Read 'name==version' lines into {normalised name: version}; anything looser is an error."""
    pins: dict[str, str] = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-r "):
            continue
        match = PIN.match(line)
        if not match:
            raise ValueError(f"{where}: {line!r} is not pinned exactly as name==version")
        name = normalise(match.group(1))
        if name in pins:
            raise ValueError(f"{where}: {name} is listed twice")
        pins[name] = match.group(2)
    return pins


def environment_pins(text: str) -> dict[str, str]:
    """The pip: section of an environment.yml."""
    env = yaml.safe_load(text)
    pip_sections = [d["pip"] for d in env.get("dependencies", []) if isinstance(d, dict) and "pip" in d]
    if len(pip_sections) != 1:
        raise ValueError("environment.yml: expected exactly one pip: section")
    return parse_pins(pip_sections[0], "environment.yml")


def disagreements(env_text: str, req_text: str) -> list[str]:
    """Human-readable differences between the two pin sets (empty when they agree)."""
    env = environment_pins(env_text)
    req = parse_pins(req_text.splitlines(), "requirements.txt")
    problems = []
    for name in sorted(set(env) | set(req)):
        if name not in req:
            problems.append(f"{name}=={env[name]} is in environment.yml but not in requirements.txt")
        elif name not in env:
            problems.append(f"{name}=={req[name]} is in requirements.txt but not in environment.yml")
        elif env[name] != req[name]:
            problems.append(f"{name}: environment.yml pins {env[name]}, requirements.txt pins {req[name]}")
    return problems


ENV_TEXT = (ROOT / "environment.yml").read_text(encoding="utf-8")
REQ_TEXT = (ROOT / "requirements.txt").read_text(encoding="utf-8")


def test_environment_and_requirements_agree():
    assert disagreements(ENV_TEXT, REQ_TEXT) == []


def test_core_dependencies_are_pinned():
    pins = environment_pins(ENV_TEXT)
    for name in ("jupyterlab", "ipywidgets", "matplotlib", "nbval", "ipykernel"):
        assert name in pins, f"{name} must be pinned in environment.yml"


def test_a_pin_changed_on_one_side_is_caught():
    changed = ENV_TEXT.replace("matplotlib==3.10.8", "matplotlib==3.10.7")
    assert changed != ENV_TEXT
    assert disagreements(changed, REQ_TEXT) == [
        "matplotlib: environment.yml pins 3.10.7, requirements.txt pins 3.10.8"
    ]


def test_a_package_missing_on_one_side_is_caught():
    assert disagreements(ENV_TEXT, REQ_TEXT.replace("nbval==0.11.0\n", "")) == [
        "nbval==0.11.0 is in environment.yml but not in requirements.txt"
    ]
    extra = REQ_TEXT + "PyYAML==6.0.4\n"
    assert disagreements(ENV_TEXT, extra) == ["pyyaml==6.0.4 is in requirements.txt but not in environment.yml"]


def test_a_loose_pin_is_refused():
    with pytest.raises(ValueError, match="not pinned exactly"):
        disagreements(ENV_TEXT.replace("nbval==0.11.0", "nbval>=0.11"), REQ_TEXT)


def test_test_tools_stay_out_of_the_student_environment():
    student = set(environment_pins(ENV_TEXT))
    test_only = parse_pins((ROOT / "requirements-test.txt").read_text().splitlines(), "requirements-test.txt")
    assert "-r requirements.txt" in (ROOT / "requirements-test.txt").read_text()
    for tool in ("ruff", "frictionless", "playwright", "pytest-playwright"):
        assert tool not in student
    assert "ruff" in test_only


def test_binder_python_satisfies_the_package():
    env = yaml.safe_load(ENV_TEXT)
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    major, minor = (int(x) for x in python.split("=")[1].split(".")[:2])
    pyproject = (ROOT / "pyproject.toml").read_text()
    required = re.search(r'requires-python = ">=(\d+)\.(\d+)"', pyproject)
    assert required and (major, minor) >= (int(required.group(1)), int(required.group(2)))


def test_binder_installs_the_package_after_the_environment():
    post_build = ROOT / "postBuild"
    assert post_build.stat().st_mode & 0o111, "postBuild must be executable"
    assert "pip install --no-deps --editable ." in post_build.read_text()
