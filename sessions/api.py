"""The session calls of the API contract (v1): parse, fetch, one service, render."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet
from django.urls import URLPattern, path
from django.utils import timezone
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import request_user
from core.api import JSONParser, permission_from, query_data, request_data
from core.errors import DomainError
from sessions.models import Session, SessionKind
from sessions.policies import ensure_may_run_sessions
from sessions.selectors import session_get, session_list
from sessions.serializers import (
    ReviewCreateSerializer,
    SessionCreateSerializer,
    SessionQuerySerializer,
    SessionSerializer,
    WorkshopCreateSerializer,
)
from sessions.services import review_create, workshop_schedule

MayRunSessions = permission_from(ensure_may_run_sessions)


def _session(session_id: int) -> Session:
    session = session_get(session_id=session_id, with_agenda=True)
    if session is None:
        raise NotFound("There is no such session.")
    return session


class SessionListCreate(generics.ListCreateAPIView[Session]):
    """GET a page of sessions with their agendas; POST schedules a workshop or a review."""

    serializer_class = SessionSerializer
    # The body lists `participants`, which only JSON carries plainly.
    parser_classes = [JSONParser]
    # The query is checked by SessionQuerySerializer.
    filter_backends: Sequence[Any] = []

    def get_permissions(self) -> Sequence[BasePermission]:
        if self.request.method == "POST":
            return [IsAuthenticated(), MayRunSessions()]
        return [IsAuthenticated()]

    def get_queryset(self) -> QuerySet[Session]:
        query = SessionQuerySerializer(data=query_data(self.request))
        query.is_valid(raise_exception=True)
        return session_list(
            kind=query.validated_data.get("kind", ""),
            upcoming=query.validated_data.get("upcoming"),
        )

    @extend_schema(
        summary="A page of sessions with their agendas: upcoming soonest first, else newest first",
        parameters=[SessionQuerySerializer],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Schedule a workshop, or create a month's review with its agenda; "
        "facilitators and product managers",
        request=PolymorphicProxySerializer(
            component_name="SessionCreate",
            serializers={
                SessionKind.WORKSHOP.value: WorkshopCreateSerializer,
                SessionKind.MONTHLY_REVIEW.value: ReviewCreateSerializer,
            },
            resource_type_field_name="kind",
        ),
        responses={201: SessionSerializer},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = SessionCreateSerializer(data=request_data(request))
        body.is_valid(raise_exception=True)
        data = body.validated_data
        by = request_user(request)
        if data["kind"] == SessionKind.MONTHLY_REVIEW:
            # The month is the company's, as the review's default day is (services.review_day).
            month = timezone.localtime(data["starts_at"], ZoneInfo(settings.TIME_ZONE)).date()
            session, created = review_create(
                month=month,
                by=by,
                starts_at=data["starts_at"],
                duration_minutes=data["duration_minutes"],
                title=data["title"],
                description=data["description"],
                location=data["location"],
                invitees=data["participants"],
            )
            if not created:
                raise DomainError(
                    f"{month:%B %Y} already has its review, session #{session.pk} "
                    f"(“{session.title}”); there is one review a month, so move that one instead.",
                    code="conflict",
                )
        else:
            session = workshop_schedule(
                by=by,
                title=data["title"],
                topic=data["topic"],
                starts_at=data["starts_at"],
                duration_minutes=data["duration_minutes"],
                description=data["description"],
                location=data["location"],
                invitees=data["participants"],
            )
        return Response(
            SessionSerializer(_session(session.pk)).data, status=status.HTTP_201_CREATED
        )


@extend_schema(summary="One session with who is invited and its agenda")
class SessionDetail(generics.RetrieveAPIView[Session]):
    """One session with who is invited and its agenda."""

    serializer_class = SessionSerializer

    def get_object(self) -> Session:
        return _session(self.kwargs["session_id"])


urlpatterns: list[URLPattern] = [
    path("sessions/", SessionListCreate.as_view(), name="api-sessions"),
    path("sessions/<int:session_id>/", SessionDetail.as_view(), name="api-session"),
]
