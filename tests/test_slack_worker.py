"""Back to Slack with the real parts: a Celery worker process on Redis, an SMTP server and a
local Slack. The rep's "your customer was told" direct message waits for the customer email
to be sent: while the mail server refuses it, nothing is posted; once it takes it, the DM goes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from accounts.tests.factories import UserFactory
from intake.models import TicketStatus
from intake.tests.factories import ContactFactory, CustomerFactory, TicketFactory
from notifications.models import DeliveryStatus, Notification, NotificationKind
from tests.slack import SIGNING_SECRET, TOKEN, FakeSlack
from tests.smtp import SmtpSink
from tests.worker import CeleryWorker, wait_for, worker_env
from triage.models import InitiativeStatus
from triage.services import initiative_ship
from triage.tests.factories import InitiativeFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


@pytest.fixture
def worker(
    transactional_db, sink: SmtpSink, broker: str, slack: FakeSlack, settings, tmp_path: Path
) -> Iterator[CeleryWorker]:
    settings.SLACK_SHIP_CHANNEL = "C0SHIP"
    process = CeleryWorker(
        env=worker_env(
            broker_url=broker,
            email_url=sink.url,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_BOT_TOKEN=TOKEN,
            SLACK_API_URL=settings.SLACK_API_URL,
            SLACK_SHIP_CHANNEL="C0SHIP",
            # A refused email is tried again after exactly a second, then two.
            NOTIFICATION_BACKOFF_SECONDS="1",
        ),
        log_path=tmp_path / "worker.log",
    )
    yield process
    process.close()


def test_the_reps_dm_arrives_only_after_the_customer_email_was_sent(
    worker: CeleryWorker, sink: SmtpSink, slack: FakeSlack
) -> None:
    rep = UserFactory.create(username="sam", first_name="Sam", last_name="Sales")
    pm = UserFactory.create(username="pm", role="product_manager", team="product")
    slack.add_user("U0SAM", rep.email)
    initiative = InitiativeFactory.create(title="CSV export", status=InitiativeStatus.IN_PROGRESS)
    contact = ContactFactory.create(
        customer=CustomerFactory.create(name="Acme"), email="jo@acme.example"
    )
    TicketFactory.create(
        contact=contact, submitted_by=rep, initiative=initiative, status=TicketStatus.LINKED
    )
    sink.refuse(2, to="jo@acme.example")  # 421 at the end of DATA, twice
    worker.start()
    initiative_ship(initiative=initiative, by=pm, release_note="Reports > Export > CSV.")

    def customer_row() -> Notification:
        return Notification.objects.get(kind=NotificationKind.CUSTOMER_SHIPPED)

    def dms() -> list[dict[str, object]]:
        return [post for post in slack.posted() if post["channel"] == "D0SAM"]

    # Refused: queued and tried, not sent. The rep hears nothing yet; the channel has the ship.
    wait_for(lambda: customer_row().last_error, what="the first try refused", worker=worker)
    row = customer_row()
    assert (row.status, row.last_error[:8]) == (DeliveryStatus.PENDING, "SMTP 421")
    wait_for(lambda: slack.posted(), what="the ship announcement", worker=worker)
    assert [post["channel"] for post in slack.posted()] == ["C0SHIP"]
    assert not Notification.objects.filter(kind=NotificationKind.SLACK_CUSTOMER_TOLD).exists()

    # The third try is taken; then, and only then, the DM.
    wait_for(lambda: sink.to("jo@acme.example"), what="the customer email", timeout=30)
    wait_for(lambda: dms(), what="the rep's DM", worker=worker)
    row = customer_row()
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 3)
    assert row.sent_at is not None
    [dm] = [c for c in slack.called("chat.postMessage") if c.args["channel"] == "D0SAM"]
    assert dm.at >= row.sent_at.timestamp()
    assert "Acme (jo@acme.example) was told that “CSV export” shipped" in str(dm.args["text"])
    rows = Notification.objects.filter(kind=NotificationKind.SLACK_CUSTOMER_TOLD)
    wait_for(lambda: rows.filter(status=DeliveryStatus.SENT).exists(), what="the DM recorded")
    told = rows.get()
    assert told.recipient_user == rep
    assert told.created_at >= row.sent_at
    assert slack.refused_calls() == []
    assert len(sink.to("jo@acme.example")) == 1
