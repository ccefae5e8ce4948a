"""The API's password sign-in: POST a username and password, get a new named API token."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.core.validators import RegexValidator
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import parsers, serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.api import USERNAME_MAX
from accounts.models import User
from core.api import JSONParser, StrictCharField, request_data, text_field
from core.errors import DomainError
from people.services import api_token_create

TOKEN_NAME_MAX = 100


class TokenRequestSerializer(serializers.Serializer[dict[str, Any]]):
    username = text_field(label="The username", limit=USERNAME_MAX)
    password = StrictCharField(
        trim_whitespace=False,
        style={"input_type": "password"},
        # DRF refuses NUL in any text; the pattern says so in the schema.
        validators=[RegexValidator(r"^[^\x00]+$", message="Null characters are not allowed.")],
    )
    name = text_field(
        label="The token's name",
        limit=TOKEN_NAME_MAX,
        required=False,
        help_text="What the token is for, shown on the Account page (default: API and the date).",
    )


class TokenAnswerSerializer(serializers.Serializer[None]):
    token = serializers.CharField(help_text="The key: send it as `Authorization: Token <key>`.")
    name = serializers.CharField()


class TokenView(APIView):
    """POST {"username", "password", optional "name"} -> {"token", "name"}: a new token each time,
    listed on the person's Account page, where it can be revoked. Throttled against guessing."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    # A form too: what a shell script's curl sends most easily.
    parser_classes = [parsers.FormParser, parsers.MultiPartParser, JSONParser]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"
    serializer_class = TokenRequestSerializer

    @extend_schema(
        summary="Trade a username and password for a new named API token; a wrong pair is 401",
        request=TokenRequestSerializer,
        responses=TokenAnswerSerializer,
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request_data(request))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # axes (AUTHENTICATION_BACKENDS) counts a failure against this username and address,
        # and Django's user_login_failed is what the audit log records.
        user = authenticate(request=request, username=data["username"], password=data["password"])
        if not isinstance(user, User) or not user.is_active:
            # Well-formed but refused: the credentials, not the request, are wrong.
            raise AuthenticationFailed("Unable to log in with that username and password.")
        name = data.get("name", "").strip() or f"API, {timezone.localdate():%Y-%m-%d}"
        try:
            token, key = api_token_create(user=user, name=name)
        except DomainError as error:
            raise serializers.ValidationError({error.field or "name": [error.message]}) from error
        return Response({"token": key, "name": token.name})

    def get_authenticate_header(self, request: Request) -> str:
        # A 401 names the scheme the token is used with (without authentication classes DRF
        # would turn the refusal into a 403).
        return "Token"
