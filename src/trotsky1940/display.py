"""Tables, boxes and reading lists for the notebooks, built from the data set.

Each function returns an :class:`Html` object: a notebook shows it as formatted HTML, ``str()`` gives plain
text (for tests and for readers without HTML). Nothing here is typed into a notebook by hand: dates,
titles, confidence ratings and citations all come from ``data/``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass

from . import data as datamod
from .data import cite

CONFIDENCE_WORDS = {
    "H": "high confidence",
    "M": "medium confidence",
    "L": "low confidence",
    "disputed": "disputed",
    "unconfirmed": "unconfirmed",
}

ASSESSMENT_WORDS = {
    "best-supported": "best supported",
    "supported": "supported",
    "weak": "weak evidence",
    "unsupported": "not supported by other sources",
    "wrong": "contradicted by better sources",
}

WEB_NOTE = ("WEB: a web page of low reliability (a blog, a content farm or a copy of unclear origin), not a "
            "citable source; such a version is listed only because it circulates.")
"""The footnote of every source-check box that lists a version resting on WEB."""

TABLE_STYLE = "border-collapse:collapse; width:100%; text-align:left"
CELL_STYLE = "text-align:left; vertical-align:top; padding:0.3em 0.6em; border-bottom:1px solid #ccc"
# JupyterLab's CSS right-aligns table cells: every th and td states its alignment (and width) itself.
NOWRAP = "; white-space:nowrap"

BOX_STYLE = ("border-left:6px solid {colour}; background:{background}; padding:0.6em 1em; margin:0.6em 0; "
             "color:#111; font-size:1em; line-height:1.45")


class Html:
    """HTML for a notebook, with a plain-text twin for tests and text-only readers."""

    def __init__(self, markup: str, text: str):
        self.markup, self.text = markup, text

    def _repr_html_(self) -> str:
        return self.markup

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text


def _e(text: object) -> str:
    return html.escape(str(text))


def confidence_badge(level: str) -> str:
    """A small label for a confidence level: words and shape, not colour alone."""
    words = CONFIDENCE_WORDS[level]
    mark = "⚠ " if level in ("disputed", "unconfirmed") else ""
    return (f'<span class="t40-confidence t40-{_e(level)}" style="border:1px solid #555; border-radius:4px; '
            f'padding:0 0.35em; white-space:nowrap">{mark}{_e(words)}</span>')


def _th(label: str, width: str = "", nowrap: bool = False) -> str:
    style = CELL_STYLE + (f"; width:{width}" if width else "") + (NOWRAP if nowrap else "")
    return f"<th style='{style}'>{_e(label)}</th>"


def _td(content: str, width: str = "", nowrap: bool = False) -> str:
    """A left-aligned cell; ``content`` is HTML already escaped."""
    style = CELL_STYLE + (f"; width:{width}" if width else "") + (NOWRAP if nowrap else "")
    return f"<td style='{style}'>{content}</td>"


def _names(ids: Iterable[str], evidence: datamod.Evidence) -> str:
    return ", ".join(evidence.people_by_id[p].name for p in ids)


def reported_by(event: datamod.Event, evidence: datamod.Evidence) -> str:
    """'According to Patenaude, Levine.' for an event told on a historian's or author's word, else ''."""
    return f"According to {_names(event.reported_by, evidence)}." if event.reported_by else ""


def event_table(phase: str | None = None, evidence: datamod.Evidence | None = None,
                start: int | None = None, end: int | None = None) -> Html:
    """The events of one phase (or all), in order: date, what happened, who took part, how sure, sources.

    "Who took part" lists only participants; historians and authors whose account a row reports are named with
    its sources ("According to Kotkin.")."""
    evidence = evidence or datamod.load()
    events = [e for e in evidence.events_in(phase)
              if (start is None or e.date.year >= start) and (end is None or e.date.year <= end)]
    rows, lines = [], []
    for e in events:
        people = _names(e.people, evidence)
        flag = f" See source check {e.dispute}." if e.uncertain else ""
        according = reported_by(e, evidence)
        sources = (f"{_e(according)}<br>" if according else "") + _e(cite(e.sources))
        rows.append(
            "<tr>" + _td(_e(e.label), "9em", nowrap=True)
            + _td(f"<strong>{_e(e.title)}</strong><br>{_e(e.summary)}{_e(flag)}", "55%")
            + _td(_e(people), "14%") + _td(confidence_badge(e.confidence), nowrap=True)
            + _td(sources, "12%") + "</tr>"
        )
        lines.append(f"{e.label}: {e.title} ({CONFIDENCE_WORDS[e.confidence]}) "
                     + (f"{according} " if according else "") + cite(e.sources))
    markup = (
        f"<table class='t40-events' style='{TABLE_STYLE}'><thead><tr>" + _th("When", "9em", nowrap=True)
        + _th("What happened", "55%") + _th("Who took part", "14%") + _th("How sure", nowrap=True)
        + _th("Sources", "12%") + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )
    return Html(markup, "\n".join(lines))


@dataclass(frozen=True)
class EventFacts:
    """What every view of one event says (the card here, the explorer's card, its text twin): computed once."""

    label: str
    title: str
    summary: str
    people: str  # the participants' names, "" when none is named
    place: str  # "" when not given
    according: str  # "According to Patenaude." when told on a historian's or author's word, else ""
    sources: str  # "[B66] Wikipedia: Leon Trotsky; [B65] Spartacus Educational"
    confidence: str  # "high confidence", …
    note: str


def event_facts(e: datamod.Event, evidence: datamod.Evidence) -> EventFacts:
    """The facts of one event as the views show them (see :class:`EventFacts`)."""
    return EventFacts(
        label=e.label, title=e.title, summary=e.summary, people=_names(e.people, evidence),
        place=evidence.places_by_id[e.place].name if e.place else "", according=reported_by(e, evidence),
        sources="; ".join(f"[{s}] {evidence.sources_by_id[s].short}" for s in e.sources),
        confidence=CONFIDENCE_WORDS[e.confidence], note=e.note or "")


def event_card(event_id: str, evidence: datamod.Evidence | None = None) -> Html:
    """One event in full: date, title, summary, who took part, place, confidence, sources (with the historians
    or authors whose account it reports) and note."""
    evidence = evidence or datamod.load()
    e = evidence.events_by_id[event_id]
    facts = event_facts(e, evidence)
    people, according, place = facts.people or "—", facts.according, facts.place or "—"
    parts = [
        f"<div class='t40-card' style='{BOX_STYLE.format(colour='#0072B2', background='#eef5fb')}'>",
        f"<div>{_e(e.label)}</div><div style='font-size:1.15em'><strong>{_e(e.title)}</strong></div>",
        f"<p>{_e(e.summary)}</p><p><strong>Who took part:</strong> {_e(people)}. <strong>Where:</strong> {_e(place)}. "
        f"<strong>How sure:</strong> {confidence_badge(e.confidence)}. <strong>Sources:</strong> "
        + (f"{_e(according)} " if according else "") + f"{_e(cite(e.sources))}</p>",
    ]
    if e.note:
        parts.append(f"<p><em>Note:</em> {_e(e.note)}</p>")
    parts.append("</div>")
    text = (f"{e.label} — {e.title}. {e.summary} ({CONFIDENCE_WORDS[e.confidence]}; "
            + (f"{according} " if according else "") + f"{cite(e.sources)})")
    return Html("".join(parts), text)


def source_check(dispute_id: str, evidence: datamod.Evidence | None = None, conclusion: bool = True) -> Html:
    """A 'Source check' box: what the article says, each version with who gives it, and what we can say
    (``conclusion=False`` leaves that last line out: an exercise that asks students to draw it)."""
    evidence = evidence or datamod.load()
    d = evidence.disputes_by_id[dispute_id]
    versions = evidence.versions_of(dispute_id)
    web = any(datamod.UNCITED in v.sources for v in versions)
    status = "Sources disagree" if d.status == "disputed" else "Not confirmed by the sources consulted"
    items = "".join(
        f"<li>{_e(v.claim)} <strong>{_e(cite(v.sources))}</strong> — <em>{_e(ASSESSMENT_WORDS[v.assessment])}</em>"
        + (f". {_e(v.note)}" if v.note else "") + "</li>"
        for v in versions
    )
    article = (f"<p><strong>What the source article says:</strong> {_e(d.article_claim)} [ART]</p>"
               if d.article_claim else "")
    markup = (
        f"<div class='t40-source-check' style='{BOX_STYLE.format(colour='#E69F00', background='#fff6e0')}'>"
        f"<div style='font-size:1.1em'><strong>Source check {d.id}: {_e(d.topic)}</strong> — {_e(status)}</div>"
        f"{article}<p><strong>What the sources say:</strong></p><ul>{items}</ul>"
        + (f"<p><strong>What we can safely say:</strong> {_e(d.suggested_wording)}</p>" if conclusion else
           "<p><strong>What we can safely say:</strong> that is for you to work out.</p>")
        + (f"<p style='font-size:0.9em'>{_e(WEB_NOTE)}</p>" if web else "")
        + "</div>"
    )
    text_lines = [f"Source check {d.id}: {d.topic} ({status})"]
    if d.article_claim:
        text_lines.append(f"The article says: {d.article_claim} [ART]")
    text_lines += [f"- {v.claim} {cite(v.sources)} ({ASSESSMENT_WORDS[v.assessment]})" for v in versions]
    if conclusion:
        text_lines.append(f"What we can safely say: {d.suggested_wording}")
    if web:
        text_lines.append(WEB_NOTE)
    return Html(markup, "\n".join(text_lines))


def who_is_who(ids: Iterable[str] | None = None, evidence: datamod.Evidence | None = None) -> Html:
    """A table of people (all, or the given ids in that order): name, life dates, aliases, role."""
    evidence = evidence or datamod.load()
    people = [evidence.people_by_id[i] for i in ids] if ids is not None else list(evidence.people)
    rows, lines = [], []
    for p in people:
        aliases = "; ".join(p.aliases)
        rows.append("<tr>" + _td(f"<strong>{_e(p.name)}</strong>", "14%") + _td(_e(p.life), nowrap=True)
                    + _td(_e(aliases), "20%") + _td(_e(p.role), "45%") + _td(_e(cite(p.sources)), "12%")
                    + "</tr>")
        lines.append(f"{p.name} ({p.life or 'dates not given'}): {p.role} {cite(p.sources)}")
    markup = (f"<table class='t40-people' style='{TABLE_STYLE}'><thead><tr>" + _th("Name", "14%")
              + _th("Life", nowrap=True) + _th("Also known as", "20%") + _th("Role in this story", "45%")
              + _th("Sources", "12%") + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>")
    return Html(markup, "\n".join(lines))


def further_reading(*ids: str, evidence: datamod.Evidence | None = None) -> Html:
    """The bibliography entries for ``ids`` from ``sources.csv``, in the order given."""
    evidence = evidence or datamod.load()
    unknown = [i for i in ids if i not in evidence.sources_by_id]
    if unknown:
        raise KeyError(f"not in data/sources.csv: {', '.join(unknown)}")
    items, lines = [], []
    for i in ids:
        s = evidence.sources_by_id[i]
        link = f" <a href='{_e(s.url)}'>{_e(s.url)}</a>" if s.url else ""
        items.append(f"<li>[{_e(s.id)}] {_e(s.citation)}{link}</li>")
        lines.append(f"[{s.id}] {s.citation}" + (f" {s.url}" if s.url else ""))
    return Html("<ul class='t40-reading'>" + "".join(items) + "</ul>", "\n".join(lines))


def data_summary(evidence: datamod.Evidence | None = None) -> Html:
    """One line on the size of the data set: events, people, places, sources, and uncertain points."""
    evidence = evidence or datamod.load()
    uncertain = sum(e.uncertain for e in evidence.events)
    text = (f"The data set holds {len(evidence.events)} events, {len(evidence.people)} people, "
            f"{len(evidence.places)} places and {len(evidence.sources)} sources. It records "
            f"{len(evidence.disputes)} points that are disputed or unconfirmed; {uncertain} of the events "
            "are marked that way.")
    return Html(f"<p>{_e(text)}</p>", text)
