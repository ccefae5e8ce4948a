"""The page behind a reply's "one click adds this customer" link: it names the ticket and the
initiative and asks for that click. A link in an email is fetched by mail scanners, so the
link itself changes nothing; the button posts to the ticket's same-ask action."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.models import User
from core.http import HtmxHttpRequest, require
from intake.policies import ensure_may_file_ticket
from intake.selectors import ticket_get
from triage.models import InitiativeStatus
from triage.policies import may_match
from triage.selectors import initiative_get


@require(ensure_may_file_ticket)
@require_GET
def ticket_onto(request: HtmxHttpRequest, ticket_id: int, initiative_id: int) -> HttpResponse:
    ticket = ticket_get(ticket_id=ticket_id)
    initiative = initiative_get(initiative_id=initiative_id)
    if ticket is None or initiative is None:
        raise Http404("That ticket or initiative no longer exists.")
    assert isinstance(request.user, User)
    context = {
        "ticket": ticket,
        "initiative": initiative,
        "may_match": may_match(request.user, ticket),
        "takes_customers": initiative.status != InitiativeStatus.DECLINED,
        "nav": "mine",
    }
    return render(request, "email_intake/onto.html", context)
