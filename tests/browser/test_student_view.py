"""`make lab` in Chromium: the file browser of the exercises folder shows the exercise notebooks and no
reference or key folder (issue 12, item 1; concealment, not protection)."""

from __future__ import annotations

import pytest

from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_file_browser_of_make_lab_shows_no_answers(make_lab, page):
    page.goto(f"{make_lab.base}/lab/tree/exercises?token={make_lab.token}", wait_until="domcontentloaded",
              timeout=120_000)
    items = page.locator(".jp-DirListing-content .jp-DirListing-itemText")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-DirListing-content .jp-DirListing-itemText')]"
        ".some(e => e.innerText.includes('01-background.ipynb'))", timeout=120_000)
    names = {items.nth(i).inner_text().strip() for i in range(items.count())}
    screenshot(page, "lab-file-browser-exercises")
    assert {"01-background.ipynb", "README.md"} <= names
    assert not names & {"reference", "keys"}, names
