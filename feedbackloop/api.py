"""API plumbing shared by every app: the exception handler and the token endpoint."""

from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import exception_handler as drf_exception_handler

from feedbackloop.errors import DomainError

_STATUS = {
    "invalid": status.HTTP_400_BAD_REQUEST,
    "forbidden": status.HTTP_403_FORBIDDEN,
    "not_found": status.HTTP_404_NOT_FOUND,
    "conflict": status.HTTP_409_CONFLICT,
}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        if exc.code == "invalid":
            return Response({exc.field or "non_field_errors": [exc.message]}, status=400)
        return Response({"detail": exc.message}, status=_STATUS[exc.code])
    return drf_exception_handler(exc, context)


class TokenView(ObtainAuthToken):
    """POST {"username", "password"} -> {"token"}; throttled against password guessing."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"
