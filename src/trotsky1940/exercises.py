"""Exercises: instant self-checks for students, and the canonical answers the grader compares.

In an exercise notebook::

    from trotsky1940 import data, exercises
    ex = exercises.Exercise("01-background")
    answer_q1 = 1900
    ex.check("q1", answer_q1)

``check`` prints two lines: the answer in a strict canonical form (``q1: 1900``), then feedback
(``Right.`` or ``Not yet. Hint: …``). The feedback comes from a salted hash of the canonical answer in
``exercises/keys/<name>.json``, so the student notebook never contains the answer itself. That is
feedback, not security: a small answer space (a year, a letter) can be found by trying values.

Grading never trusts the student's notebook: the teacher's reference notebook stores the expected
output of every check cell, and ``python -m trotsky1940 grade`` compares against that (see
:mod:`trotsky1940.grading.core`).
"""

from __future__ import annotations

import decimal
import hashlib
import json
import math
import numbers
import os
import re
from dataclasses import dataclass
from pathlib import Path

from . import paths

ANSWER_TAG = "answer:"
CHECK_TAG = "check:"
QUESTION_TAG = "question"
META_KEY = "trotsky1940"


class NoAnswer(Exception):
    """The answer is still the placeholder ``...``."""


def _number(value: float) -> str:
    """A number in the one form checks print: whole numbers without a decimal point; others rounded to two
    decimals in fixed-point notation, trailing zeros dropped (1234567.5, 0.99, 19.7; never 1.23e+06)."""
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if float(value).is_integer():
        return str(int(value))
    text = f"{round(value, 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def canonical(value: object) -> str:
    """The strict text form of an answer that checks and grading compare.

    Numbers of any type (int, float, numpy and other numeric types, Fraction, Decimal) are written by one rule:
    whole numbers lose any '.0'; other numbers are rounded to 2 decimals in fixed-point notation. Short strings
    (a letter or an id such as 'e032') are upper-cased; longer strings are stripped, lower-cased and have their
    spaces folded; 'true'/'false' become True/False; lists, tuples and arrays keep their order and are joined
    by commas, and so is a string written as a comma-separated list ('c, b, a' is 'C,B,A'); sets are sorted
    first. Applying it to its own result changes nothing.
    """
    if value is Ellipsis or value is None:
        raise NoAnswer
    if isinstance(value, bool) or type(value).__name__ in ("bool_", "bool8"):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, (numbers.Real, decimal.Decimal)):
        return _number(float(value))
    if isinstance(value, str):
        text = " ".join(value.split())
        if text.casefold() in ("true", "false"):
            return text.capitalize()
        if "," in text:
            return ",".join(canonical(part) for part in text.split(","))
        return text.upper() if len(text) <= 4 else text.casefold()
    if isinstance(value, (set, frozenset)):
        return ",".join(sorted(canonical(v) for v in value))
    if isinstance(value, (list, tuple)):
        return ",".join(canonical(v) for v in value)
    tolist = getattr(value, "tolist", None)  # a numpy array or scalar
    if callable(tolist):
        converted = tolist()
        if converted is not value and not hasattr(converted, "tolist"):
            return canonical(converted)
    return " ".join(repr(value).split())


def salted_hash(notebook: str, question: str, canonical_answer: str) -> str:
    """SHA-256 of the canonical answer with a salt derived from the notebook and question."""
    salt = f"trotsky1940:{notebook}:{question}:"
    return hashlib.sha256((salt + canonical_answer).encode("utf-8")).hexdigest()


def keys_dir() -> Path:
    """Where the answer keys (hashes and hints) of the student notebooks live."""
    return paths.repo_root() / "exercises" / "keys"


@dataclass
class Exercise:
    """The self-check of one exercise notebook (its name, e.g. '01-background')."""

    name: str

    def __post_init__(self) -> None:
        path = keys_dir() / f"{self.name}.json"
        if os.environ.get("TROTSKY1940_NO_KEYS"):  # grading: feedback is not compared, keys stay out of reach
            self.keys = {}
            return
        try:
            self.keys = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            self.keys = {}

    def check(self, question: str, answer: object) -> None:
        """Print the canonical form of ``answer`` and whether it is right (with a hint when it is not)."""
        print(self.feedback(question, answer))

    def feedback(self, question: str, answer: object) -> str:
        try:
            text = canonical(answer)
        except NoAnswer:
            return f"{question}: (no answer yet)\nNot yet: replace ... with your answer, then run this cell again."
        key = self.keys.get(question)
        if key is None:
            return f"{question}: {text}\n(No answer key for {question} in exercises/keys/{self.name}.json.)"
        if salted_hash(self.name, question, text) == key["sha256"]:
            return f"{question}: {text}\nRight."
        return f"{question}: {text}\nNot yet. Hint: {key['hint']}"


CHECK_LINE = re.compile(r"^(q\w+): (.*)$")


def parse_check_output(text: str) -> tuple[str, str] | None:
    """(question, canonical answer) from the first line a check printed, or None."""
    first = text.splitlines()[0] if text else ""
    match = CHECK_LINE.match(first)
    if not match or match.group(2) == "(no answer yet)":
        return None
    return match.group(1), match.group(2)
