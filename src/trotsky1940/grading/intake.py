"""Intake: finding the handed-in files, reading each one safely, and checking that it is a notebook.

Used by the grader (:mod:`trotsky1940.grading.core`), outside every sandbox; it never runs student code.

- Folders are walked without following symbolic links. Every entry that looks like a hand-in becomes an
  :class:`Item`, graded or not, so nothing is dropped silently: a symbolic link, a FIFO, a device or a folder
  named ``*.ipynb`` gets a status without being read through; other spellings (``HOMEWORK.IPYNB``,
  ``x.ipynb.json``) and a copy found only in ``.ipynb_checkpoints`` are graded with a note; a symbolic link
  to a folder and files of other kinds get a row saying what was found.
- A ``.zip`` (a learning platform's "download all submissions") is opened safely by
  :func:`trotsky1940.grading.lms.extract` into a private folder, and each entry becomes an item labelled by
  its path inside the zip (so a second download, whatever its file is called, gives the same labels;
  ``<zip>/<entry>`` where two zips hold the same path); entries it does not extract get a row saying why.
- Each item carries who it is from, where the platform's file naming tells (:func:`lms.identify`).
- A file is opened without following links and without blocking, checked to be a regular file on the open
  descriptor, and read up to a size cap (default 20 MB).
- Its JSON is parsed with a depth cap, then checked field by field against the notebook format (version 4)
  with strict types; strings are made valid Unicode (lone surrogates replaced).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import nbformat

from . import lms, report

DEFAULT_MAX_BYTES = 20 * 1024**2
MAX_DEPTH = 64
JUNK = {".DS_Store", "Thumbs.db", "desktop.ini", "__MACOSX", ".ipynb_checkpoints"}
CHECKPOINT_SUFFIX = "-checkpoint.ipynb"


@dataclass
class Item:
    """One entry of the gradebook-to-be: a file to grade, or a finding that is not graded."""

    path: Path | None  # None: nothing to read (the status says why); for an archive, the zip itself
    label: str  # what the teacher sees: the path relative to the folder given, made printable
    raw: bytes  # the path's bytes, for a unique output name
    status: str = ""  # set when the item cannot be graded
    note: str = ""  # said next to "graded" when it is (e.g. read from a checkpoint copy)
    identity: lms.Identity | None = None  # who it is from, by a learning platform's file naming
    archive: bool = False  # a zip, opened by collect() when it is given a folder to unpack into
    long_label: str = ""  # for an entry of a zip: "<zip>/<entry>", used when two zips hold the same entry

    @property
    def output_name(self) -> str:
        return report.output_name(self.label, self.raw)


def _label(path: Path, base: Path | None) -> tuple[str, bytes]:
    rel = path.relative_to(base) if base is not None else path
    raw = os.fsencode(rel)
    return report.clean_line(raw.decode("utf-8", "replace")), raw


def classify(path: Path, base: Path | None) -> Item | None:
    """What one directory entry is, without following it (None for system clutter such as .DS_Store)."""
    label, raw = _label(path, base)
    name = path.name
    lower = name.lower()
    if name in JUNK:
        return None
    try:
        info = os.lstat(path)
    except OSError as exc:
        return Item(None, label, raw, status=f"cannot be read: {exc.strerror}")
    looks = lower.endswith((".ipynb", ".ipynb.json"))
    if stat.S_ISLNK(info.st_mode):
        target = "a folder" if path.is_dir() else "a file"
        return Item(None, label, raw, status=f"a symbolic link to {target}, not followed: hand in the file itself")
    if stat.S_ISDIR(info.st_mode):
        if looks:
            return Item(None, label, raw, status="a folder named like a notebook, not a notebook file")
        return None  # walked into by collect()
    if not stat.S_ISREG(info.st_mode):
        kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(info.st_mode) else
                "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else
                "a socket" if stat.S_ISSOCK(info.st_mode) else "not a regular file")
        return Item(None, label, raw, status=f"{kind}, not read: hand in the notebook file itself")
    if lower.endswith(".ipynb"):
        note = "" if name.endswith(".ipynb") else "file name ends in another case of .ipynb"
        return Item(path, label, raw, note=note)
    if lower.endswith(".ipynb.json"):
        return Item(path, label, raw, note="file name ends in .ipynb.json (a browser added .json)")
    if lower.endswith(".zip"):
        return Item(path, label, raw, status="a zip archive, not opened: unzip it and grade the folder inside",
                    archive=True)
    suffix = Path(lower).suffix or "no extension"
    return Item(None, label, raw, status=f"not a notebook file ({suffix}): hand in the .ipynb file")


def collect(inputs: Iterable[str | Path], unpack: Path | None = None,
            max_bytes: int = DEFAULT_MAX_BYTES) -> list[Item]:
    """Every hand-in found in the files and folders given, in a stable order, each with who it is from where
    a learning platform's file naming tells. Zip archives (a platform's "download all submissions") are
    opened into ``unpack`` (a private folder) when it is given, and each of their entries becomes an item."""
    items = _collect(inputs)
    if unpack is not None:
        opened: list[Item] = []
        for item in items:
            opened.extend(_open_zip(item, unpack, len(opened), max_bytes) if item.archive else [item])
        items = opened
    counts: dict[str, int] = {}
    for item in items:
        counts[item.label] = counts.get(item.label, 0) + 1
    for item in items:  # an entry of a zip is known by its path inside the zip (the same in a second download
        # of it, whatever that one is called); two zips with the same entry keep the zip's name in front
        if counts[item.label] > 1 and item.long_label:
            item.label = item.long_label
    for item in items:
        if item.identity is None:
            item.identity = lms.identify(item.label)
    return items


def _open_zip(item: Item, unpack: Path, index: int, max_bytes: int) -> list[Item]:
    """The entries of a zip (given by its item) as items labelled by their path in the zip; a zip that cannot
    be opened, and entries that are not extracted, are items with a status."""
    target = unpack / f"zip{index}-{hashlib.sha256(item.raw).hexdigest()[:8]}"
    target.mkdir(mode=0o700)
    try:
        found = lms.extract(item.path, target, max_member_bytes=max_bytes)
    except lms.LmsError as exc:
        why = report.clean_line(f"a zip archive that cannot be opened: {exc}")
        return [Item(None, item.label, item.raw, status=why)]
    items: list[Item] = []
    for entry in _walk(target, target):  # as a folder: checkpoint copies are handled the same way
        member = entry.label
        entry.long_label = f"{item.label}/{member}"
        entry.raw = item.raw + b"/" + entry.raw
        entry.identity = lms.identify(member)
        if entry.archive:
            entry.path, entry.status = None, "a zip inside the zip, not opened: unzip it and grade the folder inside"
        items.append(entry)
    for member, reason in found.problems:
        label = report.clean_line(member)
        items.append(Item(None, label, item.raw + b"/" + member.encode("utf-8", "surrogateescape"),
                          status=report.clean_line(reason), identity=lms.identify(member),
                          long_label=f"{item.label}/{label}"))
    if not items:
        items.append(Item(None, item.label, item.raw, status="a zip archive with no files in it"))
    return items


def _collect(inputs: Iterable[str | Path]) -> list[Item]:
    items: list[Item] = []
    for given in inputs:
        top = Path(given)
        if top.is_dir():  # a folder the teacher names is followed even if it is a link; links inside are not
            base = top.parent
            items.extend(_walk(top, base))
        elif os.path.lexists(top):
            item = classify(top, None)
            if item is not None:
                items.append(item)
        else:
            label, raw = _label(top, None)
            items.append(Item(None, label, raw, status="no such file"))
    return items


def _walk(folder: Path, base: Path) -> list[Item]:
    items: list[Item] = []
    try:
        entries = sorted(os.scandir(folder), key=lambda e: os.fsencode(e.name))
    except OSError as exc:
        label, raw = _label(folder, base)
        return [Item(None, label, raw, status=f"folder cannot be read: {exc.strerror}")]
    names = {e.name for e in entries}
    for entry in entries:
        path = Path(entry.path)
        if entry.name == ".ipynb_checkpoints" and entry.is_dir(follow_symlinks=False):
            items.extend(_checkpoints(path, names, base))
            continue
        item = classify(path, base)
        if item is not None:
            items.append(item)
        elif entry.is_dir(follow_symlinks=False) and entry.name not in JUNK:
            items.extend(_walk(path, base))
    return items


def _checkpoints(folder: Path, siblings: set[str], base: Path) -> list[Item]:
    """Checkpoint copies whose notebook is missing from the folder above are graded, with a note."""
    items = []
    try:
        entries = sorted(os.scandir(folder), key=lambda e: os.fsencode(e.name))
    except OSError:
        return items
    for entry in entries:
        if not entry.name.endswith(CHECKPOINT_SUFFIX):
            continue
        original = entry.name[: -len(CHECKPOINT_SUFFIX)] + ".ipynb"
        if original in siblings:
            continue
        item = classify(Path(entry.path), base)
        if item is not None and item.path is not None:
            item.note = (f"only a JupyterLab checkpoint copy was found ({original} itself is missing; "
                         "the copy may be older than the student's last save)")
        if item is not None:
            items.append(item)
    return items


# -- reading ----------------------------------------------------------------------------------------------
class NotANotebook(ValueError):
    """The file cannot be graded; the message says why in words a teacher can pass on."""


def read_capped(path: Path, max_bytes: int) -> bytes:
    """The file's bytes: opened without following links or blocking, a regular file, at most ``max_bytes``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise NotANotebook(f"cannot be read: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise NotANotebook("not a regular file, not read")
        if info.st_size > max_bytes:
            raise NotANotebook(f"too large ({info.st_size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.1f} MB, "
                               "--max-size changes it)")
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise NotANotebook(f"too large (more than {max_bytes / 1e6:.1f} MB; --max-size changes the limit)")
    return data


def _depth_ok(value: object, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return True


SURROGATE = re.compile("[\ud800-\udfff]")


def _text(value: object, where: str) -> str:
    """A cell's source: a string or a list of strings, joined; lone surrogates replaced."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        text = "".join(value)
    else:
        raise NotANotebook(f"not a valid notebook: {where} must be text")
    return SURROGATE.sub("\ufffd", text)


def _printed(outputs: list, limit: int = 2000) -> list:
    """The start of a cell's stored standard output, as one stream output (nothing else is kept)."""
    parts: list[str] = []
    for output in outputs:
        if isinstance(output, dict) and output.get("output_type") == "stream" and output.get("name") == "stdout":
            text = output.get("text", "")
            if isinstance(text, list) and all(isinstance(t, str) for t in text):
                text = "".join(text)
            if isinstance(text, str):
                parts.append(text)
        if sum(map(len, parts)) >= limit:
            break
    text = SURROGATE.sub("\ufffd", "".join(parts)[:limit])
    return [{"output_type": "stream", "name": "stdout", "text": text}] if text else []


def parse(raw: bytes) -> nbformat.NotebookNode:
    """A notebook built only from the fields grading uses, each checked for its type; raises NotANotebook."""
    if not raw.strip():
        raise NotANotebook("empty file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NotANotebook("not a notebook: the file is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotANotebook(f"not a notebook: invalid JSON at line {exc.lineno} (truncated or damaged file?)") from None
    except RecursionError:
        raise NotANotebook("not a notebook: JSON nested too deeply") from None
    if not _depth_ok(data, MAX_DEPTH):
        raise NotANotebook(f"not a notebook: JSON nested more than {MAX_DEPTH} levels deep")
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotANotebook("not a notebook: JSON without a list of cells")
    version = data.get("nbformat")
    if version != 4 or isinstance(version, bool):
        shown = report.clean_line(repr(version))[:20]
        raise NotANotebook(f"notebook format {shown} is not supported (expected 4; re-save it in JupyterLab)")
    metadata = data.get("metadata", {})
    if not isinstance(metadata, dict):
        raise NotANotebook("not a valid notebook: its metadata is not an object")
    cells = []
    for index, cell in enumerate(data["cells"]):
        where = f"cell {index}"
        if not isinstance(cell, dict):
            raise NotANotebook(f"not a valid notebook: {where} is not an object")
        kind = cell.get("cell_type")
        if kind not in ("code", "markdown", "raw"):
            raise NotANotebook(f"not a valid notebook: {where} has an unknown cell type")
        source = _text(cell.get("source", ""), f"the source of {where}")
        meta = cell.get("metadata", {})
        if not isinstance(meta, dict):
            raise NotANotebook(f"not a valid notebook: the metadata of {where} is not an object")
        tags = meta.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise NotANotebook(f"not a valid notebook: the tags of {where} are not a list of text")
        cell_id = cell.get("id")
        if cell_id is not None and not isinstance(cell_id, str):
            raise NotANotebook(f"not a valid notebook: the id of {where} is not text")
        if kind == "code" and not isinstance(cell.get("outputs", []), list):
            raise NotANotebook(f"not a valid notebook: the outputs of {where} are not a list")
        clean = {"cell_type": kind, "source": source, "metadata": {"tags": [SURROGATE.sub("\ufffd", t) for t in tags]}}
        if cell_id is not None:
            clean["id"] = SURROGATE.sub("\ufffd", cell_id)[:64]
        if kind == "code":  # grading runs the reference's cells afresh; only what a check printed is kept, to
            # tell a student whose notebook showed "Right." for an answer graded otherwise (never for a score)
            clean.update(outputs=_printed(cell.get("outputs", [])), execution_count=None)
        cells.append(clean)
    trotsky = metadata.get("trotsky1940", {})
    return nbformat.from_dict({"cells": cells, "metadata": {"trotsky1940": trotsky if isinstance(trotsky, dict)
                                                               else {}}, "nbformat": 4, "nbformat_minor": 5})


def digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:12]
