from __future__ import annotations

from django.db import models


class Via(models.TextChoices):
    """The two ways an email reaches us; both end in email_intake.services.email_receive."""

    WEBHOOK = "webhook", "Provider webhook"
    IMAP = "imap", "IMAP mailbox"


class Outcome(models.TextChoices):
    FILED = "filed", "Filed as a ticket"
    NOT_FILED = "not_filed", "Not filed; the rep was told why"
    NOT_STAFF = "not_staff", "Not from staff"
    DROPPED = "dropped", "Automatic mail, dropped"


class InboundEmail(models.Model):
    """One email received at the feedback address, whatever became of it.

    `message_key` (the Message-ID, or a hash of the message when it has none) is unique, so the
    same message delivered twice, or through both ways in, is handled once: the second insert
    waits for the first transaction and then fails. The raw message is kept for support and
    emptied after RAW_KEEP_DAYS (email_intake.services.inbound_raw_purge); the row stays, so a
    late redelivery is still recognised.
    """

    message_key = models.CharField(max_length=500, unique=True)
    via = models.CharField(max_length=10, choices=Via.choices)
    received_at = models.DateTimeField(auto_now_add=True)
    sender = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    size = models.PositiveIntegerField()
    raw = models.BinaryField(null=True, blank=True, editable=False)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    # Why it was not filed, in the words the rep was told (or why it was dropped).
    detail = models.CharField(max_length=500, blank=True)
    ticket = models.ForeignKey(
        "intake.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["via", "-received_at"], name="inbound_email_latest"),
            # The purge finds the old rows that still hold their message.
            models.Index(
                fields=["received_at"],
                condition=models.Q(raw__isnull=False),
                name="inbound_email_raw_kept",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()}: {self.subject or self.message_key}"


class WayInHealth(models.Model):
    """How a way in last went, for the admins' Channels page: the last error (a mailbox that
    refused the login, a message whose filing failed and will be tried again) and the last
    time it worked. Written outside the failed transaction; one row per way in."""

    via = models.CharField(max_length=10, choices=Via.choices, unique=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.via}: {self.last_error or 'ok'}"
