"""The narrative notebooks: shape (header, key points, further reading, links), clean committed outputs,
thin code cells, citations that resolve, and a clean run with no network.

nbval (``make notebooks``) re-runs them too; this file checks what nbval does not.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from .conftest import in_ci
from .helpers import ROOT

NOTEBOOK_DIR = ROOT / "notebooks"
EXPECTED = ["00-start-here", "01-background", "02-the-two-attempts", "03-the-attack", "04-aftermath"]
VIOLENT = {"02-the-two-attempts", "03-the-attack", "04-aftermath"}
MACHINE_PATH = re.compile(r"(/root|/home|/tmp|/work|/Users|[A-Z]:\\\\)[/\\]")
CITATION = re.compile(r"\[((?:B\d{2}|ART)(?:,\s*(?:B\d{2}|ART))*)\]")


def load(name: str) -> dict:
    return json.loads((NOTEBOOK_DIR / f"{name}.ipynb").read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    return "".join(cell["source"])


def markdown(nb: dict) -> str:
    return "\n".join(source(c) for c in nb["cells"] if c["cell_type"] == "markdown")


def code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def output_text(output: dict) -> str:
    parts = [output.get("text", ""), output.get("evalue", "")]
    for mime, value in output.get("data", {}).items():
        if mime.startswith("text/") or mime == "application/json":
            parts.append(value if isinstance(value, str) else "".join(value) if isinstance(value, list)
                         else json.dumps(value))
    return "".join(p if isinstance(p, str) else "".join(p) for p in parts)


def test_all_notebooks_are_there_in_reading_order():
    found = sorted(p.stem for p in NOTEBOOK_DIR.glob("*.ipynb"))
    assert found == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_header(name):
    first = source(load(name)["cells"][0])
    assert first.startswith("# "), "the first cell is the title"
    for part in ("What you'll learn", "Time needed", "Before you start"):
        assert part in first, f"{name}: the header needs '{part}'"
    objectives = re.search(r"What you'll learn\**\s*\n((?:\s*[-*] .+\n?)+)", first)
    assert objectives and 3 <= len(re.findall(r"^\s*[-*] ", objectives.group(1), re.M)) <= 5
    assert re.search(r"Time needed:?\**:?\s*about \d+ minutes", first)
    if name in VIOLENT or name == "00-start-here":
        assert "Content note" in first, f"{name} needs a content note in its header"


@pytest.mark.parametrize("name", EXPECTED)
def test_ending_and_links(name):
    nb = load(name)
    text = markdown(nb)
    assert "## Key points" in text and "## Further reading" in text
    key_points = text.split("## Key points", 1)[1].split("##", 1)[0]
    assert 3 <= len(re.findall(r"^\s*[-*] ", key_points, re.M)) <= 6
    last = source(nb["cells"][-1])
    assert "Next" in last or "Previous" in last, "the last cell links to the next or previous notebook"
    for target in re.findall(r"\]\(([^)#]+\.ipynb)", text):
        assert (NOTEBOOK_DIR / target).is_file(), f"{name}: link to missing {target}"
    if name != "00-start-here":
        assert "Think about it" in text


@pytest.mark.parametrize("name", EXPECTED)
def test_committed_outputs_are_clean_and_in_order(name):
    nb = load(name)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    counts = []
    for cell in code_cells(nb):
        assert source(cell).strip(), f"{name}: empty code cell"
        assert cell["execution_count"] is not None, f"{name}: a code cell was not run before committing"
        counts.append(cell["execution_count"])
        if not source(cell).startswith("from trotsky1940 import"):
            assert cell["outputs"], f"{name}: cell {source(cell)[:40]!r} has no output"
        for output in cell["outputs"]:
            assert output["output_type"] != "error", f"{name}: error output {output.get('ename')}"
            assert output.get("name") != "stderr", f"{name}: stderr output {output.get('text')!r}"
            assert not MACHINE_PATH.search(output_text(output)), f"{name}: a machine path in an output"
    assert counts == list(range(1, len(counts) + 1)), f"{name}: run top to bottom in one fresh kernel"


@pytest.mark.parametrize("name", EXPECTED)
def test_code_cells_are_thin_calls_into_the_package(name):
    for cell in code_cells(load(name)):
        lines = [ln for ln in source(cell).splitlines() if ln.strip() and not ln.strip().startswith("#")]
        assert len(lines) <= 2, f"{name}: code cell too long, move the logic into the package: {lines}"
        for line in lines:
            if line.startswith(("import ", "from ")):
                assert line.startswith("from trotsky1940 import"), f"{name}: import only from the package"
            assert not re.search(r"\b(1[89]\d\d|20[0-2]\d)\b", line) or re.search(r"chart\(|event_table\(", line), \
                f"{name}: a date typed into code: {line}"


@pytest.mark.parametrize("name", EXPECTED)
def test_citations_resolve_and_are_listed_in_further_reading(name, evidence):
    nb = load(name)
    cited = {i.strip() for group in CITATION.findall(markdown(nb)) for i in group.split(",")}
    reading = [c for c in code_cells(nb) if "further_reading(" in source(c)]
    assert reading, f"{name}: no further_reading(...) cell"
    listed = set(re.findall(r'"(B\d{2}|ART)"', source(reading[-1])))
    assert cited, f"{name}: no inline citations"
    assert cited <= set(evidence.sources_by_id), f"{name}: unknown ids {cited - set(evidence.sources_by_id)}"
    assert cited <= listed, f"{name}: cited but not in further reading: {sorted(cited - listed)}"


@pytest.mark.parametrize("name", EXPECTED)
def test_ice_axe_never_ice_pick_except_to_correct_it(name):
    text = markdown(load(name)).lower()
    for match in re.finditer(r"ice[ -]pick", text):
        window = text[max(0, match.start() - 120): match.end() + 120]
        assert re.search(r"\bnot\b|myth|wrong|mistake|correct", window), f"{name}: 'ice pick' left uncorrected"


@pytest.mark.parametrize("name", sorted(VIOLENT))
def test_chapters_show_their_disputes(name, evidence):
    nb = load(name)
    checks = [re.search(r'source_check\("(D\d{2})"\)', source(c)) for c in code_cells(nb)]
    ids = {m.group(1) for m in checks if m}
    assert ids, f"{name}: a chapter about disputed events needs at least one source check"
    assert ids <= set(evidence.disputes_by_id)


def offline_prefix() -> list[str] | None:
    """A command prefix that runs a program in a new network namespace with only loopback up."""
    if not shutil.which("unshare") or not shutil.which("ip"):
        return None
    base = ["unshare", "--net"] if os.geteuid() == 0 else ["unshare", "--net", "--map-root-user"]
    probe = subprocess.run(base + ["ip", "link", "set", "lo", "up"], capture_output=True)
    return base if probe.returncode == 0 else None


OFFLINE = ROOT / "tests" / "offline"


def test_the_nbval_runs_of_make_test_are_offline():
    """`make notebooks` and `make exercises` run nbval through tests/offline, so their one run of each notebook is
    also the offline test (issue 15: each notebook executed once per run, not four times)."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("notebooks", "exercises"):
        recipe = re.search(rf"^{target}:.*?\n((?:\t.*\n|  .*\n)+)", makefile, re.M).group(1)
        assert "tests/offline $(BIN)/python -m pytest" in recipe and "--nbval" in recipe, target


def test_the_offline_wrapper_cuts_the_network_and_keeps_loopback():
    if offline_prefix() is None:
        message = "cannot make a network namespace here (needs unshare and ip, as root or with user namespaces)"
        if in_ci():
            pytest.fail("CI=true: " + message)
        pytest.skip(message)
    probe = ("import socket, urllib.request as u\n"
             "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); print('loopback', s.getsockname()[1])\n"
             "try:\n u.urlopen('http://pypi.org', timeout=3); print('NETWORK REACHABLE')\n"
             "except OSError: print('no network')")
    result = subprocess.run([str(OFFLINE), sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "no network" in result.stdout and "loopback" in result.stdout, result.stdout + result.stderr
