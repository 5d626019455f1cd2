"""Charts for the notebooks. Each function returns a :class:`Chart`: the figure, the data it drew, and a
one-sentence text alternative generated from that data.

Rules every chart follows:

- colours from the Okabe–Ito palette, which stays distinguishable with the common colour-vision
  deficiencies, and never colour alone: uncertain items also differ in marker or hatching;
- text large enough for a projector (14 pt and up);
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
from typing import Any

import matplotlib
import matplotlib.dates as mdates
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

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
    "legend.fontsize": 13,
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
        self.figure.savefig(buffer, format="png", bbox_inches="tight", metadata={"Software": None})
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


@contextlib.contextmanager
def _style() -> Iterator[None]:
    with matplotlib.rc_context(STYLE):
        yield


def _number(n: int) -> str:
    return f"{n:,}"


def timeline_chart(start: int = 1929, end: int = 1940, phase: str | None = None,
                   evidence: datamod.Evidence | None = None) -> Chart:
    """Draw the events from ``start`` to ``end`` (years, inclusive) on a date axis, one row per phase.

    Events the sources dispute, or that no source confirms, are drawn as hollow markers.
    """
    evidence = evidence or datamod.load()
    chosen = [e for e in evidence.events_in(phase) if start <= e.date.year <= end]
    if not chosen:
        raise ValueError(f"no events between {start} and {end}" + (f" in phase {phase!r}" if phase else ""))
    phases = [p for p in datamod.PHASES if any(e.phase == p for e in chosen)]
    with _style():
        fig = Figure(figsize=(12, 1.6 + 0.9 * len(phases)), layout="constrained")
        ax = fig.add_subplot()
        for row, name in enumerate(reversed(phases)):
            items = [e for e in chosen if e.phase == name]
            colour = PHASE_COLOURS[name]
            for e in items:
                hollow = e.uncertain
                ax.plot(mdates.date2num(e.midpoint), row, marker="D" if hollow else "o", markersize=11,
                        markerfacecolor="white" if hollow else colour, markeredgecolor=colour,
                        markeredgewidth=2.2, linestyle="none", zorder=4 if hollow else 3)
                if e.end_date:
                    ax.plot([mdates.date2num(e.when), mdates.date2num(e.end_date)], [row, row], color=colour,
                            linewidth=5, alpha=0.45, solid_capstyle="butt", zorder=2)
        ax.set_yticks(range(len(phases)), [datamod.PHASE_TITLES[p] for p in reversed(phases)])
        ax.set_ylim(-0.7, len(phases) - 0.3)
        ax.set_xlim(mdates.date2num(dt.datetime(start, 1, 1)), mdates.date2num(dt.datetime(end, 12, 31)))
        ax.xaxis.set_major_locator(mdates.YearLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        ax.grid(axis="x", color="#cccccc", linewidth=0.8)
        title = f"Events {start}–{end}" + (f": {datamod.PHASE_TITLES[phase]}" if phase else "")
        ax.set_title(title)
        ax.legend(
            handles=[
                Line2D([], [], marker="o", linestyle="none", markersize=11, color="#444444",
                       label="sources agree (H, M, L)"),
                Line2D([], [], marker="D", linestyle="none", markersize=11, markerfacecolor="white",
                       markeredgecolor="#444444", markeredgewidth=2.2, label="disputed or unconfirmed"),
            ],
            loc="upper left", frameon=False, bbox_to_anchor=(0, -0.12), ncol=2,
        )
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
