"""What the ways in guarantee: the webhook takes only signed calls, the same message files one
ticket however often and however it arrives, a failure rolls everything back and leaves the
message to be tried again, the mailbox marks a message seen only once it is filed, and raw
messages are forgotten after 90 days."""

from __future__ import annotations

import datetime
import threading
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from email_intake import services
from email_intake.models import InboundEmail, Outcome, Via, WayInHealth
from email_intake.services import email_receive, inbound_raw_purge
from email_intake.tasks import poll_mailbox, purge_raw
from email_intake.tests.conftest import eml, webhook_post
from email_intake.tests.dovecot import Dovecot
from intake.models import Comment, Ticket
from notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("secret", [None, "postmark:wrong", "other:hook-s3cret"])
def test_the_webhook_refuses_a_call_without_the_secret(client, submitter, secret) -> None:
    response = webhook_post(client, eml("gmail_forward"), secret=secret)

    assert response.status_code == 400
    assert not Ticket.objects.exists()
    assert not InboundEmail.objects.exists()
    assert not Notification.objects.exists()


def test_without_a_configured_secret_the_webhook_takes_nothing(client, submitter, settings) -> None:
    """Unset, ANYMAIL_WEBHOOK_SECRET leaves anymail a secret nobody knows (anymail alone would
    take anyone's calls), so every call is refused."""
    from feedbackloop import settings as project_settings

    closed = project_settings.ANYMAIL["WEBHOOK_SECRET"]
    assert closed.startswith("closed:")
    assert len(closed) > 40
    settings.ANYMAIL = {"WEBHOOK_SECRET": closed}
    settings.ANYMAIL_WEBHOOK_SECRET = ""
    for secret in (None, "closed:", "postmark:hook-s3cret", ":"):
        assert webhook_post(client, eml("gmail_forward"), secret=secret).status_code == 400
    assert not Ticket.objects.exists()


def test_the_same_message_twice_through_both_ways_files_one_ticket(
    client, submitter, mailbox: Dovecot
) -> None:
    raw = eml("gmail_forward")
    assert webhook_post(client, raw).status_code == 200
    assert webhook_post(client, raw).status_code == 200  # the provider retried
    mailbox.append(raw)  # and a copy reached the mailbox too
    poll_mailbox.delay()

    assert Ticket.objects.count() == 1
    assert InboundEmail.objects.count() == 1
    assert Notification.objects.count() == 1  # one reply
    assert Comment.objects.count() == 1
    assert mailbox.flags() == [mailbox.flags()[0]]
    assert "\\Seen" in mailbox.flags()[0]  # handled: not read again


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_at_once_file_one_ticket(submitter) -> None:
    """The webhook and the mailbox racing on one message: the unique Message-ID makes the
    second insert wait for the first transaction, then see it; no check-then-insert."""
    raw = eml("gmail_forward")
    start = threading.Barrier(2)
    results: list[Any] = []

    def deliver(via: Via) -> None:
        try:
            start.wait()
            results.append(email_receive(raw=raw, via=via)[1])
        except Exception as exc:  # the assertion below names it
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(via,)) for via in (Via.WEBHOOK, Via.IMAP)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(results) == [False, True], results
    assert Ticket.objects.count() == 1
    assert Notification.objects.count() == 1


def _fail_filing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The database refuses the rep's note (as a lost connection would, half-way through)."""

    def broken(**_: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "comment_add", broken)


def test_a_failure_rolls_back_and_the_provider_delivers_again(
    client, submitter, monkeypatch
) -> None:
    raw = eml("gmail_forward")
    _fail_filing(monkeypatch)
    client.raise_request_exception = False
    assert webhook_post(client, raw).status_code == 500  # the provider tries again later

    assert not Ticket.objects.exists()  # nothing half-stored
    assert not InboundEmail.objects.exists()
    assert not Notification.objects.exists()
    health = WayInHealth.objects.get(via=Via.WEBHOOK)
    assert "the database went away" in health.last_error

    monkeypatch.undo()
    assert webhook_post(client, raw).status_code == 200
    assert Ticket.objects.count() == 1


def test_a_failure_leaves_the_message_unseen_in_the_mailbox(
    submitter, mailbox: Dovecot, monkeypatch
) -> None:
    mailbox.append(eml("gmail_forward"))
    mailbox.append(eml("outlook_forward"))  # from someone not on staff here
    _fail_filing(monkeypatch)
    poll_mailbox.delay()

    assert not Ticket.objects.exists()
    flags = mailbox.flags()
    assert "\\Seen" not in flags[0]  # to be tried again
    assert "\\Seen" in flags[1]  # handled (not staff: a reply, no ticket)
    assert "could not be filed" in WayInHealth.objects.get(via=Via.IMAP).last_error

    monkeypatch.undo()
    poll_mailbox.delay()
    assert Ticket.objects.count() == 1
    assert all("\\Seen" in flag for flag in mailbox.flags())


def test_the_mailbox_can_move_handled_messages_to_a_folder(
    submitter, mailbox: Dovecot, settings
) -> None:
    mailbox.create("Filed")
    settings.INBOUND_IMAP_URL = mailbox.url(query="move=Filed")
    mailbox.append(eml("apple_forward"))
    poll_mailbox.delay()

    assert Ticket.objects.count() == 1
    assert mailbox.flags("INBOX") == []
    assert len(mailbox.flags("Filed")) == 1


def test_a_wrong_mailbox_password_is_shown_and_files_nothing(
    submitter, mailbox: Dovecot, settings
) -> None:
    settings.INBOUND_IMAP_URL = mailbox.url(password="wrong")
    mailbox.append(eml("gmail_forward"))
    assert poll_mailbox.delay().get() == 0

    assert not Ticket.objects.exists()
    health = WayInHealth.objects.get(via=Via.IMAP)
    assert health.last_error.startswith("Could not read imap://feedback@127.0.0.1:")
    assert "wrong" not in health.last_error  # never the password
    assert health.last_ok_at is None


def test_without_a_mailbox_the_task_does_nothing(submitter) -> None:
    assert poll_mailbox.delay().get() == 0
    assert not WayInHealth.objects.exists()


def test_raw_messages_are_forgotten_after_90_days_but_still_recognised(client, submitter) -> None:
    raw = eml("gmail_forward")
    assert webhook_post(client, raw).status_code == 200
    assert webhook_post(client, eml("apple_forward")).status_code == 200
    old = InboundEmail.objects.get(message_key="<CAHx=gmail-fwd-0001@mail.gmail.com>")
    InboundEmail.objects.filter(pk=old.pk).update(
        received_at=timezone.now() - datetime.timedelta(days=91)
    )

    assert purge_raw.delay().get() == 1
    old.refresh_from_db()
    assert old.raw is None
    assert InboundEmail.objects.exclude(pk=old.pk).get().raw is not None
    assert inbound_raw_purge() == 0  # again: nothing left to do

    assert webhook_post(client, raw).status_code == 200  # a late redelivery
    assert Ticket.objects.count() == 2
    assert old.outcome == Outcome.FILED


def _with_attachment_of(megabytes: float) -> bytes:
    """The oversize fixture with its attachment grown (base64 lines of zeros)."""
    line = b"A" * 76 + b"\n"
    lines = int(megabytes * 1_048_576 / len(line))
    return eml("oversize").replace(
        b"\n--big-boundary--", b"\n" + line * lines + b"--big-boundary--"
    )


def test_the_webhook_takes_an_email_larger_than_djangos_form_limit(client, submitter) -> None:
    raw = _with_attachment_of(3)
    assert len(raw) > 3_000_000  # Django alone refuses bodies over 2.5 MB
    assert webhook_post(client, raw).status_code == 200

    ticket = Ticket.objects.get()
    assert ticket.title == "Contract with attachment"
    assert ticket.description == "Please see the attached contract."


def test_the_webhook_refuses_a_body_far_over_the_limit(client, submitter, settings) -> None:
    settings.INBOUND_MAX_BYTES = 100_000
    response = webhook_post(client, _with_attachment_of(1.5))

    assert response.status_code == 413
    assert not InboundEmail.objects.exists()
