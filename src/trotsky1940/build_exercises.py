"""Build the student exercise notebooks from the teacher's reference notebooks
(``python -m trotsky1940 build-exercises``).

The reference notebooks (``exercises/reference/*.ipynb``) are the one source of truth: questions, model
answers, and check cells whose stored outputs are the expected canonical answers. From each one this
builds

- ``exercises/keys/<name>.json``: per question a salted hash of the canonical answer, the hint and the
  points (what the students' instant self-check needs; never the answer itself);
- ``exercises/<name>.ipynb``: the student notebook: answers blanked to ``...``, every output removed, and
  under each check cell a note saying it has not been checked yet (so that strict nbval on an untouched
  student notebook fails exactly at the check cells, and nowhere else).

``--execute`` first re-runs each reference notebook in a fresh kernel (twice: once to read the canonical
answers, once more so that the stored outputs include the "Right." feedback) and saves it.
``--check`` changes nothing and exits 1 when a committed file differs from what would be built.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path

import nbformat

from . import exercises, paths

HELP = "build the student exercise notebooks and answer keys from exercises/reference/"
PLACEHOLDER = "answer_{q} = ...  # replace ... with your answer"
CHECK_PLACEHOLDER = "{q}: not checked yet. Write your answer in the cell above, run it, then run this cell.\n"
REFLECTION_PLACEHOLDER = 'answer_{q} = """\nWrite your answer here.\n"""'


class ReferenceError(ValueError):
    """A reference notebook that breaks the exercise format; the message names the notebook and cell."""


def question_meta(cell) -> dict:
    return cell.get("metadata", {}).get(exercises.META_KEY, {})


def cell_tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def questions(reference, name: str) -> dict[str, dict]:
    """The questions of a reference notebook, in order: {id: {points, kind, hint, answer_cell, check_cell}}."""
    found: dict[str, dict] = {}
    for index, cell in enumerate(reference.cells):
        meta = question_meta(cell)
        if exercises.QUESTION_TAG in cell_tags(cell):
            qid = meta.get("question")
            if not qid or qid in found:
                raise ReferenceError(f"{name}, cell {index}: a question cell needs a unique 'question' id")
            kind = meta.get("kind", "auto")
            if kind not in ("auto", "reflection"):
                raise ReferenceError(f"{name}, cell {index}: kind must be auto or reflection, not {kind!r}")
            found[qid] = {"points": int(meta.get("points", 1)), "kind": kind, "hint": meta.get("hint", ""),
                          "answer_cell": None, "check_cell": None}
        for tag in cell_tags(cell):
            for prefix, slot in ((exercises.ANSWER_TAG, "answer_cell"), (exercises.CHECK_TAG, "check_cell")):
                if tag.startswith(prefix):
                    qid = tag[len(prefix):]
                    if qid not in found:
                        raise ReferenceError(f"{name}, cell {index}: tag {tag!r} comes before its question cell")
                    if found[qid][slot] is not None:
                        raise ReferenceError(f"{name}, cell {index}: a second {prefix}{qid} cell")
                    found[qid][slot] = index
    for qid, q in found.items():
        if q["answer_cell"] is None:
            raise ReferenceError(f"{name}: question {qid} has no cell tagged answer:{qid}")
        if q["kind"] == "auto" and q["check_cell"] is None:
            raise ReferenceError(f"{name}: question {qid} has no cell tagged check:{qid}")
        if q["kind"] == "auto" and not q["hint"]:
            raise ReferenceError(f"{name}: question {qid} needs a hint for students")
    if not found:
        raise ReferenceError(f"{name}: no question cells (tag 'question')")
    return found


def stored_text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream"
                   and o.get("name") == "stdout")


def build_keys(reference, name: str) -> dict[str, dict]:
    """The answer keys, from the canonical answers stored in the reference's check cells."""
    keys = {}
    for qid, q in questions(reference, name).items():
        if q["kind"] != "auto":
            continue
        parsed = exercises.parse_check_output(stored_text(reference.cells[q["check_cell"]]))
        if parsed is None or parsed[0] != qid:
            raise ReferenceError(f"{name}: the check cell of {qid} has no stored output '{qid}: …'; "
                                 "run the reference notebook (build-exercises --execute)")
        keys[qid] = {"sha256": exercises.salted_hash(name, qid, parsed[1]), "hint": q["hint"],
                     "points": q["points"]}
    return keys


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
    for qid, q in qs.items():
        if q["check_cell"] is not None:
            student.cells[q["check_cell"]].outputs = [nbformat.v4.new_output(
                "stream", name="stdout", text=CHECK_PLACEHOLDER.format(q=qid))]
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
        except ReferenceError as exc:
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
