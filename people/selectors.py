"""Reads on invites and people."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from people.models import ApiToken, Invitation
from people.services import token_hash


def invitations_pending() -> QuerySet[Invitation]:
    """Invites not used or taken back (expired ones too: they may be sent again), newest first."""
    return Invitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True
    ).select_related("invited_by")


def invitation_get(*, invitation_id: int) -> Invitation | None:
    return Invitation.objects.filter(pk=invitation_id).first()


def invitation_for_token(*, token: str) -> Invitation | None:
    """The invite a link's token names (whatever became of it), or None."""
    if len(token) > 200:
        return None
    return (
        Invitation.objects.select_related("invited_by").filter(token_hash=token_hash(token)).first()
    )


def people_list() -> QuerySet[User]:
    """Everyone with an account, active first, by name."""
    return User.objects.order_by("-is_active", "first_name", "last_name", "username")


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    """A person's live API tokens, newest first."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True)


def api_tokens_live() -> QuerySet[ApiToken]:
    """Everyone's live API tokens, newest first, with their owners (the admins' list)."""
    return ApiToken.objects.filter(revoked_at__isnull=True).select_related("user")


def api_token_get(*, token_id: int) -> ApiToken | None:
    return ApiToken.objects.select_related("user").filter(pk=token_id).first()


def api_token_for_key(*, key: str) -> ApiToken | None:
    """The live token a key is, with its owner, or None."""
    if not key or len(key) > 200:
        return None
    return (
        ApiToken.objects.select_related("user")
        .filter(key_hash=token_hash(key), revoked_at__isnull=True)
        .first()
    )
