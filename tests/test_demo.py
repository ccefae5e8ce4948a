"""`seed_demo`: the demo shows a scheduled monthly review with its agenda and a workshop with
invitees from the first start, and running it again adds nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from sessions.models import Session, SessionKind, SessionStatus

pytestmark = pytest.mark.django_db


def upcoming(kind: str) -> list[Session]:
    return list(
        Session.objects.filter(
            kind=kind, status=SessionStatus.SCHEDULED, starts_at__gt=timezone.now()
        )
    )


def test_the_demo_has_an_upcoming_review_with_its_agenda_and_a_workshop_with_invitees() -> None:
    call_command("seed_demo")

    [review] = upcoming(SessionKind.MONTHLY_REVIEW)
    assert review.agenda.filter(ticket__isnull=False).count() >= 3  # the inbox's waiting asks
    assert review.agenda.filter(initiative__isnull=False).exists()  # the proposed initiatives
    invited = set(review.participants.values_list("user__username", flat=True))
    assert {"pm", "facilitator"} <= invited

    [workshop] = upcoming(SessionKind.WORKSHOP)
    invited = set(workshop.participants.values_list("user__username", flat=True))
    assert {"pm", "sales", "success", "onboarding"} <= invited
    assert workshop.facilitator is not None
    assert workshop.facilitator.username == "facilitator"
    assert timezone.now() < workshop.starts_at < timezone.now() + timedelta(days=10)


def test_seeding_again_schedules_nothing_more() -> None:
    call_command("seed_demo")
    sessions = Session.objects.count()
    call_command("seed_demo")
    assert Session.objects.count() == sessions
