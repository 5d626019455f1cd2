"""Charts: what was drawn equals what the data says; colours are Okabe-Ito; the text alternative gives the key
numbers. Pixels are not compared."""

from __future__ import annotations

import datetime as dt

import matplotlib.colors as mcolors
import pytest

from trotsky1940 import charts, data


def drawn_colours(figure) -> set[str]:
    colours = set()
    for ax in figure.axes:
        for line in ax.lines:
            for c in (line.get_color(), line.get_markerfacecolor(), line.get_markeredgecolor()):
                colours.add(mcolors.to_hex(c))
        for patch in ax.patches:
            colours.add(mcolors.to_hex(patch.get_edgecolor()))
            if patch.get_fill():
                colours.add(mcolors.to_hex(patch.get_facecolor()))
    return colours


ALLOWED = {mcolors.to_hex(c) for c in charts.OKABE_ITO.values()} | {
    "#ffffff", "#444444", "#666666", "#9a9a9a", "#333333", "#8c6d46", "#cccccc"}


@pytest.mark.parametrize("make", [charts.timeline_chart, charts.hours_chart, charts.funeral_chart,
                                  charts.durations_chart, charts.ice_axe_drawing])
def test_every_chart_is_readable_and_colour_blind_safe(make):
    chart = make()
    assert chart.alt_text and chart.alt_text.endswith(".")
    assert len(chart.alt_text) < 900
    assert drawn_colours(chart.figure) <= ALLOWED
    for ax in chart.figure.axes:
        for label in ax.get_yticklabels() + ax.get_xticklabels():
            assert label.get_fontsize() >= 14
    html = chart._repr_html_()
    assert html.count("<img") == 1 and "Text alternative" in html
    assert chart.png().startswith(b"\x89PNG")


def test_timeline_draws_the_events_of_the_years(evidence):
    chart = charts.timeline_chart(1929, 1940, evidence=evidence)
    expected = [e for e in evidence.events if 1929 <= e.date.year <= 1940]
    assert list(chart.data) == expected
    ax = chart.figure.axes[0]
    markers = [line for line in ax.lines if line.get_marker() in ("o", "D")][: len(expected)]
    assert len(markers) == len(expected)
    hollow = sum(1 for line in markers if line.get_markerfacecolor() in ("white", (1.0, 1.0, 1.0, 1.0)))
    assert hollow == sum(e.uncertain for e in expected)
    assert f"{len(expected)} events" in chart.alt_text
    assert f"{sum(e.uncertain for e in expected)} of them are disputed or unconfirmed" in chart.alt_text


def test_timeline_filters_by_phase(evidence):
    chart = charts.timeline_chart(1939, 1940, phase="second-attempt", evidence=evidence)
    assert chart.data and all(e.phase == "second-attempt" for e in chart.data)
    with pytest.raises(ValueError, match="no events"):
        charts.timeline_chart(1800, 1801, evidence=evidence)


def test_hours_chart_separates_timed_from_day_only_events(evidence):
    chart = charts.hours_chart(evidence)
    days = {dt.date(1940, 8, 20), dt.date(1940, 8, 21)}
    assert list(chart.data) == [e for e in evidence.events if e.date in days]
    timed, untimed = chart.extra["timed"], chart.extra["untimed"]
    assert all(e.time_local for e in timed) and not any(e.time_local for e in untimed)
    assert {e.time_local for e in timed} == {dt.time(17, 20)}
    assert "about 17:20" in chart.alt_text and f"only {len(timed)} have a clock time" in chart.alt_text
    bars = [p for p in chart.figure.axes[0].patches if p.get_hatch() == "//"]
    assert len(bars) == len(untimed)


def test_hours_chart_draws_the_articles_time_for_the_blow_as_a_weak_claim(evidence):
    """The blow's "about 17:20" rests on the source article alone (issue 14): hollow, and said so in words."""
    chart = charts.hours_chart(evidence)
    weak = chart.extra["weakly_timed"]
    blow = evidence.events_by_id["E032"]
    assert blow in weak and blow.confidence == "L" and "ART" in blow.sources
    assert evidence.events_by_id["E031"] not in weak  # the arrival has Hansen's eyewitness time
    points = [line for line in chart.figure.axes[0].lines if line.get_linestyle() == "None"]
    hollow = [line for line in points if mcolors.to_hex(line.get_markerfacecolor()) == "#ffffff"]
    assert len(hollow) == len(weak) and len(points) == len(chart.extra["timed"])
    labels = [t.get_text() for t in chart.figure.legends[0].get_texts()]
    assert any("source article only" in label for label in labels)
    assert "claimed by the source article only" in chart.alt_text


def test_funeral_chart_separates_reported_figures_from_the_assumption(evidence):
    chart = charts.funeral_chart(evidence)
    model = chart.extra["model"]
    reported = {(r.value, r.sources) for r in evidence.funeral if r.kind == "reported" and r.value}
    assert {(r.value, r.sources) for r in chart.data} == reported
    window = next(r for r in evidence.funeral if r.measure == "lying_in_state_window")
    assert model.window[0] == window.date and model.window[-1] == window.end_date
    assert model.spread_total == 300_000 and "ART" in model.spread_source
    assert model.per_day * len(model.window) == pytest.approx(model.spread_total, abs=len(model.window))
    ax = chart.figure.axes[0]
    bars = [p for p in ax.patches if p.get_hatch() == "//"]
    assert len(bars) == len(model.window)
    assert all(b.get_height() == pytest.approx(model.per_day / 1000) for b in bars)
    points = sorted(line.get_ydata()[0] for line in ax.lines if line.get_linestyle() == "None")
    assert points == sorted(r.value / 1000 for r in chart.data)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    article_only = [r for r in chart.data if r.sources == ("ART",)]
    assert sum(label.startswith("REPORTED") for label in labels) == len(chart.data) - len(article_only)
    assert sum(label.startswith("CLAIMED by the source article only; no other source") for label in labels) \
        == len(article_only) == 1
    assert not any(label.startswith("REPORTED") and "[ART]" in label for label in labels)
    assert any("passed the casket" in label for label in labels if label.startswith("CLAIMED"))
    assert sum(label.startswith("ASSUMPTION") for label in labels) == 2
    for needle in ("250,000", "300,000", "[B58]", "[ART]", "not data", "50,000 a day", "no other source"):
        assert needle in chart.alt_text
    assert "the source article alone claims" in chart.alt_text


def test_funeral_model_refuses_a_missing_assumption(evidence):
    broken = data.Evidence(**{**evidence.__dict__, "funeral": tuple(r for r in evidence.funeral
                                                                  if r.measure != "daily_distribution")})
    with pytest.raises(ValueError, match="daily_distribution"):
        charts.funeral_model(broken)


def test_durations_are_computed_from_event_dates(evidence):
    spans = {s.label: s for s in charts.intervals(evidence)}
    raid_to_attack = spans["From the May raid to the attack"]
    assert raid_to_attack.start.date == dt.date(1940, 5, 24) and raid_to_attack.end.date == dt.date(1940, 8, 20)
    assert raid_to_attack.value == 88
    prison = spans["Mercader in prison"]
    assert prison.end.date == dt.date(1960, 5, 6) and "mercader" in prison.end.people
    assert prison.value == pytest.approx(19.7, abs=0.05)  # 19 years 8 months per B67
    mexico = spans["Trotsky in Mexico"]
    assert mexico.start.date == dt.date(1937, 1, 9) and mexico.end.date == dt.date(1940, 8, 21)
    assert spans["Trotsky in exile outside the USSR"].approximate
    chart = charts.durations_chart(evidence)
    widths = sorted(round(p.get_width(), 1) for ax in chart.figure.axes for p in ax.patches
                    if p.get_width() > 0 and p.get_height() < 1)
    assert widths == sorted(s.value for s in spans.values())
    assert "88 days" in chart.alt_text and "19.7 years" in chart.alt_text


def test_ice_axe_drawing_labels_both_ends_and_the_dispute(evidence):
    chart = charts.ice_axe_drawing(evidence)
    texts = " ".join(t.get_text() for t in chart.figure.axes[0].texts)
    for part in ("adze", "pick", "shaft", "spike"):
        assert part in texts
    assert "not an ice pick" in chart.figure.axes[0].get_title()
    dispute = chart.extra["dispute"]
    assert dispute.status in ("disputed", "unconfirmed")
    assert list(chart.data) == list(evidence.versions_of(dispute.id))
    assert f"is {dispute.status}" in chart.alt_text and "[ART]" in chart.alt_text
