"""Reads for the Slack app: who a Slack user is here, and what the Channels page shows."""

from __future__ import annotations

from accounts.models import User
from intake.models import ProductArea
from intake.selectors import customer_search
from slack_app.models import SlackActivity


def staff_by_email(*, email: str) -> User | None:
    """The one active member of staff with this email (any case); None if nobody, or if two
    accounts share it (filing as either would be a guess)."""
    if not email:
        return None
    users = list(User.objects.filter(email__iexact=email.strip(), is_active=True)[:2])
    return users[0] if len(users) == 1 else None


def slack_activity() -> SlackActivity:
    """The Slack row of the Channels page (an empty one before any request)."""
    return SlackActivity.objects.first() or SlackActivity()


def product_areas() -> list[ProductArea]:
    """The modal's product areas (a Slack menu holds at most 100)."""
    return list(ProductArea.objects.order_by("name")[:100])


def company_suggestions(*, typed: str) -> list[tuple[str, str]]:
    """Known customers whose name starts with what was typed, as (option value, name)."""
    return [(f"customer:{c.pk}", c.name) for c in customer_search(prefix=typed[:200], limit=20)]
