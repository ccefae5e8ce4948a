"""Reads on sessions, their agendas and their research material, in fixed numbers of queries."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Value
from django.utils import timezone

from accounts.models import User
from core.dates import month_next, month_start
from intake.models import Ticket, TicketStatus
from intake.selectors import query_words
from sessions.models import (
    AgendaItem,
    ItemComment,
    Participant,
    Session,
    SessionKind,
    SessionStatus,
)
from sessions.services import VOTES_PER_PERSON
from triage import similarity
from triage.models import Initiative, InitiativeStatus
from triage.selectors import SimilarFeedback, similar_feedback


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


def _agenda_rows(session: Session, user: User) -> QuerySet[AgendaItem]:
    """Agenda items with what each is about, its dots (and this person's), its thread."""
    comments = ItemComment.objects.select_related("author").order_by("created_at", "id")
    return (
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


def agenda_of(*, session: Session, user: User, by_votes: bool = False) -> list[AgendaItem]:
    """The agenda with what each item is about, its dots (and this person's), its thread."""
    items = _agenda_rows(session, user)
    if by_votes:
        return list(items.order_by(F("dots").desc(), "position", "id"))
    return list(items.order_by("position", "id"))


def agenda_item_of(*, session: Session, user: User, item_id: int) -> AgendaItem | None:
    """One agenda item as the agenda shows it (after a change to it, for its fragment)."""
    item = _agenda_rows(session, user).filter(pk=item_id).first()
    if item is not None:
        item.session = session
    return item


# What the agenda's search offers of each kind.
AGENDA_SEARCH_SHOWN = 6


@dataclass(frozen=True)
class AgendaCandidates:
    """Tickets and initiatives a search found to add to an agenda; each has `.on_agenda`."""

    tickets: Sequence[Ticket]
    initiatives: Sequence[Initiative]

    def __bool__(self) -> bool:
        return bool(self.tickets or self.initiatives)


def _prefix_query(text: str) -> SearchQuery | None:
    """Every word, each as typed so far ("sing sig" finds "single sign-on"), or None."""
    words = query_words(text)
    if not words:
        return None
    raw = " & ".join(f"'{word}':*" for word in dict.fromkeys(words))
    return SearchQuery(raw, config="english", search_type="raw")


def agenda_candidates(
    *, session: Session, text: str, limit: int = AGENDA_SEARCH_SHOWN
) -> AgendaCandidates:
    """Waiting or linked tickets and open initiatives whose words start as `text`'s do, best
    first, or the ones numbered "#12" or "12" (two queries)."""
    text = text.strip()
    number = text.lstrip("#")
    if number.isdigit() and len(number) < 10:
        match = Q(pk=int(number))
        rank: Any = Value(1.0)
    else:
        query = _prefix_query(text)
        if query is None:
            return AgendaCandidates(tickets=[], initiatives=[])
        match = Q(search_vector=query)
        rank = SearchRank(F("search_vector"), query)
    tickets = list(
        Ticket.objects.filter(match, status__in=[*TicketStatus.untriaged(), TicketStatus.LINKED])
        .select_related("customer")
        .defer("search_vector", "embedding", "customer__name_key")
        .annotate(
            rank=rank,
            on_agenda=Exists(session.agenda.filter(ticket=OuterRef("pk"))),
        )
        .order_by("-rank", "-importance_rank", "-created_at")[:limit]
    )
    initiatives = list(
        Initiative.objects.filter(match, status__in=InitiativeStatus.open())
        .defer("search_vector", "embedding")
        .annotate(
            rank=rank,
            on_agenda=Exists(session.agenda.filter(initiative=OuterRef("pk"))),
        )
        .order_by("-rank", "-priority_score")[:limit]
    )
    return AgendaCandidates(tickets=tickets, initiatives=initiatives)


def dots_left(*, session: Session, user: User) -> int:
    used = session.agenda.filter(votes__user=user).aggregate(n=Count("votes"))["n"] or 0
    return max(0, VOTES_PER_PERSON - used)


# What a workshop page lists of each kind, best first.
RESEARCH_SHOWN = 6
# Similar feedback's floor, without its cut to what is near the best match: a workshop studies
# everything on its topic, not only the closest ask.
RESEARCH_BLEND = dataclasses.replace(similarity.BLEND, near_best=0.0)


def _research_text(session: Session) -> str:
    # The topic's label stays out: "New customer personas" is close to every ticket about a
    # customer, and "Friction points" to every complaint.
    return " ".join([session.title, session.description, *session.tags])[:2000]


def research_material(*, session: Session, limit: int = RESEARCH_SHOWN) -> SimilarFeedback:
    """Initiatives (any status) and waiting tickets a workshop could study: those similar
    feedback finds close to its title, description and tags, over its relevance floor, best
    first and at most `limit` of each (triage.selectors.similar_feedback's queries)."""
    return similar_feedback(text=_research_text(session), limit=limit, blend=RESEARCH_BLEND)


# How many people the invitee search offers at once.
PEOPLE_SHOWN = 8


def invitee_candidates(
    *, text: str, exclude: Sequence[int] = (), limit: int = PEOPLE_SHOWN
) -> list[User]:
    """Active people whose name, username or email holds every word of `text`, by name, except
    those in `exclude` (already chosen, or the organiser); one query."""
    words = text.split()[:5]
    if not words:
        return []
    people = User.objects.filter(is_active=True).exclude(pk__in=list(exclude))
    for word in words:
        people = people.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(username__icontains=word)
            | Q(email__icontains=word)
        )
    return list(people.order_by("first_name", "last_name", "username")[:limit])


def people_by_id(*, user_ids: Sequence[int]) -> list[User]:
    """The active people with these ids, in the order given (one query)."""
    found = {u.pk: u for u in User.objects.filter(pk__in=list(user_ids), is_active=True)}
    return [found[pk] for pk in dict.fromkeys(user_ids) if pk in found]


def team_members(*, team: str, exclude: Sequence[int] = ()) -> list[User]:
    """Everyone active in a team (a whole team is invited at once), by name; one query."""
    return list(
        User.objects.filter(is_active=True, team=team)
        .exclude(pk__in=list(exclude))
        .order_by("first_name", "last_name", "username")
    )


def team_sizes() -> dict[str, int]:
    """How many active people each team has, for the "add a whole team" menu; one query."""
    return dict(
        User.objects.filter(is_active=True).values_list("team").annotate(n=Count("id")).order_by()
    )


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
