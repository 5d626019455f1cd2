"""Build a static site of the module (``python -m trotsky1940 build-site --out site``, or ``make html``).

Every notebook and student exercise becomes an HTML page with its saved outputs and widget state, so the
charts and the last view of the timeline explorer show without a kernel; the guides and data dictionary
become pages too, and links between them are rewritten to the HTML pages. The widget renderer
(``@jupyter-widgets/html-manager``) and require.js are copied into ``site/_static/`` from the npm registry
(cached in ``.cache/widgets``), so the site works offline once built. If npm cannot be reached the pages
load them from a CDN instead, and the build says so.
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from . import paths

HELP = "build a static HTML site of every notebook and exercise"
EPILOG = """\
Examples:
  build the static site into site/ (what make html does):
    python -m trotsky1940 build-site --out site
  build it somewhere else, to publish:
    python -m trotsky1940 build-site --out /tmp/trotsky1940-site

Prints one line per page with the time it took. Exit code 0 when the site was written.
"""
HTML_MANAGER = "@jupyter-widgets/html-manager@1.0.15"
REQUIREJS = "requirejs@2.3.7"

NOTEBOOK_DIRS = ("notebooks", "exercises", "teachers")
MARKDOWN_PAGES = ("README.md", "LICENSE-CONTENT.md", "notebooks/glossary.md", "teachers/guide.md",
                  "exercises/README.md", "data/README.md")
PLAIN_FILES = ("LICENSE", "CITATION.cff", "environment.yml", "postBuild", "start", "requirements.txt", "Makefile",
               "etc/jupyter/jupyter_server_config.json")


def widget_assets(root: Path, static: Path) -> bool:
    """Copy the html-manager and require.js into ``static``; False when they cannot be had (use the CDN)."""
    cache = root / ".cache" / "widgets"
    manager, requirejs = cache / "html-manager", cache / "require.js"
    if not (manager / "embed-amd.js").exists() or not requirejs.exists():
        if not shutil.which("npm"):
            return False
        with tempfile.TemporaryDirectory() as tmp:
            packed = subprocess.run(["npm", "pack", HTML_MANAGER, REQUIREJS, "--silent"], cwd=tmp,
                                    capture_output=True, text=True, timeout=300)
            if packed.returncode != 0:
                return False
            for tgz in Path(tmp).glob("*.tgz"):
                with tarfile.open(tgz) as archive:
                    archive.extractall(Path(tmp) / "unpacked" / tgz.stem, filter="data")
            shutil.rmtree(manager, ignore_errors=True)
            cache.mkdir(parents=True, exist_ok=True)
            unpacked = Path(tmp) / "unpacked"
            shutil.copytree(next(unpacked.glob("jupyter-widgets-html-manager-*")) / "package" / "dist", manager)
            shutil.copy(next(unpacked.glob("requirejs-*")) / "package" / "require.js", requirejs)
    shutil.copytree(manager, static / "html-manager", dirs_exist_ok=True)
    shutil.copy(requirejs, static / "require.js")
    return True


def rewrite_links(markup: str) -> str:
    """Point links at notebooks and Markdown files to their HTML pages."""
    def fix(match: re.Match) -> str:
        attr, quote, target = match.group(1), match.group(2), match.group(3)
        if re.match(r"^[a-z]+:|^#|^//", target):
            return match.group(0)
        path, _, fragment = target.partition("#")
        if path.endswith((".ipynb", ".md")):
            path = path.rsplit(".", 1)[0] + ".html"
        elif path.endswith("/") and path:
            path += "README.html"
        return f'{attr}={quote}{path}{"#" + fragment if fragment else ""}{quote}'

    return re.sub(r'(href)=(["\'])([^"\']+)\2', fix, markup)


def page(title: str, body: str, depth: int) -> str:
    up = "../" * depth
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            "<style>body{font-family:system-ui,sans-serif;max-width:62em;margin:2em auto;padding:0 1em;"
            "line-height:1.5;color:#111}table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:.3em .5em;"
            "vertical-align:top}code,pre{background:#f4f4f4}pre{padding:.6em;overflow:auto}</style></head><body>"
            f"<nav><a href='{up}index.html'>Start</a></nav>{body}</body></html>")


def build(out: Path, root: Path | None = None, log=None) -> dict[str, object]:
    """Build the site into ``out``; return a summary (pages written, whether widgets work offline)."""
    import mistune
    from nbconvert import HTMLExporter

    root = root or paths.repo_root()
    if out.exists():
        shutil.rmtree(out)
    static = out / "_static"
    static.mkdir(parents=True)
    offline = widget_assets(root, static)
    pages: list[Path] = []
    for folder in NOTEBOOK_DIRS:
        for notebook in sorted((root / folder).glob("*.ipynb")):
            rel = notebook.relative_to(root)
            began = time.perf_counter()
            depth = len(rel.parts) - 1
            exporter = HTMLExporter(template_name="lab")
            if offline:
                exporter.widget_renderer_url = "../" * depth + "_static/html-manager/embed-amd.js"
                exporter.require_js_url = "../" * depth + "_static/require.js"
            body, _ = exporter.from_filename(str(notebook))
            # The module has no mathematics: leave MathJax out, so a page loads nothing from outside.
            body = re.sub(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", "", body, flags=re.S)
            target = out / rel.with_suffix(".html")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(rewrite_links(body), encoding="utf-8")
            pages.append(target)
            if log is not None:
                log(f"{rel.with_suffix('.html').as_posix()}: {time.perf_counter() - began:.1f} s")
    render = mistune.create_markdown(plugins=["table"])
    for name in MARKDOWN_PAGES:
        source = root / name
        if not source.exists():
            continue
        depth = len(Path(name).parts) - 1
        text = source.read_text(encoding="utf-8")
        title = next((ln.lstrip("# ").strip() for ln in text.splitlines() if ln.startswith("#")), name)
        target = out / Path(name).with_suffix(".html")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(rewrite_links(page(title, render(text), depth)), encoding="utf-8")
        pages.append(target)
    for name in PLAIN_FILES:
        if (root / name).exists():
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(root / name, out / name)
    for data_file in sorted((root / "data").glob("*")):
        if data_file.suffix in (".csv", ".json"):
            (out / "data").mkdir(exist_ok=True)
            shutil.copy(data_file, out / "data" / data_file.name)
    links = "".join(f"<li><a href='{p.relative_to(out).as_posix()}'>{html.escape(p.relative_to(out).as_posix())}"
                    "</a></li>" for p in pages)
    note = "" if offline else ("<p><strong>Note:</strong> the widget renderer could not be copied (no npm); "
                               "interactive widgets load it from a CDN when online.</p>")
    (out / "index.html").write_text(page(
        "Who killed Trotsky, and how do we know?",
        "<h1>Who killed Trotsky, and how do we know?</h1><p>A static copy of the teaching module: every "
        "notebook and exercise with its saved outputs. To run the code, use JupyterLab (see the "
        f"<a href='README.html'>README</a>).</p>{note}<ul>{links}</ul>", 0), encoding="utf-8")
    return {"pages": len(pages) + 1, "offline_widgets": offline, "out": str(out)}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="site", help="folder to write the site to (default: site)")


def run(args: argparse.Namespace) -> int:
    summary = build(Path(args.out).resolve(), log=lambda line: print(line, flush=True))
    print(f"wrote {summary['pages']} pages to {args.out}/"
          + ("" if summary["offline_widgets"] else " (widget renderer from a CDN: npm was not reachable)"))
    if not summary["offline_widgets"]:
        print("warning: the timeline explorer needs a network connection in this build", file=sys.stderr)
    return 0
