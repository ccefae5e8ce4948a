"""Who may schedule and run sessions, take part in them and decide in them.

Each act has a `may_*` answer for pages and templates and an `ensure_may_*` form that refuses
with the words people see. A decider's decisions act through the triage services with the
`Authority` that `decision_authority` grants.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.permissions import Capability, can, ensure_can
from core.errors import DomainError
from triage.policies import Authority, may_triage

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User
    from sessions.models import Session


def _invited(user: User | AnonymousUser, session: Session) -> bool:
    return user.is_authenticated and session.participants.filter(user_id=user.pk).exists()


def may_run_sessions(user: User | AnonymousUser) -> bool:
    """Facilitators and product managers schedule, invite to, reschedule and cancel sessions
    and keep their agendas and notes."""
    return can(user, Capability.RUN_SESSIONS)


def ensure_may_run_sessions(user: User | AnonymousUser) -> None:
    """The organizers' pages and API calls refuse other roles."""
    ensure_can(user, Capability.RUN_SESSIONS)


def ensure_may_organize(user: User | AnonymousUser) -> None:
    """What the scheduling and agenda services check: the same rule, in their words."""
    if not may_run_sessions(user):
        raise DomainError(
            "Only facilitators and product managers schedule and run sessions.", code="forbidden"
        )


def may_decide(user: User | AnonymousUser, session: Session) -> bool:
    """The session's facilitator or a PM decides; a review the beat task made (no facilitator
    yet) is run by any facilitator."""
    if not user.is_authenticated:
        return False
    if user.pk == session.facilitator_id or may_triage(user):
        return True
    return session.facilitator_id is None and may_run_sessions(user)


def ensure_may_decide(user: User | AnonymousUser, session: Session) -> None:
    if not may_decide(user, session):
        raise DomainError(
            "Only the session's facilitator or a product manager records decisions.",
            code="forbidden",
        )


def decision_authority(user: User, session: Session) -> Authority:
    """The leave a decider's decisions in this session need to act through the triage services;
    refused to anyone who does not decide here."""
    ensure_may_decide(user, session)
    return Authority(user_id=user.pk, session_id=session.pk)


def may_take_part(user: User | AnonymousUser, session: Session) -> bool:
    """Whoever is invited (and any organizer) comments, votes and keeps notes."""
    return may_run_sessions(user) or _invited(user, session)


def ensure_may_take_part(user: User | AnonymousUser, session: Session) -> None:
    if not may_take_part(user, session):
        raise DomainError("Only people invited to this session take part.", code="forbidden")


def ensure_may_record_outcome(user: User | AnonymousUser, session: Session) -> None:
    """A workshop's outcomes come from the people taking part in it."""
    if not may_take_part(user, session):
        raise DomainError("Only people in the session record its outcomes.", code="forbidden")


def may_rsvp(user: User | AnonymousUser, session: Session) -> bool:
    """Only the people invited answer an invitation."""
    return _invited(user, session)


def asked_to_answer(user: User | AnonymousUser, session: Session) -> bool:
    """Whom the page asks "will you come?": the invitees, not the organiser (she comes)."""
    return may_rsvp(user, session) and user.pk != session.facilitator_id


def ensure_may_rsvp(user: User | AnonymousUser, session: Session) -> None:
    if not may_rsvp(user, session):
        raise DomainError("You are not invited to this session.", code="forbidden")
