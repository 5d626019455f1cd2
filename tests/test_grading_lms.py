"""Learning-platform downloads and grade exports (trotsky1940.grading.lms and .exports): who a file is from by
each platform's documented naming, unpacking hostile zips safely, and the import files' exact layouts.

Every fixture is a real zip written here with zipfile; hostile archives are made by patching the bytes of an
honest one (flags, sizes, names), the way a crafted file would look."""

from __future__ import annotations

import csv
import io
import os
import stat
import struct
import time
import warnings
import zipfile
from pathlib import Path

import pytest

from trotsky1940.grading import exports, intake, lms, report

NOTEBOOK = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n'


# -- helpers -------------------------------------------------------------------------------------------------
def make_zip(path: Path, entries: list) -> Path:
    """A zip of (name, bytes) pairs or (ZipInfo, bytes) pairs, deflated."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names, which some tests need
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in entries:
                archive.writestr(name, data)
    return path


def headers(blob: bytes):
    """(offset of each local header, offset of each central directory header), in order."""
    return _offsets(blob, b"PK\x03\x04"), _offsets(blob, b"PK\x01\x02")


def _offsets(blob: bytes, signature: bytes) -> list[int]:
    found, at = [], blob.find(signature)
    while at >= 0:
        found.append(at)
        at = blob.find(signature, at + 4)
    return found


def patch(path: Path, index: int, *, flags_or: int = 0, file_size: int | None = None) -> None:
    """Change the flags or the declared uncompressed size of entry ``index`` in both of its headers."""
    blob = bytearray(path.read_bytes())
    local, central = headers(bytes(blob))
    lo, ce = local[index], central[index]
    if flags_or:
        (flags,) = struct.unpack_from("<H", blob, lo + 6)
        struct.pack_into("<H", blob, lo + 6, flags | flags_or)
        (flags,) = struct.unpack_from("<H", blob, ce + 8)
        struct.pack_into("<H", blob, ce + 8, flags | flags_or)
    if file_size is not None:
        struct.pack_into("<I", blob, lo + 22, file_size)
        struct.pack_into("<I", blob, ce + 24, file_size)
    path.write_bytes(bytes(blob))


def rename_bytes(path: Path, placeholder: str, raw: bytes) -> None:
    """Put raw name bytes (same length as the ASCII placeholder) in place of a member's name."""
    assert len(placeholder.encode()) == len(raw)
    blob = path.read_bytes()
    assert blob.count(placeholder.encode()) == 2  # local header and central directory
    path.write_bytes(blob.replace(placeholder.encode(), raw))


def unpack(tmp_path: Path, archive: Path, **caps) -> lms.Extraction:
    dest = tmp_path / f"out-{archive.stem}"
    dest.mkdir(mode=0o700)
    return lms.extract(archive, dest, **caps)


def problems(found: lms.Extraction) -> dict[str, str]:
    return dict(found.problems)


def on_disk(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


# -- the platforms' downloads, as documented -----------------------------------------------------------------
def test_moodle_download_in_folders_identifies_each_student_and_keeps_subfolders(tmp_path):
    archive = make_zip(tmp_path / "HIST101-Exercises 1-12345.zip", [
        # Moodle 4.1+ (mod/assign/classes/downloader.php): no trailing underscore after the plugin
        ("Jane Smith_4567_assignsubmission_file/01-background.ipynb", NOTEBOOK),
        ("Jane Smith_4567_assignsubmission_file/drafts/old/01-background.ipynb", NOTEBOOK),
        # Moodle 3.1-4.0: a trailing underscore
        ("John Doe_4568_assignsubmission_file_/01-background.ipynb", NOTEBOOK),
        ("John Doe_4568_assignsubmission_onlinetext_/onlinetext.html", b"<p>see attached</p>"),
        ("Participant_4569_assignsubmission_file/01-background.ipynb", NOTEBOOK),  # anonymous submissions
        ("__MACOSX/Jane Smith_4567_assignsubmission_file/._01-background.ipynb", b"\x00\x05\x16\x07"),
        ("Jane Smith_4567_assignsubmission_file/.DS_Store", b"\x00\x00\x00\x01Bud1"),
    ])
    found = unpack(tmp_path, archive)
    assert found.problems == []
    members = [m for m, _ in found.files]
    assert members == ["Jane Smith_4567_assignsubmission_file/01-background.ipynb",
                       "Jane Smith_4567_assignsubmission_file/drafts/old/01-background.ipynb",
                       "John Doe_4568_assignsubmission_file_/01-background.ipynb",
                       "John Doe_4568_assignsubmission_onlinetext_/onlinetext.html",
                       "Participant_4569_assignsubmission_file/01-background.ipynb"]
    for member, path in found.files:
        assert path == tmp_path / "out-HIST101-Exercises 1-12345" / member
        assert path.read_bytes() in (NOTEBOOK, b"<p>see attached</p>")
    who = [lms.identify(m) for m in members]
    assert who[0] == lms.Identity("moodle", "Jane Smith", "4567", False, "01-background.ipynb")
    assert who[1] == lms.Identity("moodle", "Jane Smith", "4567", False, "01-background.ipynb")
    assert who[2] == lms.Identity("moodle", "John Doe", "4568", False, "01-background.ipynb")
    assert who[3] == lms.Identity("moodle", "John Doe", "4568", False, "onlinetext.html")
    assert who[4] == lms.Identity("moodle", "", "4569", False, "01-background.ipynb")


def test_moodle_flat_download_and_a_top_folder(tmp_path):
    archive = make_zip(tmp_path / "flat.zip", [
        ("Jane Smith_4567_assignsubmission_file_01-background.ipynb", NOTEBOOK),
        ("Jane Smith_4567_assignsubmission_onlinetext_onlinetext.html", b"<p>text</p>"),
        ("José Núñez_4570_assignsubmission_file_01-background.ipynb", NOTEBOOK),
    ])
    found = unpack(tmp_path, archive)
    assert [lms.identify(m) for m, _ in found.files] == [
        lms.Identity("moodle", "Jane Smith", "4567", False, "01-background.ipynb"),
        lms.Identity("moodle", "Jane Smith", "4567", False, "onlinetext.html"),
        lms.Identity("moodle", "José Núñez", "4570", False, "01-background.ipynb"),
    ]
    # a teacher who unzipped into a folder and zipped it again, or a folder the grader walks
    assert lms.identify("Exercises 1-12345/Jane Smith_4567_assignsubmission_file_/01-background.ipynb") == \
        lms.Identity("moodle", "Jane Smith", "4567", False, "01-background.ipynb")


def test_canvas_download_late_resubmitted_anonymous_and_text_entries(tmp_path):
    archive = make_zip(tmp_path / "hist101-exercises_1_submissions.zip", [
        ("smithjane_12345_678910_01-background.ipynb", NOTEBOOK),
        ("doejohn_LATE_12346_678911_01-background.ipynb", NOTEBOOK),
        ("roejane_12347_678912_01-background-1.ipynb", NOTEBOOK),  # resubmitted: Canvas appends -1
        ("LATE_anon_x1Y2z_678913_01-background.ipynb", NOTEBOOK),
        ("smithjane_12345_text.html", b"<p>typed answer</p>"),
        ("müllerjürgen_12348_678914_Übung.ipynb", NOTEBOOK),
    ])
    found = unpack(tmp_path, archive)
    assert found.problems == []
    assert [lms.identify(m) for m, _ in found.files] == [
        lms.Identity("canvas", "smithjane", "12345", False, "01-background.ipynb"),
        lms.Identity("canvas", "doejohn", "12346", True, "01-background.ipynb"),
        lms.Identity("canvas", "roejane", "12347", False, "01-background-1.ipynb"),
        lms.Identity("canvas", "", "anon_x1Y2z", True, "01-background.ipynb"),
        lms.Identity("canvas", "smithjane", "12345", False, "text.html"),
        lms.Identity("canvas", "müllerjürgen", "12348", False, "Übung.ipynb"),
    ]


def test_google_drive_folder_download_with_classroom_copies(tmp_path):
    archive = make_zip(tmp_path / "Exercise 1-20261201T101010Z-001.zip", [
        ("Exercise 1/Jane Smith - 01-background.ipynb", NOTEBOOK),
        ("Exercise 1/Ana María de la Cruz - 01-background.ipynb", NOTEBOOK),
        ("Exercise 1/01-background.ipynb", NOTEBOOK),  # the teacher's template, nobody's
        ("Exercise 1/desktop.ini", b"[.ShellClassInfo]"),
    ])
    found = unpack(tmp_path, archive)
    members = [m for m, _ in found.files]
    assert members == ["Exercise 1/Jane Smith - 01-background.ipynb",
                       "Exercise 1/Ana María de la Cruz - 01-background.ipynb", "Exercise 1/01-background.ipynb"]
    assert [lms.identify(m) for m in members] == [
        lms.Identity("google", "Jane Smith", "", False, "01-background.ipynb"),
        lms.Identity("google", "Ana María de la Cruz", "", False, "01-background.ipynb"),
        lms.Identity("", "", "", False, "01-background.ipynb"),
    ]
    # inside the Drive download (the zip's name in the path), a one-word account name counts too
    assert lms.identify("Exercise 1-20261201T101010Z-001/Exercise 1/Madonna - 01-background.ipynb") == \
        lms.Identity("google", "Madonna", "", False, "01-background.ipynb")
    assert lms.identify("Exercise 1/Madonna - 01-background.ipynb").platform == ""


@pytest.mark.parametrize("path", [
    "01-background.ipynb", "jane_smith.ipynb", "class/jane_smith_01.ipynb", "lab_1_2_notes.ipynb",
    "week_01_002_notes.ipynb",                    # zero-padded numbers are not Canvas ids
    "Smithjane_12345_678910_01.ipynb",            # Canvas lower-cases the name it writes
    "12345_678910_01-background.ipynb",           # no name
    "Exercise 1 - background.ipynb", "Final Version - 01-background.ipynb", "Copy of 01-background.ipynb",
    "Jane Smith 2 - 01-background.ipynb", "notes - final.ipynb",
    "Jane Smith_assignsubmission_file_01.ipynb",   # no participant id
    "Default group_assignsubmission_file/01.ipynb",
    "", "/", "./01-background.ipynb",
])
def test_identify_does_not_invent_students(path):
    who = lms.identify(path)
    assert (who.platform, who.name, who.student_id, who.late) == ("", "", "", False)
    assert who.original_name == (path.rstrip("/").split("/")[-1] if path.strip("/.") else "")


def test_identify_prefers_the_outermost_moodle_folder_and_platform_order():
    # a student's own folder that happens to look like Moodle's does not override Moodle's folder
    assert lms.identify("Jane Smith_4567_assignsubmission_file/Eve Bad_9999_assignsubmission_file/x.ipynb") \
        .student_id == "4567"
    # Moodle's naming wins over a Canvas-shaped original name inside it
    assert lms.identify("Jane Smith_4567_assignsubmission_file_smithjane_12345_678910_x.ipynb").platform == "moodle"
    assert lms.identify("course/smithjane_12345_678910_x.ipynb").platform == "canvas"


# -- safe extraction -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, reason", [
    ("../x.ipynb", "an entry pointing outside the archive, not extracted"),
    ("a/../../x.ipynb", "an entry pointing outside the archive, not extracted"),
    ("/etc/x.ipynb", "an entry with an absolute path (it would be written outside the archive's folder), "
                     "not extracted"),
    ("C:\\x.ipynb", "an entry with an absolute path (it would be written outside the archive's folder), "
                    "not extracted"),
    ("C:/x.ipynb", "an entry with an absolute path (it would be written outside the archive's folder), "
                   "not extracted"),
    ("..\\..\\x.ipynb", "an entry pointing outside the archive, not extracted"),
    ("a\\..\\..\\x.ipynb", "an entry pointing outside the archive, not extracted"),
    ("\\\\server\\share\\x.ipynb", "an entry with an absolute path (it would be written outside the archive's "
                                   "folder), not extracted"),
])
def test_zip_slip_is_refused_and_nothing_lands_outside(tmp_path, name, reason):
    archive = make_zip(tmp_path / "slip.zip", [(name, b"owned"), ("ok.ipynb", NOTEBOOK)])
    found = unpack(tmp_path, archive)
    assert problems(found) == {name.replace("\\", "/"): reason}
    assert [m for m, _ in found.files] == ["ok.ipynb"]
    assert on_disk(tmp_path / "out-slip") == {"ok.ipynb"}
    everything = {p.name for p in tmp_path.rglob("*")}
    assert "x.ipynb" not in everything


def test_windows_separators_are_folders_not_tricks(tmp_path):
    archive = make_zip(tmp_path / "win.zip", [("Exercise 1\\Jane Smith - 01-background.ipynb", NOTEBOOK)])
    found = unpack(tmp_path, archive)
    assert found.problems == []
    assert found.files == [("Exercise 1/Jane Smith - 01-background.ipynb",
                            tmp_path / "out-win" / "Exercise 1" / "Jane Smith - 01-background.ipynb")]
    assert found.files[0][1].read_bytes() == NOTEBOOK


def test_links_devices_and_executable_bits(tmp_path):
    link = zipfile.ZipInfo("link.ipynb")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    fifo = zipfile.ZipInfo("pipe.ipynb")
    fifo.create_system = 3
    fifo.external_attr = (stat.S_IFIFO | 0o644) << 16
    tool = zipfile.ZipInfo("run.sh")
    tool.create_system = 3
    tool.external_attr = (stat.S_IFREG | 0o4755) << 16
    archive = make_zip(tmp_path / "links.zip", [(link, b"/etc/passwd"), (fifo, b""), (tool, b"#!/bin/sh\n")])
    found = unpack(tmp_path, archive)
    assert problems(found) == {"link.ipynb": "a symbolic link, not extracted: hand in the file itself",
                               "pipe.ipynb": "not a regular file (a device, pipe or socket), not extracted"}
    [(member, path)] = found.files
    assert member == "run.sh"
    mode = os.lstat(path).st_mode
    assert stat.S_ISREG(mode) and stat.S_IMODE(mode) & 0o7111 == 0
    assert not os.path.lexists(tmp_path / "out-links" / "link.ipynb")


def test_encrypted_members_are_not_extracted(tmp_path):
    archive = make_zip(tmp_path / "locked.zip", [("secret.ipynb", NOTEBOOK), ("open.ipynb", NOTEBOOK)])
    patch(archive, 0, flags_or=0x1)
    found = unpack(tmp_path, archive)
    assert problems(found) == {"secret.ipynb": "encrypted (password-protected), not extracted: hand in the file "
                                               "without a password"}
    assert [m for m, _ in found.files] == ["open.ipynb"]


def test_zip_bomb_with_an_honest_header_is_never_inflated(tmp_path, monkeypatch):
    archive = make_zip(tmp_path / "bomb.zip", [("bomb.ipynb", b"\0" * (30 * 1024**2)), ("ok.ipynb", NOTEBOOK)])
    assert archive.stat().st_size < 100_000  # small on disk, 30 MB inflated
    opened = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, info, *a, **k: (
        opened.append(getattr(info, "filename", info)) or real_open(self, info, *a, **k)))
    found = unpack(tmp_path, archive, max_member_bytes=1024**2)
    assert problems(found) == {"bomb.ipynb": "too large (31.5 MB unpacked; the limit is 1.0 MB), not extracted"}
    assert opened == ["ok.ipynb"]
    assert on_disk(tmp_path / "out-bomb") == {"ok.ipynb"}


def test_zip_bomb_with_a_lying_header_stops_at_the_cap(tmp_path, monkeypatch):
    cap = 1024**2
    archive = make_zip(tmp_path / "liar.zip", [("bomb.ipynb", b"\0" * (50 * 1024**2))])
    patch(archive, 0, file_size=cap)  # the header claims exactly the cap; the data inflates to 50 MB
    inflated = [0]
    real_open = zipfile.ZipFile.open

    def counting_open(self, info, *args, **kwargs):
        stream = real_open(self, info, *args, **kwargs)
        real_read = stream.read

        def read(n=-1):
            data = real_read(n)
            inflated[0] += len(data)
            return data

        stream.read = read
        return stream

    monkeypatch.setattr(zipfile.ZipFile, "open", counting_open)
    started = time.monotonic()
    found = unpack(tmp_path, archive, max_member_bytes=cap)
    assert time.monotonic() - started < 5
    assert found.files == []
    [(member, reason)] = found.problems
    assert member == "bomb.ipynb" and reason.startswith("damaged in the archive (")
    assert inflated[0] <= cap  # not 50 MB
    assert on_disk(tmp_path / "out-liar") == set()


def test_total_size_cap_is_enforced_while_streaming(tmp_path):
    blob = os.urandom(400 * 1024)
    archive = make_zip(tmp_path / "big.zip", [(f"{i}.ipynb", blob) for i in range(5)])
    found = unpack(tmp_path, archive, max_member_bytes=1024**2, max_total_bytes=1024**2)
    assert [m for m, _ in found.files] == ["0.ipynb", "1.ipynb"]
    assert problems(found) == {f"{i}.ipynb": "not extracted: the archive unpacks to more than 1.0 MB in all"
                               for i in (2, 3, 4)}
    assert on_disk(tmp_path / "out-big") == {"0.ipynb", "1.ipynb"}
    assert sum(p.stat().st_size for p in (tmp_path / "out-big").iterdir()) <= 1024**2


def test_too_many_members(tmp_path):
    entries = [(f"{i}.ipynb", NOTEBOOK) for i in range(6)]
    archive = make_zip(tmp_path / "many.zip", entries)
    with pytest.raises(lms.LmsError, match=r"many\.zip holds 6 entries, more than the 5"):
        unpack(tmp_path, archive, max_files=5)
    assert on_disk(tmp_path / "out-many") == set()
    # clutter does not count
    archive = make_zip(tmp_path / "mac.zip", entries[:5] + [(f"__MACOSX/._{i}.ipynb", b"x") for i in range(5)])
    assert len(unpack(tmp_path, archive, max_files=5).files) == 5


def test_a_huge_table_of_contents_is_refused_before_it_is_read(tmp_path, monkeypatch):
    archive = make_zip(tmp_path / "toc.zip", [(f"{i:05}.ipynb", b"") for i in range(1100)])

    def never(*args, **kwargs):
        raise AssertionError("zipfile read the table of contents")

    monkeypatch.setattr(zipfile, "ZipFile", never)
    with pytest.raises(lms.LmsError, match=r"toc\.zip lists 1100 entries"):
        unpack(tmp_path, archive, max_files=10)


def test_duplicate_and_case_duplicate_names_extract_neither(tmp_path):
    archive = make_zip(tmp_path / "dups.zip", [
        ("a.ipynb", b"first"), ("a.ipynb", b"second"),
        ("Jane/01-background.ipynb", b"one"), ("jane/01-BACKGROUND.ipynb", b"two"),
        ("caf\u00e9.ipynb", b"composed"), ("cafe\u0301.ipynb", b"decomposed"),
        ("solo.ipynb", NOTEBOOK),
    ])
    found = unpack(tmp_path, archive)
    assert [m for m, _ in found.files] == ["solo.ipynb"]
    reason = ("2 entries with this name (letter case aside) in the archive: none of them was extracted, "
              "as it is unclear which counts")
    assert found.problems == [("a.ipynb", reason), ("a.ipynb", reason), ("Jane/01-background.ipynb", reason),
                              ("jane/01-BACKGROUND.ipynb", reason), ("caf\u00e9.ipynb", reason),
                              ("cafe\u0301.ipynb", reason)]
    assert on_disk(tmp_path / "out-dups") == {"solo.ipynb"}


def test_a_file_and_a_folder_of_one_name(tmp_path):
    archive = make_zip(tmp_path / "clash.zip", [("work", b"file"), ("work/01.ipynb", NOTEBOOK)])
    found = unpack(tmp_path, archive)
    assert found.files == [("work", tmp_path / "out-clash" / "work")]
    assert problems(found) == {"work/01.ipynb": "a file and a folder of the same name in the archive, not extracted"}


def test_a_zip_inside_the_zip_is_reported_not_opened(tmp_path):
    inner = make_zip(tmp_path / "inner.zip", [("01-background.ipynb", NOTEBOOK)]).read_bytes()
    archive = make_zip(tmp_path / "outer.zip", [("Jane Smith_4567_assignsubmission_file/work.ZIP", inner)])
    found = unpack(tmp_path, archive)
    assert found.files == []
    assert found.problems == [("Jane Smith_4567_assignsubmission_file/work.ZIP",
                               "a zip inside the zip, not opened: unzip it and grade the folder inside")]
    assert on_disk(tmp_path / "out-outer") == set()


def test_names_in_utf8_without_the_flag_and_in_unknown_encodings(tmp_path):
    archive = make_zip(tmp_path / "names.zip", [("JosXY.ipynb", NOTEBOOK), ("cafX.ipynb", NOTEBOOK),
                                                ("plain.ipynb", NOTEBOOK)])
    rename_bytes(archive, "JosXY.ipynb", "José.ipynb".encode())  # UTF-8 bytes, flag not set (macOS does this)
    rename_bytes(archive, "cafX.ipynb", b"caf\xe9.ipynb")  # Latin-1: not UTF-8, encoding unknown
    with zipfile.ZipFile(archive) as check:
        assert [i.flag_bits & 0x800 for i in check.infolist()] == [0, 0, 0]
    found = unpack(tmp_path, archive)
    assert [m for m, _ in found.files] == ["José.ipynb", "plain.ipynb"]
    assert found.problems == [("caf\ufffd.ipynb", "its name is not UTF-8 text (the zip was made by a tool using an "
                                                 "old encoding), not extracted: unzip the archive yourself and "
                                                 "grade the folder")]
    assert on_disk(tmp_path / "out-names") == {"José.ipynb", "plain.ipynb"}


def test_names_flagged_utf8_that_are_not(tmp_path):
    archive = make_zip(tmp_path / "badflag.zip", [("cafX.ipynb", NOTEBOOK)])
    rename_bytes(archive, "cafX.ipynb", b"caf\xe9.ipynb")
    patch(archive, 0, flags_or=0x800)
    with pytest.raises(lms.LmsError, match=r"badflag\.zip has file names marked as UTF-8"):
        unpack(tmp_path, archive)


def test_names_with_control_characters(tmp_path):
    archive = make_zip(tmp_path / "ctl.zip", [("\x1b[31mred.ipynb", NOTEBOOK), ("gpj\u202e.ipynb", NOTEBOOK),
                                              ("ok.ipynb", NOTEBOOK)])
    found = unpack(tmp_path, archive)
    assert [m for m, _ in found.files] == ["ok.ipynb"]
    assert [r for _, r in found.problems] == ["its name holds control characters, not extracted"] * 2


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04" + b"\0" * 40])
def test_a_file_that_is_not_a_zip_raises_naming_it(tmp_path, content):
    bad = tmp_path / "Exercises 1-12345.zip"
    bad.write_bytes(content)
    with pytest.raises(lms.LmsError, match=r"^Exercises 1-12345\.zip is not a zip archive, or is damaged"):
        unpack(tmp_path, bad)


def test_a_truncated_download_raises_naming_it(tmp_path):
    archive = make_zip(tmp_path / "cut.zip", [(f"{i}.ipynb", os.urandom(5000)) for i in range(4)])
    archive.write_bytes(archive.read_bytes()[:9000])
    with pytest.raises(lms.LmsError, match=r"^cut\.zip "):
        unpack(tmp_path, archive)


@pytest.mark.parametrize("offset, value", [(5, None), (0, 0xFF)])
def test_damaged_member_is_a_problem_not_a_crash(tmp_path, offset, value):
    archive = make_zip(tmp_path / "crc.zip", [("a.ipynb", NOTEBOOK * 50), ("b.ipynb", NOTEBOOK)])
    blob = bytearray(archive.read_bytes())
    local, _ = headers(bytes(blob))
    at = local[0] + 30 + len("a.ipynb") + offset  # into a.ipynb's compressed data
    blob[at] = blob[at] ^ 0xFF if value is None else value  # a flipped byte (bad checksum), or a bad deflate block
    archive.write_bytes(bytes(blob))
    found = unpack(tmp_path, archive)
    assert [m for m, _ in found.files] == ["b.ipynb"]
    [(member, reason)] = found.problems
    assert member == "a.ipynb" and reason.startswith("damaged in the archive (")
    assert on_disk(tmp_path / "out-crc") == {"b.ipynb"}


def test_destination_must_be_an_empty_real_folder(tmp_path):
    archive = make_zip(tmp_path / "a.zip", [("x.ipynb", NOTEBOOK)])
    full = tmp_path / "full"
    full.mkdir()
    (full / "already").write_text("here")
    with pytest.raises(lms.LmsError, match="must be an empty folder"):
        lms.extract(archive, full)
    target = tmp_path / "target"
    target.mkdir()
    os.symlink(target, tmp_path / "link")
    with pytest.raises(lms.LmsError, match="must be an empty folder"):
        lms.extract(archive, tmp_path / "link")
    assert list(target.iterdir()) == []
    with pytest.raises(lms.LmsError, match="missing"):
        lms.extract(archive, tmp_path / "nowhere")


def test_intake_gives_every_member_a_row_with_who_it_is(tmp_path):
    archive = make_zip(tmp_path / "moodle.zip", [
        ("Jane Smith_4567_assignsubmission_file/01-background.ipynb", NOTEBOOK),
        ("John Doe_4568_assignsubmission_onlinetext/onlinetext.html", b"<p>x</p>"),
        ("../escape.ipynb", NOTEBOOK),
    ])
    unpacked = tmp_path / "unpacked"
    unpacked.mkdir(mode=0o700)
    # labelled by their path inside the zip: a second download under another name gives the same labels
    items = {item.label: item for item in intake.collect([archive], unpack=unpacked)}
    assert len(items) == 3 and all(item.long_label.endswith(f"moodle.zip/{label}") for label, item in items.items())
    jane = items["Jane Smith_4567_assignsubmission_file/01-background.ipynb"]
    assert jane.path is not None and jane.status == ""
    assert jane.identity == lms.Identity("moodle", "Jane Smith", "4567", False, "01-background.ipynb")
    john = items["John Doe_4568_assignsubmission_onlinetext/onlinetext.html"]
    assert john.path is None and john.status.startswith("not a notebook file (.html)")
    assert john.identity.student_id == "4568"
    assert items["../escape.ipynb"].status == "an entry pointing outside the archive, not extracted"


# -- exports -------------------------------------------------------------------------------------------------
def row(name, sid, platform, grade, **more):
    base = {"name": name, "student_id": sid, "email": more.pop("email", ""), "platform": platform,
            "grade": grade, "max_grade": 13, "status": more.pop("status", "graded"),
            "comment": more.pop("comment", "9 of 10 auto-graded points; reflection not marked yet"),
            "graded_at": more.pop("graded_at", "2026-12-01T23:40:00Z")}
    base.update(more)
    return base


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def no_control_characters(text: str) -> bool:
    body = text.replace("\n", "")
    return not report.CONTROL.search(body) and "\r" not in body and "\t" not in body


def test_moodle_worksheet_layout_one_line_per_participant(tmp_path):
    evil = row("=HYPERLINK(\"http://x.example/\",\"click\")", "4569", "moodle", 5, email="@evil",
               comment="-2+3\x1b[2J\u202etext\nsecond line", status="graded")
    rows = [
        row("Jane Smith", "4567", "moodle", 12.5, email="jane@school.example"),
        row("Jane Smith", "4567", "moodle", 3, comment="an older copy"),  # a second hand-in: lower grade
        row("John Doe", "4568", "moodle", None, status="not a notebook file (.html): hand in the .ipynb file",
            comment="not a notebook file (.html): hand in the .ipynb file", graded_at=""),
        evil,
        row("Carl Canvas", "12345", "canvas", 10),
        row("Nora Nobody", "", "", 9),
        row("Gail Google", "", "google", 9),
        row("Ivan Id", "S-100", "moodle", 9),  # not a participant number
    ]
    text, skipped = exports.moodle_worksheet(rows, max_grade=13.0)
    table = parse(text)
    assert table[0] == ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                        "Grade can be changed", "Last modified (submission)", "Online text",
                        "Last modified (grade)", "Feedback comments"]
    assert len(table) == 1 + 3
    assert table[1] == ["Participant 4567", "Jane Smith", "jane@school.example", "graded", "12.5", "13", "Yes", "",
                        "", "2026-12-01T23:40:00Z", "9 of 10 auto-graded points; reflection not marked yet"]
    assert table[2][:7] == ["Participant 4568", "John Doe", "", "not a notebook file (.html): hand in the .ipynb file",
                            "", "13", "Yes"]
    assert table[2][9] == ""
    assert table[3][0] == "Participant 4569"
    assert table[3][1] == "'=HYPERLINK(\"http://x.example/\",\"click\")"
    assert table[3][2] == "'@evil"
    assert table[3][10] == "'" + report.clean_line("-2+3\x1b[2J\u202etext\nsecond line")
    assert table[3][10].endswith("text second line") and "\x1b" not in table[3][10]
    assert table[3][4] == "5"
    assert [r["name"] for r in skipped] == ["Jane Smith", "Carl Canvas", "Nora Nobody", "Gail Google", "Ivan Id"]
    assert skipped[0] is rows[1]
    assert no_control_characters(text)


def test_moodle_worksheet_keeps_the_best_graded_copy_and_uses_platform_id():
    rows = [row("Jane Smith", "4567", "moodle", None, status="empty file"),
            row("Jane Smith", "4567", "moodle", 7),
            row("Jane Smith", "4567", "moodle", 9),
            row("Roster Name", "S-1", "moodle", 4, platform_id="4570")]
    text, skipped = exports.moodle_worksheet(rows, max_grade=13)
    table = parse(text)
    assert [(r[0], r[4]) for r in table[1:]] == [("Participant 4567", "9"), ("Participant 4570", "4")]
    assert skipped == [rows[0], rows[1]]


def test_canvas_import_layout_with_points_possible(tmp_path):
    rows = [
        row("Jane Smith", "12345", "canvas", 12.0),
        row("doejohn", "12346", "canvas", 7.333),
        row("Late Roe", "12347", "canvas", None, status="empty file"),
        row("@SUM(A1:A9)", "12348", "canvas", 0),
        row("", "anon_x1Y2z", "canvas", 5),  # anonymous: no Canvas user id to import by
        row("Mo Moodle", "4567", "moodle", 5),
        row("Nora Nobody", "", "", 9),
    ]
    text, skipped = exports.canvas_import(rows, assignment="Exercises 1", points_possible=13)
    table = parse(text)
    assert table[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Exercises 1"]
    assert table[1] == ["Points Possible", "", "", "", "", "13"]
    assert table[2:] == [["Jane Smith", "12345", "", "", "", "12"],
                         ["doejohn", "12346", "", "", "", "7.33"],
                         ["Late Roe", "12347", "", "", "", ""],
                         ["'@SUM(A1:A9)", "12348", "", "", "", "0"]]
    assert skipped == [rows[4], rows[5], rows[6]]
    assert no_control_characters(text)
    text, _ = exports.canvas_import(rows[:1], assignment="Exercises 1\x1b[1m", points_possible=13.5,
                                    assignment_id="777")
    assert parse(text)[0][-1] == report.clean_line("Exercises 1\x1b[1m") + " (777)" == "Exercises 1 (777)"
    assert parse(text)[1][-1] == "13.5"


def test_exports_with_no_importable_rows_still_have_the_layout():
    text, skipped = exports.moodle_worksheet([], max_grade=13)
    assert parse(text) == [exports.MOODLE_HEADER]
    text, skipped = exports.canvas_import([row("N", "", "", 1)], assignment="E", points_possible=13)
    assert parse(text) == [[*exports.CANVAS_HEADER, "E"], ["Points Possible", "", "", "", "", "13"]]
    assert len(skipped) == 1


@pytest.mark.parametrize("value, shown", [
    (1, "1"), (1.0, "1"), (0, "0"), (0.0, "0"), (7.5, "7.5"), (7.25, "7.25"), (7.333333, "7.33"), (7.999, "8"),
    (13, "13"), (-0.0001, "0"), (None, ""), (True, ""), (float("nan"), ""), (float("inf"), ""), ("7.5", "7.5"),
    ("=1+1", ""), ("", ""), ([1], ""),
])
def test_number_formatting(value, shown):
    assert exports.number(value) == shown
