"""Reads on invites and people."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from people.models import Invitation
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
