from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from core.errors import DomainError
from transfer.services import feedback_file_check, feedback_file_import


class Command(BaseCommand):
    help = (
        "Import feedback from a CSV file (the columns of the Import & export page), in one "
        "transaction: every new row becomes a ticket, or, if any row cannot be imported, none "
        "does and each such row is listed. Rows imported before are left alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the CSV file")
        parser.add_argument(
            "--as",
            dest="username",
            required=True,
            help="who imports it: a product manager (or an admin, for a file without initiatives)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and say what it would do"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc
        by = User.objects.filter(username=options["username"], is_active=True).first()
        if by is None:
            raise CommandError(f"No active user named {options['username']!r}.")
        try:
            if options["dry_run"]:
                preview, created = feedback_file_check(by=by, data=data), 0
            else:
                preview, created = feedback_file_import(by=by, data=data)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        for error in preview.errors:
            self.stderr.write(f"line {error.line}, {error.column}: {error.message}")
        summary = (
            f"{len(preview.new):,} new, {preview.known:,} imported before, "
            f"{len(preview.repeats):,} repeated in the file, {len(preview.errors):,} refused"
        )
        if preview.errors:
            raise CommandError(f"Nothing was imported: {summary}.")
        if options["dry_run"]:
            self.stdout.write(f"Dry run, nothing written: {summary}.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {created:,} tickets: {summary}."))
