"""`make present`: the timeline explorer as a Voila app for a projector (code hidden), in Chromium: it fills the
screen, its card text is large, all of it shows without scrolling, it works from the keyboard, and no request leaves
the machine (issue 13, item 5)."""

from __future__ import annotations

import pytest

from trotsky1940 import data

from .conftest import screenshot
from .test_site import explorer_state, offline_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SIZES = ((1920, 1080), (1366, 768), (1280, 720))


def open_app(browser, url: str, width: int, height: int):
    requests: list[str] = []
    context, page = offline_page(browser, url.rstrip("/"), width, height)
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url, wait_until="load", timeout=120_000)
    page.locator(".t40-x input.t40-slider").first.wait_for(state="visible", timeout=120_000)
    page.wait_for_timeout(300)
    return context, page, requests


def geometry(page) -> dict:
    return page.evaluate("""() => {
        const root = document.querySelector('.t40-x'), box = e => e.getBoundingClientRect().toJSON();
        const p = root.querySelector('.t40-card p');
        return {root: box(root), svg: box(root.querySelector('svg.t40-image')),
                slider: box(root.querySelector('input.t40-slider')), card: box(root.querySelector('.t40-card')),
                cardFont: parseFloat(getComputedStyle(p).fontSize),
                scrollWidth: document.documentElement.scrollWidth, scrollHeight: document.documentElement.scrollHeight,
                innerWidth, innerHeight};
    }""")


@pytest.mark.parametrize("width,height", SIZES)
def test_present_fills_the_screen_without_scrolling_or_outside_requests(present_url, browser, width, height):
    context, page, requests = open_app(browser, present_url, width, height)
    try:
        g = geometry(page)
        assert g["scrollWidth"] <= width, "sideways scrolling"
        assert g["scrollHeight"] <= height + 1, f"the page scrolls: {g['scrollHeight']} > {height}"
        for part in ("root", "svg", "slider", "card"):
            assert g[part]["y"] >= 0 and g[part]["y"] + g[part]["height"] <= height + 1, (part, g[part])
        assert g["root"]["width"] >= 0.95 * width, g["root"]
        assert g["svg"]["height"] >= 0.25 * height, g["svg"]  # the timeline is not squeezed out
        if (width, height) == (1920, 1080):
            assert g["cardFont"] >= 24, g["cardFont"]
        outside = [u for u in requests if not u.startswith(present_url.rstrip("/")) and not u.startswith("data:")]
        assert outside == [] and page.outside == [], outside or page.outside
        assert page.get_by_text("timeline.projector_explorer()").count() == 0 or \
            not page.get_by_text("timeline.projector_explorer()").first.is_visible(), "code must be hidden"
        screenshot(page, f"present-{width}x{height}")
    finally:
        context.close()


def test_present_works_from_the_keyboard(present_url, browser):
    events = data.load().events
    context, page, _ = open_app(browser, present_url, 1920, 1080)
    try:
        assert explorer_state(page)["card"].startswith(f"Event 1 of {len(events)}")
        page.locator(".t40-x input.t40-slider").first.focus()
        page.keyboard.press("ArrowRight")
        state = explorer_state(page)
        assert state["card"].startswith(f"Event 2 of {len(events)}") and events[1].title in state["card"]
        assert state["valuetext"].startswith(f"Event 2 of {len(events)}: {events[1].label}")
        page.keyboard.press("End")
        assert events[-1].title in explorer_state(page)["card"]
        screenshot(page, "present-last-event-1920x1080")
    finally:
        context.close()
