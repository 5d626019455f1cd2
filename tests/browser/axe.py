"""axe-core (pinned, from the npm registry, kept in .cache/axe-core) run in a Playwright page with the WCAG 2.1 A
and AA rules. ``npm pack`` fetches it once; its SHA-256 is checked, so a test never runs another build of axe."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from ..helpers import ROOT

AXE_VERSION = "4.14.1"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"  # package/axe.min.js
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
CACHE = ROOT / ".cache" / "axe-core" / AXE_VERSION / "axe.min.js"


def axe_source() -> str:
    """The text of axe.min.js, fetched with npm into the test cache the first time."""
    if not CACHE.exists():
        if not shutil.which("npm"):
            raise RuntimeError("axe-core is not in .cache/axe-core and npm is not installed to fetch it")
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(["npm", "pack", f"axe-core@{AXE_VERSION}", "--silent"], cwd=tmp, check=True,
                           capture_output=True, timeout=300)
            with tarfile.open(next(Path(tmp).glob("axe-core-*.tgz"))) as archive:
                archive.extractall(tmp, filter="data")
            CACHE.parent.mkdir(parents=True, exist_ok=True)
            staged = CACHE.with_name(f".axe.min.js.{os.getpid()}")
            shutil.copy(Path(tmp) / "package" / "axe.min.js", staged)
            os.replace(staged, CACHE)  # in one step: a test worker reading it never sees half a file
    text = CACHE.read_bytes()
    digest = hashlib.sha256(text).hexdigest()
    if digest != AXE_SHA256:
        raise RuntimeError(f"{CACHE}: SHA-256 {digest}, expected {AXE_SHA256}; delete it to fetch it again")
    return text.decode("utf-8")


def run_axe(page, include: str | None = None) -> list[dict]:
    """The WCAG 2.1 A/AA violations on the page (or only inside the elements matching ``include``), each as
    {id, impact, help, nodes: [target selectors]}."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source())
    result = page.evaluate(
        """async ([include, tags]) => {
            const context = include ? {include: [include]} : document;
            const r = await axe.run(context, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                           nodes: v.nodes.map(n => n.target.join(' '))}));
        }""",
        [include, WCAG_TAGS])
    return result


def count(violations: list[dict]) -> int:
    """The number of failing elements (one rule failing on 10 elements counts 10)."""
    return sum(len(v["nodes"]) for v in violations)


def summary(violations: list[dict]) -> str:
    return "; ".join(f"{v['id']} ({v['impact']}) x{len(v['nodes'])}: {v['nodes'][:3]}" for v in violations)
