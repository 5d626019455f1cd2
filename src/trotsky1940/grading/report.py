"""What the grader writes and prints, made safe: the gradebook, the feedback files, and the terminal lines.

Used by the grader, outside every sandbox. Anything a student wrote (a file name, an answer, a reflection, an
error message that quotes either) passes through here before it reaches a terminal, a CSV or a page:

- :func:`clean_line` / :func:`clean_text` strip control characters (terminal escapes, bidi overrides);
- :func:`csv_cell` neutralises cells that a spreadsheet would read as a formula (OWASP's advice: a leading
  ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a ``'`` in front);
- :func:`md_inline` and :func:`md_block` put student text into Markdown so that none of its HTML, script or
  Markdown structure renders;
- :func:`output_name` gives any label a safe, unique, bounded file name;
- :func:`write_atomic` writes a file next to its final place and moves it there in one step.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_NAME = 80


ANSI = re.compile(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[0-~])")


def clean_text(text: object) -> str:
    """Text with terminal escape sequences and control characters removed (newlines kept, tabs as spaces)."""
    return CONTROL.sub("", ANSI.sub("", str(text).replace("\r\n", "\n").replace("\t", "    ")))


def clean_line(text: object, limit: int = 500) -> str:
    """One printable line: control characters removed, newlines folded, at most ``limit`` characters."""
    line = " ".join(clean_text(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def csv_cell(value: object) -> object:
    """A value for the gradebook: numbers as they are, text cleaned and never read as a formula."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = clean_line(value, limit=2000)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_text(rows: list[list[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return buffer.getvalue()


MD_SPECIAL = re.compile(r"([\\`*_{}\[\]#!|~<>&])")  # inline, after a prefix: '-', '.', '+' start nothing there


def md_inline(text: object) -> str:
    """Student text inside a Markdown line (never at its start): the punctuation that starts HTML, emphasis,
    code, links or tables backslash-escaped, and web addresses kept from becoming links."""
    escaped = MD_SPECIAL.sub(r"\\\1", clean_line(text))
    return re.sub(r"(?i)(://|www\.)", lambda m: m.group(1).replace("/", "\\/").replace(".", "\\."), escaped)


def md_block(text: object) -> str:
    """Student text as a fenced block, shown exactly as written: nothing in it renders as HTML or Markdown."""
    body = clean_text(text).rstrip("\n") or "(no answer)"
    longest = max((len(m) for m in re.findall(r"`+|~+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{body}\n{fence}"


def html_text(text: object) -> str:
    return html.escape(clean_text(text), quote=True)


def output_name(label: str, raw: bytes) -> str:
    """A file name for a submission's feedback: readable, ASCII, bounded, and unique per raw path."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("._-") or "submission"
    stem = stem[:MAX_NAME].rstrip("._-") or "submission"
    return f"{stem}-{hashlib.sha256(raw).hexdigest()[:8]}"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and one rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


# -- the results folder -----------------------------------------------------------------------------------
RESULT_FILES = ("gradebook.csv", "questions.csv", "moodle-grading-worksheet.csv", "canvas-gradebook-import.csv",
                "feedback", "sandbox.json", "run.json", "results.json", "marks.csv")


def check_out_folder(out: Path, inputs: list[Path]) -> str:
    """'' when ``out`` may hold the results, else why not (it overlaps a submissions folder or file)."""
    target = out.resolve()
    for given in inputs:
        source = given.resolve()
        if target == source or target.is_relative_to(source) or (source.is_dir() and source.is_relative_to(target)):
            return (f"--out {out} overlaps the submissions ({given}): choose a results folder outside "
                    "the submissions, e.g. --out results/")
        if not source.is_dir() and source.parent == target and source.name in RESULT_FILES:
            return f"--out {out} would overwrite the submission {given}"
    return ""


def archive_previous(out: Path, names: tuple[str, ...] = RESULT_FILES, keep: tuple[str, ...] = ()) -> Path | None:
    """Move the results of an earlier run in ``out`` into ``out/previous/<date and time>/``; return it. Files
    named in ``keep`` are copied there and stay in place (the teacher's marks)."""
    found = [out / name for name in names if os.path.lexists(out / name)]
    if not found:
        return None
    stamp = time.strftime("%Y-%m-%dT%H-%M-%S")
    target = out / "previous" / stamp
    suffix = 1
    while os.path.lexists(target):
        suffix += 1
        target = out / "previous" / f"{stamp}-{suffix}"
    target.mkdir(parents=True)
    for path in found:
        os.rename(path, target / path.name)
    for name in keep:
        source = out / name
        if os.path.isfile(source) and not os.path.islink(source):
            shutil.copy2(source, target / name)
    return target


def write_new_file(path: Path, text: str) -> None:
    """Create ``path`` (never through a symbolic link, never over an existing file)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)


def rebuild(out: Path) -> dict:
    """Re-render the gradebook, feedback pages and exports of a results folder from its results.json and
    marks.csv (see :func:`trotsky1940.grading.gradebook.rebuild`)."""
    from .gradebook import rebuild as _rebuild

    return _rebuild(Path(out))
