from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from rest_framework import serializers

from core.api import text_field
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
    # Text fields as every API text is (core.api.text_field): the schema's pattern leaves out
    # the control characters the field refuses, so a schema-valid secret is accepted.
    secret = text_field(
        limit=SECRET_MAX,
        label="The secret",
        min_length=SECRET_MIN,
        write_only=True,
        help_text="Signs each delivery (X-FeedbackLoop-Signature); never shown again",
    )
    events = EventListField(
        child=serializers.ChoiceField(choices=EVENT_CHOICES),
        min_length=1,
        max_length=len(EVENT_CHOICES),
        help_text='Event types to send, or ["*"] for all',
    )
    active = serializers.BooleanField(default=True)
    description = text_field(
        limit=DESCRIPTION_MAX, label="The description", required=False, default=""
    )
