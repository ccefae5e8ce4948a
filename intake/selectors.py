"""Reads on tickets and customers, each in a fixed number of queries."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Max, Prefetch, Q, QuerySet
from django.urls import reverse

from accounts.models import User
from core.paging import count_up_to
from intake.models import Comment, CommentKind, Contact, Customer, Ticket, TicketStatus

_WORD = re.compile(r"\w+", re.UNICODE)


def _ticket_rows() -> QuerySet[Ticket]:
    # The vectors (1.5 KB each) and full-text vectors are never shown.
    return Ticket.objects.select_related(
        "customer", "contact", "submitted_by", "product_area", "initiative"
    ).defer(
        "search_vector",
        "embedding",
        "customer__name_key",
        "initiative__search_vector",
        "initiative__embedding",
    )


@dataclass(frozen=True)
class TicketFilters:
    status: str = ""
    source_team: str = ""
    source: str = ""
    kind: str = ""
    importance: str = ""
    product_area: str = ""
    company: str = ""
    initiative: int | None = None
    search: str = ""


def query_words(text: str) -> list[str]:
    """The words a full-text search looks for: lower case, two letters or more, the first 30."""
    return [w for w in _WORD.findall(text.lower()) if len(w) > 1][:30]


def any_words_query(text: str) -> SearchQuery | None:
    """A full-text query matching any of the words (stemmed, stop words dropped), or None."""
    words = query_words(text)
    if not words:
        return None
    # One to_tsquery of quoted words joined by | : the same as an OR of one query per word,
    # but a single expression, which Django compiles in microseconds instead of milliseconds.
    # \w+ words hold no quote or backslash, so quoting them is enough.
    raw = " | ".join(f"'{word}'" for word in dict.fromkeys(words))
    return SearchQuery(raw, config="english", search_type="raw")


# A list counts this far ("10,000+"), and a search matching more lists them newest first
# instead of ranking them all: ranking 73,000 tickets that share a common word took 450 ms at
# 1,000,000 tickets, and past a few thousand the best matches are not found by paging anyway.
LIST_COUNT_CAP = 10_000


@dataclass(frozen=True)
class TicketList:
    rows: QuerySet[Ticket]
    count: int | None  # up to LIST_COUNT_CAP + 1 (None: not counted)
    ranked: bool  # best match first (a search with at most LIST_COUNT_CAP matches)
    cap: int  # LIST_COUNT_CAP


def ticket_list(*, filters: TicketFilters, counted: bool = True) -> TicketList:
    """Tickets matching the filters, newest first (best match first when searching, unless the
    search matches more than LIST_COUNT_CAP), and how many, up to the cap (one query; a
    search is counted even when not `counted`, to know whether it is ranked)."""
    tickets = _ticket_rows()
    if filters.status:
        tickets = tickets.filter(status=filters.status)
    if filters.source_team:
        tickets = tickets.filter(source_team=filters.source_team)
    if filters.source:
        tickets = tickets.filter(source=filters.source)
    if filters.kind:
        tickets = tickets.filter(kind=filters.kind)
    if filters.importance:
        tickets = tickets.filter(importance=filters.importance)
    if filters.product_area:
        tickets = tickets.filter(product_area__slug=filters.product_area)
    if filters.company:
        key = " ".join(filters.company.split()).casefold()
        tickets = tickets.filter(customer__name_key__startswith=key)
    if filters.initiative:
        tickets = tickets.filter(initiative_id=filters.initiative)
    query = None
    if filters.search.strip():
        query = SearchQuery(filters.search.strip(), config="english", search_type="websearch")
        tickets = tickets.filter(search_vector=query)
    count = count_up_to(tickets, LIST_COUNT_CAP) if counted or query is not None else None
    ranked = query is not None and count is not None and count <= LIST_COUNT_CAP
    if ranked and query is not None:
        tickets = tickets.annotate(rank=SearchRank(F("search_vector"), query)).order_by(
            "-rank", "-created_at", "-id"
        )
    return TicketList(rows=tickets, count=count, ranked=ranked, cap=LIST_COUNT_CAP)


def tickets_of(*, user: User) -> QuerySet[Ticket]:
    """Everything this person filed, newest first, with where it landed."""
    return _ticket_rows().filter(submitted_by=user)


WAITING_SHOWN = 10


@dataclass(frozen=True)
class WaitingOnYou:
    """The questions a person's tickets wait on: the first `WAITING_SHOWN`, and how many."""

    tickets: Sequence[Ticket]
    count: int


def questions_waiting_on(*, user: User) -> WaitingOnYou:
    """This person's tickets a product manager asked about that wait for their answer, the
    longest-waiting first, each with `.question`, the latest question on it (three queries)."""
    waiting = _ticket_rows().filter(submitted_by=user, status=TicketStatus.NEEDS_INFO)
    questions = (
        Comment.objects.filter(kind=CommentKind.QUESTION)
        .select_related("author")
        .order_by("-created_at", "-id")
    )
    tickets = list(
        waiting.annotate(
            asked_at=Max("comments__created_at", filter=Q(comments__kind=CommentKind.QUESTION))
        )
        .prefetch_related(Prefetch("comments", queryset=questions, to_attr="questions"))
        .order_by(F("asked_at").asc(nulls_first=True), "id")[:WAITING_SHOWN]
    )
    for ticket in tickets:
        ticket.question = ticket.questions[0] if ticket.questions else None  # type: ignore[attr-defined]
    count = len(tickets) if len(tickets) < WAITING_SHOWN else questions_waiting_count(user=user)
    return WaitingOnYou(tickets=tickets, count=count)


def questions_waiting_count(*, user: User) -> int:
    """How many of this person's tickets wait for their answer to a question."""
    return Ticket.objects.filter(submitted_by=user, status=TicketStatus.NEEDS_INFO).count()


def ticket_get(*, ticket_id: int) -> Ticket | None:
    """One ticket with its thread and its duplicates, or None."""
    comments = Comment.objects.select_related("author").order_by("created_at", "id")
    return (
        _ticket_rows()
        .select_related("duplicate_of")
        .prefetch_related(Prefetch("comments", queryset=comments))
        .filter(pk=ticket_id)
        .first()
    )


def tickets_by_id(*, ticket_ids: list[int]) -> list[Ticket]:
    """The tickets with these ids that exist, with their customers, in id order (one query)."""
    return list(
        Ticket.objects.filter(pk__in=ticket_ids)
        .select_related("customer")
        .defer("search_vector", "customer__name_key")
        .order_by("pk")
    )


def customer_search(*, prefix: str, limit: int = 8) -> list[Customer]:
    """Companies whose name starts with what was typed, ignoring case and extra spaces."""
    key = " ".join(prefix.split()).casefold()
    if not key:
        return []
    return list(Customer.objects.filter(Q(name_key__startswith=key)).order_by("name_key")[:limit])


def ticket_counts_of(*, user: User) -> list[tuple[str, str, int]]:
    """How many of this person's tickets are in each status, as (badge, label, count), the
    ones that count for a shipped initiative as "shipped" (Ticket.shipped), in one query."""
    shipped = Q(status__in=TicketStatus.counted(), initiative__status="shipped")
    rows = (
        Ticket.objects.filter(submitted_by=user)
        .annotate(is_shipped=ExpressionWrapper(shipped, output_field=BooleanField()))
        .values("status", "is_shipped")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[str, int] = {}
    for row in rows:
        key = "shipped" if row["is_shipped"] else row["status"]
        counts[key] = counts.get(key, 0) + row["n"]
    labels = {**dict(TicketStatus.choices), "shipped": "Shipped"}
    return [(key, labels[key], counts[key]) for key in labels if key in counts]


def waiting_for_triage_count() -> int:
    """How many tickets wait in the product managers' inbox."""
    return Ticket.objects.filter(status=TicketStatus.NEW).count()


# ---------------------------------------------------------------------------------------------
# May we email a customer contact, and the link that stops it

UNSUBSCRIBE_SALT = "feedbackloop.unsubscribe"


def contact_may_be_emailed(contact: Contact) -> bool:
    """Not unsubscribed, not bouncing, and an address a mail server would take."""
    if contact.unsubscribed_at is not None or contact.bouncing:
        return False
    try:
        validate_email(contact.email)
    except ValidationError:
        return False
    return True


def unsubscribe_url(contact: Contact) -> str:
    token = signing.Signer(salt=UNSUBSCRIBE_SALT).sign(contact.unsubscribe_token)
    return f"{settings.SITE_URL}{reverse('unsubscribe', args=[token])}"


def contact_for_unsubscribe_token(token: str) -> Contact | None:
    """The contact a signed unsubscribe token names, or None if it was tampered with."""
    try:
        raw = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return Contact.objects.select_related("customer").filter(unsubscribe_token=raw).first()
