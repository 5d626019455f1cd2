"""The teacher's side of grading, end to end: a learning platform's download in, a gradebook, platform imports,
marks and hand-back pages out, and a second run that merges (issue 11).

Each run is the real command with the real sandbox, as a teacher runs it. The class is built from the student
notebook as handed out; the zips follow each platform's documented file naming (see tests/test_grading_lms.py).
"""

from __future__ import annotations

import copy
import csv
import io
import json
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from trotsky1940.grading import marking

from .helpers import one_worker
from .test_grading import NAME, REFERENCE, answer_cell, auto_ids, check_cell, perfect, points, reference, student

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]

OTHER = REFERENCE.parent / "02-the-two-attempts.ipynb"
REFLECTION = "q7"
COPIED_REFLECTION = 'answer_q7 = """\nTwo sources agree on 9 January; one caption says 8 January.\n"""'


def named(nb, name: str):
    cell = next(c for c in nb.cells if "your-name" in c.metadata.get("tags", []))
    cell.source = f"**Your name:** {name}"
    return nb


def with_answer(nb, qid: str, source: str):
    answer_cell(nb, qid).source = source
    return nb


def wrong_q1(nb):
    return with_answer(nb, auto_ids()[0], f"answer_{auto_ids()[0]} = 1800")


def other_exercise():
    from trotsky1940.authoring.build_exercises import build_student

    return build_student(nbformat.read(OTHER, as_version=4), OTHER.stem)


def shows_right_but_changed():
    """q1 was checked ("Right.") with the model answer, then changed and saved without running the check."""
    nb = perfect()
    q1 = auto_ids()[0]
    check_cell(nb, q1).outputs = copy.deepcopy(check_cell(reference(), q1).outputs)  # "q1: …" then "Right."
    return wrong_q1(nb)


def dump(nb) -> bytes:
    return nbformat.writes(nb).encode("utf-8")


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def run_grade(reference: Path, inputs: list[Path], out: Path, *extra: str) -> dict:
    command = [sys.executable, "-m", "trotsky1940", "grade", str(reference), *map(str, inputs), "--out", str(out),
               *extra]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    rows: list[dict] = []
    if (out / "gradebook.csv").exists():
        with (out / "gradebook.csv").open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    return {"result": result, "rows": rows, "out": out, "by_name": {r["name"]: r for r in rows if r["name"]}}


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def moodle_member(name: str, participant: int) -> str:
    """Moodle's "Download all submissions" with "Download submissions in folders" (Moodle 3.1 to 4.0)."""
    return f"{name}_{participant}_assignsubmission_file_/{NAME}.ipynb"


@pytest.fixture(scope="module")
@one_worker
def moodle_class(tmp_path_factory):
    """A Moodle "Download all submissions" zip (folders per student), a roster, and the first run."""
    place = tmp_path_factory.mktemp("moodle")
    members = {
        moodle_member("Jane Smith", 101): dump(named(perfect(), "Jane Smith")),
        moodle_member("Ali Khan", 102): dump(named(with_answer(wrong_q1(perfect()), REFLECTION,
                                                              'answer_q7 = """\nMy own view: <b>9 January</b>.\n"""'),
                                                  "Ali")),
        moodle_member("Bo Li", 103): dump(named(with_answer(wrong_q1(perfect()), REFLECTION, COPIED_REFLECTION),
                                                "Bo Li")),
        moodle_member("Cy Ode", 104): dump(named(with_answer(wrong_q1(perfect()), REFLECTION, COPIED_REFLECTION),
                                                 "Cy Ode")),
        moodle_member("Dee Ray", 105): dump(named(student(), "Dee Ray")),
        moodle_member("Ed Moss", 106): dump(named(other_exercise(), "Ed Moss")),
        moodle_member("Gil Tan", 107): dump(named(shows_right_but_changed(), "Gil Tan")),
        moodle_member("Zed Unknown", 199): dump(named(with_answer(perfect(), REFLECTION, 'answer_q7 = "Zed\'s own."'),
                                                      "Zed")),
    }
    download = write_zip(place / "Exercises 1-7.zip", members)
    roster = place / "roster.csv"
    roster.write_text("id,name,email\n101,Jane Smith,jane@example.org\n102,Ali Khan,ali@example.org\n"
                      "103,Bo Li,\n104,Cy Ode,\n105,Dee Ray,\n106,Ed Moss,\n107,Gil Tan,\n108,Fay Wu,fay@example.org\n",
                      encoding="utf-8")
    out = place / "results" / "01"
    first = run_grade(REFERENCE, [download], out, "--roster", str(roster))
    return {"place": place, "zip": download, "roster": roster, "out": out, "first": first}


def test_a_moodle_download_is_graded_and_matched_to_the_roster(moodle_class):
    first = moodle_class["first"]
    result, rows = first["result"], first["by_name"]
    assert result.returncode == 1, result.stderr  # a blank and a wrong-exercise notebook were not graded
    assert rows["Jane Smith"]["student_id"] == "101" and rows["Jane Smith"]["email"] == "jane@example.org"
    assert rows["Jane Smith"]["status"] == "graded" and rows["Jane Smith"]["exercise"] == NAME
    assert int(rows["Jane Smith"]["total"]) == int(rows["Jane Smith"]["max"])
    assert rows["Ali Khan"]["student_id"] == "102"  # by Moodle's participant id, though the notebook says "Ali"
    assert int(rows["Ali Khan"][auto_ids()[0]]) == 0 and int(rows["Ali Khan"]["total"]) == int(
        rows["Ali Khan"]["max"]) - points(auto_ids()[0])
    assert "no submission: Fay Wu (108)" in result.stdout
    assert "matches no one on the roster" in result.stdout and "Zed" in result.stdout
    fay = rows["Fay Wu"]
    assert fay["status"] == "no submission" and fay["submission"] == "" and fay["total"] == ""


def test_blank_and_wrong_exercise_notebooks_get_rows_without_points(moodle_class):
    rows = moodle_class["first"]["by_name"]
    assert rows["Dee Ray"]["status"].startswith("not attempted") and rows["Dee Ray"]["total"] == ""
    ed = rows["Ed Moss"]["status"]
    assert ed.startswith("wrong exercise: this is Exercises 2") and "02-the-two-attempts" in ed
    assert rows["Ed Moss"]["total"] == "" and all(rows["Ed Moss"][q] == "" for q in auto_ids())
    stdout = moodle_class["first"]["result"].stdout
    assert "not attempted" in stdout and "wrong exercise" in stdout


def test_identical_hand_ins_are_flagged_without_changing_scores(moodle_class):
    rows = moodle_class["first"]["by_name"]
    assert rows["Bo Li"]["same_answers"] == "same answers as Cy Ode"
    assert rows["Cy Ode"]["same_answers"] == "same answers as Bo Li"
    assert rows["Bo Li"]["total"] == rows["Ali Khan"]["total"]  # the flag does not touch the score
    assert all(rows[n]["same_answers"] == "" for n in ("Jane Smith", "Ali Khan", "Dee Ray", "Gil Tan"))


def test_the_gradebook_is_numeric_with_its_maxima_beside_it(moodle_class):
    out = moodle_class["out"]
    header = read_csv(out / "gradebook.csv")[0]
    assert header[:7] == ["submission", "name", "student_id", "email", "exercise", "status", "graded_at"]
    assert {"total", "max", "reflection", "grand_total", "same_answers"} <= set(header)
    for row in moodle_class["first"]["rows"]:
        for column in [*auto_ids(), REFLECTION, "total", "reflection", "grand_total"]:
            assert row[column] == "" or row[column].isdigit(), (column, row[column])
        assert row[REFLECTION] == ""  # not marked yet: empty, never a word
    maxima = {r[0]: r[2] for r in read_csv(out / "questions.csv")[1:]}
    assert {q: int(maxima[q]) for q in auto_ids()} == {q: points(q) for q in auto_ids()}
    assert maxima[REFLECTION] == "3" and int(maxima["total"]) == sum(points(q) for q in auto_ids())
    assert int(maxima["grand_total"]) == int(maxima["total"]) + 3


def test_the_moodle_worksheet_names_each_participant(moodle_class):
    out = moodle_class["out"]
    table = read_csv(out / "moodle-grading-worksheet.csv")
    header, body = table[0], table[1:]
    ids = {row[header.index("Identifier")] for row in body}
    assert "Participant 101" in ids and "Participant 199" in ids
    jane = next(r for r in body if r[header.index("Identifier")] == "Participant 101")
    assert float(jane[header.index("Grade")]) == int(moodle_class["first"]["by_name"]["Jane Smith"]["total"])


def test_feedback_pages_show_answers_hints_and_why_a_right_check_scored_nothing(moodle_class):
    out = moodle_class["out"]
    rows = moodle_class["first"]["by_name"]
    gil = (out / rows["Gil Tan"]["feedback"]).read_text(encoding="utf-8")
    assert rows["Gil Tan"]["feedback"] == "feedback/gil-tan-107.html"  # name and id: plain, unique, stable
    assert "Why a check that showed" in gil and "changed after its check was run" in gil
    ali = (out / rows["Ali Khan"]["feedback"]).read_text(encoding="utf-8")
    assert "&lt;b&gt;9 January&lt;/b&gt;" in ali and "<b>9 January" not in ali  # the reflection as text
    assert "Not marked yet" in ali and "Not yet" in ali
    markdown = (out / rows["Ali Khan"]["feedback"]).with_suffix(".md").read_text(encoding="utf-8")
    assert "Your answer (as graded)" in markdown and "Hints for the questions to look at again" in markdown
    dee = (out / rows["Dee Ray"]["feedback"]).read_text(encoding="utf-8")
    assert "No answer was changed" in dee


def test_a_mark_made_in_the_marking_app_reaches_the_gradebook_and_the_page_at_once(moodle_class):
    out = moodle_class["out"]
    time.sleep(1.1)  # times are kept to the second: the mark comes after the grading, as it does in class
    app = marking.MarkingApp(out)  # the default on_save rewrites the gradebook and the pages
    for _ in range(len(app.entries)):
        if "Gil Tan" in app.student.value:
            break
        app.skip_button.click()
    assert "Gil Tan" in app.student.value
    app.level_buttons[2].click()
    app.comment.value = "Two sources named; now ask who wrote the caption."
    app.save_button.click()
    with (out / "gradebook.csv").open(encoding="utf-8", newline="") as handle:
        gil = next(r for r in csv.DictReader(handle) if r["name"] == "Gil Tan")
    assert (gil[REFLECTION], gil["reflection"], int(gil["grand_total"])) == ("2", "2", int(gil["total"]) + 2)
    page = (out / gil["feedback"]).read_text(encoding="utf-8")
    assert "Level 2 of 3" in page and "now ask who wrote the caption" in page


def test_marks_fold_in_and_a_late_submission_merges(moodle_class):
    """Mark two reflections, grade again with --marks, then grade a late hand-in alone into the same folder."""
    out, place = moodle_class["out"], moodle_class["place"]
    first = moodle_class["first"]["by_name"]
    marks_file = place / "marks-from-elsewhere.csv"
    marking.write_marks(marks_file, {
        (first["Jane Smith"]["submission"], REFLECTION): marking.Mark(
            level=3, comment="Careful weighing, well done.", marked_at="2026-12-01T10:00:00Z", name="Jane Smith",
            student_id="101"),
        (first["Ali Khan"]["submission"], REFLECTION): marking.Mark(
            level=1, comment="=Say why: two sources agree.", marked_at="2026-12-01T10:01:00Z", name="Ali Khan",
            student_id="102"),
    })
    second = run_grade(REFERENCE, [moodle_class["zip"]], out, "--roster", str(moodle_class["roster"]),
                       "--marks", str(marks_file))
    assert second["result"].returncode == 1, second["result"].stderr
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert all(s["kept"] for s in run["submissions"] if s["kind"] == "graded")  # unchanged: not graded again
    jane, ali = second["by_name"]["Jane Smith"], second["by_name"]["Ali Khan"]
    assert jane["graded_at"] == first["Jane Smith"]["graded_at"]
    assert (jane[REFLECTION], jane["reflection"]) == ("3", "3")
    assert int(jane["grand_total"]) == int(jane["total"]) + 3
    assert int(ali["grand_total"]) == int(ali["total"]) + 1
    page = (out / ali["feedback"]).read_text(encoding="utf-8")
    assert "Level 1 of 3" in page and "=Say why: two sources agree." in page
    assert (out / "marks.csv").exists() and any((out / "previous").iterdir())
    assert second["by_name"]["Gil Tan"]["reflection"] == "2"  # the app's mark is kept beside the new ones

    late = place / "late"
    late.mkdir()
    nb = named(perfect(), "Fay Wu")
    (late / f"Fay Wu_108_assignsubmission_file_{NAME}.ipynb").write_bytes(dump(nb))
    bo_bytes = zipfile.ZipFile(moodle_class["zip"]).read(moodle_member("Bo Li", 103))
    (late / f"Zoe Park_109_assignsubmission_file_{NAME}.ipynb").write_bytes(bo_bytes)  # Bo's file, byte for byte
    third = run_grade(REFERENCE, [late], out, "--roster", str(moodle_class["roster"]))
    assert third["result"].returncode == 0, third["result"].stderr  # the files given were graded
    rows = third["by_name"]
    assert rows["Fay Wu"]["status"] == "graded" and rows["Fay Wu"]["student_id"] == "108"
    assert rows["Jane Smith"]["grand_total"] == jane["grand_total"]  # kept, with its mark
    assert rows["Jane Smith"]["graded_at"] == first["Jane Smith"]["graded_at"]
    assert "kept from an earlier run" in rows["Jane Smith"]["notes"]
    assert rows["Bo Li"]["status"] == "graded"  # another student's copy of Bo's file takes nothing from Bo
    zoe = next(r for r in third["rows"] if "Zoe Park_109" in r["submission"])
    assert "Bo Li" in zoe["same_answers"] and "matches no one on the roster" in zoe["notes"]
    assert len(third["rows"]) == len(second["rows"]) + 1  # Fay's "no submission" row became her graded row
    assert "no submission" not in third["result"].stdout


def gil_label(rows: dict) -> str:
    return next(label for label in rows if "Gil Tan_107" in label)


def test_a_second_download_under_another_name_keeps_every_result_and_mark(moodle_class):
    out, place = moodle_class["out"], moodle_class["place"]
    with (out / "gradebook.csv").open(encoding="utf-8", newline="") as handle:
        before = {r["submission"]: r for r in csv.DictReader(handle) if r["submission"]}
    again = place / "Downloads"
    again.mkdir()
    shutil.copy(moodle_class["zip"], again / "Exercises 1-7 (1).zip")
    second = run_grade(REFERENCE, [again / "Exercises 1-7 (1).zip"], out, "--roster", str(moodle_class["roster"]))
    assert second["result"].returncode == 1, second["result"].stderr
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert all(s["kept"] for s in run["submissions"] if s["kind"] == "graded")
    after = {r["submission"]: r for r in second["rows"] if r["submission"]}
    assert after.keys() == before.keys()
    for label, row in before.items():
        assert {k: after[label][k] for k in ("graded_at", "total", "reflection", "grand_total", "feedback")} == \
            {k: row[k] for k in ("graded_at", "total", "reflection", "grand_total", "feedback")}, label
    sheet = read_csv(out / "moodle-grading-worksheet.csv")
    header = sheet[0]
    jane = next(r for r in sheet[1:] if r[header.index("Identifier")] == "Participant 101")
    assert "Careful weighing, well done." in jane[header.index("Feedback comments")]  # the teacher's comment
    gil = next(r for r in sheet[1:] if r[header.index("Identifier")] == "Participant 107")
    gil_mark = next(m for (sub, _), m in marking.read_marks(out / "marks.csv").items() if "Gil Tan_107" in sub)
    # marked after grading: Moodle must see the grade as changed then, or it keeps its older one
    assert gil[header.index("Last modified (grade)")] == gil_mark.marked_at > before[gil_label(before)]["graded_at"]


def test_a_canvas_and_a_google_download(tmp_path):
    canvas = write_zip(tmp_path / "submissions.zip", {
        f"smithjane_2001_3001_{NAME}.ipynb": dump(named(perfect(), "Jane Smith")),
        f"kahnali_LATE_2002_3002_{NAME}.ipynb": dump(named(wrong_q1(perfect()), "Ali Kahn")),
    })
    google = write_zip(tmp_path / "Exercises 1-20261201T101010Z-001.zip", {
        f"Exercises 1/Bo Li - {NAME}.ipynb": dump(named(perfect(), "Bo Li")),
    })
    out = tmp_path / "results"
    graded = run_grade(REFERENCE, [canvas, google], out)
    assert graded["result"].returncode == 0, graded["result"].stderr + graded["result"].stdout
    ids = {r["submission"]: r for r in graded["rows"]}
    jane = next(r for label, r in ids.items() if "smithjane" in label)
    assert jane["student_id"] == "2001"
    bo = next(r for label, r in ids.items() if "Bo Li" in label)
    assert bo["name"] == "Bo Li"
    table = read_csv(out / "canvas-gradebook-import.csv")
    header = table[0]
    assert header[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert table[1][0].strip() == "Points Possible"
    assert {row[1] for row in table[2:]} == {"2001", "2002"}
    assert not (out / "moodle-grading-worksheet.csv").exists()


def test_a_damaged_roster_stops_before_grading(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\n1,Ann\n1,Ben\n", encoding="utf-8")
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "a.ipynb").write_bytes(dump(perfect()))
    out = tmp_path / "out"
    graded = run_grade(REFERENCE, [folder], out, "--roster", str(roster))
    assert graded["result"].returncode == 2
    assert "roster.csv, line 3" in graded["result"].stderr and not (out / "gradebook.csv").exists()


def test_fresh_starts_over(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "a.ipynb").write_bytes(dump(perfect()))
    out = tmp_path / "out"
    assert run_grade(REFERENCE, [folder], out)["result"].returncode == 0
    marking.write_marks(out / "marks.csv", {("class/a.ipynb", REFLECTION): marking.Mark(level=2)})
    refused = run_grade(OTHER, [folder], out)  # another exercise into this exercise's folder
    assert refused["result"].returncode == 2 and "one results folder per exercise" in refused["result"].stderr
    assert (out / "marks.csv").exists() and not (out / "previous").exists()
    shutil.move(folder / "a.ipynb", folder / "b.ipynb")
    again = run_grade(REFERENCE, [folder], out, "--fresh")
    assert [r["submission"] for r in again["rows"]] == ["class/b.ipynb"]
    assert not (out / "marks.csv").exists()  # --fresh moves the marks aside too: nothing is lost
    assert [p.name for p in (out / "previous").glob("*/marks.csv")] == ["marks.csv"]
    (folder / "c.ipynb").write_bytes(dump(wrong_q1(perfect())))
    late = run_grade(REFERENCE, [folder / "c.ipynb"], out)  # one file given on its own: merged
    assert sorted(r["submission"] for r in late["rows"]) == [str(folder / "c.ipynb"), "class/b.ipynb"]
    moved = run_grade(REFERENCE, [folder], out)  # the same files under other names: one row each
    assert sorted(r["submission"] for r in moved["rows"]) == ["class/b.ipynb", "class/c.ipynb"]
