"""The triage and initiative calls of the API contract (v1): parse, fetch, one service, render."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.urls import URLPattern, path
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import request_user
from core.api import permission_from, query_data, request_data
from intake.api import ticket_from_url
from intake.models import Ticket
from intake.serializers import TicketSerializer
from triage.models import Initiative, InitiativeStatus
from triage.policies import ensure_may_triage
from triage.selectors import initiative_get, initiative_list, similar_feedback
from triage.serializers import (
    InitiativeChangeSerializer,
    InitiativeCreateSerializer,
    InitiativeDeclineSerializer,
    InitiativeEditSerializer,
    InitiativeMoveSerializer,
    InitiativeQuerySerializer,
    InitiativeSerializer,
    InitiativeShipSerializer,
    SimilarQuerySerializer,
    SimilarSerializer,
    TicketDeclineSerializer,
    TicketDuplicateSerializer,
    TicketLinkSerializer,
)
from triage.services import (
    initiative_create,
    initiative_decline,
    initiative_move,
    initiative_ship,
    initiative_update,
    ticket_decline,
    ticket_link,
    ticket_mark_duplicate,
)

MayTriage = permission_from(ensure_may_triage)

# What a PATCH edits through initiative_update; `status` goes through initiative_move,
# initiative_ship or initiative_decline.
_EDITABLE = ("title", "description", "product_area", "effort")
# Text that only means something with one move; sent without it, it would be dropped unseen.
_NOTES = {
    "release_note": (
        InitiativeStatus.SHIPPED,
        "A release note goes with shipping: send it with status “shipped”.",
    ),
    "decline_reason": (
        InitiativeStatus.DECLINED,
        "A reason for declining goes with declining: send it with status “declined”.",
    ),
}


def _initiative(initiative_id: int) -> Initiative:
    initiative = initiative_get(initiative_id=initiative_id)
    if initiative is None:
        raise NotFound("There is no such initiative.")
    return initiative


# Tickets


class TicketLink(generics.GenericAPIView[Ticket]):
    """Link a ticket to an initiative (or move it to another one)."""

    serializer_class = TicketSerializer
    permission_classes = [IsAuthenticated, MayTriage]

    @extend_schema(
        summary="Link a ticket to an initiative; its customer then counts there",
        request=TicketLinkSerializer,
        responses={200: TicketSerializer},
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        ticket = ticket_from_url(ticket_id)
        body = TicketLinkSerializer(data=request_data(request))
        body.is_valid(raise_exception=True)
        ticket = ticket_link(
            ticket=ticket, initiative=body.validated_data["initiative"], by=request_user(request)
        )
        return Response(TicketSerializer(ticket).data)


class TicketDecline(generics.GenericAPIView[Ticket]):
    """Decline a ticket with a reason the submitter is told."""

    serializer_class = TicketSerializer
    permission_classes = [IsAuthenticated, MayTriage]

    @extend_schema(
        summary="Decline a ticket; the submitter is told the reason",
        request=TicketDeclineSerializer,
        responses={200: TicketSerializer},
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        ticket = ticket_from_url(ticket_id)
        body = TicketDeclineSerializer(data=request_data(request))
        body.is_valid(raise_exception=True)
        ticket = ticket_decline(
            ticket=ticket, by=request_user(request), reason=body.validated_data["reason"]
        )
        return Response(TicketSerializer(ticket).data)


class TicketDuplicate(generics.GenericAPIView[Ticket]):
    """Mark a ticket a duplicate of another."""

    serializer_class = TicketSerializer
    permission_classes = [IsAuthenticated, MayTriage]

    @extend_schema(
        summary="Mark a ticket a duplicate of another; it counts wherever that one goes",
        request=TicketDuplicateSerializer,
        responses={200: TicketSerializer},
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        ticket = ticket_from_url(ticket_id)
        body = TicketDuplicateSerializer(data=request_data(request))
        body.is_valid(raise_exception=True)
        ticket = ticket_mark_duplicate(
            ticket=ticket, of=body.validated_data["of"], by=request_user(request)
        )
        return Response(TicketSerializer(ticket).data)


# Initiatives


class InitiativeListCreate(generics.ListCreateAPIView[Initiative]):
    """GET a page of initiatives, best scored first; POST proposes a new one."""

    serializer_class = InitiativeSerializer
    # The query is checked by InitiativeQuerySerializer.
    filter_backends: Sequence[Any] = []

    def get_permissions(self) -> Sequence[BasePermission]:
        if self.request.method == "POST":
            return [IsAuthenticated(), MayTriage()]
        return [IsAuthenticated()]

    def get_queryset(self) -> QuerySet[Initiative]:
        query = InitiativeQuerySerializer(data=query_data(self.request))
        query.is_valid(raise_exception=True)
        return initiative_list(
            status=query.validated_data.get("status", ""),
            ordering=query.validated_data["ordering"],
        )

    @extend_schema(
        summary="A page of initiatives, highest priority score first unless ordered otherwise",
        parameters=[InitiativeQuerySerializer],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Propose an initiative; its creator owns it",
        request=InitiativeCreateSerializer,
        responses={201: InitiativeSerializer},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = InitiativeCreateSerializer(data=request_data(request))
        body.is_valid(raise_exception=True)
        data = body.validated_data
        initiative = initiative_create(
            by=request_user(request),
            title=data["title"],
            description=data["description"],
            product_area=data["product_area"],
            effort=data["effort"],
        )
        return Response(InitiativeSerializer(initiative).data, status=status.HTTP_201_CREATED)


class InitiativeDetail(generics.GenericAPIView[Initiative]):
    """GET one initiative; PATCH edits it or moves it along its lifecycle."""

    serializer_class = InitiativeSerializer

    def get_permissions(self) -> Sequence[BasePermission]:
        if self.request.method == "PATCH":
            return [IsAuthenticated(), MayTriage()]
        return [IsAuthenticated()]

    @extend_schema(summary="One initiative with its priority score")
    def get(self, request: Request, initiative_id: int) -> Response:
        return Response(InitiativeSerializer(_initiative(initiative_id)).data)

    @extend_schema(
        summary="Edit an initiative or change its status; shipping needs a release note",
        request=PolymorphicProxySerializer(
            component_name="InitiativeChange",
            serializers=[
                InitiativeEditSerializer,
                InitiativeMoveSerializer,
                InitiativeShipSerializer,
                InitiativeDeclineSerializer,
            ],
            resource_type_field_name=None,
        ),
        responses={200: InitiativeSerializer},
    )
    def patch(self, request: Request, initiative_id: int) -> Response:
        initiative = _initiative(initiative_id)
        body = InitiativeChangeSerializer(data=request_data(request))
        body.is_valid(raise_exception=True)
        data = body.validated_data
        target = data.get("status")
        for note, (needs, message) in _NOTES.items():
            if note in data and target != needs and data[note] != getattr(initiative, note):
                raise serializers.ValidationError({note: [message]})
        edits = {name: data[name] for name in _EDITABLE if name in data}
        version = data.get("version")
        by = request_user(request)
        # An edit and a move sent together happen together or not at all.
        with transaction.atomic():
            if edits or target is None:
                initiative = initiative_update(
                    initiative=initiative,
                    by=by,
                    title=edits.get("title", initiative.title),
                    description=edits.get("description", initiative.description),
                    product_area=edits.get("product_area", initiative.product_area),
                    owner=initiative.owner,
                    effort=edits.get("effort", initiative.effort),
                    version=version,
                )
                version = None  # checked under a row lock, held until the move below
            if target == InitiativeStatus.SHIPPED:
                note = data.get("release_note")
                initiative = initiative_ship(
                    initiative=initiative,
                    by=by,
                    # Shipping again after a step back keeps the note it shipped with.
                    release_note=initiative.release_note if note is None else note,
                    version=version,
                )
            elif target == InitiativeStatus.DECLINED:
                initiative = initiative_decline(
                    initiative=initiative,
                    by=by,
                    reason=data.get("decline_reason") or "",
                    version=version,
                )
            elif target is not None:
                initiative = initiative_move(
                    initiative=initiative, by=by, status=target, version=version
                )
        return Response(InitiativeSerializer(_initiative(initiative.pk)).data)


# Similar feedback


class Similar(APIView):
    """The initiatives and waiting tickets that look like the same ask as a text."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Initiatives (any status) and waiting tickets that look like the same ask, "
        "closest first, by meaning and by shared words",
        parameters=[SimilarQuerySerializer],
        responses={200: SimilarSerializer},
    )
    def get(self, request: Request) -> Response:
        query = SimilarQuerySerializer(data=query_data(request))
        query.is_valid(raise_exception=True)
        limit = query.validated_data["limit"]
        found = similar_feedback(text=query.validated_data["text"], limit=limit)
        kinds: list[tuple[str, Sequence[Initiative | Ticket]]] = [
            ("initiative", found.initiatives),
            ("ticket", found.tickets),
        ]
        results = [
            {
                "type": kind,
                "id": item.pk,
                "title": item.title,
                "status": item.status,
                "score": getattr(item, "score", 0.0),
                "why": getattr(item, "why", ""),
            }
            for kind, items in kinds
            for item in items
        ]
        results.sort(key=lambda row: -float(row["score"]))
        return Response(SimilarSerializer({"results": results[:limit]}).data)


urlpatterns: list[URLPattern] = [
    path("similar/", Similar.as_view(), name="api-similar"),
    path("tickets/<int:ticket_id>/link/", TicketLink.as_view(), name="api-ticket-link"),
    path("tickets/<int:ticket_id>/decline/", TicketDecline.as_view(), name="api-ticket-decline"),
    path(
        "tickets/<int:ticket_id>/duplicate/",
        TicketDuplicate.as_view(),
        name="api-ticket-duplicate",
    ),
    path("initiatives/", InitiativeListCreate.as_view(), name="api-initiatives"),
    path("initiatives/<int:initiative_id>/", InitiativeDetail.as_view(), name="api-initiative"),
]
