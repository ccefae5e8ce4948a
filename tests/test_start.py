"""`manage.py start` (what `make run` runs) with no DATABASE_URL and no REDIS_URL, as on a fresh
machine: it serves, with an embedded PostgreSQL, an embedded Redis, a Celery worker and beat;
Ctrl-C and SIGTERM stop every one of them; a run that was killed leaves nothing that blocks
the next.

Each start gets a DATA_DIR of its own (the suite's embedded database stays out of it), shared
by this module's tests so PostgreSQL's folder is made, migrated and seeded once.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path

import psutil
import pytest

from feedbackloop.embedded import EmbeddedRedis, embedded_database_running
from feedbackloop.management.commands.start import addr_parse, site_url_for
from tests.smtp import free_port

pytestmark = pytest.mark.worker

ROOT = Path(__file__).resolve().parent.parent
BANNER = "FeedbackLoop is running at"
STOPPED_WITHIN = 45


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    """Not under pytest's own temporary folder: as root, PostgreSQL runs as the pgserver user,
    who must be able to reach it, and pytest makes its folder private to root again whenever a
    session starts."""
    folder = Path(tempfile.mkdtemp(prefix="fl-start-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


class Run:
    """One `manage.py start` in its own process group, as a terminal runs it."""

    def __init__(self, data_dir: Path, log: Path, *, seed: bool = False) -> None:
        self.port = free_port()
        self.log = log
        env = {
            k: v
            for k, v in os.environ.items()
            if k
            not in ("DATABASE_URL", "REDIS_URL", "EMAIL_URL", "SITE_URL", "DJANGO_SETTINGS_MODULE")
        }
        env.update(DEBUG="1", DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "start",
                    *([] if seed else ["--no-seed"]),
                    f"--addr=127.0.0.1:{self.port}",
                ],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_serving(self) -> None:
        deadline = time.monotonic() + 120
        while BANNER not in self.output():
            assert self.process.poll() is None, f"start exited:\n{self.output()}"
            assert time.monotonic() < deadline, f"no banner:\n{self.output()}"
            time.sleep(0.2)

    def get(self, path: str) -> int:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as reply:
            return int(reply.status)

    def family(self) -> list[psutil.Process]:
        """start and every process under it (web, worker and its pool, beat)."""
        parent = psutil.Process(self.process.pid)
        return [parent, *parent.children(recursive=True)]

    def wait_stopped(self) -> int:
        try:
            return self.process.wait(STOPPED_WITHIN)
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(
                f"still running after {STOPPED_WITHIN} s:\n{self.output()}"
            ) from exc


def servers(data_dir: Path) -> dict[str, int | None]:
    """The embedded servers running for this DATA_DIR, by process id."""
    return {
        "postgres": embedded_database_running(data_dir / "postgres"),
        "redis": EmbeddedRedis(data_dir / "redis").leftover(),
    }


def assert_all_gone(processes: list[psutil.Process], data_dir: Path, run: Run) -> None:
    deadline = time.monotonic() + 10
    while True:
        living = [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        left = {name: pid for name, pid in servers(data_dir).items() if pid}
        if not living and not left:
            return
        assert time.monotonic() < deadline, (
            f"left running: {[p.cmdline()[:4] for p in living]} {left}\n{run.output()}"
        )
        time.sleep(0.2)


@pytest.fixture
def runs(data_dir: Path, tmp_path: Path) -> Iterator[list[Run]]:
    started: list[Run] = []
    yield started
    for run in started:  # a failed test leaves nothing behind either
        if run.process.poll() is None:
            os.killpg(run.process.pid, signal.SIGTERM)
            run.process.wait(STOPPED_WITHIN)


def start(runs: list[Run], data_dir: Path, tmp_path: Path, *, seed: bool = False) -> Run:
    run = Run(data_dir, tmp_path / f"start{len(runs)}.log", seed=seed)
    runs.append(run)
    run.wait_serving()
    return run


def test_ctrl_c_stops_the_web_server_worker_beat_redis_and_postgres(
    data_dir: Path, tmp_path: Path, runs: list[Run]
) -> None:
    run = start(runs, data_dir, tmp_path, seed=True)
    assert run.get("/login/") == 200
    # The demo's emails (invites, shipped, notices) link to the address served, not port 8000.
    texts = [
        part.get_content()
        for eml in (data_dir / "mail").glob("*.eml")
        for part in message_from_bytes(eml.read_bytes(), policy=policy.default).walk()
        if part.get_content_maintype() == "text"
    ]
    assert len(texts) > 10
    links = {link for text in texts for link in re.findall(r"https?://[^/\s\"<>]+", text)}
    assert links == {f"http://127.0.0.1:{run.port}"}, links
    family = run.family()
    commands = [" ".join(p.cmdline()) for p in family]
    assert any("runserver" in c for c in commands), commands
    assert any(" worker" in c for c in commands), commands
    assert any(" beat" in c for c in commands), commands
    assert all(servers(data_dir).values()), servers(data_dir)
    assert "embedded Redis" in run.output()

    os.killpg(run.process.pid, signal.SIGINT)  # what Ctrl-C in the terminal does

    assert run.wait_stopped() == 0, run.output()
    assert_all_gone(family, data_dir, run)


def test_a_killed_run_blocks_nothing_and_sigterm_stops_everything(
    data_dir: Path, tmp_path: Path, runs: list[Run]
) -> None:
    killed = start(runs, data_dir, tmp_path)
    family = killed.family()
    os.killpg(killed.process.pid, signal.SIGKILL)  # no clean-up at all
    killed.process.wait(10)
    # The servers live in sessions of their own, so they are left running.
    leftovers = servers(data_dir)
    assert all(leftovers.values()), leftovers

    run = start(runs, data_dir, tmp_path)
    assert run.get("/login/") == 200
    now = servers(data_dir)
    assert now["postgres"] == leftovers["postgres"]  # reused
    assert now["redis"] != leftovers["redis"]  # the old one stopped, a new one started
    assert not psutil.pid_exists(leftovers["redis"] or 0)
    family = run.family()
    # While it runs, another start on the same folder would fight it over the servers.
    second = Run(data_dir, tmp_path / "second.log")
    runs.append(second)
    assert second.process.wait(60) == 1
    assert f"already runs from {data_dir}" in second.output(), second.output()
    assert run.process.poll() is None

    run.process.send_signal(signal.SIGTERM)  # to start alone, as `kill` or a supervisor does

    assert run.wait_stopped() == 0, run.output()
    assert_all_gone(family, data_dir, run)


@pytest.mark.parametrize(
    ("addr", "expected"),
    [("127.0.0.1:8225", "http://127.0.0.1:8225"), ("0.0.0.0:9000", "http://localhost:9000")],
)
def test_the_site_url_follows_the_address_served(addr: str, expected: str) -> None:
    assert site_url_for(*addr_parse(addr)) == expected


@pytest.mark.parametrize("addr", ["8000", "localhost", "host:port", "127.0.0.1:99999", ":80"])
def test_a_bad_addr_is_one_clear_line(addr: str) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="is not host:port"):
        addr_parse(addr)


def test_pgservers_list_of_users_is_written_whole(tmp_path: Path) -> None:
    # pgserver wrote it in place: a process stopped mid-write (Ctrl-C while a worker started)
    # left it empty, and then no process could stop the server.
    from feedbackloop.embedded import database_handles_prune, embedded_pgserver

    handles = tmp_path / ".handle_pids.json"
    embedded_pgserver().utils.DiskList(handles).put([os.getpid(), 1])
    assert json.loads(handles.read_text()) == [os.getpid(), 1]
    assert [p.name for p in tmp_path.iterdir()] == [handles.name]
    # A list cut short by an older version starts afresh; the dead are forgotten.
    handles.write_text("")
    assert database_handles_prune(tmp_path) == []
    handles.write_text(json.dumps([os.getpid(), 2**22 + 12345]))
    assert database_handles_prune(tmp_path) == [os.getpid()]
