"""The whole loop in Chromium, with the real parts: two reps file the same ask for two customers,
the PM triages and plans it, the facilitator puts it on the monthly review, the PM ships it —
and a Celery worker process on Redis emails each customer once, through a real SMTP server —
and both reps see that their customer was told.

The live server runs in this process and publishes its tasks to the worker's Redis instead of
running them eagerly; the worker sends every email (customers' and staff notices) to the sink.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from intake.models import Ticket, TicketStatus
from notifications.models import DeliveryStatus, Notification, NotificationKind
from sessions.models import Decision, Session
from tests.helpers import log_in, screenshot
from tests.smtp import SmtpSink
from tests.worker import (
    CeleryWorker,
    wait_for,
    worker_env,
)
from triage.models import Initiative, InitiativeStatus

pytestmark = pytest.mark.worker

INITIATIVE = "CSV export for invoices"
RELEASE_NOTE = "Every invoice list has an “Export CSV” button now."


@pytest.fixture
def worker(transactional_db, sink: SmtpSink, broker: str, tmp_path: Path) -> Iterator[CeleryWorker]:
    """A worker started at once, so it is up by the time the first notice is queued."""
    process = CeleryWorker(
        env=worker_env(broker_url=broker, email_url=sink.url), log_path=tmp_path / "worker.log"
    )
    process.start()
    yield process
    process.close()


def as_user(page: Any, username: str) -> None:
    page.context.clear_cookies()
    log_in(page, username)


def file_ticket(
    page: Any, *, company: str, email: str, title: str, said: str, importance: str
) -> None:
    page.get_by_label("Company").fill(company)
    page.get_by_label("Contact email").fill(email)
    page.get_by_label("Title").fill(title)
    page.get_by_label("What the customer said").fill(said)
    page.get_by_label("Importance").select_option(importance)


def customer_rows(initiative: Initiative) -> dict[str, Notification]:
    rows = Notification.objects.filter(
        initiative=initiative, kind=NotificationKind.CUSTOMER_SHIPPED
    )
    return {row.recipient_email: row for row in rows}


def all_sent(initiative: Initiative, emails: list[str]) -> bool:
    """The worker has recorded an email to each of these customers as sent (and no other)."""
    statuses = {email: row.status for email, row in customer_rows(initiative).items()}
    return statuses == dict.fromkeys(emails, DeliveryStatus.SENT)


def has_subject(sink: SmtpSink, address: str, subject: str) -> bool:
    return subject in [message.header("Subject") for message in sink.to(address)]


def test_two_customers_ask_and_each_is_told_once_when_it_ships(
    page, submitter, other_submitter, pm, facilitator, sink: SmtpSink, worker: CeleryWorker
) -> None:
    asks = {
        "sales": {
            "company": "Northwind Traders",
            "email": "nancy@northwind.example",
            "title": "Export invoices as CSV",
            "said": "Our accountant wants every invoice of the month as a CSV file.",
            "importance": "critical",
        },
        "success": {
            "company": "Contoso",
            "email": "finance@contoso.example",
            "title": "Invoice list to CSV for the accountant",
            "said": "They copy invoices into a spreadsheet by hand every month.",
            "importance": "important",
        },
    }
    sales, success = asks["sales"], asks["success"]

    # 1. A sales rep files what Northwind asked for.
    log_in(page, "sales")
    page.get_by_role("link", name="File feedback").first.click()
    file_ticket(page, **sales)
    page.get_by_role("button", name="File ticket").click()
    expect(page.get_by_text(f"Filed “{sales['title']}” for Northwind Traders.")).to_be_visible()
    first = Ticket.objects.get(title=sales["title"])
    assert (first.status, first.submitted_by) == (TicketStatus.NEW, submitter)

    # 2. A CS manager hears the same ask from Contoso: while the title is typed the rep's
    # ticket is offered (still waiting for triage, so there is no initiative to join yet),
    # and they file their own ticket for their customer.
    as_user(page, "success")
    page.goto("/intake/new/")
    page.get_by_label("Title").fill(success["title"])
    suggestion = page.locator("#similar .suggestion", has_text=sales["title"])
    expect(suggestion).to_contain_text("Northwind Traders")
    expect(suggestion).to_contain_text("waiting for triage")
    file_ticket(page, **success)
    screenshot(page, "journey-2-similar-ticket")
    page.get_by_role("button", name="File ticket").click()
    expect(page.get_by_text(f"Filed “{success['title']}” for Contoso.")).to_be_visible()
    second = Ticket.objects.get(title=success["title"])
    assert second.submitted_by == other_submitter

    # 3. The PM turns the first ticket into an initiative, links the second to it, plans it.
    as_user(page, "pm")
    page.get_by_role("link", name="Inbox", exact=True).click()
    expect(page.locator("#inbox-count-waiting")).to_have_text("2")
    item = page.locator(f"#ticket-{first.pk}")
    item.get_by_role("link", name=re.compile("^New initiative")).click()
    item.get_by_label("Title").fill(INITIATIVE)
    item.get_by_role("button", name="New initiative").click()
    expect(item).to_contain_text(f"Created “{INITIATIVE}”")
    initiative = Initiative.objects.get(title=INITIATIVE)

    item = page.locator(f"#ticket-{second.pk}")
    item.get_by_role("link", name=re.compile("^Link")).click()
    item.get_by_label("Initiative").select_option(label=INITIATIVE)
    item.get_by_role("button", name="Link to an initiative").click()
    expect(item).to_contain_text(f"Linked to “{INITIATIVE}”")
    expect(page.locator("#inbox-count-waiting")).to_have_text("0")
    second.refresh_from_db()
    assert (second.status, second.initiative_id) == (TicketStatus.LINKED, initiative.pk)

    page.get_by_role("link", name="Board", exact=True).click()
    card = page.locator(f"#initiative-{initiative.pk}")
    expect(card).to_contain_text("2 customers · 1 critical")
    card.get_by_role("link", name=re.compile("^Move")).click()
    menu = page.get_by_role("dialog", name=f"Move “{INITIATIVE}”")
    menu.get_by_label("Planned").check()
    menu.get_by_role("button", name="Move").click()
    planned = page.locator(".board-column[data-status=planned]")
    expect(planned.locator(f"#initiative-{initiative.pk}")).to_be_visible()
    screenshot(page, "journey-3-planned")
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.PLANNED

    # 4. The facilitator creates next month's review and puts the initiative on its agenda.
    as_user(page, "facilitator")
    page.goto("/sessions/new/review/")
    starts = timezone.localdate() + datetime.timedelta(days=35)
    page.get_by_label("Starts").fill(f"{starts.isoformat()}T10:00")
    page.get_by_role("button", name="Create the review").click()
    expect(
        page.get_by_text(re.compile("Created “Feedback review, .*” with its agenda."))
    ).to_be_visible()
    review = Session.objects.get()
    # The search answers as one types once htmx has set the page up: wait for it to load.
    page.wait_for_load_state()
    page.get_by_label("Add to the agenda", exact=True).fill(INITIATIVE.split()[0].lower())
    results = page.locator("#agenda-search-results")
    results.get_by_role("button", name=f"Add initiative “{INITIATIVE}” to the agenda").click()
    expect(page.get_by_text(f"Added “{INITIATIVE}” to the agenda.")).to_be_visible()
    [agenda_item] = review.agenda.all()
    assert agenda_item.initiative_id == initiative.pk
    item = page.locator(f"#item-{agenda_item.pk}")
    expect(item).to_contain_text(INITIATIVE)
    item.locator("summary").click()
    item.get_by_label("Decision").select_option("plan")
    item.get_by_label("Rationale").fill("Two customers, one of them critical.")
    item.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Decision recorded.")).to_be_visible()
    expect(page.locator(f"#item-{agenda_item.pk} .decision")).to_contain_text("Plan it")
    screenshot(page, "journey-4-review")
    agenda_item.refresh_from_db()
    assert agenda_item.decision == Decision.PLAN

    # 5. The PM starts the work and ships it with a release note.
    as_user(page, "pm")
    page.goto(f"/triage/initiatives/{initiative.pk}/")
    page.get_by_role("button", name="Move to in progress").click()
    expect(page.locator(".page-head .badge.in_progress")).to_be_visible()
    page.get_by_role("link", name="Ship…").click()
    expect(page.locator(".audience")).to_contain_text("customer contacts will be emailed")
    expect(page.locator(".audience .stat").first).to_have_text("2")
    page.get_by_label("Release note").fill(RELEASE_NOTE)
    page.get_by_role("button", name="Ship it").click()
    expect(
        page.get_by_text(f"Shipped “{INITIATIVE}”: 2 customer contacts are being emailed.")
    ).to_be_visible()
    screenshot(page, "journey-5-shipped")

    # 6. The worker emails each customer once, about their own ask.
    customers = [sales["email"], success["email"]]
    wait_for(
        partial(all_sent, initiative, customers),
        what="both customer emails recorded as sent",
        worker=worker,
    )
    rows = customer_rows(initiative)
    for ask, other in ((sales, success), (success, sales)):
        [received] = sink.to(ask["email"])
        assert received.rcpt_tos == (ask["email"],)
        assert received.message_id == rows[ask["email"]].message_id
        assert received.header("Subject") == f"You asked, we shipped: {INITIATIVE}"
        text = received.body("plain")
        assert f"“{ask['title']}”" in text
        assert other["title"] not in text
        assert RELEASE_NOTE in text
    assert sorted(message.to for message in sink.to(*customers)) == sorted(customers)

    # 7. Each rep hears that their customer was told: a notice, an email, the ticket page.
    for username, ask, user in (("sales", sales, submitter), ("success", success, other_submitter)):
        notice = f"“{INITIATIVE}” shipped: we are emailing {ask['company']}"
        wait_for(
            partial(has_subject, sink, user.email, notice),
            what=f"{username}'s shipped notice by email",
            worker=worker,
        )

        as_user(page, username)
        page.get_by_role("link", name=re.compile("Notices")).click()
        expect(page.get_by_role("link", name=notice)).to_be_visible()
        page.get_by_role("link", name="My tickets").click()
        page.get_by_role("link", name=ask["title"]).click()
        told = page.locator(".customer-told")
        expect(told).to_contain_text("Customer told")
        expect(told).to_contain_text(f"{ask['email']} was emailed")
        screenshot(page, f"journey-7-{username}-ticket")

    # Still once each: nothing was sent twice while the reps looked.
    assert sorted(message.to for message in sink.to(*customers)) == sorted(customers)
