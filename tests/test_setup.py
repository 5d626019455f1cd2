"""The two commands of the README work, are idempotent, and CI runs exactly the README's test command."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from .helpers import ROOT, get_json

README = (ROOT / "README.md").read_text(encoding="utf-8")


def readme_commands() -> list[str]:
    """The commands of the README's quick-start block (the first ```bash block)."""
    block = re.search(r"```(?:bash|sh)\n(.*?)```", README, re.S)
    assert block, "README.md needs a ```bash block with the two commands near the top"
    return [line.strip() for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]


def test_readme_gives_the_two_commands_first():
    assert readme_commands() == ["make lab", "make test"]
    assert README.index("make lab") < 1500, "the two commands belong at the top of the README"


def test_ci_runs_the_readme_test_command():
    script = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", script, re.M), ".ci/run must run the README's test command"
    assert "chromium" in script and "apt-get update" in script
    assert script.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in script


def test_environment_is_up_to_date_so_a_second_run_installs_nothing():
    # `make -q` exits 0 only when the target is up to date: a second `make test` or `make lab` reinstalls nothing.
    for target in ("venv", "venv-test"):
        result = subprocess.run(["make", "-q", target], cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 0, f"`make {target}` would rebuild an up-to-date environment"


def test_changing_a_pin_makes_the_environment_out_of_date(tmp_path):
    # The other half of idempotence: an edited requirements file is noticed.
    result = subprocess.run(["make", "-q", "-W", "requirements.txt", "venv"], cwd=ROOT, capture_output=True)
    assert result.returncode == 1


def test_the_package_is_importable_from_the_environment():
    result = subprocess.run([sys.executable, "-c", "import trotsky1940, sys; print(trotsky1940.__file__)"],
                            capture_output=True, text=True, cwd="/")
    assert result.returncode == 0, result.stderr
    assert str(ROOT / "src" / "trotsky1940") in result.stdout


@pytest.mark.slow
def test_make_lab_serves_jupyterlab_on_localhost_with_a_token(make_lab):
    assert make_lab.took < 90
    status, _ = get_json(f"{make_lab.base}/api/contents/notebooks", token=None)
    assert status == 403, "without the token the server must refuse"
    status, listing = get_json(f"{make_lab.base}/api/contents/notebooks", token=make_lab.token)
    assert status == 200
    assert "00-start-here.ipynb" in {item["name"] for item in listing["content"]}
    assert make_lab.base.removeprefix("http://") in make_lab.output()  # it printed where it listens
