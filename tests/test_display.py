"""Tables, source-check boxes and reading lists are built from the data, with HTML and plain text."""

from __future__ import annotations

import re

import pytest

from trotsky1940 import display

from .helpers import ROOT


def test_event_table_lists_the_phase_in_order(evidence):
    table = display.event_table("second-attempt", evidence=evidence)
    events = evidence.events_in("second-attempt")
    lines = str(table).splitlines()
    assert len(lines) == len(events)
    for line, event in zip(lines, events, strict=True):
        assert line.startswith(event.label) and event.title in line
    assert table._repr_html_().count("<tr>") == len(events) + 1


def test_event_table_flags_uncertain_events(evidence):
    table = display.event_table(evidence=evidence)
    for event in evidence.events:
        if event.uncertain:
            assert f"See source check {event.dispute}." in table._repr_html_()
    assert "⚠ disputed" in table._repr_html_() or "⚠ unconfirmed" in table._repr_html_()


def test_event_table_narrows_by_year(evidence):
    table = display.event_table("attack", start=1940, evidence=evidence)
    assert len(str(table).splitlines()) == sum(1 for e in evidence.events_in("attack") if e.date.year >= 1940)


def test_source_check_shows_every_version_with_sources(evidence):
    dispute = next(d for d in evidence.disputes if d.article_claim and len(evidence.versions_of(d.id)) >= 2)
    box = display.source_check(dispute.id, evidence=evidence)
    text = str(box)
    assert text.startswith(f"Source check {dispute.id}: {dispute.topic}")
    for version in evidence.versions_of(dispute.id):
        assert version.claim in text and display.cite(version.sources) in text
    assert dispute.suggested_wording in text
    assert "What the source article says" in box._repr_html_()


def test_source_check_can_leave_its_conclusion_to_the_student(evidence):
    dispute = evidence.disputes_by_id["D06"]
    box = display.source_check("D06", evidence=evidence, conclusion=False)
    assert dispute.suggested_wording not in str(box) and dispute.suggested_wording not in box._repr_html_()
    for version in evidence.versions_of("D06"):
        assert version.claim in str(box)
    assert "for you to work out" in box._repr_html_()


HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def test_hostile_text_in_the_data_is_shown_as_text_never_as_markup(tmp_path):
    """Injected into a copy of the data (an event's title and summary, a person's name), hostile text reaches every
    view escaped: the card, the table, the who's who, the explorer's card, never as a tag."""
    import csv
    import shutil

    from trotsky1940 import data, timeline

    folder = tmp_path / "data"
    shutil.copytree(ROOT / "data", folder)
    for table, column in (("events.csv", "title"), ("events.csv", "summary"), ("people.csv", "name")):
        with open(folder / table, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        rows[0][column] = HOSTILE + " " + rows[0][column]
        with open(folder / table, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    hostile = data.load(folder)
    event = hostile.events[0]
    assert HOSTILE in event.title  # the injection reached the data
    views = {
        "card": display.event_card(event.id, evidence=hostile)._repr_html_(),
        "table": display.event_table(evidence=hostile)._repr_html_(),
        "who": display.who_is_who(evidence=hostile)._repr_html_(),
        "explorer card": timeline.card_html(event, hostile, 1, len(hostile.events)),
    }
    for name, markup in views.items():
        assert "<script" not in markup and "<img" not in markup, name
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup, name
    assert display._e("<b>") == "&lt;b&gt;"


def test_who_is_who_keeps_the_order_given(evidence):
    ids = ["mercader", "trotsky"]
    lines = str(display.who_is_who(ids, evidence=evidence)).splitlines()
    assert lines[0].startswith(evidence.people_by_id["mercader"].name)
    assert lines[1].startswith(evidence.people_by_id["trotsky"].name)
    assert "1879" in lines[1]


def test_further_reading_resolves_ids_and_refuses_unknown_ones(evidence):
    text = str(display.further_reading("B12", "ART", evidence=evidence))
    assert text.splitlines()[0].startswith("[B12] ") and "Neurosurgery" in text
    with pytest.raises(KeyError, match="B99"):
        display.further_reading("B99", evidence=evidence)


def test_tables_align_every_cell_left(evidence):
    for table in (display.event_table(evidence=evidence), display.who_is_who(evidence=evidence)):
        markup = table._repr_html_()
        cells = re.findall(r"<t[hd]\b[^>]*>", markup)
        assert cells and all("text-align:left" in c for c in cells), [c for c in cells if "left" not in c]
        assert any("white-space:nowrap" in c for c in cells[:2])  # dates (When, Life) do not wrap


def test_who_took_part_lists_participants_and_names_historians_with_the_sources(evidence):
    table = display.event_table("first-attempt", evidence=evidence)
    rows = table._repr_html_().split("<tr>")[2:]
    kotkin_row = next(r for r in rows if "1938 NKVD effort" in r)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", kotkin_row)
    assert "Spigelglas" in cells[2] and "Kotkin" not in cells[2]
    assert "According to S. Kotkin." in cells[4] and "[B03]" in cells[4]
    assert "According to S. Kotkin." in str(table)
    card = display.event_card("E027", evidence=evidence)
    assert "Who took part:</strong> Ramón Mercader." in card._repr_html_()
    assert "According to Bertrand M. Patenaude, Isaac Don Levine." in str(card)


def test_source_check_explains_web(evidence):
    box = display.source_check("D07", evidence=evidence)
    assert "[WEB]" in str(box) and display.WEB_NOTE in str(box) and display.WEB_NOTE in box._repr_html_()
    assert display.WEB_NOTE not in str(display.source_check("D17", evidence=evidence))
