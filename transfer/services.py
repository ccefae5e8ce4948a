"""Importing feedback from a file: upload (checked and kept for its preview), start, and the
import itself, all or nothing; and the record of an export."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator
from typing import Any

import kombu.exceptions
from django.db import transaction
from django.utils import timezone

import audit
from accounts.models import User
from audit.actions import Action
from core.errors import DomainError
from intake.models import TicketSource
from intake.services import ticket_create
from transfer import exports
from transfer.feedback_csv import FeedbackRow
from transfer.models import FeedbackImport, ImportStatus
from transfer.policies import (
    ensure_may_export,
    ensure_may_group_into_initiatives,
    ensure_may_import_feedback,
)
from transfer.selectors import Preview, import_preview
from triage.models import Initiative
from triage.services import initiative_create, initiative_customer_add

log = logging.getLogger(__name__)

# An import takes minutes for 10,000 rows (README, "Import and export"); one queued longer than
# this without finishing lost its task.
RESUME_AFTER = datetime.timedelta(minutes=30)


def feedback_import_upload(*, by: User, filename: str, data: bytes) -> FeedbackImport:
    """Keep an uploaded file for its preview; a file that cannot be read at all (encoding,
    columns, size) is refused here, a row that cannot be imported is shown on the preview."""
    preview = feedback_file_check(by=by, data=data)
    return FeedbackImport.objects.create(
        uploaded_by=by,
        filename=filename[:255],
        data=data,
        row_count=len(preview.new) + preview.known + len(preview.repeats) + len(preview.errors),
    )


@transaction.atomic
def feedback_import_start(*, feedback_import: FeedbackImport, by: User) -> FeedbackImport:
    """Queue the import of a previewed file with no row errors; a worker runs it."""
    ensure_may_import_feedback(by)
    current = FeedbackImport.objects.select_for_update().get(pk=feedback_import.pk)
    if current.status != ImportStatus.PREVIEWED:
        raise DomainError(
            f"{current.filename} is {current.get_status_display().lower()} already.",
            code="conflict",
        )
    preview = import_preview(data=bytes(current.data))
    if not preview.ready:
        raise DomainError(
            f"{len(preview.errors)} rows cannot be imported; fix them in the file and upload "
            "it again. Nothing was imported.",
            field="file",
        )
    current.status = ImportStatus.QUEUED
    current.queued_at = timezone.now()
    current.save(update_fields=["status", "queued_at"])
    transaction.on_commit(lambda: _enqueue(current.pk))
    return current


def _enqueue(import_id: int) -> None:
    from transfer import tasks  # the task module imports this one

    try:
        tasks.import_feedback.delay(import_id)
    except kombu.exceptions.OperationalError as exc:
        # The file stays queued; the sweep (imports_resume) sends it when the broker is back.
        log.warning("could not queue feedback import %s: %s", import_id, exc)


def imports_resume(*, older_than: datetime.timedelta = RESUME_AFTER) -> int:
    """Queue again the imports queued longer ago than `older_than` and not done: their task
    was lost (the broker down at the time, a worker killed). Running an import twice imports
    once (its status is checked under a row lock). Returns how many were queued again."""
    stuck = list(
        FeedbackImport.objects.filter(
            status=ImportStatus.QUEUED, queued_at__lt=timezone.now() - older_than
        ).values_list("pk", flat=True)
    )
    for import_id in stuck:
        _enqueue(import_id)
    return len(stuck)


def feedback_import_run(*, import_id: int) -> FeedbackImport:
    """Import a queued file in one transaction: every new row becomes a ticket (onto its
    initiative when the file names one), or, if anything refuses, none does and the file is
    marked failed with why. Running it twice imports once."""
    try:
        with transaction.atomic():
            current = FeedbackImport.objects.select_for_update().get(pk=import_id)
            if current.status != ImportStatus.QUEUED:
                return current
            preview = import_preview(data=bytes(current.data))
            if not preview.ready:
                first = preview.errors[0]
                raise DomainError(
                    f"Line {first.line}, {first.column}: {first.message} (the data changed "
                    "since the preview)"
                )
            created = rows_import(preview=preview, by=current.uploaded_by)
            current.status = ImportStatus.DONE
            current.created_count = created
            current.known_count = preview.known
            current.finished_at = timezone.now()
            current.save(update_fields=["status", "created_count", "known_count", "finished_at"])
            return current
    except DomainError as exc:
        return _failed(import_id, exc.message)


def _failed(import_id: int, message: str) -> FeedbackImport:
    current = FeedbackImport.objects.get(pk=import_id)
    current.status = ImportStatus.FAILED
    current.error = f"Nothing was imported: {message}"
    current.finished_at = timezone.now()
    current.save(update_fields=["status", "error", "finished_at"])
    return current


def rows_import(*, preview: Preview, by: User) -> int:
    """File the preview's new rows as tickets, through the intake services (so each has its
    vector and search text), creating the initiatives the file names that do not exist. The
    caller holds the transaction. Returns how many tickets were filed."""
    ensure_may_import_feedback(by)
    if preview.initiatives:
        ensure_may_group_into_initiatives(by)
    onto: dict[str, Initiative] = {}
    for title, found in preview.initiatives.items():
        onto[title] = found or initiative_create(
            by=by, title=title, description="Created by importing feedback from a file."
        )
    for row in preview.new:
        try:
            if row.initiative:
                initiative_customer_add(
                    initiative=onto[row.initiative], submitted_by=by, **_ticket_fields(row)
                )
            else:
                ticket_create(submitted_by=by, **_ticket_fields(row))
        except DomainError as exc:
            raise DomainError(f"Line {row.line}: {exc.message}", field=exc.field) from exc
    return len(preview.new)


def _ticket_fields(row: FeedbackRow) -> dict[str, Any]:
    """ticket_create's fields for a row: the source says it was imported, the reference is the
    row's key (so importing it again finds it), the date is when the customer said it."""
    return {
        "title": row.title,
        "description": row.description,
        "company": row.company,
        "email": row.email,
        "contact_name": row.contact_name,
        "source_team": row.source_team,
        "kind": row.kind,
        "importance": row.importance,
        "tags": row.tags,
        "source": TicketSource.IMPORT,
        "source_reference": row.key,
        "source_sent_at": row.date,
    }


def feedback_file_check(*, by: User, data: bytes) -> Preview:
    """What importing the file would do, as `by`; writes nothing."""
    ensure_may_import_feedback(by)
    preview = import_preview(data=data)
    if preview.initiatives:
        ensure_may_group_into_initiatives(by)
    return preview


def feedback_file_import(*, by: User, data: bytes) -> tuple[Preview, int]:
    """Import a file at once, in this process and one transaction (the management command):
    refused as a whole when a row cannot be imported. Returns the preview and how many
    tickets were filed."""
    with transaction.atomic():
        preview = feedback_file_check(by=by, data=data)
        if not preview.ready:
            return preview, 0
        return preview, rows_import(preview=preview, by=by)


def export_stream(*, by: User, dataset: str, file_format: str) -> Iterator[str]:
    """A dataset (transfer.exports.DATASETS) as CSV or JSON, to stream to `by`; the export is
    recorded first. An unknown dataset or format is not_found."""
    ensure_may_export(by)
    found = exports.DATASETS.get(dataset)
    if found is None or file_format not in exports.FORMATS:
        raise DomainError(
            f"There is no export “{dataset}” as “{file_format}”; there are "
            f"{', '.join(exports.DATASETS)}, as csv or json.",
            code="not_found",
        )
    export_record(by=by, dataset=found, file_format=file_format)
    if file_format == "csv":
        return exports.csv_lines(found)
    return exports.json_chunks(found)


def export_record(*, by: User, dataset: exports.Dataset, file_format: str) -> None:
    """The audit trail's record of data leaving the app: who took which table, how many rows,
    in which format (action data.exported)."""
    audit.record(
        Action.DATA_EXPORTED,
        actor=by,
        target_label=dataset.name,
        changes={"what": dataset.name, "rows": dataset.rows().count(), "format": file_format},
    )
