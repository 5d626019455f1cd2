"""The timeline explorer's behaviour in Python: the slider moves the card and the image; the phase filter and
the zoom change the set of events; the ends and an empty filter behave; every event is reachable."""

from __future__ import annotations

import html

import ipywidgets as widgets
import pytest

from trotsky1940 import data, timeline


@pytest.fixture
def explorer(evidence):
    return timeline.TimelineExplorer(evidence=evidence)


def test_starts_on_the_first_event(explorer, evidence):
    assert explorer.events == evidence.events
    assert explorer.slider.min == 1 and explorer.slider.max == len(evidence.events)
    assert explorer.current == evidence.events[0]
    assert f"Event 1 of {len(evidence.events)}: {evidence.events[0].label}" in explorer.card.value
    assert explorer.png.startswith(b"\x89PNG") and "data:image/png;base64," in explorer.image.value


def test_moving_the_slider_changes_card_and_image(explorer, evidence):
    card, image = explorer.card.value, explorer.image.value
    assert 'alt="Timeline of' in image and "highlighted: event 1," in image
    explorer.slider.value = 2
    assert explorer.current == evidence.events[1]
    assert explorer.card.value != card and evidence.events[1].title in explorer.card.value
    assert explorer.image.value != image and "highlighted: event 2," in explorer.image.value


def test_every_event_is_reachable_and_the_ends_behave(explorer, evidence):
    seen = []
    for value in range(explorer.slider.min, explorer.slider.max + 1):
        explorer.slider.value = value
        seen.append(explorer.current.id)
    assert seen == [e.id for e in evidence.events]
    explorer.slider.value = explorer.slider.max
    assert f"Event {len(evidence.events)} of {len(evidence.events)}" in explorer.card.value
    explorer.slider.value = explorer.slider.max + 1  # the slider clamps a value past the end
    assert explorer.slider.value == explorer.slider.max and explorer.current == evidence.events[-1]
    explorer.slider.value = 0
    assert explorer.current == evidence.events[0]


def test_phase_filter_changes_the_events_and_resets_to_the_first(explorer, evidence):
    explorer.slider.value = 10
    explorer.phase.value = "second-attempt"
    expected = evidence.events_in("second-attempt")
    assert explorer.events == expected
    assert explorer.slider.max == len(expected) and explorer.slider.value == 1
    assert f"Showing {len(expected)} events" in explorer.count.value
    assert expected[0].title in explorer.card.value


def test_zoom_shows_the_hours_of_20_and_21_august(explorer, evidence):
    explorer.zoom.value = True
    days = {e.date for e in explorer.events}
    assert days == set(timeline.ZOOM_DAYS)
    assert explorer.events == tuple(e for e in evidence.events if e.date in timeline.ZOOM_DAYS)
    assert "on 20–21 August 1940" in explorer.count.value
    explorer.slider.value = explorer.slider.max
    assert "Trotsky dies" in explorer.current.title


def test_an_empty_filter_disables_the_slider_and_says_so(explorer):
    explorer.phase.value = "background"
    explorer.zoom.value = True
    assert explorer.events == () and explorer.current is None
    assert explorer.slider.disabled and explorer.play.disabled
    assert "No events match" in explorer.card.value
    assert "Showing 0 events" in explorer.count.value
    assert explorer.png.startswith(b"\x89PNG") and "data:image/png;base64," in explorer.image.value
    explorer.zoom.value = False
    assert not explorer.slider.disabled and explorer.current is not None


def test_uncertain_events_say_so_and_link_their_dispute(explorer, evidence):
    index = next(i for i, e in enumerate(evidence.events) if e.uncertain)
    explorer.slider.value = index + 1
    event = evidence.events[index]
    dispute = evidence.disputes_by_id[event.dispute]
    text = timeline.card_text(event, evidence, index + 1, len(evidence.events))
    assert event.confidence.upper() in text and f"Source check {dispute.id}" in text
    assert dispute.suggested_wording in text
    assert "⚠" in explorer.card.value


def test_card_names_people_place_and_sources(evidence):
    event = next(e for e in evidence.events if e.people and e.place)
    text = timeline.card_text(event, evidence, 1, 1)
    assert evidence.people_by_id[event.people[0]].name in text
    assert evidence.places_by_id[event.place].name in text
    for sid in event.sources:
        assert f"[{sid}] {evidence.sources_by_id[sid].short}" in text


def test_play_is_linked_to_the_slider_and_keyboard_controls_exist(explorer):
    assert isinstance(explorer.play, widgets.Play) and explorer.play.max == explorer.slider.max
    link = explorer.play_link
    assert link.source == (explorer.play, "value") and link.target == (explorer.slider, "value")
    for w in (explorer.phase, explorer.zoom, explorer.slider, explorer.play_button, explorer.stop_button):
        assert not getattr(w, "disabled", False)


def test_play_and_stop_are_words_at_a_readable_speed_and_stop_keeps_the_event(explorer):
    assert (explorer.play_button.description, explorer.stop_button.description) == ("Play", "Stop")
    assert explorer.play_button.icon == explorer.stop_button.icon == ""  # no icon font
    assert explorer.play.interval == timeline.DEFAULT_PLAY_MS == 4000
    assert explorer.play.layout.display == "none"  # only the browser-side timer
    explorer.slider.value = 5
    explorer.play_button.click()
    assert explorer.play.playing and explorer.play.value == 5
    explorer.stop_button.click()
    assert not explorer.play.playing and explorer.slider.value == 5
    explorer.speed.value = 8000
    assert explorer.play.interval == 8000
    explorer.slider.value = explorer.slider.max
    explorer.play_button.click()  # at the end, Play starts again from the first event
    assert explorer.slider.value == 1 and explorer.play.playing


def test_slider_text_and_image_alt_name_the_event(evidence):
    events = evidence.events
    assert timeline.slider_text(events, 2) == f"Event 3 of {len(events)}: {events[2].label}, {events[2].title}"
    alt = timeline.image_alt(events, timeline.ALL, False, 2)
    assert alt.startswith(f"Timeline of {len(events)} events (all phases)") and events[2].title in alt


def test_highlight_moves_without_redrawing_the_base(explorer, monkeypatch):
    calls = []
    monkeypatch.setattr(explorer.plot.canvas, "draw", lambda *a: calls.append(a))
    explorer.slider.value = 3
    assert calls == [], "a slider step must blit the highlight, not redraw the whole figure"


def test_without_a_kernel_there_is_a_static_timeline_and_list(explorer, evidence):
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    page = bundle["text/html"]
    assert page.count("<li>") == len(evidence.events)
    assert "data:image/png;base64," in page
    # alive without a kernel: every view and card embedded, a script, accessible controls
    assert "<script>" in page and "t40-data" in page and "aria-live='polite'" in page
    assert "type='range'" in page and "aria-valuetext='Event 1 of" in page and "role='img'" in page
    assert ">Play</button>" in page and ">Stop</button>" in page
    for event in evidence.events:
        assert html.escape(event.title).replace("&#x27;", "'") in page or event.title in page
    assert bundle["text/plain"].splitlines()[0].startswith(evidence.events[0].label)


def test_unknown_phase_is_refused(evidence):
    with pytest.raises(ValueError, match="unknown phase"):
        timeline.TimelineExplorer(phase="epilogue", evidence=evidence)


def test_one_line_api():
    ex = timeline.timeline_explorer(phase="attack")
    assert all(e.phase == "attack" for e in ex.events)
    assert ex.events == data.load().events_in("attack")


def test_the_live_slider_names_the_event_and_the_card_is_a_polite_live_region(explorer, evidence):
    """Issue 13, item 6, in JupyterLab and Voila: a labelled native range input whose value text names the event;
    the card is one element that stays in the page with aria-live=polite (checked in Chromium in tests/browser)."""
    assert isinstance(explorer.slider, timeline.EventSlider) and explorer.slider.description == "Event"
    assert 'type = "range"' in timeline.EVENT_SLIDER_ESM and "aria-valuetext" in timeline.EVENT_SLIDER_ESM
    assert "label.htmlFor = id" in timeline.EVENT_SLIDER_ESM
    events = evidence.events
    assert len(explorer.slider.value_texts) == len(events)
    explorer.slider.value = 3
    assert explorer.slider.value_text == f"Event 3 of {len(events)}: {events[2].label}, {events[2].title}"
    explorer.phase.value = "second-attempt"
    raid = evidence.events_in("second-attempt")
    assert explorer.slider.value_texts[0] == f"Event 1 of {len(raid)}: {raid[0].label}, {raid[0].title}"
    assert isinstance(explorer.card, timeline.LiveHTML) and explorer.card.label == "Event card"
    assert "aria-live\", \"polite\"" in timeline.LIVE_HTML_ESM and raid[0].title in explorer.card.value
