"""Items worth their points: right options spread over the letters, the right option not systematically the
longest, no answer given away by a chart or text of the same or an earlier exercise, no question asked twice,
and every question tied to a learning objective listed in the teacher guide."""

from __future__ import annotations

import collections
import re

import nbformat
import pytest

from trotsky1940 import answer_forms, exercises
from trotsky1940.authoring import variants
from trotsky1940.authoring.build_exercises import build_student, canonical_answers, strip_teacher_notes
from trotsky1940.grading.exercise_format import questions

from .helpers import ROOT

NAMES = sorted(p.stem for p in (ROOT / "exercises" / "reference").glob("*.ipynb"))
MAX_SHARE = 0.35


def references():
    return {name: nbformat.read(ROOT / "exercises" / "reference" / f"{name}.ipynb", as_version=4) for name in NAMES}


def choice_items(refs=None):
    """Every multiple-choice question: (exercise, question, form, {letter: option text}, right letters)."""
    items = []
    for name, ref in (refs or references()).items():
        answers = canonical_answers(ref, name)
        for qid, q in questions(ref, name).items():
            if q["kind"] != "auto":
                continue
            form = answer_forms.parse_form(q["form"])
            if form.kind != "letters":
                continue
            _, found, _ = variants.options(ref.cells[q["question_cell"]].source)
            texts = {letter: " ".join(" ".join(lines).split("**", 2)[-1].split()) for letter, lines in found.items()}
            assert sorted(texts) == list(form.letters), (name, qid)
            items.append((name, qid, form, texts, answers[qid].split(",")))
    return items


def letter_spread(items) -> collections.Counter:
    return collections.Counter(letter for *_, right in items for letter in right)


def length_bias(items) -> tuple[float, float]:
    """(share of questions whose right option is the strictly longest, mean right length / mean wrong length)."""
    longest, right_lengths, wrong_lengths = 0, [], []
    for *_, texts, right in items:
        lengths = {letter: len(text) for letter, text in texts.items()}
        top = max(lengths.values())
        if all(lengths[r] == top for r in right) and sum(v == top for v in lengths.values()) == len(right):
            longest += 1
        right_lengths += [lengths[r] for r in right]
        wrong_lengths += [v for k, v in lengths.items() if k not in right]
    mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
    return longest / len(items), mean(right_lengths) / mean(wrong_lengths)


def test_right_letters_are_spread_over_the_options():
    items = choice_items()
    assert len(items) >= 8
    counts = letter_spread(items)
    total = sum(counts.values())
    assert set("ABCD") <= set(counts), counts
    for letter, count in counts.items():
        assert count / total <= MAX_SHARE, f"{letter} is right {count} times out of {total}: {counts}"


def test_the_right_option_is_not_systematically_the_longest():
    share, ratio = length_bias(choice_items())
    assert share <= 1 / 3 + 1e-9, f"the right option is the longest in {share:.0%} of the questions"
    assert 0.85 <= ratio <= 1.15, f"right options are {ratio:.2f} times as long as wrong ones"


def test_the_length_and_spread_checks_catch_a_biased_set():
    biased = [("x", f"q{i}", None, {"A": "short", "B": "a much longer and carefully hedged option", "C": "no",
                                    "D": "brief"}, ["B"]) for i in range(4)]
    assert length_bias(biased)[0] == 1.0 and length_bias(biased)[1] > 3
    assert letter_spread(biased)["B"] / 4 > MAX_SHARE


def test_no_option_or_hint_names_another_option_by_its_letter():
    for name, ref in references().items():
        for qid, q in questions(ref, name).items():
            hint = q["hint"]
            assert not re.search(r"\b(option|answer|letter)s? [A-E]\b|\b[A-E] and [A-E]\b|\b[A-E] or [A-E]\b", hint), (
                name, qid, hint)
    for name, qid, _, texts, _ in choice_items():
        for text in texts.values():
            assert not re.search(r"\b(option|answer)s? [A-E]\b|\bboth [A-E]\b|\b[A-E] and [A-E]\b", text), (name, qid)


def answer_patterns(form: answer_forms.Form, answer: str) -> list[re.Pattern]:
    """Ways a numeric answer could be printed or written (letters cannot be searched for in text)."""
    if form.kind == "year":
        return [re.compile(rf"(?<![\d.,]){answer}(?![\d])")]
    if form.kind in ("whole", "decimal"):
        number = float(answer)
        grouped = f"{int(number):,}" if number.is_integer() else answer
        if number >= 100:
            return [re.compile(rf"(?<![\d.,]){re.escape(s)}(?![\d]|[.,]\d)") for s in {answer, grouped}]
        unit = r"\s*(years?|days?|months?|hours?|people|per day|a day|every day)\b"
        return [re.compile(rf"(?<![\d.,]){re.escape(answer)}(?![\d]|[.,]\d){unit}")]
    return []


def visible_text(student, reference) -> list[tuple[int, str]]:
    """What a student reads in an exercise: its Markdown, and the outputs of the cells they run (from the
    reference's stored outputs), except the answer and check cells."""
    texts = []
    for index, (cell, ref_cell) in enumerate(zip(student.cells, reference.cells, strict=True)):
        tags = ref_cell.metadata.get("tags", [])
        if any(t.startswith(("answer:", "check:")) for t in tags):
            continue
        if cell.cell_type == "markdown":
            texts.append((index, cell.source))
        else:
            for output in ref_cell.get("outputs", []):
                texts.append((index, output.get("text", "") + "".join(
                    str(v) for k, v in output.get("data", {}).items() if k.startswith("text/"))))
    return texts


def test_no_chart_or_text_gives_away_an_answer_of_that_or_a_later_exercise():
    refs = references()
    seen: list[tuple[str, int, str]] = []  # text from this exercise and the earlier ones
    problems = []
    for name, ref in refs.items():
        student = build_student(ref, name)
        seen += [(name, index, text) for index, text in visible_text(student, ref)]
        for later in NAMES[NAMES.index(name):]:
            later_ref = refs[later]
            answers = canonical_answers(later_ref, later)
            for qid, q in questions(later_ref, later).items():
                if q["kind"] != "auto":
                    continue
                for pattern in answer_patterns(answer_forms.parse_form(q["form"]), answers[qid]):
                    for where, index, text in seen:
                        if where != name:
                            continue
                        match = pattern.search(text)
                        if match:
                            problems.append(f"{later} {qid} ({answers[qid]}) is shown in {where}, cell {index}: "
                                            f"...{text[max(0, match.start() - 60):match.end() + 20]}...")
    assert not problems, "\n".join(problems)


def test_the_give_away_check_finds_an_answer_printed_by_a_chart():
    form = answer_forms.parse_form("whole number")
    alt = "From the May raid to the attack: 88 days; Trotsky in Mexico: 3.6 years."
    assert any(p.search(alt) for p in answer_patterns(form, "88"))
    assert not any(p.search("on 8 January 1937") for p in answer_patterns(form, "8"))
    assert any(p.search("about 50,000 per day") for p in answer_patterns(form, "50000"))


def normalised(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", text.casefold()).split())


def test_no_question_is_asked_twice():
    refs = references()
    prompts, numeric = {}, {}
    for name, ref in refs.items():
        answers = canonical_answers(ref, name)
        for qid, q in questions(ref, name).items():
            body = strip_teacher_notes(ref.cells[q["question_cell"]].source).split("\n", 1)[1]
            key = normalised(body.split("**Answer with:**")[0])
            assert key not in prompts, f"{name} {qid} repeats {prompts.get(key)}"
            prompts[key] = f"{name} {qid}"
            if q["kind"] == "auto" and answer_forms.parse_form(q["form"]).kind in ("whole", "decimal", "year"):
                # the same number asked for twice is the same calculation asked twice
                assert answers[qid] not in numeric, f"{name} {qid} asks again for {numeric.get(answers[qid])}"
                numeric[answers[qid]] = f"{name} {qid}"


def guide_objectives() -> dict[int, str]:
    text = (ROOT / "teachers" / "guide.md").read_text(encoding="utf-8")
    section = text.split("## Learning objectives", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = re.match(r"^\| \*\*(\d)\. ", line)
        if match:
            rows[int(match.group(1))] = line.rsplit("|", 2)[-2]
    return rows


def test_every_question_is_tied_to_an_objective_listed_in_the_guide():
    rows = guide_objectives()
    assert sorted(rows) == [1, 2, 3, 4, 5]
    for name, ref in references().items():
        number = int(name[:2])
        for qid, q in questions(ref, name).items():
            objective = q["objective"]
            assert objective in rows, f"{name} {qid}: objective {objective!r} is not one of the guide's"
            practised = rows[objective]
            block = re.search(rf"Exercises {number}, (.*?)(?=Exercises \d|$)", practised)
            assert block and re.search(rf"\b{qid}\b", block.group(1)), (
                f"the guide lists {name} {qid} under no objective {objective} ('practised in' column)")
            for other, text in rows.items():
                if other != objective:
                    other_block = re.search(rf"Exercises {number}, (.*?)(?=Exercises \d|$)", text)
                    assert not (other_block and re.search(rf"\b{qid}\b", other_block.group(1))), (
                        f"the guide lists {name} {qid} under objective {other} too")


@pytest.mark.parametrize("name", NAMES)
def test_every_auto_question_has_one_placeholder_to_replace_and_the_example_of_its_form(name):
    ref = nbformat.read(ROOT / "exercises" / "reference" / f"{name}.ipynb", as_version=4)
    student = nbformat.read(ROOT / "exercises" / f"{name}.ipynb", as_version=4)
    answers = canonical_answers(ref, name)
    for qid, q in questions(ref, name).items():
        if q["kind"] != "auto":
            continue
        assert student.cells[q["answer_cell"]].source.startswith(f'answer_{qid} = "..."')
        assert student.cells[q["answer_cell"]].source.count("...") == 1
        line = next(ln for ln in ref.cells[q["question_cell"]].source.splitlines() if ln.startswith("**Answer with:**"))
        example = re.search(r'e\.g\. "([^"]*)"', line)
        if example:  # the form's one example, whatever the answer: an example chosen to avoid it would tell it
            assert example.group(1) == answer_forms.example(q["form"]), (name, qid, line)
        assert exercises.parse_check_output(f"{qid}: {answers[qid]}") == (qid, answers[qid])


def test_no_file_of_the_package_holds_an_expected_check_output():
    """The grader's sandbox can read the installed package: no file there may hold a line a check prints
    for a right answer (a red-team cheat searches the disk for exactly that)."""
    needles = []
    for name, ref in references().items():
        needles += [f"{qid}: {answer}" for qid, answer in canonical_answers(ref, name).items()
                    if qid != "example"]
    for path in sorted((ROOT / "src" / "trotsky1940").rglob("*")):
        if path.is_file() and path.suffix in (".py", ".json", ".csv", ".md", ".txt"):
            text = path.read_text(encoding="utf-8", errors="replace")
            found = [n for n in needles if re.search(rf"(?m){re.escape(n)}(?![\w.,])", text)]
            assert not found, f"{path.relative_to(ROOT)} holds {found}"
