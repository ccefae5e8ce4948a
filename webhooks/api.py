"""The webhook calls of the API contract (v1), admins only: parse, fetch, one service, render."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import URLPattern, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import request_user
from core.api import JSONParser, permission_from, request_data
from webhooks.models import WebhookEndpoint
from webhooks.policies import ensure_may_manage_webhooks
from webhooks.selectors import endpoint_get, endpoint_list
from webhooks.serializers import (
    CONTROL_CHARACTER,
    FIELD_ERRORS,
    NOT_ADMIN,
    NOT_FOUND,
    NOT_SIGNED_IN,
    WebhookEndpointSerializer,
    WebhookEndpointWriteSerializer,
)
from webhooks.services import endpoint_create, endpoint_delete, endpoint_update

MayManageWebhooks = permission_from(ensure_may_manage_webhooks)

# What every call may answer before it reads its input: a control character in the address
# (text), no credentials, not an admin.
_REFUSED: dict[Any, Any] = {
    (400, "text/plain"): CONTROL_CHARACTER,
    401: NOT_SIGNED_IN,
    403: NOT_ADMIN,
}
_BAD_INPUT = {(400, "application/json"): FIELD_ERRORS}


def _endpoint(endpoint_id: str) -> WebhookEndpoint:
    endpoint = endpoint_get(endpoint_id=endpoint_id)
    if endpoint is None:
        raise NotFound("There is no such webhook endpoint.")
    return endpoint


class WebhookList(generics.ListAPIView[WebhookEndpoint]):
    """GET the endpoints; POST registers one."""

    serializer_class = WebhookEndpointSerializer
    permission_classes = [IsAuthenticated, MayManageWebhooks]
    parser_classes = [JSONParser]

    def get_queryset(self) -> QuerySet[WebhookEndpoint]:
        return endpoint_list()

    @extend_schema(
        summary="The webhook endpoints",
        # 404: a page past the last (?page=).
        responses={200: WebhookEndpointSerializer(many=True), **_REFUSED, 404: NOT_FOUND},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Register a webhook endpoint",
        request=WebhookEndpointWriteSerializer,
        responses={201: WebhookEndpointSerializer, **_BAD_INPUT, **_REFUSED},
    )
    def post(self, request: Request) -> Response:
        body = WebhookEndpointWriteSerializer(data=request_data(request))
        body.is_valid(raise_exception=True)
        endpoint = endpoint_create(by=request_user(request), **body.validated_data)
        return Response(WebhookEndpointSerializer(endpoint).data, status=status.HTTP_201_CREATED)


ENDPOINT_ID = OpenApiParameter(
    "endpoint_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The endpoint's id"
)


@extend_schema(parameters=[ENDPOINT_ID])
class WebhookDetail(generics.GenericAPIView[WebhookEndpoint]):
    """GET one endpoint; PATCH changes it; DELETE removes it and its delivery log."""

    serializer_class = WebhookEndpointSerializer
    permission_classes = [IsAuthenticated, MayManageWebhooks]
    parser_classes = [JSONParser]

    @extend_schema(
        summary="One webhook endpoint",
        responses={200: WebhookEndpointSerializer, **_REFUSED, 404: NOT_FOUND},
    )
    def get(self, request: Request, endpoint_id: str) -> Response:
        return Response(WebhookEndpointSerializer(_endpoint(endpoint_id)).data)

    @extend_schema(
        summary="Change a webhook endpoint (any of url, secret, events, active, description)",
        request=WebhookEndpointWriteSerializer(partial=True),
        responses={
            200: WebhookEndpointSerializer,
            **_BAD_INPUT,
            **_REFUSED,
            404: NOT_FOUND,
        },
    )
    def patch(self, request: Request, endpoint_id: str) -> Response:
        endpoint = _endpoint(endpoint_id)
        body = WebhookEndpointWriteSerializer(data=request_data(request), partial=True)
        body.is_valid(raise_exception=True)
        # Partial: only the fields sent are validated (no defaults), and only they change.
        endpoint = endpoint_update(
            endpoint=endpoint, by=request_user(request), **body.validated_data
        )
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(
        summary="Remove a webhook endpoint; nothing more is sent to it",
        responses={204: None, **_REFUSED, 404: NOT_FOUND},
    )
    def delete(self, request: Request, endpoint_id: str) -> Response:
        endpoint_delete(endpoint=_endpoint(endpoint_id), by=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns: list[URLPattern] = [
    path("webhooks/", WebhookList.as_view(), name="api-webhooks"),
    # Any segment, so that /api/webhooks/abc/ is the API's JSON 404 rather than the site's page.
    path("webhooks/<str:endpoint_id>/", WebhookDetail.as_view(), name="api-webhook"),
]
