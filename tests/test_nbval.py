"""The narrative notebooks and the exercise references under nbval, exactly as `make notebooks` and
`make exercises` run them: through tests/offline, so that their one run of each notebook per `make test` is also
the offline test (issue 15: each notebook executed once per run).

`make test` runs them from here, inside the unit suite, rather than as steps before it: pytest-xdist then runs
them beside the other tests instead of leaving the second core idle while they run. `make notebooks` and
`make exercises` still run them on their own.
"""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from .helpers import ROOT

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("target", ["notebooks", "exercises"])
def test_every_notebook_passes_nbval_offline(target):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}  # a session of its own
    env.update(PY_COLORS="0", NO_COLOR="1")  # a plain summary line to read
    result = subprocess.run(["make", "--no-print-directory", target], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=1800)
    report = result.stdout[-6000:] + result.stderr[-3000:]
    assert result.returncode == 0, f"make {target} failed:\n{report}"
    summary = re.search(r"=+ (\d+) passed(?:, [^=]*)? in [\d.]+s", result.stdout)
    assert summary and int(summary.group(1)) > 0, report
    assert not re.search(r"\d+ (failed|error)", result.stdout), report
    # (under CI=true, tests/offline fails the run when it cannot make a network namespace)
