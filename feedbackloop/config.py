"""Start-up configuration that must fail with one clear line, not a traceback."""

from __future__ import annotations

import os
import sys
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured


class ConfigError(ImproperlyConfigured):
    """A setting is missing or wrong; the message says what to set."""


def exit_on_config_error(error: ConfigError) -> None:
    sys.stderr.write(f"FeedbackLoop cannot start: {error}\n")
    raise SystemExit(2)


def database_from_url(url: str, name: str = "DATABASE_URL") -> dict[str, Any]:
    """DATABASE_URL (or `name`, DATABASE_REPLICA_URL) as Django's settings.

    A socket folder as the host is written percent-encoded, as libpq reads it
    (postgres://user@%2Fvar%2Frun%2Fpostgresql/name), or as a `host` parameter
    (postgres://user@/name?host=/var/run/postgresql). django-environ keeps the first encoded
    and lower-cased and drops the second, so both are read here from the URL as written."""
    import environ

    try:
        database: dict[str, Any] = environ.Env.db_url_config(url)
    except Exception as exc:  # django-environ raises several types for a malformed URL
        raise ConfigError(
            f"{name} is not a database URL; set it like postgres://user:pass@host:5432/name"
        ) from exc
    if database.get("ENGINE") != "django.db.backends.postgresql":
        raise ConfigError(f"{name} must point at PostgreSQL (postgres://...)")
    parts = urlsplit(url)
    netloc_host = parts.netloc.rpartition("@")[2]
    if netloc_host[:3].lower() == "%2f":
        folder, _, port = netloc_host.rpartition(":")
        if not (folder and port.isdigit()):
            folder, port = netloc_host, ""
        database["HOST"] = unquote(folder)
        database["PORT"] = int(port) if port else ""
    query_host = parse_qs(parts.query).get("host")
    if query_host:
        database["HOST"] = query_host[0]
    database.pop("OPTIONS", None)
    return database


def celery_broker_url(redis_url: str) -> str:
    """Celery's (kombu's) address of the Redis in REDIS_URL: the same for redis://, and
    redis+socket:///path?virtual_host=N for redis-py's unix:///path?db=N."""
    parts = urlsplit(redis_url)
    if parts.scheme != "unix":
        return redis_url
    db = parse_qs(parts.query).get("db", ["0"])[0]
    return f"redis+socket://{parts.path}?virtual_host={db}"


def check_database() -> None:
    """Raise ConfigError with one line when a configured database (the primary, and the read
    replica when DATABASE_REPLICA_URL is set) cannot be reached.

    Connects directly, not through the pool, so a wrong address fails in seconds.
    """
    from django.conf import settings

    for alias in settings.DATABASES:
        _check_database(alias)


def _check_database(alias: str) -> None:
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
        variable = "DATABASE_URL" if alias == "default" else "DATABASE_REPLICA_URL"
        source = variable if os.environ.get(variable) else "the embedded database"
        raise ConfigError(
            f"PostgreSQL is unreachable through {source} ({reason}); "
            f"set {variable}=postgres://USER:PASSWORD@HOST:PORT/NAME to a running server"
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
            f"Redis is unreachable at REDIS_URL={url} ({exc}); start Redis, or in development "
            "unset REDIS_URL to use the embedded one"
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
