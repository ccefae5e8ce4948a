"""Same ask from the capture side: the ticket form's matches of every kind and what each button
files, and a waiting ticket's page (who may act, bad ids, fixed query counts)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from intake.models import Ticket, TicketStatus
from intake.tests.factories import TicketFactory
from intake.tests.test_views import FORM
from notifications.models import DeliveryStatus, Notification, NotificationKind
from triage.models import Initiative, InitiativeStatus
from triage.tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

SIMILAR = "/intake/new/similar/"


def shipped(**fields: Any) -> Initiative:
    return InitiativeFactory.create(
        status=InitiativeStatus.SHIPPED,
        shipped_at=timezone.now(),
        release_note="Export any invoice list as CSV.",
        **fields,
    )


def test_the_form_offers_every_kind_of_match_with_its_own_action(client, submitter) -> None:
    open_one = InitiativeFactory.create(title="CSV export for invoices")
    done = shipped(title="Invoices as CSV files")
    declined = InitiativeFactory.create(
        title="Invoices exported to Excel",
        status=InitiativeStatus.DECLINED,
        decline_reason="Use the CSV export; Excel opens it.",
    )
    waiting = TicketFactory.create(title="Export of invoices")
    client.force_login(submitter)
    html = client.get(SIMILAR, {"title": "export invoices as CSV"}).content.decode()
    assert f'name="initiative" value="{open_one.pk}"' in html
    assert "Same ask — add my customer" in html
    assert f"Already shipped on {timezone.localdate():%b %-d, %Y}" in html
    assert f'name="initiative" value="{done.pk}"' in html
    assert "Add my customer — tell them now" in html
    assert "Use the CSV export; Excel opens it." in html  # the reason to tell the customer
    assert f'name="initiative" value="{declined.pk}"' not in html
    assert f'name="same_as" value="{waiting.pk}"' in html


def test_same_ask_on_a_waiting_ticket_files_both_onto_a_new_initiative(
    client, submitter, other_submitter, pm
) -> None:
    waiting = TicketFactory.create(title="Invoices in CSV", submitted_by=other_submitter)
    client.force_login(submitter)
    response = client.post("/intake/new/", {**FORM, "same_as": str(waiting.pk)})
    filed = Ticket.objects.get(submitted_by=submitter)
    assert response["Location"] == f"/intake/tickets/{filed.pk}/"
    initiative = Initiative.objects.get()
    assert initiative.title == "Invoices in CSV"
    assert initiative.owner == pm
    waiting.refresh_from_db()
    assert {filed.initiative_id, waiting.initiative_id} == {initiative.pk}
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message == (
        f"Filed as the same ask as #{waiting.pk}: both count for the new proposed "
        "“Invoices in CSV”, and its product manager was told."
    )


def test_filing_onto_a_shipped_initiative_emails_the_customer_and_the_page_says_so(
    client, submitter, django_capture_on_commit_callbacks
) -> None:
    done = shipped(title="Invoices as CSV files")
    client.force_login(submitter)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/intake/new/", {**FORM, "initiative": str(done.pk)})
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "which already shipped: jane@acme.example is being emailed the news now." in message
    row = Notification.objects.get(kind=NotificationKind.CUSTOMER_SHIPPED)
    assert row.status == DeliveryStatus.SENT
    assert [m.to for m in mail.outbox] == [["jane@acme.example"]]
    page = client.get(response["Location"]).content.decode()
    assert "Customer told" in page
    assert "jane@acme.example was emailed on" in page


@pytest.mark.parametrize("same_as", ["999999", "abc"])
def test_a_missing_waiting_ticket_is_explained_and_nothing_filed(
    client, submitter, same_as
) -> None:
    client.force_login(submitter)
    response = client.post("/intake/new/", {**FORM, "same_as": same_as})
    assert response.status_code == 200
    assert "That ticket no longer exists" in response.content.decode()
    assert Ticket.objects.count() == 0


def test_same_ask_on_a_ticket_triaged_meanwhile_files_nothing(client, submitter, pm) -> None:
    waiting = TicketFactory.create(status=TicketStatus.DECLINED, decline_reason="No.")
    client.force_login(submitter)
    response = client.post("/intake/new/", {**FORM, "same_as": str(waiting.pk)})
    assert response.status_code == 409
    assert "only a ticket still waiting" in response.content.decode()
    assert Ticket.objects.count() == 1
    assert not Initiative.objects.exists()


# ---------------------------------------------------------------------------------------------
# A waiting ticket's page


def test_the_ticket_page_offers_matches_to_its_submitter_and_pms_only(
    client, submitter, other_submitter, pm
) -> None:
    mine = TicketFactory.create(title="Export invoices as CSV", submitted_by=submitter)
    InitiativeFactory.create(title="CSV export for invoices")
    other = TicketFactory.create(title="Invoices exported as CSV")
    url = reverse("intake:detail", args=[mine.pk])
    for user, buttons in ((submitter, True), (pm, True), (other_submitter, False)):
        client.force_login(user)
        html = client.get(url).content.decode()
        assert "Same ask?" in html
        assert "CSV export for invoices" in html
        assert (f'name="same_as" value="{other.pk}"' in html) is buttons, user
    mine.status = TicketStatus.DECLINED
    mine.save()
    assert "Same ask?" not in client.get(url).content.decode()


def test_same_ask_from_the_ticket_page(client, submitter, other_submitter) -> None:
    mine = TicketFactory.create(submitted_by=submitter)
    initiative = InitiativeFactory.create(title="CSV export")
    url = reverse("intake:same-ask", args=[mine.pk])
    client.force_login(other_submitter)
    response = client.post(url, {"initiative": initiative.pk})
    assert "Only the person who filed this ticket" in str(
        next(iter(get_messages(response.wsgi_request)))
    )
    mine.refresh_from_db()
    assert mine.status == TicketStatus.NEW

    client.force_login(submitter)
    response = client.post(url, {"initiative": initiative.pk})
    assert response["Location"] == reverse("intake:detail", args=[mine.pk])
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert said[-1] == "Now counts for “CSV export”."
    mine.refresh_from_db()
    assert (mine.status, mine.initiative_id) == (TicketStatus.LINKED, initiative.pk)


def test_same_ask_from_the_ticket_page_with_another_waiting_ticket(client, submitter) -> None:
    mine = TicketFactory.create(submitted_by=submitter)
    other = TicketFactory.create(title="Invoices as CSV")
    client.force_login(submitter)
    response = client.post(reverse("intake:same-ask", args=[mine.pk]), {"same_as": other.pk})
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith(f"The same ask as #{other.pk}: both count for the new proposed")
    assert Initiative.objects.get().ticket_count == 2


def test_same_ask_from_the_ticket_page_with_bad_ids(client, submitter) -> None:
    mine = TicketFactory.create(submitted_by=submitter)
    url = reverse("intake:same-ask", args=[mine.pk])
    client.force_login(submitter)
    assert client.post(url, {"initiative": 99999}).status_code == 404
    assert client.post(url, {"same_as": 99999}).status_code == 404
    assert client.post(reverse("intake:same-ask", args=[99999]), {"same_as": 1}).status_code == 404
    for body in ({}, {"same_as": "x"}, {"initiative": "2" * 40}):
        response = client.post(url, body)
        assert response["Location"] == reverse("intake:detail", args=[mine.pk])
        assert "Pick the initiative or ticket" in str(
            next(iter(get_messages(response.wsgi_request)))
        )
    mine.refresh_from_db()
    assert mine.status == TicketStatus.NEW


def test_the_ticket_page_makes_a_fixed_number_of_queries(
    client, submitter, django_assert_max_num_queries: Any
) -> None:
    mine = TicketFactory.create(title="Export invoices as CSV", submitted_by=submitter)
    url = reverse("intake:detail", args=[mine.pk])
    client.force_login(submitter)
    InitiativeFactory.create(title="CSV export for invoices")
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    # Suggestions are scored first and only those kept are read, one query per kind once any
    # of that kind is kept (here only an initiative at first).
    limit = len(few.captured_queries) + 1
    for n in range(6):
        InitiativeFactory.create(title=f"Invoices as CSV, take {n}")
        shipped(title=f"Invoice CSV, shipped {n}")
        TicketFactory.create(title=f"CSV invoices {n}")
    with django_assert_max_num_queries(limit):
        assert client.get(url).status_code == 200
