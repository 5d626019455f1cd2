"""Grade a class: inject each student's answers into a pristine copy of the teacher's reference notebook and
run strict nbval on it, in a sandbox, against the outputs the reference stores.

Only the answer cells of a submission are used (found by their ``answer:qN`` tag, else by the reference
answer cell's id; cells split by the student are joined). Check cells, stored outputs, extra cells and
deleted cells of the submission are ignored, so none of them can raise a score. The kernel never sees the
expected outputs: see :mod:`trotsky1940.sandbox`.

``python -m trotsky1940 grade REFERENCE SUBMISSION… --out DIR`` (:mod:`trotsky1940.grade`) writes
``DIR/gradebook.csv`` and ``DIR/feedback/<submission>.md``.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import queue
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import exercises, nbval_tags, paths, sandbox
from .build_exercises import ReferenceError, questions

SANITIZE = """\
[feedback lines: grading compares only the canonical answer line]
regex: (?m)^(Right\\.|Not yet.*|\\(No answer key.*)$
replace: FEEDBACK
"""


class WorkerError(RuntimeError):
    """A grading worker did not answer."""


class Worker:
    """A :mod:`trotsky1940.grading_worker` process inside the sandbox, fed one job at a time."""

    def __init__(self, command: list[str]):
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, start_new_session=True, cwd="/")
        ready = self.proc.stdout.readline()
        if '"ready"' not in ready:
            self.stop()
            raise WorkerError("the grading worker did not start (are the sandbox tools working?)")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def run(self, job: dict) -> dict:
        try:
            self.proc.stdin.write(json.dumps(job) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except (BrokenPipeError, OSError) as exc:
            raise WorkerError(str(exc)) from None
        if not line:
            raise WorkerError(f"it exited with code {self.proc.poll()}")
        return json.loads(line)

    def stop(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        sandbox.kill_group(self.proc)


class GradingError(RuntimeError):
    """The grading run cannot start (e.g. the reference itself fails): no grades are written."""


@dataclass
class Question:
    id: str
    points: int
    kind: str
    hint: str
    answer_cell: int
    check_cell: int | None


@dataclass
class Result:
    """One submission's outcome: a gradebook row and the feedback file's content."""

    submission: str
    status: str
    scores: dict[str, int | str] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)
    reflections: dict[str, str] = field(default_factory=dict)
    graded: bool = False
    seconds: float = 0.0


@dataclass
class Settings:
    cell_timeout: int = 20
    submission_timeout: int = 180
    workers: int = 2
    use_sandbox: bool = True
    limits: sandbox.Limits = field(default_factory=sandbox.Limits)


class Grader:
    """Grades submissions against one reference notebook."""

    def __init__(self, reference: str | Path, settings: Settings | None = None):
        self.settings = settings or Settings()
        self.reference_path = Path(reference).resolve()
        try:
            self.reference = nbformat.read(self.reference_path, as_version=4)
        except (OSError, ValueError) as exc:
            raise GradingError(f"cannot read the reference notebook {reference}: {exc}") from None
        self.name = self.reference_path.stem
        try:
            qs = questions(self.reference, self.name)
        except ReferenceError as exc:
            raise GradingError(f"the reference notebook is not in the exercise format: {exc}") from None
        self.questions = [Question(qid, q["points"], q["kind"], q["hint"], q["answer_cell"], q["check_cell"])
                          for qid, q in qs.items()]
        self.auto = [q for q in self.questions if q.kind == "auto"]
        self.max_points = sum(q.points for q in self.auto)
        self.workdir = Path(tempfile.mkdtemp(prefix="trotsky1940-grading-"))
        os.chmod(self.workdir, 0o711)
        self.caps = sandbox.detect(self.settings.use_sandbox, scratch=self.workdir)
        self.jupyter_path = sandbox.write_kernelspec(self.workdir / "jupyter")
        (self.workdir / "sanitize.cfg").write_text(SANITIZE)
        self.mpl_cache = self.workdir / "matplotlib"
        subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], capture_output=True,
                       env={**os.environ, "MPLCONFIGDIR": str(self.mpl_cache)}, timeout=300)
        for top in (self.workdir / "jupyter", self.mpl_cache):
            top.mkdir(exist_ok=True)
            for sub in [top, *top.rglob("*")]:
                os.chmod(sub, 0o755 if sub.is_dir() else 0o644)
        self.workers: dict[int, Worker] = {}
        self.uids: queue.Queue[int] = queue.Queue()
        for i in range(max(1, self.settings.workers)):
            self.uids.put(sandbox.FIRST_UID + i)

    def worker(self, uid: int) -> Worker:
        """The worker process of a slot (started on first use, restarted if it died)."""
        worker = self.workers.get(uid)
        if worker is None or not worker.alive():
            command = [sys.executable, "-m", "trotsky1940.grading_worker"]
            worker = Worker(sandbox.wrap(command, self.caps, self.hidden_files(), self.workdir))
            self.workers[uid] = worker
        return worker

    def close(self) -> None:
        for worker in self.workers.values():
            worker.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    # -- what the kernel must not see ---------------------------------------------------------------
    def hidden_files(self) -> list[Path]:
        root = paths.repo_root()
        files = {self.reference_path}
        files.update((root / "exercises" / "reference").glob("*.ipynb"))
        files.update((root / "exercises" / "keys").glob("*.json"))
        return sorted(files)

    # -- answers ------------------------------------------------------------------------------------
    def extract_answers(self, submission) -> dict[str, str | None]:
        """The source of each answer cell of a submission: by tag (split cells joined), else by cell id."""
        by_id = {cell.get("id"): cell for cell in submission.cells if cell.get("id")}
        answers: dict[str, str | None] = {}
        for q in self.questions:
            tag = f"{exercises.ANSWER_TAG}{q.id}"
            tagged = [c for c in submission.cells if c.get("cell_type") == "code"
                      and tag in c.get("metadata", {}).get("tags", [])]
            if tagged:
                answers[q.id] = "\n".join(_source(c) for c in tagged)
                continue
            ref_id = self.reference.cells[q.answer_cell].get("id")
            cell = by_id.get(ref_id)
            answers[q.id] = _source(cell) if cell is not None and cell.get("cell_type") == "code" else None
        return answers

    def inject(self, answers: dict[str, str | None]):
        """A pristine copy of the reference with the student's answers in the answer cells."""
        nb = copy.deepcopy(self.reference)
        for q in self.questions:
            text = answers.get(q.id)
            if text is None:
                text = f"answer_{q.id} = ...  # no answer cell found in the submission"
            nb.cells[q.answer_cell].source = text
        return nb

    # -- running ------------------------------------------------------------------------------------
    def run_nbval(self, notebook, label: str) -> tuple[list[dict], str, float]:
        """Run strict nbval on ``notebook`` in the sandbox; return (cell results, problem or '', seconds)."""
        uid = self.uids.get()
        private = Path(tempfile.mkdtemp(prefix="sub-", dir=self.workdir))
        os.chmod(private, 0o700)
        target = private / f"{self.name}.ipynb"
        results = private / "results.jsonl"
        with open(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as fh:
            nbformat.write(notebook, fh)
        args = [
            "-q", "-p", "no:cacheprovider", "-p", "trotsky1940.nbval_tags",
            "--nbval", f"--nbval-kernel-name={sandbox.KERNEL_NAME}",
            f"--nbval-cell-timeout={self.settings.cell_timeout}",
            "--nbval-sanitize-with", str(self.workdir / "sanitize.cfg"),
            f"--t40-results={results}", "--t40-unlink", "--rootdir", str(private), "-c", os.devnull,
            str(target),
        ]
        env = {**os.environ, "JUPYTER_PATH": str(self.jupyter_path), "JUPYTER_PREFER_ENV_PATH": "0",
               "JUPYTER_RUNTIME_DIR": str(private / "runtime"), "TROTSKY1940_DATA": str(paths.data_dir()),
               "TROTSKY1940_NO_KEYS": "1", "PYTHONDONTWRITEBYTECODE": "1",
               "TROTSKY1940_MPL_CACHE": str(self.mpl_cache), **self.settings.limits.env()}
        env.pop("PYTEST_ADDOPTS", None)
        key = secrets.token_hex(32)  # results are signed with it; nbval_tags removes it before the kernel starts
        env[nbval_tags.KEY_ENV] = key
        if self.caps.drop_user:
            env["TROTSKY1940_SANDBOX_UID"] = str(uid)
        start = time.monotonic()
        problem = ""
        try:
            reply = self.worker(uid).run({"args": args, "cwd": str(private), "env": env,
                                          "timeout": self.settings.submission_timeout})
            if reply["timed_out"]:
                problem = f"stopped after the per-submission limit of {self.settings.submission_timeout} s"
            elif reply["exit"] not in (0, 1):  # 1: some cells failed, which is normal
                problem = f"the grading run failed (exit {reply['exit']})"
        except WorkerError as exc:
            problem = f"the grading worker failed: {exc}"
        finally:
            if self.caps.drop_user:
                sandbox.kill_user(uid)
            self.uids.put(uid)
        seconds = time.monotonic() - start
        records = nbval_tags.read_results(results, key) if results.exists() else []
        if os.environ.get("TROTSKY1940_KEEP_RESULTS"):
            shutil.copy(results, Path(os.environ["TROTSKY1940_KEEP_RESULTS"]) / f"{safe_name(label)}.jsonl")
        shutil.rmtree(private, ignore_errors=True)
        if not records and not problem:
            problem = "the grading run produced no results: " + label
        return records, problem, seconds

    def score(self, records: list[dict]) -> tuple[dict[str, int], dict[str, str]]:
        outcome = {}
        for record in records:
            for tag in record.get("tags", []):
                if tag.startswith(exercises.CHECK_TAG):
                    outcome[tag[len(exercises.CHECK_TAG):]] = record
        scores, details = {}, {}
        for q in self.auto:
            record = outcome.get(q.id)
            if record is None:
                scores[q.id], details[q.id] = 0, "not reached"
            elif record["outcome"] == "passed":
                scores[q.id], details[q.id] = q.points, "right"
            else:
                scores[q.id], details[q.id] = 0, "not right"
        return scores, details

    def check_reference(self) -> None:
        """Run the reference itself through the whole pipeline; every check must pass."""
        records, problem, _ = self.run_nbval(self.reference, "reference")
        scores, details = self.score(records)
        failing = [q for q in self.auto if details[q.id] != "right"]
        if problem or failing:
            where = ", ".join(f"{q.id} ({details[q.id]})" for q in failing)
            messages = [r["message"] for r in records if r["outcome"] != "passed" and r["message"]]
            raise GradingError(
                f"the reference notebook {self.reference_path.name} does not pass its own checks"
                + (f": {where}" if where else "") + (f"; {problem}" if problem else "")
                + (f"\nfirst failure:\n{messages[0]}" if messages else "")
                + "\nNo grades were written."
            )

    def grade_file(self, path: Path, label: str) -> Result:
        result = Result(submission=label, status="")
        try:
            raw = path.read_bytes()
        except OSError as exc:
            result.status = f"cannot read the file: {exc.strerror}"
            return result
        notebook, problem = parse_submission(raw)
        if notebook is None:
            result.status = problem
            return result
        answers = self.extract_answers(notebook)
        missing = [q.id for q in self.questions if answers[q.id] is None]
        result.reflections = {q.id: (answers[q.id] or "").strip() for q in self.questions if q.kind == "reflection"}
        records, problem, seconds = self.run_nbval(self.inject(answers), label)
        result.seconds = seconds
        scores, details = self.score(records)
        for qid in missing:
            details[qid] = "no answer cell found"
        result.scores = {**scores, **{q.id: "teacher" for q in self.questions if q.kind == "reflection"}}
        result.details = details
        if problem and not records:
            result.status = problem
            result.scores = {}
            return result
        result.graded = True
        result.status = "graded" + (f" ({problem}; questions not reached score 0)" if problem else "")
        return result

    def grade(self, submissions: Iterable[tuple[Path, str]]) -> list[Result]:
        items = list(submissions)
        with ThreadPoolExecutor(max_workers=max(1, self.settings.workers)) as pool:
            return list(pool.map(lambda pair: self.grade_file(*pair), items))


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def parse_submission(raw: bytes):
    """(notebook, '') or (None, what is wrong) for the bytes of a submitted file."""
    if not raw.strip():
        return None, "empty file"
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, "not a notebook: the file is not UTF-8 text"
    except json.JSONDecodeError as exc:
        return None, f"not a notebook: invalid JSON at line {exc.lineno} (truncated or damaged file?)"
    if not isinstance(data, dict) or "cells" not in data:
        return None, "not a notebook: JSON without a list of cells"
    version = data.get("nbformat")
    if version != 4:
        return None, f"notebook format {version} is not supported (expected 4; re-save it in JupyterLab)"
    try:
        notebook = nbformat.reads(json.dumps(data), as_version=4)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds for damaged notebooks
        return None, f"not a readable notebook: {str(exc)[:200]}"
    if not isinstance(notebook.cells, list):
        return None, "not a notebook: cells is not a list"
    return notebook, ""


def collect_submissions(inputs: Iterable[str | Path]) -> list[tuple[Path, str]]:
    """Files given, and the .ipynb files inside folders given (checkpoints skipped), with their labels."""
    found: list[tuple[Path, str]] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            for file in sorted(path.rglob("*.ipynb")):
                if ".ipynb_checkpoints" in file.parts:
                    continue
                found.append((file, str(file.relative_to(path.parent))))
        else:
            found.append((path, str(path)))
    return found


def safe_name(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("_") or "submission"


def write_outputs(grader: Grader, results: list[Result], out: Path) -> Path:
    """Write gradebook.csv and one feedback file per submission; return the gradebook's path."""
    out.mkdir(parents=True, exist_ok=True)
    feedback_dir = out / "feedback"
    feedback_dir.mkdir(exist_ok=True)
    qids = [q.id for q in grader.questions]
    gradebook = out / "gradebook.csv"
    used: set[str] = set()
    with gradebook.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission", "status", *qids, "total", "max"])
        for r in results:
            total = sum(v for v in r.scores.values() if isinstance(v, int)) if r.graded else ""
            writer.writerow([r.submission, r.status, *[r.scores.get(q, "") for q in qids], total, grader.max_points])
            name = safe_name(r.submission)
            while name in used:
                name += "_"
            used.add(name)
            (feedback_dir / f"{name}.md").write_text(feedback_markdown(grader, r, total), encoding="utf-8")
    return gradebook


def feedback_markdown(grader: Grader, r: Result, total) -> str:
    lines = [f"# Feedback: {r.submission}", "", f"Exercise: {grader.name}", f"Status: {r.status}", ""]
    if not r.graded:
        lines += ["This file could not be graded. Ask your teacher, and hand in the notebook again "
                  "(in JupyterLab: File → Save, then upload the .ipynb file)."]
        return "\n".join(lines) + "\n"
    lines += [f"Score: {total} / {grader.max_points}", "", "| Question | Points | Result |", "|---|---|---|"]
    for q in grader.questions:
        if q.kind == "reflection":
            lines.append(f"| {q.id} | for your teacher | reflection |")
        else:
            lines.append(f"| {q.id} | {r.scores.get(q.id, 0)} / {q.points} | {r.details.get(q.id, '')} |")
    wrong = [q for q in grader.auto if r.details.get(q.id) != "right"]
    if wrong:
        lines += ["", "## Hints for the questions to look at again", ""]
        lines += [f"- **{q.id}**: {q.hint}" for q in wrong]
    for qid, text in r.reflections.items():
        lines += ["", f"## Your answer to {qid} (marked by your teacher)", "", text or "(no answer)"]
    return "\n".join(lines) + "\n"
