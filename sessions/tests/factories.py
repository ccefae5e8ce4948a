from __future__ import annotations

import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.models import Role, Team
from accounts.tests.factories import UserFactory
from intake.tests.factories import TicketFactory
from sessions.models import AgendaItem, Participant, Session, SessionKind, Topic


class SessionFactory(DjangoModelFactory[Session]):
    """A scheduled workshop three days from now; pass kind/month for a monthly review."""

    class Meta:
        model = Session

    kind = SessionKind.WORKSHOP
    title = factory.Sequence(lambda n: f"Workshop {n}")
    topic = Topic.OTHER
    starts_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=3))
    duration_minutes = 60
    facilitator = factory.SubFactory(UserFactory, role=Role.FACILITATOR, team=Team.PRODUCT)


class ParticipantFactory(DjangoModelFactory[Participant]):
    class Meta:
        model = Participant

    session = factory.SubFactory(SessionFactory)
    user = factory.SubFactory(UserFactory)


class AgendaItemFactory(DjangoModelFactory[AgendaItem]):
    """An agenda item about a waiting ticket."""

    class Meta:
        model = AgendaItem

    session = factory.SubFactory(SessionFactory)
    position = factory.Sequence(lambda n: n + 1)
    ticket = factory.SubFactory(TicketFactory)
