"""A small pytest plugin for grading with nbval: it records each cell's tags and outcome, and can delete the
notebook under test as soon as nbval has read it.

Enabled with ``-p trotsky1940.nbval_tags``. Options:

- ``--t40-results FILE``: append one JSON line per cell: ``{"cell": n, "tags": [...], "outcome": ...}``.
  Results are keyed on cell tags, never on nbval's item names ("Cell N"), which change between releases.
- ``--t40-unlink``: delete the collected notebook files once collection ends, so code running in the
  kernel cannot read the expected outputs they hold.
"""

from __future__ import annotations

import json
import os

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("trotsky1940")
    group.addoption("--t40-results", default=None, help="file to append per-cell JSON results to")
    group.addoption("--t40-unlink", action="store_true", help="delete the notebooks once collected")


def pytest_collection_finish(session):
    if not session.config.getoption("--t40-unlink"):
        return
    for path in {str(item.fspath) for item in session.items}:
        if path.endswith(".ipynb") and os.path.exists(path):
            os.unlink(path)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    target = item.config.getoption("--t40-results")
    cell = getattr(item, "cell", None)
    if not target or cell is None:
        return
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        record = {
            "cell": getattr(item, "cell_num", None),
            "tags": list(cell.get("metadata", {}).get("tags", [])),
            "outcome": report.outcome,
            "message": str(report.longrepr)[-600:] if report.failed else "",
        }
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
