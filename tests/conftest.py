"""Shared fixtures: the validated data set, a scratch copy of data/, and the browser policy."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from trotsky1940 import data

from .helpers import ROOT

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
