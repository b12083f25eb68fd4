"""`flask intake render-worker` in a process of its own, as a clinic runs it beside gunicorn.

Used by the crash tests, a browser test and bench/load.py. Like gunicorn (gunicorn_server.py) it
starts in a session of its own, so its render process can be found and killed with it.
"""

import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from testkit.gunicorn_server import ROOT, children_of, group_members, log_tail


@dataclass
class RenderWorker:
    """A running render worker: its process and log."""

    process: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def render_processes(self) -> list[int]:
        """Its render process (one, once it has started)."""
        return children_of(self.pid)

    def log_tail(self, lines: int = 40) -> str:
        """The end of its log, for a failure message."""
        return log_tail(self.log, lines)


def start(environment: Mapping[str, str], log: Path) -> RenderWorker:
    """Start a render worker with these INTAKE_* settings (stop it with `stop`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env.update(environment)
    with open(log, "ab") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "intake", "render-worker"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return RenderWorker(process, log)


def stop(worker: RenderWorker) -> None:
    """Ask it to stop as systemd would (SIGINT), then make sure its whole group is gone."""
    if worker.process.poll() is None:
        worker.process.send_signal(signal.SIGINT)
        try:
            worker.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
    if group_members(worker.pid):
        try:
            os.killpg(worker.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    worker.process.wait(timeout=10)


@contextmanager
def running(environment: Mapping[str, str], log: Path) -> Iterator[RenderWorker]:
    """A render worker for the length of the block."""
    worker = start(environment, log)
    try:
        yield worker
    finally:
        stop(worker)
