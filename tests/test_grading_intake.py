"""The grader's intake and output hygiene, without running any kernel: what is found, what is read, what is
written, and the canonical forms of honest answers."""

from __future__ import annotations

import decimal
import fractions
import json
import os
from pathlib import Path

import nbformat
import numpy
import pytest

from trotsky1940 import exercises
from trotsky1940.grading import intake, report

from .test_grading import perfect


def write_nb(path: Path) -> Path:
    path.write_text(nbformat.writes(perfect()), encoding="utf-8")
    return path


def statuses(items) -> dict[str, tuple[bool, str]]:
    return {item.label: (item.path is not None and not item.archive, item.status or item.note) for item in items}


def test_collect_finds_every_hand_in_and_reads_through_nothing(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    write_nb(folder / "a.ipynb")
    write_nb(folder / "B.IPYNB")
    write_nb(folder / "c.ipynb.json")
    os.symlink(folder / "a.ipynb", folder / "link.ipynb")
    os.mkfifo(folder / "pipe.ipynb")
    (folder / "dir.ipynb").mkdir()
    (folder / "work.zip").write_bytes(b"PK")
    (folder / "essay.docx").write_bytes(b"x")
    (folder / ".DS_Store").write_bytes(b"x")
    (folder / "sub" / ".ipynb_checkpoints").mkdir(parents=True)
    write_nb(folder / "sub" / ".ipynb_checkpoints" / "lost-checkpoint.ipynb")
    write_nb(folder / "sub" / ".ipynb_checkpoints" / "kept-checkpoint.ipynb")
    write_nb(folder / "sub" / "kept.ipynb")
    os.symlink(tmp_path, folder / "linked-folder")
    found = statuses(intake.collect([folder]))
    assert found == {
        "class/B.IPYNB": (True, "file name ends in another case of .ipynb"),
        "class/a.ipynb": (True, ""),
        "class/c.ipynb.json": (True, "file name ends in .ipynb.json (a browser added .json)"),
        "class/dir.ipynb": (False, "a folder named like a notebook, not a notebook file"),
        "class/essay.docx": (False, "not a notebook file (.docx): hand in the .ipynb file"),
        "class/link.ipynb": (False, "a symbolic link to a file, not followed: hand in the file itself"),
        "class/linked-folder": (False, "a symbolic link to a folder, not followed: hand in the file itself"),
        "class/pipe.ipynb": (False, "a FIFO (named pipe), not read: hand in the notebook file itself"),
        "class/sub/.ipynb_checkpoints/lost-checkpoint.ipynb": (True, found["class/sub/.ipynb_checkpoints/"
                                                                           "lost-checkpoint.ipynb"][1]),
        "class/sub/kept.ipynb": (True, ""),
        "class/work.zip": (False, "a zip archive, not opened: unzip it and grade the folder inside"),
    }
    assert "only a JupyterLab checkpoint copy" in found["class/sub/.ipynb_checkpoints/lost-checkpoint.ipynb"][1]


def test_a_missing_argument_gets_a_row(tmp_path):
    [item] = intake.collect([tmp_path / "nope.ipynb"])
    assert item.path is None and item.status == "no such file"


def test_reading_is_capped_and_never_blocks(tmp_path):
    big = tmp_path / "big.ipynb"
    big.write_bytes(b" " * 2000)
    with pytest.raises(intake.NotANotebook, match="too large"):
        intake.read_capped(big, 1000)
    os.mkfifo(tmp_path / "fifo.ipynb")
    with pytest.raises(intake.NotANotebook, match="not a regular file"):
        intake.read_capped(tmp_path / "fifo.ipynb", 1000)  # returns at once: opened non-blocking
    os.symlink("/dev/zero", tmp_path / "zero.ipynb")
    with pytest.raises(intake.NotANotebook, match="cannot be read"):
        intake.read_capped(tmp_path / "zero.ipynb", 1000)  # not followed


@pytest.mark.parametrize("raw, message", [
    (b"", "empty file"),
    (b"\xff\xfe\x00", "not UTF-8"),
    (b'{"cells": [', "invalid JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "nested"),
    (b'{"cells": ' + b"[" * 70 + b"]" * 70 + b', "nbformat": 4}', "nested more"),
    (b'{"cells": {}, "nbformat": 4}', "without a list of cells"),
    (b'{"cells": [], "nbformat": 3}', "notebook format 3"),
    (b'{"cells": [], "nbformat": true}', "notebook format True"),
    (b'{"cells": [], "nbformat": 4, "metadata": []}', "metadata is not an object"),
    (b'{"cells": [1], "nbformat": 4}', "cell 0 is not an object"),
    (b'{"cells": [{"cell_type": "exec"}], "nbformat": 4}', "unknown cell type"),
    (b'{"cells": [{"cell_type": "code", "source": 5}], "nbformat": 4}', "the source of cell 0 must be text"),
    (b'{"cells": [{"cell_type": "code", "source": "", "metadata": {"tags": null}}], "nbformat": 4}',
     "the tags of cell 0"),
    (b'{"cells": [{"cell_type": "code", "source": "", "metadata": {"tags": [1]}}], "nbformat": 4}',
     "the tags of cell 0"),
    (b'{"cells": [{"cell_type": "code", "source": "", "id": 7}], "nbformat": 4}', "the id of cell 0"),
    (b'{"cells": [{"cell_type": "code", "source": "", "outputs": {}}], "nbformat": 4}', "the outputs of cell 0"),
])
def test_parse_rejects_with_a_reason(raw, message):
    with pytest.raises(intake.NotANotebook, match=message):
        intake.parse(raw)


def test_parse_keeps_what_grading_uses_and_repairs_unicode():
    data = json.loads(nbformat.writes(perfect()))
    code = next(i for i, c in enumerate(data["cells"]) if c["cell_type"] == "code")
    data["cells"][code]["source"] = ["print(1)\n", "x = '\ud800'"]
    data["cells"][code]["outputs"] = [
        {"output_type": "display_data", "data": {"text/html": "<b>x</b>"}, "metadata": {}},
        {"output_type": "stream", "name": "stderr", "text": "noise"},
        {"output_type": "stream", "name": "stdout", "text": ["huge\ud800", 5], "extra": 1},
        {"output_type": "stream", "name": "stdout", "text": "huge" * 1000}]
    raw = json.dumps(data).encode()
    nb = intake.parse(raw)
    assert nb.cells[code].source == "print(1)\nx = '\ufffd'"
    # only the start of what the cell printed is kept (to explain a "Right." that scored nothing), never a score
    assert nb.cells[code].outputs == [{"output_type": "stream", "name": "stdout", "text": ("huge" * 1000)[:2000]}]
    nbformat.writes(nb).encode("utf-8")  # writable as UTF-8
    assert [c.metadata.get("tags") for c in nb.cells] == [c.get("metadata", {}).get("tags", [])
                                                          for c in data["cells"]]


def test_output_names_are_safe_unique_and_bounded():
    names = {report.output_name(label, raw) for label, raw in [
        ("class/a b.ipynb", b"class/a b.ipynb"), ("class/a_b.ipynb", b"class/a_b.ipynb"),
        ("x" * 300, b"x" * 300), ("../../etc/passwd", b"../../etc/passwd"), ("\x1b[31m", b"\x1b[31m"),
        ("", b""), ("é.ipynb", "é.ipynb".encode())]}
    assert len(names) == 7
    for name in names:
        assert len(name) <= report.MAX_NAME + 9 and "/" not in name and not name.startswith(".")
        assert name.isascii() and all(c.isalnum() or c in "._-" for c in name)


def test_clean_text_strips_terminal_and_bidi_controls():
    assert report.clean_line("a\x1b[31mb\x07c\u202ed\nnext") == "abcd next"
    assert report.clean_line("\x1b]0;title\x07x\x1b[2J\x1bcy") == "xy"  # whole escape sequences go
    assert report.clean_text("line\r\nline\ttab\x00") == "line\nline    tab"


@pytest.mark.parametrize("value, cell", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'=1"),
    ("plain", "plain"), (3, 3), ("", ""),
])
def test_csv_cells_never_start_a_formula(value, cell):
    assert report.csv_cell(value) == cell


def test_student_text_in_markdown_does_not_render():
    block = report.md_block("<script>alert(1)</script>\n```\n# heading\n````")
    fence = block.split("\n", 1)[0][: -len("text")]
    assert len(fence) == 5 and block.endswith("\n" + fence)
    inline = report.md_inline("<b>*x*</b> [a](b)")
    assert "<b>" not in inline and "\\<b\\>" in inline and "\\[a\\]" in inline
    assert report.md_inline("see https://evil.example or www.evil.example") == \
        "see https:\\/\\/evil.example or www\\.evil.example"
    assert report.md_inline("Exercises 1-7.zip, 2026-12-01") == "Exercises 1-7.zip, 2026-12-01"  # readable as text


def test_out_may_not_overlap_submissions(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    assert report.check_out_folder(subs, [subs])
    assert report.check_out_folder(subs / "results", [subs])
    assert report.check_out_folder(tmp_path, [subs])
    assert report.check_out_folder(tmp_path / "results", [subs]) == ""


def test_archive_previous_moves_old_results_aside(tmp_path):
    (tmp_path / "feedback").mkdir()
    (tmp_path / "feedback" / "old.md").write_text("old")
    (tmp_path / "gradebook.csv").write_text("old")
    moved = report.archive_previous(tmp_path)
    assert moved is not None and (moved / "feedback" / "old.md").read_text() == "old"
    assert not (tmp_path / "gradebook.csv").exists() and report.archive_previous(tmp_path) is None


@pytest.mark.parametrize("value, text", [
    (numpy.int64(1929), "1929"), (numpy.int32(57), "57"), (numpy.float64(8.0), "8"), (numpy.float32(0.5), "0.5"),
    (1234567.5, "1234567.5"), (0.98765, "0.99"), (19.7, "19.7"), (-0.001, "0"), (1e20, "100000000000000000000"),
    (fractions.Fraction(1, 3), "0.33"), (decimal.Decimal("2.50"), "2.5"), (numpy.bool_(True), "True"),
    (numpy.array([3, 1]), "3,1"), ([numpy.int64(1), 2.0], "1,2"),
])
def test_canonical_forms_of_honest_answers(value, text):
    assert exercises.canonical(value) == text
    assert exercises.canonical(text) == text


def test_an_unexpected_failure_on_one_file_becomes_its_status(tmp_path, monkeypatch):
    from trotsky1940.grading import core

    grader = core.Grader(core.paths.repo_root() / "exercises" / "reference" / "01-background.ipynb",
                         core.Settings(use_sandbox=False, workers=1))
    try:
        def boom(_notebook):
            raise KeyError("\x1b[31msurprise")

        monkeypatch.setattr(grader, "extract_answers", boom)
        [item] = intake.collect([write_nb(tmp_path / "a.ipynb")])
        result = grader.grade_item(item)
        assert not result.graded and result.scores == {}
        assert result.status.startswith("could not be graded: internal error KeyError") and "\x1b" not in result.status
    finally:
        grader.close()


def test_a_notebook_of_another_exercise_says_which_one_it_is(tmp_path):
    from trotsky1940.authoring.build_exercises import build_student
    from trotsky1940.grading import core

    other = nbformat.read(core.paths.repo_root() / "exercises" / "reference" / "02-the-two-attempts.ipynb",
                          as_version=4)
    path = tmp_path / "mine.ipynb"
    nbformat.write(build_student(other, "02-the-two-attempts"), path)
    grader = core.Grader(core.paths.repo_root() / "exercises" / "reference" / "01-background.ipynb",
                         core.Settings(use_sandbox=False, workers=1))
    try:
        [item] = intake.collect([path])
        result = grader.grade_item(item)
    finally:
        grader.close()
    assert not result.graded
    assert result.status == ("wrong exercise: this is Exercises 2 (02-the-two-attempts), not Exercises 1 "
                             "(01-background); grade it against exercises/reference/02-the-two-attempts.ipynb")
    assert result.kind == "wrong exercise" and result.scores == {}


def test_another_exercise_is_known_by_its_cells_when_its_metadata_is_gone():
    """A student who copied the cells into a new notebook (no trotsky1940 metadata) is still told which
    exercise it is, from the ids of its answer cells; a notebook that shares no cell id with any exercise is
    left to grading (its answers are found by their tags)."""
    from trotsky1940.authoring.build_exercises import build_student
    from trotsky1940.grading import core

    root = core.paths.repo_root() / "exercises" / "reference"
    grader = core.Grader(root / "01-background.ipynb", core.Settings(use_sandbox=False, workers=1))
    try:
        other = build_student(nbformat.read(root / "02-the-two-attempts.ipynb", as_version=4), "02-the-two-attempts")
        other.metadata = {}
        assert grader.which_exercise(other) == "02-the-two-attempts"
        mine = build_student(nbformat.read(root / "01-background.ipynb", as_version=4), "01-background")
        mine.metadata = {}
        assert grader.which_exercise(mine) == "01-background"
        for cell in mine.cells:
            cell.id = f"x{id(cell)}"[:12]
        assert grader.which_exercise(mine) == ""
        assert grader.siblings["02-the-two-attempts"][0] == "Exercises 2"
    finally:
        grader.close()
