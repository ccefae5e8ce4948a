"""`manage.py start`: migrate, seed the demo, run the web server (and the worker with Redis)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from feedbackloop.config import check_database, check_model, check_redis


class Command(BaseCommand):
    help = "Migrate, seed the demo data and serve the app; Ctrl-C stops all it started."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000", help="host:port to listen on")
        parser.add_argument("--no-seed", action="store_true", help="skip the demo data")

    def handle(self, *args: Any, **options: Any) -> None:
        # The model is part of this install, so it is checked first: a broken install says so
        # before anything about the services it would connect to.
        check_model()
        check_redis(settings.REDIS_URL)
        check_database()
        call_command("migrate", interactive=False, verbosity=0)
        if not options["no_seed"]:
            call_command("seed_demo")
        helpers: list[subprocess.Popen[bytes]] = []
        if settings.REDIS_URL:
            celery = [sys.executable, "-m", "celery", "-A", "feedbackloop"]
            helpers.append(
                subprocess.Popen([*celery, "worker", "--loglevel=INFO", "--concurrency=2"])
            )
            helpers.append(subprocess.Popen([*celery, "beat", "--loglevel=INFO"]))
            worker_line = "Celery worker and beat started on " + settings.REDIS_URL
        else:
            worker_line = "No REDIS_URL: background tasks run in-process."
        host, port = options["addr"].rsplit(":", 1)
        self.stdout.write(
            self.style.SUCCESS(f"\nFeedbackLoop is running at http://{host}:{port}/\n")
            + f"{worker_line}\n"
            + "Demo logins (password 'demo' unless seeded otherwise): "
            + "sales, success, onboarding, pm, facilitator, admin\n"
            + "Press Ctrl-C to stop everything.\n"
        )
        try:
            call_command("runserver", options["addr"], use_reloader=False)
        except KeyboardInterrupt:
            pass
        finally:
            for helper in helpers:
                helper.terminate()
            for helper in helpers:
                try:
                    helper.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    helper.kill()
