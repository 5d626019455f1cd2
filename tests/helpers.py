"""Small helpers shared by the tests: free loopback ports, waiting for a server, stopping by PID."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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
