"""Back to Slack through the outbox, against a local Slack: the rep's "your customer was told"
direct message once the customer email was sent, the ship announcement with who asked, the
admin's test message, and what Slack's refusals do to a row."""

from __future__ import annotations

import smtplib
from typing import Any

import pytest
from django.core import mail

from accounts.models import User
from accounts.tests.factories import UserFactory
from intake.models import TicketStatus
from intake.tests.factories import ContactFactory, CustomerFactory, TicketFactory
from notifications.models import DeliveryStatus, Notification, NotificationKind
from notifications.services import notification_deliver
from slack_app.models import SlackActivity
from slack_app.services import slack_test_send
from tests.slack import FakeSlack
from triage.models import Initiative, InitiativeStatus
from triage.services import initiative_ship
from triage.tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

SENT, PENDING, FAILED = DeliveryStatus.SENT, DeliveryStatus.PENDING, DeliveryStatus.FAILED
SUPPRESSED = DeliveryStatus.SUPPRESSED


@pytest.fixture
def asked(db: None, slack: FakeSlack) -> tuple[Initiative, User, User]:
    """An initiative in progress that Acme (filed by Sam, on Slack) and Globex (filed by Cora,
    not on Slack) asked for."""
    sam = UserFactory.create(username="sam", first_name="Sam", last_name="Sales")
    cora = UserFactory.create(username="cora", first_name="Cora", last_name="Success")
    slack.add_user("U0SAM", sam.email)
    initiative = InitiativeFactory.create(
        title="CSV export <!channel>", status=InitiativeStatus.IN_PROGRESS
    )
    for company, email, rep in (("Acme & Co", "jo@acme.example", sam),
                                ("Globex", "hank@globex.example", cora)):  # fmt: skip
        contact = ContactFactory.create(customer=CustomerFactory.create(name=company), email=email)
        TicketFactory.create(
            contact=contact, submitted_by=rep, initiative=initiative, status=TicketStatus.LINKED
        )
    return initiative, sam, cora


def _ship(initiative: Initiative, capture: Any) -> None:
    pm = UserFactory.create(username="pm", role="product_manager", team="product")
    with capture(execute=True):
        initiative_ship(initiative=initiative, by=pm, release_note="Reports > Export > CSV.")


def test_the_rep_is_told_on_slack_once_their_customers_email_was_sent(
    asked, slack: FakeSlack, django_capture_on_commit_callbacks
) -> None:
    initiative, sam, cora = asked
    _ship(initiative, django_capture_on_commit_callbacks)
    assert sorted(m.to[0] for m in mail.outbox if "You asked, we shipped" in m.subject) == [
        "hank@globex.example", "jo@acme.example",
    ]  # fmt: skip
    told = Notification.objects.filter(kind=NotificationKind.SLACK_CUSTOMER_TOLD)
    assert {(row.recipient_user, row.status) for row in told} == {(sam, SENT), (cora, SUPPRESSED)}
    cora_row = told.get(recipient_user=cora)
    assert cora_row.last_error == f"no Slack account has the email {cora.email}"
    [dm] = slack.posted()
    assert dm["channel"] == "D0SAM"
    # Stored text is escaped for Slack: no mention, no link smuggled in by a title or a name.
    escaped = "Acme &amp; Co (jo@acme.example) was told that “CSV export &lt;!channel&gt;” shipped"
    assert escaped in dm["text"]
    assert f"/triage/initiatives/{initiative.pk}/|Open it>" in dm["text"]
    assert "<!date^" in dm["text"]
    assert slack.methods().count("users.lookupByEmail") == 2
    # Sending the customer email again (a resend after a crash) tells nobody twice.
    customer_row = Notification.objects.get(
        kind=NotificationKind.CUSTOMER_SHIPPED, contact__email="jo@acme.example"
    )
    Notification.objects.filter(pk=customer_row.pk).update(status=PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        notification_deliver(notification_id=customer_row.pk)
    assert len(slack.posted()) == 1


def test_no_message_while_the_customer_email_is_only_queued_or_refused(
    asked, slack: FakeSlack, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    initiative, _sam, _ = asked

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise smtplib.SMTPResponseException(451, b"try again later")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    _ship(initiative, django_capture_on_commit_callbacks)
    assert set(
        Notification.objects.filter(kind=NotificationKind.CUSTOMER_SHIPPED).values_list(
            "status", flat=True
        )
    ) == {PENDING}
    assert not Notification.objects.filter(kind=NotificationKind.SLACK_CUSTOMER_TOLD).exists()
    assert slack.posted() == []


def test_without_slack_nothing_is_recorded_for_it(
    asked, slack: FakeSlack, settings, django_capture_on_commit_callbacks
) -> None:
    settings.SLACK_BOT_TOKEN = settings.SLACK_SIGNING_SECRET = ""
    settings.SLACK_SHIP_CHANNEL = "C0SHIP"
    _ship(asked[0], django_capture_on_commit_callbacks)
    assert len([m for m in mail.outbox if "You asked, we shipped" in m.subject]) == 2
    assert not Notification.objects.filter(kind__startswith="slack_").exists()
    assert slack.calls == []


def test_a_shipped_initiative_is_announced_in_the_ship_channel_with_who_asked(
    asked, slack: FakeSlack, settings, django_capture_on_commit_callbacks
) -> None:
    settings.SLACK_SHIP_CHANNEL = "C0SHIP"
    initiative = asked[0]
    _ship(initiative, django_capture_on_commit_callbacks)
    announcement = [p for p in slack.posted() if p["channel"] == "C0SHIP"]
    assert len(announcement) == 1
    text = announcement[0]["text"]
    assert text.startswith(":rocket: Shipped: *<http://")
    assert "|CSV export &lt;!channel&gt;>*" in text
    assert (
        "Asked for by 2 customers: Acme &amp; Co (via Sam Sales); Globex (via Cora Success)" in text
    )
    assert "Reports &gt; Export &gt; CSV." in text
    row = Notification.objects.get(kind=NotificationKind.SLACK_SHIPPED)
    assert (row.status, row.recipient_address, row.initiative) == (SENT, "C0SHIP", initiative)


def test_slacks_refusals_are_retried_or_failed_like_an_emails(
    asked, slack: FakeSlack, settings, django_capture_on_commit_callbacks
) -> None:
    settings.SLACK_SHIP_CHANNEL = "C0SHIP"
    slack.fail("chat.postMessage", "ratelimited", status=429)
    _ship(asked[0], django_capture_on_commit_callbacks)
    row = Notification.objects.get(kind=NotificationKind.SLACK_SHIPPED)
    # The first post was the announcement (recorded in the ship's transaction): rate-limited.
    assert row.status == PENDING
    assert row.next_attempt_at is not None
    assert row.last_error == "Slack answered ratelimited"
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=None)
    assert notification_deliver(notification_id=row.pk) == SENT

    settings.SLACK_SHIP_CHANNEL = "C0GONE"
    other = InitiativeFactory.create(title="Dark mode", status=InitiativeStatus.IN_PROGRESS)
    _ship(other, django_capture_on_commit_callbacks)
    gone = Notification.objects.get(kind=NotificationKind.SLACK_SHIPPED, initiative=other)
    assert (gone.status, gone.attempts, gone.last_error) == (
        FAILED, 1, "Slack answered channel_not_found",
    )  # fmt: skip
    assert SlackActivity.objects.get().last_error == "Slack answered channel_not_found"


def test_an_unreachable_slack_is_tried_again(
    asked, slack: FakeSlack, settings, django_capture_on_commit_callbacks
) -> None:
    settings.SLACK_SHIP_CHANNEL = "C0SHIP"
    settings.SLACK_API_URL = "http://127.0.0.1:9/api/"  # nothing listens on the discard port
    _ship(asked[0], django_capture_on_commit_callbacks)
    row = Notification.objects.get(kind=NotificationKind.SLACK_SHIPPED)
    assert row.status == PENDING
    assert row.last_error.startswith("Slack could not be reached: ")


def test_an_admin_sends_a_test_message_to_the_ship_channel_or_to_themself(
    slack: FakeSlack, settings, admin_user, submitter, django_capture_on_commit_callbacks
) -> None:
    from core.errors import DomainError

    slack.add_user("U0ADMIN", admin_user.email)
    with django_capture_on_commit_callbacks(execute=True):
        slack_test_send(by=admin_user)
    assert slack.posted()[-1]["channel"] == "D0ADMIN"
    settings.SLACK_SHIP_CHANNEL = "C0SHIP"
    with django_capture_on_commit_callbacks(execute=True):
        slack_test_send(by=admin_user)
    assert slack.posted()[-1]["channel"] == "C0SHIP"
    assert "Slack is connected" in slack.posted()[-1]["text"]
    with pytest.raises(DomainError):
        slack_test_send(by=submitter)
    settings.SLACK_BOT_TOKEN = ""
    with pytest.raises(DomainError, match="Slack is not connected"):
        slack_test_send(by=admin_user)
    assert Notification.objects.filter(kind=NotificationKind.SLACK_TEST).count() == 2
