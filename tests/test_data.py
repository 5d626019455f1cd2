"""The evidence base: the descriptor validates, every row cites sources, references hold, the article's key
facts are present with the right values and hedges, and broken copies fail with a precise message."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys

import pytest

from trotsky1940 import data

from .helpers import ROOT, expect_error, read_rows, set_cell, write_rows

DATA = ROOT / "data"
TABLES_WITH_SOURCES = ("places", "people", "events", "disputes", "dispute_versions", "funeral")


# ------------------------------------------------------------------------------------------------
# the descriptor and the tables


def test_descriptor_is_valid_for_frictionless():
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.validate(str(DATA / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


def test_frictionless_catches_a_broken_copy_too(data_copy):
    frictionless = pytest.importorskip("frictionless")
    set_cell(data_copy, "events.csv", 3, "date", "1940-02-30")
    report = frictionless.validate(str(data_copy / "datapackage.json"))
    assert not report.valid


def test_every_table_is_described_with_keys():
    descriptor = json.loads((DATA / "datapackage.json").read_text())
    assert descriptor["profile"] == "tabular-data-package"
    assert any("CC-BY-SA-4.0" in lic.get("name", "") for lic in descriptor["licenses"])
    names = {r["name"] for r in descriptor["resources"]}
    # documents.csv is described in the same descriptor but loaded and checked by trotsky1940.documents (issue 14)
    assert names == set(data.RECORD_TYPES) | {"documents"}
    for resource in descriptor["resources"]:
        assert resource["schema"].get("primaryKey"), resource["name"]
        for spec in resource["schema"]["fields"]:
            assert spec.get("description"), f"{resource['name']}.{spec['name']} needs a description"
        header, _ = read_rows(DATA / resource["path"])
        assert header == [f["name"] for f in resource["schema"]["fields"]]


def test_table_sizes(evidence):
    assert len(evidence.events) >= 45
    assert len(evidence.sources) >= 74  # B01-B73 and the source article
    assert {f"B{n:02d}" for n in range(1, 74)} | {"ART"} <= set(evidence.sources_by_id)
    assert len(evidence.people) >= 20
    assert len(evidence.places) >= 10
    assert len(evidence.disputes) >= 13


def test_every_row_cites_at_least_one_existing_source(evidence):
    for table in TABLES_WITH_SOURCES:
        for record in getattr(evidence, table):
            assert record.sources, f"{table}: {record} cites no source"
            for sid in record.sources:
                assert sid in evidence.sources_by_id, f"{table}: unknown source {sid}"
            if table != "dispute_versions":
                assert data.UNCITED not in record.sources, f"{table}: {record} rests on uncited web pages"


def test_uncited_web_pages_only_record_weak_versions(evidence):
    web = [v for v in evidence.dispute_versions if data.UNCITED in v.sources]
    assert web, "the circulating weak claims (e.g. a 7:25 p.m. time of death) are recorded"
    assert {v.assessment for v in web} <= {"weak", "unsupported", "wrong"}


def test_web_as_support_is_refused(data_copy):
    _, line = set_cell(data_copy, "events.csv", 0, "sources", "WEB")
    expect_error(data_copy, "events.csv", line=line, column="sources", words="never support")


def test_web_version_cannot_be_best_supported(data_copy):
    header, rows = read_rows(data_copy / "dispute_versions.csv")
    index = next(i for i, r in enumerate(rows) if "WEB" in r[header.index("sources")].split(";"))
    rows[index][header.index("assessment")] = "best-supported"
    write_rows(data_copy / "dispute_versions.csv", header, rows)
    expect_error(data_copy, "dispute_versions.csv", line=index + 2, column="assessment", words="cannot be")


def test_references_between_tables_hold(evidence):
    for event in evidence.events:
        assert all(p in evidence.people_by_id for p in event.people), event.id
        assert event.place is None or event.place in evidence.places_by_id, event.id
        assert event.dispute is None or event.dispute in evidence.disputes_by_id, event.id
    for version in evidence.dispute_versions:
        assert version.dispute in evidence.disputes_by_id


HISTORIANS = ("patenaude", "kotkin", "conquest", "deutscher", "volkogonov", "mitrokhin", "levine", "miller")


def test_historians_are_sources_not_participants(evidence):
    kinds = {p.id: p.kind for p in evidence.people}
    assert set(kinds.values()) <= {"participant", "historian", "author"}
    for pid in HISTORIANS:
        assert kinds[pid] != "participant", pid
    for pid in ("trotsky", "mercader", "hansen", "sedova", "siqueiros"):
        assert kinds[pid] == "participant", pid
    for event in evidence.events:
        assert all(kinds[p] == "participant" for p in event.people), event.id
        assert all(kinds[p] != "participant" for p in event.reported_by), event.id
    reported = {p for e in evidence.events for p in e.reported_by}
    assert {"patenaude", "kotkin", "conquest", "deutscher", "mitrokhin", "levine", "miller"} <= reported
    kotkin = evidence.events_by_id["E013"]
    assert kotkin.people == ("spigelglas", "guttsait") and kotkin.reported_by == ("kotkin",)


@pytest.mark.parametrize(("table", "column", "value", "words"), [
    ("events.csv", "people", "trotsky;patenaude", "'patenaude' is a historian"),  # a historian took no part
    ("events.csv", "reported_by", "trotsky", "'trotsky' is a participant"),
    ("people.csv", "kind", "witness", "not one of the allowed values"),
])
def test_participants_and_historians_are_kept_apart(data_copy, table, column, value, words):
    _, line = set_cell(data_copy, table, 0, column, value)
    expect_error(data_copy, table, line=line, column=column, words=words)


def test_bibliography_fields_agree_with_the_citation(evidence):
    for source in evidence.sources:
        for name in ("author", "title", "year", "publisher", "pages"):
            value = getattr(source, name)
            assert value is None or value in source.citation, (source.id, name, value)
    b12 = evidence.sources_by_id["B12"]
    assert (b12.title, b12.year, b12.publisher, b12.pages) == ("The Death of Leon Trotsky", "2010",
                                                               "Neurosurgery 67(2)", "417–423")
    assert evidence.sources_by_id["B13"].pages == "159–174"
    assert evidence.sources_by_id["B01"].year == "2009"
    # a university centre's page and a mural site's chronology are not museums
    assert evidence.sources_by_id["B60"].kind != "museum" and evidence.sources_by_id["B61"].kind == "website"
    for source in evidence.sources:
        assert "handed to the project" not in source.citation and "[article on" not in source.citation


def test_bibliography_year_is_checked(data_copy):
    _, line = set_cell(data_copy, "sources.csv", 0, "year", "c. 2009")
    expect_error(data_copy, "sources.csv", line=line, column="year", words="does not match the pattern")


def test_events_are_in_order_and_typed(evidence):
    # rows are in story order: none can have happened before an earlier row's earliest moment
    latest_start = None
    for event in evidence.events:
        earliest, latest = data.period(event.date, event.date_precision, event.time_local)
        assert latest_start is None or latest >= latest_start, event.id
        latest_start = max(latest_start or earliest, earliest)
    assert all(isinstance(e.date, dt.date) for e in evidence.events)
    assert {e.phase for e in evidence.events} == set(data.PHASES), "every chapter needs its events"
    assert all(len(e.title) <= 70 for e in evidence.events)


def test_uncertain_events_link_a_dispute_with_versions(evidence):
    uncertain = [e for e in evidence.events if e.uncertain]
    assert len(uncertain) >= 5
    for event in uncertain:
        assert event.dispute, event.id
        versions = evidence.versions_of(event.dispute)
        assert versions, f"{event.id}: dispute {event.dispute} has no versions"
    for dispute in evidence.disputes:
        versions = evidence.versions_of(dispute.id)
        if dispute.status == "disputed":
            assert len(versions) >= 2, f"{dispute.id} is disputed but has {len(versions)} version(s)"


# ------------------------------------------------------------------------------------------------
# the article's key facts, with the right values and the right hedges


def only(items, what):
    items = list(items)
    assert len(items) >= 1, f"no row for {what}"
    return items


def events_on(evidence, day: str):
    return [e for e in evidence.events if e.date == dt.date.fromisoformat(day)]


def dispute_about(evidence, *words: str):
    hits = [d for d in evidence.disputes
            if all(w.lower() in (d.topic + " " + (d.article_claim or "")).lower() for w in words)]
    assert hits, f"no dispute about {words}"
    return hits[0]


def test_the_attack_20_august_1940_about_1720(evidence):
    day = only(events_on(evidence, "1940-08-20"), "20 August 1940")
    assert all(e.phase == "attack" for e in day)
    timed = [e for e in day if e.time_local == dt.time(17, 20)]
    assert timed, "the article's 17:20 must be on an event of 20 August 1940"
    assert any("ART" in e.sources for e in timed)
    assert any("mercader" in e.people and "trotsky" in e.people for e in day)


def test_death_on_21_august_1940_in_hospital(evidence):
    death = only(events_on(evidence, "1940-08-21"), "21 August 1940")
    assert any("trotsky" in e.people for e in death)
    trotsky = evidence.people_by_id["trotsky"]
    assert trotsky.died == "1940-08-21"
    assert trotsky.born == "1879-11-07"


def test_the_raid_of_24_may_1940(evidence):
    raid = only(events_on(evidence, "1940-05-24"), "24 May 1940")
    assert all(e.phase == "second-attempt" for e in raid)
    text = " ".join(e.summary.lower() for e in raid)
    assert "foot" in text and "volkov" in " ".join(" ".join(e.people) for e in raid)
    assert any("siqueiros" in e.people for e in raid) and any("grigulevich" in e.people for e in raid)


def test_march_1939_attempt_is_marked_unconfirmed(evidence):
    march = [e for e in evidence.events if e.date.year == 1939 and e.date.month == 3 and e.phase == "first-attempt"]
    attempt = [e for e in march if e.confidence == "unconfirmed"]
    assert attempt, "the article's March 1939 attempt must be in the data, marked unconfirmed"
    assert "ART" in attempt[0].sources
    assert evidence.disputes_by_id[attempt[0].dispute].status == "unconfirmed"
    tasking = [e for e in march if e.confidence in ("H", "M") and "sudoplatov" in e.people]
    assert tasking, "the documented March 1939 tasking of Sudoplatov must be there too"


@pytest.mark.parametrize("words", [("cannon",), ("spat",), ("hand", "broken"), ("casket",), ("8 june",),
                                   ("shelepin",), ("axe",), ("death",), ("shots",), ("raiders",),
                                   ("ussr",), ("march 1939",)])
def test_each_listed_dispute_is_recorded(evidence, words):
    dispute = dispute_about(evidence, *words)
    assert dispute.suggested_wording
    assert evidence.versions_of(dispute.id)


def test_funeral_figures_are_reported_or_assumed(evidence):
    reported = {r.value for r in evidence.funeral if r.kind == "reported" and r.value}
    assert {250_000, 300_000} <= reported
    article = [r for r in evidence.funeral if r.value == 300_000 and "ART" in r.sources]
    # one row, dated (or ending) 27 August 1940; the parentheses matter: `a and b or c` passed with no row at all
    assert len(article) == 1
    assert dt.date(1940, 8, 27) in (article[0].date, article[0].end_date)
    marker = [r for r in evidence.funeral if r.value == 250_000]
    assert "B58" in marker[0].sources
    assumptions = [r for r in evidence.funeral if r.kind == "assumption"]
    assert assumptions, "the chart's assumptions must be rows marked as such"
    assert all(r.value is None for r in assumptions), "an assumption must not pose as a reported number"


def test_mercader_facts(evidence):
    mercader = evidence.people_by_id["mercader"]
    assert mercader.born == "1913-02-07"
    assert {"Jacques Mornard", "Frank Jacson"} <= set(mercader.aliases)
    release = [e for e in evidence.events if e.date == dt.date(1960, 5, 6)]
    assert release and "mercader" in release[0].people


def test_volkov_dates(evidence):
    volkov = evidence.people_by_id["volkov"]
    assert volkov.died == "2023-06-16"


def test_ice_axe_never_ice_pick_except_to_correct(evidence):
    for event in evidence.events:
        text = f"{event.title} {event.summary}".lower()
        if "ice pick" in text:
            # whole words: a bare substring "not" also matched "another", "note", "nothing"
            assert re.search(r"\b(not|never|myth|wrong|wrongly|mistaken)\b", text), (
                f"{event.id} says 'ice pick' without correcting it")


# ------------------------------------------------------------------------------------------------
# the loader's API


def test_load_is_cached_until_a_file_changes(data_copy):
    first = data.load(data_copy)
    assert data.load(data_copy) is first
    set_cell(data_copy, "events.csv", 0, "note", "changed for the test")
    assert data.load(data_copy) is not first


def test_event_labels_follow_precision(evidence):
    for event in evidence.events:
        if event.date_precision == "year":
            assert event.label.startswith(str(event.date.year))
        if event.date_precision == "hour":
            assert "about" in event.label
    assert data.format_date(dt.date(1940, 5, 1), "month") == "May 1940"
    assert data.format_date(dt.date(1940, 8, 20), "day") == "20 August 1940"
    assert data.format_span(dt.date(1940, 8, 22), dt.date(1940, 8, 27), "day") == "22–27 August 1940"
    assert data.format_span(dt.date(1929, 1, 1), dt.date(1933, 1, 1), "year") == "1929–1933"


def test_events_by_phase(evidence):
    attack = evidence.events_in("attack")
    assert attack and all(e.phase == "attack" for e in attack)
    with pytest.raises(ValueError, match="unknown phase"):
        evidence.events_in("the end")


# ------------------------------------------------------------------------------------------------
# broken copies give precise errors


def test_missing_column(data_copy):
    header, rows = read_rows(data_copy / "events.csv")
    i = header.index("date")
    write_rows(data_copy / "events.csv", header[:i] + header[i + 1:], [r[:i] + r[i + 1:] for r in rows])
    expect_error(data_copy, "events.csv", line=1, column="date", words="missing")


def test_bad_date(data_copy):
    row_id, line = set_cell(data_copy, "events.csv", 4, "date", "1940-13-45")
    err = expect_error(data_copy, "events.csv", line=line, column="date", words="not a valid date")
    assert err.row_id == row_id and "1940-13-45" in str(err)


def test_unknown_person(data_copy):
    _, line = set_cell(data_copy, "events.csv", 2, "people", "trotsky;nobody-at-all")
    expect_error(data_copy, "events.csv", line=line, column="people",
                 words="'nobody-at-all' is not an id in people.csv")


def test_unknown_source(data_copy):
    _, line = set_cell(data_copy, "people.csv", 0, "sources", "B99")
    expect_error(data_copy, "people.csv", line=line, column="sources", words="B99")


def test_unknown_place(data_copy):
    _, line = set_cell(data_copy, "events.csv", 1, "place", "atlantis")
    expect_error(data_copy, "events.csv", line=line, column="place", words="'atlantis' is not an id in places.csv")


def test_empty_file(data_copy):
    (data_copy / "places.csv").write_text("", encoding="utf-8")
    expect_error(data_copy, "places.csv", line=None, column=None, words="the file is empty")


def test_missing_file(data_copy):
    (data_copy / "disputes.csv").unlink()
    expect_error(data_copy, "disputes.csv", line=None, column=None, words="file not found")


def test_bad_enumeration(data_copy):
    _, line = set_cell(data_copy, "events.csv", 0, "confidence", "maybe")
    expect_error(data_copy, "events.csv", line=line, column="confidence", words="not one of the allowed values")


def test_duplicate_id(data_copy):
    header, rows = read_rows(data_copy / "sources.csv")
    rows.append(list(rows[0]))
    write_rows(data_copy / "sources.csv", header, rows)
    expect_error(data_copy, "sources.csv", line=len(rows) + 1, column="id", words="must be unique")


def test_disputed_event_without_dispute(data_copy, evidence):
    index = next(i for i, e in enumerate(evidence.events) if e.uncertain)
    _, line = set_cell(data_copy, "events.csv", index, "dispute", "")
    expect_error(data_copy, "events.csv", line=line, column="dispute", words="no dispute is linked")


def test_event_out_of_order(data_copy, evidence):
    index = next(i for i, e in enumerate(evidence.events) if e.date.year == 1960 and e.date_precision == "day")
    _, line = set_cell(data_copy, "events.csv", index, "date", "1930-03-03")
    expect_error(data_copy, "events.csv", line=line, column="date", words="events must be in date order")


def test_a_coarse_date_may_stand_anywhere_in_its_period(data_copy, evidence):
    # "August 1940" after 22 August 1940 is in order; "July 1940" there is not.
    index = next(i for i, e in enumerate(evidence.events) if e.date_precision == "month" and e.date.year == 1940
                 and e.date.month == 8)
    assert evidence.events[index - 1].date > evidence.events[index].date
    _, line = set_cell(data_copy, "events.csv", index, "date", "1940-07-01")
    expect_error(data_copy, "events.csv", line=line, column="date", words="events must be in date order")


def test_time_without_precision(data_copy, evidence):
    index = next(i for i, e in enumerate(evidence.events) if e.date_precision == "day")
    _, line = set_cell(data_copy, "events.csv", index, "time_local", "12:00")
    expect_error(data_copy, "events.csv", line=line, column="date_precision", words="time_local is given")


def test_ragged_row(data_copy):
    with (data_copy / "places.csv").open("a", encoding="utf-8") as handle:
        handle.write("x,y\n")
    _, rows = read_rows(data_copy / "places.csv")
    expect_error(data_copy, "places.csv", line=len(rows) + 1, column=None, words="cells but the header has")


def test_broken_descriptor(data_copy):
    (data_copy / "datapackage.json").write_text("{ not json", encoding="utf-8")
    expect_error(data_copy, "datapackage.json", line=1, column=None, words="not valid JSON")


def test_command_line_check(data_copy):
    ok = subprocess.run([sys.executable, "-m", "trotsky1940", "check-data", str(data_copy)],
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "events.csv" in ok.stdout and "all tables valid" in ok.stdout
    set_cell(data_copy, "events.csv", 4, "date", "1940-13-45")
    bad = subprocess.run([sys.executable, "-m", "trotsky1940", "check-data", str(data_copy)],
                         capture_output=True, text=True)
    assert bad.returncode == 1
    assert "events.csv, line 6" in bad.stderr and "column 'date'" in bad.stderr
    assert "Traceback" not in bad.stderr
