"""Servers the benchmark starts as their users start them (gunicorn, a Celery worker, an SMTP
sink), each in its own process group with its output in a log file, and always stopped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def group_cpu_seconds(pgid: int) -> float | None:
    """CPU seconds (user and system) the live processes of a process group have used so far,
    read from /proc; None without /proc."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    ticks = 0
    for stat in proc.glob("[0-9]*/stat"):
        try:
            # After the command's ")": state, ppid, pgrp, …, utime (12th), stime (13th).
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # it ended meanwhile
            continue
        if int(fields[2]) == pgid:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class Server:
    """A running subprocess and its log."""

    def __init__(self, name: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.name = name
        self.process = process
        self.log = log

    def cpu_seconds(self) -> float | None:
        """The CPU its process group has used so far (group_cpu_seconds)."""
        return group_cpu_seconds(self.process.pid)

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except FileNotFoundError:
            return ""

    def wait_for(self, ready: Callable[[], object], *, what: str, timeout: float = 60) -> None:
        """Poll `ready()` until it is true; fail with the server's log if it exits or is slow."""
        deadline = time.monotonic() + timeout
        while not ready():
            if not self.running:
                raise RuntimeError(
                    f"{self.name} exited ({self.process.returncode}) while waiting for {what}:\n"
                    f"{self.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"waiting for {what}: not within {timeout:g} s; {self.name}'s log:\n"
                    f"{self.log_tail()}"
                )
            time.sleep(0.1)


@contextmanager
def server(
    name: str, command: Sequence[str], *, env: dict[str, str], log: Path
) -> Iterator[Server]:
    """Start `command`; on leaving, SIGTERM its process group (a warm shutdown, as `docker
    stop` does), then SIGKILL whatever is left after ten seconds."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            list(command),
            env=env,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopping it stops its children
        )
    try:
        yield Server(name, process, log)
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            process.wait(10)
        # Whatever of the group is still there (a stuck child, or the whole of a slow stop).
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
