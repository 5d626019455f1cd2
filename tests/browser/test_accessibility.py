"""axe-core (pinned, see axe.py) with the WCAG 2.1 A and AA rules, in Chromium (issue 13, item 6): every page of
the student and the teacher site, and the output areas of a chapter run in JupyterLab. (The projector app,
`make present`, is checked in test_present.py, in the page its other tests use.) The counts (failing elements per
page) go to test-artifacts/axe-*.json. A page of the teacher site that is byte for byte the student site's page is
checked once, on the student site; so is one that differs only in the badge naming the site."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ..test_site import pages
from .axe import AXE_VERSION, count, run_axe, summary
from .conftest import ARTIFACTS
from .test_site import offline_page, serving

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Nothing is excused: the live explorer's slider is a labelled <input type=range> (an anywidget), as in the
# kernel-free explorer.
LAB_KNOWN: set[tuple[str, str]] = set()


# The one part of a page that differs between the two sites when its content does not: the badge naming the site
# (site.page). Its colours are checked on every teacher page that differs otherwise, and on the teacher index.
BADGE = re.compile(r"<span class='t40-site t40-site-(?:student|teacher)'>[^<]*</span>")


def same_page(rel: str, teacher: Path, student: Path) -> bool:
    """Whether the teacher site's page ``rel`` is the student site's but for the badge naming the site (the index
    pages, which carry it, are always checked on both sites)."""
    if rel == "index.html" or not (student / rel).is_file():
        return False
    mine, theirs = (teacher / rel).read_text(encoding="utf-8"), (student / rel).read_text(encoding="utf-8")
    return mine == theirs or BADGE.sub("", mine) == BADGE.sub("", theirs)


def record(name: str, counts: dict[str, int | str]) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"axe-{name}.json").write_text(json.dumps({"axe-core": AXE_VERSION, "counts": counts}, indent=1))


# Each site's pages are checked in PARTS interleaved slices (pages[part::PARTS]: together, every page once), so
# that test workers can share them.
PARTS = 3


@pytest.mark.parametrize("part", range(PARTS))
@pytest.mark.parametrize("which", ["site", "teacher_site"])
def test_every_page_of_the_sites_passes_wcag_21_aa(which, part, request, browser):
    built = request.getfixturevalue(which)
    counts, failures = {}, {}
    mine = pages(built)[part::PARTS]
    assert mine, f"{which} has fewer than {PARTS} pages"
    if which == "teacher_site":  # a page byte for byte the student site's is checked there, once
        student = request.getfixturevalue("site")
        same = [p for p in mine if same_page(p.relative_to(built).as_posix(), built, student)]
        counts.update({p.relative_to(built).as_posix(): "as on the student site" for p in same})
        mine = [p for p in mine if p not in same]
    with serving(built) as base:
        for path in mine:
            rel = path.relative_to(built).as_posix()
            context, page = offline_page(browser, base)
            try:
                page.goto(f"{base}/{rel}")
                page.wait_for_load_state("load")
                page.wait_for_timeout(300)
                violations = run_axe(page)
            finally:
                context.close()
            counts[rel] = count(violations)
            if violations:
                failures[rel] = summary(violations)
    record(f"{which.replace('_', '-')}-{part + 1}-of-{PARTS}", counts)
    assert failures == {}, json.dumps(failures, indent=1)


def test_the_output_areas_of_a_chapter_in_lab_pass_wcag_21_aa(start_here):
    page = start_here  # 00-start-here run all in Lab (conftest.start_here_run)
    page.locator(".t40-timeline .t40-slider input[type=range]").first.wait_for(state="visible", timeout=30_000)
    page.wait_for_function("() => (document.querySelector('.t40-timeline .t40-card')?.innerText || '')"
                           ".startsWith('Event 1 of')", timeout=30_000)
    page.wait_for_timeout(500)
    violations = run_axe(page, ".jp-OutputArea")
    record("lab-output-areas", {"notebooks/00-start-here.ipynb (JupyterLab, .jp-OutputArea)": count(violations)})
    left = [v for v in violations
            if any((v["id"], node.split(" ")[-1]) not in LAB_KNOWN for node in v["nodes"])]
    assert left == [], summary(left)

