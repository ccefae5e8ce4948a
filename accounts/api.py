"""The API's sign-in: the token endpoint and the signed-in user of a request."""

from __future__ import annotations

from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle

from accounts.models import User


def request_user(request: Request) -> User:
    """The signed-in user; the permission classes have already turned anonymous callers away."""
    if not isinstance(request.user, User):
        raise NotAuthenticated()
    return request.user


class TokenView(ObtainAuthToken):
    """POST {"username", "password"} -> {"token"}; throttled against password guessing."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"
