"""Grading a class: adversarial submissions graded to the expected scores and statuses, in the sandbox.

One grading run (module-scoped) grades every case below at once, as a teacher would grade a folder.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from trotsky1940 import exercises
from trotsky1940.authoring.build_exercises import build_student, questions
from trotsky1940.grading import core as grading
from trotsky1940.grading import intake, nbval_plugin, sandbox

from .helpers import ROOT, one_worker

NAME = "01-background"
REFERENCE = ROOT / "exercises" / "reference" / f"{NAME}.ipynb"

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]


def reference():
    return nbformat.read(REFERENCE, as_version=4)


def qinfo():
    return questions(reference(), NAME)


def auto_ids():
    return [q for q, v in qinfo().items() if v["kind"] == "auto"]


def points(qid):
    return qinfo()[qid]["points"]


def student():
    return build_student(reference(), NAME)


def perfect():
    """The student notebook with the model answers typed in, as a strong student would hand it in."""
    nb, ref = student(), reference()
    for q in qinfo().values():
        nb.cells[q["answer_cell"]].source = ref.cells[q["answer_cell"]].source
    return nb


def answer_cell(nb, qid):
    return next(c for c in nb.cells if f"answer:{qid}" in c.metadata.get("tags", []))


def check_cell(nb, qid):
    return next(c for c in nb.cells if f"check:{qid}" in c.metadata.get("tags", []))


def cheat_source(qid: str) -> str:
    """Answer code that hunts the disk for the reference's model answer and runs it if it can read one."""
    return f"""
import glob, json, os
found = None
patterns = [os.environ.get("TROTSKY1940_DATA", ".") + "/../exercises/reference/*.ipynb", "/tmp/**/*.ipynb",
            "/work/**/*.ipynb", "/root/**/*.ipynb", os.getcwd() + "/**/*.ipynb"]
for pattern in patterns:
    for path in glob.glob(pattern, recursive=True):
        if "{NAME}" not in path:
            continue
        try:
            cells = json.load(open(path)).get("cells", [])
        except Exception:
            continue
        for cell in cells:
            source = "".join(cell.get("source", ""))
            if "answer:{qid}" in cell.get("metadata", {{}}).get("tags", []) and "..." not in source:
                found = source
if found:
    exec(found)
else:
    answer_{qid} = "no luck"
"""


def build_cases(folder: Path) -> dict[str, object]:
    """Write every adversarial submission into ``folder``; return {file name: expected outcome}."""
    ids = auto_ids()
    q1, q2, q3 = ids[0], ids[1], ids[2]
    full = sum(points(q) for q in ids)
    cases: dict[str, object] = {}

    def save(name, nb, expect):
        nbformat.write(nb, folder / name)
        cases[name] = expect

    save("perfect.ipynb", perfect(), {q: points(q) for q in ids})
    save("blank.ipynb", student(), dict.fromkeys(ids, 0))

    nb = perfect()
    answer_cell(nb, q1).source = f"answer_{q1} = 123456789"
    save("one-wrong.ipynb", nb, {**{q: points(q) for q in ids}, q1: 0})

    # a wrong answer, with the check cell rewritten to print what the reference prints, and its outputs copied
    nb, ref = perfect(), reference()
    answer_cell(nb, q1).source = f"answer_{q1} = 123456789"
    expected = check_cell(ref, q1).outputs
    check_cell(nb, q1).source = "print(" + repr("".join(o.get("text", "") for o in expected).rstrip("\n")) + ")"
    check_cell(nb, q1).outputs = copy.deepcopy(expected)
    save("edited-check-cell.ipynb", nb, {**{q: points(q) for q in ids}, q1: 0})

    nb = student()
    for qid in ids:
        check_cell(nb, qid).outputs = copy.deepcopy(check_cell(ref, qid).outputs)
    save("copied-outputs-only.ipynb", nb, dict.fromkeys(ids, 0))

    nb = perfect()
    nb.cells.remove(answer_cell(nb, q2))
    save("deleted-answer.ipynb", nb, {**{q: points(q) for q in ids}, q2: 0})

    nb = perfect()
    nb.cells.insert(3, nbformat.v4.new_code_cell("print('hello from an extra cell')"))
    nb.cells.append(nbformat.v4.new_code_cell(f"answer_{q1} = 'overwritten at the end'"))
    save("extra-cells.ipynb", nb, {q: points(q) for q in ids})

    nb = perfect()
    cell = answer_cell(nb, q3)
    first = copy.deepcopy(cell)
    first.source = f"partial_{q3} = 0  # split: the first half"
    first["id"] = "split-first-half"
    nb.cells.insert(nb.cells.index(cell), first)
    save("split-cells.ipynb", nb, {q: points(q) for q in ids})

    nb = perfect()
    for c in nb.cells:
        c.metadata.pop("tags", None)
    save("stripped-tags.ipynb", nb, {q: points(q) for q in ids})

    nb = perfect()
    merged = answer_cell(nb, q1)
    merged.source = merged.source + "\n" + check_cell(nb, q1).source
    nb.cells.remove(check_cell(nb, q1))
    save("merged-cells.ipynb", nb, {q: points(q) for q in ids})

    nb = perfect()
    answer_cell(nb, q1).source = cheat_source(q1)
    save("reads-answer-files.ipynb", nb, {**{q: points(q) for q in ids}, q1: 0})

    nb = perfect()
    answer_cell(nb, q1).source = "while True:\n    pass"
    save("infinite-loop.ipynb", nb, {**{q: points(q) for q in ids}, q1: 0})

    # a kernel slow to answer the interrupt that ends a cell over its limit (as on a busy machine, or one under its
    # CPU quota): the later questions are still graded (nbval alone waits 5 s, then stops the kernel)
    nb = perfect()
    answer_cell(nb, q1).source = ("import signal, time\n\ndef slow(signum, frame):\n    time.sleep(6)\n"
                                  "    raise KeyboardInterrupt\n\nsignal.signal(signal.SIGINT, slow)\n"
                                  "while True:\n    time.sleep(0.1)")
    save("slow-to-interrupt.ipynb", nb, {**{q: points(q) for q in ids}, q1: 0})

    nb = perfect()
    answer_cell(nb, q1).source = "data_hog = bytearray(8 * 1024**3)"
    save("out-of-memory.ipynb", nb, {**{q: points(q) for q in ids}, q1: 0})

    nb = perfect()
    answer_cell(nb, q1).source = "print('x' * 50_000_000)\n" + answer_cell(nb, q1).source
    save("enormous-output.ipynb", nb, {q: points(q) for q in ids})

    nb = perfect()
    answer_cell(nb, q2).source = "import subprocess\nleft_behind = subprocess.Popen(['sleep', '600'])\n" + \
        answer_cell(nb, q2).source
    save("leaves-a-process.ipynb", nb, {q: points(q) for q in ids})

    nb = perfect()
    answer_cell(nb, ids[-1]).source = "import os\nos._exit(3)"
    save("kernel-exits.ipynb", nb, {**{q: points(q) for q in ids}, ids[-1]: 0})

    (folder / "empty.ipynb").write_text("")
    cases["empty.ipynb"] = "empty file"
    text = nbformat.writes(perfect())
    (folder / "truncated.ipynb").write_text(text[: len(text) // 2])
    cases["truncated.ipynb"] = "invalid JSON"
    (folder / "essay.ipynb").write_text("Dear teacher, here is my answer: 1929.")
    cases["essay.ipynb"] = "invalid JSON"
    (folder / "not-a-notebook.ipynb").write_text(json.dumps({"answer": 1929}))
    cases["not-a-notebook.ipynb"] = "JSON without a list of cells"
    (folder / "old-format.ipynb").write_text(json.dumps({"nbformat": 3, "nbformat_minor": 0, "cells": [],
                                                         "worksheets": [], "metadata": {}}))
    cases["old-format.ipynb"] = "notebook format 3 is not supported"
    assert full > 0
    return cases


@pytest.fixture(scope="module")
@one_worker
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions") / "class-7b"
    folder.mkdir()
    cases = build_cases(folder)
    out = tmp_path_factory.mktemp("out")
    result = subprocess.run(
        [sys.executable, "-m", "trotsky1940", "grade", str(REFERENCE), str(folder), "--out", str(out),
         "--workers", "2", "--cell-timeout", "8", "--timeout", "120"],
        capture_output=True, text=True, timeout=900,
    )
    rows, feedback = {}, {}
    gradebook = out / "gradebook.csv"
    if gradebook.exists():
        with gradebook.open(encoding="utf-8") as handle:
            rows = {Path(r["submission"]).name: r for r in csv.DictReader(handle)}
        run = json.loads((out / "run.json").read_text())
        feedback = {Path(s["submission"]).name: out / s["feedback"] for s in run["submissions"]}
    return {"cases": cases, "rows": rows, "out": out, "result": result, "feedback": feedback}


def test_every_file_appears_and_the_exit_code_says_not_all_were_graded(graded):
    result = graded["result"]
    assert result.returncode == 1, result.stdout + result.stderr
    assert set(graded["rows"]) == set(graded["cases"])
    assert "network: none" in result.stdout and "sandbox: bubblewrap" in result.stdout


@pytest.mark.parametrize("name", ["blank.ipynb", "copied-outputs-only.ipynb"])
def test_a_notebook_with_no_answer_changed_is_not_attempted(graded, name):
    row = graded["rows"][name]
    assert row["status"].startswith("not attempted"), row
    assert row["total"] == "" and all(row[q] == "" for q in auto_ids())
    assert "not attempted" in graded["result"].stdout


@pytest.mark.parametrize("name", ["perfect.ipynb", "one-wrong.ipynb", "edited-check-cell.ipynb",
                                  "deleted-answer.ipynb", "extra-cells.ipynb",
                                  "split-cells.ipynb", "stripped-tags.ipynb", "merged-cells.ipynb",
                                  "reads-answer-files.ipynb", "infinite-loop.ipynb", "slow-to-interrupt.ipynb",
                                  "out-of-memory.ipynb",
                                  "enormous-output.ipynb", "leaves-a-process.ipynb", "kernel-exits.ipynb"])
def test_scores(graded, name):
    row, expected = graded["rows"][name], graded["cases"][name]
    assert row["status"].startswith("graded"), row
    got = {q: int(row[q]) for q in expected}
    assert got == expected, f"{name}: {row}"
    assert int(row["total"]) == sum(expected.values())
    assert int(row["max"]) == sum(points(q) for q in auto_ids())


@pytest.mark.parametrize("name", ["empty.ipynb", "truncated.ipynb", "essay.ipynb", "not-a-notebook.ipynb",
                                  "old-format.ipynb"])
def test_bad_files_get_a_row_that_says_what_happened(graded, name):
    row = graded["rows"][name]
    assert graded["cases"][name] in row["status"]
    assert row["total"] == "" and all(row[q] == "" for q in auto_ids())
    feedback = graded["feedback"][name].read_text()
    assert "could not be graded" in feedback


def test_feedback_files_give_scores_hints_and_reflections(graded):
    text = graded["feedback"]["one-wrong.ipynb"].read_text()
    q1 = auto_ids()[0]
    assert re.search(rf"\| {q1}: [^|]+ \| [^|]+ \| Not yet \| 0 / {points(q1)} \|", text), text
    assert qinfo()[q1]["hint"] in text
    reflection = [q for q, v in qinfo().items() if v["kind"] == "reflection"]
    if reflection:
        assert f"Your answer to {reflection[0]}" in text


def test_no_process_is_left_behind(graded):
    assert graded["rows"]["leaves-a-process.ipynb"]["status"] == "graded"
    left = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _uid(p) in
            range(sandbox.FIRST_UID, sandbox.FIRST_UID + 8)]
    assert left == []


def _uid(path: Path) -> int | None:
    try:
        return path.stat().st_uid
    except FileNotFoundError:
        return None


def test_the_file_hunting_cheat_works_without_the_sandbox(tmp_path):
    """Proof that the sandbox is what stops reads-answer-files.ipynb: without it the cheat scores."""
    nb = perfect()
    q1 = auto_ids()[0]
    answer_cell(nb, q1).source = cheat_source(q1)
    path = tmp_path / "cheat.ipynb"
    nbformat.write(nb, path)
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "trotsky1940", "grade", str(REFERENCE), str(path),
                             "--out", str(out), "--no-sandbox"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    with (out / "gradebook.csv").open() as handle:
        row = next(csv.DictReader(handle))
    assert int(row[q1]) == points(q1)


def test_a_failing_reference_stops_grading_and_writes_no_grades(tmp_path):
    broken = reference()
    qid = auto_ids()[0]
    answer_cell(broken, qid).source = f"answer_{qid} = 'not the model answer'"
    path = tmp_path / f"{NAME}.ipynb"
    nbformat.write(broken, path)
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "trotsky1940", "grade", str(path), str(REFERENCE),
                             "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert "does not pass its own checks" in result.stderr and qid in result.stderr
    assert "No grades were written" in result.stderr
    assert not (out / "gradebook.csv").exists()


def test_a_reference_in_the_wrong_format_is_refused(tmp_path):
    path = tmp_path / "plain.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), path)
    result = subprocess.run([sys.executable, "-m", "trotsky1940", "grade", str(path), str(REFERENCE),
                             "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "not in the exercise format" in result.stderr


def test_parse_messages():
    for raw, message in [(b"", "empty file"), (b"\xff\xfe", "not a notebook: the file is not UTF-8"),
                         (b"[1, 2]", "not a notebook: JSON without a list of cells")]:
        with pytest.raises(intake.NotANotebook, match=message):
            intake.parse(raw)
    nb = intake.parse(nbformat.writes(student()).encode())
    assert nb.cells and [c.cell_type for c in nb.cells] == [c.cell_type for c in student().cells]


def test_answers_are_found_by_tag_then_by_id():
    grader = grading.Grader(REFERENCE, grading.Settings(use_sandbox=False))
    try:
        nb = perfect()
        q1 = auto_ids()[0]
        cell = answer_cell(nb, q1)
        cell.metadata["tags"] = []
        answers = grader.extract_answers(nb)
        assert answers[q1] == reference().cells[qinfo()[q1]["answer_cell"]].source
        cell["id"] = "renamed"
        assert grader.extract_answers(nb)[q1] is None
    finally:
        grader.close()


def test_canonical_forms():
    assert exercises.canonical(1929) == "1929"
    assert exercises.canonical(88.0) == "88"
    assert exercises.canonical(0.98765) == "0.99"
    assert exercises.canonical(" b ") == "B"
    assert exercises.canonical(["c", "a", "b"]) == "C,A,B"
    assert exercises.canonical({"b", "a"}) == "A,B"
    assert exercises.canonical(True) == "True"
    assert exercises.canonical("The  Raid of May") == "the raid of may"
    assert exercises.canonical("c, b,d , a") == "C,B,D,A" == exercises.canonical(["C", "B", "D", "A"])
    assert exercises.canonical("false") == "False" == exercises.canonical(False)
    for value in (1929, 19.66, "B", ["c", "a"], "true", "The raid", {"b", "a"}):
        once = exercises.canonical(value)
        assert exercises.canonical(once) == once
    with pytest.raises(exercises.NoAnswer):
        exercises.canonical(...)


def test_forged_result_records_are_ignored(tmp_path):
    key = "k" * 64
    good = {"cell": 2, "tags": ["check:q1"], "outcome": "failed", "message": ""}
    forged = {"cell": 2, "tags": ["check:q1"], "outcome": "passed", "message": ""}
    path = tmp_path / "results.jsonl"
    path.write_text("\n".join([
        nbval_plugin.sign(good, key.encode()),
        json.dumps({"record": forged, "mac": ""}),
        nbval_plugin.sign(forged, b"a guessed key"),
        "not json at all",
    ]))
    assert nbval_plugin.read_results(path, key) == [good]


def test_the_sandbox_tests_share_one_worker(request):
    """Under `make unit` (pytest-xdist, --dist=loadgroup) every test marked ``sandbox`` runs in one worker, one
    after another: xdist names the group in the node id. If an upgrade of pytest or pytest-xdist stops that, this
    fails, rather than letting grading runs overlap and trip the leftover checks and time limits."""
    if not os.environ.get("PYTEST_XDIST_WORKER") or not getattr(request.config.option, "loadgroup", False):
        pytest.skip("only meaningful under pytest-xdist with --dist=loadgroup (make unit)")
    assert request.node.nodeid.endswith("@sandbox"), request.node.nodeid


def test_the_reference_gets_more_time_per_cell_than_a_submission():
    """The reference runs first, in a cold kernel, beside the class's first kernels: a busy machine must not
    stop a whole class over one slow chart. Submissions keep the limit the teacher set."""
    from trotsky1940.grading import core

    assert core.Settings(cell_timeout=8).cell_timeout_for(reference=False) == 8
    assert core.Settings(cell_timeout=8).cell_timeout_for(reference=True) == 30
    assert core.Settings(cell_timeout=60).cell_timeout_for(reference=True) == 120


def test_no_kernel_is_started_that_no_submission_needs(tmp_path, monkeypatch):
    """One submission, two workers: the reference and the submission need two kernels, and the warm pool starts
    no more, even when a slot is slow to start its first kernel while the reference already runs (the case
    that used to start a third). Counted from the grader's own kernel starts."""
    path = tmp_path / "one.ipynb"
    nbformat.write(perfect(), path)
    started: list[int] = []
    prepare = grading.Grader._prepare

    def slow_second_slot(self, slot):
        index = self._slots.index(slot)
        started.append(index)
        if index == 1 and started.count(1) == 1:
            time.sleep(2)  # slot 1's first kernel comes late: the reference (in slot 0) runs meanwhile
        return prepare(self, slot)

    monkeypatch.setattr(grading.Grader, "_prepare", slow_second_slot)
    grader = grading.Grader(REFERENCE, grading.Settings(workers=2, use_sandbox=False))
    try:
        items = intake.collect([path])
        grader.expect(len(items))
        reference_run = grader.start_reference_check()
        results = grader.grade(items)
        grader.reference_verdict(reference_run)
    finally:
        grader.close()
    assert [r.status for r in results] == ["graded"]
    assert sorted(started) == [0, 1], started  # one kernel per slot: the reference's and the submission's


def grade_in_process(reference: Path, inputs: list[Path], out: Path, monkeypatch, capsys,
                     failing_reference: bool = False) -> dict:
    """`grade` in this process without the sandbox, counting the kernels it starts and what nbval runs, in
    order (``failing_reference``: the reference's run reports a failed cell)."""
    import argparse

    from trotsky1940.grading import cli

    seen = {"kernels": 0, "runs": []}
    prepare, run_nbval = grading.Grader._prepare, grading.Grader.run_nbval

    def counted_prepare(self, slot):
        seen["kernels"] += 1
        return prepare(self, slot)

    def counted_run(self, notebook, label):
        seen["runs"].append(label)
        records, problem, info = run_nbval(self, notebook, label)
        if failing_reference and label == "reference":
            problem = "planted: the reference failed"
        return records, problem, info

    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    args = parser.parse_args([str(reference), *map(str, inputs), "--out", str(out), "--no-sandbox",
                              "--workers", "2", "--cell-timeout", "8"])
    with monkeypatch.context() as patch:
        patch.setattr(grading.Grader, "_prepare", counted_prepare)
        patch.setattr(grading.Grader, "run_nbval", counted_run)
        seen["code"] = cli.run(args)
    captured = capsys.readouterr()
    seen["stdout"], seen["stderr"] = captured.out, captured.err
    seen["gradebook"] = (out / "gradebook.csv").read_bytes()
    with (out / "gradebook.csv").open(encoding="utf-8") as handle:
        seen["rows"] = {Path(r["submission"]).name: r for r in csv.DictReader(handle)}
    return seen


def test_a_run_with_nothing_new_to_grade_runs_no_code_and_the_reference_runs_when_a_file_needs_it(
        tmp_path, monkeypatch, capsys):
    """Re-running the grader after marking, with every file unchanged, starts no kernel and does not run the
    reference (kernels and the reference cost seconds a file). A file that the first look took for unchanged but
    that must be graded after all (a copy of a classmate's file under a new name) has the reference run before
    it, and a failing reference then stops the run with no grades written."""
    folder = tmp_path / "class"
    folder.mkdir()
    nbformat.write(perfect(), folder / "a.ipynb")
    out = tmp_path / "out"
    first = grade_in_process(REFERENCE, [folder], out, monkeypatch, capsys)
    assert first["code"] == 0 and sorted(first["runs"]) == ["class/a.ipynb", "reference"], first
    assert first["kernels"] >= 2 and first["rows"]["a.ipynb"]["total"] == first["rows"]["a.ipynb"]["max"]

    again = grade_in_process(REFERENCE, [folder], out, monkeypatch, capsys)
    assert again["code"] == 0, again["stdout"]
    assert again["kernels"] == 0 and again["runs"] == [], again
    assert "none new or changed since the last run: no code is run" in again["stdout"]
    assert again["rows"]["a.ipynb"]["status"] == first["rows"]["a.ipynb"]["status"]
    assert again["rows"]["a.ipynb"]["total"] == first["rows"]["a.ipynb"]["total"]

    shutil.copy(folder / "a.ipynb", folder / "b.ipynb")  # the same bytes as a.ipynb, which is given too
    refused = grade_in_process(REFERENCE, [folder], out, monkeypatch, capsys, failing_reference=True)
    assert refused["code"] == 2 and "does not pass its own checks" in refused["stderr"], refused
    assert refused["runs"] == ["reference"], refused  # no student code ran
    assert refused["gradebook"] == again["gradebook"]  # nothing written

    third = grade_in_process(REFERENCE, [folder], out, monkeypatch, capsys)
    assert third["code"] == 0, third["stdout"]
    assert third["runs"] == ["reference", "class/b.ipynb"], third  # the reference first
    assert third["kernels"] == 2, third  # the reference's and b's: none started ahead for nothing
    assert third["rows"]["b.ipynb"]["total"] == first["rows"]["a.ipynb"]["total"]
