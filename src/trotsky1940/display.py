"""Tables, boxes and reading lists for the notebooks, built from the data set.

Each function returns an :class:`Html` object: a notebook shows it as formatted HTML, ``str()`` gives plain
text (for tests and for readers without HTML). Nothing here is typed into a notebook by hand: dates,
titles, confidence ratings and citations all come from ``data/``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

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


def event_table(phase: str | None = None, evidence: datamod.Evidence | None = None,
                start: int | None = None, end: int | None = None) -> Html:
    """The events of one phase (or all), in order: date, what happened, how sure, sources."""
    evidence = evidence or datamod.load()
    events = [e for e in evidence.events_in(phase)
              if (start is None or e.date.year >= start) and (end is None or e.date.year <= end)]
    rows, lines = [], []
    for e in events:
        people = ", ".join(evidence.people_by_id[p].name for p in e.people)
        flag = f" See source check {e.dispute}." if e.uncertain else ""
        rows.append(
            f"<tr><td style='white-space:nowrap'>{_e(e.label)}</td><td><strong>{_e(e.title)}</strong><br>"
            f"{_e(e.summary)}{_e(flag)}</td><td>{_e(people)}</td><td>{confidence_badge(e.confidence)}</td>"
            f"<td>{_e(cite(e.sources))}</td></tr>"
        )
        lines.append(f"{e.label}: {e.title} ({CONFIDENCE_WORDS[e.confidence]}) {cite(e.sources)}")
    markup = (
        "<table class='t40-events' style='text-align:left'><thead><tr><th>When</th><th>What happened</th>"
        "<th>Who</th><th>How sure</th><th>Sources</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )
    return Html(markup, "\n".join(lines))


def event_card(event_id: str, evidence: datamod.Evidence | None = None) -> Html:
    """One event in full: date, title, summary, people, place, confidence, sources and note."""
    evidence = evidence or datamod.load()
    e = evidence.events_by_id[event_id]
    people = ", ".join(evidence.people_by_id[p].name for p in e.people) or "—"
    place = evidence.places_by_id[e.place].name if e.place else "—"
    parts = [
        f"<div class='t40-card' style='{BOX_STYLE.format(colour='#0072B2', background='#eef5fb')}'>",
        f"<div>{_e(e.label)}</div><div style='font-size:1.15em'><strong>{_e(e.title)}</strong></div>",
        f"<p>{_e(e.summary)}</p><p><strong>Who:</strong> {_e(people)}. <strong>Where:</strong> {_e(place)}. "
        f"<strong>How sure:</strong> {confidence_badge(e.confidence)}. <strong>Sources:</strong> "
        f"{_e(cite(e.sources))}</p>",
    ]
    if e.note:
        parts.append(f"<p><em>Note:</em> {_e(e.note)}</p>")
    parts.append("</div>")
    text = f"{e.label} — {e.title}. {e.summary} ({CONFIDENCE_WORDS[e.confidence]}; {cite(e.sources)})"
    return Html("".join(parts), text)


def source_check(dispute_id: str, evidence: datamod.Evidence | None = None, conclusion: bool = True) -> Html:
    """A 'Source check' box: what the article says, each version with who gives it, and what we can say
    (``conclusion=False`` leaves that last line out: an exercise that asks students to draw it)."""
    evidence = evidence or datamod.load()
    d = evidence.disputes_by_id[dispute_id]
    versions = evidence.versions_of(dispute_id)
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
        f"<div style='font-size:1.1em'><strong>🔎 Source check {d.id}: {_e(d.topic)}</strong> — {_e(status)}</div>"
        f"{article}<p><strong>What the sources say:</strong></p><ul>{items}</ul>"
        + (f"<p><strong>What we can safely say:</strong> {_e(d.suggested_wording)}</p>" if conclusion else
           "<p><strong>What we can safely say:</strong> that is for you to work out.</p>")
        + "</div>"
    )
    text_lines = [f"Source check {d.id}: {d.topic} ({status})"]
    if d.article_claim:
        text_lines.append(f"The article says: {d.article_claim} [ART]")
    text_lines += [f"- {v.claim} {cite(v.sources)} ({ASSESSMENT_WORDS[v.assessment]})" for v in versions]
    if conclusion:
        text_lines.append(f"What we can safely say: {d.suggested_wording}")
    return Html(markup, "\n".join(text_lines))


def who_is_who(ids: Iterable[str] | None = None, evidence: datamod.Evidence | None = None) -> Html:
    """A table of people (all, or the given ids in that order): name, life dates, aliases, role."""
    evidence = evidence or datamod.load()
    people = [evidence.people_by_id[i] for i in ids] if ids is not None else list(evidence.people)
    rows, lines = [], []
    for p in people:
        aliases = "; ".join(p.aliases)
        rows.append(f"<tr><td><strong>{_e(p.name)}</strong></td><td style='white-space:nowrap'>{_e(p.life)}</td>"
                    f"<td>{_e(aliases)}</td><td>{_e(p.role)}</td><td>{_e(cite(p.sources))}</td></tr>")
        lines.append(f"{p.name} ({p.life or 'dates not given'}): {p.role} {cite(p.sources)}")
    markup = ("<table class='t40-people' style='text-align:left'><thead><tr><th>Name</th><th>Life</th>"
              "<th>Also known as</th><th>Role in this story</th><th>Sources</th></tr></thead><tbody>"
              + "".join(rows) + "</tbody></table>")
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
