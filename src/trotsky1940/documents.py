"""Primary documents for the chapters' document sets (``data/documents.csv``), for students' notebooks.

Students meet the people of 1940 in their own words here: Trotsky, Natalia Sedova, the guard Joseph Hansen,
the press of the time. Each chapter has a set of two to four documents. For every document the module keeps
an *adapted* version in its own words (shortened and simplified for a 16-year-old, faithful to the source's
content, order and point of view), at most two short *exact* quotations where the wording itself is the
evidence, the author's position, a full citation and the address of the copy that was read. A document is
evidence of what its author said; the facts themselves come from the other tables (:mod:`trotsky1940.data`).

Typical use in a chapter notebook::

    from trotsky1940 import documents
    documents.show("DOC09")            # one document: adapted text, exact quotations, citation
    documents.document_set("03")     # the chapter's set, with the four kinds of question

Teachers print the same sets with :mod:`trotsky1940.authoring.handouts`.

The table is read with :mod:`trotsky1940.data`'s loader (the same descriptor, types and constraints, and the
same :class:`~trotsky1940.data.DataError` naming the file, line and column), then checked for the rules a
Table Schema cannot state: quotation and adapted-text lengths in words, quotations that appear in no other row,
dates that agree with their precision, and ``source_id`` values that exist in ``sources.csv``.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import data as datamod
from . import paths
from .display import Html

RESOURCE = "documents"
"""Name of the resource in ``data/datapackage.json``."""

MAX_QUOTE_WORDS = 40
"""An exact quotation may have at most this many words."""

ADAPTED_WORDS = (80, 200)
"""Least and most words of an adapted text."""

CHAPTERS = ("01", "02", "03", "04")

CHAPTER_PHASES = {"01": "background", "02": "second-attempt", "03": "attack", "04": "aftermath"}
"""The phase of ``events.csv`` each chapter notebook tells."""

CHAPTER_TITLES = {
    "01": "Background: who Trotsky was and why Stalin wanted him dead",
    "02": "The raid of 24 May 1940",
    "03": "The attack of 20 August 1940",
    "04": "Aftermath",
}

CHAPTER_NOTEBOOKS = {"01": "01-background", "02": "02-the-two-attempts", "03": "03-the-attack",
                     "04": "04-aftermath"}

PROMPTS = (
    ("sourcing", "Sourcing", "Who wrote it, when, why and for whom?"),
    ("context", "Contextualisation", "What was happening, and what could the author know?"),
    ("corroboration", "Corroboration", "What do other documents and sources say?"),
    ("close_reading", "Close reading", "What do the words, the tone and the claims show?"),
)
"""The four kinds of question of a document set: (column, heading, what it asks)."""

KIND_WORDS = {
    "account": "eyewitness account", "article": "article", "inscription": "inscription", "letter": "letter",
    "magazine": "magazine article", "memoir": "memoir", "newspaper": "newspaper report", "speech": "speech",
    "statement": "statement", "testament": "testament", "testimony": "testimony",
}

_WORD = re.compile(r"[^\W_]+(?:['’.:,\-–][^\W_]+)*")
_PARTIAL_DATE = {"day": 10, "month": 7, "year": 4, "undated": 0}

# Shared look: black on white (contrast well above WCAG AA), a grey rule for structure only; every meaning
# is also said in words (“Adapted text”, “Exact quotation”), never by colour alone.
_BOX = ("border:1px solid #555; border-left:6px solid #333; background:#fff; color:#111; padding:0.6em 1em; "
        "margin:0.8em 0; line-height:1.5; font-size:1em; max-width:48em")
_QUOTE = "margin:0.4em 0 0.2em 0; padding:0.3em 0.9em; border-left:4px solid #333; background:#f4f4f4; color:#111"
_SMALL = "font-size:0.95em; color:#222"


# --------------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True)
class Quotation:
    """An exact quotation from a document, with what its words show."""

    text: str
    note: str
    lang: str | None = None

    @property
    def words(self) -> int:
        return word_count(self.text)


@dataclass(frozen=True)
class Document:
    """A row of ``documents.csv``."""

    id: str
    chapter: str
    order: int
    title: str
    author: str
    author_role: str
    kind: str
    written_precision: str
    citation: str
    url: str
    read_on: dt.date
    copy_note: str
    adapted: str
    quote_1: str
    quote_1_note: str
    sourcing: str
    context: str
    corroboration: str
    close_reading: str
    written: str | None = None
    published: str | None = None
    source_id: str | None = None
    quote_1_lang: str | None = None
    quote_2: str | None = None
    quote_2_lang: str | None = None
    quote_2_note: str | None = None

    @property
    def quotations(self) -> tuple[Quotation, ...]:
        """The exact quotations (one or two), in order."""
        quotes = [Quotation(self.quote_1, self.quote_1_note, self.quote_1_lang)]
        if self.quote_2:
            quotes.append(Quotation(self.quote_2, self.quote_2_note or "", self.quote_2_lang))
        return tuple(quotes)

    @property
    def when(self) -> str:
        """When it was written, as precisely as known: '20 August 1940', 'October 1940', '1940', 'undated'."""
        return format_partial(self.written)

    @property
    def display_title(self) -> str:
        """The title in quotation marks, or a description (a title in square brackets) without them."""
        if self.title.startswith("[") and self.title.endswith("]"):
            return self.title[1:-1]
        return f"“{self.title}”"

    @property
    def adapted_from(self) -> str:
        """'adapted from Joseph Hansen, “With Trotsky to the End” (October 1940)'."""
        return f"adapted from {self.author}, {self.display_title} ({self.when})"

    @property
    def header(self) -> str:
        """'Document DOC09 · adapted from …'."""
        return f"Document {self.id} · {self.adapted_from}"

    @property
    def prompts(self) -> tuple[tuple[str, str], ...]:
        """The four questions as (heading, text)."""
        return tuple((heading, getattr(self, column)) for column, heading, _ in PROMPTS)

    @property
    def read_on_label(self) -> str:
        return format_partial(self.read_on.isoformat())


@dataclass(frozen=True)
class Documents:
    """All documents, in chapter and set order, with a look-up by id."""

    documents: tuple[Document, ...]
    by_id: Mapping[str, Document]

    def in_chapter(self, chapter: str | int) -> tuple[Document, ...]:
        """The set of one chapter ('01'–'04', or 1–4), in order."""
        key = chapter_key(chapter)
        return tuple(d for d in self.documents if d.chapter == key)

    @property
    def chapters(self) -> tuple[str, ...]:
        """The chapters that have documents."""
        return tuple(c for c in CHAPTERS if self.in_chapter(c))

    def __iter__(self):
        return iter(self.documents)

    def __len__(self) -> int:
        return len(self.documents)


# --------------------------------------------------------------------------------------------------
# Helpers


def word_count(text: str | None) -> int:
    """Words in a text: runs of letters or digits, joined by apostrophes, hyphens or dashes ('5:20' is one)."""
    return len(_WORD.findall(text or ""))


def chapter_key(chapter: str | int) -> str:
    """'01' for 1, '1', '01' or '01-background'; ValueError for anything else."""
    text = str(chapter).strip()
    match = re.match(r"^0?([1-4])(?:-.*)?$", text)
    if not match:
        raise ValueError(f"unknown chapter {chapter!r}; choose one of {', '.join(CHAPTERS)}")
    return f"0{match.group(1)}"


def format_partial(value: str | None) -> str:
    """'1940-08-20' → '20 August 1940', '1940-10' → 'October 1940', '1940' → '1940', '' → 'undated'."""
    if not value:
        return "undated"
    parts = value.split("-")
    year = parts[0]
    if len(parts) == 1:
        return year
    month = datamod.MONTHS[int(parts[1]) - 1]
    if len(parts) == 2:
        return f"{month} {year}"
    return f"{int(parts[2])} {month} {year}"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _attr_lang(lang: str | None) -> str:
    return f' lang="{_e(lang)}"' if lang and lang != "en" else ""


# --------------------------------------------------------------------------------------------------
# Loading and checking


def _fail(file: str, line: int, column: str | None, row_id: str | None, message: str) -> datamod.DataError:
    return datamod.DataError(file, message, line=line, column=column, row_id=row_id)


def _check_rows(resource: Mapping[str, Any], rows: list[tuple[int, dict[str, Any]]],
                source_ids: Iterable[str]) -> None:
    """The rules the Table Schema cannot state (lengths, words, dates, quotations, references)."""
    file = resource["path"]
    specs = resource["schema"]["fields"]
    known_sources = set(source_ids)
    seen_places: dict[tuple[str, int], int] = {}
    for line, row in rows:
        rid = row.get("id")
        for spec in specs:
            value = row.get(spec["name"])
            cons = spec.get("constraints", {})
            if isinstance(value, str):
                if "maxLength" in cons and len(value) > cons["maxLength"]:
                    raise _fail(file, line, spec["name"], rid, f"{len(value)} characters is more than the "
                                f"{cons['maxLength']} allowed")
                if "minLength" in cons and len(value) < cons["minLength"]:
                    raise _fail(file, line, spec["name"], rid, f"{len(value)} characters is fewer than the "
                                f"{cons['minLength']} required")
        precision, written = row["written_precision"], row["written"] or ""
        if len(written) != _PARTIAL_DATE[precision]:
            wanted = {"day": "YYYY-MM-DD", "month": "YYYY-MM", "year": "YYYY", "undated": "empty"}[precision]
            raise _fail(file, line, "written", rid, f"written_precision is '{precision}', so written must be "
                        f"{wanted}, not {written!r}")
        for column in ("written", "published"):
            value = row[column]
            if value and len(value) == 10:
                try:
                    dt.date.fromisoformat(value)
                except ValueError:
                    raise _fail(file, line, column, rid, f"{value!r} is not a real date") from None
        words = word_count(row["adapted"])
        low, high = ADAPTED_WORDS
        if not low <= words <= high:
            raise _fail(file, line, "adapted", rid, f"the adapted text has {words} words; it must have "
                        f"{low}–{high}")
        for n in (1, 2):
            quote, note, lang = row[f"quote_{n}"], row[f"quote_{n}_note"], row[f"quote_{n}_lang"]
            if quote:
                count = word_count(quote)
                if count > MAX_QUOTE_WORDS:
                    raise _fail(file, line, f"quote_{n}", rid, f"the quotation has {count} words; at most "
                                f"{MAX_QUOTE_WORDS} are allowed (pick a shorter contiguous passage)")
                if quote != quote.strip() or "\n" in quote:
                    raise _fail(file, line, f"quote_{n}", rid, "a quotation must be one line without spaces "
                                "at its ends")
                if not note:
                    raise _fail(file, line, f"quote_{n}_note", rid, "a quotation needs a note on what its "
                                "words show")
            elif note or lang:
                raise _fail(file, line, f"quote_{n}_note" if note else f"quote_{n}_lang", rid,
                            f"quote_{n} is empty, so this cell must be empty too")
        if row["source_id"] and row["source_id"] not in known_sources:
            raise _fail(file, line, "source_id", rid, f"{row['source_id']!r} is not an id in sources.csv")
        place = (row["chapter"], row["order"])
        if place in seen_places:
            raise _fail(file, line, "order", rid, f"chapter {row['chapter']} already has a document number "
                        f"{row['order']} (line {seen_places[place]})")
        seen_places[place] = line
    # A quotation appears word for word in its own row only: no other document may repeat or adapt it verbatim.
    for _line, row in rows:
        for n in (1, 2):
            quote = row[f"quote_{n}"]
            if not quote:
                continue
            for other_line, other in rows:
                if other is row:
                    continue
                for column, value in other.items():
                    if isinstance(value, str) and quote in value:
                        raise _fail(file, other_line, column, other.get("id"),
                                    f"contains quote_{n} of {row['id']} word for word; a quotation may appear "
                                    "only in its own row")


@functools.lru_cache(maxsize=8)
def _load_cached(folder: Path, stamp: tuple) -> Documents:
    evidence = datamod.load(folder)
    resources = datamod._read_descriptor(folder)
    if RESOURCE not in resources:
        raise datamod.DataError("datapackage.json", f"no resource named {RESOURCE}")
    resource = resources[RESOURCE]
    rows = datamod._read_table(folder, resource)
    _check_rows(resource, rows, evidence.sources_by_id)
    names = {f.name for f in Document.__dataclass_fields__.values()}
    docs = tuple(sorted((Document(**{k: v for k, v in row.items() if k in names}) for _, row in rows),
                        key=lambda d: (d.chapter, d.order)))
    return Documents(documents=docs, by_id={d.id: d for d in docs})


def load(folder: str | Path | None = None) -> Documents:
    """Load and check ``documents.csv`` (cached until a data file changes).

    Raises :class:`trotsky1940.data.DataError` naming the file, line and column of the first problem.
    """
    folder = Path(folder) if folder is not None else paths.data_dir()
    folder = folder.resolve()
    stamp = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size)
                  for p in sorted(folder.glob("*")) if p.suffix in (".csv", ".json"))
    return _load_cached(folder, stamp)


def get(doc_id: str, folder: str | Path | None = None) -> Document:
    """One document by id ('DOC09'); KeyError naming the known ids otherwise."""
    docs = load(folder)
    try:
        return docs.by_id[doc_id]
    except KeyError:
        raise KeyError(f"no document {doc_id!r}; the documents are {', '.join(docs.by_id)}") from None


# --------------------------------------------------------------------------------------------------
# Display


def _heading(level: int, text: str, anchor: str) -> str:
    level = max(2, min(level, 6))
    return f'<h{level} id="{_e(anchor)}" style="margin:0.2em 0 0.4em 0">{_e(text)}</h{level}>'


def document_html(doc: Document, level: int = 3) -> str:
    """The HTML of one document; every piece of data is escaped."""
    anchor = f"document-{doc.id}"
    sub = level + 1
    parts = [f'<section class="t40-document" lang="en" aria-labelledby="{_e(anchor)}" style="{_BOX}">',
             _heading(level, doc.header, anchor),
             f'<p style="{_SMALL}"><strong>Who wrote it:</strong> {_e(doc.author)}. {_e(doc.author_role)}</p>',
             f'<p style="{_SMALL}"><strong>Written:</strong> {_e(doc.when)} · <strong>Kind:</strong> '
             f'{_e(KIND_WORDS.get(doc.kind, doc.kind))}</p>',
             _heading(sub, "Adapted text", f"{anchor}-adapted"),
             f'<p><strong>[Adapted]</strong> {_e(doc.adapted)}</p>',
             f'<p style="{_SMALL}"><em>This is the module\'s own shortened and simplified version, not the '
             f'author\'s words. Only the passages marked “Exact quotation” below are the author\'s words.</em></p>',
             _heading(sub, "Exact quotations" if len(doc.quotations) > 1 else "Exact quotation",
                      f"{anchor}-quotes")]
    for n, quote in enumerate(doc.quotations, 1):
        parts.append(
            f'<figure style="margin:0.5em 0">'
            f'<figcaption style="{_SMALL}"><strong>Exact quotation {n}</strong> (copied word for word from the '
            f'copy read)</figcaption>'
            f'<blockquote cite="{_e(doc.url)}"{_attr_lang(quote.lang)} style="{_QUOTE}"><p style="margin:0.2em 0">'
            f'{_e(quote.text)}</p></blockquote>'
            f'<p style="{_SMALL}; margin:0.2em 0"><strong>What the words show:</strong> {_e(quote.note)}</p>'
            f'</figure>')
    parts += [_heading(sub, "Source", f"{anchor}-source"),
              f'<p style="{_SMALL}">{_e(doc.citation)}<br>Copy read: <a href="{_e(doc.url)}">{_e(doc.url)}</a>, '
              f'read on {_e(doc.read_on_label)}. {_e(doc.copy_note)}</p>',
              "</section>"]
    return "".join(parts)


def document_text(doc: Document) -> str:
    """The plain-text twin of :func:`document_html`."""
    lines = [doc.header, f"Who wrote it: {doc.author}. {doc.author_role}", f"Written: {doc.when}",
             "", "Adapted text (the module's own words, not the author's):", doc.adapted, ""]
    for n, quote in enumerate(doc.quotations, 1):
        lines += [f"Exact quotation {n}:", f"  “{quote.text}”", f"  What the words show: {quote.note}"]
    lines += ["", f"Source: {doc.citation}", f"Copy read: {doc.url}, read on {doc.read_on_label}. {doc.copy_note}"]
    return "\n".join(lines)


class DocumentView(Html):
    """One document for a notebook: ``_repr_html_`` for Jupyter, ``str()`` / ``.text`` for plain text."""

    def __init__(self, doc: Document, level: int = 3):
        self.document = doc
        super().__init__(document_html(doc, level), document_text(doc))


def show(doc_id: str, folder: str | Path | None = None) -> DocumentView:
    """Show one document: header, author's position, adapted text, exact quotations and citation."""
    return DocumentView(get(doc_id, folder))


def prompts_html(doc: Document, level: int = 4) -> str:
    anchor = f"questions-{doc.id}"
    items = "".join(f'<dt style="font-weight:bold; margin-top:0.4em">{_e(heading)}</dt>'
                    f'<dd style="margin:0.1em 0 0.2em 1.2em">{_e(text)}</dd>'
                    for heading, text in doc.prompts)
    return (f'<section lang="en" aria-labelledby="{_e(anchor)}" style="margin:0 0 1.2em 0; max-width:48em">'
            f'{_heading(level, f"Questions on Document {doc.id}", anchor)}<dl style="margin:0">{items}</dl></section>')


def document_set(chapter: str | int, folder: str | Path | None = None) -> Html:
    """Show a chapter's document set, each document followed by its four questions."""
    key = chapter_key(chapter)
    docs = load(folder).in_chapter(key)
    if not docs:
        raise ValueError(f"chapter {key} has no documents")
    anchor = f"document-set-{key}"
    intro = ("Read each document, then answer its four questions: sourcing, contextualisation, corroboration "
             "and close reading. The adapted texts are the module's own words; only the passages marked "
             "“Exact quotation” are the authors' words.")
    title = f"Document set for chapter {int(key)}: {CHAPTER_TITLES[key]}"
    markup = [f'<section class="t40-document-set" lang="en" aria-labelledby="{_e(anchor)}">',
              _heading(3, title, anchor), f"<p>{_e(intro)}</p>",
              f'<p>Documents: {_e("; ".join(f"{d.id} ({d.author}, {d.when})" for d in docs))}.</p>']
    text = [title, intro, ""]
    for doc in docs:
        markup += [document_html(doc, level=4), prompts_html(doc, level=5)]
        text += [document_text(doc), "", f"Questions on Document {doc.id}:"]
        text += [f"- {heading}: {prompt}" for heading, prompt in doc.prompts] + [""]
    markup.append("</section>")
    return Html("".join(markup), "\n".join(text).rstrip() + "\n")


def reading_list(folder: str | Path | None = None) -> Html:
    """Every document with the address it was read from, for a chapter's closing note."""
    docs = load(folder)
    rows = "".join(f"<li>Document {_e(d.id)}: {_e(d.citation)} Read at <a href=\"{_e(d.url)}\">{_e(d.url)}</a> "
                   f"on {_e(d.read_on_label)}.</li>" for d in docs)
    text = "\n".join(f"- Document {d.id}: {d.citation} Read at {d.url} on {d.read_on_label}." for d in docs)
    return Html(f'<ul lang="en">{rows}</ul>', text)
