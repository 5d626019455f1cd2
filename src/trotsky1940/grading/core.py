"""Grade a class: put each student's answers into a pristine copy of the teacher's reference notebook and run
strict nbval on it, against the outputs the reference stores, with the student's code in a sandbox.

Used by ``python -m trotsky1940 grade`` (:mod:`trotsky1940.grading.cli`); runs outside every sandbox and never
runs student code itself. Per submission:

1. :mod:`~trotsky1940.grading.intake` reads the file safely and checks it is a notebook;
2. only its answer cells are used (by their ``answer:qN`` tag, else by the reference answer cell's id; split
   cells are joined), put into a copy of the reference; check cells, stored outputs, extra and deleted cells
   of the submission are ignored, so none of them can raise a score;
3. a kernel starts in a bubblewrap sandbox of its own (:mod:`~trotsky1940.grading.sandbox`), and the slot's
   nbval worker, in another sandbox, runs the injected notebook against it;
4. everything the submission started is ended with its sandbox (and its cgroup, where there is one); the
   signed per-cell records give the score.

The warm pool: each worker slot keeps up to ``Settings.warm_kernels`` kernels started ahead, each in its own
fresh sandbox and cgroup, with the modules the reference imports already imported, and nothing else in them.
While one submission runs, the next ones' kernels start, so a submission pays for running its cells and
comparing them, not for starting a kernel. Each kernel still serves exactly one submission and is destroyed
with its sandbox; kernels are started ahead only while submissions are still to come. What does not depend on
the submission is done once per run: reading the reference and the notebook it injects answers into, the
modules to pre-import, the matplotlib font cache (read-only in every kernel), the sandboxes' file-system view
and, in the nbval worker, pytest, nbval, this plugin and nbformat's schema validator.

Any failure while handling one submission becomes that submission's status; the run goes on.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import itertools
import json
import os
import queue
import re
import secrets
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .. import exercises, paths
from . import intake, report, sandbox, students
from .exercise_format import ExerciseFormatError, questions, stored_text
from .records import KEY_ENV, read_results

SANITIZE = """\
[feedback lines: grading compares only the canonical answer line]
regex: (?m)^(Right\\.|Not yet.*|\\(No answer key.*|\\(Read\\. In this class set.*)$
replace: FEEDBACK
"""


class GradingError(RuntimeError):
    """The grading run cannot start (e.g. the reference itself fails): no grades are written."""


class WorkerError(RuntimeError):
    """A grading worker did not answer."""


@dataclass
class Question:
    id: str
    points: int
    kind: str
    hint: str
    answer_cell: int
    check_cell: int | None
    prompt: str = ""  # the question's first paragraph, for the gradebook's questions.csv and the feedback
    question_cell: int | None = None

    def as_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "points": self.points, "hint": self.hint, "prompt": self.prompt}


@dataclass
class Result:
    """One submission's outcome: a gradebook row and the feedback file's content."""

    submission: str
    status: str
    output_name: str = "submission"
    scores: dict[str, int | str] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)
    reflections: dict[str, str] = field(default_factory=dict)
    graded: bool = False
    seconds: float = 0.0
    diagnostics: dict = field(default_factory=dict)
    kind: str = ""  # graded, not attempted, wrong exercise, not graded
    sha256: str = ""  # of the file as read; a second run keeps an unchanged file's result
    graded_at: str = ""  # ISO 8601, UTC
    identity: students.Identity = field(default_factory=students.Identity)
    answers: dict[str, str | None] = field(default_factory=dict)  # canonical answers, as graded
    shown_right: dict[str, str] = field(default_factory=dict)  # answers the student's notebook showed "Right." for
    fingerprint: str = ""  # of the answer cells as written, spaces folded: finds identical submissions
    kept: bool = False  # taken unchanged from an earlier run
    moved_from: str = ""  # the earlier run knew this same file under this other path

    ENTRY_FIELDS = ("submission", "status", "kind", "graded", "sha256", "graded_at", "scores", "details",
                    "answers", "reflections", "shown_right", "fingerprint")

    def to_entry(self) -> dict:
        """This result as an entry of results.json."""
        entry = {name: getattr(self, name) for name in self.ENTRY_FIELDS}
        entry["identity"] = self.identity.as_dict()
        return entry

    def restore(self, entry: dict) -> None:
        """Take an earlier run's result for the same, unchanged file (who it is from is found anew)."""
        for name in self.ENTRY_FIELDS[1:]:
            value = entry.get(name)
            if value is not None:
                setattr(self, name, value)
        self.kept = True

    @classmethod
    def from_entry(cls, entry: dict) -> Result:
        """A result kept from an earlier run for a file not given this time."""
        result = cls(submission=str(entry.get("submission", "")), status="")
        result.restore(entry)
        who = entry.get("identity") or {}
        result.identity = students.Identity(**{k: str(who.get(k, "")) for k in (
            "name", "student_id", "email", "platform", "platform_id", "name_in_notebook")})
        return result


@dataclass
class Settings:
    cell_timeout: int = 20
    submission_timeout: int = 180
    workers: int = 2
    use_sandbox: bool = True
    max_bytes: int = intake.DEFAULT_MAX_BYTES
    limits: sandbox.Limits = field(default_factory=sandbox.Limits)
    warm_kernels: int = 2  # kernels each worker keeps started ahead (0: each starts when its submission comes)

    def cell_timeout_for(self, reference: bool) -> int:
        """The per-cell time limit for one run: the set one for a submission. The reference (the teacher's own
        notebook, run first, in a cold kernel, while the first kernels of the class start) gets twice that and
        at least 30 s, so that a busy machine does not stop a whole class; a reference that needs even more
        still stops the run, and says so."""
        return max(2 * self.cell_timeout, 30) if reference else self.cell_timeout

    @staticmethod
    def output_wait_for(cell_timeout: int) -> int:
        """How long nbval waits for the kernel's answer to the interrupt that ends a cell over its limit: the
        cell's limit, at least 10 s (nbval's own 5 s stopped kernels on a busy machine, and with them every later
        answer of the submission)."""
        return max(10, cell_timeout)


def _mkdir(path: Path, mode: int, uid: int | None = None) -> Path:
    """A new folder (never an existing one, never through a link), owned by ``uid`` when given."""
    os.mkdir(path, mode)
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        if uid is not None:
            os.fchown(fd, uid, uid)
        os.fchmod(fd, mode)
    finally:
        os.close(fd)
    return path


def _write_new(path: Path, text: str, mode: int = 0o600, uid: int | None = None) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        if uid is not None:
            os.fchown(handle.fileno(), uid, uid)
        os.fchmod(handle.fileno(), mode)
        handle.write(text)


@dataclass
class Prepared:
    """One submission's run made ready ahead (the warm pool): folders, cgroup and a started kernel. It serves
    one submission; :meth:`discard` ends its kernel and removes all of it."""

    n: int
    exchange_host: Path
    job: Path
    dead: Path
    inside_j: str = ""
    kernel: sandbox.SandboxProcess | None = None
    group: sandbox.SubmissionCgroup | None = None

    def discard(self) -> None:
        if self.kernel is not None:
            self.kernel.kill()
            self.kernel = None
        if self.group is not None:
            self.group.kill_all()
            self.group = None
        for folder in (self.job, self.exchange_host):
            shutil.rmtree(folder, ignore_errors=True)
        try:
            self.dead.unlink()
        except FileNotFoundError:
            pass


class Worker:
    """A :mod:`trotsky1940.grading.worker` process inside its nbval sandbox, fed one job at a time."""

    def __init__(self, build):
        self.box = sandbox.SandboxProcess(build, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          stderr=subprocess.DEVNULL, start_new_session=True, cwd="/")
        self.proc = self.box.proc
        self.buffer = b""
        ready = self._readline(120)
        if ready is None or b'"ready"' not in ready:
            self.stop()
            raise WorkerError("the nbval worker did not start in its sandbox")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def _readline(self, timeout: float, monitor=None) -> bytes | None:
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buffer:
            if monitor is not None:
                monitor()
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], min(left, 0.1))
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    return None
                self.buffer += chunk
                if len(self.buffer) > 1 << 20:
                    return None
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line

    def run(self, job: dict, timeout: float, monitor=None) -> dict:
        try:
            self.proc.stdin.write((json.dumps(job) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise WorkerError(str(exc)) from None
        line = self._readline(timeout, monitor)
        if line is None:
            self.stop()
            raise WorkerError("no answer from the nbval worker in time")
        return json.loads(line)

    def stop(self) -> None:
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        self.box.kill()


class Slot:
    """One place where a submission is graded at a time: an nbval worker, its uids and folders."""

    def __init__(self, grader: Grader, index: int):
        self.grader = grader
        self.lease = sandbox.UidLease() if grader.caps.root and grader.caps.sandbox else None
        self.nbval_uid = self.lease.nbval_uid if self.lease else None
        self.kernel_uid = self.lease.kernel_uid if self.lease else None
        self.dir = _mkdir(grader.workdir / f"slot{index}", 0o711)
        self.jobs = _mkdir(self.dir / "jobs", 0o700, self.nbval_uid)
        self.exchange = _mkdir(self.dir / "x", 0o711)
        _write_new(self.jobs / "sanitize.cfg", SANITIZE, 0o644, self.nbval_uid)
        self.worker: Worker | None = None
        self.ready: list[Prepared] = []  # the next submissions' kernels, started ahead (the warm pool)
        self.worker_cpu = 0.0  # the nbval worker's CPU time so far (its own and its jobs')
        self.ready_lock = threading.Lock()
        self.lock = threading.Lock()
        self.xhost = self.exchange

    def get_worker(self) -> Worker:
        with self.lock:
            return self._get_worker()

    def _get_worker(self) -> Worker:
        if self.worker is None or not self.worker.alive():
            g = self.grader
            if g.caps.sandbox:
                self.worker = Worker(lambda fd: g.launcher.worker_command(self.jobs, self.exchange,
                                                                          self.nbval_uid, {}, info_fd=fd))
            else:
                env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
                self.worker = Worker(lambda fd: ([sys.executable, "-m", "trotsky1940.grading.worker"],
                                                 {"env": env}))
        return self.worker

    def close(self) -> None:
        while self.ready:
            ready = self.ready.pop()
            if ready.group is not None:  # started ahead, never needed: its start-up counts too
                self.grader.count_kernel(ready.group.cpu_seconds())
            ready.discard()
        if self.worker is not None:
            self.worker.stop()
        if self.lease is not None:
            self.lease.release()


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
        except ExerciseFormatError as exc:
            raise GradingError(f"the reference notebook is not in the exercise format: {exc}") from None
        self.questions = [Question(qid, q["points"], q["kind"], q["hint"], q["answer_cell"], q["check_cell"],
                                   question_prompt(self.reference.cells[q["question_cell"]]), q["question_cell"])
                          for qid, q in qs.items()]
        self.auto = [q for q in self.questions if q.kind == "auto"]
        self.max_points = sum(q.points for q in self.auto)
        self.title, self.heading = exercise_title(self.reference, self.name)
        self.sha256 = hashlib.sha256(self.reference_path.read_bytes()).hexdigest()
        self.answer_ids = {self.reference.cells[q.answer_cell].get("id") for q in self.questions} - {None}
        self.siblings = sibling_exercises(self.reference_path)
        self.variant = str(self.reference.metadata.get(exercises.META_KEY, {}).get("variant", ""))
        self.option_orders = option_orders(self.reference, [q.question_cell for q in self.questions])
        self.template = skip_unscored(self.reference)  # what every submission's answers are put into
        self.kernel_env = {"TROTSKY1940_DATA": str(paths.data_dir().resolve()), "TROTSKY1940_NO_KEYS": "1",
                           "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1",
                           "TROTSKY1940_PREIMPORT": ",".join(imported_modules(self.template))}
        self._public_orders: dict[str, tuple[str, ...]] | None = None
        self._closing = False
        self._remaining = 0  # submissions not yet started: a slot starts its next kernel only while some wait
        self._warming = 0  # slots whose first kernel is still being started (they count as waiting kernels)
        self._expected = False
        self.cpu = {"kernels_s": 0.0, "kernels": 0}  # CPU of every kernel this run started (cgroups only)
        self.previous: dict[str, dict] = {}  # submission -> its entry in an earlier run's results.json
        self.previous_by_sha: dict[str, list[dict]] = {}
        self.given: set[str] = set()  # the submissions of this run
        self.claimed: set[str] = set()  # earlier submissions whose file is given again under another name
        self.run_id = f"{os.getpid()}-{secrets.token_hex(4)}"
        sandbox.become_subreaper()
        try:
            self.caps = sandbox.detect(self.settings.use_sandbox, self.run_id)
        except sandbox.SandboxUnavailable as exc:
            raise GradingError(f"cannot grade untrusted code safely here: {exc}") from None
        self.workdir = Path(tempfile.mkdtemp(prefix="trotsky1940-grading-"))
        os.chmod(self.workdir, 0o711)
        self.mpl_cache = self.workdir / "matplotlib"
        self._font_cache = subprocess.Popen(  # built once, in the background, for every kernel to copy
            [sys.executable, "-c", "import matplotlib.font_manager"], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env={**os.environ, "MPLCONFIGDIR": str(self.mpl_cache)})
        self.counter = itertools.count(1)
        self._lock = threading.Lock()
        self._abort = threading.Event()
        self.slots: queue.Queue[Slot] = queue.Queue()
        self._slots: list[Slot] = [Slot(self, i) for i in range(max(1, self.settings.workers))]
        self.launcher = None
        if self.caps.sandbox:
            try:
                self.launcher = sandbox.Launcher(self.caps, self.settings.limits, self.workdir,
                                                 [slot.exchange for slot in self._slots])
            except sandbox.SandboxUnavailable as exc:
                self.close()
                raise GradingError(f"cannot grade untrusted code safely here: {exc}") from None
        for slot in self._slots:
            slot.xhost = self.launcher.host_path(slot.exchange) if self.launcher else slot.exchange
            self.slots.put(slot)
        self.pool = ThreadPoolExecutor(max_workers=max(1, self.settings.workers))
        self._warm: list = []  # the slots' first kernels: started with the reference check, when one is needed
        self.reference_future = None  # the reference check, once started (None: no submission needed a kernel)
        self.reference_on_demand = False  # run the reference check when a submission first needs a kernel
        self._on_demand_lock = threading.Lock()

    def _start_kernels(self) -> None:
        """Start each slot's nbval worker and first kernel (once; called under ``self._lock``)."""
        if self._warm or self._closing:
            return
        self._warming = len(self._slots) if self.settings.warm_kernels > 0 else 0
        self._warm = [self.pool.submit(self._warm_slot, slot) for slot in self._slots]

    def _warm_slot(self, slot: Slot) -> None:
        """Start a slot's nbval worker and its first kernel (the reference check or a submission takes it)."""
        with slot.ready_lock:
            try:
                slot.get_worker()
                if not slot.ready and not self._closing and self.settings.warm_kernels > 0:
                    slot.ready.append(self._prepare(slot))
            finally:  # under the slot's lock: its kernel never counts twice, as ready and as warming
                if self.settings.warm_kernels > 0:
                    with self._lock:
                        self._warming -= 1

    def _font_cache_ready(self) -> None:
        if self._font_cache is None:
            return
        try:
            self._font_cache.wait(timeout=300)
        except subprocess.TimeoutExpired:
            self._font_cache.kill()
        self._font_cache = None
        self.mpl_cache.mkdir(exist_ok=True)
        for sub in [self.mpl_cache, *self.mpl_cache.rglob("*")]:
            os.chmod(sub, 0o755 if sub.is_dir() else 0o644)

    def close(self) -> None:
        self._closing = True
        if getattr(self, "_font_cache", None) is not None:
            self._font_cache.kill()
            self._font_cache.wait()
        if getattr(self, "pool", None) is not None:
            self.pool.shutdown(wait=True)
        for slot in self._slots:
            slot.close()
        if getattr(self, "launcher", None) is not None:
            self.launcher.close()
        if self.caps.cgroups is not None:
            self.caps.cgroups.close()
        sandbox.reap_orphans()
        shutil.rmtree(self.workdir, ignore_errors=True)

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
        """A pristine copy of the reference with the student's answers in the answer cells. Cells whose output
        nbval ignores and that belong to no question (charts) are skipped: they can change no score."""
        nb = copy.deepcopy(self.template)
        for q in self.questions:
            text = answers.get(q.id)
            if text is None:
                text = f"answer_{q.id} = ...  # no answer cell found in the submission"
            nb.cells[q.answer_cell].source = text
        return nb

    # -- running ------------------------------------------------------------------------------------
    def run_nbval(self, notebook, label: str) -> tuple[list[dict], str, dict]:
        """Run strict nbval on ``notebook`` with its kernel sandboxed; return (cell records, problem, info)."""
        slot = self.slots.get()
        try:
            return self._run_in_slot(slot, notebook, label)
        finally:
            self.slots.put(slot)

    def _prepare(self, slot: Slot) -> Prepared:
        """Everything one submission's run needs before its notebook is known: its folders, its connection
        file, its cgroup and its kernel, started in a fresh sandbox (it imports and waits meanwhile)."""
        with self._lock:
            self._font_cache_ready()
        n = next(self.counter)
        limits = self.settings.limits
        exchange = slot.exchange / str(n)  # as the sandboxes see it
        exchange_host = _mkdir(slot.xhost / str(n), 0o711, slot.kernel_uid)  # as the grader reaches it
        job = _mkdir(slot.jobs / str(n), 0o700, slot.nbval_uid)
        ready = Prepared(n=n, exchange_host=exchange_host, job=job, dead=slot.xhost / f"{n}.dead")
        sandboxed = self.caps.sandbox
        inside_x = f"{sandbox.KERNEL_ROOT}/{n}" if sandboxed else str(exchange)
        ready.inside_j = f"{sandbox.JOBS_ROOT}/{n}" if sandboxed else str(job)
        connection = {"transport": "ipc", "ip": f"{inside_x}/k", "shell_port": 1, "iopub_port": 2,
                      "stdin_port": 3, "control_port": 4, "hb_port": 5, "key": secrets.token_hex(32),
                      "signature_scheme": "hmac-sha256", "kernel_name": ""}
        _write_new(exchange_host / "kernel.json", json.dumps(connection), 0o600, slot.kernel_uid)
        settings = {"connection": connection, "caps": limits.receive_caps(),
                    "dead": f"{sandbox.KERNEL_ROOT}/{n}.dead" if sandboxed else str(ready.dead)}
        _write_new(job / "kernel-info.json", json.dumps(settings), 0o600, slot.nbval_uid)
        kernel_env = {**self.kernel_env, "TROTSKY1940_MPL_CACHE": sandbox.MPL_ROOT if sandboxed else
                      str(self.mpl_cache)}
        try:
            if sandboxed:
                if self.caps.cgroups is not None:
                    ready.group = self.caps.cgroups.submission(f"s{n}", limits)
                procs = ready.group.procs_files() if ready.group else None

                def build(fd):
                    return self.launcher.kernel_command(exchange, f"{inside_x}/kernel.json", slot.kernel_uid,
                                                        kernel_env, procs=procs, mpl_cache=self.mpl_cache,
                                                        info_fd=fd)
            else:
                env = {**os.environ, **kernel_env, **limits.kernel_env(), "HOME": str(exchange)}

                def build(fd):
                    return [sys.executable, "-m", "trotsky1940.grading.kernel", "-f",
                            str(exchange / "kernel.json")], {"env": env}
            ready.kernel = sandbox.SandboxProcess(build, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                                  stderr=subprocess.DEVNULL, start_new_session=True, cwd="/")
        except BaseException:
            ready.discard()
            raise
        return ready

    def _take_prepared(self, slot: Slot) -> Prepared:
        """The slot's waiting kernel (the warm pool), or a new one when none waits or it has stopped."""
        with slot.ready_lock:
            ready = slot.ready.pop(0) if slot.ready else None
        if ready is not None and ready.kernel is not None and ready.kernel.poll() is None:
            return ready
        if ready is not None:
            ready.discard()
        return self._prepare(slot)

    def _prepare_next(self, slot: Slot) -> None:
        """Start the slot's next kernel while the current submission runs, when more work may come."""
        with slot.ready_lock:
            while len(slot.ready) < self.settings.warm_kernels and not self._closing and not self._abort.is_set():
                with self._lock:
                    # a slot still starting its first kernel counts: without it, a submission run that began
                    # first started a kernel that nothing would use (one class of one: three kernels)
                    waiting = sum(len(other.ready) for other in self._slots) + self._warming
                    if self._remaining <= waiting:  # enough kernels wait for the submissions still to come
                        return
                try:
                    slot.ready.append(self._prepare(slot))
                except Exception:  # noqa: BLE001 - the next run prepares its own, and reports what fails then
                    return

    def _run_in_slot(self, slot: Slot, notebook, label: str) -> tuple[list[dict], str, dict]:
        """Run one submission with the slot's waiting kernel. A kernel that stops before the first cell of the
        notebook ran (so before any student code did) is replaced once by a fresh one."""
        start = time.monotonic()
        records, problem, info = self._run_once(slot, notebook, label, fresh=False)
        if info.get("kernel_stopped") is not None and not any(r.get("when") == "call" for r in records):
            records, problem, info = self._run_once(slot, notebook, label, fresh=True)
            info["retried"] = "the first kernel stopped before the notebook's first cell: graded in a fresh one"
        info["seconds"] = round(time.monotonic() - start, 3)
        return records, problem, info

    def _run_once(self, slot: Slot, notebook, label: str, fresh: bool) -> tuple[list[dict], str, dict]:
        limits = self.settings.limits
        info: dict = {}
        problem = ""
        start = time.monotonic()
        try:
            ready = self._prepare(slot) if fresh else self._take_prepared(slot)
        except (OSError, subprocess.SubprocessError) as exc:
            return [], f"the grading run failed: the kernel could not be started ({exc})", {"seconds": 0.0}
        waited = round(time.monotonic() - start, 3)
        job, kernel, group, dead, inside_j = ready.job, ready.kernel, ready.group, ready.dead, ready.inside_j
        _write_new(job / f"{self.name}.ipynb", nbformat.writes(notebook), 0o600, slot.nbval_uid)
        key = secrets.token_hex(32)  # the records are signed with it
        jobs_root = sandbox.JOBS_ROOT if self.caps.sandbox else str(slot.jobs)
        cell_timeout = self.settings.cell_timeout_for(reference=notebook is self.reference)
        args = [f"--nbval-cell-timeout={cell_timeout}", "--nbval-kernel-startup-timeout=60",
                f"--t40-output-wait={self.settings.output_wait_for(cell_timeout)}",
                "--nbval", "--nbval-sanitize-with", f"{jobs_root}/sanitize.cfg",
                f"--t40-results={inside_j}/results.jsonl", "--t40-unlink", f"--t40-kernel={inside_j}/kernel-info.json",
                "--rootdir", inside_j, "-c", os.devnull, f"{inside_j}/{self.name}.ipynb"]
        try:
            try:
                state = {"cpu": False, "next": False, "stopped": None}

                def monitor() -> None:
                    if not state["next"]:  # the job is with nbval now: the slot's next kernel starts meanwhile
                        state["next"] = True
                        self._prepare_next(slot)
                    if group is not None and group.cpu_seconds() > limits.cpu_seconds:
                        state["cpu"] = True
                        kernel.kill()
                    if kernel.poll() is not None and not dead.exists():
                        state["stopped"] = kernel.poll()
                        dead.touch(mode=0o644)

                reply = slot.get_worker().run(
                    {"args": args, "cwd": inside_j, "timeout": self.settings.submission_timeout,
                     "memory": limits.nbval_memory_bytes, "env": {KEY_ENV: key}},
                    timeout=self.settings.submission_timeout + 30, monitor=monitor)
                slot.worker_cpu = float(reply.get("worker_cpu_s", 0.0))
                info = {"receiver_maxrss_kb": reply.get("maxrss_kb", 0), "nbval_exit": reply["exit"],
                        "nbval_cpu_s": reply.get("cpu_s", 0.0), "nbval_s": reply.get("seconds", 0.0),
                        "kernel_wait_s": waited}
                if state["stopped"] is not None and not state["cpu"]:
                    info["kernel_stopped"] = state["stopped"]
                if reply["timed_out"]:
                    problem = f"stopped after the per-submission limit of {self.settings.submission_timeout} s"
                elif state["cpu"]:
                    problem = f"stopped after {limits.cpu_seconds} s of CPU time (the per-submission limit)"
                elif reply["exit"] not in (0, 1):  # 1: some cells failed, which is normal
                    problem = f"the grading run failed (exit {reply['exit']})"
            finally:
                kernel.kill()
                if group is not None:
                    info["kernel_cpu_s"] = round(group.cpu_seconds(), 2)
                    group.kill_all()
                    ready.group = group = None
                    self.count_kernel(info["kernel_cpu_s"])
        except WorkerError as exc:
            problem = f"the grading worker failed: {exc}"
        finally:
            if group is not None:
                group.kill_all()
                ready.group = None
        info["seconds"] = round(time.monotonic() - start, 3)
        records = read_results(job / "results.jsonl", key)
        if os.environ.get("TROTSKY1940_KEEP_RESULTS"):
            keep = Path(os.environ["TROTSKY1940_KEEP_RESULTS"]) / f"{report.output_name(label, label.encode())}.jsonl"
            keep.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
        ready.discard()
        if not records and not problem:
            problem = "the grading run produced no results"
        return records, problem, info

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
        self.reference_verdict(self.start_reference_check())

    def start_reference_check(self):
        """Start grading the reference itself (in the pool, alongside the first submissions), and the kernels;
        once: later calls return the same future. If it fails, the submissions not yet started are not graded at
        all. A run in which every file keeps its earlier result (:meth:`needs_kernel`) never calls this: it runs
        no code at all, and a submission that turns out to need a kernel after all runs the check itself first
        (:meth:`_reference_checked_on_demand`)."""
        with self._lock:
            if self.reference_future is not None:
                return self.reference_future
            self._start_kernels()
            future = self.reference_future = self.pool.submit(self.run_nbval, self.reference, "reference")

        def verdict(done) -> None:
            try:
                self.reference_verdict(done)
            except Exception:  # noqa: BLE001 - reported by reference_verdict() to the caller
                self._abort.set()

        future.add_done_callback(verdict)
        return future

    def reference_verdict(self, future) -> None:
        """Raise GradingError unless the reference passed every one of its own checks."""
        records, problem, _ = future.result()
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

    def grade_item(self, item: intake.Item) -> Result:
        """One submission's result; never raises (an unexpected failure becomes its status)."""
        result = Result(submission=item.label, status="", output_name=item.output_name)
        try:
            self._grade_item(item, result)
        except Exception as exc:  # noqa: BLE001 - one file must never stop the class's run
            result.graded, result.scores = False, {}
            where = traceback.extract_tb(exc.__traceback__)[-1]
            result.status = (f"could not be graded: internal error {type(exc).__name__}: {exc} "
                             f"({Path(where.filename).name}:{where.lineno})")
        result.status = report.clean_line(result.status)
        return result

    def _grade_item(self, item: intake.Item, result: Result) -> None:
        result.kind = "not graded"
        found = item.identity
        result.identity = students.Identity(name=found.name, student_id=found.student_id, platform=found.platform,
                                            platform_id=found.student_id) if found is not None else students.Identity()
        if found is not None and found.late:
            result.identity.notes.append(f"handed in late ({found.platform} marks the file LATE)")
        if self._abort.is_set():
            result.status = "not graded: the reference notebook failed its own checks"
            return
        if item.path is None or item.archive:
            result.status = item.status
            return
        try:
            raw = intake.read_capped(item.path, self.settings.max_bytes)
            result.sha256 = hashlib.sha256(raw).hexdigest()
            notebook = intake.parse(raw)
        except intake.NotANotebook as exc:
            result.status = str(exc)
            return
        result.identity.name_in_notebook = students.name_from_notebook(notebook)
        if not result.identity.name:
            result.identity.name = result.identity.name_in_notebook
        earlier = self.previous.get(item.label)
        if earlier is None:
            earlier = self._moved(result)
        if earlier is not None and earlier.get("sha256") == result.sha256 and earlier.get("kind") in KEPT:
            result.restore(earlier)  # unchanged since it was graded: kept, with the time it was graded
            if earlier["submission"] != result.submission:
                result.moved_from = earlier["submission"]
            return
        other = self.which_exercise(notebook)
        if other and other != self.name:
            title = self.siblings.get(other, (other, set()))[0]
            result.kind = "wrong exercise"
            result.status = (f"wrong exercise: this is {title} ({other}), not {self.title} ({self.name}); "
                             f"grade it against exercises/reference/{other}.ipynb")
            result.graded_at = now()
            return
        made_for = self.which_variant(notebook)
        if made_for is not None and made_for != self.variant:
            result.kind, result.graded_at = "wrong variant", now()
            where = {"": f"the public exercises/reference/{self.name}.ipynb",
                     UNKNOWN_VARIANT: "the reference of the class variant it was made for"}.get(
                made_for, f"the reference of variant {made_for} (by default private/{made_for}/exercises/reference/"
                          f"{self.name}.ipynb)")
            result.status = (f"wrong variant: this notebook was made for {variant_label(made_for)}, not for "
                             f"{variant_label(self.variant)}; grade it against {where}")
            return
        answers = self.extract_answers(notebook)
        result.shown_right = self.shown_right(notebook)
        if all(answers[q.id] is None or is_placeholder(q.id, answers[q.id]) for q in self.questions):
            result.kind, result.graded_at = "not attempted", now()
            result.status = "not attempted: no answer was changed"
            return
        result.fingerprint = fingerprint(answers, self.questions)
        missing = [q.id for q in self.questions if answers[q.id] is None]
        result.reflections = {q.id: "" if is_placeholder(q.id, answers[q.id]) else reflection_text(q.id, answers[q.id])
                              for q in self.questions if q.kind == "reflection"}
        if self.reference_on_demand and not self._reference_checked_on_demand():
            result.status = "not graded: the reference notebook failed its own checks"
            return
        records, problem, info = self.run_nbval(self.inject(answers), item.label)
        result.seconds = info.get("seconds", 0.0)
        result.diagnostics = info
        scores, details = self.score(records)
        for qid in missing:
            details[qid] = "no answer cell found"
        result.scores = scores
        result.details = details
        result.answers = graded_answers(records)
        if problem and not records:
            result.status = problem
            result.scores = {}
            return
        result.graded, result.kind, result.graded_at = True, "graded", now()
        notes = [n for n in (item.note, problem and f"{problem}; questions not reached score 0") if n]
        result.status = "graded" + (f" ({'; '.join(notes)})" if notes else "")

    def keep_from(self, entries: list[dict]) -> None:
        """Results of an earlier run into the same folder: an unchanged file keeps its result (and marks)."""
        self.previous = {e["submission"]: e for e in entries}
        self.previous_by_sha = {}
        for entry in entries:
            if entry.get("sha256"):
                self.previous_by_sha.setdefault(entry["sha256"], []).append(entry)

    def _reference_checked_on_demand(self) -> bool:
        """For a run whose first look found nothing to run but whose submission needs a kernel after all: run
        the reference check now, in this thread, before any student code (once; other submissions wait for it,
        holding no slot); return whether it passed. The pool has queued every submission already, so a check
        submitted to it would run last."""
        with self._on_demand_lock:
            if self.reference_future is None:
                future: Future = Future()
                try:
                    future.set_result(self.run_nbval(self.reference, "reference"))
                except Exception as exc:  # noqa: BLE001 - reported by reference_verdict() to the caller
                    future.set_exception(exc)
                self.reference_future = future
                try:
                    self.reference_verdict(future)
                except Exception:  # noqa: BLE001 - the caller's reference_verdict() reports it
                    self._abort.set()
        return not self._abort.is_set()

    def needs_kernel(self, item: intake.Item) -> bool:
        """Whether grading ``item`` may run code: False for what is not a readable notebook file and for a file
        byte for byte one that an earlier run into the same folder graded (it keeps that result, under its name
        or under another). A first look, before the run: it reads the file but claims nothing."""
        if item.path is None or item.archive:
            return False
        try:
            sha = hashlib.sha256(intake.read_capped(item.path, self.settings.max_bytes)).hexdigest()
        except intake.NotANotebook:
            return False
        except OSError:  # a read error: grading it will say what happened, in its row
            return True
        earlier = [self.previous.get(item.label), *self.previous_by_sha.get(sha, [])]
        return not any(e is not None and e.get("sha256") == sha and e.get("kind") in KEPT for e in earlier)

    def _moved(self, result: Result) -> dict | None:
        """The earlier result of the same file from the same student, given this time under another path
        (a zip downloaded again under another name, a folder moved); None when there is none."""
        with self._lock:
            for entry in self.previous_by_sha.get(result.sha256, []):
                label = entry["submission"]
                if label in self.given or label in self.claimed:
                    continue
                if same_person(entry.get("identity") or {}, result.identity, label, result.submission):
                    self.claimed.add(label)
                    return entry
        return None

    def which_exercise(self, notebook) -> str:
        """The exercise a notebook was made from: its metadata, else the answer cells it shares (by cell id)
        with this reference or another one beside it; '' when nothing tells."""
        source = str(notebook.metadata.get(exercises.META_KEY, {}).get("generated_from", ""))
        if source.startswith("exercises/reference/") and source.endswith(".ipynb"):
            return Path(source).stem
        ids = {c.get("id") for c in notebook.cells if c.get("id")}
        counts = {name: len(ids & answer_ids) for name, (_, answer_ids) in self.siblings.items()}
        counts[self.name] = len(ids & self.answer_ids)
        best = max(counts, key=lambda name: (counts[name], name == self.name))
        return best if counts[best] else ""

    def which_variant(self, notebook) -> str | None:
        """The class variant a notebook was made for ('' for the public set): its metadata, else whether its
        multiple-choice questions list their options in this reference's order; None when nothing tells."""
        meta = notebook.metadata.get(exercises.META_KEY, {})
        if isinstance(meta, dict) and "generated_from" in meta:
            return str(meta.get("variant", ""))
        theirs = option_orders(notebook, None)
        same = self.matches(theirs, self.option_orders)
        if same is None:
            return None
        if same:
            return self.variant
        public = paths.repo_root() / "exercises" / "reference" / f"{self.name}.ipynb"
        if self.variant and public.exists():
            with self._lock:  # read once per run
                if self._public_orders is None:
                    reference = nbformat.read(public, as_version=4)
                    indices = [i for i, c in enumerate(reference.cells)
                               if "question" in c.get("metadata", {}).get("tags", [])]
                    self._public_orders = option_orders(reference, indices)
            if self.matches(theirs, self._public_orders):
                return ""
        return UNKNOWN_VARIANT

    @staticmethod
    def matches(theirs: dict, ours: dict) -> bool | None:
        """Whether a notebook lists the options of most multiple-choice questions (matched by cell id) in
        ``ours``'s order; None when no question can be compared."""
        compared = [cid for cid in ours if cid in theirs and sorted(theirs[cid]) == sorted(ours[cid])]
        if not compared:
            return None
        moved = sum(theirs[cid] != ours[cid] for cid in compared)
        return moved * 2 <= len(compared)

    def shown_right(self, notebook) -> dict[str, str]:
        """The answers whose check the student's own notebook shows as "Right." (from its saved outputs)."""
        by_id = {cell.get("id"): cell for cell in notebook.cells if cell.get("id")}
        shown: dict[str, str] = {}
        for q in self.auto:
            tag = f"{exercises.CHECK_TAG}{q.id}"
            cells = [c for c in notebook.cells if tag in c.get("metadata", {}).get("tags", [])]
            if not cells and q.check_cell is not None:
                cell = by_id.get(self.reference.cells[q.check_cell].get("id"))
                cells = [cell] if cell is not None else []
            text = stored_text(cells[0]) if cells else ""
            parsed = exercises.parse_check_output(text)
            if parsed and parsed[0] == q.id and "\nRight." in text:
                shown[q.id] = parsed[1]
        return shown

    def count_kernel(self, seconds: float) -> None:
        with self._lock:
            self.cpu["kernels_s"] += seconds
            self.cpu["kernels"] += 1

    def cpu_totals(self) -> dict:
        """CPU time used so far: the grader process, what it ran itself (intake, sandbox set-up), every kernel
        sandbox (where cgroups measure them) and the nbval workers. For the benchmark and run.json."""
        import resource

        own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
        return {"grader_s": round(own.ru_utime + own.ru_stime, 2),
                "grader_children_s": round(children.ru_utime + children.ru_stime, 2),
                "kernels_s": round(self.cpu["kernels_s"], 2), "kernels": self.cpu["kernels"],
                "kernels_measured": self.caps.cgroups is not None,
                "nbval_workers_s": round(sum(slot.worker_cpu for slot in self._slots), 2)}

    def expect(self, count: int) -> None:
        """Say how many submissions are coming (before the reference check starts), so that the warm pool
        starts kernels ahead only for work that will come."""
        with self._lock:
            self._remaining += count
            self._expected = True

    def grade(self, items: Iterable[intake.Item], on_start=None, on_done=None) -> list[Result]:
        """Grade every item (in the pool); ``on_start(item)`` and ``on_done(result)`` are called as each one
        begins and ends (from the pool's threads), for progress reports. Results come back in item order."""
        def one(item: intake.Item) -> Result:
            with self._lock:
                self._remaining -= 1
            if on_start is not None:
                on_start(item)
            result = self.grade_item(item)
            if on_done is not None:
                on_done(result)
            return result

        items = list(items)
        self.given = {item.label for item in items}
        if not self._expected:
            self.expect(len(items))
        if not self.reference_on_demand:
            with self._lock:
                self._start_kernels()
        return list(self.pool.map(one, items))


def skip_unscored(reference):
    """A copy of the reference in which the cells whose output nbval ignores and that belong to no question
    (charts) are skipped: they can change no score. Made once per run."""
    nb = copy.deepcopy(reference)
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.get("cell_type") == "code" and "nbval-ignore-output" in tags and not any(
                t.startswith((exercises.ANSWER_TAG, exercises.CHECK_TAG)) for t in tags):
            cell.metadata["tags"] = [*tags, "nbval-skip"]
    return nb


def imported_modules(notebook) -> list[str]:
    """The modules the code cells that grading runs import (read with :mod:`ast`, never run), for the warm
    kernels to import before their submission comes; ``from a import b`` names ``a`` and ``a.b``."""
    found: dict[str, None] = {}
    for cell in notebook.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.get("cell_type") != "code" or "nbval-skip" in tags:
            continue
        try:
            tree = ast.parse(_source(cell))
        except (SyntaxError, ValueError, RecursionError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(dict.fromkeys(alias.name for alias in node.names))
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found[node.module] = None
                found.update(dict.fromkeys(f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*"))
    return [name for name in found if re.fullmatch(r"[A-Za-z_][\w.]*", name)]


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)



KEPT = ("graded", "not attempted", "wrong exercise", "wrong variant")


UNKNOWN_VARIANT = "another class variant"


def variant_label(variant: str) -> str:
    return "the public exercises" if not variant else (variant if variant == UNKNOWN_VARIANT else
                                                         f"class variant {variant}")


def option_orders(notebook, indices: list[int] | None) -> dict[str, tuple[str, ...]]:
    """{cell id: the option texts in letter order} of the question cells (``indices``, or every Markdown cell)
    that list options ``- **A** …``."""
    from ..authoring.variants import options

    found = {}
    cells = notebook.cells if indices is None else [notebook.cells[i] for i in indices]
    for cell in cells:
        if cell.get("cell_type") != "markdown" or not cell.get("id"):
            continue
        parts = options(_source(cell))
        if parts:
            found[cell["id"]] = tuple(" ".join(line.split("**", 2)[-1].split()) if n == 0 else " ".join(line.split())
                                      for letter in sorted(parts[1]) for n, line in enumerate(parts[1][letter]))
    return found


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


PLACEHOLDERS = re.compile(r'^answer_(\w+)\s*=\s*(?:\.\.\.|"\.\.\."|\'\.\.\.\'|"""\s*Write your answer here\.\s*""")'
                          r'\s*(?:#.*)?$', re.DOTALL)


def is_placeholder(qid: str, text: str | None) -> bool:
    """True when an answer cell still holds what the student notebook was handed out with."""
    if text is None:
        return True
    match = PLACEHOLDERS.match(text.strip())
    return bool(match) and match.group(1) == qid


def fingerprint(answers: dict[str, str | None], questions: list[Question]) -> str:
    """A digest of the answer cells as written (spaces folded, comments kept): equal for identical hand-ins."""
    folded = [" ".join((answers.get(q.id) or "").split()) for q in questions]
    return hashlib.sha256(json.dumps(folded).encode("utf-8")).hexdigest()


def graded_answers(records: list[dict]) -> dict[str, str | None]:
    """Each question's answer in canonical form, as the graded run's check cell printed it."""
    answers: dict[str, str | None] = {}
    for record in records:
        for tag in record.get("tags", []):
            if tag.startswith(exercises.CHECK_TAG):
                qid = tag[len(exercises.CHECK_TAG):]
                parsed = exercises.parse_check_output(record.get("printed", ""))
                answers[qid] = parsed[1] if parsed and parsed[0] == qid else None
    return answers


def exercise_title(notebook, fallback: str) -> tuple[str, str]:
    """(short title, heading) from a notebook's first heading: ('Exercises 1', 'Exercises 1: Background …')."""
    for cell in notebook.cells:
        if cell.get("cell_type") == "markdown":
            for line in _source(cell).splitlines():
                if line.startswith("# "):
                    heading = report.clean_line(line[2:].strip(), limit=200)
                    return heading.split(":")[0].strip() or fallback, heading
    return fallback, fallback


def sibling_exercises(reference_path: Path) -> dict[str, tuple[str, set[str]]]:
    """The other reference notebooks beside this one: {name: (short title, ids of its answer cells)}."""
    found: dict[str, tuple[str, set[str]]] = {}
    for path in sorted(reference_path.parent.glob("*.ipynb")):
        if path.resolve() == reference_path:
            continue
        try:
            nb = nbformat.read(path, as_version=4)
            qs = questions(nb, path.stem)
        except (OSError, ValueError, ExerciseFormatError):
            continue
        ids = {nb.cells[q["answer_cell"]].get("id") for q in qs.values()} - {None}
        found[path.stem] = (exercise_title(nb, path.stem)[0], ids)
    return found


def question_prompt(cell) -> str:
    """The first paragraph under a question cell's heading, as one line."""
    for paragraph in _source(cell).split("\n\n"):
        if paragraph.strip() and not paragraph.lstrip().startswith("#"):
            return report.clean_line(paragraph, limit=300)
    return ""


def reflection_text(qid: str, source: str | None) -> str:
    """What a student wrote for a reflection: the text of ``answer_qN = \"\"\"…\"\"\"`` when the cell is just
    that assignment (read with :mod:`ast`, never run), else the cell's source as it stands."""
    text = (source or "").strip()
    if len(text) > 200_000:
        return text
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return text
    if len(tree.body) == 1 and isinstance(tree.body[0], ast.Assign) and len(tree.body[0].targets) == 1:
        target, value = tree.body[0].targets[0], tree.body[0].value
        if isinstance(target, ast.Name) and target.id == f"answer_{qid}" and isinstance(value, ast.Constant) \
                and isinstance(value.value, str):
            return value.value.strip()
    return text


def same_person(earlier: dict, now: students.Identity, earlier_label: str, label: str) -> bool:
    """Whether an earlier result and this one are from the same student, as far as the file names tell: the
    platform's id where both have one, else the name, else the file's own name."""
    if earlier.get("platform_id") and now.platform_id:
        return earlier.get("platform") == now.platform and earlier["platform_id"] == now.platform_id
    before = earlier.get("name_in_notebook") or earlier.get("name") or ""
    after = now.name_in_notebook or now.name
    if before and after:
        return students.fold(before) == students.fold(after)
    return Path(earlier_label).name == Path(label).name
