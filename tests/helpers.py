"""Small helpers shared by the tests: free loopback ports, waiting for a server, stopping by PID, and breaking
a scratch copy of data/ one cell at a time."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from trotsky1940 import data

ROOT = Path(__file__).resolve().parents[1]


def one_worker(fixture_function):
    """Mark a costly module- or session-scoped fixture (under ``@pytest.fixture``): under pytest-xdist, every test
    that uses it runs in the same worker, so it is made once (per value of the parametrized fixtures it takes)
    rather than once in each worker. tests/conftest.py turns the mark into xdist groups, keyed by the module that
    defines the fixture (a conftest's fixture is one group for all the modules that use it)."""
    fixture_function._t40_one_worker = True
    return fixture_function


def group_name(fixture: str, values: list[str]) -> str:
    """The pytest-xdist group of the tests that use a ``one_worker`` fixture (with these parameter values). It
    never ends in "]": xdist takes a node id whose last "]" comes after its last "@" for a parametrized test with
    no group, and would spread the group's tests over the workers (each then making the fixture again)."""
    return fixture + (f"({','.join(values)})" if values else "")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str, token: str | None = None, timeout: float = 5) -> tuple[int, object]:
    """GET a URL; return (status, parsed JSON or None). Never raises for HTTP errors."""
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, None


def wait_for_status(url: str, token: str, proc: subprocess.Popen, deadline_s: float) -> float:
    """Poll a Jupyter server's /api/status until it answers 200; return the seconds it took."""
    start = time.monotonic()
    while time.monotonic() - start < deadline_s:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode} before answering")
        try:
            status, _ = get_json(url, token, timeout=2)
            if status == 200:
                return time.monotonic() - start
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {deadline_s} s")


def stop_group(proc: subprocess.Popen, timeout: float = 10) -> None:
    """Stop a process started with start_new_session=True, and everything it started, by its PID."""
    if proc.poll() is not None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=timeout)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_for_http(url: str, proc: subprocess.Popen, deadline_s: float) -> float:
    """Poll a URL until it answers (any HTTP status); return the seconds it took."""
    start = time.monotonic()
    while time.monotonic() - start < deadline_s:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode} before answering")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return time.monotonic() - start
        except urllib.error.HTTPError:
            return time.monotonic() - start
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {deadline_s} s")


# ------------------------------------------------------------------------------------------------
# breaking a scratch copy of data/ (tests/test_data.py, tests/test_documents.py)


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """The header and the data rows of a CSV file."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def write_rows(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """Write a CSV file the way data/ stores them (UTF-8, LF line ends)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *rows])
    path.write_text(buffer.getvalue(), encoding="utf-8")


def set_cell(folder: Path, file: str, index: int, column: str, value: str) -> tuple[str, int]:
    """Set one cell of data row ``index`` (0-based) of ``folder/file``; return that row's id and its line number."""
    header, rows = read_rows(folder / file)
    rows[index][header.index(column)] = value
    write_rows(folder / file, header, rows)
    return rows[index][0], index + 2


def expect_error(folder: Path, file: str, *, line: int | None, column: str | None, words: str,
                 load: Callable[[Path], object] = data.load) -> data.DataError:
    """Assert that ``load(folder)`` refuses the copy with a DataError that names ``file``, ``line`` and ``column``
    (in that order, file first in the message) and contains ``words``; return the error."""
    with pytest.raises(data.DataError) as info:
        load(folder)
    err = info.value
    assert err.file == file, str(err)
    assert err.line == line, str(err)
    assert err.column == column, str(err)
    assert words in str(err), str(err)
    assert str(err).startswith(file), "the message must start with the file name"
    return err
