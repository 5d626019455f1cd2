"""What a student's file browser shows (issue 12, item 1): in `make lab` and on Binder the module's Jupyter server
settings (etc/jupyter/jupyter_server_config.json) hide exercises/reference/ (model answers) and exercises/keys/
(answer hashes).

This is concealment, not protection: the files are still on disk, and a student who knows the path can open
them. Real servers, on free loopback ports, are asked for their listing and stopped by their PID: `make lab`
itself, and the server as Binder starts it (through ./start, which repo2docker runs it with).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator

import pytest

from .helpers import ROOT, free_port, get_json, stop_group, wait_for_status

CONFIG = ROOT / "etc" / "jupyter" / "jupyter_server_config.json"


def test_the_settings_hide_the_answers_and_keep_jupyters_own_hidden_files():
    from jupyter_server.services.contents.manager import ContentsManager

    globs = json.loads(CONFIG.read_text(encoding="utf-8"))["ContentsManager"]["hide_globs"]
    assert set(ContentsManager().hide_globs) <= set(globs)  # extending Jupyter's own list, not replacing it
    assert {"reference", "keys"} <= set(globs)


@contextlib.contextmanager
def running(command: list[str], env: dict[str, str], token: str, port: int) -> Iterator[str]:
    """The server ``command`` starts, until the block ends; yields its address once it answers."""
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_status(f"{base}/api/status", token, proc, deadline_s=120)
        yield base
    finally:
        stop_group(proc)


def listing(command: list[str], env: dict[str, str], token: str, port: int) -> set[str]:
    """The names the server lists in exercises/."""
    with running(command, env, token, port) as base:
        status, found = get_json(f"{base}/api/contents/exercises", token)
        assert status == 200
        return {entry["name"] for entry in found["content"]}


@pytest.fixture
def server_env(tmp_path):
    token = secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt"),
           "JUPYTER_TOKEN": token, "DISPLAY": "", "WAYLAND_DISPLAY": ""}
    env.pop("JUPYTER_CONFIG_PATH", None)
    return env, token


@pytest.mark.slow
def test_make_lab_lists_no_reference_or_key_folder(server_env):
    env, token = server_env
    port = free_port()
    names = listing(["make", "--no-print-directory", "lab", f"PORT={port}"], env, token, port)
    assert "01-background.ipynb" in names and "README.md" in names
    assert not names & {"reference", "keys"}, names
    assert (ROOT / "exercises" / "keys" / "01-background.json").exists()  # the self-check still reads the keys


def binder_command(port: int, start: bool = True) -> list[str]:
    """JupyterLab as repo2docker starts it: through the repository's ./start script."""
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--ServerApp.root_dir={ROOT}"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    return ["./start", *command] if start else command


@pytest.mark.slow
def test_the_server_as_binder_starts_it_lists_no_reference_or_key_folder(server_env):
    env, token = server_env
    port = free_port()
    names = listing(binder_command(port), env, token, port)
    assert "01-background.ipynb" in names and not names & {"reference", "keys"}, names
    port = free_port()  # the same server without ./start lists them: it is the settings that hide them
    assert {"reference", "keys"} <= listing(binder_command(port, start=False), env, token, port)
