"""The provider webhooks (django-anymail, at /anymail/<provider>/inbound/): anymail checks the
basic auth (ANYMAIL_WEBHOOK_SECRET) and parses the provider's format; its `inbound` signal
hands each message here, to the same service the mailbox uses. An exception raised here makes
the webhook answer 500, so the provider delivers the message again later."""

from __future__ import annotations

import logging
from email import policy
from typing import Any

from anymail.signals import AnymailInboundEvent

from email_intake.models import Via
from email_intake.services import email_receive, way_in_failed

log = logging.getLogger(__name__)


def inbound_received(sender: object, event: AnymailInboundEvent, esp_name: str, **_: Any) -> None:
    message = event.message
    if message is None:
        return
    try:
        # policy.SMTP: CRLF line ends, as the message travelled.
        raw = message.as_bytes(policy=policy.SMTP)
        envelope = message.envelope_sender
        email_receive(
            raw=raw,
            via=Via.WEBHOOK,
            envelope_sender=None if envelope is None else str(envelope).strip("<>"),
        )
    except Exception as exc:
        log.exception("filing an email from the %s webhook failed", esp_name)
        way_in_failed(via=Via.WEBHOOK, error=f"A message from {esp_name} could not be filed: {exc}")
        raise
