"""The priority score: how many distinct customers ask (frequency) and how strongly (importance).

Each company counts once per initiative, at the highest importance among its tickets there; the
score sums the companies' weights, optionally scaled by revenue: 1 + log10(1 + revenue / 10,000).
"""

from __future__ import annotations

import math
from decimal import Decimal

from django.db.models import Max

from intake.models import Ticket, TicketStatus
from triage.models import Initiative, ScoringWeights

# A ticket counts for its initiative when linked to it, or when it duplicates a ticket there.
COUNTED_STATUSES = (TicketStatus.LINKED, TicketStatus.DUPLICATE)


def company_weight(*, rank: int, revenue: Decimal | None, weights: ScoringWeights) -> float:
    base = weights.weight_for_rank(rank)
    if weights.revenue_weighting and revenue:
        return base * (1 + math.log10(1 + float(revenue) / 10_000))
    return float(base)


def initiative_rescore(*, initiative: Initiative, weights: ScoringWeights | None = None) -> None:
    """Recompute and store the initiative's score and its explanation parts (one query + save)."""
    weights = weights or ScoringWeights.current()
    companies = (
        Ticket.objects.filter(initiative=initiative, status__in=COUNTED_STATUSES)
        .values("customer_id")
        .annotate(rank=Max("importance_rank"), revenue=Max("customer__annual_revenue"))
    )
    score = 0.0
    customers = critical = 0
    revenue_total = Decimal(0)
    for company in companies:
        customers += 1
        critical += company["rank"] == 3
        revenue_total += company["revenue"] or 0
        score += company_weight(rank=company["rank"], revenue=company["revenue"], weights=weights)
    initiative.priority_score = Decimal(str(round(score, 2)))
    initiative.customer_count = customers
    initiative.critical_count = critical
    initiative.revenue_total = revenue_total
    initiative.ticket_count = Ticket.objects.filter(
        initiative=initiative, status__in=COUNTED_STATUSES
    ).count()
    initiative.save(
        update_fields=[
            "priority_score",
            "customer_count",
            "critical_count",
            "revenue_total",
            "ticket_count",
            "updated_at",
        ]
    )
