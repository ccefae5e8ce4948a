"""`manage.py seed_demo`: demo users and realistic demo data; running it again changes nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.models import Role, Team
from accounts.services import user_ensure
from feedbackloop.demo import seed_feedback, seed_history, seed_sessions

DEMO_USERS = [
    ("sales", "Sam", "Seller", Role.SUBMITTER, Team.SALES),
    ("success", "Cora", "Success", Role.SUBMITTER, Team.CUSTOMER_SUCCESS),
    ("onboarding", "Otto", "Onboard", Role.SUBMITTER, Team.ONBOARDING),
    ("pm", "Priya", "Manager", Role.PRODUCT_MANAGER, Team.PRODUCT),
    ("facilitator", "Fay", "Facilitator", Role.FACILITATOR, Team.PRODUCT),
    ("admin", "Ada", "Admin", Role.ADMIN, Team.OTHER),
]


class Command(BaseCommand):
    help = "Create the demo users and demo data (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default="demo", help="password of every demo user")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        password: str = options["password"]
        if not password.strip():
            raise CommandError("--password must not be empty.")
        for username, first, last, role, team in DEMO_USERS:
            user_ensure(
                username=username,
                password=password,
                role=role,
                team=team,
                first_name=first,
                last_name=last,
                email=f"{username}@feedbackloop.example",
            )
        created = seed_feedback()
        # Give a fresh demo a past (spread tickets, one shipped initiative, month-start scores).
        history = seed_history() if created else False
        sessions = seed_sessions()
        self.stdout.write(
            f"Demo users ready: {', '.join(u[0] for u in DEMO_USERS)}; {created} new demo tickets"
            + (", with ten weeks of history" if history else "")
            + "".join(f"; scheduled “{session.title}”" for session in sessions)
            + "."
        )
