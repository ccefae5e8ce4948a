from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.permissions import capabilities_of


def navigation(request: HttpRequest) -> dict[str, Any]:
    """`may`: which parts of the app this user's role can use."""
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {"may": capabilities_of(user)}
