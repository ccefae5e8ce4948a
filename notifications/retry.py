"""When an email is tried again: the whole retry policy of the outbox, in this one file.

- One clock: a row's `next_attempt_at`. A worker claims a row only when it is pending and due
  (`due`), so no Celery message decides when a row is sent. The messages that carry a delivery
  (queued when the change commits, queued again for the due time after a refusal, queued by the
  sweep, or handed out twice by Redis) are wake-up calls; an early or extra one finds nothing to do.
- One count: a row's `attempts`, counted when a worker claims it. A send refused for now (SMTP
  4xx, a dropped or refused connection) is tried again after `backoff(attempts)`, until
  MAX_ATTEMPTS, then the row fails; a permanent refusal (5xx) fails it at once, and so does
  anything else that goes wrong building or sending it (a header Django refuses, a template that
  raises): the error is recorded on the row and the rest of the batch is sent. A product
  manager can send a failed row again from the delivery log (attempts start over). A row on
  another channel (Slack) follows the same rules: its app raises registry.Refused, transient
  when the channel was unreachable or asked to slow down, permanent when it refused the message.
- A channel may keep trying for a time instead (registry.register_channel's `retry_for`):
  webhooks are tried with the same backoff for a day, as their receivers expect of a sender.
- The sweep (beat, every minute; notifications.services.notifications_sweep) queues due pending
  rows that no message picked up within SWEEP_PENDING_AFTER (the broker was down, a worker died
  holding them) and puts rows left `sending` for NOTIFICATION_STUCK_SECONDS (their worker was
  killed mid-send) back to pending, once: a row that stalls a second time, or on its last
  attempt, fails (its `stalls` counts this), so nothing stays in `sending` for ever.
  NOTIFICATION_STUCK_SECONDS must outlast one send (EMAIL_TIMEOUT,
  20 s), or a slow send would be released and sent twice.
- The broker: Redis hands a message that a worker took but did not acknowledge to another worker
  after the visibility timeout (CELERY_BROKER_TRANSPORT_OPTIONS in feedbackloop/settings.py, an
  hour). Delivery tasks acknowledge late, after they ran (within CELERY_TASK_TIME_LIMIT, five
  minutes), and a worker holds a message with an ETA unacknowledged until it is due, at most
  BACKOFF_CAP (an hour) after it was queued. So Redis hands a message out again only when its
  worker died, or, for an hour-long wait, as a second copy around the due time; either way the
  claim above lets one worker send the row once: a worker reads its batch's rows that are
  pending and due, then claims each just before sending it with one UPDATE that succeeds only
  if the row is still pending with the attempts it read (notifications.services).
  Keep BACKOFF_CAP within the visibility timeout (a test checks it): a longer wait would have
  Redis copy the message every hour until it is due.
"""

from __future__ import annotations

import random
import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q

MAX_ATTEMPTS = 6
BACKOFF_CAP = timedelta(hours=1)
# A pending row that no worker took this long after it was written is queued again by the sweep.
SWEEP_PENDING_AFTER = timedelta(seconds=60)


def backoff(attempts: int) -> timedelta:
    """Exponential backoff with full jitter: up to 30 s, 60 s, 120 s, … capped at an hour
    (the base is NOTIFICATION_BACKOFF_SECONDS); never under a second unless the base is."""
    base = settings.NOTIFICATION_BACKOFF_SECONDS
    ceiling = min(BACKOFF_CAP.total_seconds(), base * 2 ** (attempts - 1))
    return timedelta(seconds=random.uniform(min(1.0, base), ceiling))  # noqa: S311


def stuck_after() -> timedelta:
    """How long a row may stay `sending` before the sweep decides its worker died."""
    return timedelta(seconds=settings.NOTIFICATION_STUCK_SECONDS)


def due(now: datetime) -> Q:
    """Rows whose next attempt may happen now (a row never tried has no next_attempt_at)."""
    return Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)


def refusal(exc: OSError) -> tuple[bool, str]:
    """What a failed send means: (worth trying again, what to record on the row). Every smtplib
    error is an OSError; one that is not the mail server's is not caught and propagates."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        # 4xx at RCPT is "not now" (greylisting, a full mailbox): try again; 5xx is final.
        codes = [code for code, _ in exc.recipients.values()]
        transient = bool(codes) and all(400 <= code < 500 for code in codes)
        return transient, f"recipient refused: {exc.recipients}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return not 500 <= exc.smtp_code < 600, f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
    # A dropped or refused connection, a timeout, any other SMTP error: try again.
    return True, f"{type(exc).__name__}: {exc}"


def next_attempt_at(
    *, attempts: int, transient: bool, now: datetime, until: datetime | None = None
) -> datetime | None:
    """When to try a refused row again, or None to give up (a permanent refusal, or the last
    attempt). With `until` (a channel that keeps trying for a time, registry.retry_for: a
    webhook, for a day), the row is tried with the same backoff until then, however many
    attempts that takes."""
    if not transient:
        return None
    if until is not None:
        return None if now >= until else min(now + backoff(attempts), until)
    if attempts >= MAX_ATTEMPTS:
        return None
    return now + backoff(attempts)
