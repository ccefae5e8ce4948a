"""The priority score: how many distinct customers ask (frequency) and how strongly (importance).

Each company counts once per initiative, at the highest importance among its tickets there; the
score sums the companies' weights, optionally scaled by revenue: 1 + log10(1 + revenue / 10,000).
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Max, QuerySet
from django.utils import timezone

from core.dates import month_previous, month_start
from intake.models import Ticket, TicketStatus
from triage.models import Initiative, ScoreSnapshot, ScoringWeights

SCORE_FIELDS = [
    "priority_score",
    "customer_count",
    "critical_count",
    "revenue_total",
    "ticket_count",
]


def company_weight(*, rank: int, revenue: Decimal | None, weights: ScoringWeights) -> float:
    base = weights.weight_for_rank(rank)
    if weights.revenue_weighting and revenue:
        return base * (1 + math.log10(1 + float(revenue) / 10_000))
    return float(base)


@dataclass
class Score:
    priority_score: Decimal = Decimal(0)
    customer_count: int = 0
    critical_count: int = 0
    revenue_total: Decimal = Decimal(0)
    ticket_count: int = 0


def _counted_tickets() -> QuerySet[Ticket]:
    return Ticket.objects.filter(status__in=TicketStatus.counted(), initiative__isnull=False)


def _scores(tickets: QuerySet[Ticket], weights: ScoringWeights) -> dict[int, Score]:
    """Scores of every initiative the tickets belong to, from two grouped queries."""
    companies = (
        tickets.values("initiative_id", "customer_id")
        .annotate(rank=Max("importance_rank"), revenue=Max("customer__annual_revenue"))
        .order_by()
    )
    raw: dict[int, float] = defaultdict(float)
    scores: dict[int, Score] = defaultdict(Score)
    for company in companies:
        score = scores[company["initiative_id"]]
        score.customer_count += 1
        score.critical_count += company["rank"] == 3
        score.revenue_total += company["revenue"] or 0
        raw[company["initiative_id"]] += company_weight(
            rank=company["rank"], revenue=company["revenue"], weights=weights
        )
    for initiative_id, total in raw.items():
        scores[initiative_id].priority_score = Decimal(str(round(total, 2)))
    counts = tickets.values("initiative_id").annotate(n=Count("id")).order_by()
    for row in counts:
        scores[row["initiative_id"]].ticket_count = row["n"]
    return scores


def _apply(initiative: Initiative, score: Score) -> None:
    for field in SCORE_FIELDS:
        setattr(initiative, field, getattr(score, field))


def initiative_rescore(*, initiative: Initiative, weights: ScoringWeights | None = None) -> None:
    """Recompute and store one initiative's score and its explanation parts."""
    weights = weights or ScoringWeights.current()
    scores = _scores(_counted_tickets().filter(initiative=initiative), weights)
    _apply(initiative, scores.get(initiative.pk, Score()))
    initiative.save(update_fields=[*SCORE_FIELDS, "updated_at"])


def initiatives_rescore_all(*, batch_size: int = 500) -> int:
    """Recompute every initiative's score (after the weights change); returns how many changed."""
    weights = ScoringWeights.current()
    scores = _scores(_counted_tickets(), weights)
    changed = []
    for initiative in Initiative.objects.only("pk", *SCORE_FIELDS).order_by("pk").iterator():
        before = [getattr(initiative, field) for field in SCORE_FIELDS]
        _apply(initiative, scores.get(initiative.pk, Score()))
        if before != [getattr(initiative, field) for field in SCORE_FIELDS]:
            changed.append(initiative)
    Initiative.objects.bulk_update(changed, SCORE_FIELDS, batch_size=batch_size)
    return len(changed)


def scores_backfill(*, months: int, today: datetime.date | None = None) -> int:
    """Month-start snapshots for the last `months` months, rebuilt from the tickets that had
    been filed by then (for a database that starts with history, like the demo)."""
    weights = ScoringWeights.current()
    month = month_start(today or timezone.localdate())
    rows = []
    for _ in range(months):
        start = timezone.make_aware(datetime.datetime.combine(month, datetime.time()))
        scores = _scores(_counted_tickets().filter(created_at__lt=start), weights)
        rows += [
            ScoreSnapshot(
                initiative_id=pk,
                month=month,
                priority_score=score.priority_score,
                customer_count=score.customer_count,
            )
            for pk, score in scores.items()
        ]
        month = month_previous(month)
    created = ScoreSnapshot.objects.bulk_create(rows, ignore_conflicts=True)
    return len(created)
