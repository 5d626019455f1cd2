"""Charts for the notebooks. Each function returns a :class:`Chart`: the figure, the data it drew, and a
one-sentence text alternative generated from that data.

Rules every chart follows:

- colours from the Okabe–Ito palette, which stays distinguishable with the common colour-vision
  deficiencies, and never colour alone: uncertain items also differ in marker or hatching;
- text large enough for a projector: 14 pt and up at the size a notebook shows the figure (saved
  :data:`DISPLAY_WIDTH_PX` wide, so saved size = shown size), and nothing outside the figure;
- every event has a mark of its own: marks on the same or close dates are stacked in their row
  (:func:`dodge_slots`), and legend glyphs are the marks drawn (:func:`status_legend`);
- a date axis that reaches far beyond the dense years 1936–1941 is broken (:func:`date_axis`): the long tail
  is compressed and shaded, and the axis label says so;
- figures are built with :class:`matplotlib.figure.Figure`, not pyplot, so a notebook shows each chart
  exactly once, as an image with its text alternative in the ``alt`` attribute and underneath it.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import html
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # matplotlib is imported when the first chart is drawn (see _style), not with this module
    from matplotlib.figure import Figure

from . import data as datamod

OKABE_ITO = {
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
    "black": "#000000",
}

PHASE_COLOURS = {
    "background": OKABE_ITO["blue"],
    "first-attempt": OKABE_ITO["orange"],
    "second-attempt": OKABE_ITO["bluish green"],
    "attack": OKABE_ITO["vermillion"],
    "aftermath": OKABE_ITO["reddish purple"],
}

STYLE = {
    "font.size": 14,
    "axes.titlesize": 17,
    "axes.labelsize": 15,
    "xtick.labelsize": 14,
    "ytick.labelsize": 14,
    "legend.fontsize": 14,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.dpi": 100,
    "savefig.dpi": 100,
}


@dataclass
class Chart:
    """A drawn chart: the matplotlib figure, the rows it drew, and its text alternative."""

    figure: Figure
    data: Sequence[Any]
    alt_text: str
    title: str
    extra: dict[str, Any] = field(default_factory=dict)

    def png(self) -> bytes:
        """The figure as PNG bytes."""
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", metadata={"Software": None})
        return buffer.getvalue()

    def _repr_html_(self) -> str:
        encoded = base64.b64encode(self.png()).decode("ascii")
        alt = html.escape(self.alt_text, quote=True)
        return (
            f'<figure style="margin:0"><img src="data:image/png;base64,{encoded}" alt="{alt}" '
            f'style="max-width:100%"><figcaption><strong>Text alternative:</strong> {html.escape(self.alt_text)}'
            "</figcaption></figure>"
        )

    def __repr__(self) -> str:
        return f"<Chart {self.title!r}: {self.alt_text}>"


def _load_matplotlib() -> None:
    """Import matplotlib on first use: a notebook (or a graded kernel) that draws nothing never pays for it."""
    global matplotlib, mdates, Figure, Line2D
    if "mdates" in globals():
        return
    import matplotlib
    import matplotlib.dates as mdates
    import matplotlib.legend_handler
    import matplotlib.patches
    import matplotlib.ticker
    import matplotlib.transforms
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D


@contextlib.contextmanager
def _style() -> Iterator[None]:
    _load_matplotlib()
    with matplotlib.rc_context(STYLE):
        yield


def _number(n: int) -> str:
    return f"{n:,}"


# --------------------------------------------------------------------------------------------------
# Shared geometry: event marks, stacking, a broken date axis, a height that fits


FOCUS_YEARS = (1936, 1941)
"""The dense years of the story: a date axis that also covers a long tail draws these wider (a broken axis)."""

DISPLAY_WIDTH_PX = 1000
"""The widest a notebook shows a figure (the explorer's image has max-width 1000px). Figures are saved at this
width, so their point sizes are the sizes a reader sees."""

MIN_TEXT_PT = 14
MARK_EDGE = 2.0
MARK_SIZE = {"o": 10.0, "D": 8.0}
"""Marker sizes (points): a diamond's diagonal is √2 × its size, so 8 pt diamonds match 10 pt circles."""


def mark_style(colour: str, uncertain: bool, scale: float = 1.0) -> dict[str, Any]:
    """The mark of one event: a filled circle, or a hollow diamond for a disputed or unconfirmed event."""
    marker = "D" if uncertain else "o"
    return {"marker": marker, "markersize": MARK_SIZE[marker] * scale, "color": colour,
            "markerfacecolor": "white" if uncertain else colour, "markeredgecolor": colour,
            "markeredgewidth": MARK_EDGE, "linestyle": "none"}


def mark_extent_pt(marker: str, markersize: float, edgewidth: float = 0.0) -> float:
    """The width (= height) in points of a drawn marker, edge included."""
    from matplotlib.markers import MarkerStyle
    style = MarkerStyle(marker)
    extents = style.get_path().transformed(style.get_transform()).get_extents()
    return max(extents.width, extents.height) * markersize + edgewidth


def status_legend(fig: Figure, colours_certain: Sequence[str], colours_uncertain: Sequence[str],
                  scale: float = 1.0) -> Any:
    """A legend under the figure whose glyphs are the marks drawn: one glyph per phase colour present."""
    _load_matplotlib()
    from matplotlib.legend_handler import HandlerTuple
    handles, labels = [], []
    for colours, uncertain, label in ((colours_certain, False, "sources agree"),
                                      (colours_uncertain, True, "disputed or unconfirmed")):
        if colours:
            handles.append(tuple(Line2D([], [], **mark_style(c, uncertain, scale)) for c in colours))
            labels.append(label)
    return fig.legend(handles, labels, loc="outside lower center", ncol=len(handles), frameon=False,
                      handler_map={tuple: HandlerTuple(ndivide=None, pad=0.4)}, handlelength=1.3 * max(
                          len(colours_certain), len(colours_uncertain), 1), fontsize=MIN_TEXT_PT)


def dodge_slots(xs_px: Sequence[float], sep_px: float) -> list[int]:
    """Stack points that would overlap: each point takes the slot nearest 0 (0, +1, -1, +2, …) in which it
    is at least ``sep_px`` from every point already there. Points are placed from left to right."""
    slots = [0] * len(xs_px)
    taken: dict[int, list[float]] = {}
    for i in sorted(range(len(xs_px)), key=lambda i: (xs_px[i], i)):
        for k in range(len(xs_px) + 1):
            for slot in ((k, -k) if k else (0,)):
                if all(abs(xs_px[i] - x) >= sep_px for x in taken.get(slot, [])):
                    break
            else:
                continue
            break
        slots[i] = slot
        taken.setdefault(slot, []).append(xs_px[i])
    return slots


@dataclass(frozen=True)
class DateAxis:
    """A date axis from ``lo`` to ``hi`` (date numbers): linear, or broken: piecewise linear with a wide focus
    window and compressed, shaded tails. ``knots`` map date numbers to positions 0…1 along the axis."""

    lo: float
    hi: float
    knots: tuple[tuple[float, float], ...]
    compressed: tuple[tuple[float, float], ...]

    @property
    def broken(self) -> bool:
        return bool(self.compressed)

    def position(self, x: float) -> float:
        import numpy as np
        xs, ps = zip(*self.knots, strict=True)
        return float(np.interp(x, xs, ps))

    def apply(self, ax: Any, width_px: float, locator: str = "years") -> None:
        """Set scale, limits, ticks, shading and break marks on ``ax`` (``width_px``: about the axes width)."""
        import numpy as np
        ax.set_xlim(self.lo, self.hi)
        if self.broken:
            xs, ps = (np.array(v, dtype=float) for v in zip(*self.knots, strict=True))
            # extend the end segments linearly, so the transform is invertible a little past the limits
            xs = np.concatenate([[xs[0] - 1e6], xs, [xs[-1] + 1e6]])
            ps = np.concatenate([[ps[0] - 1e6 * (ps[1] - ps[0]) / (xs[2] - xs[1])], ps,
                                 [ps[-1] + 1e6 * (ps[-1] - ps[-2]) / (xs[-2] - xs[-3])]])
            ax.set_xscale("function", functions=(lambda x: np.interp(x, xs, ps), lambda p: np.interp(p, ps, xs)))
            ax.set_xlim(self.lo, self.hi)
            ax.xaxis.set_major_locator(matplotlib.ticker.FixedLocator(self._year_ticks(width_px)))
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
            trans = matplotlib.transforms.blended_transform_factory(ax.transData, ax.transAxes)
            first, last = self.knots[1][0], self.knots[-2][0]
            for a, b in self.compressed:
                ax.axvspan(self.lo if a == first else a, self.hi if b == last else b, color="#cccccc", alpha=0.3,
                           linewidth=0, zorder=0)
                for edge in (a, b):
                    if first < edge < last:
                        ax.plot([edge, edge], [0, 1], transform=trans, color="#666666", linewidth=1,
                                linestyle=(0, (4, 3)), zorder=1)
            spans = ", ".join(f"{mdates.num2date(a).year}–{mdates.num2date(b - 1).year}" for a, b in self.compressed)
            ax.set_xlabel(f"Shaded years ({spans}) are drawn compressed.\n"
                          "Marks stacked in a column share a date, or nearly.", fontsize=MIN_TEXT_PT)
        elif locator == "years":
            years = max(1, round((self.hi - self.lo) / 365.25 / max(1, width_px / 70)))
            ax.xaxis.set_major_locator(mdates.YearLocator(years))
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        else:
            auto = mdates.AutoDateLocator(minticks=3, maxticks=max(3, int(width_px // 110)))
            ax.xaxis.set_major_locator(auto)
            ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(auto))

    def _year_ticks(self, width_px: float, min_px: float = 62) -> list[float]:
        """1 January of well-spaced years: every segment gets ticks at a round step that leaves ``min_px``."""
        data = self.knots[1:-1]  # without the margins
        ticks = [x for x, _ in data if mdates.num2date(x).timetuple()[1:6] == (1, 1, 0, 0, 0)]
        for (a, pa), (b, pb) in zip(data, data[1:], strict=False):
            years = (b - a) / 365.25
            px_per_year = (pb - pa) * width_px / max(years, 1e-9)
            step = next((s for s in (1, 2, 5, 10, 20, 25, 50, 100) if s * px_per_year >= min_px), 100)
            y0, y1 = mdates.num2date(a).year, mdates.num2date(b).year
            for year in range(y0, y1 + 1):
                x = mdates.date2num(dt.datetime(year, 1, 1))
                if a <= x <= b and (year % step == 0 or x in (a, b)):
                    if all(abs(self.position(x) - self.position(t)) * width_px >= min_px for t in ticks):
                        ticks.append(x)
        return sorted(ticks)


def date_axis(lo: dt.datetime, hi: dt.datetime, events_x: Sequence[float] = (), focus: tuple[int, int] = FOCUS_YEARS,
              shares: tuple[float, float] = (0.2, 0.45), min_tail_years: float = 4, margin: float = 0.02) -> DateAxis:
    """A linear axis from ``lo`` to ``hi``, or a broken one that gives the focus years most of the width.

    A tail (the years before or after the focus years) is compressed when it is longer than ``min_tail_years``
    and would take more of the width than its share: its share of the events ``events_x`` (date numbers),
    kept between ``shares`` (without events: the smaller bound)."""
    _load_matplotlib()
    x0, x1 = mdates.date2num(lo), mdates.date2num(hi)
    f0 = max(x0, mdates.date2num(dt.datetime(focus[0], 1, 1)))
    f1 = min(x1, mdates.date2num(dt.datetime(focus[1] + 1, 1, 1)))
    total = x1 - x0

    def share(inside) -> float:
        n = sum(1 for x in events_x if inside(x))
        return min(max(n / len(events_x), shares[0]), shares[1]) if events_x else shares[0]

    left_share, right_share = share(lambda x: x < f0), share(lambda x: x >= f1)
    left = f0 - x0 > min_tail_years * 365.25 and (f0 - x0) / total > left_share
    right = x1 - f1 > min_tail_years * 365.25 and (x1 - f1) / total > right_share
    if f1 <= f0 or not (left or right):
        return _with_margin(DateAxis(x0, x1, ((x0, 0.0), (x1, 1.0)), ()), margin)
    knots = [(x0, 0.0)]
    compressed = []
    if left:
        knots.append((f0, left_share))
        compressed.append((x0, f0))
    if right:
        knots.append((f1, 1.0 - right_share))
        compressed.append((f1, x1))
    knots.append((x1, 1.0))
    return _with_margin(DateAxis(x0, x1, tuple(knots), tuple(compressed)), margin)


def _with_margin(axis: DateAxis, margin: float) -> DateAxis:
    """The same axis with ``margin`` of the width left free at each end, so no mark is cut by an edge."""
    knots = [(x, margin + p * (1 - 2 * margin)) for x, p in axis.knots]
    (a, pa), (b, pb) = knots[0], knots[1]
    lo = a - pa * (b - a) / (pb - pa)
    (c, pc), (d, pd) = knots[-2], knots[-1]
    hi = d + (1 - pd) * (d - c) / (pd - pc)
    knots = [(lo, 0.0)] + knots + [(hi, 1.0)]
    return DateAxis(lo, hi, tuple(knots), axis.compressed)


def fit_height(fig: Figure, ax: Any, needed_px: float, rounds: int = 4) -> None:
    """Grow or shrink the figure until ``ax`` (laid out by the constrained layout) is ``needed_px`` tall."""
    for _ in range(rounds):
        fig.draw_without_rendering()
        have = ax.bbox.height
        if abs(have - needed_px) < 1:
            return
        w, h = fig.get_size_inches()
        fig.set_size_inches(w, max(1.5, h + (needed_px - have) / fig.dpi))
    import math
    w, h = fig.get_size_inches()
    fig.set_size_inches(w, math.ceil(h * fig.dpi + 1) / fig.dpi)  # whole pixels, and never shorter than needed
    fig.draw_without_rendering()


def stack_rows(rows: Sequence[int], slots: Sequence[int], n_rows: int, pad: float = 0.6
               ) -> tuple[list[float], list[float], list[float], float]:
    """Lay rows out bottom to top in slot units, each as tall as its stack. Returns each point's y, each row's
    baseline (where slot 0 sits), the borders between rows, and the total height."""
    base, borders, cursor = [], [], 0.0
    for r in range(n_rows):
        mine = [s for s, rr in zip(slots, rows, strict=True) if rr == r] or [0]
        base.append(cursor + pad / 2 - min(mine) + 0.5)
        cursor += max(mine) - min(mine) + 1 + pad
        borders.append(cursor)
    ys = [base[r] + s for r, s in zip(rows, slots, strict=True)]
    return ys, base, borders[:-1], cursor


def place_events(fig: Figure, ax: Any, xs: Sequence[float], rows: Sequence[int], n_rows: int,
                 sep_px: float, extra_px: float = 0.0) -> tuple[list[float], list[float], list[float]]:
    """Dodge the events of each row (display coordinates), size the figure so one slot is ``sep_px`` tall,
    and set the y limits. Returns the events' y, the rows' baselines and the borders between rows."""
    _load_matplotlib()
    for _ in range(3):
        fig.draw_without_rendering()
        px = [ax.transData.transform((x, 0))[0] for x in xs]
        slots = [0] * len(xs)
        for r in range(n_rows):
            idx = [i for i, rr in enumerate(rows) if rr == r]
            for i, s in zip(idx, dodge_slots([px[i] for i in idx], sep_px), strict=True):
                slots[i] = s
        ys, base, borders, total = stack_rows(rows, slots, n_rows)
        ax.set_ylim(0, total)
        fit_height(fig, ax, total * sep_px + extra_px)
        again = [ax.transData.transform((x, 0))[0] for x in xs]
        if max((abs(a - b) for a, b in zip(px, again, strict=True)), default=0) < 0.5:
            break
    return ys, base, borders


def timeline_chart(start: int = 1929, end: int = 1940, phase: str | None = None,
                   evidence: datamod.Evidence | None = None) -> Chart:
    """Draw the events from ``start`` to ``end`` (years, inclusive) on a date axis, one row per phase.

    Events the sources dispute, or that no source confirms, are drawn as hollow diamonds. Events on the same
    or close dates are stacked in their row, so every event has a mark of its own. When the years reach far
    beyond the dense years :data:`FOCUS_YEARS`, the axis is broken: the long tail is compressed and shaded.
    """
    evidence = evidence or datamod.load()
    chosen = [e for e in evidence.events_in(phase) if start <= e.date.year <= end]
    if not chosen:
        raise ValueError(f"no events between {start} and {end}" + (f" in phase {phase!r}" if phase else ""))
    phases = [p for p in datamod.PHASES if any(e.phase == p for e in chosen)]
    title = f"Events {start}–{end}" + (f": {datamod.PHASE_TITLES[phase]}" if phase else "")
    with _style():
        fig = Figure(figsize=(DISPLAY_WIDTH_PX / 100, 4), layout="constrained")
        ax = fig.add_subplot()
        ax.spines[["left"]].set_visible(False)
        ax.tick_params(axis="y", length=0)
        row_of = {p: len(phases) - 1 - i for i, p in enumerate(phases)}
        ax.set_yticks(range(len(phases)), [datamod.PHASE_TITLES[p] for p in reversed(phases)])
        ax.set_title(title)
        status_legend(fig, [PHASE_COLOURS[p] for p in phases if any(e.phase == p and not e.uncertain for e in chosen)],
                      [PHASE_COLOURS[p] for p in phases if any(e.phase == p and e.uncertain for e in chosen)])
        fig.draw_without_rendering()
        xs = [mdates.date2num(e.midpoint) for e in chosen]
        axis = date_axis(dt.datetime(start, 1, 1), dt.datetime(end + 1, 1, 1), xs, shares=(0.2, 0.45))
        axis.apply(ax, ax.bbox.width)
        ax.grid(axis="x", color="#cccccc", linewidth=0.8)
        sep = max(mark_extent_pt(m, s, MARK_EDGE) for m, s in MARK_SIZE.items()) * fig.dpi / 72 * 1.1
        ys, base, borders = place_events(fig, ax, xs, [row_of[e.phase] for e in chosen], len(phases), sep)
        ax.set_yticks(base, [datamod.PHASE_TITLES[p] for p in reversed(phases)])
        for y in borders:
            ax.axhline(y, color="#cccccc", linewidth=0.8, zorder=1)
        for e, x, y in zip(chosen, xs, ys, strict=True):
            colour = PHASE_COLOURS[e.phase]
            ax.plot(x, y, **mark_style(colour, e.uncertain), zorder=4 if e.uncertain else 3)
            if e.end_date:
                ax.plot([mdates.date2num(e.when), mdates.date2num(e.end_date)], [y, y], color=colour,
                        linewidth=5, alpha=0.45, solid_capstyle="butt", zorder=2)
    uncertain = [e for e in chosen if e.uncertain]
    per_phase = ", ".join(f"{sum(e.phase == p for e in chosen)} {datamod.PHASE_NAMES[p]}" for p in phases)
    first, last = chosen[0], chosen[-1]
    alt = (
        f"A timeline of {len(chosen)} events from {datamod.format_date(first.date, first.date_precision)} "
        f"({first.title}) to {datamod.format_date(last.date, last.date_precision)} ({last.title}), "
        f"by phase: {per_phase}; "
        f"{len(uncertain)} of them are disputed or unconfirmed and drawn as hollow diamonds."
    )
    return Chart(figure=fig, data=tuple(chosen), alt_text=alt, title=title)


# --------------------------------------------------------------------------------------------------
# 20-21 August 1940, hour by hour


def _weakly_timed(event: datamod.Event) -> bool:
    """True when an event's clock time is only a weak claim: the row is low confidence or uncertain."""
    return event.confidence in ("L", "disputed", "unconfirmed")


def hours_chart(evidence: datamod.Evidence | None = None) -> Chart:
    """The events of 20 and 21 August 1940 on an hour axis.

    Events with a clock time are points ("about 17:20"): filled where a source such as an eyewitness gives the
    time, hollow where the time is only a weak claim (a low-confidence row, such as the blow, whose "about 17:20"
    comes from the source article alone). Events the sources date only to the day are drawn as hatched bars
    across that whole day, in the order the data gives, so the chart shows how little of the timing is recorded.
    """
    evidence = evidence or datamod.load()
    days = (dt.date(1940, 8, 20), dt.date(1940, 8, 21))
    chosen = [e for e in evidence.events if e.date in days]
    if not chosen:
        raise ValueError("no events on 20-21 August 1940 in the data")
    timed = [e for e in chosen if e.time_local is not None]
    untimed = [e for e in chosen if e.time_local is None]
    weak = [e for e in timed if _weakly_timed(e)]
    start, stop = dt.datetime(1940, 8, 20, 0, 0), dt.datetime(1940, 8, 22, 0, 0)
    colour = PHASE_COLOURS["attack"]
    sourced_mark = {"marker": "o", "markersize": 13, "color": colour, "markerfacecolor": colour,
                    "markeredgecolor": colour, "markeredgewidth": MARK_EDGE, "linestyle": "none"}
    weak_mark = {**sourced_mark, "markerfacecolor": "white"}
    with _style():
        fig = Figure(figsize=(DISPLAY_WIDTH_PX / 100, 1.6 + 0.62 * len(chosen)), layout="constrained")
        ax = fig.add_subplot()
        for row, e in enumerate(reversed(chosen)):
            event_colour = PHASE_COLOURS[e.phase]
            if e.time_local is not None:
                mark = weak_mark if _weakly_timed(e) else sourced_mark
                ax.plot(mdates.date2num(e.when), row, zorder=3,
                        **{**mark, "color": event_colour, "markeredgecolor": event_colour,
                           "markerfacecolor": "white" if _weakly_timed(e) else event_colour})
            else:
                day_start = dt.datetime.combine(e.date, dt.time(0, 0))
                ax.barh(row, 1.0, left=mdates.date2num(day_start), height=0.55, color="white",
                        edgecolor=event_colour, hatch="//", linewidth=1.5, zorder=2)
        ax.set_yticks(range(len(chosen)), [wrap(e.title) for e in reversed(chosen)])
        ax.set_xlim(mdates.date2num(start), mdates.date2num(stop))
        ax.xaxis.set_major_locator(mdates.HourLocator(byhour=[0, 12]))
        ax.xaxis.set_minor_locator(mdates.HourLocator(byhour=[6, 18]))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%d Aug\n%H:%M"))
        ax.grid(axis="x", which="both", color="#cccccc", linewidth=0.8)
        fig.suptitle("20–21 August 1940: what has a clock time, and what does not", fontsize=STYLE["axes.titlesize"])
        handles = []
        if len(weak) < len(timed):
            handles.append(Line2D([], [], **sourced_mark, label="clock time from an eyewitness source (approximate)"))
        if weak:
            only_article = all(e.sources and "ART" in e.sources for e in weak)
            handles.append(Line2D([], [], **weak_mark,
                                  label="clock time claimed by the source article only (low confidence)"
                                  if only_article else "clock time from one weak source only (low confidence)"))
        handles.append(matplotlib.patches.Patch(facecolor="white", edgecolor=colour, hatch="//",
                                                label="known only to the day"))
        fig.legend(handles=handles, loc="outside lower center", frameon=False, ncol=1)

    def described(e: datamod.Event) -> str:
        return f"'{e.title}'" + (" (a time claimed by the source article only, low confidence)"
                                 if _weakly_timed(e) else "")

    times = sorted({e.time_local for e in timed})
    time_text = ", ".join(f"about {t:%H:%M}" for t in times)
    alt = (
        f"A chart of the {len(chosen)} recorded events of 20 and 21 August 1940: only {len(timed)} have a clock "
        f"time ({time_text}: {'; '.join(described(e) for e in timed)}), and the other {len(untimed)}, "
        f"from '{untimed[0].title}' to '{untimed[-1].title}', are known only to the day."
        if untimed and timed else
        f"A chart of the {len(chosen)} recorded events of 20 and 21 August 1940."
    )
    return Chart(figure=fig, data=tuple(chosen), alt_text=alt, title="20–21 August 1940",
                 extra={"timed": tuple(timed), "untimed": tuple(untimed), "weakly_timed": tuple(weak)})


def _short(title: str, limit: int = 46) -> str:
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def wrap(title: str, width: int = 34) -> str:
    """A whole title on lines of at most ``width`` characters (a row label is never cut off)."""
    import textwrap
    return "\n".join(textwrap.wrap(title, width)) or title


# --------------------------------------------------------------------------------------------------
# The funeral: reported figures against assumptions


@dataclass(frozen=True)
class FuneralModel:
    """What the funeral chart draws: reported figures, and the per-day split that is only an assumption."""

    reported: tuple[datamod.FuneralRow, ...]
    spread_total: int
    spread_source: tuple[str, ...]
    window: tuple[dt.date, ...]
    per_day: int


def funeral_model(evidence: datamod.Evidence | None = None) -> FuneralModel:
    """Spread the article's total evenly over the assumed window, as ``funeral.csv``'s assumption rows say."""
    evidence = evidence or datamod.load()
    rows = evidence.funeral
    reported = tuple(r for r in rows if r.kind == "reported" and r.value is not None)
    total_rows = [r for r in reported if r.measure == "casket_visitors_total"]
    windows = [r for r in rows if r.kind == "assumption" and r.measure == "lying_in_state_window"]
    rules = [r for r in rows if r.kind == "assumption" and r.measure == "daily_distribution"]
    if len(total_rows) != 1 or len(windows) != 1 or len(rules) != 1:
        raise ValueError("funeral.csv needs one casket_visitors_total, one lying_in_state_window and one "
                         "daily_distribution row")
    window_row = windows[0]
    if window_row.end_date is None:
        raise ValueError(f"funeral.csv, {window_row.id}: the assumed window needs an end_date")
    n_days = (window_row.end_date - window_row.date).days + 1
    window = tuple(window_row.date + dt.timedelta(days=i) for i in range(n_days))
    total = total_rows[0].value
    return FuneralModel(reported=reported, spread_total=total, spread_source=total_rows[0].sources,
                        window=window, per_day=round(total / n_days))


def funeral_chart(evidence: datamod.Evidence | None = None) -> Chart:
    """Reported crowd figures as labelled points; the article's total spread over days as hatched bars.

    The bars are an assumption, not data: no source gives a number for any single day.
    """
    model = funeral_model(evidence)
    markers = {"procession_crowd": ("o", OKABE_ITO["blue"]), "crowd_estimate": ("s", OKABE_ITO["bluish green"]),
               "casket_visitors_total": ("D", OKABE_ITO["vermillion"])}
    with _style():
        fig = Figure(figsize=(DISPLAY_WIDTH_PX / 100, 8.5), layout="constrained")
        ax = fig.add_subplot()
        xs = [mdates.date2num(dt.datetime.combine(d, dt.time(12))) for d in model.window]
        ax.bar(xs, [model.per_day / 1000] * len(xs), width=0.7, color="white", edgecolor="#666666", hatch="//",
               label=f"ASSUMPTION: the article's {_number(model.spread_total)} spread evenly, "
                     f"{_number(model.per_day)} a day")
        running = [model.per_day * (i + 1) / 1000 for i in range(len(xs))]
        ax.step(xs, running, where="mid", color="#666666", linestyle="--", linewidth=2,
                label="ASSUMPTION: running total of the even spread")
        offsets = {}
        for r in model.reported:
            marker, colour = markers.get(r.measure, ("^", OKABE_ITO["reddish purple"]))
            day = r.end_date or r.date
            x = mdates.date2num(dt.datetime.combine(day, dt.time(12)))
            nudge = offsets.get(day, 0)
            offsets[day] = nudge + 1
            claim = article_only(r)
            ax.plot(x + 0.18 * nudge, r.value / 1000, marker=marker, markersize=15, color=colour,
                    markerfacecolor="white" if claim else colour, markeredgecolor=colour,
                    markeredgewidth=MARK_EDGE if claim else 1.0, linestyle="none", zorder=4,
                    label=figure_words(r, legend=True))
        ax.set_ylabel("people (thousands)")
        ax.set_ylim(0, max(r.value for r in model.reported) / 1000 * 1.25)
        first, last = model.window[0], model.window[-1]
        ax.set_xlim(mdates.date2num(dt.datetime.combine(first, dt.time(0))) - 0.6,
                    mdates.date2num(dt.datetime.combine(last, dt.time(0))) + 1.6)
        ax.set_xticks(xs, [f"{d.day} Aug" for d in model.window])
        ax.set_title("Trotsky's funeral, August 1940: reports, a claim and an assumption")
        ax.legend(loc="upper center", bbox_to_anchor=(0.45, -0.08), frameon=False)
    figures = "; ".join(figure_words(r) for r in model.reported if not article_only(r))
    claims = "; ".join(figure_words(r) for r in model.reported if article_only(r))
    alt = (
        f"A chart of the funeral crowd figures: the sources report {figures}"
        + (f"; the source article alone claims {claims}" if claims else "")
        + "; the hatched bars are not data but an "
        f"assumption that spreads the {_number(model.spread_total)} evenly over the {len(model.window)} days from "
        f"{datamod.format_date(model.window[0], 'day')} to {datamod.format_date(model.window[-1], 'day')}, "
        f"{_number(model.per_day)} a day."
    )
    return Chart(figure=fig, data=model.reported, alt_text=alt, title="Trotsky's funeral, August 1940",
                 extra={"model": model})


def _measure_words(measure: str) -> str:
    return {
        "procession_crowd": "followed the procession",
        "crowd_estimate": "at the funeral",
        "casket_visitors_total": "passed the casket by 27 August",
    }.get(measure, measure.replace("_", " "))


def article_only(row: datamod.FuneralRow) -> bool:
    """True for a figure that only the source article gives: a claim no other source supports, not a report."""
    return tuple(row.sources) == ("ART",)


def figure_words(row: datamod.FuneralRow, legend: bool = False) -> str:
    """How a chart names one funeral figure: REPORTED by its sources, or CLAIMED by the source article alone."""
    words = f"about {_number(row.value)} {_measure_words(row.measure)} {datamod.cite(row.sources)}"
    if article_only(row):
        return (f"CLAIMED by the source article only; no other source:\n{words}" if legend
                else f"that {words}, a figure no other source gives")
    return f"REPORTED: {words}" if legend else words


# --------------------------------------------------------------------------------------------------
# How long things took


INTERVALS = (
    # label, from event, to event, unit
    ("Trotsky in exile outside the USSR", "E006", "E037", "years"),
    ("Trotsky in Mexico", "E011", "E037", "years"),
    ("Mercader in prison", "E032", "E046", "years"),
    ("From the May raid to the attack", "E022", "E032", "days"),
    ("From the rehearsal visit to the attack", "E030", "E032", "days"),
)


@dataclass(frozen=True)
class Interval:
    """A span between two events, computed from their dates."""

    label: str
    start: datamod.Event
    end: datamod.Event
    unit: str

    @property
    def days(self) -> int:
        return (self.end.date - self.start.date).days

    @property
    def value(self) -> float:
        return round(self.days / 365.25, 1) if self.unit == "years" else float(self.days)

    @property
    def approximate(self) -> bool:
        """True when either end is known only to the month or year."""
        return any(e.date_precision in ("year", "month") for e in (self.start, self.end))


def intervals(evidence: datamod.Evidence | None = None) -> tuple[Interval, ...]:
    """The spans of :data:`INTERVALS`, computed from the events' dates."""
    evidence = evidence or datamod.load()
    return tuple(Interval(label, evidence.events_by_id[a], evidence.events_by_id[b], unit)
                 for label, a, b, unit in INTERVALS)


def durations_chart(evidence: datamod.Evidence | None = None, only: Sequence[str] | None = None) -> Chart:
    """Bars for how long things took: years of exile and prison; days from the raid to the attack.

    ``only`` keeps just the bars with these labels (see :data:`INTERVALS`), in that order: an exercise shows
    the bars its question is about, and no bar that answers a later question.
    """
    spans = intervals(evidence)
    if only is not None:
        by_label = {s.label: s for s in spans}
        unknown = [label for label in only if label not in by_label]
        if unknown:
            raise ValueError(f"durations_chart: no bar called {unknown[0]!r}; the bars are "
                             + ", ".join(repr(label) for label in by_label))
        spans = tuple(by_label[label] for label in only)
    groups = [(unit, unit) for unit in ("years", "days") if any(s.unit == unit for s in spans)]
    with _style():
        fig = Figure(figsize=(DISPLAY_WIDTH_PX / 100, 6.5 if len(groups) == 2 else 4.5), layout="constrained")
        axes = fig.subplots(len(groups), 1, height_ratios=[3, 2] if len(groups) == 2 else None, squeeze=False)[:, 0]
        for ax, (unit, axis_label) in zip(axes, groups, strict=True):
            chosen = [s for s in spans if s.unit == unit]
            ys = range(len(chosen))
            colours = [OKABE_ITO["blue"] if unit == "years" else OKABE_ITO["vermillion"]] * len(chosen)
            bars = ax.barh(list(ys), [s.value for s in chosen], color=colours,
                           hatch=["//" if s.approximate else "" for s in chosen], edgecolor="white")
            for bar, s in zip(bars, chosen, strict=True):
                text = f"{'about ' if s.approximate else ''}{s.value:g} {unit}"
                ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, "  " + text, va="center")
            ax.set_yticks(list(ys), [s.label for s in chosen])
            ax.invert_yaxis()
            ax.set_xlabel(axis_label)
            ax.set_xlim(0, max(s.value for s in chosen) * 1.45)
        fig.suptitle("How long things took (computed from the dates in the data)", fontsize=STYLE["axes.titlesize"])
        fig.legend(handles=[matplotlib.patches.Patch(facecolor=OKABE_ITO["blue"], hatch="//", edgecolor="white",
                                                         label="approximate: a date known only to the month or year")],
                   loc="outside lower left", frameon=False)
    parts = [f"{s.label}: {'about ' if s.approximate else ''}{s.value:g} {s.unit}" for s in spans]
    alt = "A bar chart of durations computed from the event dates: " + "; ".join(parts) + "."
    return Chart(figure=fig, data=spans, alt_text=alt, title="How long things took")


# --------------------------------------------------------------------------------------------------
# The ice axe


def ice_axe_drawing(evidence: datamod.Evidence | None = None) -> Chart:
    """A labelled schematic drawing of a mountaineering ice axe: pick, adze, shaft and spike.

    Its data are the versions of the dispute about which end struck (D04 in ``disputes.csv``).
    """
    evidence = evidence or datamod.load()
    dispute = next(d for d in evidence.disputes if "axe" in d.topic.lower() and "end" in d.topic.lower())
    versions = evidence.versions_of(dispute.id)
    with _style():
        fig = Figure(figsize=(10, 7), layout="constrained")
        ax = fig.add_subplot()
        ax.set_aspect("equal")
        ax.axis("off")
        grey, dark = "#9a9a9a", "#333333"
        # shaft and spike
        ax.add_patch(matplotlib.patches.Rectangle((-0.18, -6.0), 0.36, 6.0, color="#8c6d46"))
        ax.add_patch(matplotlib.patches.Polygon([(-0.18, -6.0), (0.18, -6.0), (0, -6.9)], color=grey))
        # head: adze to the left (flat and wide), pick to the right (narrow, pointed, curved down)
        ax.add_patch(matplotlib.patches.Rectangle((-0.5, -0.25), 1.0, 0.6, color=grey))
        ax.add_patch(matplotlib.patches.Polygon([(-0.5, 0.3), (-2.5, 0.55), (-2.5, -0.65), (-0.5, -0.2)],
                                                color=grey))
        ax.add_patch(matplotlib.patches.Polygon([(0.5, 0.35), (2.4, 0.0), (3.6, -0.9), (2.3, -0.35), (0.5, -0.2)],
                                                color=grey))
        label = {"fontsize": 16, "color": dark}
        arrow = {"arrowstyle": "->", "color": dark, "linewidth": 1.5}
        ax.annotate("adze\n(flat, wide end)", xy=(-2.2, 0.0), xytext=(-4.6, 1.6), arrowprops=arrow, **label)
        ax.annotate("pick\n(narrow, pointed end)", xy=(3.1, -0.6), xytext=(2.3, 1.6), arrowprops=arrow, **label)
        ax.annotate("shaft", xy=(0.18, -3.0), xytext=(1.4, -3.2), arrowprops=arrow, **label)
        ax.annotate("spike", xy=(0.05, -6.6), xytext=(1.4, -6.6), arrowprops=arrow, **label)
        ax.set_xlim(-5, 5)
        ax.set_ylim(-7.2, 2.8)
        ax.set_title("A mountaineering ice axe (not an ice pick)")
    said = "; ".join(f"{v.claim.rstrip('.')} {datamod.cite(v.sources)}" for v in versions)
    alt = (
        "A labelled drawing of a mountaineering ice axe: a shaft with a spike at the bottom and, at the top, a "
        "head with a flat, wide adze on one side and a narrow, pointed pick on the other. Which end struck "
        f"Trotsky is {dispute.status}: {said}."
    )
    return Chart(figure=fig, data=versions, alt_text=alt, title="A mountaineering ice axe",
                 extra={"dispute": dispute})
