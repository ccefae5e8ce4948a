from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accounts.models import User
from triage.models import Initiative, InitiativeEvent, ScoringWeights
from triage.services import scoring_weights_save


@admin.register(ScoringWeights)
class ScoringWeightsAdmin(admin.ModelAdmin[ScoringWeights]):
    list_display = ("__str__", "nice_to_have", "important", "critical", "revenue_weighting")

    def save_model(
        self, request: HttpRequest, obj: ScoringWeights, form: Any, change: bool
    ) -> None:
        assert isinstance(request.user, User)
        changed = scoring_weights_save(by=request.user, weights=obj)
        self.message_user(
            request, f"Rescored the initiatives with the new weights ({changed} changed)."
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not ScoringWeights.objects.exists()

    def has_delete_permission(
        self, request: HttpRequest, obj: ScoringWeights | None = None
    ) -> bool:
        return False


@admin.register(Initiative)
class InitiativeAdmin(admin.ModelAdmin[Initiative]):
    list_display = ("title", "status", "priority_score", "customer_count", "owner")
    list_filter = ("status",)
    search_fields = ("title",)
    list_select_related = ("owner",)
    readonly_fields = (
        "priority_score",
        "customer_count",
        "ticket_count",
        "critical_count",
        "revenue_total",
    )


@admin.register(InitiativeEvent)
class InitiativeEventAdmin(admin.ModelAdmin[InitiativeEvent]):
    list_display = ("initiative", "kind", "from_value", "to_value", "actor", "created_at")
    list_filter = ("kind",)
    list_select_related = ("initiative", "actor")
