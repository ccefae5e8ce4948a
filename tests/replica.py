"""A real PostgreSQL primary and its streaming replica for tests, and Django pointed at them.

The test database's server may refuse replication (Debian's pg_hba.conf lets `all` databases
in, which is not `replication`, and a test must not change the machine's server), so the pair
is its own: a primary made with initdb from the same binaries as the test server, holding a
copy of the test database (pg_dump), and a replica made from it with `pg_basebackup -R`, which
streams its WAL over TCP as a production replica does. Both run in a temporary folder, on free
ports of 127.0.0.1, and are stopped and removed by `stop()` whatever happened.
"""

from __future__ import annotations

import copy
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from django.db import connections

from core.db_router import PRIMARY, REPLICA

DATABASE = "feedbackloop"
START_SECONDS = 30
NEEDED = ("initdb", "pg_ctl", "postgres", "pg_basebackup", "pg_dump", "psql")
PREFIX = "fl-replica-"


def postgres_bin(server_version_num: int) -> Path:
    """The binaries of the test server's major version: the machine's own (Debian's
    /usr/lib/postgresql/<major>/bin), or else pgserver's, the embedded PostgreSQL's."""
    machine = Path(f"/usr/lib/postgresql/{server_version_num // 10000}/bin")
    if all((machine / name).exists() for name in NEEDED):
        return machine
    from feedbackloop.embedded import embedded_pgserver

    return Path(embedded_pgserver()._commands.POSTGRES_BIN_PATH)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class StreamingPair:
    """A primary with a copy of the `source` database and a hot standby streaming from it."""

    def __init__(self, source: dict[str, Any]) -> None:
        self.source = source
        self.primary_port = free_port()
        self.replica_port = free_port()
        self.bin = postgres_bin(self._source_version())
        self.run_as = self._server_user()
        leftovers_stop()
        # Last, so that nothing above can fail with the folder made and no one to remove it.
        self.base = Path(tempfile.mkdtemp(prefix=PREFIX))
        (self.base / "owner.pid").write_text(str(os.getpid()))
        self.primary_dir = self.base / "primary"
        self.replica_dir = self.base / "replica"

    def _source_version(self) -> int:
        with psycopg.connect(**self._conninfo(self.source)) as conn:
            row = conn.execute("SHOW server_version_num").fetchone()
        assert row is not None
        return int(row[0])

    @staticmethod
    def _conninfo(db: dict[str, Any]) -> dict[str, Any]:
        return {
            "dbname": db["NAME"],
            "user": db.get("USER") or "postgres",
            "password": db.get("PASSWORD") or None,
            "host": db.get("HOST") or None,
            "port": db.get("PORT") or None,
        }

    def _server_user(self) -> dict[str, Any]:
        """PostgreSQL refuses to run as root: as root (CI), the servers run as `postgres` (the
        machine's packages made it) or else the embedded server's own `pgserver`."""
        if os.geteuid() != 0:
            return {}
        from feedbackloop.embedded import embedded_pgserver

        pgserver = embedded_pgserver()
        if self.bin == Path(pgserver._commands.POSTGRES_BIN_PATH):
            # What pgserver does before running its binaries as another user.
            read, execute = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
            pgserver.utils.ensure_prefix_permissions(self.bin)
            pgserver.utils.ensure_folder_permissions(self.bin, read | execute)
            pgserver.utils.ensure_folder_permissions(self.bin.parent / "lib", read)
        try:
            entry = pwd.getpwnam("postgres")
        except KeyError:
            entry = pgserver.utils.ensure_user_exists("pgserver")
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    def _run(self, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(self.bin / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            timeout=START_SECONDS,
            cwd=self.base,
            env={**os.environ, "LC_ALL": "C"},
            **self.run_as,
            **kwargs,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {result.stderr or result.stdout}")
        return result

    def _pg_ctl_start(self, data_dir: Path, port: int) -> None:
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.base} "
            "-c fsync=off"
        )
        log = self.base / f"{data_dir.name}.log"
        try:
            self._run("pg_ctl", "-D", str(data_dir), "-l", str(log), "-o", options, "-w", "start")
        except RuntimeError as exc:
            tail = log.read_text(errors="replace")[-800:] if log.exists() else ""
            raise RuntimeError(f"{exc}\n{tail}") from exc

    def settings_dict(self, port: int, template: dict[str, Any]) -> dict[str, Any]:
        """Django's settings of the pair's database on `port`, the rest as in `template`."""
        return {
            **copy.deepcopy(template),
            "HOST": "127.0.0.1",
            "PORT": port,
            "NAME": DATABASE,
            "USER": "postgres",
            "PASSWORD": "",
        }

    def connect(self, port: int, dbname: str = DATABASE) -> psycopg.Connection[Any]:
        return psycopg.connect(
            host="127.0.0.1", port=port, user="postgres", dbname=dbname, autocommit=True
        )

    def start(self) -> None:
        """Make and start the primary, copy the test database into it, then make the replica
        with pg_basebackup and start it; return once it streams."""
        if self.run_as:
            os.chown(self.base, self.run_as["user"], self.run_as["group"])
        self._run(
            "initdb", "-D", str(self.primary_dir), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        self._pg_ctl_start(self.primary_dir, self.primary_port)
        with self.connect(self.primary_port, "postgres") as conn:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
        self._copy_source()
        self._run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres",
            "-D", str(self.replica_dir), "--write-recovery-conf", "--wal-method=stream",
            "--checkpoint=fast", "--no-sync",
        )  # fmt: skip
        self._pg_ctl_start(self.replica_dir, self.replica_port)
        deadline = time.monotonic() + START_SECONDS
        with self.connect(self.primary_port) as conn:
            while (
                conn.execute(
                    "SELECT 1 FROM pg_stat_replication WHERE state = 'streaming'"
                ).fetchone()
                is None
            ):
                if time.monotonic() > deadline:
                    raise RuntimeError("the replica did not start streaming from the primary")
                time.sleep(0.05)

    def _copy_source(self) -> None:
        """The test database (its migrated schema and rows) into the primary."""
        source = self._conninfo(self.source)
        env = {**os.environ, "PGPASSWORD": source["password"] or ""}
        dump = subprocess.run(
            [
                str(self.bin / "pg_dump"), "--no-owner", "--no-privileges",
                "-d", source["dbname"], "-U", source["user"],
                *(["-h", str(source["host"])] if source["host"] else []),
                *(["-p", str(source["port"])] if source["port"] else []),
            ],
            capture_output=True, text=True, env=env, timeout=START_SECONDS,
        )  # fmt: skip
        if dump.returncode != 0:
            raise RuntimeError(f"pg_dump of the test database failed: {dump.stderr}")
        restore = subprocess.run(
            [
                str(self.bin / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                "-p", str(self.primary_port), "-U", "postgres", "-d", DATABASE,
            ],
            input=dump.stdout, capture_output=True, text=True, timeout=START_SECONDS,
        )  # fmt: skip
        if restore.returncode != 0:
            raise RuntimeError(
                f"loading the test database into the primary failed: {restore.stderr}"
            )

    def stop(self) -> None:
        """Stop both servers (the replica first) and remove their folder."""
        for data_dir in (self.replica_dir, self.primary_dir):
            if (data_dir / "postmaster.pid").exists():
                try:
                    self._run("pg_ctl", "-D", str(data_dir), "-m", "immediate", "-w", "stop")
                except (RuntimeError, subprocess.TimeoutExpired):
                    _kill_postmaster(data_dir)
        shutil.rmtree(self.base, ignore_errors=True)


def leftovers_stop() -> None:
    """Stop and remove the pairs of test runs that were killed before they could (their
    test process is gone); a pair another run still uses is left alone."""
    import psutil

    for base in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
        try:
            owner = int((base / "owner.pid").read_text())
        except (OSError, ValueError):
            continue
        if psutil.pid_exists(owner):
            continue
        for data_dir in (base / "replica", base / "primary"):
            _kill_postmaster(data_dir)
        shutil.rmtree(base, ignore_errors=True)


def _kill_postmaster(data_dir: Path) -> None:
    """Stop at once the server of `data_dir` if it still runs (its number could be another
    program's by now: only a postgres serving that folder is stopped)."""
    import psutil

    try:
        pid = int((data_dir / "postmaster.pid").read_text().split()[0])
        process = psutil.Process(pid)
        if process.name() == "postgres" and str(data_dir) in " ".join(process.cmdline()):
            process.send_signal(signal.SIGQUIT)
    except (OSError, ValueError, IndexError, psutil.Error):
        pass


@contextmanager
def app_databases(primary: dict[str, Any], replica: dict[str, Any]) -> Iterator[None]:
    """Within it, this thread's Django writes and reads `primary` as its database ("default")
    and has `replica` as the read replica, as DATABASE_URL and DATABASE_REPLICA_URL would give.

    The test database's connection (and the transaction the test holds open on it) and its
    pool are put aside, not closed, and come back afterwards."""
    from django.db.backends.postgresql.base import DatabaseWrapper

    aliases = connections.settings
    made = connections._connections  # type: ignore[attr-defined]  # this thread's connections
    saved_settings = dict(aliases)
    saved_connections = {
        alias: getattr(made, alias) for alias in saved_settings if hasattr(made, alias)
    }
    pools: dict[str, Any] = DatabaseWrapper._connection_pools  # type: ignore[attr-defined]
    saved_pools = {alias: pools.pop(alias) for alias in saved_settings if alias in pools}
    for alias in saved_connections:
        del connections[alias]
    aliases[PRIMARY] = primary
    aliases[REPLICA] = replica
    try:
        yield
    finally:
        for alias in (PRIMARY, REPLICA):
            if hasattr(made, alias):
                connections[alias].close()
                del connections[alias]
            if alias in pools:
                pools.pop(alias).close()
        aliases.clear()
        aliases.update(saved_settings)
        pools.update(saved_pools)
        for alias, wrapper in saved_connections.items():
            connections[alias] = wrapper
