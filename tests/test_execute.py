"""`python -m trotsky1940 execute`: running an unchanged notebook twice saves byte-identical files (issue 15, item 4):
no timing metadata, widget model ids that do not change from run to run, the same image bytes."""

from __future__ import annotations

import nbformat
import pytest

from trotsky1940.authoring import execute

pytestmark = pytest.mark.slow

CELLS = [
    "import ipywidgets as widgets\nfrom trotsky1940 import charts, timeline",
    "widgets.IntSlider(value=3, description='n')",
    "timeline.timeline_explorer(phase='second-attempt')",
    "timeline.projector_explorer(phase='attack')",
    "charts.funeral_chart()",
]


def run_and_save(path):
    notebook, _ = execute.run_notebook(path)
    nbformat.write(notebook, path)
    return path.read_bytes(), notebook


def test_running_an_unchanged_notebook_twice_gives_the_same_bytes(tmp_path):
    path = tmp_path / "a.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS]), path)
    first, notebook = run_and_save(path)
    second, _ = run_and_save(path)
    assert first == second
    assert all("execution" not in cell.metadata for cell in notebook.cells)
    state = notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    assert len(state) > 10  # the explorer's widgets were saved, under their stable ids
    views = [o["data"]["application/vnd.jupyter.widget-view+json"]["model_id"] for c in notebook.cells
             for o in c.outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(views) == 2 and all(v in state for v in views)
    chart = "".join(o.get("data", {}).get("text/html", "") for o in notebook.cells[-1].outputs)
    assert "data:image/png;base64," in chart


def test_stable_renumbers_every_reference_to_a_model():
    nb = nbformat.v4.new_notebook()
    a, b = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {
        a: {"state": {"children": [f"IPY_MODEL_{b}"]}}, b: {"state": {}}}}}
    nb.cells.append(nbformat.v4.new_code_cell("x", outputs=[nbformat.from_dict(
        {"output_type": "display_data", "metadata": {},
         "data": {"application/vnd.jupyter.widget-view+json": {"model_id": a}}})]))
    nb.cells[0].metadata["execution"] = {"iopub.status.busy": "2026-12-02T06:00:00Z"}
    text = nbformat.writes(execute.stable(nb))
    assert a not in text and b not in text and "iopub" not in text
    out = execute.stable(nbformat.reads(text, as_version=4))
    assert nbformat.writes(out) == text  # a saved, numbered notebook is left as it is
    state = out.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    (parent, entry), = [(k, v) for k, v in state.items() if v["state"].get("children")]
    (child,) = set(state) - {parent}
    assert entry["state"]["children"] == [f"IPY_MODEL_{child}"]
    assert out.cells[0].outputs[0]["data"]["application/vnd.jupyter.widget-view+json"]["model_id"] == parent
