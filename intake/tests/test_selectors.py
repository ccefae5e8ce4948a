"""Similar-feedback search and company look-up."""

from __future__ import annotations

import pytest

from intake.models import TicketStatus
from intake.selectors import customer_search
from intake.tests.factories import CustomerFactory, TicketFactory
from triage.models import Initiative, InitiativeStatus
from triage.selectors import similar_feedback

pytestmark = pytest.mark.django_db


def test_similar_finds_the_same_ask_worded_differently() -> None:
    initiative = Initiative.objects.create(
        title="CSV export for invoices", description="Download invoices as a spreadsheet."
    )
    Initiative.objects.create(title="Dark mode", description="A dark theme for the app.")
    ticket = TicketFactory.create(title="Export invoices as CSV", description="For the audit.")
    TicketFactory.create(title="Slack alerts", description="Approvals in Slack.")

    found = similar_feedback(text="export invoices as CSV")
    assert [i.pk for i in found.initiatives] == [initiative.pk]
    found = similar_feedback(text="CSV export for invoices")
    assert [t.pk for t in found.tickets] == [ticket.pk]


def test_similar_leaves_out_shipped_initiatives_and_triaged_tickets() -> None:
    Initiative.objects.create(title="CSV export", status=InitiativeStatus.SHIPPED)
    TicketFactory.create(title="CSV export please", status=TicketStatus.DECLINED)
    assert not similar_feedback(text="csv export")


def test_similar_ignores_punctuation_and_stop_words() -> None:
    assert not similar_feedback(text="the & | ! :* ()")
    assert not similar_feedback(text="")


def test_similar_ranks_the_closest_first() -> None:
    far = Initiative.objects.create(title="Invoices", description="Invoices overview page.")
    near = Initiative.objects.create(title="CSV export of invoices", description="CSV export.")
    found = similar_feedback(text="csv export invoices")
    assert [i.pk for i in found.initiatives][:2] == [near.pk, far.pk]


def test_company_lookup_by_prefix_ignores_case_and_spaces() -> None:
    acme = CustomerFactory.create(name="Acme Corp")
    CustomerFactory.create(name="Globex")
    assert customer_search(prefix="  ACME  c") == [acme]
    assert customer_search(prefix="") == []
