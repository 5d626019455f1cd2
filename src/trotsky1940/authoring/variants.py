"""Class variants of the exercises (``python -m trotsky1940 build-exercises --variant NAME``).

The public repository holds the reference notebooks, so anyone can read their answers. A variant is a
class-specific copy in which the options of every multiple-choice and ordering question are shuffled (the
same texts under other letters), with its own answer keys and its own reference notebook, written to a
folder kept out of git (``private/NAME/exercises/``). The public answers then do not fit it, and
``grade`` refuses a notebook made for another variant (or the public set).

How a question is shuffled: its options are the Markdown lines ``- **A** …`` (or ``- **A.** …``, with any
indented continuation lines) of its question cell; a permutation chosen from the variant's name moves each
option's text to a new letter, so that the right answer changes. In the model answer cell every string
literal that is exactly one option letter (``"B"``, the keys of ``{"A": "E009", …}``) is renamed the same
way, so the model answer computes the variant's answer; the stored canonical answer of the check cell is
renamed too. The answer cell's code is otherwise untouched, and the grader re-runs the reference before it
grades, so a wrong rewrite would stop grading rather than mis-grade.
"""

from __future__ import annotations

import copy
import hashlib
import io
import random
import re
import tokenize

from .. import answer_forms, exercises
from ..grading.exercise_format import ExerciseFormatError, questions

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
OPTION = re.compile(r"^- \*\*([A-H])(\.?)\*\*(.*)$")


def check_name(variant: str) -> str:
    if not NAME.match(variant) or variant.casefold() in ("public", "reference"):
        raise ExerciseFormatError(f"variant name {variant!r}: use 1-40 letters, digits, '-' or '_' (e.g. 9b-2026), "
                                  "not 'public' or 'reference'")
    return variant


def options(source: str) -> tuple[list[str], dict[str, list[str]], list[str]] | None:
    """(lines before the options, {letter: lines of that option}, lines after) of a question cell; None
    when it has no option list."""
    lines = source.split("\n")
    start = next((i for i, line in enumerate(lines) if OPTION.match(line)), None)
    if start is None:
        return None
    found: dict[str, list[str]] = {}
    index = start
    current = None
    while index < len(lines):
        line = lines[index]
        match = OPTION.match(line)
        if match:
            current = match.group(1)
            found[current] = [line]
        elif current is not None and line.startswith("  ") and line.strip():
            found[current].append(line)
        else:
            break
        index += 1
    return lines[:start], found, lines[index:]


def permutation(variant: str, name: str, qid: str, letters: str, right: str, form) -> dict[str, str]:
    """A renaming of ``letters`` chosen from the variant's name, under which the right answer changes."""
    seed = int.from_bytes(hashlib.sha256(f"{variant}:{name}:{qid}".encode()).digest()[:8], "big")
    rng = random.Random(seed)
    for _ in range(200):
        shuffled = list(letters)
        rng.shuffle(shuffled)
        mapping = dict(zip(letters, shuffled, strict=True))
        if rename_answer(right, mapping, form) != right:
            return mapping
    raise ExerciseFormatError(f"{name} {qid}: no shuffle changes the answer {right!r}")  # pragma: no cover


def rename_answer(canonical: str, mapping: dict[str, str], form) -> str:
    """A canonical letter answer under a renaming of the letters."""
    letters = [mapping[letter] for letter in canonical.split(",")]
    return ",".join(letters if form.kind == "order" else sorted(letters))


def rename_literals(source: str, mapping: dict[str, str]) -> str:
    """``source`` with every string literal that is exactly one renamed letter replaced by its new letter."""
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    out = []
    for token in tokens:
        if token.type == tokenize.STRING:
            match = re.fullmatch(r"([\"'])([A-H])\1", token.string)
            if match and match.group(2) in mapping:
                token = token._replace(string=f"{match.group(1)}{mapping[match.group(2)]}{match.group(1)}")
        out.append(token)
    return tokenize.untokenize(out)


def shuffle_options(source: str, mapping: dict[str, str]) -> str:
    """The question cell with its options moved to their new letters (listed in letter order). Its "Answer
    with" example is left as it is: every question of a form shows the same example, in every variant."""
    parts = options(source)
    if parts is None:
        raise ExerciseFormatError("a multiple-choice question cell has no option lines '- **A** …'")
    before, found, after = parts
    moved: dict[str, list[str]] = {}
    for old, lines in found.items():
        new = mapping[old]
        match = OPTION.match(lines[0])
        moved[new] = [f"- **{new}{match.group(2)}**{match.group(3)}", *lines[1:]]
    return "\n".join(before + [line for letter in sorted(moved) for line in moved[letter]] + after)


def make_variant(reference, name: str, variant: str, answers: dict[str, str], feedback: str = "full"):
    """The variant of a reference notebook; ``answers`` are the public canonical answers (from its stored
    check outputs). With ``feedback="form"`` its checks only say how they read an answer (for marks: trying
    each letter in turn then tells nothing). Returns (the variant reference, its canonical answers, the
    questions shuffled)."""
    check_name(variant)
    nb = copy.deepcopy(reference)
    shuffled = []
    new_answers = dict(answers)
    for qid, q in questions(reference, name).items():
        if q["kind"] != "auto":
            continue
        form = answer_forms.parse_form(q["form"])
        if form.kind not in ("letters", "order"):
            continue
        mapping = permutation(variant, name, qid, form.letters, answers[qid], form)
        right = rename_answer(answers[qid], mapping, form)
        nb.cells[q["question_cell"]].source = shuffle_options(reference.cells[q["question_cell"]].source, mapping)
        nb.cells[q["answer_cell"]].source = rename_literals(reference.cells[q["answer_cell"]].source, mapping)
        check = nb.cells[q["check_cell"]]
        for output in check.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stdout":
                output["text"] = re.sub(rf"^{qid}: .*$", f"{qid}: {right}", output["text"], count=1, flags=re.M)
        new_answers[qid] = right
        shuffled.append(qid)
    setup = next(c for c in nb.cells if "setup" in c.metadata.get("tags", []))
    hashes = {qid: exercises.salted_hash(name, qid, answer, variant)[:16] for qid, answer in new_answers.items()}
    call = f'exercises.start("{name}")'
    if call not in setup.source:
        raise ExerciseFormatError(f"{name}: the setup cell must call {call}")
    if feedback == "form":
        setup.source = setup.source.replace(call, f'exercises.start("{name}", variant="{variant}", feedback="form")')
    else:
        lines = ",\n".join(f'    "{qid}": "{digest}"' for qid, digest in hashes.items())
        setup.source = setup.source.replace(
            call, f'exercises.start("{name}", variant="{variant}", keys={{\n{lines},\n}})')
    nb.metadata.setdefault(exercises.META_KEY, {})["variant"] = variant
    return nb, new_answers, shuffled
