"""The pytest plugin that grading loads next to nbval (``-p trotsky1940.grading.nbval_plugin``).

Runs in the nbval sandbox (:mod:`trotsky1940.grading.worker`), never in the student's kernel. It:

- connects nbval to the kernel that the grader started in a sandbox of its own (``--t40-kernel FILE``: the
  connection info, a file whose existence means the grader saw the kernel die, and the receiving caps),
  instead of letting nbval start a kernel as its own child;
- caps everything received from that kernel: each message (ZeroMQ ``MAXMSGSIZE``; larger ones are dropped),
  the queue (receive high-water mark), and per cell the number and total size of output messages kept (what
  is over the cap is dropped and replaced by one line saying so);
- records each cell's tags and outcome (``--t40-results FILE``): one JSON line per cell, signed with the key
  in ``TROTSKY1940_RESULT_KEY`` (removed from the environment at once), keyed on cell tags, never on nbval's
  item names ("Cell N"), which change between releases;
- deletes the collected notebook once collection ends (``--t40-unlink``);
- waits longer than nbval's fixed 5 s for the kernel's answer to the interrupt that ends a cell over its time
  limit (``--t40-output-wait``); other waits keep nbval's 5 s.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from queue import Empty

import pytest

from .records import KEY_ENV, read_results, sign  # noqa: F401 - read_results: the grader's, re-exported

_KEY: dict[str, bytes] = {}
OUTPUT_TYPES = ("stream", "display_data", "execute_result", "error", "update_display_data")


def _message_size(msg: dict) -> int:
    try:
        return len(json.dumps(msg.get("content", {}), default=str))
    except (TypeError, ValueError, RecursionError):
        return 1 << 30


def connected_kernel_class(settings: dict, interrupt_wait: float | None = None):
    """A replacement for nbval's ``RunningKernel`` that connects to the grader's sandboxed kernel."""
    import zmq
    from jupyter_client.blocking import BlockingKernelClient
    from jupyter_client.connect import channel_socket_types
    from nbval.kernel import RunningKernel

    caps = settings.get("caps", {})
    dead_marker = settings.get("dead", "")

    class CappedClient(BlockingKernelClient):
        def _create_connected_socket(self, channel, identity=None):
            # the caps must be set before connect(): ZeroMQ applies them to connections made afterwards
            sock = self.context.socket(channel_socket_types[channel])
            sock.linger = 1000
            if identity:
                sock.identity = identity
            sock.setsockopt(zmq.MAXMSGSIZE, int(caps.get("message_bytes", 4 * 1024**2)))
            sock.setsockopt(zmq.RCVHWM, 1000)
            if channel == "iopub":  # a message over the cap drops the connection: notice it, see get_message
                self.iopub_monitor = sock.get_monitor_socket(zmq.EVENT_DISCONNECTED)
            sock.connect(self._make_url(channel))
            return sock

    class ConnectedKernel(RunningKernel):
        def __init__(self, kernel_name, cwd=None, startup_timeout=60):  # noqa: ARG002 - nbval's signature
            self.kc = CappedClient()
            self.kc.load_connection_info(settings["connection"])
            self.kc.start_channels(stdin=False)
            self._stopped = False
            self._interrupted = False  # the current cell ran out of time and was interrupted
            self._replied: set[str] = set()
            self._lost = False
            self._cell = None
            self._budget = {"count": 0, "bytes": 0, "capped": False}
            deadline = time.monotonic() + float(startup_timeout)
            while True:
                if self._dead():
                    raise RuntimeError("the kernel stopped before it was ready")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the kernel did not start within {startup_timeout} s")
                msg_id = self.kc.kernel_info()
                try:
                    self.await_reply(msg_id, timeout=0.2)
                    break
                except Empty:
                    continue
            self._ensure_iopub_up()

        def _messages_lost(self) -> bool:
            """Whether output of the current cell was lost: its reply came, but the output connection dropped."""
            self._check_iopub()
            return self._lost and self._cell in self._replied

        def _check_iopub(self) -> None:
            """After the output connection dropped, connect a fresh one (ZeroMQ may not bring it back)."""
            monitor = getattr(self.kc, "iopub_monitor", None)
            dropped = False
            while monitor is not None and monitor.poll(0):
                monitor.recv_multipart()
                dropped = True
            if dropped:
                self._lost = True
                channel = self.kc.iopub_channel
                old = channel.socket
                channel.socket = self.kc.connect_iopub()
                try:
                    old.disable_monitor()
                except zmq.ZMQError:
                    pass
                monitor.close(linger=0)
                old.close(linger=0)

        def _dead(self) -> bool:
            return bool(dead_marker) and os.path.exists(dead_marker)

        def execute_cell_input(self, cell_input, allow_stdin=None):
            msg_id = super().execute_cell_input(cell_input, allow_stdin=allow_stdin)
            self._cell = msg_id
            self._interrupted = False
            self._lost = False
            self._budget = {"count": 0, "bytes": 0, "capped": False}
            return msg_id

        def get_message(self, stream, timeout=None):
            if self._interrupted and interrupt_wait and timeout is not None and stream == "iopub":
                # nbval waits 5 s (fixed) for the kernel's answer to the interrupt that ends a cell over its limit,
                # then stops the kernel, and every later cell fails; a kernel on a busy machine, or at its CPU
                # quota, can take longer
                timeout = max(timeout, interrupt_wait)
            deadline = None if timeout is None else time.monotonic() + timeout
            while True:
                if self._stopped or self._dead():
                    raise Empty
                if deadline is not None and time.monotonic() >= deadline:
                    if stream == "iopub" and self._messages_lost():
                        # the kernel broke its output connection (a message over the cap): end the cell here
                        # rather than let nbval give up on every later cell
                        self._lost = False
                        return {"msg_type": "status", "parent_header": {"msg_id": self._cell}, "header": {},
                                "metadata": {}, "content": {"execution_state": "idle"}}
                    raise Empty
                if stream == "iopub":
                    self._check_iopub()
                slice_s = 0.25 if deadline is None else max(0.0, min(0.25, deadline - time.monotonic()))
                try:
                    msg = super().get_message(stream, timeout=slice_s)
                except Empty:
                    continue
                if stream == "shell":
                    self._replied.add(msg.get("parent_header", {}).get("msg_id"))
                if stream != "iopub" or msg.get("msg_type") not in OUTPUT_TYPES:
                    return msg
                if msg.get("parent_header", {}).get("msg_id") != self._cell:
                    continue  # output of no cell we are running: never kept
                budget = self._budget
                budget["count"] += 1
                budget["bytes"] += _message_size(msg)
                if budget["count"] <= int(caps.get("cell_messages", 2000)) and \
                        budget["bytes"] <= int(caps.get("cell_output_bytes", 8 * 1024**2)):
                    return msg
                if not budget["capped"]:
                    budget["capped"] = True
                    return {"msg_type": "stream", "parent_header": msg["parent_header"], "header": {},
                            "metadata": {}, "content": {"name": "stderr",
                                                        "text": "[grader: more output than allowed; dropped]\n"}}

        def is_alive(self):
            return not self._stopped and not self._dead()

        def interrupt(self):
            if self._stopped:
                return
            self._interrupted = True
            msg = self.kc.session.msg("interrupt_request", {})
            self.kc.control_channel.send(msg)

        def restart(self):
            raise RuntimeError("restarting the kernel is not supported while grading")

        def stop(self):
            if self._stopped:
                return
            self._stopped = True
            try:
                self.kc.control_channel.send(self.kc.session.msg("shutdown_request", {"restart": False}))
            finally:
                self.kc.stop_channels()

        @property
        def language(self):
            return "python"

    return ConnectedKernel


def pytest_configure(config):
    # Take the signing key out of the environment at once.
    key = os.environ.pop(KEY_ENV, None)
    if key:
        _KEY["key"] = key.encode()
    target = config.getoption("--t40-kernel")
    if target:
        import nbval.plugin

        settings = json.loads(Path(target).read_text(encoding="utf-8"))
        nbval.plugin.RunningKernel = connected_kernel_class(settings, config.getoption("--t40-output-wait"))


def pytest_addoption(parser):
    group = parser.getgroup("trotsky1940")
    group.addoption("--t40-results", default=None, help="file to append per-cell JSON results to")
    group.addoption("--t40-unlink", action="store_true", help="delete the notebooks once collected")
    group.addoption("--t40-kernel", default=None, help="connect to the sandboxed kernel described in this file")
    group.addoption("--t40-output-wait", type=float, default=None,
                    help="seconds to wait for the kernel's answer after interrupting a cell that ran out of time "
                         "(nbval's own: 5 s)")


def pytest_collection_finish(session):
    if not session.config.getoption("--t40-unlink"):
        return
    for path in {str(item.fspath) for item in session.items}:
        if path.endswith(".ipynb") and os.path.exists(path):
            os.unlink(path)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    target = item.config.getoption("--t40-results")
    cell = getattr(item, "cell", None)
    if not target or cell is None:
        return
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        record = {
            "cell": getattr(item, "cell_num", None),
            "tags": list(cell.get("metadata", {}).get("tags", [])),
            "outcome": report.outcome,
            "when": report.when,  # "setup": the cell never ran (skipped, or the kernel was not there)
            "message": _clip(str(report.longrepr)) if report.failed else "",
        }
        if any(t.startswith("check:") for t in record["tags"]):
            record["printed"] = _first_line(getattr(item, "test_outputs", None))
        line = sign(record, _KEY["key"]) if "key" in _KEY else json.dumps({"record": record, "mac": ""})
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")


def _first_line(outputs) -> str:
    """The first line the cell printed (a check prints its canonical answer there), at most 500 characters."""
    for output in outputs or []:
        if output.get("output_type") == "stream" and output.get("name") == "stdout":
            text = output.get("text", "")
            text = "".join(text) if isinstance(text, list) else str(text)
            return text.splitlines()[0][:500] if text else ""
    return ""


def _clip(text: str, head: int = 400, tail: int = 600) -> str:
    """The start (what went wrong) and the end (where) of a failure report."""
    return text if len(text) <= head + tail else text[:head] + "\n[…]\n" + text[-tail:]
