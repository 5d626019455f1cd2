"""`make present`: the timeline explorer as a Voila app for a projector (code hidden), in Chromium: it fills the
screen, its card text is large, all of it shows without scrolling, it passes axe-core's WCAG 2.1 A/AA rules, it
works from the keyboard, and no request leaves the machine (issue 13, items 5 and 6).

Each load of the app starts a kernel in Voila and runs the notebook (about 5 CPU-seconds), so the app is loaded
once, at a projector's 1920x1080, and the tests below resize it, check it and press keys in it, in the order they
are written. The smaller sizes after it test how the app fits a window made smaller (its ``resize`` listener sets
its height: a stale one would make the page scroll), and every size checks that it fills the window's height."""

from __future__ import annotations

import pytest

from trotsky1940 import data

from ..helpers import one_worker
from .axe import count, run_axe, summary
from .conftest import screenshot
from .test_accessibility import record
from .test_site import explorer_state, offline_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SIZES = ((1920, 1080), (1366, 768), (1280, 720))  # loaded at the first, then made smaller


def open_app(browser, url: str, width: int, height: int):
    requests: list[str] = []
    context, page = offline_page(browser, url.rstrip("/"), width, height)
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url, wait_until="load", timeout=120_000)
    page.locator(".t40-x input.t40-slider").first.wait_for(state="visible", timeout=120_000)
    page.wait_for_timeout(300)
    return context, page, requests


@pytest.fixture(scope="module")
@one_worker
def app(present_url, browser):
    """The app, loaded once at the first of SIZES: (page, the addresses it requested)."""
    context, page, requests = open_app(browser, present_url, *SIZES[0])
    yield page, requests
    context.close()


def resize(page, width: int, height: int) -> None:
    """Resize the window and wait until the app has laid itself out again (two frames after the resize)."""
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_function("([w, h]) => innerWidth === w && innerHeight === h", arg=[width, height])
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


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
def test_present_fills_the_screen_without_scrolling_or_outside_requests(app, present_url, width, height):
    page, requests = app
    resize(page, width, height)
    g = geometry(page)
    assert g["scrollWidth"] <= width, "sideways scrolling"
    assert g["scrollHeight"] <= height + 1, f"the page scrolls: {g['scrollHeight']} > {height}"
    for part in ("root", "svg", "slider", "card"):
        assert g[part]["y"] >= 0 and g[part]["y"] + g[part]["height"] <= height + 1, (part, g[part])
    assert g["root"]["width"] >= 0.95 * width, g["root"]
    assert g["root"]["y"] + g["root"]["height"] >= height - 16, f"it does not fill the window's height: {g['root']}"
    assert g["svg"]["height"] >= 0.25 * height, g["svg"]  # the timeline is not squeezed out
    if (width, height) == (1920, 1080):
        assert g["cardFont"] >= 24, g["cardFont"]
    outside = [u for u in requests if not u.startswith(present_url.rstrip("/")) and not u.startswith("data:")]
    assert outside == [] and page.outside == [], outside or page.outside
    assert page.get_by_text("timeline.projector_explorer()").count() == 0 or \
        not page.get_by_text("timeline.projector_explorer()").first.is_visible(), "code must be hidden"
    screenshot(page, f"present-{width}x{height}")


def test_the_projector_app_passes_wcag_21_aa(app):
    page, _ = app
    resize(page, 1920, 1080)
    violations = run_axe(page)
    record("present", {"teachers/timeline-app.ipynb (Voila)": count(violations)})
    assert violations == [], summary(violations)


def test_present_works_from_the_keyboard(app):
    page, _ = app
    events = data.load().events
    resize(page, 1920, 1080)
    assert explorer_state(page)["card"].startswith(f"Event 1 of {len(events)}")
    page.locator(".t40-x input.t40-slider").first.focus()
    page.keyboard.press("ArrowRight")
    state = explorer_state(page)
    assert state["card"].startswith(f"Event 2 of {len(events)}") and events[1].title in state["card"]
    assert state["valuetext"].startswith(f"Event 2 of {len(events)}: {events[1].label}")
    page.keyboard.press("End")
    assert events[-1].title in explorer_state(page)["card"]
    screenshot(page, "present-last-event-1920x1080")
