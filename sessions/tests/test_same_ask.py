"""A review's agenda acts on every kind of match: "same ask" as a waiting ticket makes one
initiative of both, "link" to a shipped initiative tells the customer at once; the matches
fragment shows the deciders those buttons, and everyone else only the matches."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from intake.models import TicketStatus
from intake.tests.factories import TicketFactory
from notifications.models import Notification, NotificationKind
from sessions.models import Decision, SessionStatus
from sessions.services import decision_record
from sessions.tests.factories import AgendaItemFactory
from sessions.tests.test_services import refused, review
from triage.models import Initiative, InitiativeEvent, InitiativeStatus
from triage.tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_a_facilitator_decides_same_ask_with_the_review_s_authority(facilitator, pm) -> None:
    session = review(facilitator=facilitator)
    item = AgendaItemFactory.create(session=session, ticket=TicketFactory.create(title="SSO"))
    other = TicketFactory.create(title="Okta single sign-on")
    decided = decision_record(item=item, by=facilitator, decision=Decision.SAME_ASK, same_as=other)
    assert decided.result is not None
    assert decided.result.title == "Okta single sign-on"
    assert decided.result.owner == pm  # the facilitator is no PM: the default owner rule
    other.refresh_from_db()
    assert (other.status, other.initiative_id) == (TicketStatus.LINKED, decided.result.pk)
    assert decided.result.events.filter(kind=InitiativeEvent.Kind.TICKET_LINKED).count() == 2


def test_a_same_ask_decision_needs_a_waiting_ticket(facilitator) -> None:
    session = review(facilitator=facilitator)
    item = AgendaItemFactory.create(session=session)
    initiative_item = AgendaItemFactory.create(
        session=session, ticket=None, initiative=InitiativeFactory.create()
    )
    refused(
        lambda: decision_record(item=item, by=facilitator, decision=Decision.SAME_ASK),
        field="same_as",
    )
    waiting = TicketFactory.create()
    refused(
        lambda: decision_record(
            item=initiative_item, by=facilitator, decision=Decision.SAME_ASK, same_as=waiting
        ),
        field="decision",
    )
    declined = TicketFactory.create(status=TicketStatus.DECLINED)
    refused(
        lambda: decision_record(
            item=item, by=facilitator, decision=Decision.SAME_ASK, same_as=declined
        ),
        code="conflict",
        field="same_as",
    )


def test_linking_an_agenda_ticket_to_a_shipped_initiative_tells_the_customer(
    facilitator, django_capture_on_commit_callbacks
) -> None:
    session = review(facilitator=facilitator)
    ticket = TicketFactory.create()
    item = AgendaItemFactory.create(session=session, ticket=ticket)
    shipped = InitiativeFactory.create(
        status=InitiativeStatus.SHIPPED, shipped_at=timezone.now(), release_note="Out."
    )
    with django_capture_on_commit_callbacks(execute=True):
        decision_record(item=item, by=facilitator, decision=Decision.LINK, initiative=shipped)
    told = [m.to for m in mail.outbox if m.subject.startswith("You asked, we shipped")]
    assert told == [[ticket.contact.email]]


# ---------------------------------------------------------------------------------------------
# The matches fragment and the decide form


def _agenda(facilitator):
    session = review(facilitator=facilitator)
    item = AgendaItemFactory.create(
        session=session, ticket=TicketFactory.create(title="Export invoices as CSV")
    )
    return session, item


def test_deciders_get_a_button_for_each_match_others_only_see_them(
    client, facilitator, submitter
) -> None:
    session, item = _agenda(facilitator)
    other = TicketFactory.create(title="Invoices exported as CSV")
    shipped = InitiativeFactory.create(
        title="CSV export for invoices",
        status=InitiativeStatus.SHIPPED,
        shipped_at=timezone.now(),
    )
    url = reverse("sessions:matches", args=[session.pk, item.pk])
    client.force_login(facilitator)
    html = client.get(url, **HTMX).content.decode()
    assert html.startswith('<div class="item-matches"')
    assert f'name="same_as" value="{other.pk}"' in html
    assert 'name="decision" value="same_ask"' in html
    assert f'name="initiative" value="{shipped.pk}"' in html
    assert "Same ask — tell the customer" in html
    client.force_login(submitter)
    html = client.get(url, **HTMX).content.decode()
    assert "Invoices exported as CSV" in html
    assert 'name="decision"' not in html
    full = client.get(url).content.decode()
    assert "<h1>Same ask as Export invoices as CSV?</h1>" in full


def test_the_buttons_record_the_decision(client, facilitator) -> None:
    session, item = _agenda(facilitator)
    other = TicketFactory.create(title="Invoices exported as CSV")
    client.force_login(facilitator)
    response = client.post(
        reverse("sessions:decide", args=[session.pk, item.pk]),
        {"decision": "same_ask", "same_as": other.pk},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.decision == Decision.SAME_ASK
    assert item.result == Initiative.objects.get()
    response = client.post(
        reverse("sessions:decide", args=[session.pk, AgendaItemFactory.create(session=session).pk]),
        {"decision": "same_ask", "same_as": 99999},
    )
    assert response.status_code == 302
    assert Initiative.objects.count() == 1


def test_matches_of_an_initiative_item_a_decided_one_or_a_missing_one(client, facilitator) -> None:
    session, item = _agenda(facilitator)
    initiative_item = AgendaItemFactory.create(
        session=session, ticket=None, initiative=InitiativeFactory.create()
    )
    client.force_login(facilitator)
    html = client.get(
        reverse("sessions:matches", args=[session.pk, initiative_item.pk]), **HTMX
    ).content.decode()
    assert "Only a ticket still waiting in the inbox is matched." in html
    assert client.get(reverse("sessions:matches", args=[session.pk, 99999])).status_code == 404
    TicketFactory.create(title="Invoices exported as CSV")
    session.status = SessionStatus.CLOSED
    session.save()
    html = client.get(reverse("sessions:matches", args=[session.pk, item.pk]), **HTMX)
    assert 'name="decision"' not in html.content.decode()  # a closed review decides nothing


def test_the_review_page_loads_matches_only_when_asked(client, facilitator) -> None:
    session, item = _agenda(facilitator)
    client.force_login(facilitator)
    html = client.get(reverse("sessions:detail", args=[session.pk])).content.decode()
    url = reverse("sessions:matches", args=[session.pk, item.pk])
    assert f'hx-get="{url}"' in html
    assert f'href="{url}"' in html
    assert Notification.objects.filter(kind=NotificationKind.CUSTOMER_SHIPPED).count() == 0
