"""Customer emails come from the company (COMPANY_NAME, its logo) and a reply reaches the rep who
filed the ask; staff emails stay the tool's."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from accounts.tests.factories import UserFactory
from intake.models import Importance
from intake.tests.factories import ContactFactory, CustomerFactory, TicketFactory
from notifications.models import DeliveryStatus, Notification
from notifications.services import notification_deliver
from triage.models import Initiative
from triage.services import initiative_move, initiative_ship, ticket_link, ticket_mark_duplicate
from triage.tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def company(settings: Any) -> Any:
    settings.COMPANY_NAME = "Northwind & Co"
    settings.COMPANY_LOGO_URL = ""
    settings.DEFAULT_FROM_EMAIL = "FeedbackLoop <feedback@northwind.example>"
    return settings


def _ask(initiative: Initiative, pm, rep, *, contact=None, title: str = "CSV please"):
    contact = contact or ContactFactory.create(
        customer=CustomerFactory.create(name="Acme"), name="Ada", email="ada@acme.example"
    )
    ticket = TicketFactory.create(
        title=title,
        customer=contact.customer,
        contact=contact,
        submitted_by=rep,
        importance=Importance.IMPORTANT,
    )
    ticket_link(ticket=ticket, initiative=initiative, by=pm)
    return ticket


def _ship(initiative: Initiative, pm) -> Any:
    initiative_move(initiative=initiative, by=pm, status="planned")
    initiative_move(initiative=initiative, by=pm, status="in_progress")
    initiative_ship(initiative=initiative, by=pm, release_note="CSV export is live.")
    sent = [m for m in mail.outbox if m.subject.startswith("You asked, we shipped")]
    assert len(sent) == 1
    return sent[0]


def test_the_shipped_email_comes_from_the_company_and_replies_reach_the_rep(
    company, pm, submitter
) -> None:
    submitter.first_name, submitter.last_name = "Sam", "Seller"
    submitter.email = "sam@northwind.example"
    submitter.save()
    initiative = InitiativeFactory.create(title="CSV export", owner=pm)
    _ask(initiative, pm, submitter)
    shipped = _ship(initiative, pm)
    message = shipped.message()
    assert message["From"] == "Northwind & Co <feedback@northwind.example>"
    assert message["Reply-To"] == "Sam Seller <sam@northwind.example>"
    text = shipped.body
    assert "You asked Northwind & Co for this:" in text
    assert "Reply to this email and it reaches Sam Seller." in text
    assert "Northwind & Co sent you this because you asked for it." in text
    assert "FeedbackLoop" not in text
    html = shipped.alternatives[0][0]
    assert "You asked Northwind &amp; Co for this:" in html  # escaped like any text
    assert "FeedbackLoop" not in html


def test_with_several_reps_the_reply_goes_to_whoever_filed_the_latest_ask(
    company, pm, submitter, other_submitter
) -> None:
    submitter.email, other_submitter.email = "first@northwind.example", "latest@northwind.example"
    submitter.save()
    other_submitter.save()
    initiative = InitiativeFactory.create(owner=pm)
    first = _ask(initiative, pm, submitter)
    latest = TicketFactory.create(
        title="CSV again",
        customer=first.customer,
        contact=first.contact,
        submitted_by=other_submitter,
    )
    ticket_mark_duplicate(ticket=latest, of=first, by=pm)
    message = _ship(initiative, pm).message()
    assert "<latest@northwind.example>" in message["Reply-To"]
    assert "first@northwind.example" not in message["Reply-To"]


def test_a_rep_without_an_email_passes_the_reply_on_then_to_the_owner_then_to_no_one(
    company, pm, submitter, other_submitter
) -> None:
    submitter.email = "first@northwind.example"
    submitter.save()
    other_submitter.email = ""
    other_submitter.save()
    initiative = InitiativeFactory.create(owner=pm)
    first = _ask(initiative, pm, submitter)
    latest = TicketFactory.create(
        title="CSV again",
        customer=first.customer,
        contact=first.contact,
        submitted_by=other_submitter,
    )
    ticket_mark_duplicate(ticket=latest, of=first, by=pm)
    assert "<first@northwind.example>" in _ship(initiative, pm).message()["Reply-To"]

    mail.outbox.clear()
    pm.email = "pm@northwind.example"
    pm.save()
    gone = UserFactory.create(email="gone@northwind.example", is_active=False)
    owned = InitiativeFactory.create(owner=pm)
    _ask(owned, pm, gone, contact=ContactFactory.create(email="bo@globex.example"))
    assert "<pm@northwind.example>" in _ship(owned, pm).message()["Reply-To"]

    mail.outbox.clear()
    orphan = InitiativeFactory.create(owner=None)
    _ask(orphan, pm, gone, contact=ContactFactory.create(email="cy@initech.example"))
    assert _ship(orphan, pm).message()["Reply-To"] is None


def test_without_company_name_the_sender_is_the_default(settings, pm, submitter) -> None:
    settings.COMPANY_NAME = ""
    settings.DEFAULT_FROM_EMAIL = "Acme Feedback <feedback@acme.example>"
    initiative = InitiativeFactory.create(owner=pm)
    _ask(initiative, pm, submitter)
    shipped = _ship(initiative, pm)
    assert shipped.message()["From"] == "Acme Feedback <feedback@acme.example>"
    assert "You asked us for this:" in shipped.body


def test_the_logo_heads_the_email_from_a_url_or_a_static_path(company, pm, submitter) -> None:
    company.COMPANY_LOGO_URL = "img/logo.svg"
    initiative = InitiativeFactory.create(owner=pm)
    _ask(initiative, pm, submitter)
    html = _ship(initiative, pm).alternatives[0][0]
    assert f'<img src="{company.SITE_URL}/static/img/logo.svg" alt="Northwind &amp; Co"' in html

    mail.outbox.clear()
    company.COMPANY_LOGO_URL = "https://cdn.northwind.example/logo.png"
    other = InitiativeFactory.create(owner=pm)
    _ask(other, pm, submitter, contact=ContactFactory.create(email="bo@globex.example"))
    assert (
        '<img src="https://cdn.northwind.example/logo.png"' in _ship(other, pm).alternatives[0][0]
    )


def test_a_resend_keeps_the_sender_and_the_reply_to(company, pm, submitter) -> None:
    submitter.email = "sam@northwind.example"
    submitter.save()
    initiative = InitiativeFactory.create(owner=pm)
    _ask(initiative, pm, submitter)
    _ship(initiative, pm)
    row = Notification.objects.get(kind="customer_shipped")
    # As after a worker died mid-send: the row is pending again with its body kept.
    Notification.objects.filter(pk=row.pk).update(status=DeliveryStatus.PENDING, attempts=1)
    mail.outbox.clear()
    assert notification_deliver(notification_id=row.pk) == DeliveryStatus.SENT
    message = mail.outbox[0].message()
    assert message["From"] == "Northwind & Co <feedback@northwind.example>"
    assert "<sam@northwind.example>" in message["Reply-To"]


def test_staff_emails_stay_the_tools(company, pm, submitter) -> None:
    submitter.email = "sam@northwind.example"
    submitter.save()
    initiative = InitiativeFactory.create(owner=pm)
    _ask(initiative, pm, submitter)
    _ship(initiative, pm)
    staff = [m for m in mail.outbox if m.to == ["sam@northwind.example"]]
    assert staff
    assert staff[0].message()["From"] == "FeedbackLoop <feedback@northwind.example>"
    assert staff[0].message()["Reply-To"] is None


def test_the_ship_page_preview_says_who_it_comes_from_and_whom_replies_reach(
    client, company, pm, submitter
) -> None:
    submitter.email = "sam@northwind.example"
    submitter.save()
    initiative = InitiativeFactory.create(owner=pm)
    _ask(initiative, pm, submitter)
    initiative_move(initiative=initiative, by=pm, status="planned")
    initiative_move(initiative=initiative, by=pm, status="in_progress")
    client.force_login(pm)
    page = client.get(f"/triage/initiatives/{initiative.pk}/status/?to=shipped").content.decode()
    assert "From Northwind &amp; Co &lt;feedback@northwind.example&gt;" in page
    assert f"Replies reach {submitter.display_name}" in page
