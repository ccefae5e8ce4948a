from django.contrib import admin

from triage.models import Initiative, ScoringWeights


@admin.register(ScoringWeights)
class ScoringWeightsAdmin(admin.ModelAdmin[ScoringWeights]):
    list_display = ("__str__", "nice_to_have", "important", "critical", "revenue_weighting")


@admin.register(Initiative)
class InitiativeAdmin(admin.ModelAdmin[Initiative]):
    list_display = ("title", "status", "priority_score", "customer_count", "owner")
    list_filter = ("status",)
    search_fields = ("title",)
    readonly_fields = (
        "priority_score",
        "customer_count",
        "ticket_count",
        "critical_count",
        "revenue_total",
    )
