"""The results folder of one exercise: the saved state of every run, the gradebook a spreadsheet and a learning
platform accept, and a second run that merges instead of starting over.

Used by the grader (:mod:`trotsky1940.grading.cli`) and by the reflection-marking app
(:mod:`trotsky1940.grading.marking`), outside every sandbox. Nothing here runs student code, so
:func:`rebuild` may run as often as a mark is saved.

What a results folder holds (``python -m trotsky1940 grade … --out results/01``):

============================  ===========================================================================
``results.json``              the state: every submission's outcome, who it is from, its answers as graded
``marks.csv``                 the teacher's reflection marks (written by ``teachers/mark-reflections.ipynb``)
``gradebook.csv``             one row per file found and per roster student with no submission
``questions.csv``             the maximum of every numeric column of the gradebook
``moodle-grading-worksheet.csv``  for Moodle's assignment "Upload grading worksheet" (Moodle downloads only)
``canvas-gradebook-import.csv``   for Canvas's gradebook "Import" (Canvas downloads only)
``feedback/<student>.html|md``    one hand-back page per submission (:mod:`trotsky1940.grading.feedback`)
``sandbox.json``, ``run.json``    the protections that were active, and timings
``previous/<date and time>/``     what an earlier run wrote, moved aside before a new run writes
============================  ===========================================================================
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from . import report

FORMAT = 1
STATE = "results.json"
MARKS = "marks.csv"
GRADEBOOK = "gradebook.csv"
QUESTIONS = "questions.csv"
MOODLE = "moodle-grading-worksheet.csv"
CANVAS = "canvas-gradebook-import.csv"
WRITTEN = (GRADEBOOK, QUESTIONS, MOODLE, CANVAS, "feedback", "sandbox.json", "run.json", STATE)
REFLECTION_MAX = 3  # the rubric's levels run 0..3 (teachers/guide.md)


class StateError(ValueError):
    """A results folder whose results.json cannot be used; the message names the file."""


def load_state(out: Path) -> dict | None:
    """The state an earlier run saved in ``out`` (None when there is none)."""
    path = Path(out) / STATE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateError(f"cannot read {path}: {exc.strerror}") from None
    try:
        state = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StateError(f"{path} is damaged (invalid JSON at line {exc.lineno}); move it away to start over") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT or not isinstance(state.get("submissions"), list):
        raise StateError(f"{path} was written by another version of the grader; move it away to start over")
    return state


def save_state(out: Path, state: dict) -> None:
    report.write_atomic(Path(out) / STATE, json.dumps(state, indent=1, ensure_ascii=False) + "\n")


def archive(out: Path, keep_marks: bool = True) -> Path | None:
    """Move what an earlier run wrote into ``out/previous/<date and time>/`` and return that folder. marks.csv
    is copied there and stays in place, unless ``keep_marks`` is false (``--fresh``): then it is moved too."""
    if keep_marks:
        return report.archive_previous(out, WRITTEN, keep=(MARKS,))
    return report.archive_previous(out, (*WRITTEN, MARKS))


# -- identities and names --------------------------------------------------------------------------------
def who(entry: dict) -> dict:
    return entry.get("identity") or {}


def display_name(entry: dict) -> str:
    person = who(entry)
    return person.get("name") or person.get("student_id") or entry.get("submission", "")


def assign_feedback_names(entries: list[dict], earlier: dict[str, str] | None = None) -> None:
    """Give each entry a plain, unique feedback file name (``feedback/<stem>``) from the student's name and id
    (``jane-smith-101``), else one of them, else the file's name. A submission keeps the name an earlier run
    gave it (``earlier``: submission -> name), so pages already handed out still match."""
    from .students import file_stem

    used: set[str] = set()
    pending = []
    for entry in entries:
        if not entry.get("submission"):
            continue
        kept = (earlier or {}).get(entry["submission"], "")
        if kept.startswith("feedback/") and kept not in used:
            entry["feedback"] = kept
            used.add(kept)
        else:
            pending.append(entry)
    for entry in pending:
        person = who(entry)
        name, sid = person.get("name", ""), person.get("student_id", "")
        stem = file_stem(name, sid, Path(entry["submission"]).stem)
        if name and sid and file_stem(name, "", "") != "submission":
            stem = f"{file_stem(name, '', '')}-{file_stem('', sid, '')}"[:80]
        candidate, n = f"feedback/{stem}", 1
        while candidate in used:
            n += 1
            candidate = f"feedback/{stem}-{n}"
        used.add(candidate)
        entry["feedback"] = candidate


def same_answers(entries: list[dict]) -> dict[str, list[str]]:
    """For each submission, the others whose answer cells are identical to its own, answer for answer.

    Only hand-ins that hold something of the student's own are compared: at least one written reflection or
    one answer that is not right (every student who gets everything right writes much the same cells, and that
    is no sign of copying). The flag is for the teacher to look at; it never changes a score."""
    groups: dict[str, list[dict]] = {}
    for entry in entries:
        if entry.get("kind") != "graded" or not entry.get("fingerprint"):
            continue
        own = any(text.strip() for text in (entry.get("reflections") or {}).values()) or any(
            d != "right" for d in (entry.get("details") or {}).values())
        if own:
            groups.setdefault(entry["fingerprint"], []).append(entry)
    flagged: dict[str, list[str]] = {}
    for members in groups.values():
        if len(members) > 1:
            for entry in members:
                flagged[entry["submission"]] = [display_name(e) for e in members if e is not entry]
    return flagged


# -- the gradebook ----------------------------------------------------------------------------------------
def question_max(state: dict) -> dict[str, int]:
    return {q["id"]: (REFLECTION_MAX if q["kind"] == "reflection" else int(q["points"])) for q in state["questions"]}


def marks_for(state: dict, marks: dict) -> dict[str, dict[str, object]]:
    """{submission: {question: Mark}} for the reflection questions of this state."""
    reflective = {q["id"] for q in state["questions"] if q["kind"] == "reflection"}
    found: dict[str, dict[str, object]] = {}
    for (submission, question), mark in marks.items():
        if question in reflective:
            found.setdefault(submission, {})[question] = mark
    return found


def rows(state: dict, marks: dict) -> tuple[list[str], list[dict]]:
    """The gradebook's header and rows (dicts), from the state and the marks."""
    qs = state["questions"]
    auto = [q["id"] for q in qs if q["kind"] == "auto"]
    reflective = [q["id"] for q in qs if q["kind"] == "reflection"]
    auto_max = sum(int(q["points"]) for q in qs if q["kind"] == "auto")
    header = ["submission", "name", "student_id", "email", "exercise", "status", "graded_at",
              *[q["id"] for q in qs], "total", "max", "reflection", "grand_total", "grand_max", "same_answers",
              "notes", "feedback"]
    by_submission = marks_for(state, marks)
    flagged = same_answers(state["submissions"])
    out: list[dict] = []
    for entry in state["submissions"]:
        person = who(entry)
        graded = entry.get("kind") == "graded"
        row: dict[str, object] = {
            "submission": entry.get("submission", ""), "name": person.get("name", ""),
            "student_id": person.get("student_id", ""), "email": person.get("email", ""),
            "exercise": state["exercise"], "status": entry.get("status", ""), "graded_at": entry.get("graded_at", ""),
            "max": auto_max, "grand_max": auto_max + REFLECTION_MAX * len(reflective),
            "notes": "; ".join(entry.get("notes") or []),
            "feedback": f"{entry['feedback']}.html" if entry.get("feedback") else "",
        }
        scores = entry.get("scores") or {}
        for qid in auto:
            row[qid] = int(scores.get(qid, 0)) if graded else ""
        row["total"] = sum(int(scores.get(q, 0)) for q in auto) if graded else ""
        levels = by_submission.get(entry.get("submission", ""), {})
        for qid in reflective:
            row[qid] = levels[qid].level if graded and qid in levels else ""
        if graded and reflective and all(q in levels for q in reflective):
            row["reflection"] = sum(levels[q].level for q in reflective)
            row["grand_total"] = row["total"] + row["reflection"]
        else:
            row["reflection"] = row["grand_total"] = ""
        same = flagged.get(entry.get("submission", ""))
        row["same_answers"] = f"same answers as {', '.join(same)}" if same else ""
        out.append(row)
    for student in state.get("missing", []):
        out.append({"submission": "", "name": student.get("name", ""), "student_id": student.get("id", ""),
                    "email": student.get("email", ""), "exercise": state["exercise"], "status": "no submission",
                    "max": auto_max, "grand_max": auto_max + REFLECTION_MAX * len(reflective),
                    **{k: "" for k in header if k not in ("submission", "name", "student_id", "email", "exercise",
                                                          "status", "max", "grand_max")}})
    return header, out


def questions_rows(state: dict) -> list[list[object]]:
    """questions.csv: each numeric gradebook column with its maximum and who gives the points."""
    qs = state["questions"]
    auto_max = sum(int(q["points"]) for q in qs if q["kind"] == "auto")
    reflective = [q for q in qs if q["kind"] == "reflection"]
    table: list[list[object]] = [["column", "kind", "max_points", "marked_by", "question"]]
    for q in qs:
        if q["kind"] == "auto":
            table.append([q["id"], "auto", int(q["points"]), "grader", q.get("prompt", "")])
        else:
            table.append([q["id"], "reflection", REFLECTION_MAX, "teacher (rubric level 0-3, marks.csv)",
                          q.get("prompt", "")])
    table.append(["total", "sum", auto_max, "grader", "the auto-graded points"])
    table.append(["reflection", "sum", REFLECTION_MAX * len(reflective), "teacher", "the reflection levels"])
    table.append(["grand_total", "sum", auto_max + REFLECTION_MAX * len(reflective), "both",
                  "total + reflection, once every reflection of the student is marked"])
    return table


def write_csv(path: Path, header: list[str], table: list[dict]) -> None:
    report.write_atomic(path, report.csv_text([header, *[[row.get(k, "") for k in header] for row in table]]))


# -- exports for learning platforms ----------------------------------------------------------------------
def student_status(entry: dict) -> str:
    """The status as a student may read it (without the teacher's instructions, e.g. which reference to use)."""
    status = str(entry.get("status", ""))
    return status.split(";")[0] if entry.get("kind") in ("wrong exercise", "wrong variant") else status


def export_rows(state: dict, table: list[dict], marks: dict) -> list[dict]:
    """What the platform exports need, one dict per gradebook row that names a student. The comment is what a
    student reads on the platform: the points, and the teacher's own comments on the reflection."""
    by_submission = {e.get("submission"): e for e in state["submissions"]}
    mine = marks_for(state, marks)
    result = []
    for row in table:
        if not row["submission"]:  # a roster student with no submission: nothing to import
            continue
        entry = by_submission.get(row["submission"], {})
        grade = row["grand_total"] if row["grand_total"] != "" else row["total"]
        given = mine.get(row["submission"], {}) if entry.get("kind") == "graded" else {}
        if entry.get("kind") != "graded":
            comment = student_status(entry)
        else:
            comment = f"{row['total']} of {row['max']} auto-graded points"
            comment += (f"; reflection: level {row['reflection']} of {row['grand_max'] - row['max']}"
                        if row["reflection"] != "" else "; reflection not marked yet")
            comment += "".join(f". {m.comment}" for _, m in sorted(given.items()) if m.comment.strip())
        times = [str(row.get("graded_at") or ""), *(str(m.marked_at or "") for m in given.values())]
        result.append({"name": row["name"], "student_id": row["student_id"], "email": row["email"],
                       "platform": who(entry).get("platform", ""), "platform_id": who(entry).get("platform_id", ""),
                       "grade": grade if grade != "" else None,
                       "max_grade": row["grand_max"], "status": row["status"], "comment": comment,
                       "graded_at": max(times)})  # Moodle keeps a grade changed after this time
    return result


def write_exports(out: Path, state: dict, table: list[dict], marks: dict) -> dict[str, list]:
    """Write the Moodle and Canvas import files for the rows those platforms identify; {file: skipped rows}."""
    from . import exports

    rows_ = export_rows(state, table, marks)
    grand_max = table[0]["grand_max"] if table else 0
    written: dict[str, list] = {}
    platforms = {r["platform"] for r in rows_}
    if "moodle" in platforms:
        text, skipped = exports.moodle_worksheet(rows_, max_grade=grand_max)
        report.write_atomic(out / MOODLE, text)
        written[MOODLE] = skipped
    if "canvas" in platforms:
        text, skipped = exports.canvas_import(rows_, assignment=state.get("title", state["exercise"]),
                                              points_possible=grand_max)
        report.write_atomic(out / CANVAS, text)
        written[CANVAS] = skipped
    return written


# -- rebuilding everything from the state and the marks ----------------------------------------------------
def read_marks(out: Path) -> dict:
    from .marks import read_marks as read

    return read(Path(out) / MARKS)


def rebuild(out: Path) -> dict:
    """Write gradebook.csv, questions.csv, feedback/ and the platform exports from results.json and marks.csv.
    Runs no student code; the marking app calls it after every mark. Returns a summary for the caller."""
    from . import feedback

    out = Path(out)
    state = load_state(out)
    if state is None:
        raise StateError(f"no {STATE} in {out}: grade the class into this folder first")
    marks = read_marks(out)
    header, table = rows(state, marks)
    write_csv(out / GRADEBOOK, header, table)
    report.write_atomic(out / QUESTIONS, report.csv_text(questions_rows(state)))
    exported = write_exports(out, state, table, marks)
    pages = feedback.write_all(out, state, marks, table)
    reflective = [q["id"] for q in state["questions"] if q["kind"] == "reflection"]
    graded = [r for r in table if r["status"].startswith("graded")]
    unmarked = sum(1 for r in graded for q in reflective if r[q] == "")
    known = {e.get("submission") for e in state["submissions"]}
    orphans = sorted({submission for submission, _ in marks if submission not in known})
    return {"gradebook": out / GRADEBOOK, "rows": len(table), "pages": pages, "exports": exported,
            "unmarked": unmarked, "orphan_marks": orphans}


def remove_stale(folder: Path, keep: set[str]) -> None:
    """Delete files in ``folder`` (never following links) whose names are not in ``keep``."""
    for entry in os.scandir(folder):
        if entry.name not in keep:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)
