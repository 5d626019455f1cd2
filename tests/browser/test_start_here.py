"""00-start-here runs in a real JupyterLab in Chromium and shows its chart with the text alternative."""

from __future__ import annotations

import pytest

from trotsky1940 import charts

from .conftest import open_and_run_all, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_start_here_runs_and_shows_the_timeline_chart(start_here):
    page = start_here  # run all in Lab, in the page the Lab tests share (conftest.start_here_run)
    image = page.locator('.jp-OutputArea-output img[alt^="A timeline of"]').first
    image.wait_for(state="visible", timeout=30_000)
    expected = charts.timeline_chart(1929, 1940).alt_text
    assert image.get_attribute("alt") == expected
    assert page.locator("figcaption", has_text=expected).first.is_visible()
    box = image.bounding_box()
    assert box and box["width"] > 400 and box["height"] > 100
    assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
    image.scroll_into_view_if_needed()
    # the screenshot shows the chart, not a blank notebook still being laid out after the scroll: the point at
    # the image's centre is the image itself
    page.wait_for_function("""i => {
        const r = i.getBoundingClientRect();
        const y = Math.min(r.top + r.height / 2, (r.top + innerHeight) / 2);
        return document.elementFromPoint(r.left + r.width / 2, y) === i;
    }""", arg=image.element_handle(), timeout=15_000, polling=100)
    page.wait_for_timeout(200)
    screenshot(page, "start-here-timeline")


def test_a_run_all_that_stops_on_an_error_names_the_cell_and_the_cells_left(lab, page):
    """The tests' Run All fails at once, naming the error and the cells that never ran, instead of timing out
    (a CI run once waited 240 s and said only "Timeout")."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"),
                                         nbformat.v4.new_code_cell("raise ValueError('planted for the test')"),
                                         nbformat.v4.new_code_cell("y = 2")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, lab.root / "zz-planted-error.ipynb")
    try:
        with pytest.raises(AssertionError) as failed:
            open_and_run_all(page, lab, "zz-planted-error.ipynb")
    finally:
        lab.end_sessions("zz-planted-error.ipynb")
        (lab.root / "zz-planted-error.ipynb").unlink()
    message = str(failed.value)
    assert "did not run every cell cleanly" in message
    assert "code cell 2: ValueError: planted for the test" in message
    assert "3: y = 2" in message and "The server's last lines" in message
