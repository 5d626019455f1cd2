"""Who handed it in (the "Your name" cell, the roster, matching) and the gradebook built from a results state.

Pure Python: nothing here runs a kernel. The end-to-end runs are in tests/test_grading_teacher.py.
"""

from __future__ import annotations

import csv
import io
import json
import re

import nbformat
import pytest

from trotsky1940.grading import core, feedback, gradebook, students
from trotsky1940.grading.students import Identity, Student

from .test_grading import NAME, REFERENCE, student


def with_name(text: str):
    nb = student()
    cell = next(c for c in nb.cells if "your-name" in c.metadata.get("tags", []))
    cell.source = text
    return nb


@pytest.mark.parametrize(("written", "read"), [
    ("**Your name:** Jane Smith", "Jane Smith"),
    ("**Your name:** (double-click here and write your name after the colon, then press Shift+Enter)", ""),
    ("**Your name:** (double-click here and write your name after the colon, then press Shift+Enter) Ali Khan",
     "Ali Khan"),
    ("Your name: **Bo Li**", "Bo Li"),
    ("Cy Ode", "Cy Ode"),
    ("**Your name:** <script>x</script>\x1b[31mEve", "<script>x</script>Eve"),  # escaped where it is shown
    ("# Your name: _Dee_", "Dee"),
])
def test_the_name_cell_is_read_as_plain_text(written, read):
    assert students.name_from_notebook(with_name(written)) == read


def test_the_name_cell_is_found_by_id_when_its_tag_is_gone():
    nb = with_name("**Your name:** Dee Ray")
    cell = next(c for c in nb.cells if c.get("id") == "your-name")
    cell.metadata["tags"] = []
    assert students.name_from_notebook(nb) == "Dee Ray"
    nb.cells.remove(cell)
    assert students.name_from_notebook(nb) == ""


def test_every_student_notebook_has_an_empty_name_cell():
    for path in sorted(REFERENCE.parent.parent.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        cells = [c for c in nb.cells if "your-name" in c.metadata.get("tags", [])]
        assert len(cells) == 1 and nb.cells.index(cells[0]) == 1, path.name
        assert students.name_from_notebook(nb) == "", path.name


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def test_a_roster_is_read_in_any_column_order_with_a_bom(tmp_path):
    roster = write(tmp_path / "r.csv", "\ufeffEmail,Name,ID,Group\na@x.org,Ann Lee,7,9c\n,Ben Ode,8,9c\n\n")
    assert students.read_roster(roster) == [Student("7", "Ann Lee", "a@x.org"), Student("8", "Ben Ode", "")]


@pytest.mark.parametrize(("text", "message"), [
    ("", "the roster is empty"),
    ("name,email\nAnn,a@x\n", "line 1: the header needs the columns id and name"),
    ("id,name\n1,Ann\n,Ben\n", "line 3: every student needs an id and a name"),
    ("id,name\n1,Ann\n2,Ben\n1,Cy\n", "line 4: the id 1 is already on line 2"),
])
def test_a_bad_roster_names_its_file_and_line(tmp_path, text, message):
    roster = write(tmp_path / "class.csv", text)
    with pytest.raises(students.RosterError) as caught:
        students.read_roster(roster)
    assert "class.csv" in str(caught.value) and message in str(caught.value)


def test_a_roster_that_is_not_utf8_says_how_to_save_it(tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_bytes("id,name\n1,Jos\xe9\n".encode("latin-1"))
    with pytest.raises(students.RosterError, match="CSV UTF-8"):
        students.read_roster(roster)


def test_matching_by_id_email_and_name_in_any_form():
    roster = [Student("101", "Jane Smith", "jane@x.org"), Student("102", "José Álvarez"),
              Student("103", "Li Bo"), Student("104", "Ann Lee"), Student("105", "Ann Lee"), Student("106", "Fay Wu")]
    found = [Identity(student_id="101", name="Jane"), Identity(email="JANE@x.org"),
             Identity(name="jose alvarez"), Identity(name="boli"), Identity(name_in_notebook="Bo, Li"),
             Identity(name="Ann Lee"), Identity(name="Nobody")]
    missing, unmatched = students.match(found, roster)
    assert [(f.student_id, f.matched) for f in found[:5]] == [
        ("101", "id"), ("101", "email"), ("102", "name"), ("103", "name"), ("103", "name")]
    assert found[0].name == "Jane Smith"  # the roster's spelling wins
    assert unmatched == [5, 6] and "fits 2 students" in found[5].notes[0]
    assert [s.id for s in missing] == ["104", "105", "106"]


def test_an_id_whose_roster_name_disagrees_credits_no_one():
    """A roster of school ids given for Moodle participant numbers must not hand Jane's work to Ben."""
    roster = [Student("101", "Ben Ode"), Student("7", "Jane Smith")]
    jane = Identity(student_id="101", name="Jane Smith", platform="moodle")
    missing, unmatched = students.match([jane], roster)
    assert jane.student_id == "7" and jane.matched == "name"  # found by her name instead
    assert "the roster's id 101 is Ben Ode" in jane.notes[0]
    assert [s.id for s in missing] == ["101"] and unmatched == []


def test_canvas_names_match_the_roster_in_either_order():
    roster = [Student("1", "Jane Smith"), Student("2", "Zoe Bell")]
    found = [Identity(name="smithjane", platform="canvas"), Identity(name="bellzoe", platform="canvas")]
    students.match(found, roster)
    assert [f.student_id for f in found] == ["1", "2"]


def test_an_excel_roster_with_semicolons_and_other_headers(tmp_path):
    roster = write(tmp_path / "r.csv", "\ufeffStudent ID;Full name;E-mail\n7;Ann Lee;a@x.org\n")
    assert students.read_roster(roster) == [Student("7", "Ann Lee", "a@x.org")]


def test_feedback_file_names_are_plain_and_unique():
    assert students.file_stem("José Álvarez", "", "x") == "jose-alvarez"
    assert students.file_stem("", "", "../../etc/passwd") == "etc-passwd"
    assert students.file_stem("李雷", "s-77", "x") == "s-77"
    entries = [{"submission": f"s{i}", "identity": {"name": "Ann Lee"}} for i in range(3)]
    gradebook.assign_feedback_names(entries)
    assert [e["feedback"] for e in entries] == ["feedback/ann-lee", "feedback/ann-lee-2", "feedback/ann-lee-3"]


@pytest.mark.parametrize(("text", "expected"), [
    ("answer_q1 = ...  # replace ... with your answer", True),
    ('answer_q7 = """\nWrite your answer here.\n"""', True),
    ("answer_q1 = ...", True),
    ('answer_q1 = "..."  # write your answer between the quotes', True),  # as handed out now
    ("answer_q1 = '...'", True),
    ('answer_q1 = "1929"', False),
    ("answer_q1 = 1929", False),
    ("answer_q2 = ...", False),  # another question's placeholder is an edit
    ('answer_q7 = """\nWrite your answer here. I think so.\n"""', False),
])
def test_placeholders_are_recognised(text, expected):
    assert core.is_placeholder("q1" if "q1" in text else "q7" if "q7" in text else "q1", text) is expected


# -- the gradebook from a state ---------------------------------------------------------------------------
def state(*entries) -> dict:
    return {"format": 1, "exercise": NAME, "title": "Exercises 1", "heading": "Exercises 1: Background",
            "questions": [{"id": "q1", "kind": "auto", "points": 1, "hint": "h1", "prompt": "When?"},
                          {"id": "q2", "kind": "auto", "points": 2, "hint": "h2", "prompt": "Order?"},
                          {"id": "q7", "kind": "reflection", "points": 0, "hint": "", "prompt": "Why?"}],
            "submissions": list(entries), "missing": [{"id": "9", "name": "Fay Wu", "email": ""}]}


def entry(label: str, name: str, q1: int, q2: int, fingerprint: str, reflection: str = "", kind: str = "graded"):
    return {"submission": label, "kind": kind, "status": kind, "graded": kind == "graded", "sha256": label,
            "graded_at": "2026-12-01T10:00:00Z", "identity": {"name": name, "student_id": name[:1]},
            "scores": {"q1": q1, "q2": q2}, "details": {"q1": "right" if q1 else "not right",
                                                        "q2": "right" if q2 else "not right"},
            "answers": {"q1": "1929", "q2": "C,B"}, "reflections": {"q7": reflection}, "fingerprint": fingerprint,
            "shown_right": {}, "feedback": f"feedback/{name.lower()}"}


def test_same_answers_are_flagged_only_where_they_are_the_students_own():
    s = state(entry("a", "Ann", 1, 2, "F1"), entry("b", "Ben", 1, 2, "F1"),  # all right, no reflection
              entry("c", "Cy", 0, 2, "F2"), entry("d", "Dee", 0, 2, "F2"),  # the same wrong answer
              entry("e", "Eve", 1, 2, "F3", "mine"), entry("f", "Fox", 1, 2, "F3", "mine"),
              entry("g", "Gil", 1, 2, "F4", "other"), entry("h", "Hal", 0, 0, "F2", kind="not attempted"))
    flagged = gradebook.same_answers(s["submissions"])
    assert flagged == {"c": ["Dee"], "d": ["Cy"], "e": ["Fox"], "f": ["Eve"]}


class Mark:
    def __init__(self, level, comment=""):
        self.level, self.comment = level, comment


def test_rows_are_numeric_and_grand_totals_need_every_mark():
    s = state(entry("a", "Ann", 1, 2, "F1", "x"), entry("b", "Ben", 0, 2, "F2", "y"),
              entry("c", "Cy", 0, 0, "", kind="not attempted"))
    header, rows = gradebook.rows(s, {("a", "q7"): Mark(3), ("c", "q7"): Mark(2)})
    by = {r["name"]: r for r in rows}
    assert (by["Ann"]["q7"], by["Ann"]["reflection"], by["Ann"]["grand_total"], by["Ann"]["grand_max"]) == (3, 3, 6, 6)
    assert (by["Ben"]["q7"], by["Ben"]["reflection"], by["Ben"]["grand_total"]) == ("", "", "")
    assert (by["Cy"]["total"], by["Cy"]["q7"]) == ("", "")  # a mark for a not-attempted row counts for nothing
    assert by["Fay Wu"]["status"] == "no submission" and by["Fay Wu"]["submission"] == ""
    assert set(header) >= set(by["Ann"]) - {"feedback"}
    text = io.StringIO()
    csv.writer(text).writerows([[r.get(k, "") for k in header] for r in rows])
    assert "teacher" not in text.getvalue()


def test_a_damaged_state_names_the_file(tmp_path):
    (tmp_path / "results.json").write_text("{", encoding="utf-8")
    with pytest.raises(gradebook.StateError, match="results.json is damaged"):
        gradebook.load_state(tmp_path)
    (tmp_path / "results.json").write_text(json.dumps({"format": 99}), encoding="utf-8")
    with pytest.raises(gradebook.StateError, match="another version"):
        gradebook.load_state(tmp_path)
    assert gradebook.load_state(tmp_path / "nowhere") is None


def test_a_feedback_page_escapes_everything_a_student_wrote():
    hostile = '<img src=x onerror=alert(1)> **bold** ```'
    e = entry("a", hostile, 0, 2, "F1", reflection=hostile)
    e["answers"] = {"q1": hostile, "q2": "C,B"}
    e["shown_right"] = {"q1": "1929"}
    s = state(e)
    _, rows = gradebook.rows(s, {("a", "q7"): Mark(2, hostile)})
    page = feedback.content(s, e, rows[0], {("a", "q7"): Mark(2, hostile)})
    html = feedback.html_page(page)
    assert "<img" not in html and html.count("&lt;img src=x onerror=alert(1)&gt;") >= 4
    assert "Level 2 of 3" in html and "Why a check that showed" in html
    md = feedback.markdown(page)
    outside = re.sub(r"(?ms)^(`{3,})text\n.*?^\1$", "", md)  # student text is raw only inside fenced blocks
    assert md.count("<img") >= 4 and not re.search(r"(?<!\\)<img", outside)
