"""Run notebooks top to bottom in a fresh kernel (``python -m trotsky1940 execute NOTEBOOK…``).

Used to refresh the outputs committed with the notebooks (``make execute``), by the offline test and by the
notebook benchmark. Each notebook runs in its own folder, as JupyterLab would run it.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import time
from pathlib import Path

HELP = "run notebooks in a fresh kernel; with --inplace, save their outputs"
EPILOG = """\
Examples:
  re-run every narrative notebook and save its outputs (what make execute does):
    python -m trotsky1940 execute --inplace notebooks/*.ipynb
  check that one notebook runs, without saving it:
    python -m trotsky1940 execute notebooks/03-the-attack.ipynb

Prints one line per notebook with the time it took. Exit codes: 0 every notebook ran; 1 some failed (the
failing cell is shown).
"""


def run_notebook(path: str | Path, timeout: int = 300, kernel_name: str = "python3"):
    """Execute a notebook in a fresh kernel; return (the executed notebook, seconds it took).

    Raises ``nbclient.exceptions.CellExecutionError`` naming the failing cell when a cell raises.
    """
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=timeout, kernel_name=kernel_name, record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    return stable(notebook), time.perf_counter() - start


def stable(notebook):
    """The same notebook, run again unchanged, saves to the same bytes: no timing metadata in any cell, and the
    widget models' random ids replaced by ids numbered in the order the kernel created the models (the order of the
    saved widget state), everywhere they occur (the state, ``IPY_MODEL_`` references, the views' ``model_id``)."""
    import json

    import nbformat

    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
    state = notebook.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state")
    if not state:
        return notebook
    ids = [hashlib.sha256(f"trotsky1940 widget {i}".encode()).hexdigest()[:32] for i in range(len(state))]
    if set(state) == set(ids):
        return notebook  # already numbered (a saved file keeps its state sorted by id, not in creation order)
    mapping = dict(zip(state, ids, strict=True))
    text = json.dumps(notebook, ensure_ascii=False)
    text = re.sub(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])", lambda m: mapping.get(m.group(0), m.group(0)), text)
    return nbformat.from_dict(json.loads(text))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebooks", nargs="+", help="notebook files to run")
    parser.add_argument("--inplace", action="store_true", help="save each notebook with its new outputs")
    parser.add_argument("--timeout", type=int, default=300, help="seconds allowed per cell (default 300)")


def run(args: argparse.Namespace) -> int:
    import nbformat
    from nbclient.exceptions import CellExecutionError

    failed = 0
    for name in args.notebooks:
        try:
            notebook, seconds = run_notebook(name, timeout=args.timeout)
        except CellExecutionError as exc:
            failed += 1
            print(f"{name}: FAILED\n{exc}", file=sys.stderr)
            continue
        except (OSError, ValueError) as exc:
            failed += 1
            print(f"{name}: cannot run it: {exc}", file=sys.stderr)
            continue
        if args.inplace:
            nbformat.write(notebook, name)
        print(f"{name}: ran in {seconds:.1f} s" + (", outputs saved" if args.inplace else ""))
    return 1 if failed else 0
