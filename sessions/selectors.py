"""Reads on sessions, their agendas and their research material, in fixed numbers of queries."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from core.dates import month_next, month_start
from intake.models import Kind, Ticket
from intake.selectors import any_words_query
from sessions.models import (
    AgendaItem,
    ItemComment,
    Participant,
    Session,
    SessionKind,
    SessionStatus,
    Topic,
)
from sessions.services import VOTES_PER_PERSON
from triage.models import Initiative, InitiativeStatus


def _sessions() -> QuerySet[Session]:
    participants = Participant.objects.select_related("user").order_by(
        "user__first_name", "user__username"
    )
    return Session.objects.select_related("facilitator", "product_area").prefetch_related(
        Prefetch("participants", queryset=participants)
    )


def sessions_upcoming(*, now: datetime.datetime | None = None) -> QuerySet[Session]:
    """Scheduled sessions that have not ended, soonest first, with who is invited."""
    now = now or timezone.now()
    return (
        _sessions()
        .filter(status=SessionStatus.SCHEDULED, starts_at__gte=now - datetime.timedelta(hours=8))
        .order_by("starts_at", "id")
    )


def sessions_past(*, now: datetime.datetime | None = None) -> QuerySet[Session]:
    """Closed, cancelled or long-started sessions, newest first."""
    now = now or timezone.now()
    return (
        _sessions()
        .filter(
            ~Q(status=SessionStatus.SCHEDULED) | Q(starts_at__lt=now - datetime.timedelta(hours=8))
        )
        .order_by("-starts_at", "-id")
    )


def _agenda_items() -> QuerySet[AgendaItem]:
    """Agenda items with what each is about and its dots, for many sessions in one query."""
    return (
        AgendaItem.objects.select_related("ticket__customer", "initiative")
        .defer("ticket__search_vector", "initiative__search_vector")
        .annotate(dots=Count("votes"))
        .order_by("position", "id")
    )


def session_list(*, kind: str = "", upcoming: bool | None = None) -> QuerySet[Session]:
    """Sessions with who is invited and their agendas (four queries a page): upcoming ones
    soonest first; past ones, or all, newest first."""
    if upcoming is None:
        sessions = _sessions().order_by("-starts_at", "-id")
    elif upcoming:
        sessions = sessions_upcoming()
    else:
        sessions = sessions_past()
    if kind:
        sessions = sessions.filter(kind=kind)
    return sessions.prefetch_related(Prefetch("agenda", queryset=_agenda_items()))


def sessions_in_month(*, month: datetime.date) -> list[Session]:
    """Every session starting in that month (the calendar), with who is invited."""
    start = timezone.make_aware(datetime.datetime.combine(month_start(month), datetime.time()))
    end = timezone.make_aware(datetime.datetime.combine(month_next(month), datetime.time()))
    return list(_sessions().filter(starts_at__gte=start, starts_at__lt=end))


def session_get(*, session_id: int | str, with_agenda: bool = False) -> Session | None:
    """One session with who is invited; `with_agenda` adds its agenda items and their dots."""
    try:
        pk = int(session_id)
    except (TypeError, ValueError):
        return None
    sessions = _sessions()
    if with_agenda:
        sessions = sessions.prefetch_related(Prefetch("agenda", queryset=_agenda_items()))
    return sessions.filter(pk=pk).first()


def agenda_of(*, session: Session, user: User, by_votes: bool = False) -> list[AgendaItem]:
    """The agenda with what each item is about, its dots (and this person's), its thread."""
    comments = ItemComment.objects.select_related("author").order_by("created_at", "id")
    items = (
        session.agenda.select_related(
            "ticket__customer",
            "ticket__submitted_by",
            "initiative",
            "result",
            "decided_by",
            "deferred_from__session",
        )
        .defer("ticket__search_vector", "initiative__search_vector", "result__search_vector")
        .prefetch_related(Prefetch("comments", queryset=comments))
        .annotate(
            dots=Count("votes", distinct=True),
            my_dots=Count("votes", filter=Q(votes__user=user), distinct=True),
        )
    )
    if by_votes:
        return list(items.order_by("-dots", "position", "id"))
    return list(items.order_by("position", "id"))


def dots_left(*, session: Session, user: User) -> int:
    used = session.agenda.filter(votes__user=user).aggregate(n=Count("votes"))["n"] or 0
    return max(0, VOTES_PER_PERSON - used)


@dataclass(frozen=True)
class Research:
    initiatives: list[Initiative]
    tickets: list[Ticket]


def research_material(*, session: Session, limit: int = 8) -> Research:
    """Tickets and initiatives a workshop could study: by the words of its title and
    description, its topic, product area and tags (two queries)."""
    # The topic's own label stays out of the words: "New customer personas" would match every
    # ticket that mentions a customer. Friction points have a ticket kind of their own.
    query = any_words_query(f"{session.title} {session.description}")
    ticket_match = Q(kind=Kind.FRICTION) if session.topic == Topic.FRICTION_POINTS else Q(pk__in=[])
    initiative_match = Q(pk__in=[])
    if session.tags:
        ticket_match |= Q(tags__overlap=session.tags)
        # An initiative carries the tags of the tickets that count for it.
        initiative_match |= Q(
            pk__in=Ticket.objects.filter(
                tags__overlap=session.tags, initiative__isnull=False
            ).values("initiative_id")
        )
    if session.product_area_id:
        ticket_match |= Q(product_area_id=session.product_area_id)
        initiative_match |= Q(product_area_id=session.product_area_id)
    if query is not None:
        ticket_match |= Q(search_vector=query)
        initiative_match |= Q(search_vector=query)
    tickets = list(
        Ticket.objects.filter(ticket_match)
        .select_related("customer")
        .defer("search_vector")
        .order_by("-importance_rank", "-created_at")[:limit]
    )
    initiatives = list(
        Initiative.objects.filter(initiative_match, status__in=InitiativeStatus.open())
        .defer("search_vector")
        .order_by("-priority_score")[:limit]
    )
    return Research(initiatives=initiatives, tickets=tickets)


def invited(*, session: Session, user: User) -> Participant | None:
    return next((p for p in session.participants.all() if p.user_id == user.pk), None)


def last_review_held(today: datetime.date) -> datetime.datetime | None:
    """When the latest monthly review on or before `today` started (cancelled ones never were)."""
    return (
        Session.objects.filter(kind=SessionKind.MONTHLY_REVIEW)
        .exclude(status=SessionStatus.CANCELLED)
        .filter(starts_at__date__lte=today)
        .order_by("-starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
