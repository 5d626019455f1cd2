"""A small pytest plugin for grading with nbval: it records each cell's tags and outcome, and can delete the
notebook under test as soon as nbval has read it.

Enabled with ``-p trotsky1940.nbval_tags``. Options:

- ``--t40-results FILE``: append one JSON line per cell: ``{"record": {"cell": n, "tags": [...],
  "outcome": ...}, "mac": ...}``, signed with the key in ``TROTSKY1940_RESULT_KEY`` (taken out of the
  environment before the kernel starts, so student code cannot forge a record). Results are keyed on cell
  tags, never on nbval's item names ("Cell N"), which change between releases.
- ``--t40-unlink``: delete the collected notebook files once collection ends, so code running in the
  kernel cannot read the expected outputs they hold.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path

import pytest

KEY_ENV = "TROTSKY1940_RESULT_KEY"
_KEY: dict[str, bytes] = {}


def sign(record: dict, key: bytes) -> str:
    body = json.dumps(record, sort_keys=True)
    return json.dumps({"record": record, "mac": hmac.new(key, body.encode(), hashlib.sha256).hexdigest()})


def read_results(path: str | Path, key: str) -> list[dict]:
    """The records of a results file whose signature is right; anything else (written by someone without the
    key, such as student code running as the grader's user) is ignored."""
    records = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
            body = json.dumps(entry["record"], sort_keys=True)
            expected = hmac.new(key.encode(), body.encode(), hashlib.sha256).hexdigest()
        except (ValueError, KeyError, TypeError):
            continue
        if hmac.compare_digest(expected, str(entry.get("mac", ""))):
            records.append(entry["record"])
    return records


def pytest_configure(config):
    # Take the signing key out of the environment before nbval starts the kernel, which inherits it.
    key = os.environ.pop(KEY_ENV, None)
    if key:
        _KEY["key"] = key.encode()


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
        line = sign(record, _KEY["key"]) if "key" in _KEY else json.dumps({"record": record, "mac": ""})
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
