"""The inbox's same-ask pages: themes and their actions (htmx fragment and plain page), the link
action's matches of every kind, the "same" action; roles, bad ids, fixed query counts."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from intake.models import Ticket, TicketStatus
from notifications.models import Notification, NotificationKind
from triage.models import Initiative, InitiativeStatus, ThemeExclusion
from triage.tests.factories import InitiativeFactory
from triage.tests.test_themes import OKTA, inbox, waiting

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
MERGE = reverse("triage:theme-merge")
EXCLUDE = reverse("triage:theme-exclude")


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def _okta(tickets: list[Ticket]) -> list[str]:
    return [str(t.pk) for t in tickets[:3]]


# ---------------------------------------------------------------------------------------------
# Themes on the inbox


def test_the_inbox_shows_a_theme_with_its_actions(client, pm) -> None:
    tickets = inbox()
    suggested = InitiativeFactory.create(title="Okta single sign-on")
    client.force_login(pm)
    html = client.get(reverse("triage:inbox")).content.decode()
    assert "3 tickets from 3 companies look like <em>" in html
    assert "Make them one initiative" in html
    assert "Link all to “Okta single sign-on”" in html
    assert f'name="initiative" value="{suggested.pk}"' in html
    for ticket in tickets[:3]:
        assert f'name="ticket" value="{ticket.pk}"' in html  # "Not the same ask"
    # Only the first page of the waiting view shows themes.
    asked = client.get(reverse("triage:inbox") + "?view=asked").content.decode()
    assert "companies look like" not in asked


@pytest.mark.parametrize("themes", [1, 5])
def test_the_inbox_with_themes_makes_a_fixed_number_of_queries(
    client, pm, django_assert_max_num_queries: Any, themes: int
) -> None:
    client.force_login(pm)
    url = reverse("triage:inbox")
    inbox()
    InitiativeFactory.create(title="Okta single sign-on")
    client.get(url)  # the themes are found and cached
    with django_assert_max_num_queries(14) as few:
        client.get(url)
    limit = len(few.captured_queries)  # read now: the next request empties the query log
    for n in range(themes * 4):
        topic = ["Dark mode", "CSV export", "Bulk import", "Audit log", "Slack alerts"][n % 5]
        waiting(f"{topic} please", f"{topic} for the whole team.", f"Company {n}")
    client.get(url)
    with django_assert_max_num_queries(limit):
        html = client.get(url).content.decode()
    assert html.count('class="theme"') >= min(themes, 2)


def test_merging_a_theme_over_htmx_answers_the_themes_the_done_rows_and_counts(client, pm) -> None:
    tickets = inbox()
    client.force_login(pm)
    response = client.post(
        MERGE, {"tickets": _okta(tickets), "title": "Okta single sign-on"}, **HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Made one initiative of 3 tickets: “Okta single sign-on” (3 customers)." in body
    for ticket in tickets[:3]:
        assert f'id="ticket-{ticket.pk}" tabindex="-1" data-inbox-item data-done' in body
    assert 'id="inbox-count-waiting" hx-swap-oob="true">3<' in body
    initiative = Initiative.objects.get(title="Okta single sign-on")
    assert set(
        Ticket.objects.filter(pk__in=_okta(tickets)).values_list("status", "initiative_id")
    ) == {(TicketStatus.LINKED, initiative.pk)}
    assert "companies look like" not in body  # that was the only theme


def test_linking_a_theme_without_javascript_goes_back_to_the_inbox(client, pm) -> None:
    tickets = inbox()
    suggested = InitiativeFactory.create(title="Okta single sign-on")
    client.force_login(pm)
    response = client.post(MERGE, {"tickets": _okta(tickets), "initiative": suggested.pk})
    assert response["Location"] == reverse("triage:inbox")
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Linked 3 tickets: “Okta single sign-on”")
    suggested.refresh_from_db()
    assert suggested.ticket_count == 3


def test_a_theme_action_on_bad_ids_changes_nothing(client, pm) -> None:
    tickets = inbox()
    client.force_login(pm)
    assert client.post(MERGE, {"tickets": [tickets[0].pk, 99999], "title": "X"}).status_code == 404
    missing = {"tickets": _okta(tickets), "initiative": "99999"}
    assert client.post(MERGE, missing).status_code == 404
    response = client.post(MERGE, {"tickets": ["abc"], "title": "X"}, **HTMX)
    assert response.status_code == 400
    assert "Enter a whole number." in response.content.decode()
    response = client.post(MERGE, {"tickets": [tickets[0].pk], "title": "X"}, **HTMX)
    assert response.status_code == 400
    assert "at least two waiting tickets" in response.content.decode()
    response = client.post(MERGE, {"tickets": _okta(tickets), "title": ""})
    assert response["Location"] == reverse("triage:inbox")
    assert "A title" in str(next(iter(get_messages(response.wsgi_request))))
    declined = InitiativeFactory.create(status=InitiativeStatus.DECLINED, title="Gone")
    response = client.post(MERGE, {"tickets": _okta(tickets), "initiative": declined.pk}, **HTMX)
    assert response.status_code == 409
    assert not Initiative.objects.exclude(pk=declined.pk).exists()
    assert set(Ticket.objects.values_list("status", flat=True)) == {TicketStatus.NEW}


def test_taking_a_ticket_out_of_a_theme(client, pm) -> None:
    tickets = inbox()
    client.force_login(pm)
    response = client.post(EXCLUDE, {"ticket": tickets[0].pk}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert f"Took #{tickets[0].pk}" in body
    assert "2 tickets from 2 companies look like" in body
    assert ThemeExclusion.objects.get().ticket == tickets[0]
    response = client.post(EXCLUDE, {"ticket": tickets[1].pk})
    assert response["Location"] == reverse("triage:inbox")
    assert client.post(EXCLUDE, {"ticket": 99999}).status_code == 404
    assert client.post(EXCLUDE, {"ticket": "x"}, **HTMX).status_code == 400


@pytest.mark.parametrize("role", ["submitter", "facilitator", "admin_user"])
def test_only_product_managers_act_on_themes(client, request, role: str) -> None:
    tickets = inbox()
    client.force_login(request.getfixturevalue(role))
    assert client.post(MERGE, {"tickets": _okta(tickets), "title": "X"}).status_code == 403
    assert client.post(EXCLUDE, {"ticket": tickets[0].pk}).status_code == 403
    assert not Initiative.objects.exists()
    assert not ThemeExclusion.objects.exists()


# ---------------------------------------------------------------------------------------------
# The link action's matches, and "same ask"


def test_the_link_action_offers_every_kind_of_match(client, pm) -> None:
    ticket = waiting(*OKTA[0], "Acme")
    other = waiting(*OKTA[1], "Globex")
    InitiativeFactory.create(title="Okta login, planned", status=InitiativeStatus.PLANNED)
    InitiativeFactory.create(
        title="Okta login, first cut",
        status=InitiativeStatus.SHIPPED,
        shipped_at=timezone.now(),
        release_note="Out.",
    )
    InitiativeFactory.create(
        title="Okta login, on premise",
        status=InitiativeStatus.DECLINED,
        decline_reason="We only run in the cloud.",
    )
    client.force_login(pm)
    html = client.get(reverse("triage:inbox-action", args=[ticket.pk, "link"]), **HTMX)
    body = html.content.decode()
    assert "Link here" in body
    assert "Link and tell the customer" in body
    assert f"Shipped {timezone.localdate():%b %-d, %Y}" in body
    assert "We only run in the cloud." in body
    assert body.count('name="initiative" value=') == 2  # no button for the declined one
    assert f'name="same_as" value="{other.pk}"' in body


def test_linking_to_a_shipped_match_tells_the_customer(
    client, pm, django_capture_on_commit_callbacks
) -> None:
    ticket = waiting(*OKTA[0], "Acme")
    shipped = InitiativeFactory.create(
        title="Okta", status=InitiativeStatus.SHIPPED, shipped_at=timezone.now()
    )
    client.force_login(pm)
    url = reverse("triage:inbox-action", args=[ticket.pk, "link"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"initiative": shipped.pk}, **HTMX)
    assert "which shipped: Acme is told now." in response.content.decode()
    assert Notification.objects.filter(kind=NotificationKind.CUSTOMER_SHIPPED).count() == 1


def test_same_ask_from_the_inbox_makes_an_initiative_of_both(client, pm) -> None:
    ticket = waiting(*OKTA[0], "Acme")
    other = waiting(*OKTA[1], "Globex")
    client.force_login(pm)
    url = reverse("triage:inbox-action", args=[ticket.pk, "same"])
    page = client.get(url)
    assert page.status_code == 200
    assert f'name="same_as" value="{other.pk}"' in page.content.decode()
    response = client.post(url, {"same_as": other.pk}, **HTMX)
    body = response.content.decode()
    assert f"The same ask as #{other.pk}: both count for the new proposed “{other.title}”." in body
    initiative = Initiative.objects.get()
    assert initiative.ticket_count == 2
    response = client.post(
        reverse("triage:inbox-action", args=[waiting(*OKTA[2], "Initech").pk, "same"]),
        {"same_as": 99999},
        **HTMX,
    )
    assert response.status_code == 400
    assert "There is no ticket #99999." in response.content.decode()
