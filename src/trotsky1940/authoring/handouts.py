"""Printable handouts: one page set per chapter with documents, plus a teacher's answer key.

For teachers. ``build(out_dir)`` writes, for every chapter that has documents in ``data/documents.csv``:

- ``chapter-01.html`` … ``chapter-04.html``: A4, black on white, 11.5 pt, one document per printed page. Each page
  set opens with the chapter's central question (taken from the first markdown cell of the chapter notebook, the
  line that starts with ``**Central question``; a blank line for the teacher when there is none), then gives each
  document (adapted text, exact quotations, citation and the address of the copy read), an analysis table of
  the kind document-based history lessons use (document; sourcing: who, when, why; contextualisation;
  corroboration; close reading), and the five-row source-criticism table that the lesson plan in
  ``teachers/guide.md`` asks teachers to hand out;
- ``teacher-key.html``: for every document, its four questions with notes for the teacher drawn from the data;
- ``index.html``: links to all of them.

Run it with ``python -m trotsky1940.authoring.handouts --out handouts``. Every piece of data is HTML-escaped.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from .. import documents as docmod
from .. import paths

SOURCE_CRITICISM_ROWS = ("the claim", "who else says it", "what the best sources say", "a likely explanation",
                         "what we can safely say")
"""The five rows of the source-criticism table, as ``teachers/guide.md`` lists them (read from the guide when it
is there; this copy is the fallback)."""

ANALYSIS_COLUMNS = ("Document", "Sourcing: who wrote it, when, and why?", "Contextualisation: what was happening?",
                    "Corroboration: what do other sources say?", "Close reading: which words matter, and why?")

CSS = """
@page { size: A4; margin: 18mm 16mm 18mm 16mm; }
@page wide { size: A4 landscape; margin: 14mm 14mm 14mm 14mm; }
html { background: #fff; }
body { font-family: "DejaVu Serif", Georgia, "Times New Roman", serif; font-size: 11.5pt; line-height: 1.45;
       color: #000; background: #fff; max-width: 178mm; margin: 0 auto; padding: 8mm 0; }
h1 { font-size: 17pt; margin: 0 0 4pt 0; }
h2 { font-size: 14pt; margin: 10pt 0 4pt 0; }
h3 { font-size: 12pt; margin: 8pt 0 3pt 0; }
p, li, td, th, dd { font-size: 11.5pt; }
.meta { font-size: 11pt; }
.question { border: 1.5pt solid #000; padding: 6pt 9pt; margin: 8pt 0 10pt 0; }
.write-line { display: block; border-bottom: 1pt solid #000; height: 16pt; margin: 2pt 0; }
blockquote { margin: 5pt 0 3pt 0; padding: 3pt 10pt; border-left: 3pt solid #000; }
.label { font-weight: bold; }
table { border-collapse: collapse; width: 100%; margin: 6pt 0; }
th, td { border: 1pt solid #000; padding: 4pt 5pt; text-align: left; vertical-align: top; }
th { font-weight: bold; }
td.blank { height: 42mm; }
td.blank-row { height: 20mm; }
.doc ~ .doc { page-break-before: always; break-before: page; }
.analysis { page: wide; }
@media print { .analysis { max-width: none; } }
.sheet { page-break-before: always; break-before: page; }
.keep { page-break-inside: avoid; break-inside: avoid; }
a { color: #000; text-decoration: underline; word-break: break-all; }
.footer { font-size: 10pt; margin-top: 10pt; }
@media print { body { padding: 0; max-width: none; } .screen-only { display: none; } }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{_e(title)}</title>\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<style>{CSS}</style>\n</head>\n'
            f'<body>\n{body}\n</body>\n</html>\n')


def source_criticism_rows(guide: Path | None = None) -> tuple[str, ...]:
    """The five rows of the lesson plan's source-criticism table, read from ``teachers/guide.md``."""
    guide = guide if guide is not None else _root() / "teachers" / "guide.md"
    try:
        text = guide.read_text(encoding="utf-8")
    except OSError:
        return SOURCE_CRITICISM_ROWS
    match = re.search(r"five-row table \(([^)]*)\)", text)
    if not match:
        return SOURCE_CRITICISM_ROWS
    rows = tuple(part.strip() for part in match.group(1).split(";") if part.strip())
    return rows if len(rows) == 5 else SOURCE_CRITICISM_ROWS


def _root() -> Path:
    return paths.repo_root()


def central_question(chapter: str, root: Path | None = None) -> str | None:
    """The chapter's central question: the first-markdown-cell line that starts with ``**Central question``."""
    root = root if root is not None else _root()
    matches = sorted((root / "notebooks").glob(f"{docmod.chapter_key(chapter)}-*.ipynb"))
    if not matches:
        return None
    try:
        notebook = json.loads(matches[0].read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    cell = next((c for c in notebook.get("cells", []) if c.get("cell_type") == "markdown"), None)
    if cell is None:
        return None
    source = cell.get("source", "")
    source = "".join(source) if isinstance(source, list) else source
    for line in source.splitlines():
        if line.strip().startswith("**Central question"):
            text = re.sub(r"^\*\*Central question[^*]*\*\*\s*:?\s*", "", line.strip())
            text = re.sub(r"\*\*|__|`", "", text).strip(" :")
            return text or None
    return None


def _document_block(doc: docmod.Document, number: int, total: int) -> str:
    quotes = "".join(
        f'<p class="label">Exact quotation {n} (copied word for word from the source)</p>'
        f'<blockquote{_lang(q.lang)}>{_e(q.text)}</blockquote>'
        for n, q in enumerate(doc.quotations, 1))
    return (f'<section class="doc" aria-labelledby="h-{_e(doc.id)}">'
            f'<h2 id="h-{_e(doc.id)}">{_e(doc.header)}</h2>'
            f'<p class="meta">Document {number} of {total} · {_e(docmod.KIND_WORDS.get(doc.kind, doc.kind))} · '
            f'written {_e(doc.when)}</p>'
            f'<p><span class="label">Who wrote it:</span> {_e(doc.author)}. {_e(doc.author_role)}</p>'
            f'<h3>Adapted text</h3><p>{_e(doc.adapted)}</p>'
            f'<p class="meta"><em>Adapted: the module\'s own shortened and simplified wording, not the author\'s '
            f'words.</em></p><h3>The author\'s own words</h3>{quotes}'
            f'<h3>Source</h3><p class="meta">{_e(doc.citation)}<br>Copy read: <a href="{_e(doc.url)}">'
            f'{_e(doc.url)}</a>, read on {_e(doc.read_on_label)}.</p></section>')


def _lang(lang: str | None) -> str:
    return f' lang="{_e(lang)}"' if lang and lang != "en" else ""


def _analysis_table(docs: Sequence[docmod.Document]) -> str:
    head = "".join(f'<th scope="col">{_e(c)}</th>' for c in ANALYSIS_COLUMNS)
    rows = "".join(f'<tr><th scope="row">Document {_e(d.id)}<br><span class="meta">{_e(d.author)}, '
                   f'{_e(d.when)}</span></th>' + '<td class="blank"></td>' * 4 + "</tr>" for d in docs)
    cols = '<colgroup><col style="width:16%">' + '<col style="width:21%">' * 4 + "</colgroup>"
    return (f'<section class="sheet analysis" aria-labelledby="h-analysis"><h2 id="h-analysis">Analysis table</h2>'
            f'<p>For each document, write short notes in each column. Sourcing: who wrote it, when, and why? '
            f'Contextualisation: what was happening at the time? Corroboration: what do the other documents and '
            f'the module\'s sources say? Close reading: which words show the author\'s point of view?</p>'
            f'<table><caption class="meta">Analysis table: one row per document, five columns</caption>{cols}'
            f'<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></section>')


def _criticism_table(rows: Sequence[str]) -> str:
    body = "".join(f'<tr><th scope="row">{n}. {_e(r[:1].upper() + r[1:])}</th><td class="blank-row"></td></tr>'
                   for n, r in enumerate(rows, 1))
    return (f'<section class="sheet" aria-labelledby="h-criticism"><h2 id="h-criticism">Source criticism in five '
            f'steps</h2><p>Choose one claim from this chapter (or the one your teacher gives you) and test it step '
            f'by step.</p><table class="criticism"><caption class="meta">Source-criticism table: five rows</caption>'
            f'<colgroup><col style="width:30%"><col style="width:70%"></colgroup>'
            f'<thead><tr><th scope="col">Step</th><th scope="col">Your notes</th></tr></thead><tbody>{body}'
            f'</tbody></table></section>')


def chapter_page(chapter: str, docs: Sequence[docmod.Document], question: str | None,
                 criticism_rows: Sequence[str]) -> str:
    key = docmod.chapter_key(chapter)
    title = f"Chapter {int(key)}: {docmod.CHAPTER_TITLES[key]}"
    if question:
        asked = f'<p><span class="label">Central question:</span> {_e(question)}</p>'
    else:
        asked = ('<p><span class="label">Central question:</span></p>'
                 '<span class="write-line" aria-label="blank line for the central question"></span>')
    intro = (f'<header><h1>{_e(title)}</h1><p class="meta">Document set: {len(docs)} documents · '
             f'Who killed Trotsky, and how do we know?</p><div class="question">{asked}'
             f'<p class="meta">Read the documents, fill in the analysis table, then answer the central question '
             f'in a short paragraph that names at least two documents as evidence.</p></div>'
             f'<p class="meta">Each document has an <strong>adapted text</strong> (the module\'s own words, '
             f'shortened and simplified) and one or two <strong>exact quotations</strong> (the author\'s own words, '
             f'copied exactly). Documents: '
             f'{_e("; ".join(f"{d.id} ({d.author}, {d.when})" for d in docs))}.</p></header>')
    blocks = "".join(_document_block(d, n, len(docs)) for n, d in enumerate(docs, 1))
    return _page(title, intro + blocks + _analysis_table(docs) + _criticism_table(criticism_rows))


def teacher_key(docs: docmod.Documents) -> str:
    parts = ['<header><h1>Teacher key: document sets</h1><p class="meta">For teachers only. For every document, '
             'its four questions and notes drawn from the data: the author\'s position and the copy read '
             '(sourcing), the dates (contextualisation), the documents and Source checks to compare '
             '(corroboration) and what the exact quotations show (close reading). A document is evidence of '
             'what its author said, not of the facts: accept answers that check its claims against the '
             'module\'s sources.</p></header>']
    for chapter in docs.chapters:
        parts.append(f'<section class="sheet" aria-labelledby="key-{chapter}"><h2 id="key-{chapter}">Chapter '
                     f'{int(chapter)}: {_e(docmod.CHAPTER_TITLES[chapter])}</h2>')
        for doc in docs.in_chapter(chapter):
            published = docmod.format_partial(doc.published) if doc.published else "not recorded"
            notes = {
                "sourcing": f"{doc.author}: {doc.author_role} Written {doc.when}; published {published}. "
                            f"Copy read: {doc.copy_note}",
                "context": f"Chapter {int(chapter)} ({docmod.CHAPTER_TITLES[chapter]}); written {doc.when}. "
                           "Students should place it before or after the events it mentions and say what the "
                           "author could not yet know.",
                "corroboration": "Look for the documents and Source checks the question names; reward answers "
                                 "that say where the sources agree, where they differ, and which was closer to "
                                 "the events.",
                "close_reading": " ".join(f"Quotation {n}: {q.note}" for n, q in enumerate(doc.quotations, 1)),
            }
            rows = "".join(f'<tr><th scope="row">{_e(heading)}</th><td>{_e(getattr(doc, column))}</td>'
                           f'<td>{_e(notes[column])}</td></tr>' for column, heading, _ in docmod.PROMPTS)
            quotes = "".join(f'<blockquote{_lang(q.lang)}>{_e(q.text)}</blockquote>' for q in doc.quotations)
            parts.append(f'<section class="keep" aria-labelledby="key-{_e(doc.id)}"><h3 id="key-{_e(doc.id)}">'
                         f'{_e(doc.header)}</h3>{quotes}<table><thead><tr><th scope="col">Question</th>'
                         f'<th scope="col">Prompt</th><th scope="col">Notes for the teacher</th></tr></thead>'
                         f'<tbody>{rows}</tbody></table><p class="meta">{_e(doc.citation)} Copy read: '
                         f'<a href="{_e(doc.url)}">{_e(doc.url)}</a>, read on {_e(doc.read_on_label)}.</p>'
                         f'</section>')
        parts.append("</section>")
    return _page("Teacher key: document sets", "".join(parts))


def build(out_dir: str | Path, folder: str | Path | None = None, root: Path | None = None) -> list[Path]:
    """Write the chapter handouts, the teacher key and an index into ``out_dir``; return the files written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    docs = docmod.load(folder)
    root = root if root is not None else _root()
    rows = source_criticism_rows(root / "teachers" / "guide.md")
    written: list[Path] = []
    links = []
    for chapter in docs.chapters:
        path = out / f"chapter-{chapter}.html"
        path.write_text(chapter_page(chapter, docs.in_chapter(chapter), central_question(chapter, root), rows),
                        encoding="utf-8")
        written.append(path)
        links.append(f'<li><a href="{path.name}">Chapter {int(chapter)}: {_e(docmod.CHAPTER_TITLES[chapter])}</a>'
                     f' ({len(docs.in_chapter(chapter))} documents)</li>')
    key = out / "teacher-key.html"
    key.write_text(teacher_key(docs), encoding="utf-8")
    written.append(key)
    links.append(f'<li><a href="{key.name}">Teacher key</a> (for teachers only)</li>')
    index = out / "index.html"
    index.write_text(_page("Handouts", '<h1>Handouts: document sets</h1><p>Print each chapter on A4 (one document '
                                       'per page).</p><ul>' + "".join(links) + "</ul>"), encoding="utf-8")
    written.append(index)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trotsky1940.authoring.handouts",
                                     description="Build printable document-set handouts and the teacher key.")
    parser.add_argument("--out", default="handouts", help="folder to write the HTML files into (default: handouts)")
    args = parser.parse_args(argv)
    files = build(args.out)
    for path in files:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
