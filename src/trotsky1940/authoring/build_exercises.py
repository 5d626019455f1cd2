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

from .. import answer_forms, exercises, paths
from ..grading.exercise_format import ExerciseFormatError, questions, stored_text

HELP = "build the student exercise notebooks and answer keys from exercises/reference/"
EPILOG = """\
Examples:
  after editing a reference notebook, re-run it and rebuild the student notebooks and keys:
    python -m trotsky1940 build-exercises --execute
  check that the committed student notebooks and keys are up to date (what the tests do):
    python -m trotsky1940 build-exercises --check
  make a class variant (options shuffled; its own keys and reference) in private/9b/exercises/:
    python -m trotsky1940 build-exercises --variant 9b
  then hand out private/9b/exercises/*.ipynb and grade against private/9b/exercises/reference/.
  for marked work, a variant whose checks say how they read an answer but not whether it is right:
    python -m trotsky1940 build-exercises --variant 9b-test --feedback form

Exit codes: 0 done (or, with --check, up to date); 1 a reference breaks the exercise format, or, with
--check, a file is out of date; 2 a bad variant name or --out folder.
"""
PLACEHOLDER = 'answer_{q} = "..."  # write your answer between the quotes'
CHECK_SOURCE = 'from trotsky1940.exercises import check\n\ncheck("{q}", "{form}")'
SETUP_CALL = 'exercises.start("{name}"'
SETUP_HEADING = "## Run this first"
EXAMPLE_ID = "example"
EXAMPLE_ANSWER_TAG = "example-answer"
EXAMPLE_CHECK_TAG = "example-check"
CHECK_PLACEHOLDER = "{q}: not checked yet. Write your answer in the cell above, run it, then run this cell.\n"
REFLECTION_PLACEHOLDER = 'answer_{q} = """\nWrite your answer here.\n"""'
NAME_CELL_ID = "your-name"
NAME_TAG = "your-name"
NAME_PROMPT = "**Your name:**"
NAME_PLACEHOLDER = "(double-click here and write your name after the colon, then press Shift+Enter)"


def validate(reference, name: str) -> dict[str, dict]:
    """The questions of a reference, after checking what the student notebook needs: a "Run this first"
    heading over the setup cell that calls ``exercises.start``, a worked example, and for every auto question
    an answer form and the standard check cell. Raises :class:`ExerciseFormatError` naming the cell."""
    qs = questions(reference, name)
    setup = [i for i, c in enumerate(reference.cells) if "setup" in c.metadata.get("tags", [])]
    if len(setup) != 1:
        raise ExerciseFormatError(f"{name}: needs exactly one code cell tagged 'setup' (it has {len(setup)})")
    index = setup[0]
    if SETUP_CALL.format(name=name) not in reference.cells[index].source:
        raise ExerciseFormatError(f"{name}, cell {index}: the setup cell must call {SETUP_CALL.format(name=name)})")
    heading = reference.cells[index - 1] if index else None
    if heading is None or heading.cell_type != "markdown" or not heading.source.startswith(SETUP_HEADING):
        raise ExerciseFormatError(f"{name}, cell {index - 1}: the setup cell needs a Markdown cell above it that "
                                  f"starts with {SETUP_HEADING!r}")
    for tag in (EXAMPLE_ANSWER_TAG, EXAMPLE_CHECK_TAG):
        if not any(tag in c.metadata.get("tags", []) for c in reference.cells):
            raise ExerciseFormatError(f"{name}: no worked example (a code cell tagged {tag!r})")
    for qid, q in qs.items():
        if q["kind"] != "auto":
            continue
        try:
            answer_forms.parse_form(q["form"])
        except ValueError as exc:
            raise ExerciseFormatError(f"{name}, cell {q['question_cell']}: {qid}: {exc}") from None
        want = CHECK_SOURCE.format(q=qid, form=q["form"])
        if reference.cells[q["check_cell"]].source.strip() != want:
            raise ExerciseFormatError(f"{name}, cell {q['check_cell']}: the check cell of {qid} must read:\n{want}")
    return qs


def example_cells(reference) -> tuple[int | None, int | None]:
    """The indices of the worked example's answer and check cells (None when missing)."""
    found: dict[str, int] = {}
    for index, cell in enumerate(reference.cells):
        for tag in (EXAMPLE_ANSWER_TAG, EXAMPLE_CHECK_TAG):
            if tag in cell.metadata.get("tags", []):
                found[tag] = index
    return found.get(EXAMPLE_ANSWER_TAG), found.get(EXAMPLE_CHECK_TAG)


def canonical_answers(reference, name: str) -> dict[str, str]:
    """The canonical answer of every auto question (and of the worked example), from the stored outputs of
    the reference's check cells."""
    answers = {}
    cells = [(qid, q["check_cell"]) for qid, q in questions(reference, name).items() if q["kind"] == "auto"]
    example = example_cells(reference)[1]
    if example is not None:
        cells.append((EXAMPLE_ID, example))
    for qid, index in cells:
        parsed = exercises.parse_check_output(stored_text(reference.cells[index]))
        if parsed is None or parsed[0] != qid:
            raise ExerciseFormatError(f"{name}: the check cell of {qid} (cell {index}) has no stored output "
                                      f"'{qid}: …'; run the reference notebook (build-exercises --execute)")
        answers[qid] = parsed[1]
    return answers


def build_keys(reference, name: str, variant: str = "") -> dict[str, dict]:
    """The answer keys, from the canonical answers stored in the reference's check cells."""
    qs = questions(reference, name)
    keys = {}
    for qid, answer in canonical_answers(reference, name).items():
        q = qs.get(qid, {"hint": f'in this example the right answer was written for you: put "{answer}" back between '
                                 "the quotes, run that cell, then this one.", "points": 0, "form": ""})
        keys[qid] = {"sha256": exercises.salted_hash(name, qid, answer, variant), "hint": q["hint"],
                     "points": q["points"]}
        if q.get("form"):
            keys[qid]["form"] = q["form"]
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
    qs = validate(reference, name)
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
    variant = reference.metadata.get(exercises.META_KEY, {}).get("variant", "")
    student.metadata[exercises.META_KEY] = {"generated_from": f"exercises/reference/{name}.ipynb",
                                            "note": "Generated by python -m trotsky1940 build-exercises; "
                                                    "edit the reference notebook instead."}
    if variant:
        student.metadata[exercises.META_KEY]["variant"] = variant
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
    parser.add_argument("--variant", metavar="NAME",
                        help="build a class variant with shuffled options into private/NAME/exercises/ (kept out "
                             "of git), with its own keys and reference notebooks")
    parser.add_argument("--out", metavar="DIR", help="with --variant: the folder to write (default private/NAME)")
    parser.add_argument("--feedback", choices=("full", "form"), default="full",
                        help="with --variant: 'full' (default) checks say Right or Not yet; 'form' (for marks) "
                             "checks only say how they read an answer, so trying each letter tells nothing")


VARIANT_README = """# Class variant {variant}

Made by `python -m trotsky1940 build-exercises --variant {variant}`. The options of {count} questions are
shuffled (the same texts under other letters), so the letters of the public answers do not fit these notebooks.
Numbers, years and True/False answers are the same as in the public set. Checks: {feedback}.

- Hand out `exercises/<name>.ipynb` (students can put them in the `exercises/` folder of the module; their
  self-checks work anywhere the module is installed).
- Keep `exercises/reference/` and `exercises/keys/` to yourself: they hold this variant's answers.
- Grade against this variant's reference, e.g.
  `python -m trotsky1940 grade {out}/exercises/reference/01-background.ipynb submissions.zip --out results/01`.
  A notebook made for another variant, or for the public set, is refused with a status that says so.
"""


def build_variant(root: Path, variant: str, out: Path, feedback: str = "full") -> int:
    """Write a class variant of every exercise into ``out/exercises/``; return an exit code."""
    from . import variants

    try:
        variants.check_name(variant)
    except ExerciseFormatError as exc:
        print(f"build-exercises: {exc}", file=sys.stderr)
        return 2
    if out.resolve() == root.resolve() or (root / "exercises").resolve() in (out / "exercises").resolve().parents \
            or (out / "exercises").resolve() == (root / "exercises").resolve():
        print(f"build-exercises: --out {out} would overwrite the public exercises; choose another folder",
              file=sys.stderr)
        return 2
    total = 0
    for ref, _, _ in targets(root):
        name = ref.stem
        try:
            reference = nbformat.read(ref, as_version=4)
            validate(reference, name)
            made, answers, shuffled = variants.make_variant(reference, name, variant,
                                                            canonical_answers(reference, name), feedback)
            texts = {out / "exercises" / "reference" / f"{name}.ipynb": dumps_notebook(made),
                     out / "exercises" / f"{name}.ipynb": dumps_notebook(build_student(made, name)),
                     out / "exercises" / "keys" / f"{name}.json": dumps_keys(build_keys(made, name, variant))}
        except ExerciseFormatError as exc:
            print(f"reference problem: {exc}", file=sys.stderr)
            return 1
        for path, text in texts.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        total += len(shuffled)
        print(f"{name}: {len(shuffled)} questions shuffled ({', '.join(shuffled)})")
    said = ("they say Right or Not yet, so a student can try each letter in turn" if feedback == "full" else
            "they only say how they read an answer, not whether it is right (for marked work)")
    (out / "README.md").write_text(VARIANT_README.format(variant=variant, count=total, out=out, feedback=said),
                                   encoding="utf-8")
    print(f"wrote variant {variant} to {out}/exercises/ (hand out the notebooks there; keep reference/ and keys/)")
    return 0


def run(args: argparse.Namespace) -> int:
    root = paths.repo_root()
    if args.variant:
        return build_variant(root, args.variant, Path(args.out) if args.out else root / "private" / args.variant,
                             args.feedback)
    if args.out or args.feedback != "full":
        print("build-exercises: --out and --feedback go with --variant", file=sys.stderr)
        return 2
    pairs = targets(root)
    if not pairs:
        print("no reference notebooks in exercises/reference/", file=sys.stderr)
        return 1
    differ = []
    for ref, student_path, key_path in pairs:
        name = ref.stem
        try:
            outputs = {}
            if args.execute:
                from .execute import run_notebook

                # The key first, from a run of the reference as it is; then the reference runs again with that key
                # in place, and its new outputs are saved. With --check, both runs stay in memory and are compared.
                first, _ = run_notebook(ref)
                first_key = dumps_keys(build_keys(first, name))
                current_key = key_path.read_text(encoding="utf-8") if key_path.exists() else None
                if args.check:
                    reference = first if current_key == first_key else None
                    if reference is None:
                        differ.append(key_path)
                        reference = first
                else:
                    key_path.parent.mkdir(parents=True, exist_ok=True)
                    key_path.write_text(first_key, encoding="utf-8")
                    reference, _ = run_notebook(ref)
                outputs[ref] = dumps_notebook(reference)
            else:
                reference = nbformat.read(ref, as_version=4)
            outputs.update({student_path: dumps_notebook(build_student(reference, name)),
                            key_path: dumps_keys(build_keys(reference, name))})
        except ExerciseFormatError as exc:
            print(f"reference problem: {exc}", file=sys.stderr)
            return 1
        for path, text in outputs.items():
            current = path.read_text(encoding="utf-8") if path.exists() else None
            if current == text:
                continue
            if args.check:
                if path not in differ:
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
