"""Intake served by gunicorn on a free loopback port, as a clinic runs it.

Used by bench/load.py and the crash tests. gunicorn starts in a session (and so a process
group) of its own: a Ctrl-C in the terminal reaches only the caller, which stops gunicorn
itself, and when it is done the whole group (master, workers and their render processes) is
made sure to be gone.
"""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_SECONDS = 60


class ServerError(RuntimeError):
    """gunicorn did not start, or did not answer."""


@dataclass
class Gunicorn:
    """A running gunicorn: its URL, master process and log file."""

    url: str
    process: subprocess.Popen
    log: Path
    # After the block: processes of its group that outlived the master (see stop()).
    left_behind: list[int] = field(default_factory=list)

    @property
    def pid(self) -> int:
        """The master's process id (also the id of the process group)."""
        return self.process.pid

    def worker_pids(self) -> list[int]:
        """The web workers' process ids, as the master has them now."""
        return children_of(self.pid)

    def log_tail(self, lines: int = 40) -> str:
        """The end of gunicorn's log, for a failure message."""
        return log_tail(self.log, lines)


def log_tail(log: Path, lines: int = 40) -> str:
    """The end of a log file, for a failure message."""
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def children_of(pid: int) -> list[int]:
    """The process ids of a process's children (Linux /proc)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serve(
    environment: Mapping[str, str],
    *,
    workers: int,
    log: Path,
    config: Path | None = None,
) -> Iterator[Gunicorn]:
    """Run `gunicorn wsgi:app` with these INTAKE_* settings until the block ends."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--graceful-timeout",
        "10",
        "--log-level",
        "warning",
    ]
    if config is not None:
        command += ["--config", str(config)]
    command.append("wsgi:app")
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env.update(environment)
    with open(log, "ab") as log_file:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Gunicorn(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_until_ready(server, port, workers)
        yield server
    finally:
        server.left_behind = stop(server)


def _wait_until_ready(server: Gunicorn, port: int, workers: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServerError(f"gunicorn exited at start-up:\n{server.log_tail()}")
        if len(server.worker_pids()) >= workers and _answers(port):
            return
        time.sleep(0.2)
    raise ServerError(f"gunicorn did not answer within {START_TIMEOUT_SECONDS} s")


def _answers(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def stop(server: Gunicorn) -> list[int]:
    """Stop gunicorn gracefully, then make sure nothing of its process group is left.

    Returns the ids of processes that were still there 10 s after the master exited (and
    were then killed): a render process should end by itself when its worker is gone.
    """
    process = server.process
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    deadline = time.monotonic() + 10
    while (left := group_members(process.pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    if left:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return left


def group_members(group: int) -> list[int]:
    """The ids of the live processes in a process group (Linux /proc; zombies left out)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[2]) == group:
            members.append(int(stat.parent.name))
    return members
