"""Emails for the tests: the .eml fixtures in emails/, and the two ways in they arrive by: a
provider's webhook (Postmark's inbound JSON with its RawEmail, through django-anymail, with
basic auth) and a real IMAP server (Dovecot) read by the beat task."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from accounts.models import Role, Team, User
from accounts.tests.factories import UserFactory
from email_intake.tests.dovecot import Dovecot
from intake.tests.factories import ProductAreaFactory

EMAILS = Path(__file__).parent / "emails"
FEEDBACK = "feedback@ourco.example"
WEBHOOK_SECRET = "postmark:hook-s3cret"
POSTMARK_INBOUND = "/anymail/postmark/inbound/"


def eml(name: str) -> bytes:
    return (EMAILS / f"{name}.eml").read_bytes()


def postmark_payload(raw: bytes) -> dict[str, Any]:
    """Postmark's inbound JSON with "Include raw email content": RawEmail carries the message as
    a JSON string (8-bit bytes that are not UTF-8 arrive as U+FFFD, as any provider that
    decodes them delivers them), Headers starts with the envelope's Return-Path."""
    headers = BytesHeaderParser(policy=policy.default).parsebytes(raw)
    return_path = headers.get("Return-Path")
    return {
        "MessageID": str(uuid.uuid4()),
        "OriginalRecipient": FEEDBACK,
        "Headers": [{"Name": "Return-Path", "Value": str(return_path)}] if return_path else [],
        "RawEmail": raw.decode("utf-8", "replace"),
    }


def webhook_post(client: Client, raw: bytes, *, secret: str | None = WEBHOOK_SECRET) -> Any:
    headers = {}
    if secret is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(secret.encode()).decode()
    return client.post(
        POSTMARK_INBOUND,
        data=json.dumps(postmark_payload(raw)),
        content_type="application/json",
        headers=headers,
    )


@pytest.fixture(autouse=True)
def _feedback_address(settings: Any) -> None:
    settings.FEEDBACK_EMAIL = FEEDBACK
    settings.ANYMAIL_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.ANYMAIL = {"WEBHOOK_SECRET": WEBHOOK_SECRET}
    settings.INBOUND_IMAP_URL = ""


@pytest.fixture
def casey(db: None) -> User:
    """A customer-success rep (the Outlook and attachment fixtures are hers)."""
    return UserFactory.create(
        username="casey",
        email="casey@staff.example",
        role=Role.SUBMITTER,
        team=Team.CUSTOMER_SUCCESS,
    )


@pytest.fixture
def billing(db: None) -> Any:
    return ProductAreaFactory.create(name="Billing", slug="billing")


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    server = Dovecot()
    try:
        server.start()
    except RuntimeError as problem:
        pytest.fail(str(problem))
    yield server
    server.stop()


@pytest.fixture
def mailbox(dovecot: Dovecot, settings: Any) -> Dovecot:
    """The IMAP mailbox, empty, as INBOUND_IMAP_URL."""
    dovecot.empty()
    settings.INBOUND_IMAP_URL = dovecot.url()
    return dovecot


Deliver = Callable[[bytes], None]


@pytest.fixture(params=["webhook", "imap"])
def deliver(request: pytest.FixtureRequest, client: Client, db: None) -> Deliver:
    """Hand an email over one way in, as production does: POSTed by the provider to the
    webhook, or appended to the mailbox and read by the beat task."""
    if request.param == "webhook":

        def by_webhook(raw: bytes) -> None:
            response = webhook_post(client, raw)
            assert response.status_code == 200, response.content

        return by_webhook

    box: Dovecot = request.getfixturevalue("mailbox")

    def by_imap(raw: bytes) -> None:
        from email_intake.tasks import poll_mailbox

        box.append(raw)
        poll_mailbox.delay()

    return by_imap
