from __future__ import annotations

import sys
from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader

from accounts.models import User
from insights.policies import may_view_insights
from intake.forms import AnswerForm
from intake.selectors import (
    questions_waiting_on,
    ticket_counts_of,
    tickets_of,
    waiting_for_triage_count,
)
from triage.selectors import initiatives_top


def home(request: HttpRequest) -> HttpResponse:
    """Each role's starting point: what needs doing now, and what to do first when empty."""
    user = request.user
    assert isinstance(user, User)
    context: dict[str, Any] = {"nav": "home"}
    # First what waits on this person: product managers' questions, answered in place.
    waiting = questions_waiting_on(user=user)
    context["waiting"] = waiting
    context["waiting_items"] = [(t, AnswerForm(ticket_id=t.pk)) for t in waiting.tickets]
    context["waiting_more"] = waiting.count - len(waiting.tickets)
    context["my_tickets"] = list(tickets_of(user=user)[:5])
    context["my_counts"] = ticket_counts_of(user=user)
    # The inbox's size and the best-scored initiatives: the first figures of the insights.
    if may_view_insights(user):
        context["waiting"] = waiting_for_triage_count()
        context["top_initiatives"] = initiatives_top(limit=5)
    return render(request, "home.html", context)


DATABASE_UNREACHABLE = "The database is unreachable; nothing was saved. Try again in a moment."


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a lost database connection is a 503 that says so (try again); anything else
    the plain 500 page. Touches no database and uses no context processors, as Django's own."""
    _, exc, _ = sys.exc_info()
    if isinstance(exc, OperationalError | InterfaceError):
        response: HttpResponse
        if request.path_info.startswith("/api/"):
            response = JsonResponse({"detail": DATABASE_UNREACHABLE}, status=503)
        else:
            response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = "30"
        return response
    return HttpResponseServerError(loader.get_template("500.html").render())
