"""The shapes of the ticket calls of the API. Types, shape and choices are checked here; the
rules on values (blank text, lengths, email, amounts, tags) live in intake.services."""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from rest_framework import serializers
from rest_framework.exceptions import NotFound

from accounts.models import User
from core.api import (
    StrictCharField,
    StrictEmailField,
    id_field,
    not_found_from,
    slug_field,
    text_field,
)
from core.errors import DomainError
from core.text import MESSAGE_MAX, TEXT_MAX, TITLE_MAX
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
from intake.services import TAG_MAX, TAGS_MAX, product_area_by_slug
from triage.models import Initiative, InitiativeStatus

# An amount as a decimal string: up to 12 digits before the point (thousands may be separated
# by commas, as people type them) and 2 after; blank or null for none. services.revenue_clean.
REVENUE_PATTERN = r"^(?:[0-9]{1,12}|[0-9]{1,3}(?:,[0-9]{3}){1,3})(?:\.[0-9]{1,2})?$"
# What intake.services.email_clean adds to Django's email validation: RFC 5321's 64 characters
# before the @.
EMAIL_PATTERN = r"^[^@]{1,64}@[^@]+$"


def email_field(**kwargs: Any) -> serializers.EmailField:
    return StrictEmailField(
        max_length=254,
        trim_whitespace=False,
        validators=[
            RegexValidator(
                EMAIL_PATTERN,
                message="The part before the @ is longer than 64 characters; check the address.",
            )
        ],
        **kwargs,
    )


def product_area_from(slug: str | None) -> ProductArea | None:
    """The product area a body names by slug; an unknown one is the API's 404."""
    try:
        return product_area_by_slug(slug)
    except DomainError as exc:
        raise not_found_from(exc) from exc


class NewTicketCustomerSerializer(serializers.Serializer[dict[str, Any]]):
    company = text_field(
        label="The company name",
        error_messages={
            "blank": "Enter the customer's company name.",
            "max_length": f"Company names are at most {TITLE_MAX} characters.",
        },
        limit=TITLE_MAX,
        help_text="The customer's company; matched by name",
    )
    email = email_field(
        help_text="The contact who asked; an address already known at another company is a "
        "conflict (409)"
    )
    name = text_field(
        label="The contact's name",
        limit=TITLE_MAX,
        required=False,
        default="",
        help_text="The contact's name",
    )
    segment = serializers.ChoiceField(
        choices=Segment.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="A new company's segment (default other); a known one keeps its own.",
    )


class TicketCreateSerializer(serializers.Serializer[dict[str, Any]]):
    title = text_field(label="The title", limit=TITLE_MAX)
    description = text_field(
        label="What the customer said", limit=TEXT_MAX, help_text="What the customer said"
    )
    source_team = serializers.ChoiceField(choices=SourceTeam.choices)
    kind = serializers.ChoiceField(choices=Kind.choices)
    importance = serializers.ChoiceField(choices=Importance.choices)
    customer = NewTicketCustomerSerializer()
    # A string so that "25,000" is read the same way as in the form (services.revenue_clean).
    revenue_at_stake = StrictCharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        default=None,
        trim_whitespace=False,
        validators=[RegexValidator(REVENUE_PATTERN, "Enter an amount like 25000 or 25000.50.")],
        help_text="A decimal amount, e.g. 25000.00 or 25,000",
    )
    product_area = slug_field(
        required=False, default=None, help_text="A product area's slug (unknown: 404)"
    )
    tags = serializers.ListField(
        child=text_field(
            label="A tag",
            error_messages={"max_length": f"Tags are at most {TAG_MAX} characters."},
            limit=TAG_MAX,
            required=False,
        ),
        required=False,
        default=list,
        max_length=TAGS_MAX,
        help_text="Lower-cased and without repeats; blank ones are dropped",
    )
    initiative = id_field(
        required=False,
        allow_null=True,
        default=None,
        help_text="File the ticket straight onto this initiative (unknown: 404).",
    )

    def validate_product_area(self, value: str | None) -> ProductArea | None:
        return product_area_from(value)

    def validate_initiative(self, value: int | None) -> Initiative | None:
        if value is None:
            return None
        initiative = Initiative.objects.filter(pk=value).first()
        if initiative is None:
            raise NotFound(f"There is no initiative #{value}.")
        return initiative


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
    body = text_field(label="The message", limit=MESSAGE_MAX)

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
    initiative = id_field(query=True, required=False)
    search = text_field(
        label="The search", limit=200, required=False, help_text="Words in title or description"
    )
