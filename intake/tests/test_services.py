"""Filing tickets: one company per name, one contact per email, bad input stores nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import DomainError
from intake.models import CommentKind, Contact, Customer, Segment, Ticket, TicketStatus
from intake.services import comment_add, ticket_create, ticket_update
from intake.tests.factories import FILED, TicketFactory
from notifications.models import Notice, Notification

pytestmark = pytest.mark.django_db


def test_filing_creates_customer_contact_and_ticket(submitter) -> None:
    ticket = ticket_create(
        submitted_by=submitter, revenue_at_stake="25000", tags=["Billing"], **FILED
    )
    assert ticket.status == TicketStatus.NEW
    assert ticket.customer.name == "Acme Corp"
    assert ticket.contact.email == "jane.doe@acme.example"
    assert ticket.revenue_at_stake == Decimal("25000.00")
    assert ticket.tags == ["billing"]
    assert ticket.importance_rank == 3 or Ticket.objects.get(pk=ticket.pk).importance_rank == 3


def test_a_ticket_records_which_way_it_came_in(submitter) -> None:
    assert ticket_create(submitted_by=submitter, **FILED).source == "web"
    sent = timezone.now() - datetime.timedelta(hours=3)
    emailed = ticket_create(
        submitted_by=submitter,
        **FILED,
        source="email",
        source_reference="<CAF=x1@mail.gmail.com>",
        source_sender="Jane Doe <jane.doe@acme.example>",
        source_sent_at=sent,
    )
    emailed.refresh_from_db()
    assert (emailed.source, emailed.source_reference) == ("email", "<CAF=x1@mail.gmail.com>")
    assert emailed.source_sent_at == sent
    with pytest.raises(DomainError) as refused:
        ticket_create(submitted_by=submitter, **FILED, source="fax")
    assert refused.value.field == "source"


def test_one_ticket_per_email_message_id(submitter) -> None:
    """The database itself refuses a second ticket from the same email (two deliveries racing
    cannot both file); the same reference from another source is no conflict."""
    emailed = {**FILED, "source": "email", "source_reference": "<same@mail.example>"}
    ticket_create(submitted_by=submitter, **emailed)
    with pytest.raises(IntegrityError), transaction.atomic():
        ticket_create(submitted_by=submitter, **emailed)
    ticket_create(submitted_by=submitter, **{**emailed, "source": "slack"})
    assert Ticket.objects.count() == 2


def test_one_company_whatever_the_spelling(submitter) -> None:
    ticket_create(submitted_by=submitter, **FILED)
    ticket_create(
        submitted_by=submitter, **{**FILED, "company": "  acme   CORP ", "email": "b@acme.example"}
    )
    assert Customer.objects.count() == 1
    assert Contact.objects.count() == 2


def test_a_new_customer_takes_the_segment_chosen(submitter) -> None:
    ticket = ticket_create(submitted_by=submitter, segment=Segment.ENTERPRISE, **FILED)
    assert ticket.customer.segment == Segment.ENTERPRISE
    plain = ticket_create(
        submitted_by=submitter, **{**FILED, "company": "Globex", "email": "g@x.io"}
    )
    assert plain.customer.segment == Segment.OTHER  # nothing chosen


def test_a_known_customer_keeps_its_segment_unless_it_is_still_other(submitter) -> None:
    ticket_create(submitted_by=submitter, segment=Segment.ENTERPRISE, **FILED)
    ticket_create(
        submitted_by=submitter, segment=Segment.STARTUP, **{**FILED, "email": "b@acme.example"}
    )
    assert Customer.objects.get().segment == Segment.ENTERPRISE
    ticket_create(submitted_by=submitter, **{**FILED, "company": "Globex", "email": "g@x.io"})
    ticket_create(
        submitted_by=submitter,
        segment=Segment.SMB,
        **{**FILED, "company": "Globex", "email": "h@x.io"},
    )
    assert Customer.objects.get(name="Globex").segment == Segment.SMB


def test_one_contact_per_email(submitter) -> None:
    ticket_create(submitted_by=submitter, **FILED)
    ticket_create(submitted_by=submitter, **{**FILED, "email": " jane.doe@acme.EXAMPLE "})
    assert Contact.objects.count() == 1


def test_an_email_of_another_company_is_refused(submitter) -> None:
    ticket_create(submitted_by=submitter, **FILED)
    with pytest.raises(DomainError) as error:
        ticket_create(submitted_by=submitter, **{**FILED, "company": "Globex"})
    assert error.value.field == "email"
    assert "already a contact at Acme Corp" in error.value.message
    assert Ticket.objects.count() == 1
    assert Customer.objects.count() == 1  # Globex rolled back with the ticket


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"description": ""}, "description"),
        ({"description": "x" * (10 * 1024 * 1024)}, "description"),
        ({"title": "   "}, "title"),
        ({"email": "not-an-email"}, "email"),
        ({"source_team": "marketing"}, "source_team"),
        ({"importance": "urgent"}, "importance"),
        ({"kind": "wish"}, "kind"),
        ({"company": "    "}, "company"),
        ({"revenue_at_stake": "-5"}, "revenue_at_stake"),
        ({"revenue_at_stake": "abc"}, "revenue_at_stake"),
        ({"revenue_at_stake": "NaN"}, "revenue_at_stake"),
        ({"tags": ["x" * 41]}, "tags"),
        ({"tags": [f"t{i}" for i in range(11)]}, "tags"),
        ({"segment": "huge"}, "segment"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(submitter, change, field) -> None:
    with pytest.raises(DomainError) as error:
        ticket_create(submitted_by=submitter, **{**FILED, **change})
    assert error.value.field == field
    assert error.value.message
    assert Ticket.objects.count() == Customer.objects.count() == Contact.objects.count() == 0


def test_html_is_stored_as_typed(submitter) -> None:
    ticket = ticket_create(
        submitted_by=submitter, **{**FILED, "title": "<script>alert(1)</script>"}
    )
    assert Ticket.objects.get(pk=ticket.pk).title == "<script>alert(1)</script>"


def test_a_question_holds_the_ticket_and_tells_the_submitter(
    submitter, pm, django_capture_on_commit_callbacks
) -> None:
    ticket = TicketFactory.create(submitted_by=submitter)
    with django_capture_on_commit_callbacks(execute=True):
        comment_add(ticket=ticket, author=pm, body="Which invoices?", kind=CommentKind.QUESTION)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEEDS_INFO
    notice = Notice.objects.get(user=submitter)
    assert "asked about" in notice.text
    assert Notification.objects.get(recipient_user=submitter).status == "sent"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [submitter.email]
    assert "Which invoices?" in mail.outbox[0].body

    with django_capture_on_commit_callbacks(execute=True):
        comment_add(ticket=ticket, author=submitter, body="All of 2025.", kind=CommentKind.ANSWER)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW
    assert Notice.objects.filter(user=pm).count() == 1


def test_only_product_managers_ask_and_only_the_submitter_answers(
    submitter, other_submitter, pm
) -> None:
    ticket = TicketFactory.create(submitted_by=submitter)
    with pytest.raises(DomainError) as error:
        comment_add(ticket=ticket, author=other_submitter, body="?", kind=CommentKind.QUESTION)
    assert error.value.code == "forbidden"
    with pytest.raises(DomainError):
        comment_add(ticket=ticket, author=pm, body="!", kind=CommentKind.ANSWER)
    with pytest.raises(DomainError) as empty:
        comment_add(ticket=ticket, author=pm, body="   ")
    assert empty.value.field == "body"
    assert ticket.comments.count() == 0


def test_the_submitter_edits_until_triaged(submitter, other_submitter) -> None:
    ticket = TicketFactory.create(submitted_by=submitter)
    fields = {k: FILED[k] for k in ("description", "source_team", "kind", "importance")}
    ticket_update(ticket=ticket, by=submitter, title="Better title", **fields)
    assert Ticket.objects.get(pk=ticket.pk).title == "Better title"
    with pytest.raises(DomainError):
        ticket_update(ticket=ticket, by=other_submitter, title="Hijack", **fields)
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.LINKED)
    ticket.refresh_from_db()
    with pytest.raises(DomainError) as error:
        ticket_update(ticket=ticket, by=submitter, title="Too late", **fields)
    assert error.value.code == "conflict"
