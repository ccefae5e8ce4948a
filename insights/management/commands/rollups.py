from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from insights.rollups import rollups_differences, rollups_rebuild

SHOWN = 50


class Command(BaseCommand):
    help = (
        "Check what the database keeps precomputed (the insights page's tickets per day, each "
        "ticket's copy of its customer's segment) against the tickets; with --rebuild, count "
        "it again first. Exits 1 when they differ."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="count every ticket again (ticket writes wait meanwhile), then check",
        )

    def handle(self, *args: Any, rebuild: bool = False, **options: Any) -> None:
        if rebuild:
            rows = rollups_rebuild()
            self.stdout.write(f"Rebuilt the roll-ups ({rows} rows) and the tickets' segments.")
        problems, differences = rollups_differences(limit=SHOWN + 1)
        if not problems and not differences:
            self.stdout.write("The roll-ups and the tickets' segments match the tickets.")
            return
        for problem in problems:
            self.stderr.write(problem)
        for difference in differences[:SHOWN]:
            self.stderr.write(str(difference))
        if len(differences) > SHOWN:
            self.stderr.write(f"... and more (the first {SHOWN} shown).")
        raise CommandError(
            "What is precomputed does not match the tickets; "
            "`manage.py rollups --rebuild` counts it again.",
            returncode=1,
        )
