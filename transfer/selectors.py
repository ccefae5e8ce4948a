"""What an uploaded feedback file would do, checked against what FeedbackLoop holds already."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import QuerySet

from accounts.models import User
from intake.models import Contact, Ticket, TicketSource
from transfer import feedback_csv
from transfer.feedback_csv import FeedbackRow, RowError
from transfer.models import FeedbackImport
from triage.models import Initiative, InitiativeStatus

PREVIEW_ROWS = 50  # rows shown on the preview page; every error is shown


@dataclass
class Preview:
    """The rows an import would file, the ones filed by an earlier import (left alone), the
    file's repeats of its own rows, and every row that cannot be imported, with why."""

    new: list[FeedbackRow] = field(default_factory=list)
    known: int = 0
    repeats: dict[int, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    # Initiative titles (as written) the import files onto: existing ones by id, new ones None.
    initiatives: dict[str, Initiative | None] = field(default_factory=dict)
    delimiter: str = ","

    @property
    def ready(self) -> bool:
        return not self.errors

    @property
    def new_initiatives(self) -> list[str]:
        return sorted(title for title, found in self.initiatives.items() if found is None)

    @property
    def shown(self) -> list[FeedbackRow]:
        return self.new[:PREVIEW_ROWS]


def import_preview(*, data: bytes) -> Preview:
    """Parse the file (file-level refusals are raised as DomainError) and check each row
    against the database: already imported, a contact known at another company, an
    initiative that is closed. Reads only."""
    parsed = feedback_csv.parse(data)
    preview = Preview(
        repeats=parsed.repeats, errors=list(parsed.errors), delimiter=parsed.delimiter
    )
    known = _imported_keys(row.key for row in parsed.rows)
    companies = _contact_companies(row.email for row in parsed.rows)
    initiatives = _initiatives_by_title(row.initiative for row in parsed.rows if row.initiative)
    for row in parsed.rows:
        if row.key in known:
            preview.known += 1
            continue
        company = companies.setdefault(row.email, row.company)
        if company.casefold() != row.company.casefold():
            preview.errors.append(
                RowError(
                    row.line,
                    "contact email",
                    f"{row.email} is a contact at {company}, not {row.company}; one address "
                    "belongs to one company.",
                )
            )
            continue
        if row.initiative:
            found = initiatives.get(row.initiative.casefold())
            if found is not None and found.status not in InitiativeStatus.open():
                preview.errors.append(
                    RowError(
                        row.line,
                        "initiative",
                        f"“{found.title}” is {found.get_status_display().lower()}; feedback is "
                        "only imported onto an open initiative (a shipped one would email the "
                        "customer). Leave the cell blank or name another.",
                    )
                )
                continue
            preview.initiatives.setdefault(row.initiative, found)
        preview.new.append(row)
    preview.errors.sort(key=lambda error: error.line)
    return preview


def _imported_keys(keys: Iterable[str]) -> set[str]:
    wanted = list(keys)
    found: set[str] = set()
    for start in range(0, len(wanted), 5_000):
        found.update(
            Ticket.objects.filter(
                source=TicketSource.IMPORT, source_reference__in=wanted[start : start + 5_000]
            ).values_list("source_reference", flat=True)
        )
    return found


def _contact_companies(emails: Iterable[str]) -> dict[str, str]:
    """The company each known contact belongs to, by email."""
    wanted = list(set(emails))
    companies: dict[str, str] = {}
    for start in range(0, len(wanted), 5_000):
        rows = Contact.objects.filter(email__in=wanted[start : start + 5_000]).values_list(
            "email", "customer__name"
        )
        companies.update(dict(rows))
    return companies


def _initiatives_by_title(titles: Iterable[str]) -> dict[str, Initiative]:
    """The initiative each title names (case aside), an open one first, else the newest."""
    wanted = {title.casefold() for title in titles}
    if not wanted:
        return {}
    found: dict[str, Initiative] = {}
    rows = (
        Initiative.objects.defer("search_vector", "embedding")
        .filter(merged_into__isnull=True)
        .order_by("-created_at")
    )
    for initiative in rows.iterator():
        key = initiative.title.casefold()
        if key not in wanted:
            continue
        current = found.get(key)
        if current is None or (
            current.status not in InitiativeStatus.open()
            and initiative.status in InitiativeStatus.open()
        ):
            found[key] = initiative
    return found


def imports_of(*, user: User) -> QuerySet[FeedbackImport]:
    """The files this person uploaded, newest first (without their bytes)."""
    return FeedbackImport.objects.filter(uploaded_by=user).defer("data")[:20]


def import_get(*, import_id: int, user: User) -> FeedbackImport | None:
    """One upload of this person's, or None."""
    return FeedbackImport.objects.filter(pk=import_id, uploaded_by=user).first()
