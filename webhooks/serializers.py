from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from core.events import EventType
from webhooks.models import WebhookEndpoint
from webhooks.services import ALL_EVENTS, DESCRIPTION_MAX, SECRET_MAX, SECRET_MIN, URL_MAX

EVENT_CHOICES = [(ALL_EVENTS, "Every event"), *((event.value, event.label) for event in EventType)]


class WebhookEndpointSerializer(serializers.ModelSerializer[WebhookEndpoint]):
    """An endpoint as the API shows it; its secret is never shown again."""

    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_CHOICES),
        read_only=True,
        help_text='The event types it hears; ["*"] for all',
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "events",
            "active",
            "description",
            "created_at",
            "updated_at",
            "failing_since",
            "disabled_at",
            "disabled_reason",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "failing_since": {"help_text": "Since when every delivery failed; null when healthy"},
            "disabled_at": {"help_text": "When it was turned off after a day of failures"},
        }


class EventListField(serializers.ListField):
    """A list of event types whose refusals come as one flat list of messages, as every field's
    do ({"events": ["Item 2: …"]}), not keyed by position."""

    def run_child_validation(self, data: list[Any]) -> list[Any]:
        try:
            return super().run_child_validation(data)
        except serializers.ValidationError as exc:
            detail = exc.detail
            if not isinstance(detail, dict):
                raise
            raise serializers.ValidationError(
                [
                    f"Item {int(index) + 1}: {message}"
                    for index, messages in detail.items()
                    for message in (messages if isinstance(messages, list) else [messages])
                ]
            ) from exc


class WebhookEndpointWriteSerializer(serializers.Serializer[dict[str, Any]]):
    """POST: url, secret and events are required; PATCH: any of them."""

    url = serializers.URLField(
        max_length=URL_MAX,
        validators=[RegexValidator(r"^https?://", "Give an http:// or https:// address.")],
        help_text="http:// or https://, not a private or loopback address",
    )
    secret = serializers.CharField(
        min_length=SECRET_MIN,
        max_length=SECRET_MAX,
        write_only=True,
        trim_whitespace=False,
        help_text="Signs each delivery (X-FeedbackLoop-Signature); never shown again",
    )
    events = EventListField(
        child=serializers.ChoiceField(choices=EVENT_CHOICES),
        min_length=1,
        max_length=len(EVENT_CHOICES),
        help_text='Event types to send, or ["*"] for all',
    )
    active = serializers.BooleanField(default=True)
    description = serializers.CharField(
        max_length=DESCRIPTION_MAX, allow_blank=True, default="", trim_whitespace=True
    )


# The error answers, as core.api's exception handler and DRF write them.
DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
FIELD_ERRORS = OpenApiResponse(
    response={
        "anyOf": [
            {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
                "minProperties": 1,
            },
            DETAIL,
        ],
        "example": {"events": ['Unknown event type "ticket.deleted".']},
    },
    description='Bad input: {"field": ["message", …]} (non_field_errors for the whole body), '
    'or {"detail": "…"} for a body that is not JSON',
)
# Any call whose query string carries a control character (core.middleware), before the view.
CONTROL_CHARACTER = OpenApiResponse(
    response=OpenApiTypes.STR,
    description="The address carries a control character (such as NUL): text/plain",
)
NOT_SIGNED_IN = OpenApiResponse(response=DETAIL, description="No credentials, or bad ones")
NOT_ADMIN = OpenApiResponse(response=DETAIL, description="Only admins manage webhooks")
NOT_FOUND = OpenApiResponse(response=DETAIL, description="No such webhook endpoint")
