from __future__ import annotations

from django.conf import settings
from django.db import models

from accounts.models import Role, Team


class SsoIdentity(models.Model):
    """Who a person is at the identity provider: its issuer and subject (`sub`), which never
    change, unlike an email address. The first sign-in links it; later ones find the person
    by it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identities"
    )
    issuer = models.CharField(max_length=300)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="sso_identity_unique")
        ]
        verbose_name = "single sign-on identity"
        verbose_name_plural = "single sign-on identities"

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"


class GroupMapping(models.Model):
    """A group at the identity provider (a `groups` claim value, or a SCIM group's name) and the
    role and team its members get here. A member of several gets the highest role; the team of
    the first mapping (by position) that names one."""

    group = models.CharField(
        max_length=200,
        unique=True,
        help_text="The group's name (or id) exactly as the provider sends it in the groups claim.",
    )
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.SUBMITTER)
    team = models.CharField(max_length=32, choices=Team.choices, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "group"]
        verbose_name = "group → role mapping"

    def __str__(self) -> str:
        return f"{self.group} → {self.get_role_display()}"
