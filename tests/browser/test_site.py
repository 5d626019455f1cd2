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
def served(site):
    with serving(site) as url:
        yield url


@pytest.fixture(scope="module")
def served_teachers(teacher_site):
    with serving(teacher_site) as url:
        yield url


def offline_page(browser, base: str, width: int = 1366, height: int = 768):
    """A page in a context whose network ends at the machine: any request not to ``base`` (or a data: or blob:
    address) is aborted and recorded in ``page.outside``."""
    context = browser.new_context(viewport={"width": width, "height": height})
    outside: list[str] = []

    def route(r):
        url = r.request.url
        if url.startswith((base, "data:", "blob:", "file:")):
            r.continue_()
        else:
            outside.append(url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.outside = outside
    return context, page


def explorer_state(page) -> dict:
    return page.evaluate("""() => {
        const root = document.querySelector('.t40-x');
        const slider = root.querySelector('input.t40-slider'), svg = root.querySelector('svg.t40-image');
        return {card: root.querySelector('.t40-card').innerText, value: Number(slider.value),
                valuetext: slider.getAttribute('aria-valuetext'), alt: svg.getAttribute('aria-label'),
                ring: svg.querySelector('.t40-hl-ring').getAttribute('cx'),
                src: svg.querySelector('image').getAttribute('href').length,
                live: root.querySelector('.t40-card').getAttribute('aria-live'),
                count: root.querySelector('.t40-count').innerText};
    }""")


def test_the_explorer_is_alive_without_a_kernel_or_a_network(served, browser):
    """Issue 13, item 4: slider, arrow keys, Play/Stop and the phase menu move card and image in a static page."""
    events = data.load().events
    context, page = offline_page(browser, served)
    try:
        page.goto(f"{served}/notebooks/00-start-here.html")
        root = page.locator(".t40-x").first
        root.wait_for(state="visible")
        root.scroll_into_view_if_needed()
        first = explorer_state(page)
        assert first["card"].startswith(f"Event 1 of {len(events)}") and first["live"] == "polite"
        assert first["valuetext"] == f"Event 1 of {len(events)}: {events[0].label}, {events[0].title}"
        assert events[0].title in first["alt"]
        slider = page.locator(".t40-x input.t40-slider").first
        slider.focus()
        page.keyboard.press("ArrowRight")
        second = explorer_state(page)
        assert second["card"].startswith(f"Event 2 of {len(events)}") and events[1].title in second["card"]
        assert second["ring"] != first["ring"] and events[1].title in second["alt"]
        page.keyboard.press("End")  # the notebook's own "Try it now: press End"
        last = explorer_state(page)
        assert last["value"] == len(events) and events[-1].title in last["card"] and events[-1].title in last["alt"]
        screenshot(page, "site/explorer-last-event-1366x768")
        page.keyboard.press("Home")
        assert explorer_state(page)["value"] == 1
        # Play at the fastest speed moves on by itself; Stop keeps the current event
        page.locator(".t40-x select.t40-speed").first.select_option("2000")
        page.get_by_role("button", name="Play").first.click()
        page.wait_for_function("() => Number(document.querySelector('.t40-x input.t40-slider').value) >= 2",
                               timeout=10_000)
        page.get_by_role("button", name="Stop").first.click()
        stopped = explorer_state(page)["value"]
        page.wait_for_timeout(2_600)
        assert explorer_state(page)["value"] == stopped >= 2
        # the phase menu and the zoom change the set of events, card and image
        attack = data.load().events_in("attack")
        page.get_by_label("Phase").first.select_option(label=data.PHASE_TITLES["attack"])
        state = explorer_state(page)
        assert state["count"] == f"Showing {len(attack)} events" and attack[0].title in state["card"]
        assert state["src"] != last["src"] or state["ring"] != last["ring"]
        page.get_by_role("button", name="Zoom to 20–21 August 1940").first.click()
        assert "on 20–21 August 1940" in explorer_state(page)["count"]
        screenshot(page, "site/explorer-zoomed-1366x768")
        assert page.outside == [], f"the page asked for: {page.outside[:5]}"
    finally:
        context.close()


@pytest.mark.parametrize("width,height", VIEWPORTS)
def test_the_explorer_renders_offline_with_a_sans_serif_font_and_no_icon_font(served, browser, width, height):
    context, page = offline_page(browser, served, width, height)
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    try:
        page.goto(f"{served}/notebooks/00-start-here.html")
        root = page.locator(".t40-x").first
        root.wait_for(state="visible")
        root.scroll_into_view_if_needed()
        font = page.evaluate("() => getComputedStyle(document.querySelector('.t40-x .t40-card')).fontFamily")
        assert "serif" in font and not font.lower().startswith(("serif", "times", "georgia")), font
        assert page.locator(".t40-x .fa, .t40-x [class*='fa-']").count() == 0
        for name in ("Play", "Stop"):
            button = page.get_by_role("button", name=name).first
            assert button.is_visible() and button.inner_text().strip() == name
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert failed == [] and page.outside == [], (failed, page.outside)
        screenshot(page, f"site/explorer-{width}x{height}")
    finally:
        context.close()


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
