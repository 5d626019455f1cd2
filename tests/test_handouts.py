"""Printable handouts: every chapter with documents gets a page set with all its documents, the analysis table
and the lesson plan's five-row source-criticism table; the teacher key exists; nothing is left unescaped."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from trotsky1940 import documents
from trotsky1940.authoring import handouts

from .helpers import ROOT


class Page(HTMLParser):
    """Collects blockquote texts, table captions and rows, and the tags of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.quotes: list[str] = []
        self.in_quote = 0
        self.tables: list[list[list[str]]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "blockquote":
            self.in_quote += 1
            self.quotes.append("")
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables:
            self.cell = [""]
            self.tables[-1][-1].append("")

    def handle_endtag(self, tag):
        if tag == "blockquote":
            self.in_quote -= 1
        elif tag in ("td", "th"):
            self.cell = None

    def handle_data(self, text):
        if self.in_quote:
            self.quotes[-1] += text
        if self.cell is not None and self.tables and self.tables[-1]:
            self.tables[-1][-1][-1] += text


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("handouts")
    handouts.build(out)
    return out


def test_one_page_per_chapter_with_documents_and_a_key(built):
    docs = documents.load()
    names = {p.name for p in built.glob("*.html")}
    assert {f"chapter-{c}.html" for c in docs.chapters} | {"teacher-key.html", "index.html"} == names


def test_every_document_of_every_chapter_appears_with_its_exact_quotations(built):
    docs = documents.load()
    for chapter in docs.chapters:
        path = built / f"chapter-{chapter}.html"
        text = path.read_text(encoding="utf-8")
        page = parse(path)
        for doc in docs.in_chapter(chapter):
            assert f'id="h-{doc.id}"' in text, doc.id
            assert f'href="{doc.url}"' in text, doc.id
        assert page.quotes == [q.text for d in docs.in_chapter(chapter) for q in d.quotations]
        assert text.count('class="doc"') == len(docs.in_chapter(chapter))
        assert "break-before: page" in text and "size: A4" in text
        assert re.search(r"font-size: 11(\.\d)?pt|font-size: 12pt", text)


def test_analysis_table_has_one_blank_row_per_document(built):
    docs = documents.load()
    for chapter in docs.chapters:
        page = parse(built / f"chapter-{chapter}.html")
        table = page.tables[0]
        assert table[0] == list(handouts.ANALYSIS_COLUMNS)
        assert len(table) == 1 + len(docs.in_chapter(chapter))
        assert all(cell == "" for row in table[1:] for cell in row[1:])


def test_source_criticism_table_has_the_guides_five_rows(built):
    guide = (ROOT / "teachers" / "guide.md").read_text(encoding="utf-8")
    rows = handouts.source_criticism_rows()
    assert len(rows) == 5
    assert "(" + "; ".join(rows) + ")" in guide
    for chapter in documents.load().chapters:
        page = parse(built / f"chapter-{chapter}.html")
        table = page.tables[-1]
        body = table[1:]
        assert len(body) == 5
        assert [row[0].split(". ", 1)[1].lower() for row in body] == [r.lower() for r in rows]
        assert all(row[1] == "" for row in body)


def test_teacher_key_covers_every_document_and_prompt(built):
    docs = documents.load()
    text = (built / "teacher-key.html").read_text(encoding="utf-8")
    page = parse(built / "teacher-key.html")
    for doc in docs:
        assert f'id="key-{doc.id}"' in text
    flat = " ".join(cell for table in page.tables for row in table for cell in row)
    for doc in docs:
        for _heading, prompt in doc.prompts:
            assert prompt in flat, doc.id


def test_no_unescaped_script(built):
    for path in built.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "<script" not in text.lower(), path.name
        assert "script" not in parse(path).tags
        assert text.startswith("<!DOCTYPE html>") and '<html lang="en">' in text


def test_hostile_data_is_escaped(tmp_path, data_copy):
    import csv
    import io
    rows = list(csv.reader((data_copy / "documents.csv").open(encoding="utf-8", newline="")))
    header = rows[0]
    rows[1][header.index("title")] = "<script>alert(1)</script>"
    rows[1][header.index("quote_1")] = '"><img src=x onerror=alert(1)>'
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    (data_copy / "documents.csv").write_text(buffer.getvalue(), encoding="utf-8")
    handouts.build(tmp_path / "out", folder=data_copy)
    for path in (tmp_path / "out").glob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "<script" not in text.lower() and "<img" not in text.lower(), path.name
        assert "img" not in parse(path).tags


def test_central_question_comes_from_the_notebooks_first_markdown_cell(tmp_path):
    (tmp_path / "notebooks").mkdir()
    cell = {"cell_type": "markdown", "metadata": {}, "source": ["# 2. The raid\n", "\n",
                                                               "**Central question:** Was Harte a victim?\n"]}
    (tmp_path / "notebooks" / "02-the-two-attempts.ipynb").write_text(json.dumps({"cells": [cell]}),
                                                                      encoding="utf-8")
    assert handouts.central_question("02", tmp_path) == "Was Harte a victim?"
    assert handouts.central_question("03", tmp_path) is None


def test_blank_line_when_no_central_question():
    docs = documents.load()
    page = handouts.chapter_page("01", docs.in_chapter("01"), None, handouts.SOURCE_CRITICISM_ROWS)
    assert "blank line for the central question" in page
    page = handouts.chapter_page("01", docs.in_chapter("01"), "Why <b>did</b> Stalin want him dead?",
                                 handouts.SOURCE_CRITICISM_ROWS)
    assert "Why &lt;b&gt;did&lt;/b&gt; Stalin want him dead?" in page


def test_command_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "trotsky1940.authoring.handouts", "--out", str(tmp_path / "h")],
                            capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "h" / "teacher-key.html").is_file()
    assert "chapter-01.html" in result.stdout
