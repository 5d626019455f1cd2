"""The timeline explorer: a slider over the events (ipywidgets and anywidget), an event card and a timeline image.

One line in a notebook::

    from trotsky1940 import timeline
    timeline.timeline_explorer(phase="attack")

Keyboard: Tab to the slider, then the arrow keys (one event), Home and End (first and last event); the
phase menu and the zoom toggle are ordinary form controls. The Play button steps through the events.

Screen readers: the slider is a labelled native ``<input type=range>`` (:class:`EventSlider`, an anywidget) whose
value text names the event ("Event 3 of 54: 24 May 1940, ..."), and the card is a polite live region that stays in
the page (:class:`LiveHTML`), in JupyterLab and in Voila alike.

Speed: the timeline is drawn once per choice of phase and zoom; moving the slider only redraws the
highlight on top of a saved copy of that drawing (blitting) and encodes the result as PNG bytes for an
``ipywidgets.Image`` (no ``Output`` widget, which strict nbval cannot compare).

Without a kernel (GitHub, nbviewer, a static HTML export) the notebook shows the explorer's static
fallback instead: the same timeline as an image and a readable list of the events.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import io
import itertools
from collections.abc import Sequence

import anywidget
import ipywidgets as widgets
import matplotlib
import matplotlib.dates as mdates
import matplotlib.patches
import traitlets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from . import charts
from . import data as datamod
from .charts import OKABE_ITO, PHASE_COLOURS, STYLE
from .display import CONFIDENCE_WORDS, event_facts

ALL = "all"
ZOOM_DAYS = (dt.date(1940, 8, 20), dt.date(1940, 8, 21))
"""The two days the zoom shows, hour by hour."""

PHASE_OPTIONS = [("All phases", ALL)] + [(datamod.PHASE_TITLES[p], p) for p in datamod.PHASES]


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
    facts = event_facts(event, evidence)
    return "\n".join([
        f"Event {position} of {total}: {facts.label}",
        facts.title,
        facts.summary,
        f"Who took part: {facts.people or 'not named'}. Where: {facts.place or 'not given'}.",
        describe_confidence(event, evidence),
        "Sources: " + (f"{facts.according} " if facts.according else "") + facts.sources,
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


MARK_SCALE = 0.85
"""The explorer's marks are a little smaller than the charts' (see charts.MARK_SIZE): its image stays short."""


class TimelinePlot:
    """A timeline of a fixed set of events, drawn once, with a highlight that moves cheaply.

    Every event has a mark of its own: events on the same or close dates are stacked in their phase's row
    (zoomed: each event has a row, labelled with its whole title). A long span is drawn on a broken axis that
    gives the dense years 1936–1941 most of the width. The caption of the highlighted event has a band of its
    own above the axes and under the heading, so it never covers a title. The figure grows to fit its rows.
    """

    def __init__(self, events: Sequence[datamod.Event], zoom: bool = False, width_px: int = 1000,
                 height_px: int = 300):
        self.events = tuple(events)
        self.zoom = zoom
        self._ys: list[float] = []
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
        """The height of event ``index``: in its phase's row, stacked above or below events on close dates,
        or (zoomed) a row of its own, first at the top."""
        if self.zoom:
            return len(self.events) - 1 - index
        return self._ys[index]

    def caption_text(self, index: int) -> str:
        return f"{index + 1} of {len(self.events)}: {self.events[index].label}"

    def _draw_base(self) -> None:
        ax = self.ax
        ax.spines[["left", "top", "right"]].set_visible(False)
        ax.tick_params(axis="y", length=0, labelsize=charts.MIN_TEXT_PT)
        present = [p for p in datamod.PHASES if any(e.phase == p for e in self.events)] or list(datamod.PHASES)
        self._rows = {p: i for i, p in enumerate(reversed(present))}
        if not self.events:
            ax.set_yticks([])
            ax.text(0.5, 0.5, "No events match this choice.", ha="center", va="center", transform=ax.transAxes)
            ax.set_xticks([])
            self.highlight = []
            return
        # the caption's band: the axes' left title, laid out with the longest caption and drawn only by blitting
        longest = max((self.caption_text(i) for i in range(len(self.events))), key=len)
        caption = ax.set_title(longest, loc="left", fontsize=charts.MIN_TEXT_PT, fontweight="bold", animated=True)
        if self.zoom:
            self._draw_hours()
        else:
            self._draw_years()
        ax.grid(axis="x", color="#cccccc", linewidth=0.8)
        # the moving parts, drawn only by blitting
        x0, y0 = self.x(self.events[0]), self.y(0)
        self.highlight = [
            ax.axvline(x0, color=OKABE_ITO["black"], linewidth=2, linestyle=":", animated=True),
            ax.plot([x0], [y0], marker="o", markersize=17, markerfacecolor="none",
                    markeredgecolor=OKABE_ITO["black"], markeredgewidth=2.5, linestyle="none", animated=True)[0],
            ax.add_patch(matplotlib.patches.Rectangle((x0 - 0.5, y0 - 0.35), 1.0, 0.7, fill=False,
                                                      edgecolor=OKABE_ITO["black"], linewidth=3, animated=True)),
            caption,
        ]

    def _draw_years(self) -> None:
        ax, fig = self.ax, self.figure
        years = sorted({e.midpoint.year for e in self.events})
        fig.suptitle(f"{len(self.events)} {'event' if len(self.events) == 1 else 'events'}, "
                     + (f"{years[0]}–{years[-1]}" if len(years) > 1 else f"{years[0]}"),
                     fontsize=charts.MIN_TEXT_PT + 1)
        ax.set_yticks(list(self._rows.values()), [datamod.PHASE_TITLES[p] for p in self._rows])
        phases = [p for p in datamod.PHASES if p in self._rows]
        certain = [PHASE_COLOURS[p] for p in phases if any(e.phase == p and not e.uncertain for e in self.events)]
        uncertain = [PHASE_COLOURS[p] for p in phases if any(e.phase == p and e.uncertain for e in self.events)]
        charts.status_legend(fig, certain, uncertain, scale=MARK_SCALE)
        xs = [self.x(e) for e in self.events]
        lo, hi = mdates.num2date(min(xs)).replace(tzinfo=None), mdates.num2date(max(xs)).replace(tzinfo=None)
        if (hi - lo).days < 30:
            lo, hi = lo - dt.timedelta(days=15), hi + dt.timedelta(days=15)
        fig.draw_without_rendering()
        axis = charts.date_axis(lo, hi, xs)
        axis.apply(ax, ax.bbox.width, locator="years" if (hi - lo).days > 4 * 365 else "auto")
        sep = max(charts.mark_extent_pt(m, s * MARK_SCALE, charts.MARK_EDGE) for m, s in charts.MARK_SIZE.items())
        ys, base, borders = charts.place_events(fig, ax, xs, [self._rows[e.phase] for e in self.events],
                                                len(self._rows), sep * fig.dpi / 72 * 1.03)
        self._ys = ys
        ax.set_yticks(base, [datamod.PHASE_TITLES[p] for p in self._rows])
        for y in borders:
            ax.axhline(y, color="#cccccc", linewidth=0.8, zorder=1)
        for e, x, y in zip(self.events, xs, ys, strict=True):
            ax.plot(x, y, **charts.mark_style(PHASE_COLOURS[e.phase], e.uncertain, MARK_SCALE),
                    zorder=4 if e.uncertain else 3)

    def _draw_hours(self) -> None:
        """One row per event, labelled with its whole title; a clock time is a point, a date without a time a
        hatched bar over the whole day."""
        ax, fig = self.ax, self.figure
        fig.suptitle("20–21 August 1940, hour by hour. Hatched: known only to the day, no clock time in the sources",
                     fontsize=charts.MIN_TEXT_PT, wrap=False)
        labels = [charts.wrap(e.title, 36) for e in self.events]
        ax.set_yticks([self.y(i) for i in range(len(self.events))], labels)
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
        lines = max(label.count("\n") + 1 for label in labels)
        row_px = lines * charts.MIN_TEXT_PT * 1.3 * fig.dpi / 72 + 10
        charts.fit_height(fig, ax, row_px * len(self.events))

    def png(self, index: int | None) -> bytes:
        """PNG bytes of the timeline with event ``index`` highlighted (None: no highlight)."""
        self.canvas.restore_region(self.background)
        if self.events and index is not None:
            event = self.events[index]
            x, y = self.x(event), self.y(index)
            line, ring, box, caption = self.highlight
            as_bar = self.zoom and event.time_local is None
            caption.set_text(self.caption_text(index))
            line.set_xdata([x, x])
            ring.set_data([x], [y])
            box.set_xy((x - 0.5, y - 0.4))
            box.set_height(0.8)
            for artist, show in ((line, not as_bar), (ring, not as_bar), (box, as_bar)):
                artist.set_visible(show)
                self.ax.draw_artist(artist)
            self.ax.draw_artist(caption)
        buffer = self.canvas.buffer_rgba()
        image = Image.frombuffer("RGBA", (buffer.shape[1], buffer.shape[0]), bytes(buffer), "raw", "RGBA", 0, 1)
        out = io.BytesIO()
        image.convert("RGB").save(out, format="PNG", compress_level=1)
        return out.getvalue()


# -- accessible widgets for JupyterLab and Voila (anywidget) ---------------------------------------------------------
# ipywidgets' IntSlider draws a noUiSlider handle with no accessible name, and an HTML widget replaces its element on
# every change, so a screen reader is never told that the card changed. These two small anywidgets fix both: a native
# <input type=range> with a label and an aria-valuetext naming the event, and a polite live region that stays in the
# page while its content changes. Their JavaScript is below, in full: no build step, nothing fetched.

EVENT_SLIDER_ESM = r"""
let counter = 0;
function render({ model, el }) {
  counter += 1;
  const id = "t40-range-" + counter + "-" + Date.now().toString(36);
  const row = document.createElement("div");
  row.className = "t40-range";
  const label = document.createElement("label");
  label.htmlFor = id;
  const input = document.createElement("input");
  input.type = "range";
  input.id = id;
  input.step = "1";
  input.className = "t40-range-input";
  const out = document.createElement("output");
  out.htmlFor = id;
  out.setAttribute("aria-hidden", "true");
  row.append(label, input, out);
  el.append(row);
  function sync() {
    const min = model.get("min"), max = model.get("max"), value = model.get("value");
    label.textContent = model.get("description");
    input.min = String(min);
    input.max = String(max);
    input.value = String(value);
    input.disabled = model.get("disabled");
    const texts = model.get("value_texts") || [];
    input.setAttribute("aria-valuetext", texts[value - min] || String(value));
    out.textContent = value + " / " + max;
  }
  function send() {
    const value = Number(input.value);
    if (value !== model.get("value")) {
      model.set("value", value);
      model.save_changes();
    }
    sync();
  }
  // JupyterLab's command-mode shortcuts listen for keys on the whole page and would take the arrow keys away
  // from the slider (and its focus with them): keys pressed on the slider stay with the slider.
  row.setAttribute("data-lm-suppress-shortcuts", "true");
  input.addEventListener("keydown", (event) => event.stopPropagation());
  input.addEventListener("input", send);
  input.addEventListener("change", send);
  const names = ["value", "min", "max", "disabled", "description", "value_texts"];
  for (const name of names) model.on("change:" + name, sync);
  sync();
  return () => { for (const name of names) model.off("change:" + name, sync); };
}
export default { render };
"""

EVENT_SLIDER_CSS = """
.t40-range{display:flex;align-items:center;gap:.6em;width:100%;min-width:14em}
.t40-range label{white-space:nowrap}
.t40-range input[type=range]{flex:1 1 auto;min-width:10em;height:1.6em;accent-color:#0b3d6e;margin:0}
.t40-range input[type=range]:focus-visible{outline:3px solid #0b3d6e;outline-offset:3px}
.t40-range output{font-variant-numeric:tabular-nums;white-space:nowrap;color:#1a1a1a}
"""

LIVE_HTML_ESM = r"""
function render({ model, el }) {
  const region = document.createElement("div");
  region.className = "t40-live";
  region.setAttribute("role", "region");
  region.setAttribute("aria-live", "polite");
  function sync() {
    region.setAttribute("aria-label", model.get("label"));
    region.innerHTML = model.get("value");  // built by the package from escaped text (see card_html)
  }
  model.on("change:value", sync);
  model.on("change:label", sync);
  el.append(region);
  sync();
  return () => { model.off("change:value", sync); model.off("change:label", sync); };
}
export default { render };
"""


class EventSlider(anywidget.AnyWidget):
    """A slider over the events with a visible label, arrow keys, Home and End (a native range input), and an
    ``aria-valuetext`` that names the event ("Event 3 of 54: 24 May 1940, ..."), for screen readers."""

    _esm = EVENT_SLIDER_ESM
    _css = EVENT_SLIDER_CSS
    value = traitlets.Int(1).tag(sync=True)
    min = traitlets.Int(1).tag(sync=True)
    max = traitlets.Int(1).tag(sync=True)
    disabled = traitlets.Bool(False).tag(sync=True)
    description = traitlets.Unicode("Event").tag(sync=True)
    value_texts = traitlets.List(traitlets.Unicode()).tag(sync=True)

    @traitlets.validate("value")
    def _clamp(self, proposal):
        return max(self.min, min(self.max, proposal["value"]))

    @traitlets.observe("min", "max")
    def _reclamp(self, _change):
        self.value = max(self.min, min(self.max, self.value))

    @property
    def value_text(self) -> str:
        """What a screen reader says for the current value."""
        texts = self.value_texts
        i = self.value - self.min
        return texts[i] if 0 <= i < len(texts) else str(self.value)


class LiveHTML(anywidget.AnyWidget):
    """HTML in a polite live region that stays in the page: a screen reader reads each new content once."""

    _esm = LIVE_HTML_ESM
    value = traitlets.Unicode("").tag(sync=True)
    label = traitlets.Unicode("").tag(sync=True)


_EXPLORER_COUNT = itertools.count(1)
"""Numbers the kernel-free explorers a kernel makes, so that each has its own id in a page."""

PLAY_SPEEDS = [("Slow: 8 s per event", 8000), ("Normal: 4 s per event", 4000), ("Fast: 2 s per event", 2000)]
DEFAULT_PLAY_MS = 4000
"""Play moves on one card every 4 s by default: time to read a card aloud."""


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
                                         layout=widgets.Layout(width="auto", flex="0 0 auto"))
        self.slider = EventSlider(value=1, min=1, max=1, description="Event",
                                  layout=widgets.Layout(flex="1 1 16em", min_width="14em"))
        # Play: our own buttons with words (no icon font, an accessible name), and a hidden widgets.Play as the
        # browser-side timer; Stop pauses on the current event.
        self.play = widgets.Play(value=1, min=1, max=1, step=1, interval=DEFAULT_PLAY_MS, show_repeat=False,
                                 layout=widgets.Layout(display="none"))
        self.play_link = widgets.jslink((self.play, "value"), (self.slider, "value"))
        # flex "0 0 auto" and a minimum width: in a narrow row the buttons must not shrink to "P…" and "S…"
        self.play_button = widgets.Button(description="Play", tooltip="Step through the events by themselves",
                                          layout=widgets.Layout(width="auto", min_width="5em", flex="0 0 auto"))
        self.stop_button = widgets.Button(description="Stop", tooltip="Stop on the current event",
                                          layout=widgets.Layout(width="auto", min_width="5em", flex="0 0 auto"))
        self.speed = widgets.Dropdown(options=PLAY_SPEEDS, value=DEFAULT_PLAY_MS, description="Speed:",
                                      layout=widgets.Layout(width="auto"))
        self.play_button.on_click(self._on_play)
        self.stop_button.on_click(self._on_stop)
        self.speed.observe(self._on_speed, names="value")
        self.count = widgets.HTML()
        self.card = LiveHTML(label="Event card")
        self.image = widgets.HTML(layout=widgets.Layout(width="100%", max_width="1000px"))
        self.png = b""
        for w, name in ((self.phase, "t40-phase"), (self.zoom, "t40-zoom"), (self.slider, "t40-slider"),
                        (self.play, "t40-play-timer"), (self.play_button, "t40-play"), (self.stop_button, "t40-stop"),
                        (self.speed, "t40-speed"), (self.count, "t40-count"), (self.card, "t40-card"),
                        (self.image, "t40-image-box")):
            w.add_class(name)
        super().__init__([
            widgets.HBox([self.phase, self.zoom, self.count]),
            widgets.HBox([self.play_button, self.stop_button, self.speed, self.slider, self.play]),
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
            self.slider.value_texts = [slider_text(self.events, i) for i in range(total)] or ["No events"]
            self.play.max = max(total, 1)
            self.slider.disabled = self.play.disabled = self.play_button.disabled = total == 0
        self.play.playing = False
        if self.slider.value != 1:
            self.slider.value = 1  # triggers _on_slide
        else:
            self._on_slide()
        # the count changes last, so a reader (or a test) who sees the new count sees the new card and image too
        self.count.value = f"<span class='t40-count-text'>{count_text(total, self.zoom.value)}</span>"

    def _on_slide(self, _change=None) -> None:
        event, total = self.current, len(self.events)
        if event is None:
            self.card.value = ("<div class='t40-card-body'><p>No events match this choice. Choose another phase "
                               "or turn the zoom off.</p></div>")
        else:
            self.card.value = card_html(event, self.evidence, self.index + 1, total)
        self.png = self.plot.png(self.index)
        alt = html.escape(image_alt(self.events, self.phase.value, self.zoom.value, self.index), quote=True)
        encoded = base64.b64encode(self.png).decode("ascii")
        self.image.value = (f"<img class='t40-image' alt=\"{alt}\" src='data:image/png;base64,{encoded}' "
                            "style='width:100%; height:auto'>")

    def _on_play(self, _button=None) -> None:
        if not self.events:
            return
        if self.slider.value >= len(self.events):
            self.slider.value = 1
        self.play.value = self.slider.value
        self.play.playing = True

    def _on_stop(self, _button=None) -> None:
        self.play.playing = False

    def _on_speed(self, _change=None) -> None:
        playing = self.play.playing
        self.play.playing = False
        self.play.interval = self.speed.value
        if playing:
            self.play.playing = True

    # -- without a kernel ----------------------------------------------------------------------------
    def static_html(self) -> str:
        """The explorer for readers without a kernel (a static HTML page, the site): alive in the browser with its
        script; without scripts, the timeline image and a list of the events (see :func:`explorer_html`)."""
        return explorer_html(self.evidence, self.phase.value, self.zoom.value, self.index or 0)

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


# -- the explorer without a kernel ------------------------------------------------------------------------------
# The same explorer as plain HTML with a small script: the frames of every phase and zoom choice (one PNG each, the
# highlight drawn on top as SVG) and every card are embedded, so the slider, the arrow keys, Play and the phase menu
# work in a static HTML page, offline. Without scripts (GitHub, nbviewer) it shows the timeline and the event list.

STATIC_SIZE = (1000, 300)
PROJECTOR_SIZE = (1400, 380)
_VIEW_CACHE: dict[tuple, dict] = {}

STATIC_CSS = """
.t40-x{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans","Liberation Sans",Arial,sans-serif;
 color:#111;background:#fff;line-height:1.45;max-width:1000px}
.t40-x .t40-controls{display:flex;flex-wrap:wrap;gap:.4em 1em;align-items:center;margin:.3em 0}
.t40-x .t40-controls[hidden]{display:none}
.t40-x label{font-weight:600}
.t40-x select,.t40-x button{font:inherit;font-size:.95em;color:#111;background:#fff;border:1px solid #555;
 border-radius:4px;padding:.2em .6em;min-height:2em}
.t40-x button{display:inline-flex;align-items:center;gap:.35em;cursor:pointer}
.t40-x button[aria-pressed=true]{background:#0b3d6e;color:#fff;border-color:#0b3d6e}
.t40-x button:focus-visible,.t40-x select:focus-visible,.t40-x input:focus-visible{outline:3px solid #0b5fad;
 outline-offset:2px}
.t40-x .t40-controls > *{flex:0 0 auto}
.t40-x .t40-controls > input.t40-slider{flex:1 1 12em;min-width:10em;accent-color:#0b3d6e;height:1.6em}
.t40-x .t40-card{min-height:5em}
.t40-x .t40-card p{margin:.3em 0}
.t40-x .t40-frame{position:relative}
.t40-x svg.t40-image{display:block;width:100%;height:auto}
.t40-x details{margin:.4em 0}
.t40-x summary{cursor:pointer;color:#0b3d6e;text-decoration:underline}
.t40-x.t40-projector{max-width:none;box-sizing:border-box;height:calc(100vh - 8px);display:flex;
 flex-direction:column;font-size:max(16px,min(2.3vh,1.3vw));padding:0 .5em}
.t40-x.t40-projector .t40-card .t40-card-body{max-width:none!important}
.t40-x.t40-projector > *{flex:0 0 auto}
.t40-x.t40-projector > .t40-frame{flex:1 1 0;min-height:0}
.t40-x.t40-projector svg.t40-image{height:100%}
@media (min-aspect-ratio:4/3){
 .t40-x.t40-projector{display:grid;grid-template-columns:minmax(16em,31%) minmax(0,1fr);
  grid-template-rows:auto auto minmax(0,1fr);column-gap:1em}
 .t40-x.t40-projector > .t40-controls{grid-column:1 / -1}
 .t40-x.t40-projector > .t40-card{grid-column:1;grid-row:3;overflow:auto;min-height:0}
 .t40-x.t40-projector > .t40-frame{grid-column:2;grid-row:3;min-height:0}
 .t40-x.t40-projector svg.t40-image{width:100%}
}
.t40-x.t40-projector details{display:none}
"""

STATIC_JS = r"""
(function () {
  var root = document.getElementById("__ID__");
  if (!root || root.getAttribute("data-t40-ready")) { return; }
  root.setAttribute("data-t40-ready", "1");
  var data = JSON.parse(root.querySelector("script.t40-data").textContent);
  function q(s) { return root.querySelector(s); }
  var phase = q("select.t40-phase"), zoom = q("button.t40-zoom"), slider = q("input.t40-slider"),
      play = q("button.t40-play"), stop = q("button.t40-stop"), speed = q("select.t40-speed"),
      count = q(".t40-count"), card = q(".t40-card"), svg = q("svg.t40-image"), picture = svg.querySelector("image"),
      line = svg.querySelector(".t40-hl-line"), ring = svg.querySelector(".t40-hl-ring"),
      box = svg.querySelector(".t40-hl-box"), caption = svg.querySelector(".t40-hl-caption");
  var view = null, timer = null;
  function key() { return phase.value + "|" + (zoom.getAttribute("aria-pressed") === "true" ? "1" : "0"); }
  function show(i) {
    var events = view.events, n = events.length;
    if (!n) {
      slider.value = 1; slider.setAttribute("aria-valuetext", "No events");
      card.innerHTML = data.empty;
      svg.setAttribute("aria-label", view.alt);
      [line, ring, box, caption].forEach(function (el) { el.setAttribute("visibility", "hidden"); });
      return;
    }
    i = Math.max(0, Math.min(n - 1, i));
    var e = events[i];
    slider.value = i + 1;
    slider.setAttribute("aria-valuetext", e.valuetext);
    card.innerHTML = e.card;
    svg.setAttribute("aria-label", e.alt);
    line.setAttribute("x1", e.x); line.setAttribute("x2", e.x);
    line.setAttribute("visibility", e.bar ? "hidden" : "visible");
    ring.setAttribute("cx", e.x); ring.setAttribute("cy", e.y);
    ring.setAttribute("visibility", e.bar ? "hidden" : "visible");
    if (e.bar) {
      box.setAttribute("x", e.bar[0]); box.setAttribute("y", e.bar[1]);
      box.setAttribute("width", e.bar[2]); box.setAttribute("height", e.bar[3]);
    }
    box.setAttribute("visibility", e.bar ? "visible" : "hidden");
    caption.textContent = e.caption;
    caption.setAttribute("visibility", "visible");
  }
  function load() {
    view = data.views[key()];
    picture.setAttribute("href", view.src);
    svg.setAttribute("viewBox", "0 0 " + view.w + " " + view.h);
    picture.setAttribute("width", view.w); picture.setAttribute("height", view.h);
    line.setAttribute("y1", view.axes[0]); line.setAttribute("y2", view.axes[1]);
    ring.setAttribute("r", view.ring);
    if (view.caption) {
      caption.setAttribute("x", view.caption.x); caption.setAttribute("y", view.caption.y);
      caption.setAttribute("font-size", view.caption.size);
    }
    var n = view.events.length;
    slider.max = Math.max(n, 1); slider.disabled = n === 0; play.disabled = n === 0;
    count.textContent = view.count;
    show(0);
  }
  function halt() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    play.setAttribute("aria-pressed", "false");
  }
  function tick() {
    var i = Number(slider.value);
    if (i >= view.events.length) { halt(); return; }
    show(i);
    if (i + 1 >= view.events.length) { halt(); }
  }
  slider.addEventListener("input", function () { show(Number(slider.value) - 1); });
  phase.addEventListener("change", function () { halt(); load(); });
  zoom.addEventListener("click", function () {
    zoom.setAttribute("aria-pressed", zoom.getAttribute("aria-pressed") === "true" ? "false" : "true");
    halt(); load();
  });
  play.addEventListener("click", function () {
    if (timer !== null || !view.events.length) { return; }
    if (Number(slider.value) >= view.events.length) { show(0); }
    play.setAttribute("aria-pressed", "true");
    timer = setInterval(tick, Number(speed.value));
  });
  stop.addEventListener("click", halt);
  speed.addEventListener("change", function () {
    if (timer !== null) { clearInterval(timer); timer = setInterval(tick, Number(speed.value)); }
  });
  q(".t40-controls").hidden = false;
  q(".t40-slider-row").hidden = false;
  if (root.classList.contains("t40-projector")) {
    // the projector: the explorer takes the rest of the window below what comes before it, and no more
    var fit = function () {
      var top = root.getBoundingClientRect().top + window.scrollY;
      root.style.height = Math.max(320, window.innerHeight - top - 8) + "px";
    };
    fit(); window.addEventListener("resize", fit);
  }
  phase.value = data.start.phase;
  zoom.setAttribute("aria-pressed", data.start.zoom ? "true" : "false");
  load();
  show(data.start.index);
})();
"""

PLAY_SVG = ("<svg aria-hidden='true' focusable='false' width='0.9em' height='0.9em' viewBox='0 0 10 10'>"
            "<path d='M1 0.5 9.5 5 1 9.5z' fill='currentColor'/></svg>")
STOP_SVG = ("<svg aria-hidden='true' focusable='false' width='0.9em' height='0.9em' viewBox='0 0 10 10'>"
            "<rect x='1' y='1' width='8' height='8' fill='currentColor'/></svg>")


def _small_png(png: bytes) -> str:
    """A PNG as a data URI, reduced to a palette of 128 colours (a chart: a few kB instead of 25)."""
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(128)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def _where(zoom: bool) -> str:
    return " on 20–21 August 1940" if zoom else ""


def count_text(total: int, zoom: bool) -> str:
    return f"Showing {total} {'event' if total == 1 else 'events'}{_where(zoom)}"


def image_alt(events: Sequence[datamod.Event], phase: str, zoom: bool, index: int | None) -> str:
    """The text alternative of the timeline image: what it shows and which event is highlighted."""
    scope = "all phases" if phase == ALL else f"the phase {datamod.PHASE_TITLES[phase]}"
    head = f"Timeline of {len(events)} {'event' if len(events) == 1 else 'events'} ({scope}{_where(zoom)})"
    if not events or index is None:
        return head + ("." if events else ": no events match this choice.")
    event = events[index]
    return f"{head}; highlighted: event {index + 1}, {event.label}: {event.title}."


def slider_text(events: Sequence[datamod.Event], index: int | None) -> str:
    """What the slider announces (aria-valuetext): "Event 3 of 54: 24 May 1940, the raid"."""
    if not events or index is None:
        return "No events"
    event = events[index]
    return f"Event {index + 1} of {len(events)}: {event.label}, {event.title}"


def _view(evidence: datamod.Evidence, phase: str, zoom: bool, size: tuple[int, int]) -> dict:
    """One phase and zoom choice for the static explorer: the base image and, per event, the card and where the
    highlight goes (in the image's pixels, y down)."""
    cache_key = (id(evidence), phase, zoom, size)
    if cache_key in _VIEW_CACHE:
        return _VIEW_CACHE[cache_key]
    events = select_events(evidence, phase, zoom)
    plot = TimelinePlot(events, zoom=zoom, width_px=size[0], height_px=size[1])
    src = _small_png(plot.png(None))
    width, height = plot.figure.bbox.width, plot.figure.bbox.height  # the figure may grow to fit its rows
    axes = plot.ax.get_window_extent()
    to_px = plot.ax.transData.transform
    view = {"src": src, "w": round(float(width)), "h": round(float(height)), "count": count_text(len(events), zoom),
            "alt": image_alt(events, phase, zoom, None), "events": [],
            "axes": [round(float(height - axes.y1), 1), round(float(height - axes.y0), 1)],
            "ring": 15.0, "caption": None}
    if events:
        line, ring, _box, caption = plot.highlight
        view["ring"] = round(float(ring.get_markersize()) / 2 * plot.figure.dpi / 72 + 2, 1)
        extent = caption.get_window_extent(plot.canvas.get_renderer())
        view["caption"] = {"x": round(float(extent.x0), 1),
                           "y": round(float(height - extent.y0 - 0.25 * extent.height), 1),
                           "size": round(float(caption.get_fontsize()) * plot.figure.dpi / 72, 1)}
    for i, e in enumerate(events):
        x, y = plot.x(e), plot.y(i)
        px, py = to_px((x, y))
        item = {"x": round(float(px), 1), "y": round(float(height - py), 1),
                "card": card_html(e, evidence, i + 1, len(events)),
                "caption": f"{i + 1} of {len(events)}: {e.label}",
                "valuetext": slider_text(events, i), "alt": image_alt(events, phase, zoom, i), "bar": None}
        if zoom and e.time_local is None:
            (x0, y0), (x1, y1) = to_px((x - 0.5, y - 0.4)), to_px((x + 0.5, y + 0.4))
            item["bar"] = [round(float(x0), 1), round(float(height - y1), 1), round(float(x1 - x0), 1),
                           round(float(y1 - y0), 1)]
        view["events"].append(item)
    _VIEW_CACHE[cache_key] = view
    return view


def explorer_html(evidence: datamod.Evidence | None = None, phase: str = ALL, zoom: bool = False, index: int = 0,
                  projector: bool = False) -> str:
    """The explorer as one self-contained piece of HTML (see above): alive in any browser without a kernel."""
    import json

    evidence = evidence or datamod.load()
    size = PROJECTOR_SIZE if projector else STATIC_SIZE
    views = {f"{value}|{int(z)}": _view(evidence, value, z, size) for _, value in PHASE_OPTIONS for z in (False, True)}
    start = views[f"{phase}|{int(zoom)}"]
    index = max(0, min(index, len(start["events"]) - 1)) if start["events"] else 0
    events = select_events(evidence, phase, zoom)
    payload = {"views": views, "start": {"phase": phase, "zoom": zoom, "index": index},
               "empty": ("<div class='t40-card-body'><p>No events match this choice. Choose another phase or turn "
                         "the zoom off.</p></div>")}
    script_data = json.dumps(payload, ensure_ascii=False).replace("</", "<\\/")
    # an id unique in the page yet the same each time a fresh kernel runs the notebook (quiet diffs)
    digest = hashlib.sha256(f"{next(_EXPLORER_COUNT)}|{phase}|{zoom}|{index}|{projector}|{script_data}".encode())
    root = "t40-x-" + digest.hexdigest()[:12]
    first = start["events"][index] if start["events"] else None
    width, height = start["w"], start["h"]
    top, bottom = start["axes"]
    cap = start["caption"] or {"x": 0, "y": 0, "size": 16}
    options = "".join(f"<option value='{v}'{' selected' if v == phase else ''}>{html.escape(label)}</option>"
                      for label, v in PHASE_OPTIONS)
    speeds = "".join(f"<option value='{ms}'{' selected' if ms == DEFAULT_PLAY_MS else ''}>{html.escape(label)}"
                     "</option>" for label, ms in PLAY_SPEEDS)
    items = "".join(
        f"<li><strong>{html.escape(e.label)}</strong>: {html.escape(e.title)} "
        f"({html.escape(CONFIDENCE_WORDS[e.confidence])}; {html.escape(datamod.cite(e.sources))})</li>"
        for e in events)
    point = " visibility='visible'" if first and not first["bar"] else " visibility='hidden'"
    fx, fy = (first["x"], first["y"]) if first else (0, 0)
    return (
        f"<div id='{root}' class='t40-x t40-static{' t40-projector' if projector else ''}' role='group' "
        f"aria-label='Timeline explorer'><style>{STATIC_CSS}</style>"
        f"<div class='t40-controls' hidden><label for='{root}-phase'>Phase</label>"
        f"<select id='{root}-phase' class='t40-phase'>{options}</select>"
        f"<button type='button' class='t40-zoom' aria-pressed='{'true' if zoom else 'false'}'>"
        "Zoom to 20–21 August 1940</button>"
        f"<span class='t40-count'>{html.escape(start['count'])}</span></div>"
        "<div class='t40-controls t40-slider-row' hidden>"
        f"<button type='button' class='t40-play' aria-pressed='false'>{PLAY_SVG}Play</button>"
        f"<button type='button' class='t40-stop'>{STOP_SVG}Stop</button>"
        f"<label for='{root}-speed'>Speed</label><select id='{root}-speed' class='t40-speed'>{speeds}</select>"
        f"<label for='{root}-slider'>Event</label>"
        f"<input id='{root}-slider' class='t40-slider' type='range' min='1' max='{max(len(events), 1)}' step='1' "
        f"value='{index + 1}' aria-valuetext='{html.escape(slider_text(events, index if events else None))}'>"
        "</div>"
        f"<div class='t40-card' aria-live='polite'>{first['card'] if first else payload['empty']}</div>"
        f"<div class='t40-frame'><svg class='t40-image' role='img' viewBox='0 0 {width} {height}' "
        f"preserveAspectRatio='xMidYMid meet' aria-label='{html.escape(first['alt'] if first else start['alt'])}'>"
        f"<image href='{start['src']}' x='0' y='0' width='{width}' height='{height}'/>"
        f"<line class='t40-hl-line' x1='{fx}' x2='{fx}' y1='{top}' y2='{bottom}' stroke='#000' stroke-width='2' "
        f"stroke-dasharray='2 4'{point}/>"
        f"<circle class='t40-hl-ring' cx='{fx}' cy='{fy}' r='{start['ring']}' fill='none' stroke='#000' "
        f"stroke-width='3'{point}/>"
        "<rect class='t40-hl-box' x='0' y='0' width='0' height='0' fill='none' stroke='#000' stroke-width='3' "
        "visibility='hidden'/>"
        f"<text class='t40-hl-caption' x='{cap['x']}' y='{cap['y']}' font-size='{cap['size']}' font-weight='bold' "
        f"font-family='DejaVu Sans, sans-serif' fill='#111'{point if first is None else ''}>"
        f"{html.escape(first['caption'] if first else '')}</text></svg></div>"
        f"<details><summary>List of the events: {html.escape(start['count'].replace('Showing ', ''))}, "
        f"{'all phases' if phase == ALL else html.escape(datamod.PHASE_TITLES[phase])}</summary><ol>{items}</ol>"
        "</details>"
        f"<script type='application/json' class='t40-data'>{script_data}</script>"
        f"<script>{STATIC_JS.replace('__ID__', root)}</script></div>"
    )


class StaticExplorer:
    """The explorer without widgets (the projector app, ``make present``): displays as :func:`explorer_html`."""

    def __init__(self, phase: str = ALL, zoom: bool = False, projector: bool = True,
                 evidence: datamod.Evidence | None = None):
        self.evidence = evidence or datamod.load()
        self.phase, self.zoom, self.projector = phase, zoom, projector

    def _repr_html_(self) -> str:
        return explorer_html(self.evidence, self.phase, self.zoom, 0, projector=self.projector)

    def __repr__(self) -> str:
        """The text alternative (a plain-text reader, a diff): the events shown, one a line."""
        events = select_events(self.evidence, self.phase, self.zoom)
        return "\n".join([f"Timeline explorer: {count_text(len(events), self.zoom)}"]
                         + [f"{e.label}: {e.title} ({CONFIDENCE_WORDS[e.confidence]})" for e in events])


def projector_explorer(phase: str = ALL, zoom: bool = False) -> StaticExplorer:
    """The explorer for a projector (``make present``): the whole screen, large text, runs in the browser."""
    return StaticExplorer(phase=phase, zoom=zoom, projector=True)
