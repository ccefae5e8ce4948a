"""Start-up configuration that must fail with one clear line, not a traceback."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from django.core.exceptions import ImproperlyConfigured

EMBEDDED_DATABASE_NAME = "feedbackloop"


class ConfigError(ImproperlyConfigured):
    """A setting is missing or wrong; the message says what to set."""


def exit_on_config_error(error: ConfigError) -> None:
    sys.stderr.write(f"FeedbackLoop cannot start: {error}\n")
    raise SystemExit(2)


def embedded_database(data_dir: Path) -> dict[str, Any]:
    """Start (or join) the embedded PostgreSQL in data_dir and return its Django settings.

    pgserver keeps one server per data folder, shared by every process that asks for it,
    and stops it when the last of them exits.
    """
    import warnings

    import psycopg

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); /tmp is fine.
        warnings.simplefilter("ignore")
        import pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
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


def check_database(alias: str = "default") -> None:
    """Raise ConfigError with one line when the configured database cannot be reached.

    Connects directly, not through the pool, so a wrong address fails in seconds.
    """
    import psycopg
    from django.conf import settings

    db = settings.DATABASES[alias]
    try:
        psycopg.connect(
            dbname=db["NAME"],
            user=db.get("USER") or None,
            password=db.get("PASSWORD") or None,
            host=db.get("HOST") or None,
            port=db.get("PORT") or None,
            connect_timeout=5,
        ).close()
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split()) or repr(exc)
        source = "DATABASE_URL" if os.environ.get("DATABASE_URL") else "the embedded database"
        raise ConfigError(
            f"PostgreSQL is unreachable through {source} ({reason}); "
            "set DATABASE_URL=postgres://USER:PASSWORD@HOST:PORT/NAME to a running server"
        ) from exc


def check_redis(url: str) -> None:
    """Raise ConfigError with one line when REDIS_URL is set but Redis does not answer."""
    if not url:
        return
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except (redis.exceptions.RedisError, ValueError) as exc:
        raise ConfigError(
            f"Redis is unreachable at REDIS_URL={url} ({exc}); start Redis or unset REDIS_URL "
            "to run tasks in-process"
        ) from exc


def check_model() -> None:
    """Raise ConfigError with one line when the sentence-embedding model (a pinned dependency,
    used on every ticket and initiative written) does not load."""
    try:
        from core.embeddings import ModelUnavailable, model
    except ImportError as exc:
        raise ConfigError(
            f"the embedding model's package did not import ({exc}); reinstall the pinned "
            "dependencies (pip install -e .)"
        ) from exc
    try:
        model()
    except ModelUnavailable as exc:
        raise ConfigError(" ".join(str(exc).split())) from exc
