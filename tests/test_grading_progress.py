"""What a teacher sees while grading runs (a live bar on a terminal, one line per file in a log, nothing with
--quiet), and the examples and exit codes every command's --help ends with."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from trotsky1940.__main__ import VERBS
from trotsky1940.grading import core, progress

from .helpers import ROOT
from .test_grading import perfect

REFERENCE = ROOT / "exercises" / "reference" / "01-background.ipynb"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def result(label: str, graded: bool, status: str) -> core.Result:
    return core.Result(submission=label, status=status, graded=graded, seconds=1.25,
                       scores={"q1": 1, "q2": 1} if graded else {})


class Item:
    def __init__(self, label):
        self.label = label


def test_plain_lines_when_the_output_is_not_a_terminal():
    out = io.StringIO()
    shown = progress.Progress(3, stream=out)
    shown.start(Item("class/a.ipynb"))
    shown.finish(result("class/a.ipynb", True, "graded"))
    shown.finish(result("class/\x1b[31mb.ipynb", False, "empty file"))
    shown.finish(result("class/c.ipynb", True, "graded"))
    shown.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("[1/3] class/a.ipynb: graded 2 points (1.2 s; 0:00 elapsed, about 0:00 left)")
    assert lines[1].startswith("[2/3] class/b.ipynb: NOT GRADED: empty file")
    assert lines[1].endswith("; 1 not graded so far)") and "\x1b" not in out.getvalue()
    assert lines[2].startswith("[3/3] class/c.ipynb: graded") and "left" not in lines[2]


def test_a_live_bar_on_a_terminal():
    out = Terminal()
    shown = progress.Progress(2, stream=out)
    shown.start(Item("class/a.ipynb"))
    shown.finish(result("class/a.ipynb", False, "a FIFO (named pipe), not read"))
    shown.start(Item("class/b.ipynb"))
    shown.finish(result("class/b.ipynb", True, "graded"))
    shown.close()
    text = out.getvalue()
    assert "\r" in text and "grading: 2/2" in text and "elapsed" in text and "left" in text
    assert "not graded: class/a.ipynb: a FIFO (named pipe), not read" in text
    assert "class/b.ipynb" in text and "1 not graded" in text


def test_quiet_shows_nothing():
    for stream in (io.StringIO(), Terminal()):
        shown = progress.Progress(1, stream=stream, quiet=True)
        shown.start(Item("a"))
        shown.finish(result("a", False, "empty file"))
        shown.close()
        assert stream.getvalue() == ""


@pytest.fixture(scope="module")
def small_class(tmp_path_factory):
    folder = tmp_path_factory.mktemp("progress") / "class"
    folder.mkdir()
    nbformat.write(perfect(), folder / "a-perfect.ipynb")
    (folder / "b-empty.ipynb").write_text("")
    return folder


def grade_command(folder: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "trotsky1940", "grade", str(REFERENCE), str(folder), "--out", str(out), *extra]


@pytest.mark.slow
@pytest.mark.sandbox
def test_grade_prints_a_line_per_file_into_a_pipe_and_nothing_with_quiet(small_class, tmp_path):
    piped = subprocess.run(grade_command(small_class, tmp_path / "o1"), capture_output=True, text=True, timeout=300)
    assert piped.returncode == 1, piped.stderr
    lines = [line for line in piped.stdout.splitlines() if line.startswith("[")]
    # numbered as they finish (two workers: either file may be done first)
    assert [line.split(" ")[0] for line in lines] == ["[1/2]", "[2/2]"]
    by_file = {line.split(" ")[1].rstrip(":"): line for line in lines}
    assert sorted(by_file) == ["class/a-perfect.ipynb", "class/b-empty.ipynb"]
    assert "graded 7 points" in by_file["class/a-perfect.ipynb"]
    assert "NOT GRADED: empty file" in by_file["class/b-empty.ipynb"]
    quiet = subprocess.run(grade_command(small_class, tmp_path / "o2", "--quiet"), capture_output=True, text=True,
                           timeout=300)
    assert quiet.returncode == 1 and quiet.stdout == ""
    assert (tmp_path / "o2" / "gradebook.csv").exists()


@pytest.mark.slow
@pytest.mark.sandbox
def test_grade_shows_a_live_bar_on_a_terminal(small_class, tmp_path):
    leader, follower = pty.openpty()
    proc = subprocess.Popen(grade_command(small_class, tmp_path / "o"), stdout=follower, stderr=follower,
                            stdin=subprocess.DEVNULL, env={**os.environ, "COLUMNS": "140"})
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 120)
        if not ready:
            break
        try:
            data = os.read(leader, 65536)
        except OSError:  # the terminal closed: the program ended
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(leader)
    text = b"".join(chunks).decode(errors="replace")
    assert proc.returncode == 1
    assert re.search(r"\rgrading:[^\r]*2/2", text), text  # the bar redraws itself in place
    assert "not graded: class/b-empty.ipynb: empty file" in text


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_every_verb_ends_its_help_with_examples_and_exit_codes(verb):
    shown = subprocess.run([sys.executable, "-m", "trotsky1940", verb, "--help"], capture_output=True, text=True,
                           timeout=60)
    assert shown.returncode == 0
    tail = shown.stdout.split("options:")[-1]
    assert "Examples:" in tail and "Exit code" in tail
    assert tail.count("python -m trotsky1940 " + verb) >= 2
