from __future__ import annotations

from typing import Any

from rest_framework import serializers

from notifications.models import DeliveryStatus, Notification


class DeliverySerializer(serializers.ModelSerializer[Notification]):
    recipient = serializers.CharField(source="recipient_email")

    class Meta:
        model = Notification
        fields = [
            "id",
            "recipient",
            "kind",
            "status",
            "attempts",
            "last_error",
            "initiative",
            "subject",
            "created_at",
            "sent_at",
        ]
        read_only_fields = fields


class DeliveryQuerySerializer(serializers.Serializer[dict[str, Any]]):
    initiative = serializers.IntegerField(required=False, min_value=1)
    status = serializers.ChoiceField(
        choices=DeliveryStatus.choices, required=False, allow_blank=True
    )
