"""The reflection marks and their rubric, without the marking app: the rubric from the teacher guide, the marks
file, and the list of reflections of a results folder.

Used by the grader (:mod:`trotsky1940.grading.cli`, :mod:`trotsky1940.grading.gradebook`, the feedback pages of
:mod:`trotsky1940.grading.feedback`) and by the marking app (:mod:`trotsky1940.grading.marking`, which re-exports
its public names). Kept apart from the app so that a grading run does not import ipywidgets and IPython
(about a third of a second of CPU time at every start). Nothing here runs student code.

- :func:`rubric` reads the rubric for one exercise from ``teachers/guide.md`` (section "Rubric for the
  reflection questions"): the guide is the one place the rubric is written, so a change there shows here.
- :func:`read_marks` / :func:`write_marks` read and write ``marks.csv`` (columns
  ``submission,name,student_id,question,level,comment,marked_at``), written atomically after every mark.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from . import report

GUIDE = Path("teachers") / "guide.md"
RUBRIC_SECTION = "## Rubric for the reflection questions"
LEVELS = (0, 1, 2, 3)
MARKS = "marks.csv"
STATE = "results.json"
COLUMNS = ("submission", "name", "student_id", "question", "level", "comment", "marked_at")
ENV_VAR = "TROTSKY1940_RESULTS"
DEFAULT_RESULTS = "results/01"


# -- the rubric ---------------------------------------------------------------------------------------------
class RubricError(LookupError):
    """The guide has no rubric for an exercise (or cannot be read); the message names the file and the exercise."""


def _unescape_md(text: str) -> str:
    return re.sub(r"\\([\\`*_{}\[\]()#+\-.!|~<>])", r"\1", text)


def md_plain(text: str) -> str:
    """Inline Markdown as plain text: emphasis and code marks dropped, a link shown as its text."""
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\*\*(.+?)\*\*|__(.+?)__", lambda m: m.group(1) or m.group(2), text)
    text = re.sub(r"(?<![\w*\\])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])", r"\1", text)
    text = re.sub(r"`([^`]+)`", r"\1", text)
    return _unescape_md(text).strip()


def md_html(text: str) -> str:
    """Inline Markdown as safe HTML: everything escaped first, then **strong**, *emphasis* and `code` rendered;
    a link is shown as its text only; ``[B33]`` stays as it is."""
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    out = html.escape(text, quote=True)
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
    out = re.sub(r"(?<![\w*\\])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])", r"<em>\1</em>", out)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    return _unescape_md(out).strip()


def short_label(general: str) -> str:
    """A few words for a level button, taken from the start of the general description in the guide:
    up to the first punctuation mark, or the first "or", "and", "without" ("Uses evidence", "No answer")."""
    first = re.split(r"[:;,.(]|\s(?:or|and|without|but)\s", general, maxsplit=1)[0].strip()
    words = first.split()
    return " ".join(words[:4]) + ("…" if len(words) > 4 else "")


@dataclass(frozen=True)
class Level:
    """One rubric level: the general description, and what it looks like for this question ('' when the guide
    gives none). ``general_md`` and ``specific_md`` keep the guide's Markdown; the others are plain text."""

    level: int
    general_md: str
    specific_md: str = ""

    @property
    def general(self) -> str:
        return md_plain(self.general_md)

    @property
    def specific(self) -> str:
        return md_plain(self.specific_md)

    @property
    def short(self) -> str:
        return short_label(self.general) if self.general else ""

    @property
    def label(self) -> str:
        """What the level button says, e.g. "Level 2: Uses evidence"."""
        return f"Level {self.level}: {self.short}" if self.short else f"Level {self.level}"

    def html(self) -> str:
        """The level's general and specific text as one HTML block."""
        parts = [f"<div class='t40-rubric-general'>{md_html(self.general_md)}</div>"]
        if self.specific_md:
            parts.append(f"<div class='t40-rubric-specific'><strong>For this question:</strong> "
                         f"{md_html(self.specific_md)}</div>")
        return "".join(parts)


@dataclass(frozen=True)
class Rubric:
    """The rubric of one exercise's reflection question, as the teacher guide gives it."""

    exercise: str
    number: int
    question: str  # "q7"
    title_md: str  # "Exercises 1, q7: the landing date."
    intro_md: str  # the rest of the paragraph: what the question asks
    levels: tuple[Level, ...]
    guide: Path

    @property
    def title(self) -> str:
        return md_plain(self.title_md)

    @property
    def intro(self) -> str:
        return md_plain(self.intro_md)

    def level(self, number: int) -> Level:
        for level in self.levels:
            if level.level == number:
                return level
        raise KeyError(number)

    def text(self) -> str:
        """The rubric as plain text (title, question, then one line per level)."""
        lines = [self.title, self.intro, ""]
        for level in self.levels:
            lines.append(f"{level.level}: {level.general}" + (f" For this question: {level.specific}"
                                                                if level.specific else ""))
        return "\n".join(lines)

    def html(self) -> str:
        """The rubric as an HTML table: level, general description, what it looks like for this question."""
        rows = "".join(
            f"<tr><th scope='row' class='t40-rubric-level'>{lv.level}</th>"
            f"<td class='t40-rubric-general'>{md_html(lv.general_md)}</td>"
            f"<td class='t40-rubric-specific'>{md_html(lv.specific_md) if lv.specific_md else '—'}</td></tr>"
            for lv in self.levels)
        return (f"<div class='t40-rubric'><h3 class='t40-rubric-title'>Rubric: {md_html(self.title_md)}</h3>"
                f"<p class='t40-rubric-intro'>{md_html(self.intro_md)}</p>"
                f"<table class='t40-rubric-table'><thead><tr><th scope='col'>Level</th>"
                f"<th scope='col'>In general</th><th scope='col'>For this question</th></tr></thead>"
                f"<tbody>{rows}</tbody></table></div>")


def guide_path() -> Path:
    """``teachers/guide.md`` of the repository this package was installed from."""
    from ..paths import repo_root

    return repo_root() / GUIDE


def _cells(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", inner)]


def _table_levels(lines: list[str], start: int) -> tuple[dict[int, str], int]:
    """The ``| level | text |`` rows of the first table at or after line ``start``; and the line after it."""
    i = start
    while i < len(lines) and not lines[i].lstrip().startswith("|"):
        if lines[i].startswith("**Exercises "):
            return {}, i
        i += 1
    found: dict[int, str] = {}
    while i < len(lines) and lines[i].lstrip().startswith("|"):
        cells = _cells(lines[i])
        if len(cells) >= 2 and cells[0].isdigit():
            found[int(cells[0])] = " | ".join(cells[1:])
        i += 1
    return found, i


def rubric(exercise: str, guide: Path | None = None) -> Rubric:
    """The rubric for an exercise ("01-background": the number is its first two digits) from the teacher guide."""
    path = Path(guide) if guide is not None else None
    if path is None:
        try:
            path = guide_path()
        except FileNotFoundError as exc:
            raise RubricError(f"cannot find {GUIDE} for the rubric of {exercise!r}: {exc}") from None
    match = re.match(r"\d{2}", str(exercise))
    if not match:
        raise RubricError(f"no rubric for {exercise!r} in {path}: an exercise name starts with its two-digit "
                          "number, e.g. 01-background")
    number = int(match.group())
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RubricError(f"cannot read {path} for the rubric of {exercise!r}: {exc.strerror or exc}") from None
    lines = text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == RUBRIC_SECTION)
    except StopIteration:
        raise RubricError(f"no rubric for {exercise!r} in {path}: the section {RUBRIC_SECTION!r} is missing") from None
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    section = lines[start + 1:end]
    general, _ = _table_levels(section, 0)
    head = re.compile(r"\*\*(Exercises\s+(\d+),\s*(q\d+)\s*:.*?)\*\*(.*)$")
    for i, line in enumerate(section):
        m = head.match(line.strip())
        if not m or int(m.group(2)) != number:
            continue
        intro = [m.group(4).strip()]
        j = i + 1
        while j < len(section) and section[j].strip() and not section[j].lstrip().startswith("|"):
            intro.append(section[j].strip())
            j += 1
        specific, _ = _table_levels(section, j)
        levels = tuple(Level(n, general.get(n, ""), specific.get(n, "") if n else "") for n in LEVELS)
        return Rubric(exercise=str(exercise), number=number, question=m.group(3), title_md=m.group(1).strip(),
                      intro_md=" ".join(p for p in intro if p), levels=levels, guide=path)
    raise RubricError(f"no rubric for {exercise!r} in {path}: no paragraph starting **Exercises {number}, q…** "
                      f"in the section {RUBRIC_SECTION!r}")


# -- marks.csv ----------------------------------------------------------------------------------------------
class MarksError(ValueError):
    """A marks file that cannot be used; the message names the file and the line."""


@dataclass(frozen=True)
class Mark:
    """The teacher's mark for one reflection: a rubric level 0..3 and a comment for the student."""

    level: int
    comment: str = ""
    marked_at: str = ""  # ISO 8601, UTC
    name: str = ""
    student_id: str = ""


def _guard(text: str) -> str:
    """A cell no spreadsheet reads as a formula; a leading ``'`` is added (and doubled), so it can be undone."""
    return "'" + text if text.startswith((*report.FORMULA_START, "'")) else text


def _unguard(text: str) -> str:
    return text[1:] if text.startswith("'") else text


def read_marks(path: Path) -> dict[tuple[str, str], Mark]:
    """The marks in a marks.csv, keyed by (submission, question); {} when the file does not exist."""
    path = Path(path)
    try:
        raw = path.read_bytes()  # bytes: a line break inside a quoted comment stays exactly as written
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise MarksError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise MarksError(f"{path}, line {line}: not UTF-8 text; save the file as CSV UTF-8") from None
    if not text.strip():
        return {}
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","  # a spreadsheet that saved with ';'
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise MarksError(f"{path}, line 1: the header lacks the column{'s' if len(missing) > 1 else ''} "
                             f"{', '.join(missing)} (expected {','.join(COLUMNS)})")
        where = {c: header.index(c) for c in COLUMNS}
        marks: dict[tuple[str, str], Mark] = {}
        lines: dict[tuple[str, str], int] = {}
        while True:
            line = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise MarksError(f"{path}, line {line}: {len(row)} columns where the header has {len(header)} "
                                 f"({','.join(header)})")
            cell = {c: _unguard(row[i]) for c, i in where.items()}
            key = (cell["submission"].strip(), cell["question"].strip())  # labels never start or end in a space
            if not key[0] or not key[1]:
                raise MarksError(f"{path}, line {line}: the submission and the question must not be empty")
            level = cell["level"].strip()
            if level not in {str(n) for n in LEVELS}:
                raise MarksError(f"{path}, line {line}: level {report.clean_line(level, 40)!r} is not one of "
                                 f"{', '.join(map(str, LEVELS))}")
            if key in marks:
                raise MarksError(f"{path}, line {line}: a second mark for {report.clean_line(key[0], 200)} "
                                 f"{key[1]} (the first is on line {lines[key]})")
            marks[key] = Mark(level=int(level), comment=cell["comment"], marked_at=cell["marked_at"].strip(),
                              name=cell["name"], student_id=cell["student_id"])
            lines[key] = line
    except StopIteration:
        return {}
    except csv.Error as exc:
        raise MarksError(f"{path}, line {reader.line_num}: not valid CSV ({exc})") from None
    return marks


def marks_text(marks: dict[tuple[str, str], Mark]) -> str:
    """marks.csv as text: the header, then one row per mark in (submission, question) order.

    The submission, question, comment and time are written exactly (the submission is the key that joins the row
    to results.json); the name and student id, copies for a reader of the file, are cleaned to one line. A cell
    that a spreadsheet would read as a formula, or that starts with ``'``, gets a ``'`` in front, which
    :func:`read_marks` takes off again."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for (submission, question), mark in sorted(marks.items()):
        if int(mark.level) not in LEVELS:
            raise MarksError(f"level {mark.level!r} for {submission} {question} is not one of 0, 1, 2, 3")
        writer.writerow([_guard(submission), _guard(report.clean_line(mark.name, 200)),
                         _guard(report.clean_line(mark.student_id, 200)), _guard(question), int(mark.level),
                         _guard(str(mark.comment)), _guard(str(mark.marked_at))])
    return buffer.getvalue()


def write_marks(path: Path, marks: dict[tuple[str, str], Mark]) -> None:
    """Write marks.csv in one step (:func:`trotsky1940.grading.report.write_atomic`), in a stable order."""
    report.write_atomic(Path(path), marks_text(marks))


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- the results folder -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Entry:
    """One reflection to mark: a graded submission and one reflection question."""

    submission: str
    question: str
    name: str
    student_id: str
    reflection: str
    notes: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.submission, self.question)

    @property
    def who(self) -> str:
        return self.name or self.submission


def _is_graded(entry: dict) -> bool:
    if "kind" in entry:
        return entry.get("kind") == "graded"
    return entry.get("graded") is True or entry.get("status") == "graded"


def entries_of(state: dict) -> list[Entry]:
    """The reflections to mark, in gradebook order: each graded submission, each reflection question."""
    questions = [str(q.get("id")) for q in state.get("questions") or [] if isinstance(q, dict)
                 and q.get("kind") == "reflection" and q.get("id")]
    found: list[Entry] = []
    for item in state.get("submissions") or []:
        if not isinstance(item, dict) or not item.get("submission") or not _is_graded(item):
            continue
        person = item.get("identity") if isinstance(item.get("identity"), dict) else item
        reflections = item.get("reflections") if isinstance(item.get("reflections"), dict) else {}
        notes = tuple(str(n) for n in item.get("notes") or [] if n)
        for qid in questions:
            text = reflections.get(qid)
            found.append(Entry(submission=str(item["submission"]), question=qid,
                               name=str(person.get("name") or ""), student_id=str(person.get("student_id") or ""),
                               reflection="" if text is None else str(text), notes=notes))
    return found


def resolve_results(results_dir: str | Path | None = None) -> Path:
    """The results folder: the one given, else ``$TROTSKY1940_RESULTS``, else ``results/01``. A relative path is
    taken from the current folder and, when not found there, from the repository root."""
    given = results_dir if results_dir not in (None, "") else (os.environ.get(ENV_VAR) or DEFAULT_RESULTS)
    path = Path(given).expanduser()
    if path.is_absolute():
        return path
    here = Path.cwd() / path
    if here.exists():
        return here.resolve()
    try:
        from ..paths import repo_root

        there = repo_root() / path
    except FileNotFoundError:
        return here.resolve()
    return there.resolve()


def _shown_folder(folder: Path) -> str:
    """The folder as a grade command's --out: relative to the repository root when inside it."""
    try:
        from ..paths import repo_root

        return str(folder.resolve().relative_to(repo_root().resolve()))
    except (FileNotFoundError, ValueError):
        return str(folder)


def grade_command(folder: Path, state: dict | None = None) -> str:
    """The command that grades a class into ``folder`` (the exercise guessed from the folder's number)."""
    reference = ""
    if state and (state.get("reference") or state.get("exercise")):
        reference = f"exercises/reference/{state.get('reference') or state['exercise'] + '.ipynb'}"
    else:
        number = re.match(r"\d{2}", folder.name)
        try:
            from ..paths import repo_root

            found = sorted((repo_root() / "exercises" / "reference").glob(f"{number.group()}-*.ipynb")) if number \
                else []
        except FileNotFoundError:
            found = []
        reference = f"exercises/reference/{found[0].name}" if found else "exercises/reference/<exercise>.ipynb"
    return f".venv/bin/python -m trotsky1940 grade {reference} submissions/ --out {shlex.quote(_shown_folder(folder))}"
