"""Where the module's files are: the repository root and its ``data/`` folder."""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "TROTSKY1940_DATA"


def data_dir() -> Path:
    """Return the folder that holds ``datapackage.json``.

    Looked up in this order: the folder named by the environment variable ``TROTSKY1940_DATA``; the
    ``data/`` folder of the repository this package was installed from (an editable install, as
    ``make lab`` and Binder do); the ``data/`` folder of the current folder or of any folder above it.
    """
    override = os.environ.get(ENV_VAR)
    if override:
        path = Path(override).expanduser()
        if not (path / "datapackage.json").is_file():
            raise FileNotFoundError(f"{ENV_VAR}={override!r}, but that folder has no datapackage.json")
        return path
    candidates = [Path(__file__).resolve().parents[2] / "data"]
    here = Path.cwd().resolve()
    candidates += [folder / "data" for folder in (here, *here.parents)]
    for path in candidates:
        if (path / "datapackage.json").is_file():
            return path
    raise FileNotFoundError(
        "Could not find the module's data folder (data/datapackage.json). Run the notebooks from a clone "
        f"of the repository, install the package with `pip install -e .`, or set {ENV_VAR}."
    )


def repo_root() -> Path:
    """Return the repository root (the folder above ``data/``)."""
    return data_dir().parent
