"""Primary documents: the descriptor validates, quotations are short and appear exactly as stored in what a
notebook shows, hostile text is escaped, broken rows are named precisely, and every document a notebook or
exercise cites exists."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from trotsky1940 import data, documents

from . import helpers
from .helpers import ROOT, read_rows, write_rows

DATA = ROOT / "data"
FILE = "documents.csv"


# ------------------------------------------------------------------------------------------------
# helpers


def set_cell(folder: Path, index: int, column: str, value: str) -> tuple[str, int]:
    """Set one cell of data row ``index`` (0-based) of documents.csv; return the row's id and line number."""
    return helpers.set_cell(folder, FILE, index, column, value)


def expect_error(folder: Path, *, line: int, column: str, words: str) -> data.DataError:
    """Assert that documents.load refuses the copy, naming documents.csv, the line and the column."""
    return helpers.expect_error(folder, FILE, line=line, column=column, words=words, load=documents.load)


class Blockquotes(HTMLParser):
    """Collects the text inside each <blockquote>, and notes any <script> element."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.quotes: list[str] = []
        self.depth = 0
        self.tags: list[str] = []
        self.attributes: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [name for name, _ in attrs]
        if tag == "blockquote":
            self.depth += 1
            self.quotes.append("")

    def handle_endtag(self, tag):
        if tag == "blockquote":
            self.depth -= 1

    def handle_data(self, text):
        if self.depth:
            self.quotes[-1] += text


def parse(markup: str) -> Blockquotes:
    parser = Blockquotes()
    parser.feed(markup)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def docs() -> documents.Documents:
    return documents.load()


# ------------------------------------------------------------------------------------------------
# the descriptor and the table


def test_descriptor_is_valid_for_frictionless():
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.validate(str(DATA / "datapackage.json"))
    assert report.valid, report.flatten(["taskName", "rowNumber", "fieldName", "type", "note"])[:10]


def test_resource_has_a_full_schema():
    descriptor = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
    resource = next(r for r in descriptor["resources"] if r["name"] == documents.RESOURCE)
    schema = resource["schema"]
    assert schema["primaryKey"] == "id"
    assert {"fields": "source_id", "reference": {"resource": "sources", "fields": "id"}} in schema["foreignKeys"]
    fields = {f["name"]: f for f in schema["fields"]}
    header, _ = read_rows(DATA / FILE)
    assert header == [f["name"] for f in schema["fields"]]
    for spec in schema["fields"]:
        assert spec.get("description"), spec["name"]
        assert spec.get("type"), spec["name"]
    assert fields["id"]["constraints"]["pattern"] == r"^DOC\d{2}$"
    assert fields["chapter"]["constraints"]["enum"] == list(documents.CHAPTERS)
    assert fields["kind"]["constraints"]["enum"]
    assert fields["url"]["constraints"]["pattern"].startswith("^https?://")
    for name in ("quote_1", "quote_2", "adapted", "citation", "author_role"):
        assert fields[name]["constraints"]["maxLength"], name
    for name in ("id", "chapter", "order", "title", "author", "author_role", "kind", "citation", "url", "read_on",
                 "adapted", "quote_1", "quote_1_note", "sourcing", "context", "corroboration", "close_reading"):
        assert fields[name]["constraints"].get("required"), name


def test_every_chapter_has_two_to_four_documents(docs):
    for chapter in documents.CHAPTERS:
        assert 2 <= len(docs.in_chapter(chapter)) <= 4, chapter
        assert [d.order for d in docs.in_chapter(chapter)] == list(range(1, len(docs.in_chapter(chapter)) + 1))


def test_every_row_is_complete_and_provenanced(docs, evidence):
    for doc in docs:
        assert doc.citation and doc.author_role and doc.copy_note, doc.id
        assert re.match(r"^https?://", doc.url), doc.id
        assert doc.read_on.isoformat() == "2026-12-02", doc.id
        assert doc.source_id is None or doc.source_id in evidence.sources_by_id, doc.id
        for column in ("sourcing", "context", "corroboration", "close_reading"):
            assert getattr(doc, column).strip(), (doc.id, column)


def test_quotations_are_at_most_40_words_and_adapted_texts_80_to_200(docs):
    for doc in docs:
        assert 1 <= len(doc.quotations) <= 2, doc.id
        for quote in doc.quotations:
            assert quote.words <= documents.MAX_QUOTE_WORDS, (doc.id, quote.words)
            assert quote.note, doc.id
        assert 80 <= documents.word_count(doc.adapted) <= 200, doc.id


def test_each_quotation_appears_in_its_own_row_only():
    header, rows = read_rows(DATA / FILE)
    for row in rows:
        record = dict(zip(header, row, strict=True))
        for column in ("quote_1", "quote_2"):
            quote = record[column]
            if not quote:
                continue
            for other in rows:
                if other is row:
                    continue
                assert not any(quote in cell for cell in other), (record["id"], column, other[0])


def test_word_count_counts_words_not_marks():
    assert documents.word_count("Night. Darkness. I awaken.") == 4
    assert documents.word_count("between 5:20 and 5:30, 1915–1940 … Stalin’s") == 6


# ------------------------------------------------------------------------------------------------
# what a notebook shows


def test_shown_html_holds_each_quotation_exactly_as_stored(docs):
    for doc in docs:
        view = documents.show(doc.id)
        parsed = parse(view._repr_html_())
        assert parsed.quotes == [q.text for q in doc.quotations], doc.id
        assert "script" not in parsed.tags


def test_document_view_has_header_labels_citation_and_text_twin(docs):
    doc = docs.by_id["DOC09"]
    view = documents.show("DOC09")
    markup = view._repr_html_()
    assert markup.startswith('<section class="t40-document" lang="en"')
    assert "Document DOC09 · adapted from Joseph Hansen, “With Trotsky to the End” (October 1940)" in markup
    assert "[Adapted]" in markup and "Exact quotation 1" in markup and "Exact quotation 2" in markup
    assert "read on 2 December 2026" in markup
    assert f'<a href="{doc.url}">' in markup
    assert doc.author_role.replace("'", "&#x27;") in markup
    assert re.search(r"<h3 id=\"document-DOC09\"", markup) and "<h4" in markup
    text = str(view)
    assert text == view.text and text.startswith("Document DOC09 · adapted from")
    for quote in doc.quotations:
        assert quote.text in text
    assert "<section" not in text and "<p>" not in text


def test_document_set_shows_every_document_with_its_four_prompts(docs):
    for chapter in docs.chapters:
        view = documents.document_set(chapter)
        markup, text = view._repr_html_(), str(view)
        for doc in docs.in_chapter(chapter):
            assert f'id="document-{doc.id}"' in markup
            for _heading, prompt in doc.prompts:
                assert prompt in text
            for heading in ("Sourcing", "Contextualisation", "Corroboration", "Close reading"):
                assert f"{heading}</dt>" in markup
        assert parse(markup).quotes == [q.text for d in docs.in_chapter(chapter) for q in d.quotations]
    assert documents.document_set(2).text == documents.document_set("02-the-two-attempts").text
    with pytest.raises(ValueError):
        documents.document_set("7")


def test_unknown_document_is_a_clear_error():
    with pytest.raises(KeyError, match="no document 'DOC99'"):
        documents.show("DOC99")


HOSTILE = ('<script>alert("x")</script>', '"><img src=x onerror=alert(1)>', "</blockquote><script>1</script>")


def test_hostile_text_is_escaped(data_copy):
    header, rows = read_rows(data_copy / FILE)
    first = dict(zip(header, rows[0], strict=True))
    for column, value in (("title", HOSTILE[0]), ("author", HOSTILE[1]), ("author_role", HOSTILE[0] + " role"),
                          ("adapted", first["adapted"] + " " + HOSTILE[2]), ("quote_1", HOSTILE[1]),
                          ("quote_1_note", HOSTILE[0]), ("citation", first["citation"] + HOSTILE[1]),
                          ("copy_note", first["copy_note"] + HOSTILE[0]), ("sourcing", HOSTILE[2] + " sourcing"),
                          ("url", 'https://example.org/x"onmouseover=alert(1)')):
        rows[0][header.index(column)] = value
    write_rows(data_copy / FILE, header, rows)
    # the url pattern forbids a quote mark; this copy tests escaping, so relax that one pattern
    descriptor = json.loads((data_copy / "datapackage.json").read_text(encoding="utf-8"))
    resource = next(r for r in descriptor["resources"] if r["name"] == documents.RESOURCE)
    next(f for f in resource["schema"]["fields"] if f["name"] == "url")["constraints"]["pattern"] = "^https?://.+$"
    (data_copy / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    doc_id = rows[0][0]
    for view in (documents.show(doc_id, data_copy), documents.document_set(rows[0][1], data_copy)):
        markup = view._repr_html_()
        parsed = parse(markup)
        assert "script" not in parsed.tags and "img" not in parsed.tags
        assert "<script" not in markup.lower() and "<img" not in markup.lower()
        assert not [a for a in parsed.attributes if a.startswith("on")], "an event-handler attribute got through"
        assert "&quot;onmouseover" in markup
        assert HOSTILE[1] in parsed.quotes  # shown as text, exactly
        assert "&lt;script&gt;" in markup


# ------------------------------------------------------------------------------------------------
# broken copies fail with file, line and column


def test_a_long_quotation_is_refused(data_copy):
    _, line = set_cell(data_copy, 2, "quote_1", " ".join(["word"] * 41))
    expect_error(data_copy, line=line, column="quote_1", words="41 words")


def test_a_quotation_repeated_in_another_row_is_refused(data_copy):
    header, rows = read_rows(data_copy / FILE)
    quote = rows[0][header.index("quote_1")]
    rows[3][header.index("adapted")] += " " + quote
    write_rows(data_copy / FILE, header, rows)
    expect_error(data_copy, line=5, column="adapted", words="word for word")


def test_a_short_adapted_text_is_refused(data_copy):
    _, line = set_cell(data_copy, 1, "adapted", " ".join(["extraordinarily"] * 30))
    expect_error(data_copy, line=line, column="adapted", words="words; it must have 80–200")


@pytest.mark.parametrize(("index", "column", "value", "blamed", "words"), [
    (0, "url", "ftp://example.org/x", "url", "does not match the pattern"),
    (0, "url", "", "url", "a value is required"),
    (0, "citation", "", "citation", "a value is required"),
    (0, "chapter", "05", "chapter", "not one of the allowed values"),
    (0, "kind", "novel", "kind", "not one of the allowed values"),
    (0, "source_id", "B99", "source_id", "not an id in sources.csv"),
    (0, "written_precision", "year", "written", "written must be YYYY"),
    (0, "written", "1940-02-30", "written", "not a real date"),
    (0, "quote_2_note", "", "quote_2_note", "needs a note"),
    (1, "order", "1", "order", "already has a document number 1"),
])
def test_a_broken_cell_is_named_by_file_line_and_column(data_copy, index, column, value, blamed, words):
    # row 0 is DOC01: written is a full day, quote_2 is given; row 1 is DOC02, number 2 of the same chapter
    _, line = set_cell(data_copy, index, column, value)
    expect_error(data_copy, line=line, column=blamed, words=words)


# ------------------------------------------------------------------------------------------------
# notebooks and exercises cite only documents that exist


CITE = re.compile(r"""documents\.show\(\s*["'](DOC\d{2})["']""")
SET = re.compile(r"""document_set\(\s*["']?([^"')\s,]+)""")


def cited_documents() -> tuple[set[str], set[str]]:
    ids, chapters = set(), set()
    for folder in ("notebooks", "exercises", "teachers"):
        for path in sorted((ROOT / folder).rglob("*.ipynb")):
            notebook = json.loads(path.read_text(encoding="utf-8"))
            for cell in notebook.get("cells", []):
                source = "".join(cell.get("source", []))
                ids.update(CITE.findall(source))
                ids.update(re.findall(r"""\bshow\(\s*["'](DOC\d{2})["']""", source))
                chapters.update(SET.findall(source))
    return ids, chapters


def test_every_cited_document_exists(docs):
    ids, chapters = cited_documents()
    missing = sorted(ids - set(docs.by_id))
    assert not missing, f"notebooks cite documents that data/documents.csv lacks: {missing}"
    for chapter in chapters:
        assert docs.in_chapter(documents.chapter_key(chapter)), f"document_set({chapter!r}) has no documents"


def test_what_students_see_has_no_internal_markers(docs):
    from .test_student_text import problems

    views = [documents.show(d.id) for d in docs] + [documents.document_set(c) for c in docs.chapters]
    views.append(documents.reading_list())
    found = [p for view in views for text in (str(view), view._repr_html_()) for p in problems(text)]
    assert not found, found[:10]


def test_reading_list_names_every_document_with_its_address(docs):
    text = str(documents.reading_list())
    for doc in docs:
        assert f"Document {doc.id}: " in text and doc.url in text
