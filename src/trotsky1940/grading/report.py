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
import dataclasses
import hashlib
import html
import io
import json
import os
import re
import tempfile
import time
from pathlib import Path

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_NAME = 80


def clean_text(text: object) -> str:
    """Text with control characters removed (newlines and tabs kept)."""
    return CONTROL.sub("", str(text).replace("\r\n", "\n").replace("\t", "    "))


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


MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>&])")


def md_inline(text: object) -> str:
    """Student text inside a Markdown line: HTML escaped, Markdown punctuation backslash-escaped."""
    return MD_SPECIAL.sub(r"\\\1", clean_line(text))


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
RESULT_FILES = ("gradebook.csv", "feedback", "sandbox.json", "run.json")


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


def archive_previous(out: Path) -> Path | None:
    """Move the results of an earlier run in ``out`` into ``out/previous/<date and time>/``; return it."""
    found = [out / name for name in RESULT_FILES if os.path.lexists(out / name)]
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
    return target


def write_new_file(path: Path, text: str) -> None:
    """Create ``path`` (never through a symbolic link, never over an existing file)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)


def write_results(grader, results: list, out: Path) -> Path:
    """Write gradebook.csv (atomically), feedback/, sandbox.json and run.json; return the gradebook's path.
    Results of an earlier run in ``out`` are kept in ``out/previous/``."""
    out.mkdir(parents=True, exist_ok=True)
    archive_previous(out)
    feedback = out / "feedback"
    feedback.mkdir()
    qids = [q.id for q in grader.questions]
    rows: list[list[object]] = [["submission", "status", *qids, "total", "max"]]
    used: set[str] = set()
    for r in results:
        total = sum(v for v in r.scores.values() if isinstance(v, int)) if r.graded else ""
        rows.append([r.submission, r.status, *[r.scores.get(q, "") for q in qids], total, grader.max_points])
        name = r.output_name
        while name in used:
            name += "_"
        used.add(name)
        write_new_file(feedback / f"{name}.md", feedback_markdown(grader, r, total))
    gradebook = out / "gradebook.csv"
    write_atomic(gradebook, csv_text(rows))
    caps = grader.caps
    write_atomic(out / "sandbox.json", json.dumps({
        "layers": caps.layers(), "notes": caps.notes, "root": caps.root,
        "cgroups": caps.cgroups.describe() if caps.cgroups else None,
        "limits": dataclasses.asdict(grader.settings.limits),
        "uids": sorted({u for slot in grader._slots for u in (slot.nbval_uid, slot.kernel_uid) if u is not None}),
    }, indent=2) + "\n")
    write_atomic(out / "run.json", json.dumps({
        "reference": grader.reference_path.name,
        "submissions": [{"submission": r.submission, "feedback": f"feedback/{r.output_name}.md", "status": r.status,
                         **r.diagnostics} for r in results],
    }, indent=2, ensure_ascii=False) + "\n")
    return gradebook


def feedback_markdown(grader, r, total) -> str:
    lines = [f"# Feedback: {md_inline(r.submission)}", "", f"Exercise: {md_inline(grader.name)}  ",
             f"Status: {md_inline(r.status)}", ""]
    if not r.graded:
        lines += ["This file could not be graded. Ask your teacher, and hand in the notebook again "
                  "(in JupyterLab: File → Save, then upload the .ipynb file)."]
        return "\n".join(lines) + "\n"
    lines += [f"Score: {total} / {grader.max_points}", "", "| Question | Points | Result |", "|---|---|---|"]
    for q in grader.questions:
        if q.kind == "reflection":
            lines.append(f"| {q.id} | for your teacher | reflection |")
        else:
            lines.append(f"| {q.id} | {r.scores.get(q.id, 0)} / {q.points} | {r.details.get(q.id, '')} |")
    wrong = [q for q in grader.auto if r.details.get(q.id) != "right"]
    if wrong:
        lines += ["", "## Hints for the questions to look at again", ""]
        lines += [f"- **{q.id}**: {q.hint}" for q in wrong]
    for qid, text in r.reflections.items():
        lines += ["", f"## Your answer to {qid} (marked by your teacher)", "", md_block(text)]
    return "\n".join(lines) + "\n"
