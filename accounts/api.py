"""The API's sign-in: the token endpoint and the signed-in user of a request."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema
from rest_framework import parsers, serializers
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.models import User
from core.api import JSONParser, StrictCharField, request_data, text_field

USERNAME_MAX = 150  # User.username's column


def request_user(request: Request) -> User:
    """The signed-in user; the permission classes have already turned anonymous callers away."""
    if not isinstance(request.user, User):
        raise NotAuthenticated()
    return request.user


class TokenRequestSerializer(serializers.Serializer[dict[str, Any]]):
    username = text_field(label="The username", limit=USERNAME_MAX)
    password = StrictCharField(
        trim_whitespace=False,
        style={"input_type": "password"},
        # DRF refuses NUL in any text; the pattern says so in the schema.
        validators=[RegexValidator(r"^[^\x00]+$", message="Null characters are not allowed.")],
    )


class TokenSerializer(serializers.Serializer[dict[str, Any]]):
    token = serializers.CharField(
        min_length=40, max_length=40, help_text="Send it as `Authorization: Token <token>`"
    )


class TokenView(APIView):
    """POST {"username", "password"} -> {"token"}; throttled against password guessing."""

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    # A form too: what a shell script's curl sends most easily.
    parser_classes = [parsers.FormParser, parsers.MultiPartParser, JSONParser]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        summary="Trade a username and password for the API token; a wrong pair is 401",
        request=TokenRequestSerializer,
        responses={200: TokenSerializer},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        body = TokenRequestSerializer(data=request_data(request))
        body.is_valid(raise_exception=True)
        # axes (AUTHENTICATION_BACKENDS) counts a failure against this username and address.
        user = authenticate(
            request=request,
            username=body.validated_data["username"],
            password=body.validated_data["password"],
        )
        if not isinstance(user, User) or not user.is_active:
            # Well-formed but refused: the credentials, not the request, are wrong.
            raise AuthenticationFailed("Unable to log in with that username and password.")
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    def get_authenticate_header(self, request: Request) -> str:
        # A 401 names the scheme the token is used with (without authentication classes DRF
        # would turn the refusal into a 403).
        return "Token"
