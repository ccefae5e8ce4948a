"""API plumbing every app shares: the exception handler, permissions built from the apps'
policies, the parsed body and a JSON parser with a nesting limit."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import parsers, serializers
from rest_framework.exceptions import ParseError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from core.errors import DomainError

# rest_framework.views reads DEFAULT_PARSER_CLASSES, which names JSONParser below, as it loads:
# importing it at the top makes the two modules import each other, and whichever loads first
# finds the other half-made. So it is imported where it is used.
if TYPE_CHECKING:
    from rest_framework.views import APIView


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        if exc.code == "invalid":
            return Response({exc.field or "non_field_errors": [exc.message]}, status=exc.status)
        return Response({"detail": exc.message}, status=exc.status)
    from rest_framework.views import exception_handler as drf_exception_handler

    return drf_exception_handler(exc, context)


def permission_from(ensure: Callable[[Any], None]) -> type[BasePermission]:
    """A DRF permission class that asks a policy's `ensure_may_*` about the signed-in user and,
    when it refuses, answers 403 with the policy's words."""

    class Allowed(BasePermission):
        message = ""

        def has_permission(self, request: Request, view: APIView) -> bool:
            try:
                ensure(request.user)
            except DomainError as error:
                self.message = error.message
                return False
            return True

    Allowed.__name__ = f"Allowed_{ensure.__name__}"
    return Allowed


def request_data(request: Request) -> Any:
    """The parsed body; one too large to read is bad input like any other, answered in JSON."""
    try:
        return request.data
    except RequestDataTooBig as exc:
        # Only raised when a limit is set, so the setting is a number here.
        limit = (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0) / 1024 / 1024
        message = f"The request is larger than {limit:.1f} MB; no field takes that much text."
        raise serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [message]}) from exc


JSON_DEPTH_MAX = 32
_JSON_STRING = re.compile(r'"(?:\\.|[^"\\])*"')
_JSON_BRACKET = re.compile(r"[\[\]{}]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a nesting limit: a body nested deeper than any field needs is
    answered 400 before the decoder recurses through it."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        raw = stream.read() if stream is not None else b""
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(f"The body is not valid {encoding} text.") from exc
        depth = deepest = 0
        for bracket in _JSON_BRACKET.finditer(_JSON_STRING.sub("", text)):
            depth += 1 if bracket.group() in "[{" else -1
            deepest = max(deepest, depth)
        if deepest > JSON_DEPTH_MAX:
            raise ParseError(
                f"The JSON is nested {deepest} levels deep; at most {JSON_DEPTH_MAX} are accepted."
            )
        data = super().parse(io.BytesIO(raw), media_type, parser_context)
        if _has_surrogate(data):
            # "\ud800" is valid JSON but not text: it could be neither stored nor echoed back.
            raise ParseError("The JSON contains a lone surrogate (\\ud800 to \\udfff); send text.")
        return data


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(item) for item in value)
    return False
