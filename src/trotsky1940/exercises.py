"""Exercises: instant self-checks for students, and the canonical answers the grader compares.

In an exercise notebook, the cell under "Run this first"::

    from trotsky1940 import charts, data, display, exercises
    ev = data.load()
    ex = exercises.start("01-background")

then, per question, an answer cell and a check cell::

    answer_q1 = "1905"

    from trotsky1940.exercises import check

    check("q1", "year")

``check`` reads ``answer_q1`` in the form the question asks for (see :mod:`trotsky1940.answer_forms`:
"DACB", "d, a, c, b" and ["D", "A", "C", "B"] are one answer; "42 years" is 42) and prints two lines: the
answer in a strict canonical form (``q1: 1905``), then one line of feedback: ``Right.``, ``Not yet. Hint: …``
(a history hint, only for a wrong answer in the right form), or ``Not yet: …`` saying what to do (format
help; the answer cell or the first cell not run yet). The check cell imports what it needs, so it answers
in one friendly line even when the notebook's first cell was skipped, and never ends in a traceback.

The feedback comes from a salted hash of the canonical answer in ``exercises/keys/<name>.json`` (a class
variant carries its own hashes in its first cell), so the student notebook never contains the answer itself.
That is feedback, not security: a small answer space (a year, a letter) can be found by trying values.

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
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import answer_forms, paths

ANSWER_TAG = "answer:"
CHECK_TAG = "check:"
QUESTION_TAG = "question"
META_KEY = "trotsky1940"


NoAnswer = answer_forms.NoAnswer


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


def salted_hash(notebook: str, question: str, canonical_answer: str, variant: str = "") -> str:
    """SHA-256 of the canonical answer with a salt derived from the notebook, the question and (for a class
    variant) the variant's name."""
    salt = f"trotsky1940:{notebook}:{question}:" if not variant else f"trotsky1940:{notebook}:{variant}:{question}:"
    return hashlib.sha256((salt + canonical_answer).encode("utf-8")).hexdigest()


def keys_dir() -> Path:
    """Where the answer keys (hashes and hints) of the student notebooks live."""
    return paths.repo_root() / "exercises" / "keys"


@dataclass
class Exercise:
    """The self-check of one exercise notebook (its name, e.g. '01-background'; for a class variant, the
    variant's name and its hashes, which then replace those of ``exercises/keys/``)."""

    name: str
    variant: str = ""
    hashes: dict[str, str] = field(default_factory=dict)
    feedback_mode: str = "full"  # "form": the check reads the answer but does not say whether it is right

    def __post_init__(self) -> None:
        path = keys_dir() / f"{self.name}.json"
        if os.environ.get("TROTSKY1940_NO_KEYS"):  # grading: feedback is not compared, keys stay out of reach
            self.keys = {}
            return
        try:
            self.keys = json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            self.keys = {}
        if self.variant:
            self.keys = {q: {"hint": self.keys.get(q, {}).get("hint", ""), "sha256": digest}
                         for q, digest in self.hashes.items()}

    def is_right(self, question: str, text: str) -> bool:
        key = self.keys.get(question)
        if key is None:
            return False
        digest = salted_hash(self.name, question, text, self.variant)
        return digest.startswith(key["sha256"]) if self.variant else digest == key["sha256"]

    def check(self, question: str, answer: object, form: str | None = None) -> None:
        """Print the canonical form of ``answer`` and whether it is right (with a hint when it is not)."""
        print(self.feedback(question, answer, form))

    def feedback(self, question: str, answer: object, form: str | None = None) -> str:
        """The two lines a check prints for ``answer`` (read as ``form`` when given)."""
        parsed = answer_forms.parse_form(form) if form else None
        try:
            if parsed is None:
                text = canonical(answer)
            else:
                text = answer_forms.read(parsed, answer)
        except NoAnswer:
            return (f"{question}: (no answer yet)\nNot yet: write your answer in place of ... in the answer cell, "
                    "run it, then run this cell again.")
        except answer_forms.FormatProblem as problem:
            return f"{question}: {shown(answer)} (not in the right form)\nNot yet: {problem}."
        if self.feedback_mode == "form":
            return f"{question}: {text}\n{FORM_ONLY}"
        key = self.keys.get(question)
        if key is None:
            return f"{question}: {text}\n(No answer key for {question} in exercises/keys/{self.name}.json.)"
        if self.is_right(question, text):
            return f"{question}: {text}\nRight."
        if parsed is not None and parsed.kind == "order":
            return (f"{question}: {text}\nNot yet: every letter is there once, but the order is not right yet. "
                    f"Hint: {key['hint']}")
        return f"{question}: {text}\nNot yet. Hint: {key['hint']}"


def shown(answer: object, limit: int = 40) -> str:
    """A student's answer as a check repeats it: one line, at most ``limit`` characters, quoted."""
    text = " ".join(str(answer).split()) if not isinstance(answer, str) else " ".join(answer.split())
    text = text if len(text) <= limit else text[:limit - 1] + "…"
    return f'"{text}"'


CURRENT: Exercise | None = None
SETUP_CELL = "Run this first"
ANSWER_CELL = re.compile(r"^\s*(answer_(q\w+))\s*=", re.MULTILINE)


FORM_ONLY = ("(Read. In this class set the check only says how it reads your answer, not whether it is right: "
             "your teacher marks it.)")


def start(name: str, variant: str = "", keys: dict[str, str] | None = None, feedback: str = "full") -> Exercise:
    """Start the self-checks of exercise ``name`` (the first cell of an exercise notebook calls this).

    Later ``check`` calls use it; in IPython it also turns a name error in an answer cell (a letter typed
    without quotes, ``false`` for False) into one line saying what to write. ``feedback="form"`` (a class
    variant built for marks) makes the checks say how they read an answer, and not whether it is right, so
    that trying each letter in turn tells nothing.
    """
    global CURRENT
    if feedback not in ("full", "form"):
        raise ValueError(f"feedback must be 'full' or 'form', not {feedback!r}")
    CURRENT = Exercise(name, variant, dict(keys or {}), feedback)
    friendly_name_errors()
    return CURRENT


def check(question: str, form: str, answer: object = Ellipsis, *, namespace: dict | None = None) -> None:
    """Check the answer to ``question`` (the variable ``answer_<question>`` of the notebook, unless ``answer``
    is given), read as ``form``; print its canonical form and one line of feedback."""
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    print(check_text(question, form, answer, namespace))


def check_text(question: str, form: str, answer: object = Ellipsis, namespace: dict | None = None) -> str:
    """The two lines :func:`check` prints."""
    namespace = namespace if namespace is not None else {}
    friendly_name_errors()
    try:
        answer_forms.parse_form(form)
    except (ValueError, AttributeError):
        return (f"{question}: (not checked)\nNot yet: this check cell was changed. Write your answer in the answer "
                "cell above, and put this cell back as it was (Edit, then Undo).")
    if CURRENT is None:
        return (f"{question}: (not checked)\nNot yet: first run the cell under \"{SETUP_CELL}\" at the top of "
                "the notebook (click it, press Shift+Enter), then the answer cell, then this cell.")
    variable = f"answer_{question}"
    if answer is Ellipsis and variable not in namespace:
        return f"{question}: (no answer yet)\nNot yet: {missing_answer(variable, namespace)}"
    value = namespace[variable] if answer is Ellipsis else answer
    return CURRENT.feedback(question, value, form)


def missing_answer(variable: str, namespace: dict) -> str:
    """Why ``variable`` is not defined, from the cells run so far (IPython's input history)."""
    history = namespace.get("In") or namespace.get("_ih") or []
    ran = [cell for cell in history if isinstance(cell, str) and re.search(rf"^\s*{variable}\s*=", cell, re.M)]
    if not ran:
        return "run the answer cell above first (click it, press Shift+Enter), then run this cell again."
    bare = bare_names(ran[-1], variable, namespace)
    if bare:
        return quote_advice(variable, bare)
    unreadable = syntax_advice(ran[-1], variable)
    if unreadable:
        return unreadable
    return ("the answer cell above stopped with an error: read the message under it, correct the answer, "
            "run it again, then run this cell.")


def bare_names(source: str, variable: str, namespace: dict) -> list[str]:
    """Names used in the assignment to ``variable`` that the notebook does not know (a letter typed without
    quotes, ``false``), in the order written."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    import builtins

    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == variable for t in node.targets):
            for sub in ast.walk(node.value):
                if (isinstance(sub, ast.Name) and sub.id not in namespace and not hasattr(builtins, sub.id)
                        and sub.id not in names):
                    names.append(sub.id)
    return names


def quote_advice(variable: str, names: list[str]) -> str:
    """One line for a letter or a word written without quotes."""
    if len(names) == 1 and names[0].casefold() in ("true", "false"):
        return (f"write {names[0].capitalize()} with a capital letter: {variable} = {names[0].capitalize()}, "
                "then run that cell and this one again.")
    written = " ".join(names)
    return (f"Python does not know the name{'s' if len(names) > 1 else ''} {written}: put your answer in quotes, "
            f'{variable} = "{written}", then run that cell and this one again.')


QUOTES = "\"'\u201c\u201d\u2018\u2019\u00ab\u00bb"


def syntax_advice(source: str, variable: str) -> str:
    """One line for an answer cell Python cannot read (a letter list without quotes, curly quotes, a quote
    not closed, "57 years" without quotes); '' when it can be read."""
    try:
        compile(source, "<answer>", "exec")
        return ""
    except SyntaxError:
        pass
    match = re.search(rf"^\s*{variable}\s*=(.*)$", source, re.M)
    written = " ".join(match.group(1).split("#")[0].strip(QUOTES + " ").split()) if match else ""
    written = written.replace('"', "").replace("\\", "") or "your answer"
    return (f"Python cannot read this answer: write it between straight quotes, {variable} = \"{written}\", "
            "then run that cell and this one again.")


class AnswerSlip(Exception):
    """An answer cell that Python cannot read; its message is the advice."""


def _unreadable_answer(lines: list[str]) -> list[str]:
    """IPython input transformer: an answer cell that does not compile becomes one that raises
    :class:`AnswerSlip` with one line of advice (shown without a traceback)."""
    source = "".join(lines)
    match = ANSWER_CELL.search(source)
    if not match:
        return lines
    advice = syntax_advice(source, match.group(1))
    if not advice:
        return lines
    return [f"raise __import__('trotsky1940.exercises').exercises.AnswerSlip({advice!r})\n"]


def friendly_name_errors() -> None:
    """In IPython, show a name error raised by an answer cell as one line of advice instead of a traceback
    (other errors, and errors in other cells, keep their usual traceback). An answer cell that fails also
    forgets the answer an earlier run left, so that its check does not check a stale answer."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is always installed with JupyterLab
        return
    shell = get_ipython()
    if shell is None or getattr(shell, "_trotsky1940_friendly", False):
        return

    def handler(self, etype, value, tb, tb_offset=None):
        history = getattr(self, "history_manager", None)
        source = history.input_hist_raw[-1] if history is not None and history.input_hist_raw else ""
        match = ANSWER_CELL.search(source)
        if match:  # the answer cell failed: an earlier answer left in the variable must not be checked now
            self.user_ns.pop(match.group(1), None)
        names = bare_names(source, match.group(1), self.user_ns) if match and issubclass(etype, NameError) else []
        # IPython ignores what a handler returns: it shows the error itself, as one line
        if match and issubclass(etype, AnswerSlip):
            self._showtraceback(etype, value, [f"{match.group(2)}: not yet: {value}"])
        elif match and names:
            self._showtraceback(etype, value, [f"{match.group(2)}: not yet: {quote_advice(match.group(1), names)}"])
        else:
            self.showtraceback((etype, value, tb), tb_offset=tb_offset)  # the usual traceback

    shell.set_custom_exc((Exception,), handler)
    if _unreadable_answer not in shell.input_transformers_post:
        shell.input_transformers_post.append(_unreadable_answer)
    shell._trotsky1940_friendly = True


CHECK_LINE = re.compile(r"^(q\w+|example): (.*)$")


def parse_check_output(text: str) -> tuple[str, str] | None:
    """(question, canonical answer) from the first line a check printed, or None."""
    first = text.splitlines()[0] if text else ""
    match = CHECK_LINE.match(first)
    if not match or match.group(2).startswith("("):
        return None
    return match.group(1), match.group(2)
