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


class ScimToken(models.Model):
    """A bearer token the identity provider's SCIM client sends (`Authorization: Bearer …`).
    Only its SHA-256 is kept; the token is shown once, when it is made."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "SCIM token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ScimLink(models.Model):
    """A person the provider provisions over SCIM, and its own id for them (`externalId`)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scim_link"
    )
    external_id = models.CharField(max_length=254, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.external_id}"


class ScimGroup(models.Model):
    """A group the provider pushes over SCIM, and who is in it. Its members get the role and
    team a group → role mapping names for it (by display name or the provider's id)."""

    display_name = models.CharField(max_length=200, unique=True)
    external_id = models.CharField(max_length=254, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="scim_groups", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["display_name"]
        verbose_name = "SCIM group"

    def __str__(self) -> str:
        return self.display_name
