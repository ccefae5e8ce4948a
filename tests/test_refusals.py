"""The pages answer a refusal with the status the API gives it: 403 for who may not, 409 for a
conflict with the current state, 400 for bad input, whether htmx asked or a plain form did."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from intake.models import TicketStatus
from intake.tests.factories import TicketFactory
from triage.models import InitiativeStatus
from triage.tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_htmx_forbidden_is_403_with_the_policys_words(client, facilitator) -> None:
    ticket = TicketFactory.create()
    client.force_login(facilitator)
    url = reverse("triage:inbox-action", args=[ticket.pk, "decline"])
    response = client.post(url, {"reason": "No."}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 403
    assert "Your role may not triage tickets or change initiatives." in body
    assert "<html" not in body  # a fragment for htmx to swap in, not a page
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW


def test_htmx_conflict_is_409_beside_the_form(client, pm) -> None:
    ticket = TicketFactory.create(status=TicketStatus.DECLINED, decline_reason="Earlier.")
    client.force_login(pm)
    url = reverse("triage:inbox-action", args=[ticket.pk, "decline"])
    response = client.post(url, {"reason": "Again."}, **HTMX)
    assert response.status_code == 409
    assert "is already declined." in response.content.decode()
    assert 'name="reason"' in response.content.decode()  # the form, to try something else


def test_htmx_invalid_is_400_beside_its_field(client, pm) -> None:
    ticket = TicketFactory.create()
    client.force_login(pm)
    url = reverse("triage:inbox-action", args=[ticket.pk, "snooze"])
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    response = client.post(url, {"until": yesterday.isoformat()}, **HTMX)
    assert response.status_code == 400
    assert "Pick a day after today" in response.content.decode()


def test_a_stale_move_on_the_board_is_409(client, pm) -> None:
    initiative = InitiativeFactory.create(title="CSV")
    client.force_login(pm)
    url = reverse("triage:move", args=[initiative.pk])
    body = {"status": "planned", "version": initiative.version - 1, "from": "board"}
    response = client.post(url, body, **HTMX)
    assert response.status_code == 409
    assert "while you were looking" in response.content.decode()
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.PROPOSED


def test_a_plain_form_post_shows_a_conflict_on_the_page_as_409(client, pm) -> None:
    initiative = InitiativeFactory.create(title="CSV")
    client.force_login(pm)
    url = reverse("triage:status", args=[initiative.pk])
    body = {"status": "declined", "decline_reason": "No.", "version": initiative.version - 1}
    response = client.post(url, body)
    assert response.status_code == 409
    html = response.content.decode()
    assert "while you were looking" in html
    assert "<html" in html
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.PROPOSED


def test_a_page_refused_before_its_view_is_a_403_page_with_the_words(client, submitter) -> None:
    ticket = TicketFactory.create()  # someone else's
    client.force_login(submitter)
    response = client.get(reverse("intake:edit", args=[ticket.pk]))
    assert response.status_code == 403
    assert "Only the person who filed a ticket can edit it." in response.content.decode()
