"""The signed-in user of an API request (tokens: people/api.py, people/authentication.py)."""

from __future__ import annotations

from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request

from accounts.models import User

USERNAME_MAX = 150  # User.username's column


def request_user(request: Request) -> User:
    """The signed-in user; the permission classes have already turned anonymous callers away."""
    if not isinstance(request.user, User):
        raise NotAuthenticated()
    return request.user
