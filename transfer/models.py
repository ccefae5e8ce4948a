"""A feedback file uploaded for import: kept from its preview until it is imported (or not)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", "Previewed"
    QUEUED = "queued", "Importing"
    DONE = "done", "Imported"
    FAILED = "failed", "Failed"


class FeedbackImport(models.Model):
    """One uploaded CSV: its text as uploaded, and what importing it did. Importing runs on a
    worker, in one transaction: every new row becomes a ticket, or none does."""

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="feedback_imports"
    )
    filename = models.CharField(max_length=255)
    data = models.BinaryField()
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED
    )
    row_count = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    known_count = models.PositiveIntegerField(
        default=0, help_text="Rows imported before (by an earlier file), left as they are"
    )
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When Import was pressed: a file queued for long was lost by the broker (tasks.resume).
    queued_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"
