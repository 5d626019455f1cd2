"""What a student's file browser shows (issue 12, item 1): in `make lab` and on Binder the module's Jupyter server
settings (etc/jupyter/jupyter_server_config.json) hide exercises/reference/ (model answers) and exercises/keys/
(answer hashes).

This is concealment, not protection: the files are still on disk, and a student who knows the path can open
them. Real servers, on free loopback ports, are asked for their listing (tests/conftest.py starts them once per
run and stops them by their PID): `make lab` itself, and the server as Binder starts it (through ./start, which
repo2docker runs it with).
"""

from __future__ import annotations

import json

import pytest

from .helpers import ROOT, get_json

CONFIG = ROOT / "etc" / "jupyter" / "jupyter_server_config.json"


def test_the_settings_hide_the_answers_and_keep_jupyters_own_hidden_files():
    from jupyter_server.services.contents.manager import ContentsManager

    globs = json.loads(CONFIG.read_text(encoding="utf-8"))["ContentsManager"]["hide_globs"]
    assert set(ContentsManager().hide_globs) <= set(globs)  # extending Jupyter's own list, not replacing it
    assert {"reference", "keys"} <= set(globs)


def listing(server) -> set[str]:
    """The names the server lists in exercises/."""
    status, found = get_json(f"{server.base}/api/contents/exercises", server.token)
    assert status == 200
    return {entry["name"] for entry in found["content"]}


@pytest.mark.slow
def test_make_lab_lists_no_reference_or_key_folder(make_lab):
    names = listing(make_lab)
    assert "01-background.ipynb" in names and "README.md" in names
    assert not names & {"reference", "keys"}, names
    assert (ROOT / "exercises" / "keys" / "01-background.json").exists()  # the self-check still reads the keys


@pytest.mark.slow
def test_the_server_as_binder_starts_it_lists_no_reference_or_key_folder(binder):
    names = listing(binder["start"])
    assert "01-background.ipynb" in names and not names & {"reference", "keys"}, names
    # the same server without ./start lists them: it is the settings that hide them
    assert {"reference", "keys"} <= listing(binder["plain"])
