"""Who handed it in: the "Your name" cell of a notebook, the class roster, and matching one to the other.

Used by the grader (:mod:`trotsky1940.grading.core` and :mod:`trotsky1940.grading.cli`), outside every sandbox;
nothing here runs student code.

- :func:`name_from_notebook` reads the "Your name" cell that ``build-exercises`` puts under each exercise's
  title (a Markdown cell tagged ``your-name``, found by tag, else by its cell id ``your-name``).
- :func:`read_roster` reads ``--roster roster.csv``: a header row with ``id`` and ``name`` (``email``
  optional; other columns are ignored). A bad row stops the run with a message naming the file and line.
- :func:`match` pairs each submission with one roster entry: by id (the one a learning platform gives in its
  file names, e.g. Moodle's participant number or Canvas's user id), then by email, then by name (case,
  accents, punctuation and word order ignored; Canvas's ``lastnamefirstname`` form too). A name that fits two
  students matches neither: the teacher decides.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from . import report

NAME_TAG = "your-name"
NAME_CELL_ID = "your-name"
NAME_PROMPT = re.compile(r"^\s*#*\s*(?:\*\*|__)?\s*your\s+name\s*:?\s*(?:\*\*|__)?\s*:?", re.IGNORECASE)
NAME_PLACEHOLDER = re.compile(r"\(double-click here[^)]*\)", re.IGNORECASE)
MAX_NAME = 120


ALIASES = {"student id": "id", "student_id": "id", "id number": "id", "identifier": "id", "user id": "id",
           "full name": "name", "student": "name", "student name": "name", "e-mail": "email",
           "email address": "email", "e-mail address": "email", "mail": "email"}


class RosterError(ValueError):
    """A roster file that cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Student:
    id: str
    name: str
    email: str = ""


@dataclass
class Identity:
    """Who a submission is from, as far as it is known, and how that was found."""

    name: str = ""
    student_id: str = ""
    email: str = ""
    platform: str = ""  # moodle, canvas, google, or "" (a plain folder)
    platform_id: str = ""  # the id in the platform's file naming (kept when a roster gives student_id its own)
    name_in_notebook: str = ""
    matched: str = ""  # how the roster entry was found: id, email, name; "" when no roster or no match
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"name": self.name, "student_id": self.student_id, "email": self.email, "platform": self.platform,
                "platform_id": self.platform_id, "name_in_notebook": self.name_in_notebook, "matched": self.matched}


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def name_from_notebook(notebook) -> str:
    """The name written in the notebook's "Your name" cell, cleaned to one line; '' when there is none."""
    cells = [c for c in notebook.cells if NAME_TAG in (c.get("metadata", {}).get("tags") or [])]
    if not cells:
        cells = [c for c in notebook.cells if c.get("id") == NAME_CELL_ID]
    if not cells:
        return ""
    text = NAME_PLACEHOLDER.sub("", _source(cells[0]))
    text = NAME_PROMPT.sub("", text.strip(), count=1)
    text = re.sub(r"\*\*|__|`+|^#+\s", " ", text)  # Markdown emphasis a student may have kept or added
    return report.clean_line(text, limit=MAX_NAME).strip(" :-*_")


def fold(text: str) -> str:
    """A name reduced for comparison: accents dropped, lower case, only letters and digits, words sorted."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).casefold()
    words = re.findall(r"[^\W_]+", plain)
    return " ".join(sorted(words))


def _letters(text: str) -> str:
    return fold(text).replace(" ", "")


def _spellings(name: str) -> set[str]:
    """A name's letters run together in every order of its words (up to four): Canvas's ``smithjane`` is one
    of "Jane Smith"'s."""
    words = fold(name).split()
    if len(words) > 4:
        return {"".join(words)}
    return {"".join(order) for order in itertools.permutations(words)}


def names_agree(a: str, b: str) -> bool:
    """Whether two spellings may name the same person: the same words (in any order, run together or not), or
    one of them a word of the other (a student who wrote only a first name)."""
    if not a or not b:
        return True
    if _spellings(a) & _spellings(b):
        return True
    wa, wb = set(fold(a).split()), set(fold(b).split())
    return bool(wa and wb and (wa <= wb or wb <= wa))


def read_roster(path: str | Path) -> list[Student]:
    """The students of a roster CSV (columns ``id``, ``name``, optional ``email``, in any order, also spelt
    ``student id``, ``full name``, ``e-mail`` …; separated by commas, semicolons or tabs; UTF-8, a BOM is
    fine). Raises :class:`RosterError` naming the file and line of the first problem."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise RosterError(f"cannot read the roster {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise RosterError(f"{path}: not UTF-8 text; save the roster as 'CSV UTF-8' and try again") from None
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)  # Excel writes ';' where ',' is the decimal comma
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows:
        raise RosterError(f"{path}: the roster is empty; it needs a header row with id and name")
    header = [ALIASES.get(h.strip().casefold(), h.strip().casefold()) for h in rows[0]]
    missing = [c for c in ("id", "name") if c not in header]
    if missing:
        raise RosterError(f"{path}, line 1: the header needs the columns id and name (and may have email); "
                          f"missing: {', '.join(missing)}")
    col = {name: header.index(name) for name in ("id", "name", "email") if name in header}
    students: list[Student] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue

        sid, name, email = (_cell(row, col.get(key)) for key in ("id", "name", "email"))
        if not sid or not name:
            raise RosterError(f"{path}, line {number}: every student needs an id and a name")
        if sid in seen:
            raise RosterError(f"{path}, line {number}: the id {sid} is already on line {seen[sid]}")
        seen[sid] = number
        students.append(Student(sid, name, email))
    return students


def _cell(row: list[str], index: int | None) -> str:
    return report.clean_line(row[index]).strip() if index is not None and index < len(row) else ""


def match(identities: list[Identity], roster: list[Student]) -> tuple[list[Student], list[int]]:
    """Fill in each identity from the roster (in place). Returns (roster students with no submission, indices
    of identities that match no one)."""
    by_id = {s.id.casefold(): s for s in roster}
    by_email = {s.email.casefold(): s for s in roster if s.email}
    by_name: dict[str, list[Student]] = {}
    by_letters: dict[str, list[Student]] = {}
    for s in roster:
        by_name.setdefault(fold(s.name), []).append(s)
        for spelling in _spellings(s.name):
            by_letters.setdefault(spelling, []).append(s)
    found: set[str] = set()
    unmatched: list[int] = []
    for index, who in enumerate(identities):
        student, how = None, ""
        by_number = by_id.get(who.student_id.casefold()) if who.student_id else None
        if by_number is not None and not (names_agree(who.name, by_number.name) or (
                who.name_in_notebook and names_agree(who.name_in_notebook, by_number.name))):
            who.notes.append(f"the roster's id {by_number.id} is {by_number.name}, but this file is named for "
                             f"{who.name}: not matched by id (check that the roster holds the platform's ids)")
            by_number = None
        if by_number is not None:
            student, how = by_number, "id"
        elif who.email and who.email.casefold() in by_email:
            student, how = by_email[who.email.casefold()], "email"
        else:
            # the platform's name for the file where it gives one (a student may write another's name in
            # the notebook, or copy a notebook with its name cell), else the name written in the notebook
            for candidate in ((who.name,) if who.platform and who.name else (who.name, who.name_in_notebook)):
                if not candidate:
                    continue
                hits = by_name.get(fold(candidate)) or by_letters.get(_letters(candidate)) or []
                hits = list(dict.fromkeys(hits))
                if len(hits) == 1:
                    student, how = hits[0], "name"
                    break
                if len(hits) > 1:
                    who.notes.append(f"the name {candidate} fits {len(hits)} students on the roster")
        if student is None:
            unmatched.append(index)
            continue
        if who.name_in_notebook and fold(who.name_in_notebook) != fold(student.name) and how != "name":
            who.notes.append(f"the notebook gives the name {who.name_in_notebook}")
        who.name, who.student_id, who.matched = student.name, student.id, how
        who.email = student.email or who.email
        found.add(student.id)
    missing = [s for s in roster if s.id not in found]
    return missing, unmatched


def file_stem(name: str, student_id: str, fallback: str) -> str:
    """A plain file name (ASCII letters, digits and hyphens) from a student's name, else id, else fallback."""
    for text in (name, student_id, fallback):
        plain = unicodedata.normalize("NFKD", text or "")
        plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
        stem = re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-").lower()[:60].strip("-")
        if stem:
            return stem
    return "submission"
