from __future__ import annotations

from django.http import HttpRequest

from notifications.selectors import unread_notice_count


def unread_notices(request: HttpRequest) -> dict[str, int]:
    """`unread_notices`: the count on the bell in the navigation."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notices": unread_notice_count(user=user)}
