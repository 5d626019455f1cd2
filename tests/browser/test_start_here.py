"""00-start-here runs in a real JupyterLab in Chromium and shows its chart with the text alternative."""

from __future__ import annotations

import pytest

from trotsky1940 import charts

from .conftest import open_and_run_all, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_start_here_runs_and_shows_the_timeline_chart(lab, page):
    open_and_run_all(page, lab, "00-start-here.ipynb")
    image = page.locator('.jp-OutputArea-output img[alt^="A timeline of"]').first
    image.wait_for(state="visible", timeout=30_000)
    expected = charts.timeline_chart(1929, 1940).alt_text
    assert image.get_attribute("alt") == expected
    assert page.locator("figcaption", has_text=expected).first.is_visible()
    box = image.bounding_box()
    assert box and box["width"] > 400 and box["height"] > 100
    assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
    image.scroll_into_view_if_needed()
    screenshot(page, "start-here-timeline")
