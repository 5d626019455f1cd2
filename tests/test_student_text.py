"""No internal wording reaches students (issue 13, item 7).

Scans what students see for markers that belong to the project's working files, not to a lesson: notes to
the team ("version handed to the project", "[article on …]" placeholder titles, TODO/FIXME/XXX), raw
confidence codes ("(L)", "is M") and the source id WEB where nothing says what it means. Two kinds of
text are scanned:

- what ``display.*`` and the timeline cards render, called over every event, dispute, person and source of
  the data set (rendered here, so a fix in the code or the data shows at once);
- the Markdown cells and the *stored* outputs (and saved widget state) of the chapter notebooks
  (``notebooks/*.ipynb``) and the student exercise copies (``exercises/*.ipynb``). Stored outputs change
  only when the notebooks are re-executed, so a failure there after a fix in ``data/`` or ``display.py``
  means: re-execute (``make execute``, ``build-exercises --execute``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from trotsky1940 import display, timeline

from .helpers import ROOT

MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("note to the team", re.compile(r"version handed to the project|handed to the project", re.I)),
    ("placeholder title", re.compile(r"\[article on\b", re.I)),
    ("raw confidence code", re.compile(r"\((?:[^()]*[;,]\s*)?[HML](?:\s*[;,][^()]*)?\)")),
    ("raw confidence code", re.compile(r"\b(?:is|are|rated)\s+[HML]\b(?![.'’\w])")),
    ("work marker", re.compile(r"\b(?:TODO|FIXME|XXX)\b")),
)
SCALE = re.compile(r"\bH\b.*\bM\b.*\bL\b")
WEB = "[WEB]"
WEB_EXPLAINED = re.compile(r"WEB\W{1,3}(?:means\W{1,3})?(?:a|an|uncited)\b[^.]*web page", re.I)
"""What must stand beside "[WEB]": a line saying what WEB is (display.WEB_NOTE says it)."""

DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]+")
TAG = re.compile(r"<[^>]+>")


def problems(text: str) -> list[str]:
    """The internal markers in one piece of student-facing text, each with a little context."""
    text = DATA_URI.sub("", text)
    found = []
    for what, pattern in MARKERS:
        for match in pattern.finditer(text):
            if SCALE.search(match.group()):
                continue  # the scale itself, e.g. "(H, M, L, disputed, unconfirmed)"
            start = max(0, match.start() - 40)
            found.append(f"{what}: …{text[start:match.end() + 40]}…".replace("\n", " "))
    if WEB in text and not WEB_EXPLAINED.search(TAG.sub("", text)):
        index = text.index(WEB)
        found.append(f"[WEB] not explained: …{text[max(0, index - 60):index + 10]}…".replace("\n", " "))
    return found


def test_the_scan_finds_each_marker():
    for bad in ("CC BY-SA 4.0 (version handed to the project)", "E. Soto, [article on the wound], 2010",
                "Took the name in 1902 (L).", "(code name; M, B02)", "The birth date is H; the year is M.",
                "TODO check", "- 25 raiders. [WEB] (weak evidence)"):
        assert problems(bad), bad
    for good in ("Hero of the Soviet Union (HSU)", "Trotsky (1879–1940)", "He is H. Dewar's source",
                 "- 25 raiders. [WEB] (weak evidence)\nWEB: a web page of low reliability, not a citable source",
                 "high confidence", "data:image/png;base64,AAAXXXAAA",
                 "how the module rates its facts (H, M, L, disputed, unconfirmed)"):
        assert not problems(good), good


# --------------------------------------------------------------------------------------------------
# What the code renders, over the whole data set


def rendered(evidence) -> Iterator[tuple[str, str]]:
    """(label, text) for every HTML and plain-text rendering students can be shown."""
    def both(label, obj):
        yield label + " (text)", str(obj)
        yield label + " (html)", obj._repr_html_()

    for event in evidence.events:
        yield from both(f"event_card({event.id})", display.event_card(event.id, evidence=evidence))
        yield f"timeline card_text({event.id})", timeline.card_text(event, evidence, 1, 1)
        yield f"timeline card_html({event.id})", timeline.card_html(event, evidence, 1, 1)
    yield from both("event_table()", display.event_table(evidence=evidence))
    for dispute in evidence.disputes:
        for conclusion in (True, False):
            yield from both(f"source_check({dispute.id}, conclusion={conclusion})",
                            display.source_check(dispute.id, evidence=evidence, conclusion=conclusion))
    yield from both("who_is_who()", display.who_is_who(evidence=evidence))
    for source in evidence.sources:
        yield from both(f"further_reading({source.id})", display.further_reading(source.id, evidence=evidence))
    yield from both("data_summary()", display.data_summary(evidence=evidence))


def test_rendered_text_has_no_internal_markers(evidence):
    found = [f"{label}: {p}" for label, text in rendered(evidence) for p in problems(text)]
    assert not found, f"{len(found)} internal markers in rendered text:\n" + "\n".join(found[:40])


# --------------------------------------------------------------------------------------------------
# Stored notebooks: Markdown and outputs as saved


STUDENT_NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "exercises").glob("*.ipynb"))


def _strings(value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        if all(isinstance(v, str) for v in value):
            yield "".join(value)
        else:
            for v in value:
                yield from _strings(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)


def stored_texts(path: Path) -> Iterator[tuple[str, str]]:
    """(where, text) for each Markdown cell, each text output and the saved widget values of a notebook."""
    notebook = nbformat.read(path, as_version=4)
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type == "markdown":
            yield f"cell {number} (Markdown)", cell.source
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                yield f"cell {number} (output)", output.get("text", "")
            for mime, content in output.get("data", {}).items():
                if mime.startswith("text/"):
                    yield f"cell {number} (output {mime})", "".join(content) if isinstance(content, list) else content
    state = notebook.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    for model_id, model in state.get("state", {}).items():
        value = model.get("state", {}).get("value")
        if isinstance(value, str):
            yield f"widget {model_id[:8]} (saved value)", value


@pytest.mark.parametrize("path", STUDENT_NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_stored_notebooks_have_no_internal_markers(path):
    found = [f"{where}: {p}" for where, text in stored_texts(path) for p in problems(text)]
    assert not found, (f"{len(found)} internal markers in {path.relative_to(ROOT)} (in stored outputs, "
                       "re-execute the notebook after fixing the data or the code):\n" + "\n".join(found[:40]))
