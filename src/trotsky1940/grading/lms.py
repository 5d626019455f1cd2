"""What the learning platforms hand a teacher: who a downloaded file is from, and unpacking their zips safely.

Used by the grader's intake (:mod:`trotsky1940.grading.intake`), outside every sandbox; nothing here runs or
parses student code. No global state: every function works on its arguments alone.

- :func:`identify` reads who a file is from out of its path inside a platform's download, by that platform's
  documented file naming (Moodle's "Download all submissions", Canvas's "Download Submissions", a Google Drive
  folder of Google Classroom copies). See the README's section "What the platforms hand you" for the
  conventions and where they are documented.
- :func:`extract` unpacks a zip into an empty private folder: every regular member is created with
  ``O_EXCL | O_NOFOLLOW`` (no executable bits), sizes are counted while inflating (the header's sizes are never
  trusted), and every member that is not extracted comes back as a problem with a reason a teacher can read
  (absolute or escaping paths, links, encrypted or damaged members, names in an unknown encoding, duplicates,
  zips inside the zip, members past the size caps). System clutter (``__MACOSX/``, ``.DS_Store``,
  ``Thumbs.db``, ``desktop.ini``) is skipped without a word.
"""

from __future__ import annotations

import os
import re
import stat
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from . import report

__all__ = ["Extraction", "Identity", "LmsError", "extract", "identify"]


class LmsError(Exception):
    """A download that cannot be unpacked at all; the message names the file and says why."""


# -- who a file is from --------------------------------------------------------------------------------------
@dataclass
class Identity:
    """Who a downloaded file is from, as its platform's file naming tells.

    ``platform`` is ``"moodle"``, ``"canvas"``, ``"google"``, or ``""`` when no platform's naming applies;
    ``student_id`` is the platform's own id (Moodle's participant number, Canvas's user id, or Canvas's
    ``anon_…`` id when the assignment is anonymous; Google names carry none); ``late`` is what the platform wrote
    into the name (only Canvas does); ``original_name`` is the file's name as the student handed it in."""

    platform: str = ""
    name: str = ""
    student_id: str = ""
    late: bool = False
    original_name: str = ""


# Moodle (mod/assign/classes/downloader.php): the prefix is the full name with "_" turned into spaces, then
# "_<participant id>"; "Download submissions in folders" puts each file under "<prefix>_assignsubmission_<plugin>"
# (Moodle 3.1-4.0 wrote a trailing "_" after it; 4.1 and later do not), otherwise the file is renamed
# "<prefix>_assignsubmission_<plugin>_<original name>".
MOODLE = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z0-9]+)(?:_(?P<rest>.*))?$")
MOODLE_ANONYMOUS = "Participant"  # the name Moodle writes while "Anonymous submissions" hides identities
# Canvas (lib/content_zipper.rb): "<lastnamefirstname>[_LATE]_<user id>_<attachment id>_<display name>", with the
# sortable name lower-cased and stripped of everything but word characters; anonymous assignments give
# "[LATE_]anon_<anonymous id>_<attachment id>_<display name>"; text entries "<…>_<user id>_text.html", URLs
# "<…>_<user id>_link.html". Ids are database integers (never zero-padded); attachment ids run into the
# thousands on any real Canvas, which keeps hand-made names like "lab_1_2_notes.ipynb" from reading as Canvas.
CANVAS_FILE = re.compile(r"^(?P<name>\w+?)_(?:(?P<late>LATE)_)?(?P<id>[1-9]\d*)_(?P<file>[1-9]\d{2,})_(?P<orig>.+)$")
CANVAS_ANON = re.compile(r"^(?:(?P<late>LATE)_)?anon_(?P<id>[A-Za-z0-9]+)_(?P<file>[1-9]\d{2,})_(?P<orig>.+)$")
CANVAS_TEXT = re.compile(r"^(?P<name>\w+?)_(?:(?P<late>LATE)_)?(?P<id>[1-9]\d*)_(?P<kind>text|link)\.html$")
CANVAS_ANON_TEXT = re.compile(r"^(?:(?P<late>LATE)_)?anon_(?P<id>[A-Za-z0-9]+)_(?P<kind>text|link)\.html$")
# Google: a Drive folder downloaded as "<folder>-<UTC time>-<part>.zip" (e.g. Folder-20261201T101010Z-001.zip),
# holding the folder itself; Classroom's "Make a copy for each student" names each copy
# "<Student Name> - <original title>".
DRIVE_DOWNLOAD = re.compile(r"-\d{8}T\d{6}Z-\d{3}(?:\.zip)?$", re.IGNORECASE)
CLASSROOM_COPY = re.compile(r"^(?P<name>[^/]+?) - (?P<orig>[^/]+)$")
NAME_WORD = re.compile(r"^[^\W\d_](?:[^\W\d_]|[.'’-])*$")
NOT_A_NAME = {"assignment", "answers", "copy", "draft", "exercise", "exercises", "final", "homework", "lab",
              "my", "new", "notebook", "part", "solution", "solutions", "task", "untitled", "version", "week",
              "work", "worksheet"}


def _parts(relative_path: str) -> list[str]:
    return [p for p in str(relative_path).split("/") if p not in ("", ".")]


def _person(name: str, *, strict: bool) -> bool:
    """Whether ``name`` (from "<name> - <title>") can be a person's name: letters, no digits, not a word that
    labels a file ("Final Version - …"); outside a Drive download at least two words, first and last capitalised."""
    words = name.split(" ")
    if not 1 <= len(words) <= 6 or not all(NAME_WORD.match(w) for w in words):
        return False
    if any(w.casefold().strip(".'’-") in NOT_A_NAME for w in words):
        return False
    if strict:
        return len(words) >= 2 and not words[0][0].islower() and not words[-1][0].islower()
    return True


def identify(relative_path: str) -> Identity:
    """Who the file at ``relative_path`` (a member path inside a download, ``/``-separated, possibly under a top
    folder) is from, by the first platform convention that fits; ``Identity("", "", "", False, basename)`` when
    none does.

    - Moodle: a path component ``<Full Name>_<participant id>_assignsubmission_<plugin>[_]`` (a folder) or a file
      ``<Full Name>_<participant id>_assignsubmission_<plugin>_<original name>``. The outermost such component
      counts (Moodle's folder is always above the student's own). Online text (``…_onlinetext…/onlinetext.html``)
      is identified too; it is not a notebook, and intake says so. With anonymous submissions the name is
      ``Participant`` and is returned as ``""``. Group submissions are named after the group and its group id,
      which this cannot tell from a student and a participant id.
    - Canvas: a file name ``<lastnamefirstname>[_LATE]_<user id>_<attachment id>_<original name>`` (or
      ``[LATE_]anon_<id>_…`` for anonymous grading, and ``…_text.html`` / ``…_link.html`` for text and URL
      entries). Canvas's ``lastnamefirstname`` is not a display name (``smithjane`` for Jane Smith): it is
      returned as ``name`` only because nothing better is in the file name; the roster maps it (the caller
      matches the roster by id first). A resubmitted file keeps Canvas's ``-1`` suffix in ``original_name``.
    - Google: a file ``<Student Name> - <original name>`` (Classroom's copy for each student). Inside a Drive
      download (a component like ``Folder-20261201T101010Z-001``) any name without digits counts; elsewhere the
      name must look like a person's (two or more capitalised words, none of them "Final", "Copy", …), so that
      ``Exercise 1 - background.ipynb`` stays nobody's. Google names carry no id.
    """
    parts = _parts(relative_path)
    basename = parts[-1] if parts else ""
    for index, part in enumerate(parts):
        found = MOODLE.match(part)
        if found is None:
            continue
        name = found["name"].strip()
        name = "" if name == MOODLE_ANONYMOUS else name
        original = basename if index < len(parts) - 1 else (found["rest"] or "")
        return Identity("moodle", name, found["id"], False, original)
    for pattern in (CANVAS_FILE, CANVAS_ANON, CANVAS_TEXT, CANVAS_ANON_TEXT):
        found = pattern.match(basename)
        if found is None:
            continue
        groups = found.groupdict()
        name = groups.get("name") or ""
        if name and (name != name.lower() or not any(ch.isalpha() for ch in name)):
            continue  # Canvas lower-cases the name it writes; a name with capitals (or no letter) is not its work
        student = found["id"] if name else f"anon_{found['id']}"
        original = groups.get("orig") or f"{groups['kind']}.html"
        return Identity("canvas", name, student, bool(found["late"]), original)
    found = CLASSROOM_COPY.match(basename)
    if found is not None:
        drive = any(DRIVE_DOWNLOAD.search(p) for p in parts[:-1])
        name = found["name"].strip()
        if _person(name, strict=not drive):
            return Identity("google", name, "", False, found["orig"])
    return Identity("", "", "", False, basename)


# -- unpacking a zip -----------------------------------------------------------------------------------------
@dataclass
class Extraction:
    """What :func:`extract` did: ``files`` as (member path as the teacher sees it, extracted path), and
    ``problems`` as (member path, why it was not extracted, in plain words)."""

    files: list[tuple[str, Path]] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)


JUNK_FILES = {".ds_store", "thumbs.db", "desktop.ini"}
JUNK_FOLDERS = {"__macosx"}
CHUNK = 64 * 1024
MAX_DEPTH = 32
ENCRYPTED = 0x1
UTF8_NAMES = 0x800
DRIVE_LETTER = re.compile(r"^[A-Za-z]:")
NAME_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def _directory_size(handle, file_size: int) -> tuple[int, int]:
    """(entries, bytes) the archive's end record declares for its table of contents, read before zipfile loads
    that table into memory. (0, 0) when there is no end record (zipfile then refuses the file)."""
    tail_len = min(file_size, 22 + 65535)
    handle.seek(file_size - tail_len)
    tail = handle.read(tail_len)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return 0, 0
    entries, size = struct.unpack("<HI", tail[at + 10:at + 16])
    if (entries == 0xFFFF or size == 0xFFFFFFFF) and at >= 20 and tail[at - 20:at - 16] == b"PK\x06\x07":
        (offset,) = struct.unpack("<Q", tail[at - 12:at - 4])
        if offset + 56 <= file_size:
            handle.seek(offset)
            record = handle.read(56)
            if record[:4] == b"PK\x06\x06":
                entries, size = struct.unpack("<QQ", record[32:48])
    return entries, size


def _decoded_name(info: zipfile.ZipInfo) -> str | None:
    """The member's name as text, or None when it is in an unknown legacy encoding. Without the UTF-8 flag,
    zipfile reads names as cp437; many tools (macOS's among them) write UTF-8 without setting the flag, so a
    name whose bytes are valid UTF-8 is read as UTF-8, a plain ASCII name as it is, and anything else is
    refused rather than guessed (cp437, cp850 and cp1252 give different letters for the same bytes)."""
    if info.flag_bits & UTF8_NAMES:
        return info.filename
    raw = info.filename.encode("cp437")
    if raw.isascii():
        return info.filename
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _shown(info: zipfile.ZipInfo, name: str | None) -> str:
    """The member's path as a teacher sees it (replacement characters where its bytes are not text)."""
    if name is not None:
        return name.replace("\\", "/")
    return info.filename.encode("cp437").decode("utf-8", "replace").replace("\\", "/")


def _check(info: zipfile.ZipInfo, name: str | None, max_member_bytes: int) -> tuple[list[str], str]:
    """(path components, '') for a member that may be extracted, else ([], why not)."""
    if name is None:
        return [], ("its name is not UTF-8 text (the zip was made by a tool using an old encoding), not extracted: "
                    "unzip the archive yourself and grade the folder")
    if "\x00" in info.orig_filename or NAME_CONTROL.search(name) or report.CONTROL.search(name):
        return [], "its name holds control characters, not extracted"
    path = name.replace("\\", "/")  # a Windows tool's separator, read as Windows would: "..\x" still escapes
    if path.startswith("/") or DRIVE_LETTER.match(path):
        return [], "an entry with an absolute path (it would be written outside the archive's folder), not extracted"
    parts = _parts(path)
    if ".." in parts:
        return [], "an entry pointing outside the archive, not extracted"
    if len(parts) > MAX_DEPTH:
        return [], f"nested more than {MAX_DEPTH} folders deep, not extracted"
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind == stat.S_IFLNK:
        return [], "a symbolic link, not extracted: hand in the file itself"
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        return [], "not a regular file (a device, pipe or socket), not extracted"
    if info.flag_bits & ENCRYPTED:
        return [], "encrypted (password-protected), not extracted: hand in the file without a password"
    if parts[-1].lower().endswith(".zip"):
        return [], "a zip inside the zip, not opened: unzip it and grade the folder inside"
    if info.file_size > max_member_bytes:
        return [], (f"too large ({_mb(info.file_size)} unpacked; the limit is {_mb(max_member_bytes)}), "
                    "not extracted")
    return parts, ""


def _junk(parts: list[str]) -> bool:
    return any(p.lower() in JUNK_FOLDERS for p in parts[:-1]) or parts[-1].lower() in JUNK_FILES or (
        parts[-1].lower() in JUNK_FOLDERS)


def _open_dir(parent: int, name: str) -> int:
    """A descriptor for the folder ``name`` inside ``parent``, made (0700) if missing; never through a link."""
    try:
        os.mkdir(name, 0o700, dir_fd=parent)
    except FileExistsError:
        pass
    return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), dir_fd=parent)


class _TooLarge(Exception):
    pass


def _write(archive: zipfile.ZipFile, info: zipfile.ZipInfo, root: int, parts: list[str], member_cap: int,
           total_left: int) -> int:
    """Create the member's file under ``root`` and copy its bytes, counting them as they inflate; returns the
    bytes written. Raises _TooLarge (the file is removed) past ``member_cap`` or ``total_left``."""
    fds = [root]
    try:
        for part in parts[:-1]:
            fds.append(_open_dir(fds[-1], part))
        folder = fds[-1]
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        out = os.open(parts[-1], flags, 0o600, dir_fd=folder)
        written = 0
        try:
            with archive.open(info) as source, os.fdopen(out, "wb") as target:
                while True:
                    chunk = source.read(CHUNK)
                    if not chunk:
                        break
                    written += len(chunk)
                    if written > member_cap:
                        raise _TooLarge("member")
                    if written > total_left:
                        raise _TooLarge("total")
                    target.write(chunk)
        except BaseException:
            try:
                os.unlink(parts[-1], dir_fd=folder)
            except OSError:
                pass
            raise
        return written
    finally:
        for fd in fds[1:]:
            os.close(fd)


def _open_archive(zip_path: Path):
    try:
        fd = os.open(zip_path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise LmsError(f"{zip_path.name} cannot be read: {exc.strerror}") from None
    handle = os.fdopen(fd, "rb")
    info = os.fstat(handle.fileno())
    if not stat.S_ISREG(info.st_mode):
        handle.close()
        raise LmsError(f"{zip_path.name} is not a regular file")
    return handle, info.st_size


def extract(zip_path: Path, dest: Path, *, max_files: int = 2000, max_member_bytes: int = 20 * 1024**2,
            max_total_bytes: int = 500 * 1024**2) -> Extraction:
    """Unpack the zip at ``zip_path`` into ``dest`` (an existing, empty folder that only the grader writes to).

    Every regular member is extracted, mode 0600, under its normalised path; members that are not extracted
    (and why) are in ``problems``; clutter from macOS and Windows is skipped silently. A member larger than
    ``max_member_bytes`` (by its header, or by the bytes it actually inflates to, counted while streaming) is
    not kept; once ``max_total_bytes`` have been written, the member being written and every later one is a
    problem. Raises :class:`LmsError` (naming the file) for a file that is not a zip, is damaged beyond
    reading its table of contents, or holds more than ``max_files`` files."""
    zip_path, dest = Path(zip_path), Path(dest)
    try:
        info = os.lstat(dest)
    except OSError as exc:
        raise LmsError(f"cannot unpack {zip_path.name}: the folder {dest} is missing ({exc.strerror})") from None
    if not stat.S_ISDIR(info.st_mode) or os.listdir(dest):
        raise LmsError(f"cannot unpack {zip_path.name}: {dest} must be an empty folder (not a link)")
    handle, size = _open_archive(zip_path)
    with handle:
        try:
            entries, directory = _directory_size(handle, size)
        except (OSError, struct.error):
            entries, directory = 0, 0
        if entries > 4 * max_files + 1000 or directory > max_files * 4096 + 1024**2:
            raise LmsError(f"{zip_path.name} lists {entries} entries, more than the grader unpacks "
                           f"({max_files} files): unzip it yourself and grade the folder")
        handle.seek(0)
        try:
            archive = zipfile.ZipFile(handle)
        except UnicodeDecodeError:
            raise LmsError(f"{zip_path.name} has file names marked as UTF-8 that are not: it cannot be opened; "
                           "unzip it yourself and grade the folder") from None
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError, EOFError, OSError,
                struct.error) as exc:
            raise LmsError(f"{zip_path.name} is not a zip archive, or is damaged ({exc})") from None
        with archive:
            return _extract_all(archive, zip_path, dest, max_files, max_member_bytes, max_total_bytes)


def _extract_all(archive: zipfile.ZipFile, zip_path: Path, dest: Path, max_files: int, max_member_bytes: int,
                 max_total_bytes: int) -> Extraction:
    result = Extraction()
    planned: list[tuple[zipfile.ZipInfo, str, list[str]]] = []
    keys: dict[str, int] = {}
    for info in archive.infolist():
        name = _decoded_name(info)
        shown = _shown(info, name)
        if info.is_dir() or shown.endswith("/") or not _parts(shown) or _junk(_parts(shown)):
            continue
        parts, why = _check(info, name, max_member_bytes)
        if why:
            result.problems.append((shown, why))
            continue
        key = unicodedata.normalize("NFC", "/".join(parts)).casefold()
        keys[key] = keys.get(key, 0) + 1
        planned.append((info, "/".join(parts), parts))
    if len(planned) + len(result.problems) > max_files:
        raise LmsError(f"{zip_path.name} holds {len(planned) + len(result.problems)} entries, more than the "
                       f"{max_files} the grader unpacks: unzip it yourself and grade the folder")
    root = os.open(dest, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    try:
        total = 0
        full = False
        for info, member, parts in planned:
            key = unicodedata.normalize("NFC", member).casefold()
            if keys[key] > 1:
                result.problems.append((member, f"{keys[key]} entries with this name (letter case aside) in the "
                                                "archive: none of them was extracted, as it is unclear which counts"))
                continue
            if full:
                result.problems.append((member, f"not extracted: the archive unpacks to more than "
                                                f"{_mb(max_total_bytes)} in all"))
                continue
            try:
                total += _write(archive, info, root, parts, max_member_bytes, max_total_bytes - total)
            except _TooLarge as exc:
                if exc.args[0] == "total":
                    full = True
                    result.problems.append((member, f"not extracted: the archive unpacks to more than "
                                                    f"{_mb(max_total_bytes)} in all"))
                else:
                    result.problems.append((member, f"too large (more than {_mb(max_member_bytes)} unpacked), "
                                                    "not extracted"))
                continue
            except (FileExistsError, NotADirectoryError, IsADirectoryError):
                result.problems.append((member, "a file and a folder of the same name in the archive, not extracted"))
                continue
            except NotImplementedError:
                result.problems.append((member, "compressed with a method the grader cannot read, not extracted"))
                continue
            except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, struct.error) as exc:
                result.problems.append((member, f"damaged in the archive ({exc}), not extracted"))
                continue
            except OSError as exc:
                result.problems.append((member, f"cannot be extracted: {exc.strerror or exc}"))
                continue
            except Exception as exc:  # noqa: BLE001 - one odd member (a password, an unknown codec) never stops the rest
                result.problems.append((member, f"cannot be read from the archive ({type(exc).__name__}: {exc}), "
                                                "not extracted"))
                continue
            result.files.append((member, dest.joinpath(*parts)))
    finally:
        os.close(root)
    return result
