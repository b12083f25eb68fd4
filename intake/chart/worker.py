"""Renders run in a child process, so that one that runs away can be stopped.

Why a process: WeasyPrint lays out in Python and C with no point at which it could be asked
to stop. A thread cannot be killed, and SIGALRM works only in the main thread and would fire
in the middle of whatever else the worker is doing. A child process can be killed outright,
and takes none of the web worker's locks, database connections or memory with it.

Each web worker (or CLI run) starts one render process on first use and keeps it: the
stylesheet and the font configuration stay loaded there (see intake.chart.pdf), so the
isolation costs a pipe round trip per render, not a start-up. A render that runs past its
time limit is killed; the next render starts a fresh process. The web worker itself never
imports WeasyPrint.

The child is the process that handles patient text with C libraries (Pango, HarfBuzz,
FreeType), so it is trusted less: it gets no secrets in its environment, and its replies are
JSON and raw bytes, never pickles the web worker would have to unpickle. (It still runs as
the same user; this is defence in depth, not a sandbox.)
"""

import atexit
import gc
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path

from intake.chart.job import RenderJob, RenderResult

logger = logging.getLogger(__name__)

# What the render process may see of the environment: enough to find Python, the fonts and
# their cache; not the database URL or the secret key.
_CHILD_ENVIRONMENT = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "LD_LIBRARY_PATH")
_CHILD_ENVIRONMENT_PREFIXES = ("FONTCONFIG_", "XDG_")


class RenderError(Exception):
    """The PDF could not be made; the message is short and is stored on the submission."""


class RenderTimeout(RenderError):
    """The render ran past its time limit and its process was killed."""


class RenderProcess:
    """A long-lived child process that renders PDFs one at a time, within a time limit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._connection: Connection | None = None

    def render(self, job: RenderJob, timeout: float) -> RenderResult:
        """Render `job`, or raise RenderError; past `timeout` seconds the child is killed."""
        deadline = time.monotonic() + timeout
        if not self._lock.acquire(timeout=timeout):
            raise RenderTimeout(f"another rendering was still running after {timeout:g} seconds")
        try:
            connection = self._connection_to_child()
            try:
                _send_job(connection, job)
                if not connection.poll(max(0.0, deadline - time.monotonic())):
                    self.stop()
                    raise RenderTimeout(
                        f"rendering took longer than {timeout:g} seconds and was stopped"
                    )
                header, _, pdf = connection.recv_bytes().partition(b"\n")
                reply = json.loads(header)
            except (OSError, EOFError, ValueError, KeyError, TypeError):
                self.stop()
                raise RenderError("the render process ended unexpectedly") from None
        finally:
            self._lock.release()
        if not reply["ok"]:
            logger.error("Chart rendering failed in the render process:\n%s", reply["details"])
            raise RenderError(str(reply["error"]))
        return RenderResult(pdf, tuple(reply["requested"]), tuple(reply["messages"]))

    def start(self) -> None:
        """Start the render process now (it loads fonts and the stylesheet at once), so the
        first job does not wait for it."""
        with self._lock:
            self._connection_to_child()

    @property
    def pid(self) -> int | None:
        """The render process's id while one is running."""
        return self._process.pid if self._process is not None else None

    def stop(self) -> None:
        """Kill the render process, if any; the next render starts a new one."""
        process, connection = self._process, self._connection
        self._process = self._connection = None
        if connection is not None:
            connection.close()
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=5)

    def _connection_to_child(self) -> Connection:
        if self._process is not None and self._process.poll() is not None:
            self.stop()
        if self._process is None:
            ours, theirs = socket.socketpair()
            with theirs:
                # A fresh interpreter that imports only what rendering needs: not the
                # caller's __main__ (as multiprocessing's "spawn" would), no inherited
                # threads, locks or database connections (as "fork" would).
                self._process = subprocess.Popen(
                    [sys.executable, "-c", _CHILD_COMMAND, str(theirs.fileno())],
                    pass_fds=[theirs.fileno()],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    env=_child_environment(),
                )
            self._connection = Connection(ours.detach())
        return self._connection

    def _forget_after_fork(self) -> None:
        # A forked copy of this process (a gunicorn worker forked after the master rendered,
        # say) must not share the parent's child or inherit a held lock: start afresh.
        self._lock = threading.Lock()
        self._process = self._connection = None


_CHILD_COMMAND = "import sys; from intake.chart.worker import serve; serve(int(sys.argv[1]))"


def _child_environment() -> dict[str, str]:
    """The render process's environment: no secrets; this checkout first on PYTHONPATH."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if name in _CHILD_ENVIRONMENT or name.startswith(_CHILD_ENVIRONMENT_PREFIXES)
    }
    root = str(Path(__file__).resolve().parents[2])
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, (root, os.environ.get("PYTHONPATH"))))
    return environment


def _send_job(connection: Connection, job: RenderJob) -> None:
    header = {
        "html": job.html,
        "attachment_name": job.attachment_name,
        "attachment_description": job.attachment_description,
        "created": job.created.isoformat(),
        "attached": job.attachment is not None,
    }
    connection.send_bytes(json.dumps(header).encode("utf-8"))
    connection.send_bytes(job.attachment or b"")


def _receive_job(connection: Connection) -> RenderJob:
    header = json.loads(connection.recv_bytes())
    attachment = connection.recv_bytes()
    return RenderJob(
        html=header["html"],
        attachment=attachment if header["attached"] else None,
        attachment_name=header["attachment_name"],
        attachment_description=header["attachment_description"],
        created=datetime.fromisoformat(header["created"]),
    )


def serve(fd: int) -> None:
    """The render process: answer jobs on `fd` until the process that started it goes away."""
    # Ctrl-C in a terminal reaches the whole process group; the parent decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from weasyprint.urls import FatalURLFetchingError

    from intake.chart import pdf  # WeasyPrint is imported here, in the child only

    connection = Connection(fd)
    pdf.warm_up()
    # Memory is reclaimed between renders, not during one. A render makes some hundred
    # thousand short-lived objects (boxes, styles, text runs), and the collector, left to
    # itself, walks the heap many times over while they pile up: about a fifth of the render.
    # What is loaded by now (modules, fonts, the stylesheet) lives as long as the process and
    # is frozen out of every later collection, so the one after each reply takes milliseconds.
    gc.collect()
    gc.freeze()
    gc.disable()
    while True:
        gc.collect()  # while the caller seals the previous PDF, or waits for a job
        try:
            job = _receive_job(connection)
        except (EOFError, OSError):
            return
        try:
            result = pdf.render(job)
        except (Exception, FatalURLFetchingError) as error:
            reply = {
                "ok": False,
                "error": f"{type(error).__name__}: {error}"[:300],
                "details": traceback.format_exc(),
            }
            connection.send_bytes(json.dumps(reply).encode("utf-8"))
            continue
        reply = {"ok": True, "requested": result.requested, "messages": result.messages}
        # One message: the JSON header (which json.dumps keeps on one line), then the PDF.
        connection.send_bytes(json.dumps(reply).encode("utf-8") + b"\n" + result.pdf)


renderer = RenderProcess()
os.register_at_fork(after_in_child=renderer._forget_after_fork)
atexit.register(renderer.stop)
