"""`make html`: a student site and a teacher site. Every page exists, has no error output, and every internal link
resolves; the student site holds no teacher material (no guide, rubric, model answers, instructor notes, answer
keys); and `--out` is only deleted when it is a site the command built."""

from __future__ import annotations

import copy
import html
import json
import re
from pathlib import Path
from urllib.parse import unquote

import nbformat
import pytest

from trotsky1940.authoring import site as site_module

from .conftest import build_site, chapter_hashes
from .helpers import ROOT

pytestmark = pytest.mark.slow


def pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if "_static" not in p.relative_to(site).parts)


def page_names(site: Path) -> set[str]:
    return {p.relative_to(site).as_posix() for p in pages(site)}


def text_of(markup: str) -> str:
    """What a reader sees: no scripts or styles, no tags, entities decoded, spaces collapsed."""
    markup = re.sub(r"<(script|style)\b.*?</\1>", " ", markup, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup)))


def site_text(site: Path) -> str:
    return "\n".join(text_of(p.read_text(encoding="utf-8")) for p in pages(site))


def student_pages() -> set[str]:
    names = {"index.html", "README.html", "LICENSE-CONTENT.html", "CONTRIBUTING.html", "CHANGELOG.html",
             "notebooks/glossary.html", "exercises/README.html",
             "data/README.html"}
    names |= {f"notebooks/{p.stem}.html" for p in (ROOT / "notebooks").glob("*.ipynb")}
    names |= {f"exercises/{p.stem}.html" for p in (ROOT / "exercises").glob("*.ipynb")}
    return names


def plain_start(text: str) -> str:
    """The words of ``text`` up to its first Markdown mark or line break, as they read once rendered."""
    return re.split(r"[*`\[_\n|]", text.strip(), maxsplit=1)[0].strip()


def teacher_snippets() -> list[str]:
    """Text that only teachers may read: the rubric (heading and table cells), the instructor notes of the
    chapters, the marking notes and model answers of the reference notebooks."""
    fixed = ["Rubric for the reflection questions", "Model answer", "Instructor note", "For the teacher"]
    snippets = []
    guide = (ROOT / "teachers" / "guide.md").read_text(encoding="utf-8")
    rubric = guide.split("## Rubric for the reflection questions", 1)[1].split("\n## ", 1)[0]
    snippets += [plain_start(cell) for cell in re.findall(r"^\| [0-3] \| (.+?) \|$", rubric, flags=re.M)]
    for notebook in [*(ROOT / "notebooks").glob("*.ipynb"), *(ROOT / "exercises" / "reference").glob("*.ipynb")]:
        for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
            source = "".join(cell["source"])
            for marker in ("> **Instructor note.**", "*For the teacher.*"):
                for after in source.split(marker)[1:]:
                    snippets.append(plain_start(after.replace("\n> ", " ").replace("\n", " ")))
    return fixed + [s for s in snippets if len(s) >= 15]


def test_the_student_site_has_exactly_the_student_pages(site):
    assert page_names(site) == student_pages()
    for folder in ("teachers", "exercises/reference", "exercises/keys"):
        assert not (site / folder).exists(), f"{folder}/ is on the student site"
    csv = sorted(p.name for p in (ROOT / "data").glob("*.csv"))
    assert csv and sorted(p.name for p in (site / "data").glob("*.csv")) == csv
    assert (site / "data" / "datapackage.json").is_file() and (site / "LICENSE").is_file()


def test_the_teacher_site_adds_the_guide_the_teacher_notebooks_and_the_model_answers(teacher_site):
    extra = {"teachers/guide.html", "teachers/grading-at-scale.html"}
    extra |= {f"teachers/{p.stem}.html" for p in (ROOT / "teachers").glob("*.ipynb")}
    extra |= {f"exercises/reference/{p.stem}.html" for p in (ROOT / "exercises" / "reference").glob("*.ipynb")}
    assert {"teachers/timeline-app.html", "teachers/mark-reflections.html"} <= extra
    assert page_names(teacher_site) == student_pages() | extra
    assert not (teacher_site / "exercises" / "keys").exists()


def test_no_student_page_shows_teacher_material_that_the_teacher_site_has(site, teacher_site):
    snippets = teacher_snippets()
    assert len(snippets) >= 20, snippets  # the rubric rows, four instructor notes, four marking notes, …
    student, teacher = site_text(site), site_text(teacher_site)
    missing_from_teacher = [s for s in snippets if s not in teacher]
    assert missing_from_teacher == [], "the check would be vacuous: the teacher site lacks these"
    assert [s for s in snippets if s in student] == []


def test_the_instructor_notes_are_stripped_from_a_copy_never_from_the_file(sites):
    assert chapter_hashes() == sites.chapters_before
    assert "Instructor note." in (ROOT / "notebooks" / "01-background.ipynb").read_text(encoding="utf-8")
    teacher = (sites.teacher / "notebooks" / "01-background.html").read_text(encoding="utf-8")
    student = (sites.student / "notebooks" / "01-background.html").read_text(encoding="utf-8")
    assert "Instructor note." in teacher and "Instructor note." not in student
    # The rest of the chapter is there: every code cell, and every Markdown cell but those that are only a note.
    chapter = nbformat.read(ROOT / "notebooks" / "01-background.ipynb", as_version=4)
    only_notes = sum(1 for c in chapter.cells if c.cell_type == "markdown"
                     and "Instructor note" in c.source and not site_module.strip_teacher_paragraphs(c.source).strip())
    assert only_notes >= 1
    assert student.count("jp-CodeCell") == teacher.count("jp-CodeCell") > 0
    assert student.count("jp-MarkdownCell") == teacher.count("jp-MarkdownCell") - only_notes


def test_each_index_says_which_site_it_is(site, teacher_site):
    student = text_of((site / "index.html").read_text(encoding="utf-8"))
    teacher = text_of((teacher_site / "index.html").read_text(encoding="utf-8"))
    assert "Student site" in student and "Teacher site" not in student
    assert "Teacher site: do not publish it to students" in teacher
    index = (teacher_site / "index.html").read_text(encoding="utf-8")
    assert "href='teachers/guide.html'" in index and "href='exercises/reference/01-background.html'" in index
    assert "teachers/" not in (site / "index.html").read_text(encoding="utf-8")


def test_links_to_teacher_material_become_text_on_the_student_site(site, teacher_site):
    student = (site / "README.html").read_text(encoding="utf-8")
    assert "teachers/guide" not in re.findall(r"href=[\"']([^\"']+)", student)
    assert "<code>teachers/guide.md</code></span> (teacher site)" in student
    assert 'href="teachers/guide.html"' in (teacher_site / "README.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("which", ["site", "teacher_site"])
def test_no_page_shows_an_error_or_a_machine_path(which, request):
    built = request.getfixturevalue(which)
    for path in pages(built):
        text = path.read_text(encoding="utf-8")
        assert "Traceback (most recent call last)" not in text, path
        assert 'data-mime-type="application/vnd.jupyter.stderr"' not in text, path
        assert not re.search(r"(/root|/home|/tmp|/work)/[\w.-]+/", re.sub(r"<script.*?</script>", "", text,
                                                                          flags=re.S)), path


@pytest.mark.parametrize("which", ["site", "teacher_site"])
def test_internal_links_resolve(which, request):
    built = request.getfixturevalue(which)
    broken, checked = [], 0
    for path in pages(built):
        text = path.read_text(encoding="utf-8")
        for target in re.findall(r'(?:href|src)=["\']([^"\']+)["\']', text):
            if re.match(r"^(?:[a-z]+:|#|//)", target):
                continue
            file = unquote(target.split("#", 1)[0].split("?", 1)[0])
            if not file:
                continue
            checked += 1
            resolved = (path.parent / file).resolve()
            if not resolved.exists() or not resolved.is_relative_to(built.resolve()):
                broken.append(f"{path.relative_to(built)} -> {target}")
    assert checked > 30 and broken == []


def test_the_explorer_runs_from_its_own_script_with_no_widget_state_to_fetch(site):
    """The explorer's saved widget models (one is an anywidget, whose code a static page would fetch from a CDN)
    are dropped with its views; its own embedded HTML and script remain. The renderer stays available offline."""
    for page in sorted((site / "notebooks").glob("0*.html")):
        text = page.read_text(encoding="utf-8")
        assert "t40-x t40-static" in text, page.name
        assert "anywidget" not in text and "unpkg.com" not in text, page.name
    assert (site / "_static" / "require.js").exists() and (site / "_static" / "html-manager" / "embed-amd.js").exists()


def test_unused_widget_state_is_dropped_and_the_rest_kept():
    def model(name, **state):
        return {"model_module": "@jupyter-widgets/controls", "model_name": name, "state": state}

    state = {"aa01": model("VBoxModel", children=["IPY_MODEL_bb02"]), "bb02": model("IntSliderModel"),
             "cc03": model("DirectionalLinkModel", source=["IPY_MODEL_bb02", "value"],
                           target=["IPY_MODEL_bb02", "max"]),
             "dd04": {"model_module": "anywidget", "model_name": "AnyModel", "state": {}},
             "ee05": model("LinkModel", source=["IPY_MODEL_dd04", "value"], target=["IPY_MODEL_bb02", "value"])}
    view = {"output_type": "display_data", "metadata": {},
            "data": {"application/vnd.jupyter.widget-view+json": {"model_id": "aa01", "version_major": 2}}}
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("w", outputs=[nbformat.from_dict(view)])])
    nb.metadata["widgets"] = {site_module.WIDGET_STATE: {"state": copy.deepcopy(state), "version_major": 2}}
    kept = site_module.without_unused_widget_state(nb).metadata["widgets"][site_module.WIDGET_STATE]["state"]
    assert sorted(kept) == ["aa01", "bb02", "cc03"]  # the anywidget and its link are gone
    nb.cells[0].outputs = []
    assert "widgets" not in site_module.without_unused_widget_state(nb).metadata


def test_a_built_site_is_marked_and_an_earlier_build_is_replaced(sites):
    for built in (sites.student, sites.teacher):
        assert (built / site_module.MARKER).is_file()
    assert not (sites.student / "teachers").exists()  # the stale page of the earlier build went with it


# --out: a folder the command did not build is never deleted.

@pytest.mark.parametrize("audience", site_module.AUDIENCES)
def test_a_folder_with_someone_elses_files_is_refused_and_left_alone(tmp_path, audience):
    out = tmp_path / "my documents"
    (out / "old").mkdir(parents=True)
    (out / "notes.txt").write_text("my notes\n", encoding="utf-8")
    (out / "old" / "index.html").write_text("<p>mine</p>", encoding="utf-8")
    result = build_site(out, "--audience", audience)
    assert result.returncode == 2
    assert str(out) in result.stderr and site_module.MARKER in result.stderr and "left as it is" in result.stderr
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == ["notes.txt", "old", "old/index.html"]
    assert (out / "notes.txt").read_text(encoding="utf-8") == "my notes\n"


def test_a_file_as_out_is_refused(tmp_path):
    out = tmp_path / "site"
    out.write_text("not a folder", encoding="utf-8")
    result = build_site(out)
    assert result.returncode == 2 and str(out) in result.stderr
    assert out.read_text(encoding="utf-8") == "not a folder"


def test_prepare_out_empties_only_an_empty_folder_a_marked_site_or_an_unmarked_earlier_build(tmp_path):
    fresh = tmp_path / "new" / "site"
    site_module.prepare_out(fresh)
    assert fresh.is_dir()
    marked = tmp_path / "marked"
    (marked / "notebooks").mkdir(parents=True)
    (marked / site_module.MARKER).write_text("", encoding="utf-8")
    (marked / "notebooks" / "x.html").write_text("", encoding="utf-8")
    site_module.prepare_out(marked)
    assert list(marked.iterdir()) == []
    # A site built before the marker existed: our index page, and only what a build writes.
    legacy = tmp_path / "legacy"
    (legacy / "_static").mkdir(parents=True)
    (legacy / "teachers").mkdir()
    (legacy / "index.html").write_text("<h1>Who killed Trotsky?</h1><p>A static copy of the teaching module: …",
                                       encoding="utf-8")
    site_module.prepare_out(legacy)
    assert list(legacy.iterdir()) == []
    # The same with one file of someone else's: refused.
    (legacy / "_static").mkdir()
    (legacy / "index.html").write_text("<p>A static copy of the teaching module</p>", encoding="utf-8")
    (legacy / "photo.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(site_module.OutFolderRefused, match="legacy"):
        site_module.prepare_out(legacy)
    assert (legacy / "photo.jpg").exists()


def test_teacher_paragraphs_are_stripped_and_the_rest_kept():
    text = ("## Q\n\nAsk this.\n\n> **Instructor note.** Ask pairs…\n> more.\n\n*For the teacher.* A good answer…\n"
            "more.\n\n_For the teacher._ Also.\n\n> **Content note.** Stays.\n\n**Answer type:** words.")
    assert site_module.strip_teacher_paragraphs(text) == ("## Q\n\nAsk this.\n\n> **Content note.** Stays.\n\n"
                                                          "**Answer type:** words.")
    assert site_module.strip_teacher_paragraphs("No note.\n\n\nHere.") == "No note.\n\n\nHere."


def test_student_links_to_teacher_material_are_unlinked_and_others_rewritten():
    markup = ("<a href='../teachers/guide.md#rubric'>the guide</a> <a href=\"../exercises/reference/01-x.ipynb\">"
              "<code>ref</code></a> <a href='../exercises/keys/'>keys</a> <a href='03-the-attack.ipynb'>ch 3</a> "
              "<a href='https://example.org/teachers/x.md'>web</a>")
    student = site_module.rewrite_links(markup, "notebooks/01-background.ipynb", "student")
    unlinked = " ".join(f"<span class='t40-teacher-only'>{text}</span> (teacher site)"
                        for text in ("the guide", "<code>ref</code>", "keys"))
    assert student == (f"{unlinked} <a href='03-the-attack.html'>ch 3</a> "
                       "<a href='https://example.org/teachers/x.md'>web</a>")
    teacher = site_module.rewrite_links(markup, "notebooks/01-background.ipynb", "teacher")
    assert "href='../teachers/guide.html#rubric'" in teacher and "href='../exercises/keys/README.html'" in teacher


def test_links_of_a_reference_notebook_are_those_of_its_student_copy(teacher_site):
    """exercises/reference/01-background.ipynb links to ../notebooks/…, written for exercises/01-background.ipynb."""
    text = (teacher_site / "exercises" / "reference" / "01-background.html").read_text(encoding="utf-8")
    assert 'href="../../notebooks/01-background.html"' in text


@pytest.mark.parametrize("has_filter", [True, False])
def test_npm_packages_unpack_safely_with_or_without_tarfiles_data_filter(tmp_path, monkeypatch, has_filter):
    """filter="data" exists only from Python 3.10.12 / 3.11.4; the package supports earlier 3.10 and 3.11 too."""
    import io
    import tarfile

    def archive_with(*members):
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            for name, kind in members:
                info = tarfile.TarInfo(name)
                if kind == "link":
                    info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
                    tar.addfile(info)
                else:
                    info.size = 2
                    tar.addfile(info, io.BytesIO(b"ok"))
        buffer.seek(0)
        return tarfile.open(fileobj=buffer, mode="r:gz")

    if not has_filter:
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    site_module.safe_extract(archive_with(("package/dist/embed-amd.js", "file")), tmp_path / "ok")
    assert (tmp_path / "ok" / "package" / "dist" / "embed-amd.js").read_bytes() == b"ok"
    for bad in (("../escape.js", "file"), ("package/link", "link")):
        with pytest.raises(tarfile.TarError):
            site_module.safe_extract(archive_with(bad), tmp_path / "bad")
    assert not (tmp_path / "escape.js").exists()


def test_only_the_badge_naming_the_site_is_ignored_when_pages_are_compared(tmp_path):
    """The axe check skips a teacher page that is the student site's but for the badge (browser/test_accessibility)."""
    from .browser.test_accessibility import BADGE, same_page

    teacher, student = tmp_path / "teacher", tmp_path / "student"
    for folder, audience in ((teacher, "teacher"), (student, "student")):
        folder.mkdir()
        for name, title, body in (("same.html", "A page", "<p>the same</p>"),
                                  ("other.html", "A page", f"<p>{audience}</p>"), ("index.html", "Index", "<p>x</p>")):
            (folder / name).write_text(site_module.page(title, body, 0, audience), encoding="utf-8")
    (teacher / "teacher-only.html").write_text("<p>notes</p>", encoding="utf-8")
    assert BADGE.search((teacher / "same.html").read_text(encoding="utf-8"))
    assert same_page("same.html", teacher, student)
    assert not same_page("other.html", teacher, student)
    assert not same_page("index.html", teacher, student)  # the badge's own colours are checked there
    assert not same_page("teacher-only.html", teacher, student)
