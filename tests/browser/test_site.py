"""The static site shows the saved timeline view and charts in Chromium, with no kernel and no network."""

from __future__ import annotations

import subprocess
import sys

import pytest

from trotsky1940 import data

from ..helpers import free_port, stop_group, wait_for_http
from ..test_site import site  # noqa: F401 - the fixture that builds the site
from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def served(site):  # noqa: F811
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                             "--directory", str(site)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/index.html", proc, 30)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_group(proc)


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
