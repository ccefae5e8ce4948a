"""The shapes of the ticket calls of the API. Types, shape and choices are checked here; the
rules on values (blank text, lengths, email, amounts, tags) live in intake.services."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.models import User
from core.errors import DomainError
from intake.models import (
    Comment,
    CommentKind,
    Importance,
    Kind,
    ProductArea,
    Segment,
    SourceTeam,
    Ticket,
    TicketSource,
    TicketStatus,
)
from intake.services import product_area_by_slug
from triage.models import Initiative, InitiativeStatus


class NewTicketCustomerSerializer(serializers.Serializer[dict[str, Any]]):
    company = serializers.CharField()
    email = serializers.CharField()
    name = serializers.CharField(required=False, allow_blank=True, default="")
    segment = serializers.ChoiceField(
        choices=Segment.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="A new company's segment (default other); a known one keeps its own.",
    )


class TicketCreateSerializer(serializers.Serializer[dict[str, Any]]):
    title = serializers.CharField()
    description = serializers.CharField()
    source_team = serializers.ChoiceField(choices=SourceTeam.choices)
    kind = serializers.ChoiceField(choices=Kind.choices)
    importance = serializers.ChoiceField(choices=Importance.choices)
    customer = NewTicketCustomerSerializer()
    # A string so that "25,000" is read the same way as in the form (services.revenue_clean).
    revenue_at_stake = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, default=None, help_text="e.g. 25000.00"
    )
    product_area = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, default=None, help_text="slug"
    )
    tags = serializers.ListField(
        child=serializers.CharField(allow_blank=True), required=False, default=list
    )
    initiative = serializers.PrimaryKeyRelatedField(
        queryset=Initiative.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="File the ticket straight onto this initiative.",
    )

    def validate_product_area(self, value: str | None) -> ProductArea | None:
        try:
            return product_area_by_slug(value)
        except DomainError as exc:
            raise serializers.ValidationError(exc.message) from exc


class TicketCustomerSerializer(serializers.Serializer[Ticket]):
    company = serializers.CharField(source="customer.name", read_only=True)
    email = serializers.CharField(source="contact.email", read_only=True)
    name = serializers.CharField(source="contact.name", read_only=True)
    segment = serializers.ChoiceField(
        source="customer.segment", choices=Segment.choices, read_only=True
    )


class TicketSerializer(serializers.ModelSerializer[Ticket]):
    customer = TicketCustomerSerializer(source="*", read_only=True)
    product_area: serializers.SlugRelatedField[ProductArea] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    tags = serializers.ListField(child=serializers.CharField(), read_only=True)
    status = serializers.ChoiceField(choices=TicketStatus.choices, read_only=True)
    submitted_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, help_text="Username of who filed it"
    )
    initiative: serializers.PrimaryKeyRelatedField[Initiative] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )
    initiative_status = serializers.ChoiceField(
        source="initiative.status",
        choices=InitiativeStatus.choices,
        read_only=True,
        allow_null=True,
    )

    class Meta:
        model = Ticket
        fields = [
            "id",
            "title",
            "description",
            "source_team",
            "kind",
            "importance",
            "customer",
            "revenue_at_stake",
            "product_area",
            "tags",
            "status",
            "submitted_by",
            "created_at",
            "initiative",
            "initiative_status",
            "source",
            "source_reference",
            "source_sender",
            "source_sent_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "source": {"help_text": "Which way the ticket came in"},
            "source_reference": {
                "help_text": "The original: an email's Message-ID, a Slack permalink"
            },
            "source_sender": {"help_text": "Who wrote the original (email, Slack), else blank"},
            "source_sent_at": {"help_text": "When the original was written"},
        }


class CommentSerializer(serializers.ModelSerializer[Comment]):
    """A message in a ticket's thread; `body` and `kind` are what a caller sends."""

    author: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, help_text="Username of who wrote it"
    )
    kind = serializers.ChoiceField(choices=CommentKind.choices, default=CommentKind.COMMENT)
    body = serializers.CharField()

    class Meta:
        model = Comment
        fields = ["id", "author", "kind", "body", "created_at"]
        read_only_fields = ["id", "author", "created_at"]


class TicketDetailSerializer(TicketSerializer):
    comments = CommentSerializer(many=True, read_only=True)

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "comments"]
        read_only_fields = fields


class TicketQuerySerializer(serializers.Serializer[dict[str, Any]]):
    """The filters of the ticket list, checked before they reach the selector."""

    status = serializers.ChoiceField(choices=TicketStatus.choices, required=False, allow_blank=True)
    source_team = serializers.ChoiceField(
        choices=SourceTeam.choices, required=False, allow_blank=True
    )
    # `source` is also a Field attribute in the stubs; here it is the filter of that name.
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=TicketSource.choices, required=False, allow_blank=True
    )
    initiative = serializers.IntegerField(required=False, min_value=1)
    search = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Words in title or description"
    )
