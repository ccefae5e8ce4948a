"""The shapes of the session calls of the API. Types, shape and choices are checked here; the
rules on values (blank text, lengths, when, how long) live in sessions.services."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api import USERNAME_MAX
from accounts.models import Team, User
from core.api import StrictIntegerField, not_found_from, text_field
from core.dates import YEARS_AHEAD
from core.errors import DomainError
from core.text import TEXT_MAX, TITLE_MAX
from intake.models import Ticket
from sessions.models import (
    AgendaItem,
    Decision,
    Participant,
    Rsvp,
    Session,
    SessionKind,
    SessionStatus,
    Topic,
)
from sessions.services import DURATION_MAX, DURATION_MIN, users_by_username
from triage.models import Initiative

LOCATION_MAX = 500
PARTICIPANTS_MAX = 200


class AwareDateTimeField(serializers.DateTimeField):
    """A datetime that must carry its offset: a naive one would be read in whatever zone the
    server is in, so a session could silently land hours off."""

    def enforce_timezone(self, value: datetime.datetime) -> datetime.datetime:
        if timezone.is_naive(value):
            raise serializers.ValidationError(
                "Give the start time with its time zone, e.g. 2030-05-07T10:00:00+02:00."
            )
        return super().enforce_timezone(value)


STARTS_AT_HELP = (
    "ISO 8601 with its offset, e.g. 2030-05-07T10:00:00+02:00: in the future and within "
    f"{YEARS_AHEAD} years (a time that has passed is bad input, 400); a review belongs to the "
    "month it starts in (company time), and a month has one review (a second is 409)"
)
PARTICIPANTS_HELP = (
    "Usernames of active users to invite (an unknown one is 404); whoever schedules it is "
    "invited anyway, and a review also invites every product manager and facilitator"
)


def _participants() -> serializers.ListField:
    return serializers.ListField(
        child=text_field(label="A username", limit=USERNAME_MAX),
        required=False,
        default=list,
        max_length=PARTICIPANTS_MAX,
        help_text=PARTICIPANTS_HELP,
    )


def _duration() -> serializers.IntegerField:
    between = f"A session lasts between {DURATION_MIN} minutes and {DURATION_MAX // 60} hours."
    return StrictIntegerField(
        min_value=DURATION_MIN,
        max_value=DURATION_MAX,
        error_messages={"min_value": between, "max_value": between},
        help_text=f"{DURATION_MIN} to {DURATION_MAX} minutes",
    )


class SessionCreateSerializer(serializers.Serializer[dict[str, Any]]):
    """What POST /api/sessions/ reads; its schema is one of the two shapes below, by kind."""

    kind = serializers.ChoiceField(choices=SessionKind.choices)
    # Blank is let through for a review (titled by its month); a workshop's is required by the
    # service, and by its shape in the schema (WorkshopCreateSerializer).
    title = text_field(label="A title", limit=TITLE_MAX, required=False, default="")
    topic = serializers.ChoiceField(
        choices=Topic.choices, required=False, allow_blank=True, default=""
    )
    starts_at = AwareDateTimeField(help_text=STARTS_AT_HELP)
    duration_minutes = _duration()
    participants = _participants()
    description = text_field(label="The description", limit=TEXT_MAX, required=False, default="")
    location = text_field(
        label="The place",
        limit=LOCATION_MAX,
        required=False,
        default="",
        help_text="A place or a video link",
    )

    def validate_participants(self, value: list[str]) -> list[User]:
        try:
            return users_by_username(value)
        except DomainError as exc:
            raise not_found_from(exc) from exc

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["kind"] == SessionKind.MONTHLY_REVIEW and attrs["topic"]:
            raise serializers.ValidationError(
                {"topic": ["A monthly review has no topic; topics are for workshops."]}
            )
        return attrs


# The two shapes of POST /api/sessions/, for the schema (one of them, told apart by `kind`).


@extend_schema_field({"type": "string", "maxLength": 0})
class NoTopicField(serializers.CharField):
    """Only ever blank (a review's topic); for the schema's shape of a review."""


class WorkshopCreateSerializer(serializers.Serializer[dict[str, Any]]):
    kind = serializers.ChoiceField(choices=[(SessionKind.WORKSHOP, "Workshop")])
    title = text_field(label="A title", limit=TITLE_MAX)
    topic = serializers.ChoiceField(choices=Topic.choices)
    starts_at = serializers.DateTimeField(help_text=STARTS_AT_HELP)
    duration_minutes = _duration()
    participants = _participants()
    description = text_field(label="The description", limit=TEXT_MAX, required=False)
    location = text_field(
        label="The place", limit=LOCATION_MAX, required=False, help_text="A place or a video link"
    )


class ReviewCreateSerializer(serializers.Serializer[dict[str, Any]]):
    kind = serializers.ChoiceField(choices=[(SessionKind.MONTHLY_REVIEW, "Monthly review")])
    title = text_field(
        label="A title", limit=TITLE_MAX, required=False, help_text="Blank: titled by its month"
    )
    topic = NoTopicField(
        required=False, allow_blank=True, help_text="A review has no topic: leave it out or blank"
    )
    starts_at = serializers.DateTimeField(help_text=STARTS_AT_HELP)
    duration_minutes = _duration()
    participants = _participants()
    description = text_field(label="The description", limit=TEXT_MAX, required=False)
    location = text_field(
        label="The place", limit=LOCATION_MAX, required=False, help_text="A place or a video link"
    )


class SessionQuerySerializer(serializers.Serializer[dict[str, Any]]):
    """The filters of the session list, checked before they reach the selector."""

    kind = serializers.ChoiceField(choices=SessionKind.choices, required=False, allow_blank=True)
    # "true" or "false" as written: DRF's BooleanField would also read "", "yes" or "on",
    # which the schema does not offer.
    upcoming = serializers.ChoiceField(
        choices=[("true", "true"), ("false", "false")],
        required=False,
        help_text="true: not yet over, soonest first; false: over, closed or cancelled, newest "
        "first; left out: all, newest first",
    )

    def validate_upcoming(self, value: str) -> bool:
        return value == "true"


class ParticipantSerializer(serializers.ModelSerializer[Participant]):
    username = serializers.CharField(source="user.username", read_only=True)
    name = serializers.CharField(source="user.display_name", read_only=True)
    team = serializers.ChoiceField(source="user.team", choices=Team.choices, read_only=True)
    rsvp = serializers.ChoiceField(choices=Rsvp.choices, read_only=True)

    class Meta:
        model = Participant
        fields = ["username", "name", "team", "rsvp"]
        read_only_fields = fields


class AgendaTicketSerializer(serializers.ModelSerializer[Ticket]):
    customer = serializers.CharField(
        source="customer.name", read_only=True, help_text="The customer's company"
    )

    class Meta:
        model = Ticket
        fields = ["id", "title", "customer"]
        read_only_fields = fields


class AgendaInitiativeSerializer(serializers.ModelSerializer[Initiative]):
    class Meta:
        model = Initiative
        fields = ["id", "title", "priority_score"]
        read_only_fields = fields


class AgendaItemSerializer(serializers.ModelSerializer[AgendaItem]):
    ticket = AgendaTicketSerializer(read_only=True, allow_null=True)
    initiative = AgendaInitiativeSerializer(read_only=True, allow_null=True)
    dots = serializers.IntegerField(read_only=True, help_text="Votes on it, from everyone")
    decision = serializers.ChoiceField(
        choices=Decision.choices, read_only=True, allow_blank=True, help_text="Blank until decided"
    )

    class Meta:
        model = AgendaItem
        fields = ["id", "position", "ticket", "initiative", "dots", "decision", "rationale"]
        read_only_fields = fields


class SessionSerializer(serializers.ModelSerializer[Session]):
    """A session as the selectors give it: participants and the agenda (with dots) prefetched."""

    kind = serializers.ChoiceField(choices=SessionKind.choices, read_only=True)
    topic = serializers.ChoiceField(
        choices=Topic.choices, read_only=True, allow_blank=True, help_text="Blank for a review"
    )
    starts_at = serializers.DateTimeField(read_only=True, default_timezone=datetime.UTC)
    status = serializers.ChoiceField(choices=SessionStatus.choices, read_only=True)
    facilitator: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="Username"
    )
    participants = ParticipantSerializer(many=True, read_only=True)
    agenda = AgendaItemSerializer(many=True, read_only=True)

    class Meta:
        model = Session
        fields = [
            "id",
            "kind",
            "title",
            "topic",
            "description",
            "starts_at",
            "duration_minutes",
            "location",
            "status",
            "facilitator",
            "participants",
            "agenda",
        ]
        read_only_fields = fields
