"""The reflection-marking side of grading: the rubric read from the teacher guide, marks.csv, and the marking app
(:mod:`trotsky1940.grading.marking`), driven here in Python the way its buttons drive it."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import ipywidgets as widgets
import pytest

from trotsky1940.grading import marking, marks, report

from .helpers import ROOT

GUIDE = ROOT / "teachers" / "guide.md"
EXERCISES = ("01-background", "02-the-two-attempts", "03-the-attack", "04-aftermath")
HOSTILE = "<script>alert('x')</script> <b>9 January</b> <img src=x onerror=alert(1)> & **not bold**"


def test_a_grading_run_imports_neither_the_marking_app_nor_pytest():
    """The grader reads marks (trotsky1940.grading.marks) and signed cell results (.records) without importing
    the marking app's ipywidgets and IPython, or pytest, which only its nbval sandbox needs: a third and a fifth
    of a second of CPU time at every start of `grade`."""
    code = ("import sys; import trotsky1940.__main__, trotsky1940.grading.cli; "
            "print(sorted(m for m in ('ipywidgets', 'IPython', 'pytest', 'nbval') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    assert marking.read_marks is marks.read_marks and marking.MarksError is marks.MarksError  # one API


# -- the rubric ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("exercise", EXERCISES)
def test_the_rubric_of_every_exercise_comes_from_the_guide(exercise):
    guide = GUIDE.read_text(encoding="utf-8")
    found = marking.rubric(exercise)
    number = int(exercise[:2])
    assert found.number == number and found.question == "q7" and found.guide == GUIDE
    assert found.title.startswith(f"Exercises {number}, q7: ")
    assert f"**{found.title_md}**" in guide and found.intro_md and found.intro_md in " ".join(guide.split())
    assert [lv.level for lv in found.levels] == [0, 1, 2, 3]
    for lv in found.levels:
        assert f"| {lv.level} | {lv.general_md} |" in guide  # the general table, read another way
        assert lv.general and "**" not in lv.general
    assert found.levels[0].specific == ""  # level 0 has only the general description
    block = guide.split(f"**{found.title_md}**", 1)[1].split("**Exercises ", 1)[0]
    for lv in found.levels[1:]:
        assert lv.specific, f"level {lv.level} of {exercise} has no text for the question"
        assert f"| {lv.level} | {lv.specific_md} |" in block  # this exercise's own table
    assert found.levels[2].label == "Level 2: Uses evidence"
    html = found.html()
    assert found.levels[3].specific.split(" ")[0] in html and "<script" not in html


def test_the_four_rubrics_differ_and_render_emphasis_as_html():
    specifics = {marking.rubric(e).levels[3].specific for e in EXERCISES}
    assert len(specifics) == 4
    first = marking.rubric("01-background")
    assert "best-supported" in first.levels[3].specific and "*" not in first.levels[3].specific
    assert "<em>best-supported</em>" in first.html()
    assert "[B33, B13, B19]" in first.intro  # source references stay as they are


def fake_guide(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "guide.md"
    path.write_text("# Guide\n\n## Rubric for the reflection questions\n\nIntro.\n\n"
                    "| level | general description |\n|---|---|\n| 0 | Nothing. |\n| 1 | Some **thing**. |\n"
                    "| 2 | Uses evidence: names it. |\n| 3 | Weighs <the> sources. |\n\n" + body
                    + "\n## Next section\n\n**Exercises 5, q7: not in the section.** x\n", encoding="utf-8")
    return path


def test_a_level_missing_from_the_question_table_gets_the_general_text_only(tmp_path):
    guide = fake_guide(tmp_path, "**Exercises 2, q7: two.** What it asks,\nover two lines.\n\n"
                                 "| level | for this question |\n|---|---|\n| 1 | One *thing*. |\n| 3 | Three. |\n")
    found = marking.rubric("02-x", guide=guide)
    assert found.intro == "What it asks, over two lines." and found.title == "Exercises 2, q7: two."
    assert [lv.specific for lv in found.levels] == ["", "One thing.", "", "Three."]
    assert found.levels[1].general == "Some thing." and "<strong>thing</strong>" in found.html()
    assert "Weighs &lt;the&gt; sources." in found.html() and "<the>" not in found.html()


def test_a_missing_rubric_names_the_guide_and_the_exercise(tmp_path):
    guide = fake_guide(tmp_path, "**Exercises 2, q7: two.** x\n")
    for exercise in ("03-the-attack", "05-later", "background"):
        with pytest.raises(marking.RubricError) as info:
            marking.rubric(exercise, guide=guide)
        assert str(guide) in str(info.value) and exercise in str(info.value)
    with pytest.raises(marking.RubricError, match="cannot read"):
        marking.rubric("01-background", guide=tmp_path / "nowhere.md")
    (tmp_path / "other.md").write_text("# No rubric here\n", encoding="utf-8")
    with pytest.raises(marking.RubricError, match="section"):
        marking.rubric("01-background", guide=tmp_path / "other.md")


# -- marks.csv ----------------------------------------------------------------------------------------------
NASTY = ["=SUM(A1:A9)", "+1", "-2 points", "@cmd", "\tleading tab", "'quoted already", "''", "plain",
         "two lines,\nwith, commas", 'quotes "inside", and \\ backslash', "Ça va — 東京 🙂 \u202e right-to-left",
         "windows\r\nline end", "", " spaces around ", "=\n="]


def test_marks_round_trip_exactly_and_no_cell_reads_as_a_formula(tmp_path):
    path = tmp_path / "marks.csv"
    marks = {(f"moodle.zip/Student {i}_1{i}_assignsubmission_file_/01-background.ipynb", "q7"): marking.Mark(
        level=i % 4, comment=comment, marked_at=f"2026-12-01T10:{i:02d}:00Z", name=f"Student {i}",
        student_id=f"1{i}") for i, comment in enumerate(NASTY)}
    marks[("=HYPERLINK(x).ipynb", "q7")] = marking.Mark(2, "-", "2026-12-02T00:00:00Z", "+Plus", "-1")
    marking.write_marks(path, marks)
    assert marking.read_marks(path) == marks
    raw = path.read_bytes().decode("utf-8")
    rows = list(csv.reader(io.StringIO(raw, newline="")))
    assert rows[0] == list(marking.COLUMNS)
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(report.FORMULA_START), row
    assert [p.name for p in tmp_path.iterdir()] == ["marks.csv"]  # written in one step, nothing left behind


def test_marks_are_written_in_a_stable_order(tmp_path):
    marks = {(s, "q7"): marking.Mark(1, s) for s in ("c.ipynb", "a.ipynb", "b.ipynb")}
    marking.write_marks(tmp_path / "one.csv", marks)
    marking.write_marks(tmp_path / "two.csv", dict(reversed(list(marks.items()))))
    one = (tmp_path / "one.csv").read_bytes()
    assert one == (tmp_path / "two.csv").read_bytes()
    assert [r[0] for r in csv.reader(io.StringIO(one.decode()))][1:] == ["a.ipynb", "b.ipynb", "c.ipynb"]


def test_a_missing_marks_file_is_no_marks(tmp_path):
    assert marking.read_marks(tmp_path / "marks.csv") == {}
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    assert marking.read_marks(tmp_path / "empty.csv") == {}
    (tmp_path / "header.csv").write_text(",".join(marking.COLUMNS) + "\n", encoding="utf-8")
    assert marking.read_marks(tmp_path / "header.csv") == {}


HEADER = ",".join(marking.COLUMNS)
GOOD = 'a.ipynb,Ann,1,q7,2,"a comment\nover two lines",2026-12-01T10:00:00Z'


@pytest.mark.parametrize(("rows", "line", "words"), [
    ([GOOD, "b.ipynb,Ben,2,q7,4,,2026-12-01T10:00:00Z"], 4, "level '4'"),
    ([GOOD, "b.ipynb,Ben,2,q7,,,2026-12-01T10:00:00Z"], 4, "level ''"),
    ([GOOD, "b.ipynb,Ben,2,q7,two,,2026-12-01T10:00:00Z"], 4, "level 'two'"),
    ([GOOD, "b.ipynb,Ben,2,q7,-1,,2026-12-01T10:00:00Z"], 4, "level '-1'"),
    ([GOOD, "b.ipynb,Ben,2,q7,3"], 4, "5 columns"),
    ([GOOD, "b.ipynb,Ben,2,q7,3,,x,extra"], 4, "8 columns"),
    ([GOOD, ",Ben,2,q7,3,,x"], 4, "must not be empty"),
    ([GOOD, "b.ipynb,Ben,2,q7,1,,x", "a.ipynb,Ann,1,q7,3,,x"], 5,
     "second mark for a.ipynb q7 (the first is on line 2)"),
])
def test_a_bad_row_names_the_file_and_its_line(tmp_path, rows, line, words):
    path = tmp_path / "marks.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    with pytest.raises(marking.MarksError) as info:
        marking.read_marks(path)
    message = str(info.value)
    assert message.startswith(f"{path}, line {line}: ") and words in message, message


def test_a_header_without_a_column_or_a_file_in_another_encoding_is_refused(tmp_path):
    path = tmp_path / "marks.csv"
    path.write_text("submission,name,question,level,comment\na,b,q7,1,c\n", encoding="utf-8")
    with pytest.raises(marking.MarksError, match=r"line 1: the header lacks the columns student_id, marked_at"):
        marking.read_marks(path)
    path.write_bytes((HEADER + "\na.ipynb,Zo\xeb,1,q7,1,,x\n").encode("latin-1"))
    with pytest.raises(marking.MarksError, match=r"line 2: not UTF-8"):
        marking.read_marks(path)
    path.write_bytes(("\ufeff" + HEADER + "\n" + GOOD + "\n").encode("utf-8"))  # a spreadsheet's UTF-8 with BOM
    assert marking.read_marks(path)[("a.ipynb", "q7")].comment == "a comment\nover two lines"


# -- the app ------------------------------------------------------------------------------------------------
def submission(key: str, name: str, sid: str, reflection: str | None, **extra) -> dict:
    entry = {"submission": key, "sha256": "0" * 64, "status": "graded", "kind": "graded", "graded": True,
             "graded_at": "2026-12-01T23:40:00Z", "name": name, "student_id": sid, "email": "", "platform": "moodle",
             "identity": {"name": name, "student_id": sid, "email": "", "platform": "moodle"},
             "scores": {"q1": 1}, "details": {"q1": "right"}, "answers": {"q1": "1937"},
             "reflections": {} if reflection is None else {"q7": reflection},
             "feedback": f"feedback/{name.lower().replace(' ', '-')}", "notes": []}
    entry.update(extra)
    return entry


STUDENTS = [
    submission("moodle.zip/Ann Archer_101_assignsubmission_file_/01-background.ipynb", "Ann Archer", "101",
               "Two sources agree on 9 January [B33, B13];\nthe caption is one source."),
    submission("moodle.zip/Ben Bell_102_assignsubmission_file_/01-background.ipynb", "Ben Bell", "102", HOSTILE),
    submission("moodle.zip/Cy Chen_103_assignsubmission_file_/01-background.ipynb", "", "", "   "),
    submission("moodle.zip/Dee Ray_104_assignsubmission_file_/01-background.ipynb", "Dee Ray", "104", "x",
               status="not attempted", kind="not attempted", graded=False),
]


def write_results(folder: Path, submissions: list[dict] | None = None, questions: list[dict] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    state = {"format": 1, "exercise": "01-background", "title": "Exercises 1",
             "heading": "Exercises 1: Background — exile and the road to Mexico", "reference_sha256": "f" * 64,
             "reference": "01-background.ipynb",
             "questions": questions if questions is not None else [
                 {"id": "q1", "kind": "auto", "points": 1, "hint": "When did he land?", "prompt": "When?"},
                 {"id": "q7", "kind": "reflection", "points": 3, "hint": "", "prompt": "Why 9 January?"}],
             "submissions": STUDENTS if submissions is None else submissions, "missing": []}
    (folder / "results.json").write_text(json.dumps(state, ensure_ascii=False, indent=1), encoding="utf-8")
    return folder


@pytest.fixture
def results(tmp_path: Path) -> Path:
    return write_results(tmp_path / "results" / "01")


class Calls(list):
    def __call__(self, folder):
        self.append(Path(folder))


def all_widgets(root: widgets.Widget):
    yield root
    for child in getattr(root, "children", ()):
        yield from all_widgets(child)


def rows_of(folder: Path) -> list[dict]:
    text = (folder / "marks.csv").read_bytes().decode("utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_mark_two_students_and_come_back(results):
    calls = Calls()
    app = marking.MarkingApp(results, on_save=calls)
    assert isinstance(app, widgets.VBox) and "t40-marking" in app._dom_classes
    assert [e.who for e in app.entries] == ["Ann Archer", "Ben Bell", STUDENTS[2]["submission"]]  # not Dee
    assert "Student: Ann Archer" in app.student.value and "Reflection 1 of 3" in app.student.value
    assert "Exercises 1: Background" in app.heading.value
    assert "0 of 3 marked" in app.progress.value
    assert "Two sources agree on 9 January [B33, B13];\nthe caption is one source." in app.reflection.value
    assert "Rubric: Exercises 1, q7: the landing date." in app.rubric_view.value
    assert "No level chosen yet" in app.chosen.value

    app.level_buttons[2].click()
    app.comment.value = "Good: two sources,\nnamed. =Next: the caption."
    app.save_button.click()
    assert calls == [results]
    assert [(r["submission"], r["name"], r["student_id"], r["question"], r["level"], r["comment"]) for r in
            rows_of(results)] == [(STUDENTS[0]["submission"], "Ann Archer", "101", "q7", "2",
                                   "Good: two sources,\nnamed. =Next: the caption.")]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", rows_of(results)[0]["marked_at"])
    assert "1 of 3 marked" in app.progress.value and "Student: Ben Bell" in app.student.value
    assert app.level is None and app.comment.value == "" and "Saved: level 2 for Ann Archer" in app.message.value

    app.level_buttons[3].click()
    assert "(chosen)" in app.level_buttons[3].description and "t40-level-chosen" in app.level_buttons[3]._dom_classes
    app.save_button.click()
    assert "2 of 3 marked" in app.progress.value and len(calls) == 2
    assert "(no answer)" in app.reflection.value and app.entries[app.index].submission in app.student.value

    app.previous_button.click()
    assert "Student: Ben Bell" in app.student.value and app.level == 3
    app.previous_button.click()
    assert app.level == 2 and app.comment.value == "Good: two sources,\nnamed. =Next: the caption."
    assert "Chosen: Level 2: Uses evidence" in app.chosen.value and "(marked)" in app.student.value
    app.previous_button.click()
    assert "first reflection" in app.message.value

    again = marking.MarkingApp(results, on_save=calls)  # a new session shows the saved marks
    assert "2 of 3 marked" in again.progress.value and again.level == 2
    again.skip_button.click()
    assert again.index == 2 and "Reflection 3 of 3" in again.student.value


def test_saving_without_a_level_saves_nothing(results):
    calls = Calls()
    app = marking.MarkingApp(results, on_save=calls)
    app.comment.value = "a comment but no level"
    app.save_button.click()
    assert "Choose a level" in app.message.value and "nothing was saved" in app.message.value
    assert not (results / "marks.csv").exists() and calls == [] and app.index == 0
    assert "0 of 3 marked" in app.progress.value


def test_a_failing_rebuild_keeps_the_mark(results):
    def broken(_folder):
        raise RuntimeError("the gradebook is open in another program")

    app = marking.MarkingApp(results, on_save=broken)
    app.level_buttons[1].click()
    app.save_button.click()
    assert rows_of(results)[0]["level"] == "1" and "1 of 3 marked" in app.progress.value
    assert "not updated" in app.message.value and "another program" in app.message.value
    assert "Traceback" not in app.message.value and app.index == 1


def test_the_default_on_save_rebuilds_the_results_and_survives_its_failure(results, monkeypatch):
    called = Calls()
    monkeypatch.setattr(report, "rebuild", called, raising=False)
    app = marking.MarkingApp(results)
    app.level_buttons[0].click()
    app.save_button.click()
    assert called == [results]

    def broken(_folder):
        raise OSError("disk full")

    monkeypatch.setattr(report, "rebuild", broken, raising=False)
    app.level_buttons[3].click()
    app.save_button.click()
    assert "disk full" in app.message.value and len(rows_of(results)) == 2

    monkeypatch.delattr(report, "rebuild", raising=False)  # a grader without rebuild: the marks are still saved
    app.level_buttons[2].click()
    app.save_button.click()
    assert len(rows_of(results)) == 3 and "every reflection is marked" in app.progress.value
    assert "last reflection" in app.message.value


def test_the_real_rebuild_folds_the_mark_into_the_gradebook(results):
    if not callable(getattr(report, "rebuild", None)):
        pytest.skip("the grader has no rebuild yet")
    app = marking.MarkingApp(results)
    app.level_buttons[3].click()
    app.save_button.click()
    assert "not updated" not in app.message.value, app.message.value
    gradebook = list(csv.DictReader(io.StringIO((results / "gradebook.csv").read_text(encoding="utf-8"))))
    assert {r["name"]: r["q7"] for r in gradebook}["Ann Archer"] == "3"


def test_what_a_student_wrote_is_shown_as_text(results):
    app = marking.MarkingApp(results, on_save=Calls())
    app.save_button.click()  # no level: stays on the first
    for _ in range(2):
        app.level_buttons[1].click()
        app.save_button.click()
    app.previous_button.click()
    assert app.index == 1
    assert html_escaped(HOSTILE) in app.reflection.value
    for w in all_widgets(app):
        for name in ("value", "description", "tooltip", "placeholder"):
            value = getattr(w, name, None)
            if isinstance(value, str):
                assert "<script" not in value and "<img" not in value and "<b>" not in value, (w, name)


def html_escaped(text: str) -> str:
    return report.html_text(text)


def test_unsaved_changes_are_kept_when_going_back(results):
    app = marking.MarkingApp(results, on_save=Calls())
    app.level_buttons[2].click()
    app.save_button.click()
    app.level_buttons[1].click()
    app.comment.value = "half written"
    app.previous_button.click()
    assert "not saved" in app.message.value and "Ben Bell" in app.message.value
    app.skip_button.click()  # Ben has no saved mark: the next unmarked
    assert app.index == 1 and app.level == 1 and app.comment.value == "half written"
    assert "unsaved changes" in app.student.value
    assert len(rows_of(results)) == 1


def test_skip_goes_round_and_says_when_all_are_marked(results):
    app = marking.MarkingApp(results, on_save=Calls())
    app.skip_button.click()
    assert app.index == 1
    app.skip_button.click()
    assert app.index == 2
    app.skip_button.click()
    assert app.index == 0  # from the start again
    for _ in range(3):
        app.level_buttons[2].click()
        app.save_button.click()
    app.skip_button.click()
    assert "Every reflection is marked (3 of 3 marked" in app.message.value


def test_controls_have_names_tooltips_and_classes(results):
    app = marking.MarkingApp(results, on_save=Calls())
    labels = [b.description for b in app.level_buttons]
    assert labels == ["Level 0: No answer", "Level 1: Restates the question", "Level 2: Uses evidence",
                      "Level 3: Weighs the sources"]
    general = marking.rubric("01-background").levels
    for b, lv in zip(app.level_buttons, general, strict=True):
        assert b.tooltip.startswith(lv.label) and lv.general in b.tooltip
        assert f"t40-mark-level-{lv.level}" in b._dom_classes
    assert app.comment.description.startswith("Comment")
    for w, cls in ((app.save_button, "t40-mark-save"), (app.previous_button, "t40-mark-previous"),
                   (app.skip_button, "t40-mark-skip"), (app.comment, "t40-mark-comment"),
                   (app.progress, "t40-mark-progress"), (app.reflection, "t40-mark-reflection"),
                   (app.rubric_view, "t40-mark-rubric"), (app.message, "t40-mark-message")):
        assert cls in w._dom_classes
    assert app.save_button.description == "Save and next" and app.skip_button.description == \
        "Skip to the next unmarked"


def test_a_missing_folder_or_results_give_a_clear_message(tmp_path):
    app = marking.MarkingApp(tmp_path / "results" / "01")
    text = app.message.value
    assert "There is no results folder" in text and str(tmp_path / "results" / "01") in text
    assert "trotsky1940 grade exercises/reference/01-background.ipynb" in text and "--out" in text
    assert app.entries == [] and app.save() is False
    (tmp_path / "empty").mkdir()
    assert "no results.json in" in marking.MarkingApp(tmp_path / "empty").message.value
    write_results(tmp_path / "none", submissions=[STUDENTS[3]])
    text = marking.MarkingApp(tmp_path / "none").message.value
    assert "None of the 1 submissions" in text and "trotsky1940 grade" in text
    write_results(tmp_path / "auto", questions=[{"id": "q1", "kind": "auto", "points": 1, "hint": ""}])
    assert "no reflection question" in marking.MarkingApp(tmp_path / "auto").message.value
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "results.json").write_text("{", encoding="utf-8")
    assert "damaged" in marking.MarkingApp(tmp_path / "broken").message.value


def test_a_damaged_marks_file_is_never_overwritten(results):
    (results / "marks.csv").write_text("submission,level\nx,9\n", encoding="utf-8")
    app = marking.MarkingApp(results, on_save=Calls())
    assert "marks.csv, line 1" in app.message.value and app.entries == []
    app.level_buttons[2].click()
    app.save_button.click()
    assert (results / "marks.csv").read_text(encoding="utf-8") == "submission,level\nx,9\n"


def test_marks_of_other_files_in_marks_csv_are_kept(results):
    other = ("old.zip/Someone else.ipynb", "q7")
    marking.write_marks(results / "marks.csv", {other: marking.Mark(1, "earlier run", "2026-11-01T00:00:00Z")})
    app = marking.MarkingApp(results, on_save=Calls())
    assert "0 of 3 marked" in app.progress.value
    app.level_buttons[3].click()
    app.save_button.click()
    marks = marking.read_marks(results / "marks.csv")
    assert marks[other].comment == "earlier run" and marks[(STUDENTS[0]["submission"], "q7")].level == 3


def test_app_finds_its_folder(results, tmp_path, monkeypatch):
    monkeypatch.setenv(marking.ENV_VAR, str(results))
    assert marking.app().results_dir == results and marking.app().entries
    monkeypatch.delenv(marking.ENV_VAR)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setattr("trotsky1940.paths.repo_root", lambda: tmp_path)
    assert marking.app().results_dir == results  # results/01 of the repository root
    assert marking.app("results/01").results_dir == results
    write_results(elsewhere / "results" / "01", submissions=STUDENTS[:1])
    found = marking.app("results/01")
    assert found.results_dir == (elsewhere / "results" / "01").resolve() and len(found.entries) == 1


def test_entries_follow_the_gradebook_order_and_read_both_identity_forms():
    state = {"questions": [{"id": "q7", "kind": "reflection"}, {"id": "q8", "kind": "reflection"}],
             "submissions": [{"submission": "b", "kind": "graded", "identity": {"name": "Bo", "student_id": "9"},
                              "reflections": {"q7": "x"}},
                             {"submission": "a", "status": "graded", "graded": True, "name": "Al"},
                             {"submission": "c", "status": "error", "graded": False}]}
    assert [(e.submission, e.question, e.name, e.reflection) for e in marking.entries_of(state)] == [
        ("b", "q7", "Bo", "x"), ("b", "q8", "Bo", ""), ("a", "q7", "Al", ""), ("a", "q8", "Al", "")]


def test_marks_saved_by_a_spreadsheet_with_semicolons_are_read(tmp_path):
    path = tmp_path / "marks.csv"
    path.write_text("submission;name;student_id;question;level;comment;marked_at\n"
                    " a/x.ipynb ;Ann;1;q7;2;Good, clear;2026-12-01T10:00:00Z\n", encoding="utf-8")
    marks = marking.read_marks(path)
    assert list(marks) == [("a/x.ipynb", "q7")] and marks[("a/x.ipynb", "q7")].comment == "Good, clear"
