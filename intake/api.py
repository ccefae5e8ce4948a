"""The ticket and comment calls of the API contract (v1): parse, fetch, one service, render."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from django.urls import URLPattern, path
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import request_user
from core.api import JSONParser, permission_from, query_data, request_data
from core.errors import DomainError
from intake.models import Comment, Ticket, TicketSource
from intake.policies import ensure_may_comment, ensure_may_file_ticket
from intake.selectors import TicketFilters, ticket_get, ticket_list
from intake.serializers import (
    CommentSerializer,
    TicketCreateSerializer,
    TicketDetailSerializer,
    TicketQuerySerializer,
    TicketSerializer,
)
from intake.services import comment_add, ticket_create
from triage.services import initiative_customer_add

MayFileTickets = permission_from(ensure_may_file_ticket)
MayComment = permission_from(ensure_may_comment)

# The service names the customer's fields as the form does; the API nests them under
# "customer", so its errors point at the same place the caller put the value.
_CUSTOMER_FIELDS = {
    "company": "company",
    "email": "email",
    "contact_name": "name",
    "segment": "segment",
}


def ticket_from_url(ticket_id: int) -> Ticket:
    """The ticket a URL names, or the API's 404."""
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
        query = TicketQuerySerializer(data=query_data(self.request))
        query.is_valid(raise_exception=True)
        # The page counts exactly (the contract's `count`), so the list need not.
        filters = TicketFilters(**query.validated_data)
        return ticket_list(filters=filters, counted=False).rows

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
        body = TicketCreateSerializer(data=request_data(request))
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            fields = {
                "title": data["title"],
                "description": data["description"],
                "company": data["customer"]["company"],
                "email": data["customer"]["email"],
                "contact_name": data["customer"]["name"],
                "segment": data["customer"]["segment"],
                "source_team": data["source_team"],
                "kind": data["kind"],
                "importance": data["importance"],
                "revenue_at_stake": data["revenue_at_stake"],
                "product_area": data["product_area"],
                "tags": data["tags"],
                "source": TicketSource.API,
            }
            if data["initiative"] is None:
                ticket = ticket_create(submitted_by=request_user(request), **fields)
            else:
                ticket = initiative_customer_add(
                    initiative=data["initiative"], submitted_by=request_user(request), **fields
                )
        except DomainError as exc:
            if exc.code == "invalid" and exc.field in _CUSTOMER_FIELDS:
                nested = {_CUSTOMER_FIELDS[exc.field]: [exc.message]}
                raise serializers.ValidationError({"customer": nested}) from exc
            raise
        return Response(TicketSerializer(ticket).data, status=status.HTTP_201_CREATED)


@extend_schema(summary="One ticket with its thread")
class TicketDetail(generics.RetrieveAPIView[Ticket]):
    """One ticket with its thread."""

    serializer_class = TicketDetailSerializer

    def get_object(self) -> Ticket:
        return ticket_from_url(self.kwargs["ticket_id"])


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
        body = CommentSerializer(data=request_data(request))
        body.is_valid(raise_exception=True)
        comment = comment_add(
            ticket=ticket_from_url(ticket_id),
            author=request_user(request),
            body=body.validated_data["body"],
            kind=body.validated_data["kind"],
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


urlpatterns: list[URLPattern] = [
    path("tickets/", TicketListCreate.as_view(), name="api-tickets"),
    path("tickets/<int:ticket_id>/", TicketDetail.as_view(), name="api-ticket"),
    path("tickets/<int:ticket_id>/comments/", CommentCreate.as_view(), name="api-ticket-comments"),
]
