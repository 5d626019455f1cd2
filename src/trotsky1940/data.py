"""Load and validate the module's sourced data set (``data/*.csv`` described by ``data/datapackage.json``).

Every table is checked on load against its Frictionless Table Schema (types, required values, patterns,
enumerations, unique and primary keys, foreign keys) and against the rules the schema cannot express
(``;``-separated lists of ids that must exist, dates and times that must agree with their precision,
disputed rows that must name their dispute). A problem raises :class:`DataError`, whose message names
the file, the line, the column and what is wrong.

Typical use in a notebook::

    from trotsky1940 import data
    ev = data.load()
    ev.events[0].label        # '7 November 1879'
    ev.people_by_id["mercader"].aliases

Only the standard library is used, so the student environment stays small; the test suite cross-checks
the descriptor with the Frictionless library itself.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from . import paths

PHASES = ("background", "first-attempt", "second-attempt", "attack", "aftermath")
"""The phases of the story, in order; each matches a chapter notebook."""

PHASE_NAMES = {
    "background": "background",
    "first-attempt": "first attempt",
    "second-attempt": "second attempt",
    "attack": "attack",
    "aftermath": "aftermath",
}
"""The phases as words for running text."""

PHASE_TITLES = {
    "background": "Background",
    "first-attempt": "The first attempt?",
    "second-attempt": "The raid of 24 May 1940",
    "attack": "The attack",
    "aftermath": "Aftermath",
}

# Columns holding ';'-separated ids that must each exist in another table. A Frictionless foreign key
# cannot describe a list, so these are checked here (and stated in each field's description).
LIST_REFERENCES: dict[tuple[str, str], str] = {
    ("events", "sources"): "sources",
    ("events", "people"): "people",
    ("events", "reported_by"): "people",
    ("events", "facts"): "",  # reference-facts ids (F01-F70): checked for form by the schema only
    ("people", "sources"): "sources",
    ("places", "sources"): "sources",
    ("disputes", "sources"): "sources",
    ("dispute_versions", "sources"): "sources",
    ("funeral", "sources"): "sources",
}
LIST_SEPARATOR = ";"
PARTICIPANT = "participant"
"""people.csv kind of someone who took part in the events; historians and authors report them (reported_by)."""
UNCITED = "WEB"
"""Source id for claims found only on uncited weak web pages: recorded in dispute versions, never support."""

MONTHS = (
    "January February March April May June July August September October November December"
).split()


class DataError(ValueError):
    """A problem in a data file, with the file, line and column it was found at."""

    def __init__(self, file: str, message: str, *, line: int | None = None, column: str | None = None,
                 row_id: str | None = None):
        self.file, self.line, self.column, self.row_id, self.problem = file, line, column, row_id, message
        where = [file]
        if line is not None:
            where.append(f"line {line}" + (f" (id {row_id})" if row_id else ""))
        if column is not None:
            where.append(f"column '{column}'")
        super().__init__(", ".join(where) + ": " + message)


# --------------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True)
class Source:
    """One bibliography entry of ``sources.csv``."""

    id: str
    short: str
    citation: str
    kind: str
    author: str | None = None
    title: str | None = None
    year: str | None = None
    publisher: str | None = None
    pages: str | None = None
    url: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Place:
    """A place of ``places.csv``; coordinates only where a source gives them."""

    id: str
    name: str
    kind: str
    description: str
    sources: tuple[str, ...]
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class Person:
    """A person of ``people.csv``. ``born`` and ``died`` are partial ISO dates ('1913-02-07', '1978-10').

    ``kind`` is 'participant' (took part in the events), 'historian' or 'author' (wrote about them later).
    """

    id: str
    name: str
    role: str
    sources: tuple[str, ...]
    kind: str = "participant"
    aliases: tuple[str, ...] = ()
    born: str | None = None
    died: str | None = None
    affiliation: str | None = None
    confidence: str | None = None
    note: str | None = None

    @property
    def life(self) -> str:
        """Life dates for display, e.g. '1879–1940' or '1913–1978'; '?' where no source gives one."""
        if not self.born and not self.died:
            return ""
        return f"{(self.born or '?')[:4]}–{(self.died or '?')[:4]}"


@dataclass(frozen=True)
class Event:
    """An event of ``events.csv``.

    ``date`` is a real :class:`datetime.date`; only the part that ``date_precision`` names is meaningful
    (a 'month' event dated 1940-03-01 means "March 1940"). ``time_local`` is local clock time or None.
    """

    id: str
    date: dt.date
    date_precision: str
    phase: str
    title: str
    summary: str
    sources: tuple[str, ...]
    confidence: str
    end_date: dt.date | None = None
    time_local: dt.time | None = None
    people: tuple[str, ...] = ()
    reported_by: tuple[str, ...] = ()
    place: str | None = None
    dispute: str | None = None
    facts: tuple[str, ...] = ()
    note: str | None = None

    @property
    def when(self) -> dt.datetime:
        """The event as a datetime (midnight where no time is known), for sorting and plotting."""
        return dt.datetime.combine(self.date, self.time_local or dt.time(0, 0))

    @property
    def midpoint(self) -> dt.datetime:
        """Where to draw the event on a time axis: the middle of its year or month when only that is known."""
        if self.date_precision == "year":
            return dt.datetime(self.date.year, 7, 1)
        if self.date_precision == "month":
            return dt.datetime(self.date.year, self.date.month, 15)
        return self.when

    @property
    def label(self) -> str:
        """The date as precisely as the sources allow: '1929', 'May 1940', '24 May 1940, about 04:00'."""
        text = format_span(self.date, self.end_date, self.date_precision)
        if self.time_local is not None:
            about = "about " if self.date_precision == "hour" else ""
            text += f", {about}{self.time_local:%H:%M}"
        return text

    @property
    def uncertain(self) -> bool:
        """True when the sources dispute the event or none confirms it."""
        return self.confidence in ("disputed", "unconfirmed")


@dataclass(frozen=True)
class Dispute:
    """A contested or unconfirmed point of ``disputes.csv``."""

    id: str
    topic: str
    status: str
    suggested_wording: str
    sources: tuple[str, ...]
    article_claim: str | None = None
    facts: tuple[str, ...] = ()
    ref: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class DisputeVersion:
    """One version of a dispute (``dispute_versions.csv``), with who gives it and how well it is supported."""

    dispute: str
    version: int
    claim: str
    sources: tuple[str, ...]
    assessment: str
    note: str | None = None


@dataclass(frozen=True)
class FuneralRow:
    """A row of ``funeral.csv``: a figure a source reports, or an assumption a chart makes."""

    id: str
    date: dt.date
    kind: str
    measure: str
    description: str
    sources: tuple[str, ...]
    end_date: dt.date | None = None
    value: int | None = None
    note: str | None = None


RECORD_TYPES: dict[str, type] = {
    "sources": Source,
    "places": Place,
    "people": Person,
    "events": Event,
    "disputes": Dispute,
    "dispute_versions": DisputeVersion,
    "funeral": FuneralRow,
}


@dataclass(frozen=True)
class Evidence:
    """The whole validated data set: one tuple of records per table, plus look-ups by id."""

    folder: Path
    sources: tuple[Source, ...]
    places: tuple[Place, ...]
    people: tuple[Person, ...]
    events: tuple[Event, ...]
    disputes: tuple[Dispute, ...]
    dispute_versions: tuple[DisputeVersion, ...]
    funeral: tuple[FuneralRow, ...]
    sources_by_id: Mapping[str, Source] = field(repr=False, default_factory=dict)
    places_by_id: Mapping[str, Place] = field(repr=False, default_factory=dict)
    people_by_id: Mapping[str, Person] = field(repr=False, default_factory=dict)
    events_by_id: Mapping[str, Event] = field(repr=False, default_factory=dict)
    disputes_by_id: Mapping[str, Dispute] = field(repr=False, default_factory=dict)

    def versions_of(self, dispute_id: str) -> tuple[DisputeVersion, ...]:
        """The versions of one dispute, in order."""
        return tuple(v for v in self.dispute_versions if v.dispute == dispute_id)

    def events_in(self, phase: str | None = None) -> tuple[Event, ...]:
        """Events of one phase (all events for None), in date order."""
        if phase is not None and phase not in PHASES:
            raise ValueError(f"unknown phase {phase!r}; choose one of {', '.join(PHASES)}")
        return tuple(e for e in self.events if phase is None or e.phase == phase)



# --------------------------------------------------------------------------------------------------
# Formatting helpers


def format_date(day: dt.date, precision: str) -> str:
    """Write a date as precisely as ``precision`` allows, e.g. '20 August 1940', 'May 1940', '1929'."""
    if precision == "year":
        return str(day.year)
    if precision == "month":
        return f"{MONTHS[day.month - 1]} {day.year}"
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def format_span(start: dt.date, end: dt.date | None, precision: str) -> str:
    """Write a date or a span compactly: '22–27 August 1940', '1929–1933', 'May–June 1940'."""
    if end is None or end == start:
        return format_date(start, precision)
    if precision == "year":
        return f"{start.year}–{end.year}"
    if start.year == end.year and precision == "month":
        return f"{MONTHS[start.month - 1]}–{MONTHS[end.month - 1]} {end.year}"
    if start.year == end.year and start.month == end.month:
        return f"{start.day}–{end.day} {MONTHS[end.month - 1]} {end.year}"
    return f"{format_date(start, precision)} – {format_date(end, precision)}"


def cite(ids: Iterable[str]) -> str:
    """Inline citation for source ids, e.g. '[B12, B55]'."""
    return "[" + ", ".join(ids) + "]"


def split_list(text: str | None) -> tuple[str, ...]:
    """Split a ';'-separated cell into a tuple of ids ('' gives an empty tuple)."""
    if not text:
        return ()
    return tuple(part.strip() for part in text.split(LIST_SEPARATOR))


# --------------------------------------------------------------------------------------------------
# Reading and checking


def _read_descriptor(folder: Path) -> dict[str, Any]:
    path = folder / "datapackage.json"
    try:
        descriptor = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError("datapackage.json", f"file not found in {folder}") from None
    except json.JSONDecodeError as exc:
        raise DataError("datapackage.json", f"not valid JSON ({exc.msg})", line=exc.lineno) from None
    resources = {r.get("name"): r for r in descriptor.get("resources", [])}
    missing = [name for name in RECORD_TYPES if name not in resources]
    if missing:
        raise DataError("datapackage.json", f"no resource named {', '.join(missing)}")
    return resources


def _convert(value: str, spec: Mapping[str, Any], file: str, line: int, row_id: str | None) -> Any:
    """Convert one cell to the type its field descriptor names, checking its constraints."""
    name = spec["name"]
    kind = spec.get("type", "string")
    cons = spec.get("constraints", {})

    def fail(message: str) -> DataError:
        return DataError(file, message, line=line, column=name, row_id=row_id)

    if value == "":
        if cons.get("required"):
            raise fail("a value is required but the cell is empty")
        return None
    if value != value.strip():
        raise fail(f"{value!r} has spaces at its start or end")
    if "pattern" in cons and not re.fullmatch(cons["pattern"], value):
        raise fail(f"{value!r} does not match the pattern {cons['pattern']}")
    if kind == "string":
        result: Any = value
    elif kind == "integer":
        if not re.fullmatch(r"[+-]?\d+", value):
            raise fail(f"{value!r} is not a whole number")
        result = int(value)
    elif kind == "number":
        try:
            result = float(value)
        except ValueError:
            raise fail(f"{value!r} is not a number") from None
    elif kind == "date":
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise ValueError
            result = dt.date.fromisoformat(value)
        except ValueError:
            raise fail(f"{value!r} is not a valid date (expected YYYY-MM-DD)") from None
    elif kind == "boolean":
        if value not in ("true", "false"):
            raise fail(f"{value!r} is not true or false")
        result = value == "true"
    else:
        raise fail(f"the schema gives type {kind!r}, which this loader does not know")
    if "enum" in cons and value not in [str(v) for v in cons["enum"]]:
        raise fail(f"{value!r} is not one of the allowed values: {', '.join(map(str, cons['enum']))}")
    if "minimum" in cons and result < cons["minimum"]:
        raise fail(f"{value!r} is below the minimum {cons['minimum']}")
    if "maximum" in cons and result > cons["maximum"]:
        raise fail(f"{value!r} is above the maximum {cons['maximum']}")
    return result


def _read_table(folder: Path, resource: Mapping[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """Read one CSV file, check its header and convert every cell; return (line, row) pairs."""
    file = resource["path"]
    path = folder / file
    schema_fields = resource["schema"]["fields"]
    names = [f["name"] for f in schema_fields]
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(file, f"file not found in {folder} (datapackage.json lists it as resource "
                              f"'{resource['name']}')") from None
    except UnicodeDecodeError as exc:
        raise DataError(file, f"not valid UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise DataError(file, "the file is empty; expected a header row: " + ",".join(names))
    reader = csv.reader(text.splitlines(keepends=True), strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise DataError(file, f"cannot read the header row ({exc})", line=1) from None
    for name in names:
        if name not in header:
            raise DataError(file, f"column '{name}' is missing from the header row", line=1, column=name)
    extra = [h for h in header if h not in names]
    if extra:
        raise DataError(file, f"column '{extra[0]}' is not described in datapackage.json", line=1,
                        column=extra[0])
    if header != names:
        raise DataError(file, "the columns are not in the order datapackage.json gives: " + ",".join(names),
                        line=1)
    key_fields = _primary_key(resource)
    rows: list[tuple[int, dict[str, Any]]] = []
    seen_unique: dict[str, dict[Any, int]] = {f["name"]: {} for f in schema_fields
                                               if f.get("constraints", {}).get("unique")}
    seen_keys: dict[tuple, int] = {}
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise DataError(file, f"the CSV cannot be read here ({exc})", line=line) from None
        line = reader.line_num  # a quoted cell may span lines; report where the row ends
        if not cells or all(c == "" for c in cells):
            raise DataError(file, "empty row", line=line)
        row_id = cells[0] if cells else None
        if len(cells) != len(names):
            raise DataError(file, f"the row has {len(cells)} cells but the header has {len(names)}",
                            line=line, row_id=row_id)
        row = {spec["name"]: _convert(cell, spec, file, line, row_id)
               for spec, cell in zip(schema_fields, cells, strict=True)}
        for name, seen in seen_unique.items():
            if row[name] is not None:
                if row[name] in seen:
                    raise DataError(file, f"{row[name]!r} repeats the value of line {seen[row[name]]}; "
                                          "it must be unique", line=line, column=name, row_id=row_id)
                seen[row[name]] = line
        key = tuple(row[k] for k in key_fields)
        if key_fields:
            if key in seen_keys:
                raise DataError(file, f"primary key {key!r} repeats line {seen_keys[key]}", line=line,
                                column=",".join(key_fields), row_id=row_id)
            seen_keys[key] = line
        rows.append((line, row))
    if not rows:
        raise DataError(file, "the file has a header row but no data rows")
    return rows


def _primary_key(resource: Mapping[str, Any]) -> list[str]:
    key = resource["schema"].get("primaryKey", [])
    return [key] if isinstance(key, str) else list(key)


def _check_references(resources: Mapping[str, Any], tables: Mapping[str, list[tuple[int, dict]]]) -> None:
    """Foreign keys from the descriptor, and the ';'-separated id lists."""
    ids = {name: {row.get("id") for _, row in rows} for name, rows in tables.items()}
    for name, resource in resources.items():
        if name not in tables:
            continue
        file = resource["path"]
        for fk in resource["schema"].get("foreignKeys", []):
            local = fk["fields"] if isinstance(fk["fields"], str) else fk["fields"][0]
            target = fk["reference"]["resource"]
            remote = fk["reference"]["fields"]
            remote = remote if isinstance(remote, str) else remote[0]
            known = {row[remote] for _, row in tables[target]}
            for line, row in tables[name]:
                if row[local] is not None and row[local] not in known:
                    raise DataError(file, f"{row[local]!r} is not an {remote} in {resources[target]['path']}",
                                    line=line, column=local, row_id=row.get("id"))
        for (table, column), target in LIST_REFERENCES.items():
            if table != name or not target:
                continue
            for line, row in tables[name]:
                for item in split_list(row[column]):
                    if item not in ids[target]:
                        raise DataError(file, f"{item!r} is not an id in {resources[target]['path']}",
                                        line=line, column=column, row_id=row.get("id"))


def _check_rules(resources: Mapping[str, Any], tables: Mapping[str, list[tuple[int, dict]]]) -> None:
    """Rules a Table Schema cannot state: precision and time agree, spans run forward, disputes linked."""
    file = resources["events"]["path"]
    latest_start: tuple[dt.datetime, int] | None = None
    for line, row in tables["events"]:
        rid = row["id"]
        precision, time_local = row["date_precision"], row["time_local"]
        if precision in ("hour", "minute") and not time_local:
            raise DataError(file, f"date_precision is '{precision}' but time_local is empty", line=line,
                            column="time_local", row_id=rid)
        if precision not in ("hour", "minute") and time_local:
            raise DataError(file, f"time_local is given but date_precision is '{precision}' (use hour or "
                                  "minute)", line=line, column="date_precision", row_id=rid)
        if precision == "year" and (row["date"].month, row["date"].day) != (1, 1):
            raise DataError(file, "a 'year' date must be written YYYY-01-01", line=line, column="date",
                            row_id=rid)
        if precision == "month" and row["date"].day != 1:
            raise DataError(file, "a 'month' date must be written YYYY-MM-01", line=line, column="date",
                            row_id=rid)
        if row["end_date"] is not None and row["end_date"] < row["date"]:
            raise DataError(file, f"end_date {row['end_date']} is before date {row['date']}", line=line,
                            column="end_date", row_id=rid)
        if row["confidence"] in ("disputed", "unconfirmed") and not row["dispute"]:
            raise DataError(file, f"confidence is '{row['confidence']}' but no dispute is linked", line=line,
                            column="dispute", row_id=rid)
        earliest, latest = period(row["date"], precision, _parse_time(time_local))
        if latest_start and latest < latest_start[0]:
            raise DataError(file, f"events must be in date order, but this one ({row['date']}) must come before "
                                  f"line {latest_start[1]}", line=line, column="date", row_id=rid)
        if not latest_start or earliest >= latest_start[0]:
            latest_start = (earliest, line)
    for name in ("funeral",):
        fname = resources[name]["path"]
        for line, row in tables[name]:
            if row["end_date"] is not None and row["end_date"] < row["date"]:
                raise DataError(fname, f"end_date {row['end_date']} is before date {row['date']}", line=line,
                                column="end_date", row_id=row["id"])
    for name in ("places", "people", "events", "disputes", "funeral"):
        for line, row in tables[name]:
            if UNCITED in split_list(row["sources"]):
                raise DataError(resources[name]["path"], f"'{UNCITED}' (uncited web pages) is never support: cite it "
                                "only in dispute_versions.csv, for a weak, unsupported or wrong version",
                                line=line, column="sources", row_id=row.get("id"))
    for line, row in tables["dispute_versions"]:
        if UNCITED in split_list(row["sources"]) and row["assessment"] not in ("weak", "unsupported", "wrong"):
            raise DataError(resources["dispute_versions"]["path"], f"a version resting on '{UNCITED}' cannot be "
                            f"assessed '{row['assessment']}'", line=line, column="assessment",
                            row_id=f"{row['dispute']} v{row['version']}")
    kinds = {row["id"]: row["kind"] for _, row in tables["people"]}
    for line, row in tables["events"]:
        for column, wanted in (("people", True), ("reported_by", False)):
            for person in split_list(row[column]):
                if (kinds[person] == PARTICIPANT) != wanted:
                    problem = (f"{person!r} is a {kinds[person]} in people.csv: list them in reported_by, not "
                               "among the people who took part" if wanted else
                               f"{person!r} is a participant in people.csv: list them in people, not reported_by")
                    raise DataError(file, problem, line=line, column=column, row_id=row["id"])
    with_versions = {row["dispute"] for _, row in tables["dispute_versions"]}
    for line, row in tables["disputes"]:
        if row["id"] not in with_versions:
            raise DataError(resources["disputes"]["path"], "the dispute has no row in dispute_versions.csv",
                            line=line, row_id=row["id"])


def period(day: dt.date, precision: str, time: dt.time | None = None) -> tuple[dt.datetime, dt.datetime]:
    """The earliest and latest moment an event can be, given how precisely its date is known.

    Events are kept in the order the file gives: an event known only to the year or month may stand
    anywhere inside that period, and untimed events of one day keep their order in the file. The file is
    in order when no event's latest moment comes before an earlier row's earliest moment.
    """
    start = dt.datetime.combine(day, time or dt.time(0, 0))
    if time is not None:
        return start, start
    if precision == "year":
        return start, dt.datetime(day.year, 12, 31, 23, 59)
    if precision == "month":
        following = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
        return start, dt.datetime.combine(following - dt.timedelta(days=1), dt.time(23, 59))
    return start, dt.datetime.combine(day, dt.time(23, 59))


def _parse_time(text: str | None) -> dt.time | None:
    return dt.time.fromisoformat(text) if text else None


def _record(kind: type, row: dict[str, Any]) -> Any:
    """Build a record from a converted row: lists split, times parsed."""
    values = {}
    for f in fields(kind):
        value = row.get(f.name)
        if "tuple" in str(f.type):
            value = split_list(value)
        elif f.name == "time_local":
            value = _parse_time(value)
        values[f.name] = value
    return kind(**values)


@functools.lru_cache(maxsize=8)
def _load_cached(folder: Path, stamp: tuple) -> Evidence:
    resources = _read_descriptor(folder)
    tables = {name: _read_table(folder, resources[name]) for name in RECORD_TYPES}
    _check_references(resources, tables)
    _check_rules(resources, tables)
    records = {name: tuple(_record(RECORD_TYPES[name], row) for _, row in rows) for name, rows in tables.items()}
    return Evidence(
        folder=folder,
        **records,
        sources_by_id={r.id: r for r in records["sources"]},
        places_by_id={r.id: r for r in records["places"]},
        people_by_id={r.id: r for r in records["people"]},
        events_by_id={r.id: r for r in records["events"]},
        disputes_by_id={r.id: r for r in records["disputes"]},
    )


def load(folder: str | Path | None = None) -> Evidence:
    """Load and validate the whole data set (cached until a file changes).

    ``folder`` defaults to the module's ``data/`` folder (see :func:`trotsky1940.paths.data_dir`).
    Raises :class:`DataError` naming the file, line and column of the first problem found.
    """
    folder = Path(folder) if folder is not None else paths.data_dir()
    folder = folder.resolve()
    stamp = tuple(
        (p.name, p.stat().st_mtime_ns, p.stat().st_size)
        for p in sorted(folder.glob("*")) if p.suffix in (".csv", ".json")
    )
    return _load_cached(folder, stamp)


def events(phase: str | None = None) -> tuple[Event, ...]:
    """All events in date order, or those of one phase."""
    return load().events_in(phase)


def people() -> tuple[Person, ...]:
    """Everyone in ``people.csv``."""
    return load().people


def places() -> tuple[Place, ...]:
    """Every place in ``places.csv``."""
    return load().places


def sources() -> tuple[Source, ...]:
    """The bibliography."""
    return load().sources


def disputes() -> tuple[Dispute, ...]:
    """Every contested or unconfirmed point."""
    return load().disputes


def funeral() -> tuple[FuneralRow, ...]:
    """What the sources report about the funeral days, and the assumptions a chart makes."""
    return load().funeral
