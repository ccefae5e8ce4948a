"""Writes on customers, contacts, tickets and their threads. Form and API both call these."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, models, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from core.embeddings import VECTOR_BYTES, item_embeddings
from core.errors import DomainError
from core.events import EventType, announce
from core.text import MESSAGE_MAX, TEXT_MAX, TITLE_MAX, line_clean, text_clean
from core.workers import ask_once
from intake import lifecycle
from intake.models import (
    Comment,
    CommentKind,
    Contact,
    Customer,
    Importance,
    Kind,
    ProductArea,
    Segment,
    SourceTeam,
    Ticket,
    TicketSource,
    TicketStatus,
    embedding_size,
    without_current_vector,
)
from intake.policies import (
    ensure_may_answer,
    ensure_may_ask,
    ensure_may_comment,
    ensure_may_edit_ticket,
    ensure_may_file_ticket,
)
from notifications.models import NotificationKind
from notifications.services import notices_mark_read, notifications_suppress, staff_notify

TAGS_MAX = 10
TAG_MAX = 40
REVENUE_MAX = Decimal("999999999999.99")


def company_name_clean(name: str) -> str:
    """Collapse runs of white space; the key used for uniqueness is this, case-folded."""
    return line_clean(name, field="company", label="The company name", limit=10_000, required=False)


def email_clean(email: str, *, field: str = "email") -> str:
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise DomainError(f"“{email}” is not a valid email address.", field=field) from exc
    if len(email) > 254:
        raise DomainError("That email address is too long.", field=field)
    local, _, domain = email.rpartition("@")
    if len(local) > 64:
        # RFC 5321: a mail server may refuse a longer local part, so the customer never hears.
        raise DomainError(
            "The part before the @ is longer than 64 characters; check the address.", field=field
        )
    return f"{local}@{domain.lower()}".lower()


def tags_clean(tags: list[str] | tuple[str, ...]) -> list[str]:
    """Lower-case tags without repeats, at most TAGS_MAX of at most TAG_MAX characters. The
    count is checked first, so a huge list costs nothing."""
    if len(tags) > TAGS_MAX:
        raise DomainError(f"At most {TAGS_MAX} tags, please.", field="tags")
    cleaned: dict[str, None] = {}
    for tag in tags:
        tag = line_clean(str(tag), field="tags", label="A tag", limit=TAG_MAX * 4, required=False)
        tag = tag.lower()
        if not tag:
            continue
        if len(tag) > TAG_MAX:
            raise DomainError(
                f"Tags are at most {TAG_MAX} characters: “{tag[:20]}…”.", field="tags"
            )
        cleaned[tag] = None
    return list(cleaned)


def revenue_clean(
    value: Decimal | str | None, *, field: str = "revenue_at_stake"
) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation as exc:
        raise DomainError("Enter an amount like 25000 or 25000.50.", field=field) from exc
    if not amount.is_finite():
        raise DomainError("Enter an amount like 25000 or 25000.50.", field=field)
    if amount < 0:
        raise DomainError("The amount can't be negative.", field=field)
    if amount > REVENUE_MAX:
        raise DomainError("That amount is too large.", field=field)
    return amount.quantize(Decimal("0.01"))


def _choice_clean(
    value: str, choices: type[SourceTeam | Kind | Importance | TicketSource | Segment], field: str
) -> str:
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise DomainError(f"“{value}” is not one of: {allowed}.", field=field)
    return value


def customer_get_or_create(
    *, company: str, segment: str = "", annual_revenue: Decimal | None = None
) -> Customer:
    """The customer of that name, created if new; 'ACME  inc' and 'Acme Inc' are one company.

    A new company takes `segment` (blank: Other). A known one keeps the segment it has, unless
    that is still Other: then the one chosen now fills it in, as a contact's missing name is."""
    name = company_name_clean(company)
    if not name:
        raise DomainError("Enter the customer's company name.", field="company")
    if len(name) > 200:
        raise DomainError("Company names are at most 200 characters.", field="company")
    defaults: dict[str, object] = {"name": name}
    if segment:
        defaults["segment"] = _choice_clean(segment, Segment, "segment")
    if annual_revenue is not None:
        defaults["annual_revenue"] = annual_revenue
    customer, created = Customer.objects.get_or_create(name_key=name.casefold(), defaults=defaults)
    if not created and segment and customer.segment == Segment.OTHER and segment != Segment.OTHER:
        customer.segment = segment
        customer.save(update_fields=["segment"])
    return customer


def contact_get_or_create(*, customer: Customer, email: str, name: str = "") -> Contact:
    """The contact with that email at this customer, created if new; one row per email."""
    email = email_clean(email)
    name = line_clean(
        name, field="contact_name", label="The contact's name", limit=200, required=False
    )
    contact, created = Contact.objects.get_or_create(
        email=email, defaults={"customer": customer, "name": name}
    )
    if contact.customer_id != customer.pk:
        raise DomainError(
            f"{email} is already a contact at {contact.customer.name}, not {customer.name}.",
            field="email",
            # The request is well formed; what is known already disagrees with it.
            code="conflict",
        )
    if not created and name and not contact.name:
        contact.name = name
        contact.save(update_fields=["name"])
    return contact


def product_area_by_slug(slug: str | None) -> ProductArea | None:
    if not slug:
        return None
    area = ProductArea.objects.filter(slug=slug).first()
    if area is None:
        raise DomainError(f"There is no product area “{slug}”.", field="product_area")
    return area


@transaction.atomic
def ticket_create(
    *,
    submitted_by: User,
    title: str,
    description: str,
    company: str,
    email: str,
    contact_name: str = "",
    segment: str = "",
    source_team: str,
    kind: str,
    importance: str,
    revenue_at_stake: Decimal | str | None = None,
    product_area: ProductArea | None = None,
    tags: list[str] | tuple[str, ...] = (),
    source: str = TicketSource.WEB,
    source_reference: str = "",
    source_sender: str = "",
    source_sent_at: datetime.datetime | None = None,
) -> Ticket:
    """File a ticket for a customer; it waits in the inbox. A new customer takes `segment`
    (customer_get_or_create). (Filing straight onto an initiative is triage's
    `initiative_customer_add`.) `source` says which way it came in; the `source_*` fields
    point at the original (an email's Message-ID, sender and date)."""
    ensure_may_file_ticket(submitted_by)
    fields = {
        "title": line_clean(
            title, field="title", label="The title", limit=TITLE_MAX, required=True
        ),
        "description": text_clean(
            description,
            field="description",
            label="What the customer said",
            limit=TEXT_MAX,
            required=True,
        ),
        "source_team": _choice_clean(source_team, SourceTeam, "source_team"),
        "kind": _choice_clean(kind, Kind, "kind"),
        "importance": _choice_clean(importance, Importance, "importance"),
        "revenue_at_stake": revenue_clean(revenue_at_stake),
        "tags": tags_clean(tags),
        "source": _choice_clean(source, TicketSource, "source"),
        "source_reference": line_clean(
            source_reference,
            field="source_reference",
            label="The source reference",
            limit=500,
            required=False,
        ),
        "source_sender": line_clean(
            source_sender, field="source_sender", label="The sender", limit=320, required=False
        ),
        "source_sent_at": source_sent_at,
    }
    email = email_clean(email)
    customer = customer_get_or_create(company=company, segment=segment)
    contact = contact_get_or_create(customer=customer, email=email, name=contact_name)
    ticket = Ticket.objects.create(
        submitted_by=submitted_by,
        customer=customer,
        contact=contact,
        product_area=product_area,
        **fields,
    )
    announce(EventType.TICKET_CREATED, ticket)
    tickets_embed_soon()
    return ticket


@transaction.atomic
def ticket_update(
    *,
    ticket: Ticket,
    by: User,
    title: str,
    description: str,
    source_team: str,
    kind: str,
    importance: str,
    revenue_at_stake: Decimal | str | None = None,
    product_area: ProductArea | None = None,
    tags: list[str] | tuple[str, ...] = (),
) -> Ticket:
    """The submitter corrects their ticket; only until a product manager has triaged it."""
    ensure_may_edit_ticket(by, ticket)
    if ticket.status not in TicketStatus.untriaged():
        raise DomainError(
            "This ticket has been triaged; add a comment instead of editing it.", code="conflict"
        )
    ticket.title = line_clean(
        title, field="title", label="The title", limit=TITLE_MAX, required=True
    )
    ticket.description = text_clean(
        description,
        field="description",
        label="What the customer said",
        limit=TEXT_MAX,
        required=True,
    )
    ticket.source_team = _choice_clean(source_team, SourceTeam, "source_team")
    ticket.kind = _choice_clean(kind, Kind, "kind")
    ticket.importance = _choice_clean(importance, Importance, "importance")
    ticket.revenue_at_stake = revenue_clean(revenue_at_stake)
    ticket.product_area = product_area
    ticket.tags = tags_clean(tags)
    # Its vector is of the old words: a worker makes the new one.
    ticket.embedding = None
    ticket.save()
    tickets_embed_soon()
    return ticket


@transaction.atomic
def ticket_company_name(*, ticket: Ticket, by: User, company: str) -> Ticket:
    """Name the company of a customer known only by a personal address (a ticket emailed from
    gmail.com, say): its contact and its tickets move to that company, and the stand-in goes.
    Only while its tickets wait, so no initiative's score changes under a PM's eyes."""
    ensure_may_edit_ticket(by, ticket)
    stand_in = ticket.customer
    if not stand_in.is_unnamed:
        raise DomainError(f"This ticket's company is {stand_in.name} already.", code="conflict")
    if stand_in.tickets.exclude(status__in=TicketStatus.untriaged()).exists():
        raise DomainError(
            "A product manager has triaged this customer's tickets; ask them to change it.",
            code="conflict",
        )
    customer = customer_get_or_create(company=company)
    if customer.pk == stand_in.pk:
        raise DomainError("Enter the company's name, not an email address.", field="company")
    stand_in.tickets.update(customer=customer, updated_at=timezone.now())
    stand_in.contacts.update(customer=customer)
    stand_in.delete()
    ticket.refresh_from_db()
    return ticket


@transaction.atomic
def comment_add(
    *, ticket: Ticket, author: User, body: str, kind: str = CommentKind.COMMENT
) -> Comment:
    """Add to a ticket's thread. A PM's question puts the ticket on hold (needs_info) and tells
    the submitter; the submitter's answer sends it back to the inbox."""
    if kind not in CommentKind.values:
        raise DomainError(f"“{kind}” is not one of: {', '.join(CommentKind.values)}.", field="kind")
    body = text_clean(body, field="body", label="The message", limit=MESSAGE_MAX, required=True)
    ensure_may_comment(author)
    if kind == CommentKind.QUESTION:
        ensure_may_ask(author, ticket)
        lifecycle.ticket_to_needs_info(ticket=ticket)
    if kind == CommentKind.ANSWER:
        ensure_may_answer(author, ticket)
    answered = kind == CommentKind.ANSWER and lifecycle.ticket_answered(ticket=ticket)
    comment = Comment.objects.create(ticket=ticket, author=author, body=body, kind=kind)
    url = reverse("intake:detail", args=[ticket.pk])
    if kind == CommentKind.QUESTION:
        staff_notify(
            user=ticket.submitted_by,
            kind=NotificationKind.STAFF_QUESTION,
            text=f"{author.display_name} asked about “{ticket.title}” ({ticket.customer.name})",
            details=body,
            url=url,
            idempotency_key=f"question:{comment.pk}",
        )
    if kind == CommentKind.ANSWER:
        # The question was what the notice was about: answered, it is read.
        notices_mark_read(user=author, url=url)
    if kind == CommentKind.ANSWER and answered:
        asker = (
            Comment.objects.filter(ticket=ticket, kind=CommentKind.QUESTION)
            .select_related("author")
            .last()
        )
        if asker is not None:
            staff_notify(
                user=asker.author,
                kind=NotificationKind.STAFF_ANSWER,
                text=f"{author.display_name} answered on “{ticket.title}”",
                details=body,
                url=url,
                idempotency_key=f"answer:{comment.pk}",
            )
    return comment


@transaction.atomic
def contact_unsubscribe(*, contact: Contact) -> Contact:
    """Never email this contact again, including emails already waiting to go."""
    if contact.unsubscribed_at is None:
        contact.unsubscribed_at = timezone.now()
        contact.save(update_fields=["unsubscribed_at"])
    notifications_suppress(contact_id=contact.pk, reason="contact unsubscribed")
    return contact


# ---------------------------------------------------------------------------------------------
# Vectors: a ticket is filed without one and a worker embeds it a moment later (the model takes
# 8 ms of CPU a text, half of what filing through the API costs otherwise). Until then it is
# found by its words and embedded on the spot where it is scored (triage.similarity).

EMBED_TICKETS = "intake.tasks.embed_tickets"
# Asked for at most once in this long while a run is pending; a run clears it as it starts.
_EMBED_ASKED_KEY = "intake:embed-tickets:asked"
EMBED_ASKED_SECONDS = 60


def tickets_embed_soon() -> None:
    """Once the change commits, have a worker embed the tickets without a vector (one task for
    a burst of them). A broker that cannot be reached leaves them to the periodic sweep."""

    transaction.on_commit(
        lambda: ask_once(
            EMBED_TICKETS,
            key=_EMBED_ASKED_KEY,
            seconds=EMBED_ASKED_SECONDS,
            what="Tickets not embedded yet",
        )
    )


def tickets_embed_forget() -> None:
    """Forget that a run was asked for (tests start from nothing pending)."""
    cache.delete(_EMBED_ASKED_KEY)


def tickets_embed(*, batch: int = 32) -> int:
    """Store the vector of every ticket without one, a batch per transaction, read on the index
    of those (an older model's vectors are `embed_backfill`'s); how many. Tickets filed while
    it runs are picked up by this run or the one they ask for."""
    cache.delete(_EMBED_ASKED_KEY)
    written = 0
    after = 0
    while True:
        with transaction.atomic():
            rows = list(
                Ticket.objects.filter(embedding__isnull=True, pk__gt=after)
                .order_by("pk")
                .values_list("pk", "title", "description")[:batch]
            )
            if not rows:
                return written
            written += _vectors_store(Ticket, rows)
        after = rows[-1][0]


@transaction.atomic
def embeddings_fill(
    *, model: type[models.Model], after: int = 0, batch: int = 500
) -> tuple[int, int] | None:
    """Store the vector of up to `batch` rows of `model` (tickets, initiatives: anything with
    a title, a description and an embedding) that have none of this model, from id `after`
    on. Their `updated_at` moves too, so similar-feedback search picks them up. Returns the
    last id looked at and how many rows were written, or None when no row was left; safe to
    run again (rows with a current vector are skipped)."""
    rows = list(
        model._default_manager.filter(pk__gt=after)
        .annotate(embedding_size=embedding_size())
        .filter(without_current_vector())
        .order_by("pk")
        .values_list("pk", "title", "description")[:batch]
    )
    if not rows:
        return None
    return int(rows[-1][0]), _vectors_store(model, rows)


def _vectors_store(model: type[models.Model], rows: list[tuple[int, str, str]]) -> int:
    """Embed (id, title, description) rows and store the vectors of those still without one
    of this model (an edit since may have cleared it again: it asks for its own run); how many
    were written. Their `updated_at` moves, so similar-feedback search picks them up."""
    vectors = item_embeddings([(title, description) for _, title, description in rows])
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        # One statement for the batch (an UPDATE per row would be a round trip each).
        cursor.execute(
            f"UPDATE {table} AS t SET embedding = v.embedding, updated_at = %s "  # noqa: S608
            "FROM unnest(%s::bigint[], %s::bytea[]) AS v(id, embedding) "
            "WHERE t.id = v.id AND (t.embedding IS NULL OR octet_length(t.embedding) <> %s)",
            [timezone.now(), [pk for pk, _, _ in rows], vectors, VECTOR_BYTES],
        )
        return int(cursor.rowcount)
