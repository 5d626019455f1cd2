"""Grading past one machine: ``grade … --shard I/N`` grades a share of the class, ``grade merge`` joins the shares.

Used by the grader (:mod:`trotsky1940.grading.cli`), outside every sandbox; nothing here runs student code.

- **Which share.** Every shard lists all the submissions it is given (the same folders and zips on every
  machine), sorts their names (the labels the gradebook shows, e.g. ``class-9c/jane.ipynb``) by their SHA-256,
  and takes every N-th one from position I-1. The share depends on the names alone, never on the order a file
  system lists them in, so N machines given the same files grade every file exactly once, and the shares
  differ in size by at most one. Each shard writes an ordinary results folder (its own gradebook and feedback
  pages for its share) whose ``results.json`` also says which shard it is and which files the whole class has.
- **Merging.** ``grade merge SHARD_FOLDER… --out DIR`` checks that the folders are the N shards of one class,
  graded against the same reference (a shard given twice is used once when both copies agree, else refused; a
  shard missing is named with the command that makes it), joins their results, does again what depends on the
  whole class (the roster, identical hand-ins, a student's other hand-ins, feedback file names) and writes one
  gradebook and one feedback folder into DIR, exactly as one run over all the files would have. Merging again
  with the same shards changes nothing; with new shard results it moves the earlier merge to
  ``DIR/previous/`` first, as a grading run does. Reflection marks (``marks.csv``) of DIR, of the shard folders
  and of ``--marks`` are folded together (the newer mark wins).

See ``teachers/grading-at-scale.md`` for running the shards as a Kubernetes Indexed Job or as array jobs.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import gradebook

PENDING = "pending"  # an entry's own notes, kept in a shard's results.json until the merge finishes them
SHARD_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


class ShardError(ValueError):
    """Shard folders that cannot be merged (or a --shard that cannot be read); the message says what to do."""


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass
class Shard:
    """Shard ``index`` (1 … ``count``) of a class; :meth:`select` fills in what the whole class holds."""

    index: int
    count: int
    total: int = 0  # files the whole class has
    class_sha256: str = ""  # of the sorted names of all of them: equal on every shard of one class
    labels: list[str] = field(default_factory=list)  # the names in this share

    @classmethod
    def parse(cls, text: str) -> Shard:
        match = SHARD_RE.match(str(text))
        if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
            raise ShardError(f"--shard takes I/N, the shard's number I from 1 to N, e.g. --shard 1/4 (got {text!r}); "
                             "a Kubernetes Indexed Job counts from 0: --shard $((JOB_COMPLETION_INDEX + 1))/N")
        return cls(int(match.group(1)), int(match.group(2)))

    def owner(self, labels: list[str]) -> dict[str, int]:
        """{name: the shard (1 … count) that grades it} for all the names of a class."""
        order = sorted(set(labels), key=lambda label: (digest(label), label))
        return {label: rank % self.count + 1 for rank, label in enumerate(order)}

    def select(self, items: list) -> list:
        """The items of this share (each item has a ``label``), in the order given."""
        labels = [item.label for item in items]
        owner = self.owner(labels)
        self.total = len(labels)
        self.class_sha256 = digest("\n".join(sorted(labels)))
        mine = [item for item in items if owner[item.label] == self.index]
        self.labels = sorted({item.label for item in mine})
        return mine

    def describe(self) -> dict:
        return {"index": self.index, "count": self.count, "total": self.total, "class_sha256": self.class_sha256,
                "submissions": self.labels}

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


@dataclass
class Loaded:
    folder: Path
    state: dict

    @property
    def shard(self) -> dict:
        return self.state["shard"]


def _comparable(state: dict) -> str:
    """A shard's results without the times they were graded at: equal for two copies of the same shard."""
    entries = [{k: v for k, v in e.items() if k != "graded_at"} for e in state["submissions"]]
    return json.dumps(entries, sort_keys=True, ensure_ascii=False)


def load(folders: list[Path]) -> tuple[list[Loaded], list[str]]:
    """The shards to merge, one per index, checked to be the N shards of one class; and what was noticed
    (a shard given twice that agrees with itself). Raises :class:`ShardError` with what to do."""
    if not folders:
        raise ShardError("grade merge needs the shard folders, e.g. grade merge results/01-shard-* --out results/01")
    found: list[Loaded] = []
    for folder in folders:
        try:
            state = gradebook.load_state(folder)
        except gradebook.StateError as exc:
            raise ShardError(str(exc)) from None
        if state is None:
            raise ShardError(f"{folder} holds no results ({gradebook.STATE} is missing): is it a shard's --out "
                             "folder, and has that shard finished?")
        if not isinstance(state.get("shard"), dict):
            raise ShardError(f"{folder} holds the results of a whole run, not of a shard (grade … --shard I/N)")
        found.append(Loaded(Path(folder), state))
    first = found[0]
    for other in found[1:]:
        for key, what in (("reference_sha256", "another version of the reference notebook"),
                          ("exercise", "another exercise")):
            if other.state.get(key) != first.state.get(key):
                raise ShardError(f"{other.folder} was graded against {what} than {first.folder}: grade every "
                                 "shard against the same reference")
        if other.shard.get("count") != first.shard.get("count"):
            raise ShardError(f"{other.folder} is shard {other.shard.get('index')}/{other.shard.get('count')}, but "
                             f"{first.folder} is shard {first.shard.get('index')}/{first.shard.get('count')}: "
                             "all shards of a class must split it into the same number N")
        if other.shard.get("class_sha256") != first.shard.get("class_sha256"):
            raise ShardError(f"{other.folder} and {first.folder} were given different files "
                             f"({other.shard.get('total')} and {first.shard.get('total')} in all): give every shard "
                             "the same submissions (the same folders and zips)")
    notes: list[str] = []
    by_index: dict[int, Loaded] = {}
    for one in found:
        index = int(one.shard["index"])
        if index in by_index:
            seen = by_index[index]
            if one.folder.resolve() == seen.folder.resolve():
                notes.append(f"{one.folder} was given twice: used once")
            elif _comparable(one.state) == _comparable(seen.state):
                notes.append(f"shard {index}/{one.shard['count']} is given twice ({seen.folder} and {one.folder}) "
                             "with the same results: used once")
            else:
                raise ShardError(f"shard {index}/{one.shard['count']} is given twice with different results: "
                                 f"{seen.folder} and {one.folder}. Keep the one you trust (or grade that shard "
                                 "again) and merge again")
            continue
        by_index[index] = one
    count = int(first.shard["count"])
    missing = [i for i in range(1, count + 1) if i not in by_index]
    if missing:
        names = ", ".join(f"{i}/{count}" for i in missing)
        raise ShardError(f"shard{'s' if len(missing) > 1 else ''} {names} missing (of {count}; "
                         f"{first.shard.get('total')} files in all): grade {'them' if len(missing) > 1 else 'it'} "
                         f"with grade … --shard {missing[0]}/{count} --out <folder>, then merge all {count} folders")
    owners: dict[str, Path] = {}
    for index in sorted(by_index):
        one = by_index[index]
        labels = [e.get("submission") for e in one.state["submissions"]]
        expected = sorted(one.shard.get("submissions") or [])
        if sorted(labels) != expected:
            raise ShardError(f"{one.folder} (shard {index}/{count}) does not hold the results of its whole share "
                             f"({len(labels)} results, {len(expected)} files): grade that shard again")
        for label in labels:
            if label in owners:
                raise ShardError(f"{label} is in two shards ({owners[label]} and {one.folder}): grade them again "
                                 "from the same files")
            owners[label] = one.folder
        if any(PENDING not in e for e in one.state["submissions"]):
            raise ShardError(f"{one.folder} was written by another version of the grader: grade that shard again")
    return [by_index[i] for i in sorted(by_index)], notes
