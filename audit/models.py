from __future__ import annotations

import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from audit.actions import Action


class AuditEvent(models.Model):
    """One security-relevant event. Rows are only ever added (audit.services.event_record)."""

    created_at = models.DateTimeField(default=timezone.now)
    # The person who acted; none for the system, an identity provider or an anonymous caller.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Their name then (a deleted account keeps it), or who else acted ("SCIM: okta").
    actor_name = models.CharField(max_length=200, blank=True)
    # One of audit.actions.Action (no choices here: a new action needs no migration).
    action = models.CharField(max_length=64)
    # What it was done to: its kind ("user", "api token"), id and name at the time.
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    # From where: the address and browser of the request, when there was one.
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    # What changed: {"field": [before, after]}, or details of the event.
    changes = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="audit_newest"),
            models.Index(fields=["action", "-created_at"], name="audit_action_newest"),
            models.Index(fields=["actor", "-created_at"], name="audit_actor_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.action_label} by {self.actor_name or 'nobody'}"

    @property
    def action_label(self) -> str:
        """The action in words ("Signed in"), or its code for one no longer listed."""
        try:
            return str(Action(self.action).label)
        except ValueError:
            return self.action

    def change_lines(self) -> list[tuple[str, str]]:
        """What changed, one (name, text) line each: "before → after" for a changed field."""
        lines = []
        for name, value in self.changes.items():
            if isinstance(value, list) and len(value) == 2:
                before, after = (_said(part) for part in value)
                lines.append((name, f"{before} → {after}"))
            else:
                lines.append((name, _said(value)))
        return lines


def _said(value: object) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)
