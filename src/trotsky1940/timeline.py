"""The timeline explorer: an ipywidgets slider over the events, an event card and a timeline image.

One line in a notebook::

    from trotsky1940 import timeline
    timeline.timeline_explorer(phase="attack")

Keyboard: Tab to the slider, then the arrow keys (one event), Home and End (first and last event); the
phase menu and the zoom toggle are ordinary form controls. The Play button steps through the events.

Speed: the timeline is drawn once per choice of phase and zoom; moving the slider only redraws the
highlight on top of a saved copy of that drawing (blitting) and encodes the result as PNG bytes for an
``ipywidgets.Image`` (no ``Output`` widget, which strict nbval cannot compare).

Without a kernel (GitHub, nbviewer, a static HTML export) the notebook shows the explorer's static
fallback instead: the same timeline as an image and a readable list of the events.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
from collections.abc import Sequence

import ipywidgets as widgets
import matplotlib
import matplotlib.dates as mdates
import matplotlib.patches
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from . import data as datamod
from .charts import OKABE_ITO, PHASE_COLOURS, STYLE
from .display import CONFIDENCE_WORDS

ALL = "all"
ZOOM_DAYS = (dt.date(1940, 8, 20), dt.date(1940, 8, 21))
"""The two days the zoom shows, hour by hour."""

PHASE_OPTIONS = [("All phases", ALL)] + [(datamod.PHASE_TITLES[p], p) for p in datamod.PHASES]
PLAY_INTERVAL_MS = 1800


def select_events(evidence: datamod.Evidence, phase: str = ALL, zoom: bool = False) -> tuple[datamod.Event, ...]:
    """The events the explorer steps through for a phase filter and the zoom setting, in story order."""
    chosen = evidence.events_in(None if phase == ALL else phase)
    if zoom:
        chosen = tuple(e for e in chosen if e.date in ZOOM_DAYS)
    return chosen


def describe_confidence(event: datamod.Event, evidence: datamod.Evidence) -> str:
    """The confidence in plain words; for a disputed or unconfirmed event, the dispute and what we can say."""
    words = CONFIDENCE_WORDS[event.confidence]
    if not event.uncertain:
        return f"How sure: {words}."
    dispute = evidence.disputes_by_id[event.dispute]
    return (f"How sure: {words.upper()}. Source check {dispute.id}, {dispute.topic}: "
            f"{dispute.suggested_wording}")


def card_text(event: datamod.Event, evidence: datamod.Evidence, position: int, total: int) -> str:
    """The event card as plain text (the HTML card shows the same)."""
    people = ", ".join(evidence.people_by_id[p].name for p in event.people) or "not named"
    place = evidence.places_by_id[event.place].name if event.place else "not given"
    sources = "; ".join(f"[{s}] {evidence.sources_by_id[s].short}" for s in event.sources)
    return "\n".join([
        f"Event {position} of {total}: {event.label}",
        event.title,
        event.summary,
        f"Who: {people}. Where: {place}.",
        describe_confidence(event, evidence),
        f"Sources: {sources}",
    ])


def card_html(event: datamod.Event, evidence: datamod.Evidence, position: int, total: int) -> str:
    """The event card as HTML, with the same lines as :func:`card_text`."""
    lines = card_text(event, evidence, position, total).split("\n")
    colour = PHASE_COLOURS[event.phase]
    warn = event.uncertain
    emphasis = "font-weight:bold; background:#fff6e0; padding:0.3em" if warn else ""
    return (
        f"<div class='t40-card-body' style='border-left:6px solid {colour}; padding:0.4em 0.9em; "
        f"font-size:1.05em; line-height:1.45; max-width:60em'>"
        f"<div class='t40-card-date'>{html.escape(lines[0])}</div>"
        f"<div class='t40-card-title' style='font-size:1.2em; font-weight:bold'>{html.escape(lines[1])}</div>"
        f"<p>{html.escape(lines[2])}</p><p>{html.escape(lines[3])}</p>"
        f"<p class='t40-card-confidence' style='{emphasis}'>"
        f"{'⚠ ' if warn else ''}{html.escape(lines[4])}</p>"
        f"<p class='t40-card-sources'>{html.escape(lines[5])}</p></div>"
    )


class TimelinePlot:
    """A timeline of a fixed set of events, drawn once, with a highlight that moves cheaply."""

    def __init__(self, events: Sequence[datamod.Event], zoom: bool = False, width_px: int = 1000,
                 height_px: int = 300):
        self.events = tuple(events)
        self.zoom = zoom
        with matplotlib.rc_context(STYLE):
            self.figure = Figure(figsize=(width_px / 100, height_px / 100), dpi=100, layout="constrained")
            self.canvas = FigureCanvasAgg(self.figure)
            self.ax = self.figure.add_subplot()
            self._draw_base()
            self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(self.figure.bbox)

    def x(self, event: datamod.Event) -> float:
        """Where an event sits on the time axis (an untimed event of the zoomed days: the middle of its day)."""
        if self.zoom and event.time_local is None:
            return mdates.date2num(dt.datetime.combine(event.date, dt.time(12, 0)))
        return mdates.date2num(event.midpoint)

    def y(self, index: int) -> float:
        """The row of event ``index``: its phase's row, or (zoomed) a row of its own, first at the top."""
        if self.zoom:
            return len(self.events) - 1 - index
        return self._rows[self.events[index].phase]

    def _draw_base(self) -> None:
        ax = self.ax
        ax.spines[["left", "top", "right"]].set_visible(False)
        ax.tick_params(axis="y", length=0, labelsize=12)
        present = [p for p in datamod.PHASES if any(e.phase == p for e in self.events)] or list(datamod.PHASES)
        self._rows = {p: i for i, p in enumerate(reversed(present))}
        if not self.events:
            ax.set_yticks([])
            ax.text(0.5, 0.5, "No events match this choice.", ha="center", va="center", transform=ax.transAxes)
            ax.set_xticks([])
            self.highlight = []
            return
        if self.zoom:
            self._draw_hours()
        else:
            self._draw_years()
        ax.grid(axis="x", color="#cccccc", linewidth=0.8)
        # the moving parts, drawn only by blitting
        x0, y0 = self.x(self.events[0]), self.y(0)
        self.highlight = [
            ax.axvline(x0, color=OKABE_ITO["black"], linewidth=2, linestyle=":", animated=True),
            ax.plot([x0], [y0], marker="o", markersize=22, markerfacecolor="none",
                    markeredgecolor=OKABE_ITO["black"], markeredgewidth=3, linestyle="none", animated=True)[0],
            ax.add_patch(matplotlib.patches.Rectangle((x0 - 0.5, y0 - 0.35), 1.0, 0.7, fill=False,
                                                      edgecolor=OKABE_ITO["black"], linewidth=3, animated=True)),
            self.figure.text(0.99, 0.96, "", ha="right", va="top", fontsize=13, animated=True,
                             bbox={"facecolor": "white", "edgecolor": "#444444", "boxstyle": "round,pad=0.3"}),
        ]

    def _draw_years(self) -> None:
        ax = self.ax
        ax.set_yticks(list(self._rows.values()), [datamod.PHASE_TITLES[p] for p in self._rows])
        for i, e in enumerate(self.events):
            colour = PHASE_COLOURS[e.phase]
            ax.plot(self.x(e), self.y(i), marker="D" if e.uncertain else "o", markersize=9, color=colour,
                    markerfacecolor="white" if e.uncertain else colour, markeredgewidth=2, linestyle="none")
        ax.set_ylim(-0.8, len(self._rows) + 0.3)  # room for the caption at the top
        xs = [self.x(e) for e in self.events]
        span = max(xs) - min(xs) or 30.0
        ax.set_xlim(min(xs) - span * 0.03, max(xs) + span * 0.03)
        locator = mdates.AutoDateLocator(minticks=3, maxticks=9)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))

    def _draw_hours(self) -> None:
        """One row per event; a clock time is a point, a date without a time a hatched bar over the whole day."""
        ax = self.ax
        ax.set_yticks([self.y(i) for i in range(len(self.events))],
                      [_short(e.title) for e in self.events])
        for i, e in enumerate(self.events):
            colour = PHASE_COLOURS[e.phase]
            if e.time_local is not None:
                ax.plot(self.x(e), self.y(i), marker="o", markersize=10, color=colour, linestyle="none")
            else:
                day = mdates.date2num(dt.datetime.combine(e.date, dt.time(0, 0)))
                ax.barh(self.y(i), 1.0, left=day, height=0.6, color="white", edgecolor=colour, hatch="//")
        ax.set_ylim(-0.7, len(self.events) - 0.3)
        ax.set_xlim(mdates.date2num(dt.datetime(1940, 8, 20)), mdates.date2num(dt.datetime(1940, 8, 22)))
        ax.xaxis.set_major_locator(mdates.HourLocator(byhour=[0, 12]))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%d Aug %H:%M"))
        ax.set_title("Hatched: known only to the day, no clock time in the sources", fontsize=12, loc="left")

    def png(self, index: int | None) -> bytes:
        """PNG bytes of the timeline with event ``index`` highlighted (None: no highlight)."""
        self.canvas.restore_region(self.background)
        if self.events and index is not None:
            event = self.events[index]
            x, y = self.x(event), self.y(index)
            line, ring, box, caption = self.highlight
            as_bar = self.zoom and event.time_local is None
            caption.set_text(f"{index + 1} of {len(self.events)}: {event.label}")
            line.set_xdata([x, x])
            ring.set_data([x], [y])
            box.set_xy((x - 0.5, y - 0.4))
            box.set_height(0.8)
            for artist, show in ((line, not as_bar), (ring, not as_bar), (box, as_bar)):
                artist.set_visible(show)
                self.ax.draw_artist(artist)
            self.figure.draw_artist(caption)
        buffer = self.canvas.buffer_rgba()
        image = Image.frombuffer("RGBA", (buffer.shape[1], buffer.shape[0]), bytes(buffer), "raw", "RGBA", 0, 1)
        out = io.BytesIO()
        image.convert("RGB").save(out, format="PNG", compress_level=1)
        return out.getvalue()


def _short(title: str, limit: int = 40) -> str:
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


class TimelineExplorer(widgets.VBox):
    """Phase filter, zoom, Play, a slider over the events, the event card and the timeline image."""

    def __init__(self, phase: str = ALL, zoom: bool = False, evidence: datamod.Evidence | None = None):
        self.evidence = evidence or datamod.load()
        if phase not in dict((v, k) for k, v in PHASE_OPTIONS):
            raise ValueError(f"unknown phase {phase!r}; choose one of {', '.join(v for _, v in PHASE_OPTIONS)}")
        self.phase = widgets.Dropdown(options=PHASE_OPTIONS, value=phase, description="Phase:",
                                      layout=widgets.Layout(width="auto"))
        self.zoom = widgets.ToggleButton(value=zoom, description="Zoom to 20–21 August 1940",
                                         tooltip="Show only 20 and 21 August 1940, hour by hour",
                                         layout=widgets.Layout(width="auto"))
        self.slider = widgets.IntSlider(value=1, min=1, max=1, step=1, description="Event:", continuous_update=True,
                                        layout=widgets.Layout(width="70%"), style={"description_width": "initial"})
        self.play = widgets.Play(value=1, min=1, max=1, step=1, interval=PLAY_INTERVAL_MS, description="Play",
                                 show_repeat=False)
        self.play_link = widgets.jslink((self.play, "value"), (self.slider, "value"))
        self.count = widgets.HTML()
        self.card = widgets.HTML()
        self.image = widgets.Image(format="png", layout=widgets.Layout(width="100%", max_width="1000px"))
        for w, name in ((self.phase, "t40-phase"), (self.zoom, "t40-zoom"), (self.slider, "t40-slider"),
                        (self.play, "t40-play"), (self.count, "t40-count"), (self.card, "t40-card"),
                        (self.image, "t40-image")):
            w.add_class(name)
        super().__init__([
            widgets.HBox([self.phase, self.zoom, self.count]),
            widgets.HBox([self.play, self.slider]),
            self.card,
            self.image,
        ])
        self.add_class("t40-timeline")
        self.events: tuple[datamod.Event, ...] = ()
        self.plot: TimelinePlot | None = None
        self.phase.observe(self._on_filter, names="value")
        self.zoom.observe(self._on_filter, names="value")
        self.slider.observe(self._on_slide, names="value")
        self._on_filter()

    # -- state -------------------------------------------------------------------------------------
    @property
    def index(self) -> int | None:
        """Index of the current event in :attr:`events`, or None when nothing matches."""
        return self.slider.value - 1 if self.events else None

    @property
    def current(self) -> datamod.Event | None:
        return self.events[self.index] if self.events else None

    def _on_filter(self, _change=None) -> None:
        self.events = select_events(self.evidence, self.phase.value, self.zoom.value)
        self.plot = TimelinePlot(self.events, zoom=self.zoom.value)
        total = len(self.events)
        with self.slider.hold_trait_notifications():
            self.slider.max = max(total, 1)
            self.play.max = max(total, 1)
            self.slider.disabled = self.play.disabled = total == 0
        if self.slider.value != 1:
            self.slider.value = 1  # triggers _on_slide
        else:
            self._on_slide()
        # the count changes last, so a reader (or a test) who sees the new count sees the new card and image too
        what = "event" if total == 1 else "events"
        where = " on 20–21 August 1940" if self.zoom.value else ""
        self.count.value = f"<span class='t40-count-text'>Showing {total} {what}{where}</span>"

    def _on_slide(self, _change=None) -> None:
        event, total = self.current, len(self.events)
        if event is None:
            self.card.value = ("<div class='t40-card-body'><p>No events match this choice. Choose another phase "
                               "or turn the zoom off.</p></div>")
        else:
            self.card.value = card_html(event, self.evidence, self.index + 1, total)
        self.image.value = self.plot.png(self.index)

    # -- without a kernel ----------------------------------------------------------------------------
    def static_html(self) -> str:
        """The fallback for readers without a kernel: the timeline image and a list of the events."""
        encoded = base64.b64encode(self.plot.png(None)).decode("ascii")
        items = "".join(
            f"<li><strong>{html.escape(e.label)}</strong>: {html.escape(e.title)} "
            f"({html.escape(CONFIDENCE_WORDS[e.confidence])}; {html.escape(datamod.cite(e.sources))})</li>"
            for e in self.events
        )
        return (f"<div class='t40-static'><img alt='Timeline of {len(self.events)} events' "
                f"src='data:image/png;base64,{encoded}' style='max-width:100%'><ol>{items}</ol></div>")

    def static_text(self) -> str:
        return "\n".join(f"{e.label}: {e.title} ({CONFIDENCE_WORDS[e.confidence]})" for e in self.events)

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle = dict(bundle) if bundle else {}
        bundle["text/html"] = self.static_html()
        bundle["text/plain"] = self.static_text()
        return bundle


def timeline_explorer(phase: str = ALL, zoom: bool = False) -> TimelineExplorer:
    """The explorer over all events, or one phase ("background", "first-attempt", "second-attempt", "attack",
    "aftermath"); ``zoom=True`` starts on the hours of 20–21 August 1940."""
    return TimelineExplorer(phase=phase, zoom=zoom)
