"""Grade files a learning platform imports: Moodle's offline grading worksheet and Canvas's gradebook CSV.

Used by the grader's gradebook (:func:`trotsky1940.grading.gradebook.write_exports`), outside every sandbox;
pure functions that return CSV text and never touch a file.

Each function takes the gradebook's rows (dicts with ``name, student_id, email, platform, grade, max_grade,
status, comment, graded_at``; ``grade`` a number, or None when not graded) and returns ``(text, skipped)``:

- only rows that the platform itself identified (``platform`` equal to ``"moodle"`` / ``"canvas"``) with the
  platform's numeric id can be imported; every other row is left out and returned in ``skipped`` (the same
  dict objects, in order), so the caller can say how many rows the teacher must enter by hand;
- a student with several rows (two files handed in) gets one line: the graded row with the highest grade; the
  other rows are in ``skipped`` too (the gradebook still shows them all);
- a row may carry ``platform_id``, the id the platform's file naming gave; it is used instead of
  ``student_id`` (which a roster match may have replaced with the roster's own id).

Numbers are written plainly with a decimal point and at most two decimals (``7``, ``7.5``, ``7.33``; never
``7.0``), so the platform reads them as numbers; every text cell goes through :func:`report.csv_cell` (control
characters removed, a leading ``=``, ``+``, ``-``, ``@`` neutralised). Layouts and their sources are described
in the README's section "What the platforms hand you".
"""

from __future__ import annotations

import csv
import io
import math
import numbers
import re
from datetime import datetime, timezone

from . import report

__all__ = ["CANVAS_HEADER", "MOODLE_HEADER", "canvas_import", "moodle_worksheet", "number"]

# The worksheet "Download grading worksheet" gives for an assignment with online text and feedback comments
# (mod/assign/gradingtable.php in download mode, English strings of mod/assign/lang/en/assign.php). The upload
# finds its columns by name: "Identifier" ("Participant <id>"), "Grade", "Last modified (grade)" are required,
# "Feedback comments" is read when that feedback type is enabled; the others are for the teacher's eyes.
MOODLE_HEADER = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                 "Grade can be changed", "Last modified (submission)", "Online text", "Last modified (grade)",
                 "Feedback comments"]
MOODLE_IDENTIFIER = "Participant "
# Canvas's gradebook importer (app/models/gradebook_importer.rb): Student, ID, SIS User ID, SIS Login ID,
# Section, then one column per assignment ("<title> (<assignment id>)", or a title, matched or created).
CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_POINTS_ROW = "Points Possible"
PLATFORM_ID = re.compile(r"^[0-9]+$")
NUMBER_TEXT = re.compile(r"^\s*[0-9]+(?:\.[0-9]+)?\s*$")


class _Plain(str):
    """A cell written as it is (a number, a fixed header): nothing in it comes from a student."""


def number(value: object) -> str:
    """A grade as platforms read it: ``''`` for no grade (None, a boolean, not finite, not a number), else
    the number with a decimal point and at most two decimals, trailing zeros dropped (``7``, ``7.5``)."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, str):
        if not NUMBER_TEXT.match(value):
            return ""
        value = float(value)
    if not isinstance(value, numbers.Real):
        return ""
    value = float(value)
    if not math.isfinite(value):
        return ""
    text = f"{round(value, 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _graded_at(value: object) -> str:
    """An ISO 8601 UTC time (``2026-12-01T23:40:00Z``) as PHP's strtotime reads it, or '' when not a time."""
    text = str(value or "").strip()
    if not text:
        return ""
    try:
        when = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        return ""
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _csv(rows: list[list[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow([cell if isinstance(cell, _Plain) else report.csv_cell(cell) for cell in row])
    return buffer.getvalue()


def _grade_key(row: dict) -> float:
    grade = number(row.get("grade"))
    return float(grade) if grade else -math.inf


def _chosen(rows: list[dict], platform: str) -> tuple[list[tuple[str, dict]], list[dict]]:
    """(platform id, row) for one row per student the platform identified, in the rows' order; the others."""
    best: dict[str, dict] = {}
    order: list[str] = []
    for row in rows:
        pid = str(row.get("platform_id") or row.get("student_id") or "").strip()
        if row.get("platform") != platform or not PLATFORM_ID.match(pid):
            continue
        if pid not in best:
            order.append(pid)
            best[pid] = row
        elif _grade_key(row) > _grade_key(best[pid]):
            best[pid] = row
    kept = {id(row) for row in best.values()}
    skipped = [row for row in rows if id(row) not in kept]
    return [(pid, best[pid]) for pid in order], skipped


def moodle_worksheet(rows: list[dict], *, max_grade: float) -> tuple[str, list[dict]]:
    """Moodle's offline grading worksheet (upload it with the assignment's "Upload grading worksheet"), one
    line per Moodle participant; returns (CSV text, rows left out).

    ``Identifier`` is ``Participant <participant id>``; ``Grade`` is the number, empty when not graded (Moodle
    skips an empty grade); ``Maximum Grade`` is ``max_grade``; ``Last modified (grade)`` is when the grader
    graded, so Moodle keeps a grade the teacher changed in Moodle later (unless its upload form is told to
    overwrite such grades); ``Feedback comments`` is the row's comment (imported when the assignment has
    feedback comments enabled). A grade above the assignment's maximum grade in Moodle is skipped by Moodle:
    set the assignment's maximum grade to ``max_grade``."""
    chosen, skipped = _chosen(rows, "moodle")
    table: list[list[object]] = [[_Plain(h) for h in MOODLE_HEADER]]
    for pid, row in chosen:
        table.append([MOODLE_IDENTIFIER + pid, row.get("name") or "", row.get("email") or "",
                      row.get("status") or "", _Plain(number(row.get("grade"))), _Plain(number(max_grade)),
                      _Plain("Yes"), "", "", _Plain(_graded_at(row.get("graded_at"))), row.get("comment") or ""])
    return _csv(table), skipped


def canvas_import(rows: list[dict], *, assignment: str, points_possible: float,
                  assignment_id: str = "") -> tuple[str, list[dict]]:
    """Canvas's gradebook import CSV (Grades, Import), one line per Canvas user; returns (CSV text, rows left
    out).

    The assignment column is ``<assignment> (<assignment_id>)`` when the Canvas assignment id is given, else
    the title alone: Canvas matches an existing assignment of exactly that title, or creates a new assignment
    with the ``Points Possible`` row's points. ``ID`` is the Canvas user id (Canvas matches students by it
    first); SIS columns and Section are left empty. A grade cell is empty when not graded (Canvas changes
    nothing for an empty cell)."""
    chosen, skipped = _chosen(rows, "canvas")
    title = report.clean_line(assignment, limit=255) or "Assignment"
    column = f"{title} ({assignment_id})" if PLATFORM_ID.match(str(assignment_id)) else title
    table: list[list[object]] = [[*[_Plain(h) for h in CANVAS_HEADER], column],
                                 [_Plain(CANVAS_POINTS_ROW), "", "", "", "", _Plain(number(points_possible))]]
    for pid, row in chosen:
        table.append([row.get("name") or "", _Plain(pid), "", "", "", _Plain(number(row.get("grade")))])
    return _csv(table), skipped
