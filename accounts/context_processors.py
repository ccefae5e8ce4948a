from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.permissions import capabilities_of


def navigation(request: HttpRequest) -> dict[str, Any]:
    """`may`: which parts of the app this user's role can use; `unread_notices`: the bell."""
    user = getattr(request, "user", None)
    if user is None:
        return {}
    context: dict[str, Any] = {"may": capabilities_of(user)}
    if user.is_authenticated:
        from notifications.selectors import unread_notice_count

        context["unread_notices"] = unread_notice_count(user=user)
    return context
