"""Grade a class: ``python -m trotsky1940 grade REFERENCE SUBMISSION… --out DIR``.

REFERENCE is the teacher's reference notebook (e.g. ``exercises/reference/01-background.ipynb``); each
SUBMISSION is a notebook file, a folder of them, or the zip a learning platform hands a teacher (Moodle's
"Download all submissions", Canvas's "Download submissions", a Google Drive folder). Writes into DIR the
gradebook (``gradebook.csv``, ``questions.csv``), the Moodle and Canvas import files where the submissions
came from those platforms, one hand-back page per student (``feedback/<name>.html`` and ``.md``), and the
state (``results.json``) that the reflection-marking app and the next run read; see
:mod:`trotsky1940.grading.gradebook`.

Grading again into the same DIR merges: files that are new or changed are graded, unchanged ones and results
of files not given this time are kept, and the teacher's marks (``marks.csv``) stay. What the earlier run
wrote is moved to ``DIR/previous/<date and time>/`` first; ``--fresh`` starts over.

While it runs it shows done / total, the file in hand, the time used and left, and each file that could not
be graded: a live bar on a terminal, one line per file otherwise (a log, CI); --quiet shows nothing.

Past one machine: ``--shard I/N`` grades share I of N (the same share on every machine, by the hash of the
file names) into its own folder, and ``grade merge SHARD_FOLDER… --out DIR`` joins the N folders into one
gradebook and one feedback folder, as one run would have written them (:mod:`trotsky1940.grading.shards`;
``teachers/grading-at-scale.md``).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from .. import paths
from . import core, gradebook, intake, marks, progress, report, shards, students

HELP = "grade submitted exercise notebooks against the teacher's reference notebook"
EPILOG = """Examples:
  grade a folder of notebooks:
    python -m trotsky1940 grade exercises/reference/01-background.ipynb submissions/ --out results/01
  grade a few files, one at a time, with more time per cell:
    python -m trotsky1940 grade exercises/reference/02-the-two-attempts.ipynb a.ipynb b.ipynb \\
        --out results/02 --workers 1 --cell-timeout 60
  grade in a script or cron job, with no output but the exit code:
    python -m trotsky1940 grade exercises/reference/03-the-attack.ipynb class-9c/ --out results/03 --quiet
  a Moodle download, matched to the class roster, with the marks made in teachers/mark-reflections.ipynb:
    python -m trotsky1940 grade exercises/reference/01-background.ipynb Exercises-1-12345.zip \\
        --out results/01 --roster roster.csv --marks results/01/marks.csv

  grade on 4 machines (or as 4 jobs), then join the shares:
    python -m trotsky1940 grade exercises/reference/01-background.ipynb class/ --out shard-2 --shard 2/4
    python -m trotsky1940 grade merge shard-1 shard-2 shard-3 shard-4 --out results/01 --roster roster.csv

Exit codes: 0 every file was graded; 1 some were not (not attempted, another exercise, or could not be: each
row's status says why); 2 grading could not start (no sandbox here, the reference fails its own checks, --out
overlaps the submissions, a roster or marks file that cannot be read): no grades are written.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("reference", help="the teacher's reference notebook (or the word merge: join the shard "
                                          "folders given next into --out)")
    parser.add_argument("submissions", nargs="+", help="submitted notebooks, or folders of them (after merge: the "
                                                       "shard folders)")
    parser.add_argument("--out", required=True, help="folder for gradebook.csv and feedback/ (outside the submissions)")
    parser.add_argument("--workers", type=int, default=2, help="submissions graded at once (default 2)")
    parser.add_argument("--cell-timeout", type=int, default=20, help="seconds allowed per cell (default 20)")
    parser.add_argument("--timeout", type=int, default=180, help="seconds allowed per submission (default 180)")
    parser.add_argument("--max-size", type=float, default=intake.DEFAULT_MAX_BYTES / 1e6,
                        help="largest notebook read, in MB (default 20)")
    parser.add_argument("--warm", type=int, default=2, metavar="N",
                        help="kernels each worker keeps started ahead, each for one submission (default 2; "
                             "0 starts each kernel only when its submission comes)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run student code without isolation (only for code you trust)")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors (the exit code tells)")
    parser.add_argument("--roster", help="CSV of the class (columns id, name, optional email): match submissions "
                                         "to students and list who handed nothing in")
    parser.add_argument("--marks", help="a marks.csv of reflection marks to fold into the gradebook and feedback "
                                        "(the newer mark wins; DIR/marks.csv is always read)")
    parser.add_argument("--shard", metavar="I/N",
                        help="grade only share I of N of the submissions (chosen by the hash of their names, the "
                             "same on every machine), for grade merge to join; see teachers/grading-at-scale.md")
    parser.add_argument("--fresh", action="store_true",
                        help="start over: do not keep the results of earlier runs in --out (they are still "
                             "moved to previous/)")


def say(text: str, stream=None, quiet: bool = False) -> None:
    if not quiet:
        print(report.clean_text(text), file=stream or sys.stdout, flush=True)


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    existed = os.path.lexists(out)
    code = run_merge(args) if args.reference == "merge" else _run(args)
    if code == 2 and not existed and out.is_dir() and not any(out.iterdir()):
        out.rmdir()  # a run that could not start leaves no empty results folder behind
    return code


def _run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    out = Path(args.out)
    quiet = args.quiet
    problem = report.check_out_folder(out, [Path(s) for s in args.submissions])
    if problem:
        say(f"grade: {problem}", sys.stderr)
        return 2
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        say(f"grade: cannot write the results into --out {out}: {exc.strerror}; choose a folder you can write to",
            sys.stderr)
        return 2
    try:
        shard = shards.Shard.parse(args.shard) if args.shard else None
    except shards.ShardError as exc:
        say(f"grade: {exc}", sys.stderr)
        return 2
    if shard is not None and args.roster:
        say("grade: give --roster to grade merge, which matches the whole class at once, not to each shard",
            sys.stderr)
        return 2
    try:
        roster = students.read_roster(args.roster) if args.roster else None
        given_marks = marks.read_marks(Path(args.marks)) if args.marks else {}
        if args.marks and not Path(args.marks).is_file():
            raise marks.MarksError(f"no marks file {args.marks}")
        previous = None if args.fresh else gradebook.load_state(out)  # --fresh: even a damaged one goes aside
        exercise = Path(args.reference).stem
        if previous is not None and previous.get("exercise") != exercise and not args.fresh:
            raise gradebook.StateError(
                f"--out {out} holds the results of {previous.get('title', '')} ({previous.get('exercise')}), not "
                f"{exercise}: use one results folder per exercise (e.g. --out results/{exercise[:2]}), or --fresh "
                "to move those results and their marks aside")
        if not args.fresh:
            gradebook.read_marks(out)  # a damaged marks.csv stops the run before anything is graded
    except (students.RosterError, marks.MarksError, gradebook.StateError) as exc:
        say(f"grade: {exc}", sys.stderr)
        return 2
    settings = core.Settings(cell_timeout=args.cell_timeout, submission_timeout=args.timeout,
                             workers=max(1, args.workers), use_sandbox=not args.no_sandbox,
                             max_bytes=int(args.max_size * 1e6), warm_kernels=max(0, args.warm))
    try:
        grader = core.Grader(args.reference, settings)
    except core.GradingError as exc:
        say(f"grade: {exc}", sys.stderr)
        return 2
    state = None
    try:
        say(f"grading against {args.reference}: {len(grader.auto)} auto-graded questions, "
            f"{grader.max_points} points; protections active:", quiet=quiet)
        for line in grader.caps.summary():
            say(f"  {line}", quiet=quiet)
        earlier: list[dict] = []
        if previous is not None:
            if previous.get("reference_sha256") == grader.sha256:
                earlier = [e for e in previous["submissions"] if isinstance(e, dict) and e.get("submission")]
                grader.keep_from(earlier)
                say(f"{out} holds {len(earlier)} results of earlier runs: unchanged files keep theirs, new and "
                    "changed files are graded, and results of files not given now are kept", quiet=quiet)
            else:
                say(f"the reference has changed since the last run into {out}: only the files given now are "
                    "graded, and the earlier results are moved to previous/", quiet=quiet)
        unpack = grader.workdir / "unpacked"
        unpack.mkdir(mode=0o700)
        items = intake.collect(args.submissions, unpack=unpack, max_bytes=settings.max_bytes)
        if not items:
            say("grade: no submissions found (give notebook files, folders or zips that hold them)", sys.stderr)
            return 2
        if shard is not None:
            everyone = len(items)
            items = shard.select(items)
            say(f"shard {shard}: {len(items)} of the {plural(everyone, 'file')} (chosen by the hash of their names)",
                quiet=quiet)
        grader.expect(len(items))
        if any(grader.needs_kernel(item) for item in items):
            say(f"{plural(len(items), 'file')} found; the reference is checked alongside the first of them",
                quiet=quiet)
            grader.start_reference_check()  # runs alongside the first submissions
        else:  # a re-run after marking, say: nothing runs, the reference neither, unless a file needs it after all
            say(f"{plural(len(items), 'file')} found, none new or changed since the last run: no code is run "
                "(a file that needs grading after all has the reference checked first)", quiet=quiet)
            grader.reference_on_demand = True
        shown = progress.Progress(len(items), quiet=quiet)
        try:
            results = grader.grade(items, on_start=shown.start, on_done=shown.finish)
        finally:
            shown.close()
        try:
            if grader.reference_future is not None:
                grader.reference_verdict(grader.reference_future)
        except core.GradingError as exc:
            say(f"grade: {exc}", sys.stderr)
            return 2
        state = build_state(grader, results, earlier, roster, shard)
        gradebook.archive(out, keep_marks=not args.fresh)
        merge_marks(out, given_marks, {r.moved_from: r.submission for r in results if r.moved_from})
        gradebook.save_state(out, state)
        summary = gradebook.rebuild(out)
    finally:
        grader.close()
    if state is not None:
        write_run_files(grader, results, state, out)  # after close(): with the CPU of every kernel
    graded = sum(r.kind == "graded" for r in results)
    kept = sum(r.kind == "graded" and r.kept for r in results)
    unchanged = f" ({kept} of them unchanged since an earlier run, and kept)" if kept else ""
    say(f"{graded} of {plural(len(results), 'file')} graded{unchanged} in {time.monotonic() - started:.1f} s; "
        f"gradebook: {summary['gradebook']} ({summary['rows']} rows)", quiet=quiet)
    for r in results:
        if r.kind != "graded":
            who = r.identity.name + (f" ({r.identity.student_id})" if r.identity.student_id else "")
            status = r.status if r.status.startswith(r.kind) else f"{r.kind}: {r.status}"
            say(f"  {who + ': ' if who else ''}{status} [{r.submission}]", quiet=quiet)
    report_class(state, summary, out, quiet)
    if shard is not None:
        say(f"shard {shard} done; when all {shard.count} are, join them: python -m trotsky1940 grade merge "
            f"SHARD_FOLDER… --out RESULTS", quiet=quiet)
    return 0 if graded == len(results) else 1


def run_merge(args: argparse.Namespace) -> int:
    """``grade merge SHARD_FOLDER… --out DIR``: one gradebook and one feedback folder from the shards' results
    (see :mod:`trotsky1940.grading.shards`). Runs no student code."""
    quiet, out = args.quiet, Path(args.out)
    folders = [Path(f) for f in args.submissions]
    if args.shard:
        say("grade merge: --shard is for grading a share; merge takes the shard folders", sys.stderr)
        return 2
    target = out.resolve()
    for folder in folders:
        source = folder.resolve()
        if target == source or target.is_relative_to(source) or source.is_relative_to(target):
            say(f"grade merge: --out {out} overlaps the shard folder {folder}: merge into a folder of its own, "
                "e.g. --out results/01", sys.stderr)
            return 2
    try:
        loaded, noticed = shards.load(folders)
        roster = students.read_roster(args.roster) if args.roster else None
        if args.marks and not Path(args.marks).is_file():
            raise marks.MarksError(f"no marks file {args.marks}")
        given = marks.read_marks(Path(args.marks)) if args.marks else {}
        previous = gradebook.load_state(out) if os.path.lexists(out / gradebook.STATE) else None
        if previous is not None and "merged_from" not in previous and not args.fresh:
            raise gradebook.StateError(f"--out {out} holds the results of a grading run, not of a merge: merge into "
                                       "another folder (or add --fresh to move those results aside)")
        if previous is not None and previous.get("exercise") != loaded[0].state.get("exercise") and not args.fresh:
            raise gradebook.StateError(f"--out {out} holds the results of {previous.get('exercise')}, not "
                                       f"{loaded[0].state.get('exercise')}: use one results folder per exercise")
        if not args.fresh and out.is_dir():
            gradebook.read_marks(out)  # a damaged marks.csv stops the merge before anything is written
        for one in loaded:  # marks made in a shard's own folder count too (the newer mark wins)
            for key, mark in marks.read_marks(one.folder / gradebook.MARKS).items():
                if key not in given or marking_time(mark) >= marking_time(given[key]):
                    given[key] = mark
    except (shards.ShardError, students.RosterError, marks.MarksError, gradebook.StateError) as exc:
        say(f"grade merge: {exc}", sys.stderr)
        return 2
    for line in noticed:
        say(f"note: {line}", quiet=quiet)
    first = loaded[0].state
    entries = sorted((json.loads(json.dumps(e)) for one in loaded for e in one.state["submissions"]),
                     key=lambda e: e["submission"])
    for entry in entries:
        entry.pop("notes", None)
        entry.pop("feedback", None)
    missing, _ = finish_entries(entries, roster)
    earlier = {} if previous is None or args.fresh else {
        e["submission"]: e.get("feedback", "") for e in previous.get("submissions", []) if isinstance(e, dict)}
    gradebook.assign_feedback_names(entries, earlier)
    for entry in entries:
        entry.pop(shards.PENDING, None)
    merged_from = [{"folder": str(one.folder), "shard": f"{one.shard['index']}/{one.shard['count']}",
                    "files": len(one.state["submissions"]), "graded_at": one.state.get("graded_at", "")}
                   for one in loaded]
    state = {key: first.get(key) for key in ("format", "exercise", "title", "heading", "reference",
                                             "reference_sha256", "questions")}
    state.update(graded_at=max(str(one.state.get("graded_at", "")) for one in loaded), submissions=entries,
                 missing=[{"id": s.id, "name": s.name, "email": s.email} for s in missing],
                 roster=len(roster) if roster is not None else None, merged_from=merged_from)
    out.mkdir(parents=True, exist_ok=True)
    unchanged = previous is not None and previous == state and not args.fresh
    if not unchanged:
        gradebook.archive(out, keep_marks=not args.fresh)
    merge_marks(out, given, {})
    gradebook.save_state(out, state)
    pages = {e["submission"]: e.get("feedback", "") for e in entries}
    runs, layers = [], {}
    for one in loaded:
        for name, into in (("run.json", runs), ("sandbox.json", layers)):
            try:
                found = json.loads((one.folder / name).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if name == "run.json":
                into.extend(s for s in found.get("submissions", []) if isinstance(s, dict))
            else:
                into[str(one.folder)] = found
    for entry in runs:
        entry.update(feedback=f"{pages.get(entry.get('submission'), '')}.md",
                     page=f"{pages.get(entry.get('submission'), '')}.html")
    runs.sort(key=lambda e: str(e.get("submission")))
    report.write_atomic(out / "run.json", json.dumps({"reference": first.get("reference"), "merged_from": merged_from,
                                                      "submissions": runs}, indent=2, ensure_ascii=False) + "\n")
    report.write_atomic(out / "sandbox.json", json.dumps({"merged_from": merged_from, "shards": layers},
                                                         indent=2) + "\n")
    summary = gradebook.rebuild(out)
    graded = sum(e.get("kind") == "graded" for e in entries)
    say(f"merged {plural(len(loaded), 'shard')} ({', '.join(m['shard'] for m in merged_from)}): {graded} of "
        f"{plural(len(entries), 'file')} graded; gradebook: {summary['gradebook']} ({summary['rows']} rows)"
        + (" (the same as the last merge)" if unchanged else ""), quiet=quiet)
    report_class(state, summary, out, quiet)
    return 0 if graded == len(entries) else 1


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def merge_marks(out: Path, given: dict, moved: dict[str, str]) -> None:
    """Fold marks from --marks into out/marks.csv (the newer mark wins), and carry the marks of a file given
    under another path this time over to that path."""
    if not given and not moved:
        return
    merged = marks.read_marks(out / gradebook.MARKS)
    for submission, question in list(merged):
        if submission in moved and (moved[submission], question) not in merged:
            merged[(moved[submission], question)] = merged.pop((submission, question))
    for key, mark in given.items():
        if key not in merged or marking_time(mark) >= marking_time(merged[key]):
            merged[key] = mark
    marks.write_marks(out / gradebook.MARKS, merged)


def marking_time(mark) -> str:
    """A mark's time as ISO 8601 UTC text (comparable), also when a spreadsheet rewrote it as 02/12/2026 00:06."""
    text = str(mark.marked_at or "").strip()
    for pattern in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M",
                    "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d.%m.%Y %H:%M"):
        try:
            return datetime.datetime.strptime(text, pattern).strftime("%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            continue
    return text


def build_state(grader: core.Grader, results: list[core.Result], earlier: list[dict],
                roster: list[students.Student] | None, shard: shards.Shard | None = None) -> dict:
    """The results.json of this run: this run's results, and earlier results of files not given this time (a
    shard keeps only its own share: what it was not given belongs to another shard or to no one)."""
    given = {r.submission for r in results} | {r.moved_from for r in results if r.moved_from}
    kept = [] if shard else [core.Result.from_entry(e) for e in earlier if e["submission"] not in given]
    everything = sorted([*results, *kept], key=lambda r: r.submission)
    entries = []
    for r in everything:
        own = []
        if r in kept:
            own.append(f"kept from an earlier run (graded {r.graded_at or 'earlier'}; not given this time)")
        if r.moved_from:
            own.append(f"the same file as {r.moved_from} in an earlier run: its result and marks kept")
        before = grader.previous.get(r.submission)
        changed = before is not None and before.get("reflections") != r.reflections
        late = ["the reflection changed since the earlier run: check its mark"] if (
            changed and not r.kept and before.get("kind") == "graded") else []
        entry = r.to_entry()
        entry[shards.PENDING] = {"identity_notes": list(r.identity.notes), "notes": own, "late": late}
        entries.append(entry)
    missing, people = finish_entries(entries, roster)
    for r, who in zip(everything, people, strict=True):
        r.identity = who  # as the roster knows them, for what the run prints
    names = {e["submission"]: e.get("feedback", "") for e in earlier}
    names.update({r.submission: names.get(r.moved_from, "") for r in results if r.moved_from})
    gradebook.assign_feedback_names(entries, names)
    if shard is None:
        for entry in entries:
            entry.pop(shards.PENDING)
    state = {"format": gradebook.FORMAT, "exercise": grader.name, "title": grader.title, "heading": grader.heading,
             "reference": grader.reference_path.name, "reference_sha256": grader.sha256,
             "questions": [q.as_dict() for q in grader.questions], "graded_at": core.now(),
             "submissions": entries, "missing": [{"id": s.id, "name": s.name, "email": s.email} for s in missing],
             "roster": len(roster) if roster is not None else None}
    if shard is not None:
        state["shard"] = shard.describe()
    return state


def finish_entries(entries: list[dict], roster: list[students.Student] | None
                   ) -> tuple[list[students.Student], list[students.Identity]]:
    """What depends on the whole class, filled into the entries (sorted by submission): who each is on the
    roster, and the notes that compare submissions. Each entry's own notes wait under ``shards.PENDING`` (so
    that ``grade merge`` can do this again over every shard). Returns the roster students with no submission,
    and each entry's identity."""
    people = []
    for entry in entries:
        pending = entry[shards.PENDING]
        found = entry.get("identity") or {}
        people.append(students.Identity(**{k: str(found.get(k, "")) for k in (
            "name", "student_id", "email", "platform", "platform_id", "name_in_notebook", "matched")},
            notes=list(pending["identity_notes"])))
    notes = [list(e[shards.PENDING]["identity_notes"]) + list(e[shards.PENDING]["notes"]) for e in entries]
    missing: list[students.Student] = []
    if roster is not None:
        missing, unmatched = students.match(people, roster)
        for index in unmatched:
            if entries[index].get("kind") in core.KEPT:
                notes[index].append("matches no one on the roster")
        notes = [[*who.notes, *mine] for who, mine in zip(people, notes, strict=True)]
    by_student: dict[str, list[str]] = {}
    for entry, who in zip(entries, people, strict=True):
        if who.student_id and entry.get("kind") in core.KEPT:
            by_student.setdefault(who.student_id, []).append(entry["submission"])
    for index, (entry, who) in enumerate(zip(entries, people, strict=True)):
        others = [s for s in by_student.get(who.student_id, []) if s != entry["submission"]]
        if others:
            notes[index].append(f"the same student also handed in {', '.join(others)}")
        notes[index] += entry[shards.PENDING]["late"]
        entry["identity"] = who.as_dict()
        entry["notes"] = list(dict.fromkeys(notes[index]))
    return missing, people


def write_run_files(grader: core.Grader, results: list[core.Result], state: dict, out: Path) -> None:
    """sandbox.json (the protections that were active, with the limits) and run.json (files and timings)."""
    caps = grader.caps
    report.write_atomic(out / "sandbox.json", json.dumps({
        "layers": caps.layers(), "notes": caps.notes, "root": caps.root,
        "cgroups": caps.cgroups.describe() if caps.cgroups else None,
        "limits": dataclasses.asdict(grader.settings.limits),
        "uids": sorted({u for slot in grader._slots for u in (slot.nbval_uid, slot.kernel_uid) if u is not None}),
    }, indent=2) + "\n")
    pages = {e["submission"]: e.get("feedback", "") for e in state["submissions"]}
    report.write_atomic(out / "run.json", json.dumps({
        "reference": grader.reference_path.name,
        "cpu": grader.cpu_totals(),
        "submissions": [{"submission": r.submission, "feedback": f"{pages.get(r.submission, '')}.md",
                         "page": f"{pages.get(r.submission, '')}.html", "status": r.status, "kind": r.kind,
                         "kept": r.kept, **r.diagnostics} for r in results],
    }, indent=2, ensure_ascii=False) + "\n")


def report_class(state: dict, summary: dict, out: Path, quiet: bool) -> None:
    """What the teacher needs to know after a run: the roster, identical hand-ins, exports, marks to make."""
    if state.get("roster") is not None:
        missing = state["missing"]
        say(f"roster: {state['roster'] - len(missing)} of {state['roster']} students handed in", quiet=quiet)
        for s in missing:
            say(f"  no submission: {s['name']} ({s['id']})", quiet=quiet)
        for entry in state["submissions"]:
            if "matches no one on the roster" in entry.get("notes", []):
                say(f"  matches no one on the roster: {entry['submission']}", quiet=quiet)
    for pair in sorted({tuple(sorted([gradebook.display_name(e), *names]))
                        for e in state["submissions"] for names in [gradebook.same_answers(state["submissions"])
                                                                    .get(e["submission"], [])] if names}):
        say(f"  same answers, answer for answer (look before you decide anything): {', '.join(pair)}", quiet=quiet)
    for name, skipped in summary["exports"].items():
        left = (f" (left out: {len(skipped)} {'row' if len(skipped) == 1 else 'rows'} without this platform's id, "
                "or a student's other hand-in)") if skipped else ""
        say(f"for import: {out / name}{left}", quiet=quiet)
    say(f"feedback to hand back: {out / 'feedback'}/ ({summary['pages']} pages, HTML and Markdown)", quiet=quiet)
    if summary["unmarked"]:
        shown = out if Path.cwd().resolve() == paths.repo_root().resolve() else out.resolve()
        say(f"reflections to mark: {summary['unmarked']}: make mark RESULTS={shown} (or open "
            "teachers/mark-reflections.ipynb); each mark goes into the gradebook and the pages at once", quiet=quiet)
    for submission in summary["orphan_marks"]:
        say(f"  a mark in {out / gradebook.MARKS} belongs to no submission here (kept, not counted): {submission}",
            quiet=quiet)
