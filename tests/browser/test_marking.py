"""`make mark`: the reflection-marking app as a Voila app, driven only from the keyboard in Chromium.

Marks two students of a made-up results folder, checks marks.csv on disk and the progress line, checks that a
reflection holding HTML and script shows as text, and saves screenshots at 1366x768 and 1920x1080 (projector).
"""

from __future__ import annotations

import csv
import io

import pytest

from ..helpers import one_worker
from ..test_grading_marking import HOSTILE, STUDENTS, write_results
from .conftest import make_app, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return write_results(tmp_path_factory.mktemp("marking") / "results" / "01")


@pytest.fixture(scope="module")
@one_worker
def marking_url(results, tmp_path_factory):
    with make_app("mark", f"RESULTS={results}", log_path=tmp_path_factory.mktemp("voila") / "voila.log") as url:
        yield url


def open_app(page, url: str) -> None:
    # Wait for the app, never for the page's load event (Voila asks a CDN for stylesheets; offline it can hang).
    page.goto(url, wait_until="domcontentloaded", timeout=120_000)
    page.locator(".t40-marking").first.wait_for(state="visible", timeout=120_000)


def active(page) -> dict:
    """What has the keyboard focus: its tag, CSS classes, text and value."""
    return page.evaluate("""() => { const e = document.activeElement;
        return {tag: e.tagName, classes: [...e.classList], text: e.innerText || '', value: e.value || ''}; }""")


def tab_to(page, cls: str, limit: int = 40) -> None:
    """Press Tab until the control with CSS class ``cls`` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if cls in active(page)["classes"]:
            return
    raise AssertionError(f"Tab never reached .{cls}; the focus is on {active(page)}")


def wait_text(page, selector: str, want: str, timeout: int = 30_000) -> None:
    page.wait_for_function(
        "([sel, want]) => (document.querySelector(sel)?.innerText || '').includes(want)",
        arg=[selector, want], timeout=timeout)


def text(page, selector: str) -> str:
    return page.locator(selector).first.inner_text()


def marks_on_disk(results) -> list[dict]:
    raw = (results / "marks.csv").read_bytes().decode("utf-8")
    return list(csv.DictReader(io.StringIO(raw, newline="")))


def test_mark_two_students_from_the_keyboard(marking_url, results, page):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.set_viewport_size({"width": 1366, "height": 768})
    open_app(page, marking_url)
    wait_text(page, ".t40-mark-progress", "0 of 3 marked")
    assert "Student: Ann Archer" in text(page, ".t40-mark-student")
    assert "Rubric: Exercises 1, q7: the landing date." in text(page, ".t40-mark-rubric")
    code = page.get_by_text("marking.app(results)")
    assert all(not code.nth(i).is_visible() for i in range(code.count())), "code must be hidden"
    screenshot(page, "marking-1366x768-first")

    # Ann: level 2 and a two-line comment, then "Save and next" with Enter.
    tab_to(page, "t40-mark-level-2")
    assert active(page)["text"].startswith("Level 2: Uses evidence")
    page.keyboard.press("Space")
    wait_text(page, ".t40-mark-chosen", "Chosen: Level 2: Uses evidence")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert active(page)["tag"] == "TEXTAREA"
    page.keyboard.type("Two sources, named.")
    page.keyboard.press("Enter")
    page.keyboard.type("Next: ask who wrote the caption.")
    page.keyboard.press("Tab")
    assert "t40-mark-previous" in active(page)["classes"]
    page.keyboard.press("Tab")
    assert "t40-mark-save" in active(page)["classes"]
    page.keyboard.press("Enter")
    wait_text(page, ".t40-mark-progress", "1 of 3 marked")
    wait_text(page, ".t40-mark-student", "Student: Ben Bell")
    page.wait_for_function("() => document.activeElement.classList.contains('t40-mark-level-0')", timeout=15_000)
    wait_text(page, ".t40-mark-message", "Saved: level 2 for Ann Archer.")  # widget updates arrive one by one
    screenshot(page, "marking-1366x768-after-save")

    # Ben's reflection holds HTML and a script: it must show as the characters he typed.
    reflection = page.locator(".t40-mark-reflection-text").first
    wait_text(page, ".t40-mark-reflection-text", HOSTILE.strip().splitlines()[0])
    assert reflection.inner_text().strip() == HOSTILE.strip()
    assert page.locator(".t40-mark-reflection script, .t40-mark-reflection img, .t40-mark-reflection b").count() == 0
    assert dialogs == []

    # Ben: level 3 with Enter, a comment, then Tab twice and Space on "Save and next".
    for _ in range(3):
        page.keyboard.press("Tab")
    assert "t40-mark-level-3" in active(page)["classes"]
    page.keyboard.press("Enter")
    wait_text(page, ".t40-mark-chosen", "Chosen: Level 3: Weighs the sources")
    page.keyboard.press("Tab")
    page.keyboard.type('Weighs both, well done, "Ben".')
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert "t40-mark-save" in active(page)["classes"]
    page.keyboard.press("Space")
    wait_text(page, ".t40-mark-progress", "2 of 3 marked")
    wait_text(page, ".t40-mark-student", "Reflection 3 of 3")
    wait_text(page, ".t40-mark-reflection", "(no answer)")

    rows = {r["submission"]: r for r in marks_on_disk(results)}
    assert set(rows) == {STUDENTS[0]["submission"], STUDENTS[1]["submission"]}
    ann, ben = rows[STUDENTS[0]["submission"]], rows[STUDENTS[1]["submission"]]
    assert (ann["level"], ann["comment"], ann["name"], ann["question"]) == (
        "2", "Two sources, named.\nNext: ask who wrote the caption.", "Ann Archer", "q7")
    assert (ben["level"], ben["comment"], ben["student_id"]) == ("3", 'Weighs both, well done, "Ben".', "102")
    assert "not updated" not in text(page, ".t40-mark-message")

    # Back to Ben with "Previous" (Tab from the level buttons), then Shift+Tab to his comment.
    page.wait_for_function("() => document.activeElement.classList.contains('t40-mark-level-0')", timeout=15_000)
    tab_to(page, "t40-mark-previous", limit=6)
    page.keyboard.press("Enter")
    wait_text(page, ".t40-mark-student", "Student: Ben Bell")
    wait_text(page, ".t40-mark-chosen", "Chosen: Level 3: Weighs the sources")
    assert "t40-mark-previous" in active(page)["classes"]
    page.keyboard.press("Shift+Tab")
    focused = active(page)
    assert focused["tag"] == "TEXTAREA" and focused["value"] == 'Weighs both, well done, "Ben".'
    assert "(chosen)" in text(page, ".t40-mark-level-3") and "2 of 3 marked" in text(page, ".t40-mark-progress")
    screenshot(page, "marking-1366x768-revisit")
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.wait_for_timeout(300)
    screenshot(page, "marking-1920x1080-revisit")
    assert dialogs == []


def test_a_folder_with_no_results_says_what_to_do(tmp_path, page):
    missing = tmp_path / "results" / "07"
    with make_app("mark", f"RESULTS={missing}", log_path=tmp_path / "voila.log") as url:
        page.set_viewport_size({"width": 1366, "height": 768})
        open_app(page, url)
        wait_text(page, ".t40-mark-message", "There is no results folder")
        message = text(page, ".t40-mark-message")
        assert str(missing) in message and "python -m trotsky1940 grade" in message and "--out" in message
        assert "Traceback" not in page.locator("body").inner_text()
        screenshot(page, "marking-1366x768-no-results")
