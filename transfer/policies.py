"""Who may bring feedback in from a file and take everything out.

Importing fills the inbox product managers triage, and may group rows into initiatives (a
product manager's call: triage.policies); exporting hands out every customer's name and email.
Both are for product managers and admins; grouping into initiatives for product managers only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.permissions import Capability, can
from core.errors import DomainError
from triage.policies import may_triage

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def may_import_feedback(user: User | AnonymousUser) -> bool:
    return can(user, Capability.TRIAGE) or can(user, Capability.ADMINISTER)


def ensure_may_import_feedback(user: User | AnonymousUser) -> None:
    if not may_import_feedback(user):
        raise DomainError("Only product managers and admins import feedback.", code="forbidden")


def ensure_may_group_into_initiatives(user: User | AnonymousUser) -> None:
    """A file's initiative column files rows onto initiatives, which is triage."""
    if not may_triage(user):
        raise DomainError(
            "Grouping imported feedback into initiatives is a product manager's call: remove "
            "the initiative column, or ask a product manager to import the file.",
            field="file",
            code="forbidden",
        )


def may_export(user: User | AnonymousUser) -> bool:
    return can(user, Capability.TRIAGE) or can(user, Capability.ADMINISTER)


def ensure_may_export(user: User | AnonymousUser) -> None:
    if not may_export(user):
        raise DomainError(
            "Only product managers and admins export FeedbackLoop's data.", code="forbidden"
        )
