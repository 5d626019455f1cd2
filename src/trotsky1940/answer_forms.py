"""Reading a student's answer in the form a question asks for, forgivingly.

A question's *form* is a short English phrase, the same one its check cell shows
(``check("q2", "order of ABCD")``):

============================  =====================================================  ==============
form                          accepted, for example                                   canonical form
============================  =====================================================  ==============
``year``                      ``1905``, ``"1905"``, ``"in 1905"``, ``1905.0``           ``1905``
``whole number``              ``42``, ``"42 years"``, ``"12,000"``, a ``timedelta``     ``42``
                              (its days), a numpy integer
``number with 1 decimal``     ``12.3``, ``"12.3 years"``, ``"12,3"``                    ``12.3``
``true or false``             ``True``, ``"true"``, ``"True."``                         ``True``
``one letter of ABCD``        ``"d"``, ``"D."``, ``"(D)"``, ``["D"]``                    ``D``
``order of ABCD``             ``"DACB"``, ``"D A C B"``, ``"d, a, c, b"``,               ``D,A,C,B``
                              ``["D", "A", "C", "B"]``, ``"D > A > C > B"``
``two letters of ABCDE``      ``"E A"``, ``"e, a"``, ``["E", "A"]`` (any order)          ``A,E``
============================  =====================================================  ==============

:func:`read` returns the canonical text that checks print and grading compares, or raises
:class:`FormatProblem` whose message is one line of *format* help (never a history hint): what to write,
with an example. An answer still holding its placeholder (``...`` or ``"..."``) raises :class:`NoAnswer`.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import numbers
import re
from dataclasses import dataclass

NUMBER_WORDS = ("year", "whole number", "number with 1 decimal")
LETTER_COUNTS = {"one": 1, "two": 2, "three": 3}
WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}
PLACEHOLDER_TEXTS = ("...", "…", "")


class NoAnswer(Exception):
    """The answer is still the placeholder (``...`` or ``"..."``)."""


class FormatProblem(ValueError):
    """The answer is not in the form the question asks for; the message says, in one line, what to write."""


@dataclass(frozen=True)
class Form:
    """A parsed form: its kind ('year', 'whole', 'decimal', 'bool', 'letters', 'order'), the option letters
    and how many letters an answer names."""

    kind: str
    letters: str = ""
    count: int = 0
    text: str = ""

    @property
    def options(self) -> str:
        """The option letters written for a sentence: 'A, B, C and D'."""
        return ", ".join(self.letters[:-1]) + f" and {self.letters[-1]}" if len(self.letters) > 1 else self.letters


FORM_PATTERNS = (
    (re.compile(r"^year$"), lambda m: Form("year")),
    (re.compile(r"^whole number$"), lambda m: Form("whole")),
    (re.compile(r"^number with 1 decimal$"), lambda m: Form("decimal")),
    (re.compile(r"^true or false$"), lambda m: Form("bool")),
    (re.compile(r"^(one|two|three) letters? of ([A-Z]{2,8})$"),
     lambda m: Form("letters", m.group(2), LETTER_COUNTS[m.group(1)])),
    (re.compile(r"^order of ([A-Z]{2,8})$"), lambda m: Form("order", m.group(1), len(m.group(1)))),
)


def parse_form(text: str) -> Form:
    """The :class:`Form` named by ``text`` (see the module's table); ValueError for an unknown form."""
    for pattern, make in FORM_PATTERNS:
        match = pattern.match(text.strip())
        if match:
            form = make(match)
            if len(set(form.letters)) != len(form.letters):
                break
            return Form(form.kind, form.letters, form.count, text.strip())
    raise ValueError(f"unknown answer form {text!r}; use one of: year, whole number, number with 1 decimal, "
                     "true or false, one letter of ABCD, two letters of ABCDE, order of ABCD")


def _is_placeholder(value: object) -> bool:
    return value is Ellipsis or value is None or (isinstance(value, str) and value.strip() in PLACEHOLDER_TEXTS)


def _plain(value: object) -> object:
    """numpy scalars and arrays as Python values; one-item lists as their item (for a number or a letter)."""
    tolist = getattr(value, "tolist", None)
    if callable(tolist) and not isinstance(value, (str, bytes)):
        converted = tolist()
        if converted is not value:
            value = converted
    return value


def _number_text(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


NUMBER_IN_TEXT = re.compile(r"[-+]?\d[\d,\s\u00a0\u202f']*(?:[.,]\d+)?")


def _to_number(value: object, form: Form, decimal_comma: bool) -> float:
    """A number from a number, a timedelta (its days) or a text holding one number with a unit."""
    what = {"year": "a year", "whole": "a whole number", "decimal": "a number"}[form.kind]
    example = {"year": '"1900"', "whole": '"100"', "decimal": '"12.3"'}[form.kind]
    if isinstance(value, bool):
        raise FormatProblem(f"write {what} in digits, e.g. {example}, not True or False")
    if isinstance(value, dt.timedelta):
        if form.kind != "whole":
            raise FormatProblem(f"write {what}, e.g. {example}; a span of time does not fit here")
        return value.days + value.seconds / 86400
    if isinstance(value, (numbers.Real, decimal.Decimal)):
        number = float(value)
        if math.isnan(number) or math.isinf(number):
            raise FormatProblem(f"write {what} in digits, e.g. {example}")
        return number
    if isinstance(value, str):
        found = NUMBER_IN_TEXT.findall(value)
        if len(found) != 1:
            if not found:
                raise FormatProblem(f"write {what} in digits, e.g. {example}")
            raise FormatProblem(f"write just one number, e.g. {example}")
        digits = found[0].strip()
        digits = re.sub(r"[\s\u00a0\u202f']", "", digits)
        if re.fullmatch(r"[-+]?\d+,\d{1,2}", digits):  # a decimal comma: "19,7", "57,0"
            digits = digits.replace(",", ".")
        elif not decimal_comma and re.fullmatch(r"[-+]?\d{1,3}(\.\d{3})+", digits):  # "60.000", "7.199"
            digits = digits.replace(".", "")
        elif re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?", digits):
            digits = digits.replace(",", "")
        elif "," in digits:
            raise FormatProblem(f"write {what} in digits, e.g. {example}")
        return float(digits)
    raise FormatProblem(f"write {what} in digits, e.g. {example}")


def _letters(value: object, form: Form) -> list[str]:
    """The letters an answer names, in the order written."""
    if isinstance(value, (list, tuple)):
        parts = []
        for item in value:
            if not isinstance(item, str):
                raise FormatProblem(_letters_help(form))
            parts.append(item)
        text = " ".join(parts)
    elif isinstance(value, str):
        text = value
    else:
        raise FormatProblem(_letters_help(form))
    cleaned = re.sub(r"[\s,;:.>\-–—→/|\[\]()'\"`+&]|\band\b|\bthen\b", " ", text, flags=re.IGNORECASE)
    tokens = cleaned.split()
    if len(tokens) == 1 and len(tokens[0]) > 1 and tokens[0].isalpha() and len(tokens[0]) <= len(form.letters):
        tokens = list(tokens[0])  # "CBDA": the letters typed as one word
    letters = [t.upper() for t in tokens]
    if not letters or any(len(t) != 1 or t not in form.letters for t in letters):
        raise FormatProblem(_letters_help(form))
    return letters


def example(form: Form | str) -> str:
    """The one example every question of this form shows (in its "Answer with" line and in format help). It
    is the same for every question and every class variant, so it tells nothing about any answer."""
    form = parse_form(form) if isinstance(form, str) else form
    if form.kind == "order":
        return " ".join(reversed(form.letters))
    if form.kind == "letters":
        return " ".join(form.letters[:form.count])
    return {"year": "1900", "whole": "100", "decimal": "12.3", "bool": "True"}[form.kind]


def _letters_help(form: Form) -> str:
    """One line saying how to write the letters, with the form's fixed example."""
    shown = f'"{example(form)}"'
    if form.kind == "order":
        return f"write the {WORDS[len(form.letters)]} letters {form.options}, each once, in order, e.g. {shown}"
    if form.count == 1:
        return f'write one letter, {form.options.replace(" and ", " or ")}, e.g. {shown}'
    return f"write {WORDS[form.count]} different letters from {form.options.replace(' and ', ' or ')}, e.g. {shown}"


def read(form: Form | str, value: object) -> str:
    """The canonical text of ``value`` read as ``form``; :class:`FormatProblem` (one line of help) when it is
    not in that form, :class:`NoAnswer` for a placeholder."""
    form = parse_form(form) if isinstance(form, str) else form
    value = _plain(value)
    if _is_placeholder(value) or (isinstance(value, (list, tuple)) and not value):
        raise NoAnswer
    if form.kind in ("year", "whole", "decimal"):
        if isinstance(value, (list, tuple)) and len(value) == 1:
            value = _plain(value[0])
        if isinstance(value, (list, tuple, set, dict)):
            raise FormatProblem("write just one number, not a list")
        number = _to_number(value, form, decimal_comma=form.kind == "decimal")
        if form.kind == "decimal":
            if round(number, 1) != round(number, 6):
                raise FormatProblem(f"round to one decimal place: {number:g} becomes {round(number, 1):g}")
            return _number_text(round(number, 1))
        if not float(number).is_integer():
            advice = "count whole years" if form.kind == "year" else "round to a whole number"
            raise FormatProblem(f"{advice}: {number:g} becomes {round(number)}")
        if form.kind == "year" and not 1000 <= number <= 2100:
            raise FormatProblem('write the year with four digits, e.g. "1900"')
        return str(int(number))
    if form.kind == "bool":
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, str):
            word = value.strip().strip(".!'\"").casefold()
            if word in ("true", "false"):
                return word.capitalize()
        raise FormatProblem("write True or False")
    letters = _letters(value, form)
    if form.kind == "order":
        if len(letters) != len(form.letters) or set(letters) != set(form.letters):
            raise FormatProblem(_letters_help(form))
        return ",".join(letters)
    if len(letters) != form.count or len(set(letters)) != len(letters):
        raise FormatProblem(_letters_help(form))
    return ",".join(sorted(letters))
