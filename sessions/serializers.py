"""The shapes of the session calls of the API. Types, shape and choices are checked here; the
rules on values (blank text, lengths, when, how long) live in sessions.services."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from accounts.models import Team, User
from core.errors import DomainError
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
from sessions.services import users_by_username
from triage.models import Initiative


class AwareDateTimeField(serializers.DateTimeField):
    """A datetime that must carry its offset: a naive one would be read in whatever zone the
    server is in, so a session could silently land hours off."""

    def enforce_timezone(self, value: datetime.datetime) -> datetime.datetime:
        if timezone.is_naive(value):
            raise serializers.ValidationError(
                "Give the start time with its time zone, e.g. 2030-05-07T10:00:00+02:00."
            )
        return super().enforce_timezone(value)


class SessionCreateSerializer(serializers.Serializer[dict[str, Any]]):
    kind = serializers.ChoiceField(choices=SessionKind.choices)
    # Blank is let through so the service words the message, as it does for the form.
    title = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Required for a workshop; a review is titled by its month unless given one",
    )
    topic = serializers.ChoiceField(
        choices=Topic.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Workshops only, and required there",
    )
    starts_at = AwareDateTimeField(
        help_text="ISO 8601 with its offset, e.g. 2030-05-07T10:00:00+02:00; a review belongs to "
        "the month it starts in (company time)"
    )
    duration_minutes = serializers.IntegerField(help_text="5 to 480")
    participants = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        default=list,
        help_text="Usernames to invite; whoever schedules it is invited anyway, and a review "
        "also invites every product manager and facilitator",
    )
    description = serializers.CharField(required=False, allow_blank=True, default="")
    location = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="A place or a video link"
    )

    def validate_participants(self, value: list[str]) -> list[User]:
        try:
            return users_by_username(value)
        except DomainError as exc:
            raise serializers.ValidationError(exc.message) from exc

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["kind"] == SessionKind.MONTHLY_REVIEW and attrs["topic"]:
            raise serializers.ValidationError(
                {"topic": ["A monthly review has no topic; topics are for workshops."]}
            )
        return attrs


class SessionQuerySerializer(serializers.Serializer[dict[str, Any]]):
    """The filters of the session list, checked before they reach the selector."""

    kind = serializers.ChoiceField(choices=SessionKind.choices, required=False, allow_blank=True)
    upcoming = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: not yet over, soonest first; false: over, closed or cancelled, newest "
        "first; left out: all, newest first",
    )


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
