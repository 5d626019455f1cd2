"""The exercise format that the grader and the exercise builder both read: which cells of a reference
notebook are questions, answers and checks (cell tags ``question``, ``answer:qN``, ``check:qN`` and the
``trotsky1940`` cell metadata).

Used by: :mod:`trotsky1940.authoring.build_exercises` (authors) and :mod:`trotsky1940.grading.core` (the grader).
Never imported by a student's kernel.
"""

from __future__ import annotations

from .. import exercises


class ExerciseFormatError(ValueError):
    """A reference notebook that breaks the exercise format; the message names the notebook and cell."""


def question_meta(cell) -> dict:
    return cell.get("metadata", {}).get(exercises.META_KEY, {})


def cell_tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def questions(reference, name: str) -> dict[str, dict]:
    """The questions of a reference notebook, in order:
    {id: {points, kind, hint, form, objective, question_cell, answer_cell, check_cell}}."""
    found: dict[str, dict] = {}
    for index, cell in enumerate(reference.cells):
        meta = question_meta(cell)
        if exercises.QUESTION_TAG in cell_tags(cell):
            qid = meta.get("question")
            if not qid or qid in found:
                raise ExerciseFormatError(f"{name}, cell {index}: a question cell needs a unique 'question' id")
            kind = meta.get("kind", "auto")
            if kind not in ("auto", "reflection"):
                raise ExerciseFormatError(f"{name}, cell {index}: kind must be auto or reflection, not {kind!r}")
            found[qid] = {"points": int(meta.get("points", 1)), "kind": kind, "hint": meta.get("hint", ""),
                          "form": meta.get("form", ""), "objective": meta.get("objective"),
                          "question_cell": index, "answer_cell": None, "check_cell": None}
        for tag in cell_tags(cell):
            for prefix, slot in ((exercises.ANSWER_TAG, "answer_cell"), (exercises.CHECK_TAG, "check_cell")):
                if tag.startswith(prefix):
                    qid = tag[len(prefix):]
                    if qid not in found:
                        raise ExerciseFormatError(f"{name}, cell {index}: tag {tag!r} comes before its question cell")
                    if found[qid][slot] is not None:
                        raise ExerciseFormatError(f"{name}, cell {index}: a second {prefix}{qid} cell")
                    found[qid][slot] = index
    for qid, q in found.items():
        if q["answer_cell"] is None:
            raise ExerciseFormatError(f"{name}: question {qid} has no cell tagged answer:{qid}")
        if q["kind"] == "auto" and q["check_cell"] is None:
            raise ExerciseFormatError(f"{name}: question {qid} has no cell tagged check:{qid}")
        if q["kind"] == "auto" and not q["hint"]:
            raise ExerciseFormatError(f"{name}: question {qid} needs a hint for students")
    if not found:
        raise ExerciseFormatError(f"{name}: no question cells (tag 'question')")
    return found


def stored_text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream"
                   and o.get("name") == "stdout")
