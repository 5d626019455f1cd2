"""The signed cell records that grading's nbval plugin writes and the grader reads back.

:mod:`trotsky1940.grading.nbval_plugin` (in the nbval sandbox) signs one JSON line per cell with the key it finds
in ``TROTSKY1940_RESULT_KEY``; :mod:`trotsky1940.grading.core` (the grader) keeps only the lines whose signature
is right. Kept apart from the plugin so that the grader does not import pytest to read them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path

KEY_ENV = "TROTSKY1940_RESULT_KEY"


def sign(record: dict, key: bytes) -> str:
    body = json.dumps(record, sort_keys=True)
    return json.dumps({"record": record, "mac": hmac.new(key, body.encode(), hashlib.sha256).hexdigest()})


def read_results(path: str | Path, key: str, max_bytes: int = 4 * 1024**2) -> list[dict]:
    """The records of a results file whose signature is right; anything else is ignored. The file is opened
    without following a symbolic link, and at most ``max_bytes`` of it are read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return []
    with os.fdopen(fd, "rb") as handle:
        text = handle.read(max_bytes).decode("utf-8", "replace")
    records = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
            body = json.dumps(entry["record"], sort_keys=True)
            expected = hmac.new(key.encode(), body.encode(), hashlib.sha256).hexdigest()
        except (ValueError, KeyError, TypeError, RecursionError):
            continue
        if hmac.compare_digest(expected, str(entry.get("mac", ""))):
            records.append(entry["record"])
    return records
