"""The static sites in Chromium, with no kernel and no network: the student site shows the saved timeline view and
charts; each index page says which site it is (screenshots of both in test-artifacts/site/)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from trotsky1940 import data

from ..helpers import free_port, stop_group, wait_for_http
from ..test_site import site, sites, teacher_site  # noqa: F401 - the fixtures that build the two sites
from .conftest import ARTIFACTS, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

VIEWPORTS = ((1366, 768), (1920, 1080))


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[str]:
    """``folder`` over HTTP on a free loopback port until the block ends; the server is stopped by its PID."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                             "--directory", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/index.html", proc, 30)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_group(proc)


@pytest.fixture(scope="module")
def served(site):  # noqa: F811
    with serving(site) as url:
        yield url


@pytest.fixture(scope="module")
def served_teachers(teacher_site):  # noqa: F811
    with serving(teacher_site) as url:
        yield url


def test_saved_timeline_view_renders_without_a_kernel(served, page):
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{served}/notebooks/00-start-here.html")
    card = page.locator(".t40-timeline .t40-card").first
    card.wait_for(state="visible", timeout=30_000)
    assert f"Event 1 of {len(data.load().events)}" in card.inner_text()
    assert page.locator(".t40-timeline img.t40-image").first.get_attribute("src")
    assert page.locator('img[alt^="A timeline of"]').count() >= 1
    outside = [u for u in requests if not u.startswith((served, "data:", f"blob:{served}"))]
    assert outside == [], f"the page fetched from outside: {outside[:5]}"
    page.locator(".t40-timeline").first.scroll_into_view_if_needed()
    screenshot(page, "static-site-timeline")


@pytest.mark.parametrize("audience", ["student", "teacher"])
def test_each_index_page_says_which_site_it_is(audience, served, served_teachers, browser):
    base = served if audience == "student" else served_teachers
    (ARTIFACTS / "site").mkdir(parents=True, exist_ok=True)
    for width, height in VIEWPORTS:
        context = browser.new_context(viewport={"width": width, "height": height})
        try:
            page = context.new_page()
            page.goto(f"{base}/index.html")
            banner = page.locator(f".t40-banner-{audience}")
            assert banner.is_visible()
            box = banner.bounding_box()
            assert box["y"] + box["height"] <= height, "the banner is not in the first screenful"
            hrefs = page.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
            if audience == "student":
                assert banner.inner_text().startswith("Student site.")
                assert [h for h in hrefs if h.startswith(("teachers/", "exercises/reference/"))] == []
            else:
                assert "Teacher site: do not publish it to students." in banner.inner_text()
                assert "teachers/guide.html" in hrefs and "exercises/reference/01-background.html" in hrefs
            assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
            screenshot(page, f"site/{audience}-index-{width}x{height}")
        finally:
            context.close()
