"""Telling customers that what they asked for shipped.

Shipping an initiative records, in the ship's transaction, one outbox row per contact who asked
(suppressed for those who may not be emailed) and a notice for each submitter; a ticket filed
onto an initiative that already shipped records its contact's row at once, under the same key.
The email itself is rendered when a worker sends it (`customer_shipped_email`, registered for
its kind in triage.apps), from the tickets as they are then. Apps above triage may tell of a
ship too (`ship_listener_register`), in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import User
from intake.models import Contact, Ticket, TicketStatus
from intake.selectors import contact_may_be_emailed, unsubscribe_url
from notifications.models import DeliveryStatus, Notification, NotificationKind
from notifications.registry import Handler, Message, Suppress, as_recorded
from notifications.senders import company, company_from_email, person_address
from notifications.services import notifications_record, staff_notify
from triage.models import Initiative


def _asks_of(initiative: Initiative) -> dict[int, list[Ticket]]:
    """Each contact's tickets on the initiative, counting tickets that duplicate one there."""
    tickets = Ticket.objects.filter(initiative=initiative, status__in=TicketStatus.counted())
    tickets = (
        tickets.select_related("contact__customer", "submitted_by")
        .defer("search_vector")
        .order_by("contact_id", "created_at", "id")
    )
    asks: dict[int, list[Ticket]] = {}
    for ticket in tickets:
        asks.setdefault(ticket.contact_id, []).append(ticket)
    return asks


def reply_to_rep(*, tickets: list[Ticket], initiative: Initiative) -> User | None:
    """Whom the customer's reply to the shipped email reaches: the rep who filed this contact's
    latest ask on the initiative (the freshest conversation with them), else the one before,
    skipping anyone without an email address or an active account; if none can take it, the
    initiative's owner; None if they cannot either (the reply goes to the From address)."""
    for ticket in sorted(tickets, key=lambda t: (t.created_at, t.pk), reverse=True):
        rep = ticket.submitted_by
        if rep.email and rep.is_active:
            return rep
    owner = initiative.owner if initiative.owner_id else None
    if owner is not None and owner.email and owner.is_active:
        return owner
    return None


def customer_email_context(
    *, initiative: Initiative, contact: Contact, tickets: list[Ticket], release_note: str
) -> dict[str, object]:
    filed_by = sorted({t.submitted_by.display_name for t in tickets})
    return {
        "initiative": initiative,
        "contact": contact,
        "customer": contact.customer,
        "tickets": tickets,
        "release_note": release_note,
        "filed_by": filed_by,
        "company": company(),
        "rep": reply_to_rep(tickets=tickets, initiative=initiative),
        "unsubscribe_url": unsubscribe_url(contact),
    }


def customer_email_subject(initiative: Initiative) -> str:
    return f"You asked, we shipped: {initiative.title}"[:255]


def customer_email_render(context: dict[str, object]) -> tuple[str, str]:
    return (
        render_to_string("triage/email/customer_shipped.txt", context),
        render_to_string("triage/email/customer_shipped.html", context),
    )


def customer_shipped_email(notification: Notification) -> Message | Suppress:
    """The outbox handler for CUSTOMER_SHIPPED: at send time, suppress the row if its contact
    may no longer be emailed; otherwise the email from the company, replies to the rep
    (reply_to_rep), rendered from the initiative's tickets as they are now (or as first
    rendered, for a resend), with a one-click unsubscribe (RFC 8058)."""
    return customer_shipped_emails([notification])(notification)


def customer_shipped_emails(notifications: Sequence[Notification]) -> Handler:
    """customer_shipped_email for a batch of rows a worker sends together: their contacts,
    initiatives and each contact's tickets on its initiative read in three queries, not three
    for each email."""
    contacts = Contact.objects.select_related("customer").in_bulk(
        {n.contact_id for n in notifications if n.contact_id is not None}
    )
    initiatives = (
        Initiative.objects.defer("search_vector")
        .select_related("owner")
        .in_bulk({n.initiative_id for n in notifications if n.initiative_id is not None})
    )
    asks: dict[tuple[int, int], list[Ticket]] = {}
    if contacts and initiatives:
        # Only these contacts' tickets: loading the whole initiative for each batch is quadratic.
        tickets = (
            Ticket.objects.filter(
                initiative_id__in=initiatives,
                contact_id__in=contacts,
                status__in=TicketStatus.counted(),
            )
            .select_related("submitted_by")
            .defer("search_vector")
            .order_by("created_at", "id")
        )
        for ticket in tickets:
            assert ticket.initiative_id is not None
            asks.setdefault((ticket.initiative_id, ticket.contact_id), []).append(ticket)

    def handler(notification: Notification) -> Message | Suppress:
        contact = contacts.get(notification.contact_id or 0)
        if contact is None or not contact_may_be_emailed(contact):
            return Suppress("contact unsubscribed or bouncing")
        assert notification.initiative_id is not None
        initiative = initiatives[notification.initiative_id]
        tickets = asks.get((initiative.pk, contact.pk), [])
        if not tickets and notification.ticket_id:
            tickets = list(
                Ticket.objects.select_related("submitted_by").filter(pk=notification.ticket_id)
            )
        return _customer_email(notification, contact, initiative, tickets)

    return handler


def _customer_email(
    notification: Notification, contact: Contact, initiative: Initiative, tickets: list[Ticket]
) -> Message:
    headers = {
        "List-Unsubscribe": f"<{unsubscribe_url(contact)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    rep = reply_to_rep(tickets=tickets, initiative=initiative)
    from_email = company_from_email()
    reply_to = (person_address(name=rep.display_name, email=rep.email),) if rep else ()
    if notification.body_text:  # rendered for an earlier attempt: the same words again
        recorded = as_recorded(notification)
        return Message(
            recorded.subject,
            recorded.body_text,
            recorded.body_html,
            headers,
            from_email=from_email,
            reply_to=reply_to,
        )
    context = customer_email_context(
        initiative=initiative,
        contact=contact,
        tickets=tickets,
        release_note=initiative.release_note,
    )
    body_text, body_html = customer_email_render(context)
    return Message(
        notification.subject,
        body_text,
        body_html,
        headers,
        from_email=from_email,
        reply_to=reply_to,
    )


@dataclass(frozen=True)
class ShipAudience:
    """Who a ship tells: contacts emailed (and at how many companies), contacts suppressed,
    contacts told when it shipped before (not emailed again), one sample of a contact emailed."""

    told: int
    suppressed: int
    companies: int
    sample: tuple[Contact, list[Ticket]] | None
    already_told: int = 0


def ship_audience(*, initiative: Initiative) -> ShipAudience:
    """How many customers shipping this initiative would tell (two queries). A contact with a
    shipped email on record from an earlier ship is not emailed again (the same key)."""
    asks = _asks_of(initiative)
    recorded = set(
        Notification.objects.filter(
            initiative=initiative, kind=NotificationKind.CUSTOMER_SHIPPED
        ).values_list("contact_id", flat=True)
    )
    told = suppressed = already_told = 0
    companies: set[int] = set()
    sample = None
    for contact_id, tickets in asks.items():
        contact = tickets[0].contact
        if contact_id in recorded:
            already_told += 1
        elif contact_may_be_emailed(contact):
            told += 1
            companies.add(contact.customer_id)
            sample = sample or (contact, tickets)
        else:
            suppressed += 1
    return ShipAudience(
        told=told,
        suppressed=suppressed,
        companies=len(companies),
        sample=sample,
        already_told=already_told,
    )


def _customer_row(initiative: Initiative, contact: Contact, ticket: Ticket) -> Notification:
    """The unsaved outbox row telling one contact the initiative shipped. Its key is one per
    contact per initiative, whoever records it first (the ship, or a ticket filed onto the
    shipped initiative): that contact is emailed once, however often either runs."""
    may_email = contact_may_be_emailed(contact)
    return Notification(
        kind=NotificationKind.CUSTOMER_SHIPPED,
        idempotency_key=f"shipped:{initiative.pk}:{contact.pk}",
        recipient_email=contact.email[:254],
        contact=contact,
        ticket=ticket,
        initiative=initiative,
        subject=customer_email_subject(initiative),
        body_text="",  # rendered at send time (customer_shipped_email)
        status=DeliveryStatus.PENDING if may_email else DeliveryStatus.SUPPRESSED,
        last_error="" if may_email else "unsubscribed or bouncing",
    )


def ticket_shipped_notify(*, initiative: Initiative, ticket: Ticket) -> bool:
    """A ticket joined an initiative that already shipped: record the shipped email to its
    contact now (once: nothing if that contact was told already). Whether a row is new."""
    return (
        notifications_record(notifications=[_customer_row(initiative, ticket.contact, ticket)]) > 0
    )


# Who else tells of a ship: an app above triage (the Slack app's announcement in a channel)
# registers a listener from its AppConfig.ready(); each is called in the ship's transaction,
# with the initiative and each contact's tickets, to record its own outbox rows.
ShipListener = Callable[[Initiative, list[list[Ticket]]], None]
_ship_listeners: list[ShipListener] = []


def ship_listener_register(listener: ShipListener) -> None:
    """Call `listener` whenever an initiative ships, in the ship's transaction."""
    if listener not in _ship_listeners:
        _ship_listeners.append(listener)


def initiative_shipped_notify(*, initiative: Initiative) -> int:
    """Record one email per contact who asked (suppressed rows for those who may not be
    emailed) and a notice for each submitter; safe to run twice. Returns how many rows are new."""
    asks = _asks_of(initiative)
    rows = [_customer_row(initiative, tickets[0].contact, tickets[0]) for tickets in asks.values()]
    new = notifications_record(notifications=rows)

    by_submitter: dict[int, tuple[User, set[str]]] = {}
    for tickets in asks.values():
        for ticket in tickets:
            entry = by_submitter.setdefault(ticket.submitted_by_id, (ticket.submitted_by, set()))
            entry[1].add(ticket.contact.customer.name)
    for user, companies in by_submitter.values():
        names = sorted(companies)
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        staff_notify(
            user=user,
            kind=NotificationKind.STAFF_SHIPPED,
            text=f"“{initiative.title}” shipped: we are emailing {shown}",
            details=initiative.release_note,
            url=reverse("triage:initiative", args=[initiative.pk]),
            idempotency_key=f"staff-shipped:{initiative.pk}:{user.pk}",
        )
    for listener in _ship_listeners:
        listener(initiative, list(asks.values()))
    return new
