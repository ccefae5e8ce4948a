from __future__ import annotations

from django.conf import settings
from django.db import models


class NotificationKind(models.TextChoices):
    CUSTOMER_SHIPPED = "customer_shipped", "Customer: your feedback shipped"
    STAFF_SHIPPED = "staff_shipped", "Your customers were told something shipped"
    STAFF_QUESTION = "staff_question", "A question on your ticket"
    STAFF_ANSWER = "staff_answer", "An answer to your question"
    STAFF_DECLINED = "staff_declined", "Your ticket was declined"
    STAFF_LINKED = "staff_linked", "Your ticket was linked to an initiative"
    STAFF_DUPLICATE = "staff_duplicate", "Your ticket was marked a duplicate"
    STAFF_SAME_ASK = "staff_same_ask", "Tickets called the same ask made an initiative you own"
    SESSION_INVITE = "session_invite", "An invite to a session (or its change)"
    SESSION_REMINDER = "session_reminder", "A reminder the day before a session"
    SESSION_SUMMARY = "session_summary", "The summary of a session you were in"
    EMAIL_FILED = "email_filed", "Your forwarded email was filed"
    EMAIL_NOT_FILED = "email_not_filed", "Your forwarded email could not be filed"
    EMAIL_NOT_STAFF = "email_not_staff", "The feedback address only takes mail from staff"
    CHANNEL_TEST = "channel_test", "A test from the Channels page"
    ACCOUNT_INVITE = "account_invite", "An invite to join FeedbackLoop"
    SLACK_CUSTOMER_TOLD = "slack_customer_told", "Slack: your customer was told"
    SLACK_SHIPPED = "slack_shipped", "Slack: an initiative shipped, and who asked"
    SLACK_NOT_STAFF = "slack_not_staff", "Slack: ask an admin to add you"
    SLACK_TEST = "slack_test", "Slack: a test message"
    WEBHOOK = "webhook", "Webhook: an event sent to an endpoint"
    WEBHOOK_DISABLED = (
        "webhook_disabled",
        "A webhook endpoint was turned off after a day of failures",
    )


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SUPPRESSED = "suppressed", "Suppressed"


class Notification(models.Model):
    """The outbox: one message to send (an email, or a post on a channel an app registered,
    notifications.registry), written in the transaction of the change that causes it.

    `idempotency_key` makes recording the same message twice impossible; a worker claims each
    row just before sending it with an UPDATE that only one worker can win, so two of them never
    send the same one (notifications.services.notifications_deliver).
    """

    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    idempotency_key = models.CharField(max_length=200, unique=True)
    recipient_email = models.EmailField(max_length=254)
    # Where a row on another channel goes when the recipient's email does not say it: a Slack
    # user or channel id. Empty for email.
    recipient_address = models.CharField(max_length=255, blank=True, default="")
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    contact = models.ForeignKey(
        "intake.Contact", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    ticket = models.ForeignKey(
        "intake.Ticket", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    initiative = models.ForeignKey(
        "triage.Initiative",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    # A calendar invite (iCalendar text) sent as an attachment, for session invites.
    ics = models.TextField(blank=True)
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # How often the sweep found it left `sending` by a worker that stopped (notifications.retry).
    stalls = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    message_id = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notification_due"),
            models.Index(fields=["initiative", "status"], name="notification_initiative"),
            # When each customer of a shipped initiative was told (insights.figures.closed_loop
            # looks it up for every ticket of the initiatives shipped in a period).
            models.Index(
                fields=["initiative", "contact", "-created_at", "-id"],
                include=["sent_at"],
                condition=models.Q(kind="customer_shipped", status="sent"),
                name="notification_customer_told",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient_email}"


class Notice(models.Model):
    """An in-app notice for a member of staff (the bell and its unread count)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices"
    )
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    text = models.CharField(max_length=500)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notice_unread")]

    def __str__(self) -> str:
        return self.text


class EmailPreference(models.Model):
    """A staff member switched off email for one kind of notice (the in-app notice stays)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_opt_outs"
    )
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_opt_out_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.user}: no email for {self.kind}"
