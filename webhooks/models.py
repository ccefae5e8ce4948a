from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class WebhookEndpoint(models.Model):
    """Where an admin asked FeedbackLoop to send events: a URL, the secret deliveries are
    signed with, and which event types (`["*"]` for all)."""

    url = models.URLField(max_length=2000)
    secret = models.CharField(max_length=200)
    events = models.JSONField(default=list)
    description = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Since when every delivery failed (None once one succeeds); a day of it turns it off.
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["url", "id"]

    def __str__(self) -> str:
        return self.url


class WebhookEvent(models.Model):
    """One event as it goes out, kept so that every retry and every "send again" carries the
    same id and the same bytes (`body`, the signed JSON)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=40)
    created_at = models.DateTimeField()
    body = models.TextField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class WebhookDelivery(models.Model):
    """One event to one endpoint: its outbox row (notifications.Notification, which the outbox
    claims, retries and records) and what the endpoint last answered."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    notification = models.OneToOneField(
        "notifications.Notification", on_delete=models.CASCADE, related_name="webhook_delivery"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The last answer: an HTTP status, or 0 for none (a timeout, a refused connection).
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    response_body = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log")]

    def __str__(self) -> str:
        return f"{self.event.type} → {self.endpoint.url}"


class InboundDelivery(models.Model):
    """A tracker's webhook delivery that was acted on, by the id its sender gives it
    (X-GitHub-Delivery, Linear-Delivery): the same delivery again changes nothing."""

    source = models.CharField(max_length=20)
    delivery_id = models.CharField(max_length=100)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "delivery_id"], name="one_inbound_delivery")
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.delivery_id}"
