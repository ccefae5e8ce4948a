"""The shapes of the triage calls of the API. Types, shape and choices are checked here; the
rules on values (blank text, lengths, which moves are allowed) live in triage.services."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import NotFound

from accounts.models import User
from core.api import StrictIntegerField, id_field, slug_field, text_field
from core.text import TEXT_MAX, TITLE_MAX
from intake.models import ProductArea, Ticket
from intake.selectors import ticket_get
from intake.serializers import product_area_from
from triage.models import Initiative, InitiativeStatus
from triage.selectors import DEFAULT_ORDERING, ORDERINGS, initiative_get
from triage.services import REASON_MAX

EFFORT_MAX = 40


class InitiativeSerializer(serializers.ModelSerializer[Initiative]):
    product_area: serializers.SlugRelatedField[ProductArea] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    owner: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="Username of its PM"
    )
    status = serializers.ChoiceField(choices=InitiativeStatus.choices, read_only=True)
    score_explanation = serializers.CharField(
        read_only=True, help_text="What the score is made of, e.g. 7 customers · 3 critical"
    )

    class Meta:
        model = Initiative
        fields = [
            "id",
            "title",
            "description",
            "status",
            "product_area",
            "owner",
            "effort",
            "priority_score",
            "customer_count",
            "ticket_count",
            "critical_count",
            "revenue_total",
            "score_explanation",
            "release_note",
            "decline_reason",
            "version",
            "created_at",
            "updated_at",
            "shipped_at",
        ]
        read_only_fields = fields


class InitiativeQuerySerializer(serializers.Serializer[dict[str, Any]]):
    """The filter and order of the initiative list, checked before they reach the query."""

    status = serializers.ChoiceField(
        choices=InitiativeStatus.choices, required=False, allow_blank=True
    )
    ordering = serializers.ChoiceField(
        choices=list(ORDERINGS),
        required=False,
        allow_blank=True,
        default=DEFAULT_ORDERING,
        help_text=f"Default {DEFAULT_ORDERING}",
        error_messages={
            "invalid_choice": "“{input}” is not an order of the list; use one of "
            + ", ".join(ORDERINGS)
            + "."
        },
    )

    def validate_ordering(self, value: str) -> str:
        return value or DEFAULT_ORDERING


class InitiativeCreateSerializer(serializers.Serializer[dict[str, Any]]):
    title = text_field(label="A title", limit=TITLE_MAX)
    description = text_field(
        label="The problem statement",
        limit=TEXT_MAX,
        required=False,
        default="",
        help_text="The problem statement",
    )
    product_area = slug_field(
        required=False, default=None, help_text="A product area's slug (unknown: 404)"
    )
    effort = text_field(
        label="The effort",
        limit=EFFORT_MAX,
        required=False,
        default="",
        help_text="e.g. 2 weeks, M, 5 points",
    )

    def validate_product_area(self, value: str | None) -> ProductArea | None:
        return product_area_from(value)


class InitiativeChangeSerializer(serializers.Serializer[dict[str, Any]]):
    """A PATCH: only the fields sent change. `status` moves the initiative along its lifecycle;
    the other fields edit what it is about."""

    status = serializers.ChoiceField(
        choices=InitiativeStatus.choices,
        required=False,
        help_text="Send only to move it; sending its current status is a conflict (409).",
    )
    release_note = text_field(
        label="A release note",
        limit=TEXT_MAX,
        required=False,
        help_text="Required (not blank) with status shipped, unless it shipped before with one; "
        "sent without that status it must be the note it has",
    )
    decline_reason = text_field(
        label="A reason for declining",
        limit=REASON_MAX,
        required=False,
        help_text="Required (not blank) with status declined; sent without that status it must "
        "be the reason it has",
    )
    version = StrictIntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="The version you read; if it changed since, nothing changes and the answer "
        "is 409.",
    )
    title = text_field(label="A title", limit=TITLE_MAX, required=False, blank=False)
    description = text_field(
        label="The problem statement",
        limit=TEXT_MAX,
        required=False,
        help_text="The problem statement",
    )
    product_area = slug_field(required=False, help_text="A product area's slug; null to clear")
    effort = text_field(label="The effort", limit=EFFORT_MAX, required=False)

    def validate_product_area(self, value: str | None) -> ProductArea | None:
        return product_area_from(value)


# The shapes of PATCH /api/initiatives/{id}/ for the schema: one of an edit, a move, a ship or
# a decline, each with only its own fields (InitiativeChangeSerializer reads them all).


class InitiativeEditSerializer(serializers.Serializer[dict[str, Any]]):
    """Edit what it is about; the status stays."""

    closed_shape = True
    title = text_field(label="A title", limit=TITLE_MAX, required=False, blank=False)
    description = text_field(
        label="The problem statement",
        limit=TEXT_MAX,
        required=False,
        help_text="The problem statement",
    )
    product_area = slug_field(required=False, help_text="A product area's slug; null to clear")
    effort = text_field(label="The effort", limit=EFFORT_MAX, required=False)
    version = StrictIntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="The version you read; if it changed since, nothing changes and the answer "
        "is 409.",
    )


MOVES_HELP = (
    "An open initiative (proposed, planned, in progress) moves to any other status; a shipped "
    "one only back to in progress, a declined one only to proposed (another move is 400); its "
    "current status is 409"
)


class InitiativeMoveSerializer(InitiativeEditSerializer):
    """Move it along its lifecycle (and edit it in the same change)."""

    status = serializers.ChoiceField(
        choices=[
            (s.value, s.label)
            for s in InitiativeStatus
            if s not in (InitiativeStatus.SHIPPED, InitiativeStatus.DECLINED)
        ],
        help_text=MOVES_HELP,
    )


class InitiativeShipSerializer(InitiativeEditSerializer):
    """Ship it: its customers are told, with the release note."""

    status = serializers.ChoiceField(
        choices=[(InitiativeStatus.SHIPPED.value, "Shipped")], help_text=MOVES_HELP
    )
    release_note = text_field(
        label="A release note", limit=TEXT_MAX, help_text="What shipped, in the customers' words"
    )


class InitiativeDeclineSerializer(InitiativeEditSerializer):
    """Decline it, with the reason its customers' reps are told."""

    status = serializers.ChoiceField(
        choices=[(InitiativeStatus.DECLINED.value, "Declined")], help_text=MOVES_HELP
    )
    decline_reason = text_field(
        label="A reason for declining", limit=REASON_MAX, help_text="Why not"
    )


class TicketLinkSerializer(serializers.Serializer[dict[str, Any]]):
    initiative = id_field(
        help_text="Id of the initiative the ticket counts for (unknown: 404)",
        error_messages={
            "required": "Name the initiative to link the ticket to, by its id.",
            "null": "Name the initiative to link the ticket to, by its id.",
            "invalid": "An initiative is named by its id, a whole number.",
        },
    )

    def validate_initiative(self, value: int) -> Initiative:
        initiative = initiative_get(initiative_id=value)
        if initiative is None:
            raise NotFound(f"There is no initiative #{value}.")
        return initiative


class TicketDeclineSerializer(serializers.Serializer[dict[str, Any]]):
    reason = text_field(
        label="A reason for declining",
        limit=REASON_MAX,
        help_text="Why; the submitter is told, so they can tell the customer",
    )


class TicketDuplicateSerializer(serializers.Serializer[dict[str, Any]]):
    of = id_field(
        help_text="Id of the ticket this one repeats (unknown: 404)",
        error_messages={
            "required": "Name the ticket this one repeats, by its id.",
            "null": "Name the ticket this one repeats, by its id.",
            "invalid": "A ticket is named by its id, a whole number.",
        },
    )

    def validate_of(self, value: int) -> Ticket:
        ticket = ticket_get(ticket_id=value)
        if ticket is None:
            raise NotFound(f"There is no ticket #{value}.")
        return ticket


# Similar feedback

SIMILAR_TEXT_MAX = 1_999  # "2,000 characters or more" is refused
SIMILAR_LIMIT_MAX = 20


class SimilarQuerySerializer(serializers.Serializer[dict[str, Any]]):
    text = text_field(
        label="The text",
        limit=SIMILAR_TEXT_MAX,
        help_text="What the customer asks, in any words (a ticket's title and description)",
        error_messages={
            "max_length": f"Send at most {SIMILAR_TEXT_MAX:,} characters; the start of the "
            "ask is enough to find it.",
            "blank": "Send the text to look for.",
        },
    )
    limit = serializers.IntegerField(
        required=False,
        default=5,
        min_value=1,
        max_value=SIMILAR_LIMIT_MAX,
        help_text=f"How many results at most, 1 to {SIMILAR_LIMIT_MAX}",
    )


class SimilarResultSerializer(serializers.Serializer[dict[str, Any]]):
    type = serializers.ChoiceField(choices=["initiative", "ticket"])
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField(
        help_text="The initiative's status (proposed … shipped, declined) or the ticket's "
        "(new, needs_info, snoozed: waiting for triage)"
    )
    score = serializers.FloatField(
        min_value=0, max_value=1, help_text="How close, 0 to 1: meaning and shared words"
    )
    why = serializers.CharField(help_text="“shared words: csv, invoices” or “similar meaning”")


class SimilarSerializer(serializers.Serializer[dict[str, Any]]):
    results = SimilarResultSerializer(many=True)
