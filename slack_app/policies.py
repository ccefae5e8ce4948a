"""Who may use the Slack app's parts.

Filing from Slack is filing a ticket (intake.policies) as the staff user the Slack account
matches; sending a test message is an admin's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.permissions import Capability, can, ensure_can

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def may_test_slack(user: User | AnonymousUser) -> bool:
    """Admins check the connection with a test message."""
    return can(user, Capability.ADMINISTER)


def ensure_may_test_slack(user: User | AnonymousUser) -> None:
    ensure_can(user, Capability.ADMINISTER)
