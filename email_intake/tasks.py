"""Periodic email chores (beat); each is safe to run twice or at once."""

from __future__ import annotations

from celery import shared_task

from email_intake.imap import mailbox_poll
from email_intake.services import inbound_raw_purge


@shared_task
def poll_mailbox() -> int:
    """File what arrived in the IMAP mailbox (INBOUND_IMAP_URL), every minute."""
    return mailbox_poll()


@shared_task
def purge_raw() -> int:
    """Forget the raw messages older than 90 days (their records stay)."""
    return inbound_raw_purge()
