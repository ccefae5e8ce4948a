"""The priority score: each company once per initiative at its strongest ask, kept current by
every triage action, and recomputed for all initiatives when the admin changes the weights."""

from __future__ import annotations

import math
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from intake.models import Customer, Importance, Ticket, TicketStatus
from intake.tests.factories import ContactFactory, CustomerFactory, TicketFactory
from triage.models import Initiative, InitiativeEvent, InitiativeStatus, ScoringWeights
from triage.scoring import initiatives_rescore_all
from triage.services import (
    initiative_merge,
    ticket_decline,
    ticket_link,
    ticket_mark_duplicate,
    ticket_unlink,
)
from triage.tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

NICE = Importance.NICE_TO_HAVE
IMPORTANT = Importance.IMPORTANT
CRITICAL = Importance.CRITICAL


def customer(name: str, revenue: int | None = None) -> Customer:
    return CustomerFactory.create(
        name=name, annual_revenue=Decimal(revenue) if revenue is not None else None
    )


def ask(company: Customer | str, importance: str) -> Ticket:
    """A new ticket from the company (created on first use), waiting in the inbox."""
    if isinstance(company, str):
        company = customer(company)
    return TicketFactory.create(
        contact=ContactFactory.create(customer=company), importance=importance
    )


def linked(initiative: Initiative, company: Customer | str, importance: str, pm: User) -> Ticket:
    ticket = ask(company, importance)
    ticket_link(ticket=ticket, initiative=initiative, by=pm)
    return ticket


def stored(initiative: Initiative) -> Initiative:
    return Initiative.objects.get(pk=initiative.pk)


def score(initiative: Initiative) -> tuple[float, int, int]:
    """What is stored: (priority score, customers, tickets)."""
    current = stored(initiative)
    return float(current.priority_score), current.customer_count, current.ticket_count


def test_the_issue_example_scores_six(pm) -> None:
    """Critical from Acme, important from Globex, nice to have from Initech, and a second nice to
    have from Acme: Acme counts once, at critical — 3 + 2 + 1."""
    initiative = InitiativeFactory.create()
    linked(initiative, "Acme", CRITICAL, pm)
    linked(initiative, "Globex", IMPORTANT, pm)
    linked(initiative, "Initech", NICE, pm)
    linked(initiative, "Acme", NICE, pm)

    initiative = stored(initiative)
    assert initiative.priority_score == Decimal(6)
    assert initiative.customer_count == 3
    assert initiative.ticket_count == 4
    assert initiative.critical_count == 1
    assert initiative.score_explanation == "3 customers · 1 critical"


def test_a_company_counts_at_its_strongest_ask_whatever_the_order(pm) -> None:
    initiative = InitiativeFactory.create()
    linked(initiative, "Acme", NICE, pm)
    linked(initiative, "Acme", IMPORTANT, pm)
    linked(initiative, "Acme", NICE, pm)
    initiative = stored(initiative)
    assert initiative.priority_score == Decimal(2)
    assert initiative.customer_count == 1
    assert initiative.ticket_count == 3
    assert initiative.score_explanation == "1 customer"


def test_the_explanation_names_customers_criticals_and_revenue(pm) -> None:
    initiative = InitiativeFactory.create()
    revenues = [100_000, 60_000, 40_000, 20_000, 10_000, 10_000, None]
    importances = [CRITICAL, CRITICAL, CRITICAL, IMPORTANT, NICE, NICE, IMPORTANT]
    for n, (revenue, importance) in enumerate(zip(revenues, importances, strict=True)):
        linked(initiative, customer(f"Company {n}", revenue), importance, pm)
    initiative = stored(initiative)
    assert initiative.revenue_total == Decimal(240_000)
    assert initiative.score_explanation == "7 customers · 3 critical · $240k ARR"


def test_the_admins_weights_are_used(pm) -> None:
    weights = ScoringWeights.current()
    weights.nice_to_have, weights.important, weights.critical = 2, 5, 13
    weights.save()
    initiative = InitiativeFactory.create()
    linked(initiative, "Acme", CRITICAL, pm)
    linked(initiative, "Globex", IMPORTANT, pm)
    linked(initiative, "Initech", NICE, pm)
    assert stored(initiative).priority_score == Decimal(13 + 5 + 2)


def test_revenue_weighting_scales_each_company_by_its_revenue(pm) -> None:
    weights = ScoringWeights.current()
    weights.revenue_weighting = True
    weights.save()
    initiative = InitiativeFactory.create()
    linked(initiative, customer("Acme", 250_000), CRITICAL, pm)
    linked(initiative, customer("Acme", 250_000), NICE, pm)  # same company: once, at critical
    linked(initiative, customer("Globex", 1_234), IMPORTANT, pm)
    linked(initiative, customer("Initech"), NICE, pm)  # no revenue known: weight unchanged

    expected = (
        3 * (1 + math.log10(1 + 250_000 / 10_000)) + 2 * (1 + math.log10(1 + 1_234 / 10_000)) + 1
    )
    initiative = stored(initiative)
    assert initiative.priority_score == Decimal(str(round(expected, 2)))
    assert initiative.priority_score == Decimal("10.35")  # 7.24 + 2.10 + 1, as a person checks it
    assert initiative.revenue_total == Decimal(251_234)


def test_relinking_a_ticket_rescores_both_initiatives(pm) -> None:
    first, second = InitiativeFactory.create(), InitiativeFactory.create()
    moving = linked(first, "Acme", CRITICAL, pm)
    linked(first, "Globex", NICE, pm)
    linked(second, "Initech", IMPORTANT, pm)
    assert (score(first), score(second)) == ((4, 2, 2), (2, 1, 1))

    ticket_link(ticket=moving, initiative=second, by=pm)

    assert score(first) == (1, 1, 1)
    assert score(second) == (5, 2, 2)
    assert (stored(first).critical_count, stored(second).critical_count) == (0, 1)


def test_merging_keeps_every_customer_and_ticket_on_the_target(pm) -> None:
    source, target = InitiativeFactory.create(), InitiativeFactory.create()
    source_tickets = [linked(source, "Acme", CRITICAL, pm), linked(source, "Globex", NICE, pm)]
    target_tickets = [linked(target, "Acme", NICE, pm), linked(target, "Initech", IMPORTANT, pm)]
    duplicate = ask("Umbrella", IMPORTANT)
    ticket_mark_duplicate(ticket=duplicate, of=source_tickets[0], by=pm)

    result = initiative_merge(initiative=source, into=target, by=pm)

    all_tickets = {t.pk for t in [*source_tickets, *target_tickets, duplicate]}
    assert set(Ticket.objects.filter(initiative=target).values_list("pk", flat=True)) == all_tickets
    # Acme (critical, its strongest ask on either side) 3 + Globex 1 + Initech 2 + Umbrella 2.
    assert result.priority_score == Decimal(8)
    assert (result.customer_count, result.ticket_count, result.critical_count) == (4, 5, 1)
    assert stored(target).priority_score == Decimal(8)

    source = stored(source)
    assert source.status == InitiativeStatus.DECLINED
    assert source.merged_into_id == target.pk
    assert target.title in source.decline_reason
    assert score(source) == (0, 0, 0)
    assert source.events.filter(kind=InitiativeEvent.Kind.MERGED, actor=pm).exists()
    assert target.events.filter(kind=InitiativeEvent.Kind.MERGED, from_value=source.title).exists()


def test_a_duplicate_of_a_linked_ticket_counts_its_customer(pm) -> None:
    initiative = InitiativeFactory.create()
    original = linked(initiative, "Acme", IMPORTANT, pm)
    duplicate = ask("Globex", CRITICAL)

    ticket_mark_duplicate(ticket=duplicate, of=original, by=pm)

    duplicate.refresh_from_db()
    assert duplicate.status == TicketStatus.DUPLICATE
    assert duplicate.initiative_id == initiative.pk
    assert score(initiative) == (5, 2, 2)
    assert stored(initiative).critical_count == 1


def test_a_duplicate_from_the_same_company_does_not_count_it_twice(pm) -> None:
    initiative = InitiativeFactory.create()
    original = linked(initiative, "Acme", NICE, pm)
    ticket_mark_duplicate(ticket=ask("Acme", CRITICAL), of=original, by=pm)
    assert score(initiative) == (3, 1, 2)


def test_a_duplicate_of_an_untriaged_ticket_follows_it_when_it_is_linked(pm) -> None:
    initiative = InitiativeFactory.create()
    original = ask("Acme", NICE)
    duplicate = ask("Globex", CRITICAL)
    ticket_mark_duplicate(ticket=duplicate, of=original, by=pm)
    duplicate.refresh_from_db()
    assert duplicate.initiative is None

    ticket_link(ticket=original, initiative=initiative, by=pm)

    duplicate.refresh_from_db()
    assert duplicate.initiative_id == initiative.pk
    assert score(initiative) == (4, 2, 2)


def test_a_duplicate_of_a_duplicate_counts_where_the_original_goes(pm) -> None:
    first, second = InitiativeFactory.create(), InitiativeFactory.create()
    original = ask("Acme", NICE)
    middle = ask("Globex", NICE)
    last = ask("Initech", CRITICAL)
    ticket_mark_duplicate(ticket=middle, of=original, by=pm)
    ticket_mark_duplicate(ticket=last, of=middle, by=pm)

    ticket_link(ticket=original, initiative=first, by=pm)
    assert stored(first).customer_count == 3
    ticket_link(ticket=original, initiative=second, by=pm)

    assert score(first) == (0, 0, 0)
    assert score(second) == (5, 3, 3)


def test_marking_a_linked_ticket_duplicate_elsewhere_moves_its_customer(pm) -> None:
    first, second = InitiativeFactory.create(), InitiativeFactory.create()
    ticket = linked(first, "Acme", CRITICAL, pm)
    original = linked(second, "Globex", NICE, pm)

    ticket_mark_duplicate(ticket=ticket, of=original, by=pm)

    assert score(first) == (0, 0, 0)
    assert score(second) == (4, 2, 2)


def test_declining_a_linked_ticket_lowers_the_score(pm) -> None:
    initiative = InitiativeFactory.create()
    linked(initiative, "Acme", IMPORTANT, pm)
    declined = linked(initiative, "Globex", CRITICAL, pm)
    assert stored(initiative).priority_score == Decimal(5)

    ticket_decline(ticket=declined, by=pm, reason="Globex churned.")

    assert score(initiative) == (2, 1, 1)
    assert stored(initiative).critical_count == 0


def test_declining_the_original_stops_its_duplicates_counting(pm) -> None:
    initiative = InitiativeFactory.create()
    linked(initiative, "Acme", NICE, pm)
    original = linked(initiative, "Globex", IMPORTANT, pm)
    ticket_mark_duplicate(ticket=ask("Initech", CRITICAL), of=original, by=pm)
    assert stored(initiative).priority_score == Decimal(6)

    ticket_decline(ticket=original, by=pm, reason="Not something we will build.")

    assert score(initiative) == (1, 1, 1)


def test_unlinking_lowers_the_score_and_takes_the_duplicates_along(pm) -> None:
    initiative = InitiativeFactory.create()
    linked(initiative, "Acme", NICE, pm)
    unlinked = linked(initiative, "Globex", CRITICAL, pm)
    ticket_mark_duplicate(ticket=ask("Initech", IMPORTANT), of=unlinked, by=pm)

    ticket_unlink(ticket=unlinked, by=pm)

    assert score(initiative) == (1, 1, 1)
    unlinked.refresh_from_db()
    assert (unlinked.status, unlinked.initiative_id) == (TicketStatus.NEW, None)


def test_rescore_command_applies_changed_weights_to_every_initiative(pm) -> None:
    first, second, empty = (InitiativeFactory.create() for _ in range(3))
    linked(first, customer("Acme", 90_000), CRITICAL, pm)
    linked(first, customer("Globex"), NICE, pm)
    linked(second, customer("Initech", 990_000), IMPORTANT, pm)
    assert (score(first), score(second)) == ((4, 2, 2), (2, 1, 1))

    weights = ScoringWeights.current()
    weights.critical, weights.important, weights.nice_to_have = 10, 4, 1
    weights.revenue_weighting = True
    weights.save()
    # The stored score is what the board ranks by; it waits for the rescore.
    assert stored(first).priority_score == Decimal(4)

    out = StringIO()
    call_command("rescore_initiatives", stdout=out)

    # Acme: 10 * (1 + log10(1 + 9)) = 20, Globex (no revenue) 1; Initech: 4 * (1 + 2) = 12.
    assert stored(first).priority_score == Decimal(21)
    assert stored(second).priority_score == Decimal(12)
    assert stored(empty).priority_score == Decimal(0)
    assert "Rescored 3 initiatives; 2 changed." in out.getvalue()

    out = StringIO()
    call_command("rescore_initiatives", stdout=out)
    assert "0 changed" in out.getvalue()


def test_every_triage_action_leaves_the_stored_score_current(pm) -> None:
    """After any mix of actions a full recompute finds nothing to correct."""
    first, second, third = (InitiativeFactory.create() for _ in range(3))
    a = linked(first, "Acme", CRITICAL, pm)
    b = linked(first, "Globex", IMPORTANT, pm)
    c = linked(second, "Initech", NICE, pm)
    d = ask("Umbrella", CRITICAL)
    ticket_mark_duplicate(ticket=d, of=b, by=pm)
    ticket_link(ticket=b, initiative=second, by=pm)
    ticket_unlink(ticket=a, by=pm)
    ticket_decline(ticket=c, by=pm, reason="Out of scope.")
    linked(third, "Acme", IMPORTANT, pm)
    initiative_merge(initiative=third, into=second, by=pm)

    assert initiatives_rescore_all() == 0
    # Globex 2 + Umbrella (duplicate of Globex's ticket) 3 + Acme (from the merge) 2.
    assert score(second) == (7, 3, 3)
    assert stored(first).priority_score == Decimal(0)
