"""API plumbing every app shares: the exception handler, permissions built from the apps'
policies, the parsed body and a JSON parser with a nesting limit."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import MaxLengthValidator, RegexValidator
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import pagination, parsers, serializers
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from core.errors import DomainError
from core.text import CONTROL_CHARACTERS

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


@csrf_exempt  # it changes nothing; a POST to a wrong address is still a 404, not a 403
def not_found(request: Any, *args: Any, **kwargs: Any) -> JsonResponse:
    """/api/ addresses that name no call (an id that is not a number, a typo): the API's 404,
    in JSON, not the 404 page."""
    return JsonResponse({"detail": "There is no such address in the API."}, status=404)


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


def not_found_from(error: DomainError) -> NotFound:
    """A body that names an object which does not exist (an initiative by id, a product area by
    slug, a user by username) is answered 404, as a path naming one is: the request is well
    formed, the thing it points at is missing."""
    return NotFound(error.message)


# Text as the services clean it (core.text): no control characters, and where it is required,
# something besides white space. As patterns, so the schema says what is accepted; `\s` and
# str.strip() agree on what white space is.
_CONTROL_CLASS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
# Not matching "": the schema says blank separately where blank is allowed (allow_blank), and a
# blank that matched both would match neither of drf-spectacular's "one of" the two.
TEXT_PATTERN = rf"^[^{_CONTROL_CLASS}]+$"
REQUIRED_TEXT_PATTERN = rf"^[^{_CONTROL_CLASS}]*[^\s{_CONTROL_CLASS}][^{_CONTROL_CLASS}]*$"


class TextValidator(RegexValidator):
    """The pattern above for the schema; the refusal in the services' words (core.text)."""

    def __init__(self, *, required: bool, label: str, blank_message: str = "") -> None:
        super().__init__(REQUIRED_TEXT_PATTERN if required else TEXT_PATTERN)
        self.required = required
        self.label = label
        self.blank_message = blank_message or f"{label} is required."

    def __call__(self, value: Any) -> None:
        if CONTROL_CHARACTERS.search(str(value)):
            raise DjangoValidationError(
                f"{self.label} contains a control character (such as NUL); remove it and try again."
            )
        if self.required and not str(value).strip():
            raise DjangoValidationError(self.blank_message)


class TextLengthValidator(MaxLengthValidator):
    """At most `limit` characters as sent (the schema's maxLength), said as the services say
    it, unless the field has words of its own."""

    def __init__(self, limit: int, *, label: str, message: str = "") -> None:
        super().__init__(limit)
        self.label = label
        self.too_long = message

    def __call__(self, value: Any) -> None:
        length = len(str(value))
        if length > self.limit_value:
            raise DjangoValidationError(
                self.too_long
                or f"{self.label} is {length:,} characters; keep it under {self.limit_value:,}."
            )


class StrictCharField(serializers.CharField):
    """Text that must be sent as a JSON string: DRF's CharField also takes 42 and 4.2 and turns
    them into text, which the schema (type: string) calls invalid."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictEmailField(serializers.EmailField):
    """An email address sent as a JSON string (see StrictCharField)."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A whole number sent as a JSON number in a body: DRF's IntegerField also takes "42"."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class PageNumberPagination(pagination.PageNumberPagination):
    """DRF's pages, but `?page=` must be a page number: DRF reads a blank one as page 1, which
    the schema (an integer) calls invalid."""

    def get_page_number(self, request: Any, paginator: Any) -> Any:
        value = request.query_params.get(self.page_query_param)
        if value is not None and not (value.isascii() and value.isdigit()):
            raise serializers.ValidationError(
                {self.page_query_param: ["A page is a whole number, from 1."]}
            )
        return super().get_page_number(request, paginator)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
                parameter["description"] = "A page number, from 1; past the last page is 404."
        return parameters


def text_field(
    *,
    limit: int,
    label: str,
    required: bool = True,
    blank: bool | None = None,
    error_messages: dict[str, str] | None = None,
    **kwargs: Any,
) -> serializers.CharField:
    """A text field of the API as the services take it, refused in their words (`label`: "The
    title"): at most `limit` characters as sent (so the schema's maxLength is the rule) and no
    control characters. `required`: it must be sent; `blank` (by default: when not required):
    it may be empty or white space. Give a `default` to a field that need not be sent if the
    view reads it anyway. `error_messages` may word "blank" and "max_length" otherwise."""
    blank = not required if blank is None else blank
    words: dict[str, Any] = {"required": f"{label} is required.", "blank": f"{label} is required."}
    words.update(error_messages or {})
    if not required:
        kwargs.setdefault("required", False)
    return StrictCharField(
        trim_whitespace=False,
        allow_blank=blank,
        error_messages=words,
        validators=[
            TextLengthValidator(limit, label=label, message=words.get("max_length", "")),
            TextValidator(required=not blank, label=label, blank_message=words["blank"]),
        ],
        **kwargs,
    )


def id_field(*, query: bool = False, **kwargs: Any) -> serializers.IntegerField:
    """An object named by its id, in a JSON body (a number) or, with `query`, the query string;
    one that does not exist (whatever its size) is the view's 404 (not_found_from)."""
    kind = serializers.IntegerField if query else StrictIntegerField
    return kind(min_value=1, **kwargs)


SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"


def slug_field(**kwargs: Any) -> serializers.CharField:
    """An object named by its slug (a product area): blank or null for none."""
    return StrictCharField(
        max_length=80,
        allow_blank=True,
        allow_null=True,
        trim_whitespace=False,
        validators=[RegexValidator(SLUG_PATTERN, message="A slug is letters, digits, - and _.")],
        **kwargs,
    )


def query_data(request: Request) -> dict[str, str]:
    """The query string as plain values (the last of a repeated one), for a query serializer.
    Given the QueryDict itself, DRF reads it as a form, where `?limit=` counts as not sent: the
    schema calls it a blank, invalid number, and so does this."""
    return request.query_params.dict()


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
