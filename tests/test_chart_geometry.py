"""Charts that survive a projector (issue 13, items 1 and 2): the geometry of every chart and of every frame of
the timeline explorer, measured on the figures in display coordinates (artist extents, marker centres), never
on pixels.

What each test catches (each failed on the code before this change):

- ``test_nothing_is_clipped``: the hours chart's legend cut at the right edge ("known only to the d"), the
  overview timeline's marks cut at the left edge of the axes, explorer tick labels and captions outside the
  figure.
- ``test_text_is_at_least_14_pt_as_shown``: the explorer's 12 pt row labels and title, its 13 pt caption, the
  charts' 13 pt legends (and 12-inch figures shown at 1000 px, which shrinks 14 pt to 11.7 pt).
- ``test_no_two_event_marks_overlap``: 37 events drawn as about 20 marks; in "The first attempt?" 5 events as
  3 marks, with the unconfirmed March 1939 diamond under a confirmed circle.
- ``test_legend_glyphs_are_marks_that_are_drawn``: the legend's grey circle that matches no mark.
- ``test_dense_years_get_the_room``: the all-phases view spending 4 % of its width on 1936-1941.
- ``test_the_caption_never_covers_a_title``: the zoom caption drawn over the title.
- ``test_zoomed_row_labels_are_whole_titles``: row labels cut to "In the study, Mercader strikes Trotsky…".

The rule for text size: a figure is saved at its own size and dpi (``Chart.png`` and ``TimelinePlot.png``) and
a notebook shows it at most ``charts.DISPLAY_WIDTH_PX`` (1000) CSS pixels wide (``max-width:100%`` for charts,
``max_width="1000px"`` for the explorer's image). A figure saved wider than that is shown scaled down by
1000 / its width, so a Text artist passes when ``fontsize × min(1, 1000 / saved width in px) ≥ 14``.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools

import matplotlib.colors as mcolors
import matplotlib.dates as mdates
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.lines import Line2D
from matplotlib.markers import MarkerStyle
from matplotlib.text import Text

from trotsky1940 import charts, data, timeline

MIN_PT = 14
TOLERANCE_PX = 0.5

CHARTS = {
    "timeline 1929-1940 (00-start-here)": lambda: charts.timeline_chart(1929, 1940),
    "timeline 1927-1940 background (01)": lambda: charts.timeline_chart(1927, 1940, phase="background"),
    "timeline 1938-1940 first attempt (02)": lambda: charts.timeline_chart(1938, 1940, phase="first-attempt"),
    "timeline 1939-1940 second attempt": lambda: charts.timeline_chart(1939, 1940, phase="second-attempt"),
    "timeline 1879-2023 everything": lambda: charts.timeline_chart(1879, 2023),
    "timeline 1953-2023 aftermath": lambda: charts.timeline_chart(1953, 2023, phase="aftermath"),
    "hours (03)": charts.hours_chart,
    "funeral (04)": charts.funeral_chart,
    "durations (04)": charts.durations_chart,
    "durations only (exercises 01)": lambda: charts.durations_chart(
        only=["Trotsky in exile outside the USSR", "Trotsky in Mexico"]),
    "durations only days": lambda: charts.durations_chart(only=["From the May raid to the attack"]),
    "ice axe (03)": charts.ice_axe_drawing,
}

VIEWS = [(phase, zoom) for phase in (timeline.ALL, *data.PHASES) for zoom in (False, True)]


@functools.cache
def chart(name: str) -> charts.Chart:
    made = CHARTS[name]()
    FigureCanvasAgg(made.figure)
    made.figure.canvas.draw()
    return made


@functools.cache
def plot(phase: str, zoom: bool) -> timeline.TimelinePlot:
    return timeline.TimelinePlot(timeline.select_events(data.load(), phase, zoom), zoom=zoom)


def frames(phase: str, zoom: bool):
    """Each frame of an explorer view: no highlight, then each event highlighted (drawn by ``png``)."""
    p = plot(phase, zoom)
    for index in (None, *range(len(p.events))):
        assert p.png(index).startswith(b"\x89PNG")
        yield index, p


def view_id(view) -> str:
    return f"{view[0]}-{'zoom' if view[1] else 'years'}"


# -- what is drawn ---------------------------------------------------------------------------------------------


def drawn_texts(fig, caption=None) -> list[Text]:
    """Every Text artist drawn: tick labels of the ticks in view, titles, labels, legends, annotations; for an
    explorer frame, the caption if this frame drew it (animated artists are drawn only by blitting)."""
    renderer = fig.canvas.get_renderer()
    tick_labels, drawn_ticks = set(), []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                tick_labels.update((tick.label1, tick.label2))
            if ax.axison and axis.get_visible():
                drawn_ticks += [label for tick in axis._update_ticks() for label in (tick.label1, tick.label2)]
    texts = [t for t in fig.findobj(Text) if t not in tick_labels and not t.get_animated()] + drawn_ticks
    if caption is not None:
        texts.append(caption)
    return [t for t in texts if t.get_visible() and t.get_text().strip() and t.get_window_extent(renderer).width > 0]


def event_marks(fig) -> list[tuple[float, float, float, Line2D]]:
    """Marker centres (display px) and extents (px, edge included) of every marker drawn in the axes."""
    marks = []
    for ax in fig.axes:
        for line in ax.lines:
            if line.get_animated() or not line.get_visible() or line.get_marker() in (None, "None", "none", ""):
                continue
            style = MarkerStyle(line.get_marker())
            ext = style.get_path().transformed(style.get_transform()).get_extents()
            size_pt = max(ext.width, ext.height) * line.get_markersize() + line.get_markeredgewidth()
            for x, y in line.get_transform().transform(line.get_xydata()):
                marks.append((x, y, size_pt * fig.dpi / 72, line))
    return marks


def inside(inner, outer, tolerance=TOLERANCE_PX) -> bool:
    return (inner.x0 >= outer.x0 - tolerance and inner.y0 >= outer.y0 - tolerance
            and inner.x1 <= outer.x1 + tolerance and inner.y1 <= outer.y1 + tolerance)


def assert_nothing_clipped(fig, what: str, caption=None) -> None:
    renderer = fig.canvas.get_renderer()
    for text in drawn_texts(fig, caption):
        box = text.get_window_extent(renderer)
        assert inside(box, fig.bbox), f"{what}: {text.get_text()!r} at {box.bounds} leaves the figure {fig.bbox.bounds}"
    for legend in fig.legends + [ax.get_legend() for ax in fig.axes if ax.get_legend()]:
        box = legend.get_window_extent(renderer)
        assert inside(box, fig.bbox), f"{what}: the legend at {box.bounds} leaves the figure"
    for x, y, size, line in event_marks(fig):
        ax_box = line.axes.bbox
        half = size / 2
        assert (ax_box.x0 - 1 <= x - half and x + half <= ax_box.x1 + 1
                and ax_box.y0 - 1 <= y - half and y + half <= ax_box.y1 + 1), \
            f"{what}: a mark at ({x:.0f}, {y:.0f}) is cut by the edge of the axes {ax_box.bounds}"


def assert_text_size(fig, what: str, caption=None) -> None:
    width_px = fig.get_size_inches()[0] * fig.dpi
    shown = min(1.0, charts.DISPLAY_WIDTH_PX / width_px)
    for text in drawn_texts(fig, caption):
        size = text.get_fontsize() * shown
        assert size >= MIN_PT - 1e-6, \
            f"{what}: {text.get_text()!r} is {size:.1f} pt as shown (saved {width_px:.0f} px wide)"


def assert_marks_apart(fig, what: str) -> None:
    marks = event_marks(fig)
    for (x1, y1, s1, _), (x2, y2, s2, _) in itertools.combinations(marks, 2):
        distance = ((x1 - x2) ** 2 + (y1 - y2) ** 2) ** 0.5
        assert distance >= (s1 + s2) / 2 - TOLERANCE_PX, \
            f"{what}: marks at ({x1:.0f}, {y1:.0f}) and ({x2:.0f}, {y2:.0f}) are {distance:.1f} px apart, " \
            f"less than their size {(s1 + s2) / 2:.1f} px"


# -- the charts ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CHARTS)
def test_nothing_is_clipped(name):
    made = chart(name)
    assert_nothing_clipped(made.figure, name)


@pytest.mark.parametrize("name", CHARTS)
def test_text_is_at_least_14_pt_as_shown(name):
    assert_text_size(chart(name).figure, name)


@pytest.mark.parametrize("name", CHARTS)
def test_no_two_event_marks_overlap(name):
    made = chart(name)
    assert_marks_apart(made.figure, name)
    if name.startswith("timeline"):
        assert len(event_marks(made.figure)) == len(made.data), "every event has a mark of its own"


@pytest.mark.parametrize("name", [n for n in CHARTS if n.startswith(("timeline", "hours", "funeral"))])
def test_legend_glyphs_are_marks_that_are_drawn(name):
    fig = chart(name).figure
    def style(line):
        return (line.get_marker(), round(line.get_markersize(), 3), round(line.get_markeredgewidth(), 3),
                mcolors.to_hex(line.get_markerfacecolor()), mcolors.to_hex(line.get_markeredgecolor()))
    drawn = {style(line) for _, _, _, line in event_marks(fig)}
    legends = fig.legends + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    glyphs = [line for legend in legends for line in legend.findobj(Line2D)
              if line.get_marker() not in (None, "None", "none", "")]
    assert glyphs, f"{name}: the legend shows the marks"
    for glyph in glyphs:
        assert style(glyph) in drawn, f"{name}: legend glyph {style(glyph)} matches no mark drawn ({sorted(drawn)})"


def test_the_first_attempt_shows_five_marks_and_the_unconfirmed_diamond(evidence):
    made = chart("timeline 1938-1940 first attempt (02)")
    assert len(made.data) == 5
    marks = event_marks(made.figure)
    diamonds = [m for m in marks
                if m[3].get_marker() == "D" and mcolors.to_hex(m[3].get_markerfacecolor()) == "#ffffff"]
    assert len(marks) == 5 and len(diamonds) == sum(e.uncertain for e in made.data) == 1


def test_dense_years_get_the_room():
    for name in ("timeline 1879-2023 everything", "timeline 1929-1940 (00-start-here)"):
        ax = chart(name).figure.axes[0]
        share = focus_share(ax)
        assert share >= 0.5, f"{name}: the years 1936-1941 take {share:.0%} of the width"
    share = focus_share(plot(timeline.ALL, False).ax)
    assert share >= 0.5, f"the explorer's all-phases view gives 1936-1941 only {share:.0%} of its width"


def focus_share(ax) -> float:
    lo, hi = ax.get_xlim()
    a = max(lo, mdates.date2num(dt.datetime(charts.FOCUS_YEARS[0], 1, 1)))
    b = min(hi, mdates.date2num(dt.datetime(charts.FOCUS_YEARS[1] + 1, 1, 1)))
    xa, xb = (ax.transData.transform((x, 0))[0] for x in (a, b))
    return (xb - xa) / ax.bbox.width


# -- the explorer's frames -------------------------------------------------------------------------------------


def caption_of(p: timeline.TimelinePlot, index):
    return p.highlight[-1] if index is not None and p.highlight else None


@pytest.mark.parametrize("view", VIEWS, ids=view_id)
def test_explorer_frames_are_not_clipped_and_text_is_large(view):
    for index, p in frames(*view):
        what = f"{view_id(view)}, frame {index}"
        assert_nothing_clipped(p.figure, what, caption_of(p, index))
        assert_text_size(p.figure, what, caption_of(p, index))


@pytest.mark.parametrize("view", VIEWS, ids=view_id)
def test_explorer_marks_do_not_overlap(view):
    p = plot(*view)
    assert_marks_apart(p.figure, view_id(view))
    if not view[1] and p.events:
        assert len(event_marks(p.figure)) == len(p.events), "every event has a mark of its own"
        for i in range(len(p.events)):  # the highlight sits on the event's own mark
            x, y = p.ax.transData.transform((p.x(p.events[i]), p.y(i)))
            assert min(((x - mx) ** 2 + (y - my) ** 2) ** 0.5 for mx, my, _, _ in event_marks(p.figure)) < 1


@pytest.mark.parametrize("view", VIEWS, ids=view_id)
def test_the_caption_never_covers_a_title(view):
    for index, p in frames(*view):
        caption = caption_of(p, index)
        if caption is None:
            continue
        renderer = p.figure.canvas.get_renderer()
        box = caption.get_window_extent(renderer)
        titles = [t for t in (p.figure._suptitle, *(t for a in p.figure.axes
                                                    for t in (a.title, a._left_title, a._right_title)))
                  if t is not None and t is not caption]
        for title in titles:
            if title.get_visible() and title.get_text():
                assert not box.overlaps(title.get_window_extent(renderer)), \
                    f"{view_id(view)}, frame {index}: the caption {caption.get_text()!r} covers {title.get_text()!r}"
        assert box.y0 >= p.ax.bbox.y1 - TOLERANCE_PX, "the caption sits above the axes, not over the marks"


def test_zoomed_row_labels_are_whole_titles(evidence):
    p = plot(timeline.ALL, True)
    labels = [t.get_text().replace("\n", " ") for t in p.ax.get_yticklabels()]
    assert labels == [e.title for e in p.events]


def test_dodge_stacks_points_closer_than_the_separation():
    slots = charts.dodge_slots([100, 100, 100, 105, 300], sep_px=20)
    assert slots[4] == 0 and len(set(slots[:4])) == 4
    assert charts.dodge_slots([0, 20, 40], sep_px=20) == [0, 0, 0]
