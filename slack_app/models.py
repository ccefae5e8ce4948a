from __future__ import annotations

from django.db import models


class SlackActivity(models.Model):
    """What the Channels page says of Slack: when a request last came in, and the last thing
    that went wrong (a refused signature, an error from the Web API). One row."""

    last_request_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "Slack activity"

    def __str__(self) -> str:
        return "Slack activity"
