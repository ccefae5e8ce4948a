from __future__ import annotations

import datetime

from django.utils import timezone

from accounts.models import Role, Team
from people.models import Invitation
from people.services import token_hash


def invitation_with_token(
    *, email: str = "new@staff.example", token: str = "a-token-for-tests", days: int = 7, **fields
) -> tuple[Invitation, str]:
    """An open invitation whose link's token is known (the real one is only ever emailed)."""
    now = timezone.now()
    invitation = Invitation.objects.create(
        email=email,
        role=fields.pop("role", Role.SUBMITTER),
        team=fields.pop("team", Team.SALES),
        token_hash=token_hash(token),
        sent_at=now,
        expires_at=now + datetime.timedelta(days=days),
        **fields,
    )
    return invitation, token


def api_key_for(user, name: str = "tests") -> str:
    """A new API token of `user`'s, and its key (as the Account page shows it, once)."""
    from people.services import api_token_create

    return api_token_create(user=user, name=name)[1]
