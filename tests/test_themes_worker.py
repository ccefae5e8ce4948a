"""Themes are found by a worker, never on a request: the inbox shows the last themes found, less
what left the inbox since, while a real Celery worker on Redis finds the new ones."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.tests.factories import UserFactory
from intake.models import Ticket
from intake.tests.factories import ContactFactory, CustomerFactory, TicketFactory
from tests.worker import CeleryWorker, wait_for
from triage.services import ticket_link
from triage.tests.factories import InitiativeFactory
from triage.themes import Theme, inbox_themes

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

OKTA = [
    ("Single sign-on with Okta", "Their IT wants everyone to log in through Okta.", "Acme"),
    ("Okta SSO login", "Staff should sign in with their Okta accounts.", "Globex"),
    ("Log in with Okta", "We use Okta for every tool; make FeedbackLoop one of them.", "Initech"),
    ("Sign in through Okta", "Our security team requires Okta for every app.", "Umbrella"),
    ("Dark mode for the dashboard", "Night shift finds the white screen too bright.", "Hooli"),
]


def waiting(title: str, description: str, company: str) -> Ticket:
    customer = CustomerFactory.create(name=company, name_key=company.casefold())
    return TicketFactory.create(
        title=title,
        description=description,
        customer=customer,
        contact=ContactFactory.create(customer=customer),
    )


def ids(themes: list[Theme]) -> list[list[int]]:
    return [sorted(theme.ticket_ids) for theme in themes]


def test_the_inbox_shows_the_last_themes_still_waiting_while_a_worker_finds_new_ones(
    worker_sharing_cache: CeleryWorker, django_assert_max_num_queries: Any
) -> None:
    worker = worker_sharing_cache
    tickets = [waiting(*row) for row in OKTA]
    okta = sorted(t.pk for t in tickets[:4])
    worker.start()

    # Nothing found yet: the request asks the worker and answers at once, without themes.
    with django_assert_max_num_queries(2):  # the window's digest, the last themes' tickets
        assert inbox_themes() == []
    wait_for(lambda: ids(inbox_themes()) == [okta], what="the worker's themes", worker=worker)

    # A ticket leaves the inbox: the next request shows the theme without it at once, before
    # the worker has grouped the tickets again.
    pm = UserFactory.create(username="pm", role="product_manager", team="product")
    ticket_link(ticket=tickets[0], initiative=InitiativeFactory.create(title="SSO"), by=pm)
    with django_assert_max_num_queries(3):  # digest, still waiting, suggested initiatives
        [theme] = inbox_themes()
    assert sorted(theme.ticket_ids) == okta[1:]
    assert theme.companies == 3
    assert theme.label == theme.tickets[0].title

    # A new ticket of the same ask joins once the worker has found the themes again.
    late = waiting("Okta single sign-on please", "Everyone here logs in with Okta.", "Stark")
    wait_for(
        lambda: ids(inbox_themes()) == [sorted([*okta[1:], late.pk])],
        what="the new ticket in the theme",
        worker=worker,
    )
