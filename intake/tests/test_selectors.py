"""Similar-feedback search and company look-up."""

from __future__ import annotations

import pytest

from intake.models import TicketStatus
from intake.selectors import customer_search
from intake.tests.factories import CustomerFactory, TicketFactory
from triage.models import InitiativeStatus
from triage.selectors import similar_feedback
from triage.tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


def test_similar_finds_the_same_ask_worded_differently() -> None:
    initiative = InitiativeFactory.create(
        title="CSV export for invoices", description="Download invoices as a spreadsheet."
    )
    InitiativeFactory.create(title="Dark mode", description="A dark theme for the app.")
    ticket = TicketFactory.create(title="Export invoices as CSV", description="For the audit.")
    TicketFactory.create(title="Slack alerts", description="Approvals in Slack.")

    found = similar_feedback(text="export invoices as CSV")
    assert [i.pk for i in found.initiatives] == [initiative.pk]
    found = similar_feedback(text="CSV export for invoices")
    assert [t.pk for t in found.tickets] == [ticket.pk]


def test_similar_offers_shipped_and_declined_initiatives_but_only_waiting_tickets() -> None:
    shipped = InitiativeFactory.create(title="CSV export", status=InitiativeStatus.SHIPPED)
    declined = InitiativeFactory.create(title="CSV export", status=InitiativeStatus.DECLINED)
    TicketFactory.create(title="CSV export please", status=TicketStatus.DECLINED)
    TicketFactory.create(title="CSV export now", status=TicketStatus.LINKED)
    waiting = TicketFactory.create(title="CSV export soon", status=TicketStatus.SNOOZED)
    found = similar_feedback(text="csv export")
    assert {i.pk for i in found.initiatives} == {shipped.pk, declined.pk}
    assert [t.pk for t in found.tickets] == [waiting.pk]


def test_similar_ignores_punctuation_and_stop_words() -> None:
    assert not similar_feedback(text="the & | ! :* ()")
    assert not similar_feedback(text="")


def test_similar_ranks_the_closest_first() -> None:
    far = InitiativeFactory.create(title="Invoices", description="Invoices overview page.")
    near = InitiativeFactory.create(title="CSV export of invoices", description="CSV export.")
    found = similar_feedback(text="csv export invoices")
    assert found.initiatives[0] == near
    # One that shares a single word, next to a clear match, is not worth the rep's time.
    assert far not in found.initiatives


def test_company_lookup_by_prefix_ignores_case_and_spaces() -> None:
    acme = CustomerFactory.create(name="Acme Corp")
    CustomerFactory.create(name="Globex")
    assert customer_search(prefix="  ACME  c") == [acme]
    assert customer_search(prefix="") == []
