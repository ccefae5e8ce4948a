"""The API's password sign-in: POST a username and password, get a new named API token."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.models import User
from core.errors import DomainError
from people.services import api_token_create


class TokenRequestSerializer(AuthTokenSerializer):
    name = serializers.CharField(
        max_length=100,
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
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"
    serializer_class = TokenRequestSerializer

    @extend_schema(request=TokenRequestSerializer, responses=TokenAnswerSerializer)
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        assert isinstance(user, User)
        name = serializer.validated_data.get("name") or f"API, {timezone.localdate():%Y-%m-%d}"
        try:
            token, key = api_token_create(user=user, name=name)
        except DomainError as error:
            raise serializers.ValidationError({error.field or "name": [error.message]}) from error
        return Response({"token": key, "name": token.name})
