from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import Role


def home(request: HttpRequest) -> HttpResponse:
    """Each role's starting point: what needs doing now, and what to do first when empty."""
    role = request.user.effective_role  # type: ignore[union-attr]
    return render(request, "home.html", {"nav": "home", "role": role, "Role": Role})
