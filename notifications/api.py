"""The delivery call of the API contract: who was told what, when, and how it went."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from django.urls import URLPattern, path
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import permission_from, query_data
from notifications.models import Notification
from notifications.policies import ensure_may_view_deliveries
from notifications.selectors import deliveries
from notifications.serializers import DeliveryQuerySerializer, DeliverySerializer


class DeliveryList(generics.ListAPIView[Notification]):
    """A page of deliveries, newest first."""

    serializer_class = DeliverySerializer
    permission_classes = [IsAuthenticated, permission_from(ensure_may_view_deliveries)]
    filter_backends: Sequence[Any] = []

    def get_queryset(self) -> QuerySet[Notification]:
        query = DeliveryQuerySerializer(data=query_data(self.request))
        query.is_valid(raise_exception=True)
        return deliveries(
            initiative_id=query.validated_data.get("initiative"),
            status=query.validated_data.get("status", ""),
        )

    @extend_schema(
        summary="Deliveries (emails) with status, attempts and errors; product managers, admins",
        parameters=[DeliveryQuerySerializer],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


urlpatterns: list[URLPattern] = [
    path("notifications/", DeliveryList.as_view(), name="api-notifications"),
]
