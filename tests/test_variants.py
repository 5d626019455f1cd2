"""Class variants: options shuffled per class, with their own keys and reference, kept out of git; right
answers to a variant score full marks against it and not against the public set, and grading refuses a
notebook made for another variant."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import nbformat
import pytest

from trotsky1940 import answer_forms, exercises
from trotsky1940.authoring import variants
from trotsky1940.authoring.build_exercises import build_student, canonical_answers
from trotsky1940.grading.exercise_format import questions

from .helpers import ROOT, one_worker

NAMES = sorted(p.stem for p in (ROOT / "exercises" / "reference").glob("*.ipynb"))


def public(name):
    return nbformat.read(ROOT / "exercises" / "reference" / f"{name}.ipynb", as_version=4)


@pytest.fixture(scope="module")
@one_worker
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("private") / "9b"
    result = subprocess.run([sys.executable, "-m", "trotsky1940", "build-exercises", "--variant", "9b",
                             "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return out


def letter_questions(ref, name):
    return {qid: q for qid, q in questions(ref, name).items() if q["kind"] == "auto"
            and answer_forms.parse_form(q["form"]).kind in ("letters", "order")}


def test_a_variant_is_written_outside_git_with_its_own_keys_and_reference(built):
    for name in NAMES:
        for path in (built / "exercises" / f"{name}.ipynb", built / "exercises" / "reference" / f"{name}.ipynb",
                     built / "exercises" / "keys" / f"{name}.json"):
            assert path.exists(), path
    assert "private/" in (ROOT / ".gitignore").read_text().splitlines()
    assert "9b" in (built / "README.md").read_text()


def test_a_variant_differs_from_the_public_answers_in_most_questions(built):
    changed = total = 0
    for name in NAMES:
        ref = public(name)
        made = nbformat.read(built / "exercises" / "reference" / f"{name}.ipynb", as_version=4)
        before, after = canonical_answers(ref, name), canonical_answers(made, name)
        for qid, q in letter_questions(ref, name).items():
            total += 1
            changed += before[qid] != after[qid]
            # the same option texts, under other letters
            old = variants.options(ref.cells[q["question_cell"]].source)[1]
            new = variants.options(made.cells[q["question_cell"]].source)[1]
            strip = lambda lines: " ".join(lines).split("**", 2)[-1]  # noqa: E731
            assert sorted(map(strip, old.values())) == sorted(map(strip, new.values()))
            assert [strip(v) for _, v in sorted(old.items())] != [strip(v) for _, v in sorted(new.items())]
        keys = json.loads((built / "exercises" / "keys" / f"{name}.json").read_text())
        public_keys = json.loads((ROOT / "exercises" / "keys" / f"{name}.json").read_text())
        assert all(keys[q]["sha256"] != public_keys[q]["sha256"] for q in keys)  # salted with the variant
    assert total >= 10 and changed == total


def test_the_variant_student_notebook_checks_its_own_answers_and_not_the_public_ones(built, monkeypatch):
    for name in NAMES:
        student = nbformat.read(built / "exercises" / f"{name}.ipynb", as_version=4)
        assert student.metadata[exercises.META_KEY]["variant"] == "9b"
        assert "Model answer" not in json.dumps(student.cells)
        setup = next(c for c in student.cells if "setup" in c.metadata.get("tags", []))
        namespace: dict = {}
        exec(setup.source.split("\n", 1)[1].replace("ev = data.load()\n", ""),  # the start() call
             {"exercises": exercises}, namespace)
        made = nbformat.read(built / "exercises" / "reference" / f"{name}.ipynb", as_version=4)
        mine, theirs = canonical_answers(made, name), canonical_answers(public(name), name)
        for qid, q in letter_questions(made, name).items():
            right = exercises.check_text(qid, q["form"], mine[qid], {})
            wrong = exercises.check_text(qid, q["form"], theirs[qid], {})
            assert right.endswith("\nRight."), right
            assert not wrong.endswith("\nRight."), wrong


def snapshot() -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted((ROOT / "exercises").rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_variant_names_are_checked_and_the_public_exercises_are_never_overwritten(tmp_path):
    before = snapshot()
    for args in (["--variant", "../x"], ["--variant", "public"], ["--variant", "ok", "--out", str(ROOT)],
                 ["--out", str(tmp_path)]):
        result = subprocess.run([sys.executable, "-m", "trotsky1940", "build-exercises", *args], cwd=ROOT,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert "build-exercises:" in result.stderr
    assert snapshot() == before


def test_shuffling_renames_the_letters_of_the_model_answer_only():
    source = ('answer_q2 = sorted(\n    ["A", "B", "C", "D"],\n    key=lambda letter: ev.events_by_id[{"A": "E009", '
              '"B": "E004", "C": "E003", "D": "E007"}[letter]].date,\n)  # "Avenida" stays\n')
    renamed = variants.rename_literals(source, {"A": "C", "B": "A", "C": "D", "D": "B"})
    assert renamed == ('answer_q2 = sorted(\n    ["C", "A", "D", "B"],\n    key=lambda letter: ev.events_by_id[{"C": '
                       '"E009", "A": "E004", "D": "E003", "B": "E007"}[letter]].date,\n)  # "Avenida" stays\n')


@pytest.mark.slow
@pytest.mark.sandbox
def test_right_answers_to_a_variant_score_full_marks_against_it_and_are_refused_by_the_public_set(built, tmp_path):
    name = NAMES[0]
    made = nbformat.read(built / "exercises" / "reference" / f"{name}.ipynb", as_version=4)
    handed_out = nbformat.read(built / "exercises" / f"{name}.ipynb", as_version=4)
    qs = questions(made, name)
    answers = canonical_answers(made, name)
    folder = tmp_path / "class"
    folder.mkdir()

    def hand_in(nb, filename, strip_metadata=False):
        nb = nbformat.from_dict(json.loads(json.dumps(nb)))
        for qid, q in qs.items():
            if q["kind"] == "auto":  # typed as a student would: the letters as one word, a number as text
                nb.cells[q["answer_cell"]].source = f'answer_{qid} = "{answers[qid].replace(",", "")}"'
        nb.cells[1].source = f"**Your name:** {filename}"
        if strip_metadata:
            nb.metadata.pop(exercises.META_KEY, None)
        nbformat.write(nb, folder / f"{filename}.ipynb")

    hand_in(handed_out, "variant-student")
    hand_in(handed_out, "variant-no-metadata", strip_metadata=True)
    # the variant's right answers typed into the public notebook
    hand_in(build_student(public(name), name), "public-with-variant-answers")
    hand_in(build_student(public(name), name), "public-no-metadata", strip_metadata=True)

    def grade(reference, out):
        result = subprocess.run([sys.executable, "-m", "trotsky1940", "grade", str(reference), str(folder),
                                 "--out", str(out), "--workers", "2", "--quiet"],
                                capture_output=True, text=True, timeout=900)
        assert result.returncode in (0, 1), result.stderr
        with (out / "gradebook.csv").open(encoding="utf-8") as handle:
            return {r["submission"].rsplit("/", 1)[-1]: r for r in csv.DictReader(handle)}

    against_variant = grade(built / "exercises" / "reference" / f"{name}.ipynb", tmp_path / "out-9b")
    against_public = grade(ROOT / "exercises" / "reference" / f"{name}.ipynb", tmp_path / "out-public")
    full = against_variant["variant-student.ipynb"]["max"]
    assert against_variant["variant-student.ipynb"]["total"] == full
    assert against_variant["variant-no-metadata.ipynb"]["total"] == full
    for row in (against_public["variant-student.ipynb"], against_public["variant-no-metadata.ipynb"],
                against_variant["public-with-variant-answers.ipynb"]):
        assert row["status"].startswith("wrong variant: this notebook was made for"), row
        assert row["total"] in ("", "0")
    told = {key: row["status"] for key, row in against_variant.items()}
    assert "made for the public exercises" in told["public-no-metadata.ipynb"]  # recognised by its options
    assert "made for the public exercises" in told["public-with-variant-answers.ipynb"]
    assert "grade it against the public exercises/reference/" in told["public-no-metadata.ipynb"]
    assert "made for class variant 9b" in against_public["variant-student.ipynb"]["status"]
    assert "made for another class variant" in against_public["variant-no-metadata.ipynb"]["status"]
    # the public notebook with the variant's answers, graded as public: the shuffled questions score nothing
    public_row = against_public["public-with-variant-answers.ipynb"]
    shuffled_points = sum(q["points"] for q in letter_questions(made, name).values())
    assert float(public_row["total"]) <= float(full) - shuffled_points


def test_a_variant_for_marks_reads_answers_without_saying_whether_they_are_right(tmp_path):
    import re

    from trotsky1940.grading.core import SANITIZE

    out = tmp_path / "exam"
    result = subprocess.run([sys.executable, "-m", "trotsky1940", "build-exercises", "--variant", "exam",
                             "--feedback", "form", "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    name = NAMES[0]
    student = nbformat.read(out / "exercises" / f"{name}.ipynb", as_version=4)
    setup = next(c for c in student.cells if "setup" in c.metadata.get("tags", []))
    assert f'exercises.start("{name}", variant="exam", feedback="form")' in setup.source
    assert "keys=" not in setup.source  # no hashes to try letters against
    made = nbformat.read(out / "exercises" / "reference" / f"{name}.ipynb", as_version=4)
    answers = canonical_answers(made, name)
    exercises.start(name, variant="exam", feedback="form")
    pattern = re.compile(SANITIZE.split("regex: ")[1].split("\n")[0])
    try:
        for qid, q in questions(made, name).items():
            if q["kind"] != "auto":
                continue
            right = exercises.check_text(qid, q["form"], answers[qid], {})
            other = answer_forms.example(q["form"])
            wrong = exercises.check_text(qid, q["form"], other, {})
            assert right.split("\n")[1] == wrong.split("\n")[1] == exercises.FORM_ONLY  # the same words either way
            assert right.split("\n")[0] == f"{qid}: {answers[qid]}"
            assert pattern.fullmatch(right.split("\n")[1])  # grading compares only the first line
            assert "Not yet" in exercises.check_text(qid, q["form"], "...", {})  # format help stays
    finally:
        exercises.CURRENT = None
    assert "only say how they read an answer" in (out / "README.md").read_text()
