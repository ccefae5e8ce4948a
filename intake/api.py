"""The ticket and comment calls of the API contract (v1): parse, fetch, one service, render."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db.models import QuerySet
from django.urls import URLPattern, path
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotAuthenticated, NotFound
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from accounts.models import User
from accounts.permissions import Capability, allows
from feedbackloop.errors import DomainError
from intake.models import Comment, Ticket
from intake.selectors import TicketFilters, ticket_get, ticket_list
from intake.serializers import (
    CommentSerializer,
    TicketCreateSerializer,
    TicketDetailSerializer,
    TicketQuerySerializer,
    TicketSerializer,
)
from intake.services import comment_add, ticket_create

MayFileTickets = allows(Capability.FILE_TICKET)
MayComment = allows(Capability.COMMENT)

# The service names the customer's fields as the form does; the API nests them under
# "customer", so its errors point at the same place the caller put the value.
_CUSTOMER_FIELDS = {"company": "company", "email": "email", "contact_name": "name"}


def _user(request: Request) -> User:
    """The signed-in user; the permission classes have already turned anonymous callers away."""
    if not isinstance(request.user, User):
        raise NotAuthenticated()
    return request.user


def _data(request: Request) -> Any:
    """The parsed body; one too large to read is bad input like any other, answered in JSON."""
    try:
        return request.data
    except RequestDataTooBig as exc:
        # Only raised when a limit is set, so the setting is a number here.
        limit = (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0) / 1024 / 1024
        message = f"The request is larger than {limit:.1f} MB; no field takes that much text."
        raise serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [message]}) from exc


def _ticket(ticket_id: int) -> Ticket:
    ticket = ticket_get(ticket_id=ticket_id)
    if ticket is None:
        raise NotFound("There is no such ticket.")
    return ticket


class TicketListCreate(generics.ListCreateAPIView[Ticket]):
    """GET a page of tickets, filtered; POST files a new one."""

    serializer_class = TicketSerializer
    # The body nests `customer` and lists `tags`, which only JSON can carry.
    parser_classes = [JSONParser]
    # The query is checked by TicketQuerySerializer and applied by the selector.
    filter_backends: Sequence[Any] = []

    def get_permissions(self) -> Sequence[BasePermission]:
        if self.request.method == "POST":
            return [IsAuthenticated(), MayFileTickets()]
        return [IsAuthenticated()]

    def get_queryset(self) -> QuerySet[Ticket]:
        query = TicketQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return ticket_list(filters=TicketFilters(**query.validated_data))

    @extend_schema(
        summary="A page of tickets, newest first (best match first when searching)",
        parameters=[TicketQuerySerializer],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="File a ticket; with `initiative`, straight onto that initiative",
        request=TicketCreateSerializer,
        responses={201: TicketSerializer},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = TicketCreateSerializer(data=_data(request))
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            ticket = ticket_create(
                submitted_by=_user(request),
                title=data["title"],
                description=data["description"],
                company=data["customer"]["company"],
                email=data["customer"]["email"],
                contact_name=data["customer"]["name"],
                source_team=data["source_team"],
                kind=data["kind"],
                importance=data["importance"],
                revenue_at_stake=data["revenue_at_stake"],
                product_area=data["product_area"],
                tags=data["tags"],
                initiative=data["initiative"],
            )
        except DomainError as exc:
            if exc.field in _CUSTOMER_FIELDS:
                nested = {_CUSTOMER_FIELDS[exc.field]: [exc.message]}
                raise serializers.ValidationError({"customer": nested}) from exc
            raise
        return Response(TicketSerializer(ticket).data, status=status.HTTP_201_CREATED)


@extend_schema(summary="One ticket with its thread")
class TicketDetail(generics.RetrieveAPIView[Ticket]):
    """One ticket with its thread."""

    serializer_class = TicketDetailSerializer

    def get_object(self) -> Ticket:
        return _ticket(self.kwargs["ticket_id"])


class CommentCreate(generics.GenericAPIView[Comment]):
    """Add a comment, a question (product managers) or an answer to a ticket's thread."""

    serializer_class = CommentSerializer
    permission_classes = [IsAuthenticated, MayComment]

    @extend_schema(
        summary="Add to a ticket's thread; only product managers ask questions",
        request=CommentSerializer,
        responses={201: CommentSerializer},
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        body = CommentSerializer(data=_data(request))
        body.is_valid(raise_exception=True)
        comment = comment_add(
            ticket=_ticket(ticket_id),
            author=_user(request),
            body=body.validated_data["body"],
            kind=body.validated_data["kind"],
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


urlpatterns: list[URLPattern] = [
    path("tickets/", TicketListCreate.as_view(), name="api-tickets"),
    path("tickets/<int:ticket_id>/", TicketDetail.as_view(), name="api-ticket"),
    path("tickets/<int:ticket_id>/comments/", CommentCreate.as_view(), name="api-ticket-comments"),
]
