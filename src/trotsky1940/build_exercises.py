"""Build the student exercise notebooks from the teacher's reference notebooks
(``python -m trotsky1940 build-exercises``).

The reference notebooks (``exercises/reference/*.ipynb``) are the one source of truth: questions, model
answers, and check cells whose stored outputs are the expected canonical answers. From each one this
builds

- ``exercises/keys/<name>.json``: per question a salted hash of the canonical answer, the hint and the
  points (what the students' instant self-check needs; never the answer itself);
- ``exercises/<name>.ipynb``: the student notebook: its "Your name" cell under the title (plain text that the
  grader reads and never grades; it comes from the reference), answers blanked to ``...``, the teacher's
  marking notes (paragraphs that start with *For the teacher.*) removed, every output removed, and under
  each check cell a note saying it has not been checked yet (so that strict nbval on an untouched student
  notebook fails exactly at the check cells, and nowhere else).

``--execute`` first re-runs each reference notebook in a fresh kernel (twice: once to read the canonical
answers, once more so that the stored outputs include the "Right." feedback) and saves it.
``--check`` changes nothing and exits 1 when a committed file differs from what would be built.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from pathlib import Path

import nbformat

from . import exercises, paths
from .grading.exercise_format import ExerciseFormatError, questions, stored_text

HELP = "build the student exercise notebooks and answer keys from exercises/reference/"
EPILOG = """\
Examples:
  after editing a reference notebook, re-run it and rebuild the student notebooks and keys:
    python -m trotsky1940 build-exercises --execute
  check that the committed student notebooks and keys are up to date (what the tests do):
    python -m trotsky1940 build-exercises --check

Exit codes: 0 done (or, with --check, up to date); 1 a reference breaks the exercise format, or, with
--check, a file is out of date.
"""
PLACEHOLDER = "answer_{q} = ...  # replace ... with your answer"
CHECK_PLACEHOLDER = "{q}: not checked yet. Write your answer in the cell above, run it, then run this cell.\n"
REFLECTION_PLACEHOLDER = 'answer_{q} = """\nWrite your answer here.\n"""'
NAME_CELL_ID = "your-name"
NAME_TAG = "your-name"
NAME_PROMPT = "**Your name:**"
NAME_PLACEHOLDER = "(double-click here and write your name after the colon, then press Shift+Enter)"


def build_keys(reference, name: str) -> dict[str, dict]:
    """The answer keys, from the canonical answers stored in the reference's check cells."""
    keys = {}
    for qid, q in questions(reference, name).items():
        if q["kind"] != "auto":
            continue
        parsed = exercises.parse_check_output(stored_text(reference.cells[q["check_cell"]]))
        if parsed is None or parsed[0] != qid:
            raise ExerciseFormatError(f"{name}: the check cell of {qid} has no stored output '{qid}: …'; "
                                 "run the reference notebook (build-exercises --execute)")
        keys[qid] = {"sha256": exercises.salted_hash(name, qid, parsed[1]), "hint": q["hint"],
                     "points": q["points"]}
    return keys


TEACHER_NOTE = re.compile(r"^\s*(\*|_)For the teacher\b")


def strip_teacher_notes(source: str) -> str:
    """A Markdown cell without its teacher-only paragraphs (those that start with *For the teacher.*: marking
    notes stay in the reference notebook and the guide)."""
    paragraphs = re.split(r"\n\s*\n", source)
    kept = [p for p in paragraphs if not TEACHER_NOTE.match(p)]
    return "\n\n".join(kept) if len(kept) != len(paragraphs) else source


def build_student(reference, name: str):
    """The student notebook: the reference with answers blanked and every output removed."""
    student = copy.deepcopy(reference)
    qs = questions(reference, name)
    for qid, q in qs.items():
        template = REFLECTION_PLACEHOLDER if q["kind"] == "reflection" else PLACEHOLDER
        student.cells[q["answer_cell"]].source = template.format(q=qid)
    for cell in student.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        elif cell.cell_type == "markdown":
            cell.source = strip_teacher_notes(cell.source)
    for qid, q in qs.items():
        if q["check_cell"] is not None:
            student.cells[q["check_cell"]].outputs = [nbformat.v4.new_output(
                "stream", name="stdout", text=CHECK_PLACEHOLDER.format(q=qid))]
    if not any(NAME_TAG in c.metadata.get("tags", []) for c in student.cells):
        raise ExerciseFormatError(f"{name}: no 'Your name' cell (a Markdown cell tagged {NAME_TAG!r} under the "
                                  f"title, e.g. {NAME_PROMPT} {NAME_PLACEHOLDER}); the grader reads it")
    student.metadata.pop("widgets", None)
    student.metadata[exercises.META_KEY] = {"generated_from": f"exercises/reference/{name}.ipynb",
                                            "note": "Generated by python -m trotsky1940 build-exercises; "
                                                    "edit the reference notebook instead."}
    return student


def dumps_notebook(nb) -> str:
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def dumps_keys(keys: dict) -> str:
    return json.dumps(keys, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def targets(root: Path) -> list[tuple[Path, Path, Path]]:
    refs = sorted((root / "exercises" / "reference").glob("*.ipynb"))
    return [(ref, root / "exercises" / ref.name, root / "exercises" / "keys" / f"{ref.stem}.json") for ref in refs]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--execute", action="store_true", help="re-run the reference notebooks first")
    parser.add_argument("--check", action="store_true", help="only report files that differ from a fresh build")


def run(args: argparse.Namespace) -> int:
    root = paths.repo_root()
    pairs = targets(root)
    if not pairs:
        print("no reference notebooks in exercises/reference/", file=sys.stderr)
        return 1
    differ = []
    for ref, student_path, key_path in pairs:
        name = ref.stem
        try:
            if args.execute:
                from .execute import run_notebook

                first, _ = run_notebook(ref)
                key_path.parent.mkdir(parents=True, exist_ok=True)
                key_path.write_text(dumps_keys(build_keys(first, name)), encoding="utf-8")
                final, _ = run_notebook(ref)
                nbformat.write(final, ref)
            reference = nbformat.read(ref, as_version=4)
            outputs = {student_path: dumps_notebook(build_student(reference, name)),
                       key_path: dumps_keys(build_keys(reference, name))}
        except ExerciseFormatError as exc:
            print(f"reference problem: {exc}", file=sys.stderr)
            return 1
        for path, text in outputs.items():
            current = path.read_text(encoding="utf-8") if path.exists() else None
            if current == text:
                continue
            if args.check:
                differ.append(path)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
                print(f"wrote {path.relative_to(root)}")
    if args.check and differ:
        for path in differ:
            print(f"out of date: {path.relative_to(root)} (run python -m trotsky1940 build-exercises)",
                  file=sys.stderr)
        return 1
    if args.check:
        print(f"{len(pairs)} exercise notebooks and keys are up to date")
    return 0
