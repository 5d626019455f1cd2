"""`make html`: a static site in which every page exists, has no error output, and every internal link resolves."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest

from .helpers import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    if not shutil.which("npm") and os.environ.get("CI", "").lower() not in ("1", "true", "yes"):
        pytest.skip("make html copies the widget renderer from the npm registry: install npm (Debian: apt-get "
                    "install npm) to test the static site")
    out = tmp_path_factory.mktemp("site") / "site"
    result = subprocess.run([sys.executable, "-m", "trotsky1940", "build-site", "--out", str(out)], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return out


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_every_notebook_exercise_and_guide_has_a_page(site):
    expected = [f"notebooks/{p.stem}.html" for p in (ROOT / "notebooks").glob("*.ipynb")]
    expected += [f"exercises/{p.stem}.html" for p in (ROOT / "exercises").glob("*.ipynb")]
    expected += ["index.html", "README.html", "teachers/timeline-app.html", "data/README.html"]
    expected += [f"{p.relative_to(ROOT).with_suffix('.html')}" for p in
                 [ROOT / "notebooks" / "glossary.md", ROOT / "teachers" / "guide.md"] if p.exists()]
    for name in expected:
        assert (site / name).is_file(), f"missing page {name}"


def test_no_page_shows_an_error_or_a_machine_path(site):
    for path in pages(site):
        if "_static" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        assert "Traceback (most recent call last)" not in text, path
        assert 'data-mime-type="application/vnd.jupyter.stderr"' not in text, path
        assert not re.search(r"(/root|/home|/tmp|/work)/[\w.-]+/", re.sub(r"<script.*?</script>", "", text,
                                                                          flags=re.S)), path


def test_internal_links_resolve(site):
    broken = []
    for path in pages(site):
        if "_static" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for target in re.findall(r'(?:href|src)=["\']([^"\']+)["\']', text):
            if re.match(r"^(?:[a-z]+:|#|//)", target):
                continue
            file = unquote(target.split("#", 1)[0].split("?", 1)[0])
            if file and not (path.parent / file).resolve().exists():
                broken.append(f"{path.relative_to(site)} -> {target}")
    assert broken == []


def test_widget_state_and_renderer_are_embedded(site):
    text = (site / "notebooks" / "00-start-here.html").read_text(encoding="utf-8")
    assert "application/vnd.jupyter.widget-state+json" in text
    assert "_static/html-manager/embed-amd.js" in text and (site / "_static" / "require.js").exists()
