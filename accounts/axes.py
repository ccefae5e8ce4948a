"""How django-axes names the account a login attempt was for."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

# axes keeps the username in a 255-character column; a longer one (no account has one: Django's
# usernames stop at 150) is counted by its first 255 characters instead of failing the login.
USERNAME_KEPT = 255


def attempted_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The username of a login attempt, from the credentials or the posted form."""
    if credentials and credentials.get("username") is not None:
        username = credentials["username"]
    else:
        data: Any = getattr(request, "data", None) or request.POST
        username = data.get("username", "")
    return str(username)[:USERNAME_KEPT]
