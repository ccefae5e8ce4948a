"""“Same ask” on every kind of match: onto an open initiative, onto a shipped one (the customer is
emailed at once, exactly once), never onto a declined one; a waiting ticket and another made one
proposed initiative; the inbox's themes made one initiative or linked to the one suggested. Each
with its history, its notices, and nothing written when it is refused."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.core import mail

from accounts.models import Role, User
from accounts.tests.factories import UserFactory
from core.errors import DomainError
from intake.models import Ticket, TicketStatus
from intake.services import contact_unsubscribe
from intake.tests.factories import FILED as SHARED_FILED
from intake.tests.factories import ContactFactory, CustomerFactory, ProductAreaFactory
from notifications.models import DeliveryStatus, Notice, Notification, NotificationKind
from triage.models import InitiativeEvent, InitiativeStatus, ThemeExclusion
from triage.services import (
    initiative_customer_add,
    initiative_decline,
    initiative_default_owner,
    initiative_move,
    initiative_ship,
    initiative_ticket_add,
    theme_merge,
    theme_ticket_exclude,
    ticket_link,
    ticket_unlink,
    tickets_same_ask,
)
from triage.shipping import ticket_shipped_notify
from triage.tests.factories import InitiativeFactory
from triage.tests.test_services import (
    DECLINED,
    PROPOSED,
    SHIPPED,
    database,
    initiative_in,
    new_ticket,
)

pytestmark = pytest.mark.django_db

# The shared ticket fields, for another ask and another customer.
FILED: dict[str, Any] = {
    **SHARED_FILED,
    "title": "Single sign-on with Okta",
    "description": "Their IT wants everyone to log in through Okta.",
    "company": "Initech",
    "email": "it@initech.example",
    "contact_name": "",
}


def refused(action: Callable[[], object], *, code: str = "invalid") -> DomainError:
    """The action is refused with `code` and writes nothing: no ticket, initiative, history,
    notice, outbox row or theme exclusion, and sends nothing."""
    before = {**database(), "exclusions": list(ThemeExclusion.objects.values())}
    sent = len(mail.outbox)
    with pytest.raises(DomainError) as error:
        action()
    assert error.value.code == code, error.value.message
    assert {**database(), "exclusions": list(ThemeExclusion.objects.values())} == before
    assert len(mail.outbox) == sent
    return error.value


def shipped_emails(to: str | None = None) -> list[Any]:
    sent = [m for m in mail.outbox if m.subject.startswith("You asked, we shipped")]
    return [m for m in sent if to is None or m.to == [to]]


def customer_rows() -> list[Notification]:
    return list(Notification.objects.filter(kind=NotificationKind.CUSTOMER_SHIPPED))


# ---------------------------------------------------------------------------------------------
# Onto a shipped initiative: the customer is told at once, and only once


def test_filing_onto_a_shipped_initiative_tells_that_customer_at_once(
    submitter, django_capture_on_commit_callbacks
) -> None:
    initiative = initiative_in(SHIPPED, title="Okta SSO")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = initiative_customer_add(initiative=initiative, submitted_by=submitter, **FILED)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.initiative_id) == (TicketStatus.LINKED, initiative.pk)
    [row] = customer_rows()
    assert (row.contact_id, row.ticket_id, row.status) == (
        ticket.contact_id,
        ticket.pk,
        DeliveryStatus.SENT,
    )
    [email] = shipped_emails("it@initech.example")
    assert "Okta SSO" in email.subject
    assert "Single sign-on with Okta" in email.body  # their own ask, as filed
    event = initiative.events.get(kind=InitiativeEvent.Kind.TICKET_LINKED)
    assert "already shipped" in event.note
    initiative.refresh_from_db()
    assert initiative.customer_count == 1  # it counts, as any ask does


def test_the_shipped_email_goes_once_however_often_it_is_recorded_or_reshipped(
    submitter, pm, django_capture_on_commit_callbacks
) -> None:
    initiative = initiative_in(SHIPPED, title="Okta SSO")
    with django_capture_on_commit_callbacks(execute=True):
        first = initiative_customer_add(initiative=initiative, submitted_by=submitter, **FILED)
        # The same contact asks again, and the row is recorded again by hand: still one email.
        initiative_customer_add(
            initiative=initiative, submitted_by=submitter, **{**FILED, "title": "Okta, again"}
        )
        assert ticket_shipped_notify(initiative=initiative, ticket=first) is False
    assert len(customer_rows()) == 1
    assert len(shipped_emails()) == 1

    # Moved back and shipped again: the ship's rows use the same key, so nobody hears twice.
    with django_capture_on_commit_callbacks(execute=True):
        initiative_move(initiative=initiative, by=pm, status=InitiativeStatus.IN_PROGRESS)
        initiative_ship(initiative=initiative, by=pm, release_note="Now with SCIM too.")
    assert len(customer_rows()) == 1
    assert len(shipped_emails()) == 1


def test_a_ship_after_the_customer_was_told_does_not_tell_them_again(
    submitter, pm, django_capture_on_commit_callbacks
) -> None:
    """A ticket filed onto a shipped initiative, then the initiative re-shipped with another
    company's ticket linked meanwhile: only the new company hears."""
    initiative = initiative_in(SHIPPED, title="Okta SSO")
    with django_capture_on_commit_callbacks(execute=True):
        initiative_customer_add(initiative=initiative, submitted_by=submitter, **FILED)
        initiative_move(initiative=initiative, by=pm, status=InitiativeStatus.IN_PROGRESS)
        other = new_ticket(submitter, title="Okta for Globex")
        ticket_link(ticket=other, initiative=initiative, by=pm)
        initiative_ship(initiative=initiative, by=pm, release_note="Out again.")
    assert sorted(m.to[0] for m in shipped_emails()) == sorted(
        ["it@initech.example", other.contact.email]
    )


def test_an_unsubscribed_customer_is_recorded_as_suppressed_not_emailed(
    submitter, django_capture_on_commit_callbacks
) -> None:
    customer = CustomerFactory.create(name="Initech", name_key="initech")
    contact = ContactFactory.create(customer=customer, email="it@initech.example")
    contact_unsubscribe(contact=contact)
    initiative = initiative_in(SHIPPED)
    with django_capture_on_commit_callbacks(execute=True):
        initiative_customer_add(initiative=initiative, submitted_by=submitter, **FILED)
    [row] = customer_rows()
    assert row.status == DeliveryStatus.SUPPRESSED
    assert shipped_emails() == []


def test_a_pm_linking_onto_a_shipped_initiative_tells_the_customer_and_the_submitter(
    pm, submitter, django_capture_on_commit_callbacks
) -> None:
    initiative = initiative_in(SHIPPED, title="Okta SSO")
    ticket = new_ticket(submitter, title="SSO please")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_link(ticket=ticket, initiative=initiative, by=pm)
    assert len(shipped_emails(ticket.contact.email)) == 1
    notice = Notice.objects.get(user=submitter)
    assert notice.kind == NotificationKind.STAFF_LINKED
    assert "which shipped" in notice.text
    assert ticket.customer.name in notice.text


def test_a_declined_initiative_refuses_every_match_with_its_reason(pm, submitter) -> None:
    declined = initiative_in(DECLINED, title="On-premise edition")
    ticket = new_ticket(submitter)
    for action in (
        lambda: initiative_customer_add(initiative=declined, submitted_by=submitter, **FILED),
        lambda: initiative_ticket_add(initiative=declined, ticket=ticket, by=submitter),
        lambda: ticket_link(ticket=ticket, initiative=declined, by=pm),
    ):
        error = refused(action)
        assert "Not now." in error.message
        assert error.field == "initiative"


# ---------------------------------------------------------------------------------------------
# A waiting ticket's submitter says it is the same ask as an initiative


def test_the_submitter_adds_their_waiting_ticket_to_an_open_initiative(
    submitter, other_submitter
) -> None:
    initiative = initiative_in(PROPOSED, title="Okta SSO")
    ticket = new_ticket(submitter, title="SSO please")
    initiative_ticket_add(initiative=initiative, ticket=ticket, by=submitter)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.initiative_id) == (TicketStatus.LINKED, initiative.pk)
    event = initiative.events.get(kind=InitiativeEvent.Kind.TICKET_LINKED)
    assert (event.actor, event.note) == (submitter, "called the same ask from the ticket")
    assert Notice.objects.count() == 0  # they did it themselves


def test_only_the_submitter_of_a_waiting_ticket_or_a_pm_adds_it(
    submitter, other_submitter, facilitator, pm
) -> None:
    initiative = initiative_in(PROPOSED)
    ticket = new_ticket(submitter)
    for who in (other_submitter, facilitator):
        refused(
            partial(initiative_ticket_add, initiative=initiative, ticket=ticket, by=who),
            code="forbidden",
        )
    initiative_ticket_add(initiative=initiative, ticket=ticket, by=pm)
    assert Notice.objects.get(user=submitter).kind == NotificationKind.STAFF_LINKED


def test_a_triaged_ticket_is_not_matched_again(pm, submitter) -> None:
    initiative = initiative_in(PROPOSED)
    ticket = new_ticket(submitter)
    ticket_link(ticket=ticket, initiative=initiative_in(PROPOSED), by=pm)
    ticket.refresh_from_db()
    refused(
        lambda: initiative_ticket_add(initiative=initiative, ticket=ticket, by=pm),
        code="conflict",
    )


# ---------------------------------------------------------------------------------------------
# "Same ask" on a waiting ticket


def test_same_ask_from_the_form_files_the_ticket_and_makes_an_initiative_of_both(
    submitter, other_submitter, pm
) -> None:
    area = ProductAreaFactory.create(slug="identity", name="Identity")
    waiting = new_ticket(
        other_submitter,
        title="Okta single sign-on",
        description="Log in with our Okta.",
        product_area=area,
    )
    filed = tickets_same_ask(waiting=waiting, by=submitter, **FILED)

    initiative = filed.initiative
    assert initiative is not None
    assert (initiative.title, initiative.description, initiative.product_area) == (
        "Okta single sign-on",
        "Log in with our Okta.",
        area,
    )
    assert initiative.status == InitiativeStatus.PROPOSED
    assert initiative.owner == pm  # the default owner rule: the one product manager
    for ticket in (waiting, filed):
        ticket.refresh_from_db()
        assert (ticket.status, ticket.initiative_id) == (TicketStatus.LINKED, initiative.pk)
    assert filed.submitted_by == submitter
    initiative.refresh_from_db()
    assert initiative.customer_count == 2
    history = list(initiative.events.order_by("pk").values_list("kind", "actor", "note"))
    assert history == [
        (
            InitiativeEvent.Kind.CREATED,
            submitter.pk,
            f"#{waiting.pk} and #{filed.pk} called the same ask by {submitter.display_name}",
        ),
        (InitiativeEvent.Kind.TICKET_LINKED, submitter.pk, f"the same ask as #{filed.pk}"),
        (InitiativeEvent.Kind.TICKET_LINKED, submitter.pk, f"the same ask as #{waiting.pk}"),
    ]
    told = {n.user: n for n in Notice.objects.all()}
    assert set(told) == {pm, other_submitter}
    assert told[pm].kind == NotificationKind.STAFF_SAME_ASK
    assert "Okta single sign-on" in told[pm].text
    assert told[other_submitter].kind == NotificationKind.STAFF_LINKED
    # The owner's email says how to undo it.
    email = Notification.objects.get(kind=NotificationKind.STAFF_SAME_ASK)
    assert "unlink" in email.body_text


def test_the_pm_undoes_a_same_ask_in_triage(submitter, other_submitter, pm) -> None:
    waiting = new_ticket(other_submitter)
    filed = tickets_same_ask(waiting=waiting, by=submitter, **FILED)
    made = filed.initiative
    assert made is not None
    ticket_unlink(ticket=filed, by=pm)
    filed.refresh_from_db()
    assert (filed.status, filed.initiative_id) == (TicketStatus.NEW, None)
    initiative = initiative_decline(initiative=made, by=pm, reason="Not the same.")
    assert initiative.status == InitiativeStatus.DECLINED


def test_same_ask_between_two_waiting_tickets_by_a_pm(pm, submitter, other_submitter) -> None:
    waiting = new_ticket(other_submitter, title="Okta SSO")
    ticket = new_ticket(submitter, title="Log in with Okta")
    matched = tickets_same_ask(waiting=waiting, ticket=ticket, by=pm)
    assert matched.pk == ticket.pk
    assert matched.initiative is not None
    assert matched.initiative.owner == pm
    # The PM made and owns it: each submitter hears, nobody is told about their own act.
    assert {n.user for n in Notice.objects.all()} == {submitter, other_submitter}


def test_same_ask_refusals_write_nothing_not_even_the_new_ticket(
    submitter, other_submitter, pm
) -> None:
    waiting = new_ticket(other_submitter)
    mine = new_ticket(submitter)
    ticket_link(ticket=waiting, initiative=initiative_in(PROPOSED), by=pm)
    waiting.refresh_from_db()
    Notice.objects.all().delete()
    error = refused(
        lambda: tickets_same_ask(waiting=waiting, by=submitter, **FILED), code="conflict"
    )
    assert error.field == "same_as"
    other = new_ticket(other_submitter)
    refused(lambda: tickets_same_ask(waiting=other, ticket=other, by=pm))
    refused(
        lambda: tickets_same_ask(waiting=other, ticket=mine, by=other_submitter),
        code="forbidden",
    )
    refused(lambda: tickets_same_ask(waiting=other, by=submitter, **{**FILED, "title": ""}))


def test_the_default_owner_is_the_pm_with_most_open_work_in_the_area() -> None:
    rep = UserFactory.create(role=Role.SUBMITTER)
    assert initiative_default_owner(by=rep) is None  # no product manager at all
    area = ProductAreaFactory.create(slug="identity")
    busy = UserFactory.create(role=Role.PRODUCT_MANAGER, username="busy")
    expert = UserFactory.create(role=Role.PRODUCT_MANAGER, username="expert")
    UserFactory.create(role=Role.PRODUCT_MANAGER, username="gone", is_active=False)
    InitiativeFactory.create_batch(3, owner=busy)
    InitiativeFactory.create(owner=expert, product_area=area)
    InitiativeFactory.create_batch(5, owner=expert, product_area=area, status=SHIPPED)
    assert initiative_default_owner(by=rep, product_area=area) == expert
    assert initiative_default_owner(by=rep) == busy
    assert initiative_default_owner(by=expert) == expert


# ---------------------------------------------------------------------------------------------
# Themes


def _theme(*submitters: User) -> list[Ticket]:
    return [new_ticket(user, title=f"Okta SSO {n}") for n, user in enumerate(submitters)]


def test_a_theme_becomes_one_new_initiative(pm, submitter, other_submitter) -> None:
    area = ProductAreaFactory.create(slug="identity")
    tickets = _theme(submitter, other_submitter, submitter)
    Ticket.objects.filter(pk=tickets[1].pk).update(product_area=area)
    Ticket.objects.filter(pk=tickets[2].pk).update(product_area=area, description="Okta, now.")
    initiative = theme_merge(tickets=tickets, by=pm, title="Okta SSO 2")

    assert (initiative.title, initiative.owner, initiative.product_area) == ("Okta SSO 2", pm, area)
    assert initiative.description == "Okta, now."  # the problem as the named ticket put it
    assert initiative.customer_count == 3
    assert set(Ticket.objects.values_list("status", "initiative_id")) == {
        (TicketStatus.LINKED, initiative.pk)
    }
    kinds = list(initiative.events.values_list("kind", flat=True))
    assert kinds.count(InitiativeEvent.Kind.TICKET_LINKED) == 3
    assert initiative.events.get(kind=InitiativeEvent.Kind.CREATED).note == (
        "from a theme of 3 waiting tickets"
    )
    assert Notice.objects.filter(user=submitter).count() == 2
    assert Notice.objects.filter(user=other_submitter).count() == 1


def test_a_theme_is_linked_to_the_suggested_initiative(pm, submitter, other_submitter) -> None:
    suggested = initiative_in(PROPOSED, title="Okta SSO")
    tickets = _theme(submitter, other_submitter)
    assert theme_merge(tickets=tickets, by=pm, initiative=suggested) == suggested
    suggested.refresh_from_db()
    assert suggested.ticket_count == 2


def test_theme_refusals_write_nothing(pm, submitter, other_submitter, facilitator) -> None:
    tickets = _theme(submitter, other_submitter, submitter)
    refused(lambda: theme_merge(tickets=tickets, by=facilitator, title="X"), code="forbidden")
    refused(lambda: theme_merge(tickets=tickets[:1], by=pm, title="X"))
    refused(lambda: theme_merge(tickets=tickets, by=pm, title="  "))
    shipped = initiative_in(SHIPPED)
    refused(lambda: theme_merge(tickets=tickets, by=pm, initiative=shipped), code="conflict")
    # One of them was triaged meanwhile: none is linked.
    ticket_link(ticket=tickets[2], initiative=initiative_in(PROPOSED), by=pm)
    tickets[2].refresh_from_db()
    error = refused(lambda: theme_merge(tickets=tickets, by=pm, title="X"), code="conflict")
    assert f"#{tickets[2].pk}" in error.message


def test_a_pm_takes_a_ticket_out_of_the_themes_once(pm, submitter) -> None:
    ticket = new_ticket(submitter)
    first = theme_ticket_exclude(ticket=ticket, by=pm)
    assert theme_ticket_exclude(ticket=ticket, by=pm) == first
    assert (first.ticket, first.by) == (ticket, pm)
    other = new_ticket(submitter)
    refused(lambda: theme_ticket_exclude(ticket=other, by=submitter), code="forbidden")
    linked = new_ticket(submitter)
    ticket_link(ticket=linked, initiative=initiative_in(PROPOSED), by=pm)
    linked.refresh_from_db()
    refused(lambda: theme_ticket_exclude(ticket=linked, by=pm), code="conflict")
    assert ThemeExclusion.objects.count() == 1
