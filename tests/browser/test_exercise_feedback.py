"""A student's slips in a real JupyterLab: typed with the keyboard, each gets one friendly line, never a
traceback, and a right answer typed loosely ("CBDA") is read as right. The slips are typed once, in a laptop-sized
window; at each one the window is also resized to a projector's size, and at both sizes the cell is screenshotted
and nothing in the notebook is clipped sideways (one kernel and one Lab page instead of one per size)."""

from __future__ import annotations

import shutil
import uuid

import nbformat
import pytest

from trotsky1940.authoring.build_exercises import canonical_answers
from trotsky1940.grading.exercise_format import questions

from ..helpers import ROOT
from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]
NAME = "01-background"
SIZES = ((1366, 768), (1920, 1080))  # a laptop (the slips are typed at this size), a projector


def cell_index(tag: str) -> int:
    nb = nbformat.read(ROOT / "exercises" / f"{NAME}.ipynb", as_version=4)
    return next(i for i, c in enumerate(nb.cells) if tag in c.metadata.get("tags", []))


def wait_idle(page) -> None:
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status"
                           " === 'idle'", timeout=60_000, polling=250)


def cell(page, index: int):
    """The DOM node of notebook cell ``index`` (by the notebook's own index: Lab renders cells lazily, so the
    n-th ``.jp-Cell`` in the page need not be the n-th cell), scrolled into view."""
    page.evaluate("async i => { const n = window.jupyterapp.shell.currentWidget.content;"
                  " await n.scrollToItem(i, 'center'); }", index)
    page.wait_for_function("i => { const node = window.jupyterapp.shell.currentWidget.content.widgets[i].node;"
                           " return node.isConnected && node.querySelector('.cm-content') !== null; }", arg=index)
    page.wait_for_timeout(200)
    return page.evaluate_handle("i => window.jupyterapp.shell.currentWidget.content.widgets[i].node", index)


def type_into(page, index: int, text: str) -> None:
    """Click a cell, select its text and type ``text`` as a student would, then Shift+Enter."""
    cell(page, index).wait_for_selector(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.type(text)
    before = execution_count(page, index)
    page.keyboard.press("Shift+Enter")
    wait_ran(page, index, before)


def run(page, index: int) -> None:
    cell(page, index).wait_for_selector(".jp-InputArea-prompt").click()  # selects the cell (command mode)
    before = execution_count(page, index)
    page.keyboard.press("Shift+Enter")
    wait_ran(page, index, before)


def execution_count(page, index: int):
    return page.evaluate("i => window.jupyterapp.shell.currentWidget.content.widgets[i].model.executionCount", index)


def wait_ran(page, index: int, before) -> None:
    """Wait until cell ``index`` has run again (a new execution count: its outputs are in) and the kernel is idle."""
    page.wait_for_function("([i, before]) => { const w = window.jupyterapp.shell.currentWidget;"
                           " const n = w.content.widgets[i].model.executionCount;"
                           " return n !== null && n !== before && w.sessionContext.session.kernel.status === 'idle'; }",
                           arg=[index, before], timeout=60_000, polling=100)


def resize(page, width: int, height: int) -> None:
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_function("([w, h]) => innerWidth === w && innerHeight === h", arg=[width, height])


def look(page, index: int, name: str) -> None:
    """At each of SIZES: cell ``index`` in view, a screenshot ``<name>-<width>x<height>``, and nothing in the
    notebook wider than its panel. The window is back at the first size afterwards."""
    for width, height in SIZES:
        resize(page, width, height)
        cell(page, index)
        screenshot(page, f"{name}-{width}x{height}")
        assert page.evaluate("() => { const n = document.querySelector('.jp-WindowedPanel-outer, .jp-Notebook');"
                             " return n.scrollWidth <= n.clientWidth + 1; }"), f"{name}: clipped at {width}x{height}"
    resize(page, *SIZES[0])


def output(page, index: int) -> str:
    area = cell(page, index).query_selector(".jp-OutputArea")
    return area.inner_text() if area else ""


def test_slips_get_one_friendly_line_in_jupyterlab(lab, browser):
    served = f"exercises-{NAME}.ipynb"  # a copy with a kernel of its own
    shutil.copy(ROOT / "exercises" / f"{NAME}.ipynb", lab.root / served)
    ref = nbformat.read(ROOT / "exercises" / "reference" / f"{NAME}.ipynb", as_version=4)
    answers = canonical_answers(ref, NAME)
    qs = questions(ref, NAME)
    order_q = next(q for q, v in qs.items() if v["form"].startswith("order of"))
    letter_q = next(q for q, v in qs.items() if v["form"].startswith("one letter"))
    context = browser.new_context(viewport={"width": SIZES[0][0], "height": SIZES[0][1]})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        # a workspace of its own, so that the tabs left open here are not restored in other tests' pages
        page.goto(f"{lab.url}/lab/workspaces/t40-exercise-{uuid.uuid4().hex[:8]}/tree/{served}?token={lab.token}")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=90_000, polling=250)
        # Lab may restore the tabs of an earlier visit: make this notebook the current one
        page.evaluate("p => { window.jupyterapp.commands.execute('docmanager:open', {path: p}); }", served)
        page.wait_for_function("p => { const w = window.jupyterapp.shell.currentWidget;"
                               " const k = w && w.context && w.context.path === p && w.sessionContext.session &&"
                               " w.sessionContext.session.kernel; return k && k.status === 'idle'; }",
                               arg=served, timeout=90_000, polling=250)
        setup, letter_answer, letter_check = cell_index("setup"), cell_index(f"answer:{letter_q}"), cell_index(
            f"check:{letter_q}")
        # the first cell skipped: the check says to run it, in one line
        type_into(page, letter_answer, f'answer_{letter_q} = "A"')
        run(page, letter_check)
        skipped = output(page, letter_check)
        assert "Run this first" in skipped and "Traceback" not in skipped
        run(page, setup)
        run(page, cell_index("example-answer"))
        run(page, cell_index("example-check"))
        assert output(page, cell_index("example-check")).strip().endswith("Right.")
        # a letter without quotes
        wrong_letter = next(letter for letter in "ABCD" if letter != answers[letter_q])
        type_into(page, letter_answer, f"answer_{letter_q} = {wrong_letter}")
        shown = output(page, letter_answer)
        assert "put your answer in quotes" in shown and "Traceback" not in shown and "NameError" not in shown
        run(page, letter_check)
        assert "put your answer in quotes" in output(page, letter_check)
        look(page, letter_answer, "exercise-slip-bare-letter")
        # the right order typed as one word, lower case
        order_answer, order_check = cell_index(f"answer:{order_q}"), cell_index(f"check:{order_q}")
        type_into(page, order_answer, f'answer_{order_q} = "{answers[order_q].replace(",", "").lower()}"')
        page.keyboard.press("Shift+Enter")  # the check cell, now selected
        page.wait_for_timeout(300)
        wait_idle(page)
        text = output(page, order_check)
        assert text.strip().split("\n") == [f"{order_q}: {answers[order_q]}", "Right."]
        # a format slip: one letter too many
        type_into(page, order_answer, f'answer_{order_q} = "{answers[order_q].replace(",", "")}E"')
        page.keyboard.press("Shift+Enter")
        page.wait_for_timeout(300)
        wait_idle(page)
        text = output(page, order_check)
        assert "write the four letters A, B, C and D, each once, in order" in text and "Hint" not in text
        look(page, order_check, "exercise-slip-format")
    finally:
        context.close()
