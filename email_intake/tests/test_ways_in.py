"""Forwarded emails become tickets, through the provider webhook and through the IMAP mailbox
alike: the right rep, customer, company, title, words, fields and reply; and each bad input
changes nothing it should not."""

from __future__ import annotations

import datetime

import pytest

from email_intake.models import InboundEmail, Outcome
from email_intake.tests.conftest import Deliver, eml
from intake.models import Comment, Contact, Customer, Ticket
from notifications.models import Notification, NotificationKind

pytestmark = pytest.mark.django_db


def _reply(kind: NotificationKind) -> Notification:
    return Notification.objects.get(kind=kind)


def test_a_gmail_forward_becomes_a_ticket(deliver: Deliver, submitter, billing) -> None:
    deliver(eml("gmail_forward"))

    ticket = Ticket.objects.get()
    assert ticket.title == "Exporting invoices in bulk"
    assert ticket.submitted_by == submitter  # From: Sales@Staff.Example, any case
    assert ticket.customer.name == "Acme Corp"  # named from acme-corp.example
    assert (ticket.contact.email, ticket.contact.name) == ("jo.park@acme-corp.example", "Jo Park")
    assert "downloads 300 invoices one by one" in ticket.description
    assert "Head of Finance" not in ticket.description  # the signature is trimmed
    assert (ticket.importance, ticket.kind, ticket.product_area) == (
        "critical",
        "feature_request",
        billing,
    )
    assert ticket.source_team == "sales"
    assert ticket.source == "email"
    assert ticket.source_reference == "<CAHx=gmail-fwd-0001@mail.gmail.com>"
    assert ticket.source_sender == "Jo Park <jo.park@acme-corp.example>"
    assert ticket.source_sent_at == datetime.datetime(2025, 11, 17, 16, 12, tzinfo=datetime.UTC)
    note = Comment.objects.get(ticket=ticket)
    assert note.author == submitter
    assert note.body == "Acme wants this before their renewal in January. #critical #billing"

    reply = _reply(NotificationKind.EMAIL_FILED)
    assert reply.recipient_email == submitter.email
    assert reply.ticket == ticket
    assert reply.subject == "Re: Exporting invoices in bulk"
    assert (
        f"Filed #{ticket.pk} for Acme Corp (jo.park@acme-corp.example) — importance Critical"
        in reply.body_text
    )
    assert f"/intake/tickets/{ticket.pk}/edit/" in reply.body_text
    inbound = InboundEmail.objects.get()
    assert (inbound.outcome, inbound.ticket) == (Outcome.FILED, ticket)
    assert inbound.raw is not None


def test_an_outlook_forward_keeps_the_customers_words_only(deliver: Deliver, casey) -> None:
    deliver(eml("outlook_forward"))

    ticket = Ticket.objects.get()
    assert ticket.title == "Dark mode for the reporting dashboard"  # "FW:" dropped
    assert ticket.submitted_by == casey
    assert ticket.source_team == "customer_success"
    assert ticket.customer.name == "Globex"
    assert ticket.contact.email == "maria.lopez@globex.example"
    assert ticket.kind == "friction"
    assert ticket.importance == "important"  # the default
    assert "white screen" in ticket.description
    assert "Sent from Outlook" not in ticket.description
    assert "anything we can improve" not in ticket.description  # the older history
    # "Sent: Tuesday, November 18, 2025 10:15 PM", read in the company's zone (UTC here).
    assert ticket.source_sent_at == datetime.datetime(2025, 11, 18, 22, 15, tzinfo=datetime.UTC)
    assert Comment.objects.get(ticket=ticket).body.startswith("Their ops team works night shifts")


def test_an_apple_mail_forward_with_only_hashtags_has_no_comment(
    deliver: Deliver, submitter
) -> None:
    deliver(eml("apple_forward"))

    ticket = Ticket.objects.get()
    assert ticket.title == "SSO with Okta"
    assert ticket.customer.name == "Initech"
    assert ticket.contact.name == "Priya Nair"
    assert (ticket.importance, ticket.kind) == ("important", "feature_request")
    assert "single sign-on through Okta" in ticket.description
    assert "Sent from my iPhone" not in ticket.description
    assert ticket.source_sent_at == datetime.datetime(
        2025, 11, 19, 16, 30, 5, tzinfo=datetime.UTC
    )  # 17:30:05 CET
    assert not Comment.objects.exists()


def test_an_email_forwarded_as_an_attachment(deliver: Deliver, casey) -> None:
    deliver(eml("rfc822_attachment"))

    ticket = Ticket.objects.get()
    assert ticket.title == "Audit log export"
    assert ticket.customer.name == "Hooli"
    assert (ticket.contact.email, ticket.contact.name) == ("lee.chen@hooli.example", "Chen, Lee")
    assert ticket.kind == "bug"
    assert "Café talk aside" in ticket.description  # ISO-8859-1, quoted-printable
    assert "how is the rollout going" not in ticket.description  # the quote is trimmed
    assert Comment.objects.get().body.startswith("Forwarding as an attachment")


def test_html_only_mail_is_turned_into_readable_text(deliver: Deliver, submitter) -> None:
    deliver(eml("html_only"))

    ticket = Ticket.objects.get()
    assert ticket.customer.name == "Umbrella"
    assert "We would like Slack alerts per project instead of one channel" in ticket.description
    assert "Alerts for project A in #team-a" in ticket.description
    assert "<" not in ticket.description
    assert 'alert("x")' not in ticket.description  # a script is no text
    assert ticket.tags == []  # hashtags count in the rep's note only
    assert Comment.objects.get().body == "They would switch from their current tool for this."


def test_an_unknown_charset_that_reads_as_utf8_is_filed(deliver: Deliver, submitter) -> None:
    deliver(eml("bad_charset"))

    ticket = Ticket.objects.get()
    assert ticket.title == "Mehrsprachige Rechnungen"
    assert "„Rechnung“ statt „Invoice“" in ticket.description
    assert ticket.contact.name == "Jürgen Weiß"
    assert ticket.customer.name == "Wonka Industries"


def test_a_text_that_cannot_be_read_is_refused_in_one_line(deliver: Deliver, submitter) -> None:
    deliver(eml("unreadable_charset"))

    assert not Ticket.objects.exists()
    reply = _reply(NotificationKind.EMAIL_NOT_FILED)
    assert reply.recipient_email == submitter.email
    assert reply.body_text.splitlines()[0] == (
        "Not filed: We could not read the email: its text is in a character set we cannot read "
        "(x-mac-unknown)."
    )
    assert InboundEmail.objects.get().outcome == Outcome.NOT_FILED


@pytest.mark.parametrize("name", ["auto_reply", "bounce"])
def test_automatic_mail_is_dropped_without_a_reply(deliver: Deliver, submitter, name: str) -> None:
    deliver(eml(name))

    assert not Ticket.objects.exists()
    assert not Notification.objects.exists()
    assert InboundEmail.objects.get().outcome == Outcome.DROPPED


def test_mail_from_our_own_address_is_dropped(deliver: Deliver, submitter) -> None:
    raw = eml("gmail_forward").replace(
        b"From: Sam Sales <Sales@Staff.Example>", b"From: FeedbackLoop <feedback@ourco.example>"
    )
    deliver(raw)

    assert not Ticket.objects.exists()
    assert not Notification.objects.exists()
    assert InboundEmail.objects.get().detail == "sent from our own address"


def test_an_oversize_email_is_refused_unread(deliver: Deliver, submitter, settings) -> None:
    settings.INBOUND_MAX_BYTES = 20_000
    raw = eml("oversize")
    assert len(raw) > 40_000
    deliver(raw)

    assert not Ticket.objects.exists()
    reply = _reply(NotificationKind.EMAIL_NOT_FILED)
    assert "The email is 42 KB, over the 20 KB we take" in reply.body_text
    assert "forward it again without its attachments" in reply.body_text
    inbound = InboundEmail.objects.get()
    assert inbound.raw is None  # not kept
    assert inbound.size > 40_000


def test_someone_not_on_staff_gets_one_short_reply(deliver: Deliver, submitter) -> None:
    deliver(eml("not_staff"))
    second = eml("not_staff").replace(b"customer-direct-0001", b"customer-direct-0002")
    deliver(second)

    assert not Ticket.objects.exists()
    assert not Customer.objects.exists()
    reply = _reply(NotificationKind.EMAIL_NOT_STAFF)  # one, though two arrived
    assert reply.recipient_email == "jo.park@acme-corp.example"
    assert "only takes mail from FeedbackLoop staff" in reply.body_text
    assert InboundEmail.objects.filter(outcome=Outcome.NOT_STAFF).count() == 2


def test_an_inactive_user_is_not_staff(deliver: Deliver, submitter) -> None:
    submitter.is_active = False
    submitter.save()
    deliver(eml("gmail_forward"))

    assert not Ticket.objects.exists()
    assert _reply(NotificationKind.EMAIL_NOT_STAFF).recipient_email == "Sales@Staff.Example"


def test_a_personal_address_names_no_company(deliver: Deliver, submitter) -> None:
    deliver(eml("freemail_forward"))

    ticket = Ticket.objects.get()
    assert ticket.customer.is_unnamed
    assert ticket.customer.name == "dana.kim@gmail.com"
    # Empty subjects: the first words are the title.
    assert (
        ticket.title == "Would love a keyboard shortcut to file feedback without leaving the inbox."
    )
    assert ticket.importance == "nice_to_have"
    reply = _reply(NotificationKind.EMAIL_FILED)
    assert "writes from a personal address" in reply.body_text
    assert f"/intake/tickets/{ticket.pk}/company/" in reply.body_text


def test_no_text_at_all_is_refused_in_one_line(deliver: Deliver, submitter) -> None:
    deliver(eml("no_text"))

    assert not Ticket.objects.exists()
    assert not Contact.objects.exists()
    reply = _reply(NotificationKind.EMAIL_NOT_FILED)
    assert reply.body_text.startswith("Not filed: There is no text in the email to file")


def test_malformed_mime_with_readable_words_is_filed(deliver: Deliver, casey) -> None:
    deliver(eml("malformed"))

    ticket = Ticket.objects.get()
    assert ticket.customer.name == "Cyberdyne"
    assert ticket.title.startswith("The mobile app logs me out every time I switch apps")
    assert len(ticket.title) <= 81


def test_a_known_contact_keeps_its_company(deliver: Deliver, submitter) -> None:
    from intake.tests.factories import ContactFactory, CustomerFactory

    acme = CustomerFactory.create(name="ACME Corporation")
    ContactFactory.create(customer=acme, email="jo.park@acme-corp.example")
    deliver(eml("gmail_forward"))

    assert Ticket.objects.get().customer == acme


def test_a_new_contact_joins_the_company_of_their_domain(deliver: Deliver, submitter) -> None:
    from intake.tests.factories import ContactFactory, CustomerFactory

    acme = CustomerFactory.create(name="ACME Corporation")
    ContactFactory.create(customer=acme, email="cfo@acme-corp.example")
    deliver(eml("gmail_forward"))

    ticket = Ticket.objects.get()
    assert ticket.customer == acme
    assert ticket.contact.email == "jo.park@acme-corp.example"
