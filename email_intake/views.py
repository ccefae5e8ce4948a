"""The page behind a reply's "one click adds this customer" link, and the request-size rule of
the provider webhooks."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
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
    # A link in an email is fetched by mail scanners, so opening it changes nothing: the
    # button posts to the ticket's same-ask action.
    context = {
        "ticket": ticket,
        "initiative": initiative,
        "may_match": may_match(request.user, ticket),
        "takes_customers": initiative.status != InitiativeStatus.DECLINED,
        "nav": "mine",
    }
    return render(request, "email_intake/onto.html", context)


def webhook_body_limit(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A provider webhook reads bodies up to twice INBOUND_MAX_BYTES (a message travels
    base64-encoded in JSON), not Django's 2.5 MB for forms, so a large email reaches
    email_receive and its rep is told; a larger body is refused with 413."""

    @wraps(view)  # keeps anymail's csrf_exempt and login_not_required
    def limited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        limit = settings.INBOUND_MAX_BYTES * 2 + 1_048_576
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            return HttpResponse("The email is too large.", status=413)
        if request.method == "POST":
            request._body = request.read(limit)  # request.body then skips Django's own cap
        return view(request, *args, **kwargs)

    return limited
