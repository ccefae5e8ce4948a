"""Every kind of event the audit log keeps, in one list: the page's filter offers these."""

from __future__ import annotations

from django.db import models


class Action(models.TextChoices):
    # Signing in (audit.signals, from Django's own signals: the password form, SSO, Django admin)
    LOGIN = "auth.login", "Signed in"
    LOGIN_FAILED = "auth.login_failed", "Sign-in failed"
    LOGOUT = "auth.logout", "Signed out"
    # People (Django admin's user page, invites, SSO's first sign-in, SCIM)
    USER_CREATED = "user.created", "Person added"
    USER_CHANGED = "user.changed", "Person's details changed"
    ROLE_CHANGED = "user.role_changed", "Role or team changed"
    USER_DEACTIVATED = "user.deactivated", "Person deactivated"
    USER_REACTIVATED = "user.reactivated", "Person reactivated"
    # Single sign-on and provisioning (the group → role mappings, SCIM)
    SSO_MAPPING_CHANGED = "sso.mapping_changed", "Group mapping changed"
    SCIM_TOKEN_CREATED = "scim.token_created", "SCIM token created"
    SCIM_TOKEN_REVOKED = "scim.token_revoked", "SCIM token revoked"
    SCIM_GROUP_CHANGED = "scim.group_changed", "SCIM group changed"
    # API tokens
    TOKEN_CREATED = "token.created", "API token created"
    TOKEN_REVOKED = "token.revoked", "API token revoked"
    # Integrations (the Channels page, Slack)
    INTEGRATION_TESTED = "integration.tested", "Integration test sent"
    INTEGRATION_REMOVED = "integration.removed", "Integration removed"
    # Webhooks (the Webhooks page and API, and their automatic turning off)
    WEBHOOK_CREATED = "webhook.created", "Webhook added"
    WEBHOOK_CHANGED = "webhook.changed", "Webhook changed"
    WEBHOOK_DELETED = "webhook.deleted", "Webhook deleted"
    WEBHOOK_DISABLED = "webhook.disabled", "Webhook turned off after failures"
    # Triage
    SCORING_WEIGHTS_CHANGED = "scoring.weights_changed", "Scoring weights changed"
    # Data leaving the app: recorded by the export (another issue builds it) with
    # changes={"what": ..., "rows": n, "format": ...}.
    DATA_EXPORTED = "data.exported", "Data exported"
