from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import Role, User
from intake.selectors import ticket_counts_of, tickets_of, waiting_for_triage_count
from triage.selectors import initiatives_top


def home(request: HttpRequest) -> HttpResponse:
    """Each role's starting point: what needs doing now, and what to do first when empty."""
    user = request.user
    assert isinstance(user, User)
    role = user.effective_role
    context: dict[str, Any] = {"nav": "home", "role": role, "Role": Role}
    context["my_tickets"] = list(tickets_of(user=user)[:5])
    context["my_counts"] = ticket_counts_of(user=user)
    if role != Role.SUBMITTER:
        context["waiting"] = waiting_for_triage_count()
        context["top_initiatives"] = initiatives_top(limit=5)
    return render(request, "home.html", context)
