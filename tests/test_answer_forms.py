"""Forgiving input, precise feedback: the slips students make, and the exact line of feedback each one gets.

Format problems get format help (never a history hint); a history hint comes only for a wrong answer in the
right form; a right set of letters in the wrong order gets an order hint; an answer cell not run, a letter
without quotes and a skipped first cell each get one line saying what to do.
"""

from __future__ import annotations

import datetime as dt
import decimal
import fractions

import numpy as np
import pytest

from trotsky1940 import answer_forms, exercises

HINT = "History hint for {q}."
RIGHT = {"q1": ("year", "1929"), "q2": ("order of ABCD", "C,B,D,A"), "q3": ("whole number", "57"),
         "q4": ("whole number", "88"), "q5": ("true or false", "False"), "q6": ("one letter of ABCD", "B"),
         "q7": ("two letters of ABCDE", "B,C"), "q8": ("number with 1 decimal", "19.7"),
         "q9": ("whole number", "50000")}
NOT_RUN = "Not yet: run the answer cell above first (click it, press Shift+Enter), then run this cell again."
ERRORED = ("Not yet: the answer cell above stopped with an error: read the message under it, correct the answer, "
           "run it again, then run this cell.")

# (question, what the student wrote, the two lines the check prints)
SLIPS = [
    ("q2", "CBDA", "q2: C,B,D,A", "Right."),
    ("q2", "C B D A", "q2: C,B,D,A", "Right."),
    ("q2", "c, b, d, a", "q2: C,B,D,A", "Right."),
    ("q2", ["C", "B", "D", "A"], "q2: C,B,D,A", "Right."),
    ("q2", ("c", "b", "d", "a"), "q2: C,B,D,A", "Right."),
    ("q2", "C > B > D > A", "q2: C,B,D,A", "Right."),
    ("q2", np.array(["C", "B", "D", "A"]), "q2: C,B,D,A", "Right."),
    ("q2", "ABCD", "q2: A,B,C,D",
     "Not yet: every letter is there once, but the order is not right yet. Hint: History hint for q2."),
    ("q2", "CBD", 'q2: "CBD" (not in the right form)',
     'Not yet: write the four letters A, B, C and D, each once, in order, e.g. "D C B A".'),
    ("q2", "C B D D", 'q2: "C B D D" (not in the right form)',
     'Not yet: write the four letters A, B, C and D, each once, in order, e.g. "D C B A".'),
    ("q2", "CBDE", 'q2: "CBDE" (not in the right form)',
     'Not yet: write the four letters A, B, C and D, each once, in order, e.g. "D C B A".'),
    ("q1", "1929", "q1: 1929", "Right."),
    ("q1", 1929.0, "q1: 1929", "Right."),
    ("q1", "in 1929", "q1: 1929", "Right."),
    ("q1", "1930", "q1: 1930", "Not yet. Hint: History hint for q1."),
    ("q1", "29", 'q1: "29" (not in the right form)', 'Not yet: write the year with four digits, e.g. "1900".'),
    ("q1", "nineteen twenty-nine", 'q1: "nineteen twenty-nine" (not in the right form)',
     'Not yet: write a year in digits, e.g. "1900".'),
    ("q3", "57 years", "q3: 57", "Right."),
    ("q3", "57", "q3: 57", "Right."),
    ("q3", 57, "q3: 57", "Right."),
    ("q3", np.int64(57), "q3: 57", "Right."),
    ("q3", fractions.Fraction(114, 2), "q3: 57", "Right."),
    ("q3", "58 years", "q3: 58", "Not yet. Hint: History hint for q3."),
    ("q3", 57.4, 'q3: "57.4" (not in the right form)', "Not yet: round to a whole number: 57.4 becomes 57."),
    ("q3", [57], "q3: 57", "Right."),
    ("q3", [57, 58], 'q3: "[57, 58]" (not in the right form)', "Not yet: write just one number, not a list."),
    ("q3", "57 or 58", 'q3: "57 or 58" (not in the right form)', 'Not yet: write just one number, e.g. "100".'),
    ("q3", True, 'q3: "True" (not in the right form)',
     'Not yet: write a whole number in digits, e.g. "100", not True or False.'),
    ("q4", dt.timedelta(days=88), "q4: 88", "Right."),
    ("q4", "88 days", "q4: 88", "Right."),
    ("q4", np.float64(88.0), "q4: 88", "Right."),
    ("q4", dt.timedelta(days=87), "q4: 87", "Not yet. Hint: History hint for q4."),
    ("q9", "50,000", "q9: 50000", "Right."),
    ("q9", "50 000 people", "q9: 50000", "Right."),
    ("q9", decimal.Decimal("50000"), "q9: 50000", "Right."),
    ("q5", False, "q5: False", "Right."),
    ("q5", "false", "q5: False", "Right."),
    ("q5", "False.", "q5: False", "Right."),
    ("q5", np.bool_(False), "q5: False", "Right."),
    ("q5", True, "q5: True", "Not yet. Hint: History hint for q5."),
    ("q5", "no", 'q5: "no" (not in the right form)', "Not yet: write True or False."),
    ("q6", "B", "q6: B", "Right."),
    ("q6", "b", "q6: B", "Right."),
    ("q6", " (B) ", "q6: B", "Right."),
    ("q6", "B.", "q6: B", "Right."),
    ("q6", ["B"], "q6: B", "Right."),
    ("q6", "C", "q6: C", "Not yet. Hint: History hint for q6."),
    ("q6", "E", 'q6: "E" (not in the right form)', 'Not yet: write one letter, A, B, C or D, e.g. "A".'),
    ("q6", "B or C", 'q6: "B or C" (not in the right form)', 'Not yet: write one letter, A, B, C or D, e.g. "A".'),
    ("q7", "C B", "q7: B,C", "Right."),
    ("q7", ["c", "b"], "q7: B,C", "Right."),
    ("q7", "BC", "q7: B,C", "Right."),
    ("q7", "B D", "q7: B,D", "Not yet. Hint: History hint for q7."),
    ("q7", "B", 'q7: "B" (not in the right form)',
     'Not yet: write two different letters from A, B, C, D or E, e.g. "A B".'),
    ("q9", "50.000", "q9: 50000", "Right."),
    ("q4", "88,0", "q4: 88", "Right."),
    ("q1", "1.929", "q1: 1929", "Right."),
    ("q8", "19.7", "q8: 19.7", "Right."),
    ("q8", "19.7 years", "q8: 19.7", "Right."),
    ("q8", 19.7, "q8: 19.7", "Right."),
    ("q8", "19,7", "q8: 19.7", "Right."),
    ("q8", 19.71, 'q8: "19.71" (not in the right form)', "Not yet: round to one decimal place: 19.71 becomes 19.7."),
    ("q8", 19.8, "q8: 19.8", "Not yet. Hint: History hint for q8."),
    ("q2", "...", "q2: (no answer yet)",
     "Not yet: write your answer in place of ... in the answer cell, run it, then run this cell again."),
    ("q3", ..., "q3: (no answer yet)",
     "Not yet: write your answer in place of ... in the answer cell, run it, then run this cell again."),
]


@pytest.fixture
def started(monkeypatch):
    """A started exercise whose keys are the RIGHT answers above (hashes only, as in exercises/keys/)."""
    ex = exercises.Exercise("demo")
    ex.keys = {q: {"sha256": exercises.salted_hash("demo", q, answer), "hint": HINT.format(q=q)}
               for q, (_, answer) in RIGHT.items()}
    monkeypatch.setattr(exercises, "CURRENT", ex)
    return ex


@pytest.mark.parametrize(("question", "written", "first", "second"), SLIPS,
                         ids=[f"{q}-{w!r}" for q, w, _, _ in SLIPS])
def test_each_slip_gets_its_feedback_line(started, question, written, first, second):
    form = RIGHT[question][0]
    text = exercises.check_text(question, form, namespace={f"answer_{question}": written})
    assert text.split("\n") == [first, second]


def test_format_help_never_gives_a_history_hint_and_hints_only_follow_a_readable_answer(started):
    for question, written, first, second in SLIPS:
        if "(not in the right form)" in first or "(no answer yet)" in first:
            assert "Hint" not in second and "History" not in second, (question, written)
        if "Hint:" in second:
            answer_forms.read(RIGHT[question][0], written)  # readable: the hint is about history


def test_format_help_examples_do_not_depend_on_the_answer(monkeypatch):
    """An example chosen to avoid the right answer would tell the answer: every question of a form shows the
    same example, whatever its key."""
    ex = exercises.Exercise("demo")
    monkeypatch.setattr(exercises, "CURRENT", ex)
    for form, slip, answers in (("order of ABCD", "AB", ("D,C,B,A", "A,B,C,D")), ("one letter of ABCD", "E", "AD"),
                                ("two letters of ABCDE", "A", ("A,B", "C,D"))):
        lines = set()
        for right in answers:
            ex.keys = {"q": {"sha256": exercises.salted_hash("demo", "q", right), "hint": "h"}}
            lines.add(exercises.check_text("q", form, namespace={"answer_q": slip}).split("\n")[1])
        assert len(lines) == 1, lines
        assert f'e.g. "{answer_forms.example(form)}"' in lines.pop()


def test_a_changed_check_cell_gets_one_line(started):
    assert exercises.check_text("q6", "D", namespace={"answer_q6": "D"}).split("\n") == [
        "q6: (not checked)",
        "Not yet: this check cell was changed. Write your answer in the answer cell above, and put this cell back "
        "as it was (Edit, then Undo)."]


@pytest.mark.parametrize(("source", "advice"), [
    ("answer_q2 = C B D A", 'answer_q2 = "C B D A"'),
    ("answer_q3 = 57 years", 'answer_q3 = "57 years"'),
    ("answer_q6 = B.", 'answer_q6 = "B."'),
    ("answer_q6 = \u201cD\u201d", 'answer_q6 = "D"'),
    ('answer_q6 = "D', 'answer_q6 = "D"'),
])
def test_an_answer_python_cannot_read(started, source, advice):
    question = source.split(" = ")[0].removeprefix("answer_")
    text = exercises.check_text(question, RIGHT[question][0], namespace={"In": ["", source]})
    assert text.split("\n") == [
        f"{question}: (no answer yet)",
        f"Not yet: Python cannot read this answer: write it between straight quotes, {advice}, then run that cell "
        "and this one again."]


def test_an_answer_cell_not_run(started):
    assert exercises.check_text("q3", "whole number", namespace={"In": ["", "ev = 1"]}).split("\n") == [
        "q3: (no answer yet)", NOT_RUN]


def test_a_letter_without_quotes(started):
    namespace = {"In": ["", "answer_q6 = B"]}
    assert exercises.check_text("q6", "one letter of ABCD", namespace=namespace).split("\n") == [
        "q6: (no answer yet)",
        'Not yet: Python does not know the name B: put your answer in quotes, answer_q6 = "B", then run that '
        "cell and this one again."]
    namespace = {"In": ["", "answer_q2 = [C, B, D, A]"]}
    assert exercises.check_text("q2", "order of ABCD", namespace=namespace).split("\n")[1] == (
        'Not yet: Python does not know the names C B D A: put your answer in quotes, answer_q2 = "C B D A", then '
        "run that cell and this one again.")
    namespace = {"In": ["", "answer_q5 = false"]}
    assert exercises.check_text("q5", "true or false", namespace=namespace).split("\n")[1] == (
        "Not yet: write False with a capital letter: answer_q5 = False, then run that cell and this one again.")


def test_an_answer_cell_that_stopped_with_another_error(started):
    namespace = {"In": ["", 'answer_q3 = int("fifty-seven")']}
    assert exercises.check_text("q3", "whole number", namespace=namespace).split("\n") == [
        "q3: (no answer yet)", ERRORED]


def test_the_first_cell_skipped(monkeypatch):
    monkeypatch.setattr(exercises, "CURRENT", None)
    assert exercises.check_text("q3", "whole number", namespace={"answer_q3": "57"}).split("\n") == [
        "q3: (not checked)",
        'Not yet: first run the cell under "Run this first" at the top of the notebook (click it, press '
        "Shift+Enter), then the answer cell, then this cell."]


def test_check_reads_the_answer_variable_of_the_calling_notebook(started, capsys):
    globals()["answer_q3"] = "57 years"  # what an answer cell does: a global of the notebook
    try:
        exercises.check("q3", "whole number")
    finally:
        del globals()["answer_q3"]
    assert capsys.readouterr().out == "q3: 57\nRight.\n"


def test_grading_reads_only_the_first_line_and_sanitizes_every_feedback_line(started):
    import re

    from trotsky1940.grading.core import SANITIZE

    pattern = re.compile(SANITIZE.split("regex: ")[1].split("\n")[0])
    for question, _written, first, second in SLIPS:
        assert pattern.fullmatch(second), second
        parsed = exercises.parse_check_output(f"{first}\n{second}")
        if "(no answer yet)" in first:
            assert parsed is None
        else:
            assert parsed is not None and parsed[0] == question
            assert (parsed[1] == RIGHT[question][1]) == (second == "Right.")


@pytest.mark.parametrize("form", ["", "letters", "order of AAB", "one letter of", "number with 2 decimals"])
def test_an_unknown_form_is_refused_with_the_list_of_forms(form):
    with pytest.raises(ValueError, match="use one of: year, whole number"):
        answer_forms.parse_form(form)
