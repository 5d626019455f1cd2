"""Build the static sites of the module (``python -m trotsky1940 build-site``, or ``make html``).

There are two sites, for two audiences, so that students are never one click away from teacher material:

- ``--audience student`` (the default; ``site/`` in ``make html``), the one to publish to students: the chapter
  notebooks (without their *Instructor note.* paragraphs), the student exercise notebooks, the README, the
  glossary, the exercise and data guides, the data files. No ``teachers/``, no ``exercises/reference/`` (model
  answers), no ``exercises/keys/``; links to those become plain text marked "(teacher site)".
- ``--audience teacher`` (``site-teachers/``): all of that with the instructor notes kept, plus the teacher guide
  (with its rubric), the notebooks in ``teachers/`` and the reference notebooks with their model answers. Never
  publish it to students.

Every notebook becomes an HTML page with its saved outputs and widget state, so the charts and the last view of
the timeline explorer show without a kernel; the guides and data dictionary become pages too, and links between
them are rewritten to the HTML pages. The widget renderer (``@jupyter-widgets/html-manager``) and require.js are
copied into ``_static/`` from the npm registry (cached in ``.cache/widgets``), so a site works offline once built.
If npm cannot be reached the pages load them from a CDN instead, and the build says so.

The timeline explorer is shown through its own HTML output (``timeline.explorer_html``: every card and frame
embedded, a small script), not through its saved widget state, which the html-manager can only draw as it was
saved: so slider, arrow keys, Play and the phase menu work on the site, offline. Every notebook page gets
``NOTEBOOK_CSS``: In/Out prompts and code colours with WCAG 2.1 AA contrast, underlined links in text, a sans-serif
font (tests/browser/test_accessibility.py runs axe-core on every page).

A built site holds a marker file, ``.trotsky1940-site``. The build deletes and rewrites ``--out`` only when that
folder holds the marker (or is empty, or does not exist yet): any other folder is left alone, with exit code 2.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from .. import paths

HELP = "build the static HTML site for students (or, with --audience teacher, the one for teachers)"
EPILOG = """\
Examples:
  build the student site into site/ and the teacher site into site-teachers/ (what make html does):
    python -m trotsky1940 build-site --out site
    python -m trotsky1940 build-site --audience teacher --out site-teachers
  build the student site somewhere else, to publish:
    python -m trotsky1940 build-site --out /tmp/trotsky1940-site

The student site is the one to publish to students. The teacher site adds the teacher guide (with the rubric),
the model answers (exercises/reference/) and the instructor notes: never publish it to students.

--out is deleted and rewritten, but only when it is empty or a site this command built (it holds the file
.trotsky1940-site); any other folder is refused with exit code 2 and left as it is.

Prints one line per page with the time it took. Exit code 0 when the site was written, 2 when --out was refused.
"""
HTML_MANAGER = "@jupyter-widgets/html-manager@1.0.15"
REQUIREJS = "requirejs@2.3.7"

AUDIENCES = ("student", "teacher")
MARKER = ".trotsky1940-site"

STUDENT_NOTEBOOK_DIRS = ("notebooks", "exercises")
TEACHER_NOTEBOOK_DIRS = ("teachers", "exercises/reference")
STUDENT_MARKDOWN_PAGES = ("README.md", "LICENSE-CONTENT.md", "CONTRIBUTING.md", "CHANGELOG.md",
                          "notebooks/glossary.md", "exercises/README.md", "data/README.md")
TEACHER_MARKDOWN_PAGES = ("teachers/guide.md", "teachers/grading-at-scale.md")
PLAIN_FILES = ("LICENSE", "CITATION.cff", "environment.yml", "apt.txt", "postBuild", "start", "requirements.txt",
               "Makefile",
               "etc/jupyter/jupyter_server_config.json")
# Repository paths that are teacher material: never copied to the student site, and links to them unlinked there.
TEACHER_ONLY = ("teachers", "exercises/reference", "exercises/keys")

# A Markdown paragraph (or block quote) for the teacher: "> **Instructor note.** …" in the chapters,
# "*For the teacher.* …" (marking notes) in the exercise references.
TEACHER_PARAGRAPH = re.compile(r"^\s*(?:>\s*)*(?:\*\*|__|\*|_)(?:Instructor note|For the teacher)\b", re.I)

TITLE = "Who killed Trotsky, and how do we know?"
SITE_NAMES = {"student": "Student site", "teacher": "Teacher site: not for students"}


# Added to every notebook page (nbconvert's lab template): WCAG 2.1 AA contrast for the In/Out prompts and the code
# colours, links inside text underlined (not told apart by colour alone), and a sans-serif font everywhere.
NOTEBOOK_CSS = """
:root{--jp-cell-prompt-not-active-font-color:#4a4a4a;--jp-cell-inprompt-font-color:#1d5a91;
 --jp-cell-outprompt-font-color:#9a3d1f;--jp-mirror-editor-comment-color:#3b6363;
 --jp-mirror-editor-keyword-color:#006600;--jp-mirror-editor-builtin-color:#006600;
 --jp-mirror-editor-number-color:#006600;--jp-mirror-editor-operator-color:#7a16b8;
 --jp-mirror-editor-string-color:#a11a1a;--jp-mirror-editor-def-color:#0000c0;
 --jp-mirror-editor-variable-2-color:#004a94;--jp-mirror-editor-meta-color:#7a16b8;
 --jp-mirror-editor-attribute-color:#0000c0;--jp-mirror-editor-qualifier-color:#3d5a00;
 --jp-mirror-editor-tag-color:#006600;--jp-mirror-editor-header-color:#0000c0;
 --jp-mirror-editor-link-color:#0b4a8a;--jp-content-link-color:#0b4a8a}
.jp-InputPrompt,.jp-OutputPrompt,.jp-Notebook .jp-Cell:not(.jp-mod-active) .jp-InputPrompt,
.jp-Notebook .jp-Cell:not(.jp-mod-active) .jp-OutputPrompt{color:#4a4a4a!important;opacity:1!important}
.jp-RenderedHTMLCommon a,.jp-RenderedHTMLCommon a:link,.jp-RenderedHTMLCommon a:visited,.jp-RenderedMarkdown a{
 text-decoration:underline!important}
body,.jp-RenderedHTMLCommon{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
"""


def is_explorer_output(output) -> bool:
    """A display of the timeline explorer: a widget view with the explorer's own HTML that runs without a kernel."""
    bundle = output.get("data", {}) if isinstance(output, dict) else {}
    return ("application/vnd.jupyter.widget-view+json" in bundle
            and "t40-x t40-static" in "".join(bundle.get("text/html", "")))


def alive_without_a_kernel(notebook):
    """Show each timeline explorer through its own HTML (every card and frame embedded, a small script), not
    through the saved widget state: the html-manager can only show the saved view, with no Python to move the card
    and the image. Other widgets keep their saved state."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if is_explorer_output(output):
                del output["data"]["application/vnd.jupyter.widget-view+json"]
    return without_unused_widget_state(notebook)


WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def without_unused_widget_state(notebook):
    """Keep only the saved widget models that a remaining widget view needs (itself, its children, its links).

    The explorer's models (an anywidget among them, whose code the static page's renderer would try to fetch from a
    CDN) are dropped once its views are replaced by its own HTML; a notebook with no widget views left keeps no
    widget state at all."""
    widgets_meta = notebook.metadata.get("widgets", {})
    state = widgets_meta.get(WIDGET_STATE, {}).get("state", {})
    wanted = [output["data"]["application/vnd.jupyter.widget-view+json"].get("model_id")
              for cell in notebook.cells if cell.cell_type == "code" for output in cell.get("outputs", [])
              if "application/vnd.jupyter.widget-view+json" in output.get("data", {})]
    keep, todo = set(), [m for m in wanted if m in state]
    while todo:
        model = todo.pop()
        if model in keep:
            continue
        keep.add(model)
        todo.extend(ref for ref in re.findall(r"IPY_MODEL_([0-9a-f]+)", json.dumps(state[model])) if ref in state)
    # a link (jslink) is a model of its own that points at the widgets it joins: keep it when they are kept
    for model, entry in state.items():
        refs = set(re.findall(r"IPY_MODEL_([0-9a-f]+)", json.dumps(entry)))
        if refs and refs <= keep and entry.get("model_name", "").endswith("LinkModel"):
            keep.add(model)
    if not keep:
        notebook.metadata.pop("widgets", None)
    elif state:
        widgets_meta[WIDGET_STATE]["state"] = {m: state[m] for m in state if m in keep}
    return notebook


def accessible_page(body: str) -> str:
    """A notebook page with NOTEBOOK_CSS."""
    body = body.replace("</head>", f"<style>{NOTEBOOK_CSS}</style></head>", 1)
    return body


class OutFolderRefused(Exception):
    """``--out`` is a folder this command did not build: deleting it could lose someone's files."""


def safe_extract(archive: tarfile.TarFile, dest: Path) -> None:
    """Unpack an npm package: regular files and folders only, never outside ``dest``. Python 3.10.12+ and 3.11.4+
    have tarfile's "data" filter for this; older 3.10 and 3.11 releases (still supported) get the same rules here."""
    if hasattr(tarfile, "data_filter"):
        archive.extractall(dest, filter="data")
        return
    dest = dest.resolve()
    for member in archive.getmembers():
        target = (dest / member.name).resolve()
        if not (member.isfile() or member.isdir()) or (target != dest and dest not in target.parents):
            raise tarfile.TarError(f"refusing to unpack {member.name!r}: not a plain file inside the package")
        member.mode = (member.mode | 0o600) & 0o755  # as the data filter does: no set-id bits, owner can read
        archive.extract(member, dest)


def widget_assets(root: Path, static: Path) -> bool:
    """Copy the html-manager and require.js into ``static``; False when they cannot be had (use the CDN).

    The first build fetches them with ``npm pack`` into ``.cache/widgets``. The fetch is staged in a folder of its
    own and moved into place in one rename, so two builds at once (two test workers, two terminals) never see or
    delete each other's half-made copy."""
    cache = root / ".cache" / "widgets"
    manager, requirejs = cache / "html-manager", cache / "require.js"

    def ready() -> bool:
        return (manager / "embed-amd.js").exists() and requirejs.exists()

    if not ready():
        if not shutil.which("npm"):
            return False
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache, prefix=".fetch-") as tmp:
            packed = subprocess.run(["npm", "pack", HTML_MANAGER, REQUIREJS, "--silent"], cwd=tmp,
                                    capture_output=True, text=True, timeout=300)
            if packed.returncode != 0:
                return False
            for tgz in Path(tmp).glob("*.tgz"):
                with tarfile.open(tgz) as archive:
                    safe_extract(archive, Path(tmp) / "unpacked" / tgz.stem)
            unpacked, stage = Path(tmp) / "unpacked", Path(tmp) / "stage"
            stage.mkdir()
            shutil.copytree(next(unpacked.glob("jupyter-widgets-html-manager-*")) / "package" / "dist",
                            stage / "html-manager")
            shutil.copy(next(unpacked.glob("requirejs-*")) / "package" / "require.js", stage / "require.js")
            os.replace(stage / "require.js", requirejs)
            if manager.exists() and not (manager / "embed-amd.js").exists():
                shutil.rmtree(manager, ignore_errors=True)  # a half-made copy from an interrupted older build
            try:
                os.rename(stage / "html-manager", manager)
            except OSError:
                pass  # another build moved its copy in first: the same pinned files
    shutil.copytree(manager, static / "html-manager", dirs_exist_ok=True)
    shutil.copy(requirejs, static / "require.js")
    return True


def is_teacher_only(rel: str) -> bool:
    """Whether a repository-relative path (``teachers/guide.md``) is teacher material."""
    rel = posixpath.normpath(rel)
    return any(rel == top or rel.startswith(top + "/") for top in TEACHER_ONLY)


def strip_teacher_paragraphs(source: str) -> str:
    """A Markdown cell without its paragraphs for the teacher (``> **Instructor note.** …``, ``*For the teacher.*
    …``); the source unchanged when it has none."""
    paragraphs = re.split(r"\n\s*\n", source)
    kept = [p for p in paragraphs if not TEACHER_PARAGRAPH.match(p)]
    return "\n\n".join(kept) if len(kept) != len(paragraphs) else source


def student_copy(notebook):
    """The notebook (already an in-memory copy read from its file) without the paragraphs for the teacher;
    a Markdown cell left empty is dropped."""
    cells = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = strip_teacher_paragraphs(cell.source)
            if not cell.source.strip():
                continue
        cells.append(cell)
    notebook.cells = cells
    return notebook


def rewrite_links(markup: str, page_rel: str = "index.html", audience: str = "student",
                  relocate: Callable[[str], str] | None = None) -> str:
    """Point links at notebooks and Markdown files to their HTML pages. On the student site, a link to teacher
    material (resolved from ``page_rel``, the page's repository path) becomes its text and "(teacher site)".
    ``relocate``, when given, maps each relative link path first (see ``student_location``)."""
    folder = posixpath.dirname(page_rel)

    def unlink(match: re.Match) -> str:
        target = match.group(2)
        if re.match(r"^[a-z]+:|^#|^//", target):
            return match.group(0)
        path = target.partition("#")[0].partition("?")[0]
        if not path or not is_teacher_only(posixpath.join(folder, path)):
            return match.group(0)
        return f"<span class='t40-teacher-only'>{match.group(3)}</span> (teacher site)"

    if audience == "student":
        markup = re.sub(r"<a\b[^>]*?\bhref=([\"'])([^\"']+)\1[^>]*>(.*?)</a>", unlink, markup, flags=re.S)

    def fix(match: re.Match) -> str:
        attr, quote, target = match.group(1), match.group(2), match.group(3)
        if re.match(r"^[a-z]+:|^#|^//", target):
            return match.group(0)
        path, _, fragment = target.partition("#")
        if relocate is not None and path:
            path = relocate(path)
        if path.endswith((".ipynb", ".md")):
            path = path.rsplit(".", 1)[0] + ".html"
        elif path.endswith("/") and path:
            path += "README.html"
        return f'{attr}={quote}{path}{"#" + fragment if fragment else ""}{quote}'

    return re.sub(r'(href)=(["\'])([^"\']+)\2', fix, markup)


def student_location(root: Path, rel: Path) -> Callable[[str], str]:
    """For a reference notebook (``exercises/reference/01-background.ipynb``): its links are written for the
    student copy it is built into (``exercises/01-background.ipynb``), so a link that leads nowhere from the
    reference's own folder but does from the student copy's is made to point there from the reference."""
    here, there = rel.parent.as_posix(), rel.parent.parent.as_posix()

    def relocate(path: str) -> str:
        if (root / here / path).exists() or not (root / there / path).exists():
            return path
        return posixpath.relpath(posixpath.normpath(posixpath.join(there, path)), here)

    return relocate


STYLE = ("body{font-family:system-ui,sans-serif;max-width:62em;margin:2em auto;padding:0 1em;line-height:1.5;"
         "color:#111}table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:.3em .5em;"
         "vertical-align:top}code,pre{background:#f4f4f4}pre{padding:.6em;overflow:auto}"
         "nav{display:flex;gap:1em;align-items:baseline}.t40-site{font-size:.9em;padding:.1em .5em;border-radius:.3em}"
         ".t40-site-student{background:#e6f0fa;color:#0b3d6e}.t40-site-teacher{background:#fde8e8;color:#8a1010}"
         ".t40-banner{padding:.8em 1em;border-radius:.4em;margin:1em 0}"
         ".t40-banner-student{background:#e6f0fa;border-left:.4em solid #1f6fb8}"
         ".t40-banner-teacher{background:#fde8e8;border-left:.4em solid #b81f1f}"
         "li{margin:.2em 0}.t40-path{color:#555;font-size:.9em}a{color:#0b4a8a;text-decoration:underline}")


def page(title: str, body: str, depth: int, audience: str = "student") -> str:
    up = "../" * depth
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><style>{STYLE}</style></head>"
            f"<body><nav><a href='{up}index.html'>Start</a><span class='t40-site t40-site-{audience}'>"
            f"{SITE_NAMES[audience]}</span></nav>{body}</body></html>")


def is_legacy_site(out: Path) -> bool:
    """A site built before the marker file existed: our index page, and nothing at the top that a build does not
    write."""
    index = out / "index.html"
    known = {"index.html", "README.html", "LICENSE-CONTENT.html", "CONTRIBUTING.html", "CHANGELOG.html", "_static",
             *STUDENT_NOTEBOOK_DIRS, "teachers",
             "data", *(Path(name).parts[0] for name in PLAIN_FILES)}
    try:
        text = index.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return ("A static copy of the teaching module" in text and (out / "_static").is_dir()
            and all(entry.name in known for entry in out.iterdir()))


def prepare_out(out: Path) -> None:
    """Empty ``out`` for a new build, or raise OutFolderRefused when it holds files this command did not write."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise OutFolderRefused(f"{out} is not a folder; choose another --out")
    if not out.exists() or not any(out.iterdir()):
        out.mkdir(parents=True, exist_ok=True)
        return
    if not (out / MARKER).is_file() and not is_legacy_site(out):
        raise OutFolderRefused(
            f"{out} is not empty and is not a site built by build-site (it has no {MARKER} file), so it was left "
            "as it is. Choose another --out (an empty or new folder), or delete that folder yourself first.")
    for entry in out.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def notebook_title(notebook, fallback: str) -> str:
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def index_body(audience: str, entries: list[tuple[str, str]], offline: bool) -> str:
    def items(selected):
        return "".join(f"<li><a href='{html.escape(rel)}'>{html.escape(title)}</a> "
                       f"<span class='t40-path'>{html.escape(rel)}</span></li>" for rel, title in selected)

    note = "" if offline else ("<p><strong>Note:</strong> the widget renderer could not be copied (no npm); "
                               "interactive widgets load it from a CDN when online.</p>")
    if audience == "student":
        banner = ("<div class='t40-banner t40-banner-student'><p><strong>Student site.</strong> The chapters and "
                  "exercises of the module with their saved outputs, the glossary and the data. To run the code "
                  "and check your answers, use JupyterLab (see the <a href='README.html'>README</a>).</p></div>")
        return f"<h1>{TITLE}</h1>{banner}{note}<ul>{items(entries)}</ul>"
    banner = ("<div class='t40-banner t40-banner-teacher'><p><strong>Teacher site: do not publish it to "
              "students.</strong> It holds the teacher guide with the rubric, the model answers of the exercises "
              "(<code>exercises/reference/</code>) and the instructor notes of the chapters. The site to publish to "
              "students is the student site (<code>site/</code> from <code>make html</code>).</p></div>")
    order = {"teachers/guide.html": 0, "exercises/reference": 1}
    teacher = sorted(((rel, f"{title}: model answers and marking notes" if rel.startswith("exercises/reference/")
                       else title) for rel, title in entries if is_teacher_only(rel)),
                     key=lambda entry: order.get(entry[0], order.get(posixpath.dirname(entry[0]), 2)))
    shared = [(rel, title) for rel, title in entries if not is_teacher_only(rel)]
    return (f"<h1>{TITLE}</h1>{banner}{note}<h2>Teacher material (only on this site)</h2><ul>{items(teacher)}</ul>"
            "<h2>Also on the student site (here with the instructor notes)</h2>"
            f"<ul>{items(shared)}</ul>")


def build(out: Path, root: Path | None = None, log=None, audience: str = "student") -> dict[str, object]:
    """Build the site for ``audience`` (student or teacher) into ``out``; return a summary (pages written,
    whether widgets work offline). Raises OutFolderRefused, before touching anything, when ``out`` is a folder
    with files that this command did not write."""
    import mistune
    import nbformat
    from nbconvert import HTMLExporter

    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {AUDIENCES}, not {audience!r}")
    root = root or paths.repo_root()
    prepare_out(out)
    (out / MARKER).write_text(f"Built by python -m trotsky1940 build-site --audience {audience}. The next build "
                              "deletes this folder's contents and writes them again.\n", encoding="utf-8")
    static = out / "_static"
    static.mkdir(parents=True)
    offline = widget_assets(root, static)
    entries: list[tuple[str, str]] = []
    folders = STUDENT_NOTEBOOK_DIRS + (TEACHER_NOTEBOOK_DIRS if audience == "teacher" else ())
    for folder in folders:
        for notebook_path in sorted((root / folder).glob("*.ipynb")):
            rel = notebook_path.relative_to(root)
            if audience == "student" and is_teacher_only(rel.as_posix()):
                continue
            began = time.perf_counter()
            depth = len(rel.parts) - 1
            exporter = HTMLExporter(template_name="lab")
            if offline:
                exporter.widget_renderer_url = "../" * depth + "_static/html-manager/embed-amd.js"
                exporter.require_js_url = "../" * depth + "_static/require.js"
            notebook = nbformat.read(notebook_path, as_version=4)  # a copy in memory: the file is never written
            if audience == "student":
                notebook = student_copy(notebook)
            notebook = alive_without_a_kernel(notebook)
            resources = {"metadata": {"name": notebook_path.stem, "path": str(notebook_path.parent)}}
            body, _ = exporter.from_notebook_node(notebook, resources=resources)
            # The module has no mathematics: leave MathJax out, so a page loads nothing from outside.
            body = re.sub(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", "", body, flags=re.S)
            body = accessible_page(body)
            target_rel = rel.with_suffix(".html").as_posix()
            target = out / target_rel
            target.parent.mkdir(parents=True, exist_ok=True)
            relocate = student_location(root, rel) if rel.parent.as_posix() == "exercises/reference" else None
            target.write_text(rewrite_links(body, rel.as_posix(), audience, relocate), encoding="utf-8")
            entries.append((target_rel, notebook_title(notebook, notebook_path.stem)))
            if log is not None:
                log(f"{target_rel}: {time.perf_counter() - began:.1f} s")
    render = mistune.create_markdown(plugins=["table"])
    markdown_pages = STUDENT_MARKDOWN_PAGES + (TEACHER_MARKDOWN_PAGES if audience == "teacher" else ())
    for name in markdown_pages:
        source = root / name
        if not source.exists():
            continue
        depth = len(Path(name).parts) - 1
        text = source.read_text(encoding="utf-8")
        title = next((ln.lstrip("# ").strip() for ln in text.splitlines() if ln.startswith("#")), name)
        target_rel = Path(name).with_suffix(".html").as_posix()
        target = out / target_rel
        target.parent.mkdir(parents=True, exist_ok=True)
        rendered = render(text).replace("<pre>", "<pre tabindex='0'>")  # a wide block scrolls from the keyboard too
        target.write_text(rewrite_links(page(title, rendered, depth, audience), name, audience),
                          encoding="utf-8")
        entries.append((target_rel, title))
    for name in PLAIN_FILES:
        if (root / name).exists():
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(root / name, out / name)
    for data_file in sorted((root / "data").glob("*")):
        if data_file.suffix in (".csv", ".json"):
            (out / "data").mkdir(exist_ok=True)
            shutil.copy(data_file, out / "data" / data_file.name)
    title = f"{TITLE} ({SITE_NAMES[audience].lower()})"
    (out / "index.html").write_text(page(title, index_body(audience, entries, offline), 0, audience),
                                    encoding="utf-8")
    return {"pages": len(entries) + 1, "offline_widgets": offline, "out": str(out), "audience": audience}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="site", help="folder to write the site to (default: site); deleted and "
                        "rewritten only when it is empty or a site built by this command")
    parser.add_argument("--audience", choices=AUDIENCES, default="student",
                        help="student (default): the site to publish to students; teacher: also the teacher "
                        "guide, the model answers and the instructor notes (never publish it to students)")


def run(args: argparse.Namespace) -> int:
    try:
        summary = build(Path(args.out).resolve(), log=lambda line: print(line, flush=True), audience=args.audience)
    except OutFolderRefused as refused:
        print(f"build-site: {refused}", file=sys.stderr)
        return 2
    print(f"wrote the {args.audience} site, {summary['pages']} pages, to {args.out}/"
          + ("" if summary["offline_widgets"] else " (widget renderer from a CDN: npm was not reachable)"))
    if args.audience == "teacher":
        print("this is the teacher site (guide, rubric, model answers): do not publish it to students")
    if not summary["offline_widgets"]:
        print("warning: the timeline explorer needs a network connection in this build", file=sys.stderr)
    return 0
