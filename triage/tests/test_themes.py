"""Themes in the inbox: which waiting tickets are grouped, what a theme suggests, and that a
request costs a fixed number of queries (the grouping itself is cached)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from django.core.cache import cache

from accounts.models import User
from core.embeddings import DIMENSIONS, item_embedding
from intake.models import Ticket
from intake.tests.factories import ContactFactory, CustomerFactory, TicketFactory
from triage.models import InitiativeStatus
from triage.services import theme_ticket_exclude, ticket_link
from triage.tests.factories import InitiativeFactory
from triage.themes import THEME_THRESHOLD, _as_vector, average_linkage, clusters, inbox_themes

OKTA = [
    ("Single sign-on with Okta", "Their IT wants everyone to log in through Okta."),
    ("Okta SSO login", "Staff should sign in with their Okta accounts."),
    ("Log in with Okta", "We use Okta for every tool; make FeedbackLoop one of them."),
]
OTHERS = [
    ("Dark mode for the dashboard", "Night shift finds the white screen too bright."),
    ("Export invoices as CSV", "Finance needs every invoice in a spreadsheet."),
    ("Bulk user import", "We onboard 300 people a month."),
]


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def waiting(title: str, description: str, company: str, **fields: Any) -> Ticket:
    customer = CustomerFactory.create(name=company, name_key=company.casefold())
    return TicketFactory.create(
        title=title,
        description=description,
        customer=customer,
        contact=ContactFactory.create(customer=customer),
        **fields,
    )


def inbox(companies: list[str] | None = None) -> list[Ticket]:
    names = companies or ["Acme", "Globex", "Initech"]
    tickets = [waiting(t, d, names[n % len(names)]) for n, (t, d) in enumerate(OKTA)]
    tickets += [waiting(t, d, f"Other {n}") for n, (t, d) in enumerate(OTHERS)]
    return tickets


# ---------------------------------------------------------------------------------------------
# The clustering


def test_average_linkage_merges_while_groups_are_alike_on_average() -> None:
    similarity = np.array(
        [
            [1.0, 0.9, 0.6, 0.0],
            [0.9, 1.0, 0.3, 0.0],
            [0.6, 0.3, 1.0, 0.0],
            [0.0, 0.0, 0.0, 1.0],
        ]
    )
    # {0, 1} first; then 2 joins only if its average with them (0.45) clears the bar.
    assert sorted(map(sorted, average_linkage(similarity, 0.5))) == [[0, 1]]
    assert sorted(map(sorted, average_linkage(similarity, 0.4))) == [[0, 1, 2]]
    assert average_linkage(similarity, 0.95) == []


def test_clusters_stay_within_groups_that_are_linked_at_all() -> None:
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(3, 16))
    rows = np.vstack([centre + rng.normal(scale=0.05, size=(4, 16)) for centre in centres])
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    found = sorted(sorted(group) for group in clusters(rows.astype(np.float32), 0.8))
    assert found == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]


def test_stored_vectors_are_read_as_unit_rows_or_ignored() -> None:
    row = np.arange(1, DIMENSIONS + 1, dtype=np.float32)
    for stored in (row.tobytes(), row.tolist()):
        vector = _as_vector(stored)
        assert vector is not None
        assert np.isclose(np.linalg.norm(vector), 1.0)
    assert _as_vector(None) is None
    assert _as_vector([1.0, 2.0]) is None  # another model's size
    assert _as_vector(np.ones(256, dtype=np.float32).tobytes()) is None  # wordllama's, before
    assert _as_vector(np.zeros(DIMENSIONS).tolist()) is None
    assert 0 < THEME_THRESHOLD < 1


# ---------------------------------------------------------------------------------------------
# The inbox's themes


@pytest.mark.django_db
def test_tickets_asking_the_same_from_several_companies_make_a_theme() -> None:
    tickets = inbox()
    [theme] = inbox_themes()
    assert sorted(theme.ticket_ids) == sorted(t.pk for t in tickets[:3])
    assert theme.companies == 3
    assert theme.label in {title for title, _ in OKTA}
    assert theme.tickets[0].title == theme.label  # the most central one names it
    assert theme.initiative is None


@pytest.mark.django_db
def test_one_company_asking_twice_is_not_a_theme() -> None:
    inbox(companies=["Acme"])
    assert inbox_themes() == []


@pytest.mark.django_db
def test_a_ticket_taken_out_is_not_grouped_again(pm: User) -> None:
    tickets = inbox()
    theme_ticket_exclude(ticket=tickets[0], by=pm)
    [theme] = inbox_themes()
    assert sorted(theme.ticket_ids) == sorted(t.pk for t in tickets[1:3])
    theme_ticket_exclude(ticket=tickets[1], by=pm)
    assert inbox_themes() == []


@pytest.mark.django_db
def test_triaged_tickets_leave_the_theme(pm: User) -> None:
    tickets = inbox()
    inbox_themes()
    initiative = InitiativeFactory.create(title="Something else")
    ticket_link(ticket=tickets[0], initiative=initiative, by=pm)
    [theme] = inbox_themes()
    assert tickets[0].pk not in theme.ticket_ids


@pytest.mark.django_db
def test_a_theme_suggests_the_best_similar_open_initiative() -> None:
    open_one = InitiativeFactory.create(title="Okta single sign-on", description="Log in via Okta.")
    InitiativeFactory.create(
        title="Okta SSO, the old attempt",
        status=InitiativeStatus.DECLINED,
        decline_reason="Not then.",
    )
    inbox()
    [theme] = inbox_themes()
    assert theme.initiative == open_one


@pytest.mark.django_db
def test_a_suggestion_declined_since_is_not_offered(pm: User) -> None:
    suggested = InitiativeFactory.create(title="Okta single sign-on")
    inbox()
    assert inbox_themes()[0].initiative == suggested
    suggested.status = InitiativeStatus.DECLINED
    suggested.save()
    assert inbox_themes()[0].initiative is None  # cached grouping, current initiative


@pytest.mark.django_db
def test_themes_cost_a_fixed_number_of_queries_and_are_cached(
    django_assert_num_queries: Any, django_assert_max_num_queries: Any
) -> None:
    """However many waiting tickets and themes (at most THEMES_SHOWN are kept)."""
    inbox()
    # A miss, with the task that finds them run in this process (no broker): the request's
    # digest, then the task's digest, window, facts, suggestion (and its row)...
    with django_assert_max_num_queries(10):
        assert len(inbox_themes()) == 1
    # A hit: the window's digest, and the suggested initiatives (none here: nothing to read).
    with django_assert_num_queries(1):
        assert len(inbox_themes()) == 1
    InitiativeFactory.create(title="Dark mode")
    for n in range(20):
        waiting(f"Dark mode {n}", "The screen is too bright at night.", f"Night {n}")
    inbox_themes()
    with django_assert_num_queries(2):
        assert len(inbox_themes()) == 2


@pytest.mark.django_db
def test_an_edit_to_a_waiting_ticket_regroups(submitter: User) -> None:
    tickets = inbox()
    assert len(inbox_themes()) == 1
    Ticket.objects.filter(pk=tickets[0].pk).update(
        title="Bulk user import",
        description="We onboard 300 people a month.",
        # An edit stores the new text's vector with it (intake.services.ticket_update).
        embedding=item_embedding("Bulk user import", "We onboard 300 people a month."),
        updated_at=tickets[0].updated_at.replace(year=tickets[0].updated_at.year + 1),
    )
    okta = next(theme for theme in inbox_themes() if tickets[1].pk in theme.ticket_ids)
    assert tickets[0].pk not in okta.ticket_ids


@pytest.mark.django_db
def test_an_empty_or_single_inbox_has_no_themes(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        assert inbox_themes() == []
    waiting(*OKTA[0], "Acme")
    assert inbox_themes() == []
