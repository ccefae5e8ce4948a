"""The insights page: the loop's health as charts, each with a table and a CSV download."""

from __future__ import annotations

import csv
from typing import Any

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.choices import ANY, any_of
from core.db_router import reads_may_lag
from core.http import HtmxHttpRequest, require
from insights.charts import SEGMENT_COLORS, TEAM_COLORS, line_chart, share_bars, stacked_bars
from insights.figures import (
    PERIODS,
    InsightFilters,
    closed_loop,
    decisions_per_month,
    inbox_health,
    shipped_from,
    tickets_per_week,
    top_initiatives_trend,
)
from insights.policies import ensure_may_view_insights
from intake.models import ProductArea, SourceTeam, TicketSource

TEAM_KEYS = [(value, str(label)) for value, label in SourceTeam.choices]


class InsightFilterForm(forms.Form):
    months = forms.ChoiceField(
        label="Period", choices=list(PERIODS.items()), required=False, initial="3"
    )
    source_team = forms.ChoiceField(
        label="Team", choices=any_of(SourceTeam.choices), required=False
    )
    source = forms.ChoiceField(label="Source", choices=any_of(TicketSource.choices), required=False)
    product_area = forms.ModelChoiceField(
        queryset=ProductArea.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label=ANY,
    )


def _filters(request: HtmxHttpRequest) -> tuple[InsightFilterForm, InsightFilters]:
    form = InsightFilterForm(request.GET or None)
    if form.is_valid():
        data = form.cleaned_data
        return form, InsightFilters(
            months=int(data["months"] or 3),
            source_team=data["source_team"],
            source=data["source"],
            product_area=data["product_area"].slug if data["product_area"] else "",
        )
    return form, InsightFilters()


@require(ensure_may_view_insights)
@require_GET
@reads_may_lag  # figures over months: a moment behind the primary changes nothing
def insights(request: HtmxHttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    weeks = tickets_per_week(filters=filters)
    trend = top_initiatives_trend(filters=filters)
    decisions = decisions_per_month(filters=filters)
    shipped = shipped_from(filters=filters)
    context: dict[str, Any] = {
        "form": form,
        "query": request.GET.urlencode(),
        "weeks": weeks,
        "weeks_chart": stacked_bars(weeks, keys=TEAM_KEYS, colors=TEAM_COLORS, label="week"),
        "team_keys": TEAM_KEYS,
        "inbox": inbox_health(filters=filters),
        "trend": trend,
        "trend_chart": line_chart([(t.initiative.title, _month_points(t.points)) for t in trend]),
        "loop": closed_loop(filters=filters),
        "decisions": decisions,
        "decisions_chart": stacked_bars(
            decisions,
            keys=[("reviews", "review decisions"), ("workshops", "workshop outcomes")],
            colors={"reviews": "#4f46e5", "workshops": "#a855f7"},
            label="month",
            label_format="%b %Y",
        ),
        "teams": share_bars(shipped["teams"], colors=TEAM_COLORS),
        "segments": share_bars(shipped["segments"], colors=SEGMENT_COLORS),
        "nav": "insights",
    }
    # The filter applies on change, like the board's: htmx asks for the charts alone.
    if request.htmx and request.htmx.target == "insights-body":
        return render(request, "insights/partials/body.html", context)
    return render(request, "insights/insights.html", context)


def _month_points(points: list[tuple[Any, Any]]) -> list[tuple[str, Any]]:
    """A trend's points labelled by the month they start, the last one "Now"."""
    return [
        ("Now" if index == len(points) - 1 else f"{month:%b %-d}", value)
        for index, (month, value) in enumerate(points)
    ]


def _csv_rows(chart: str, filters: InsightFilters) -> list[list[Any]]:
    if chart == "tickets-per-week":
        rows = tickets_per_week(filters=filters)
        return [["week", *SourceTeam.values, "total"]] + [
            [row["week"].isoformat(), *(row[t] for t in SourceTeam.values), row["total"]]
            for row in rows
        ]
    if chart == "inbox":
        inbox = inbox_health(filters=filters)
        return [
            ["waiting", "median_days", "oldest_days"],
            [inbox.waiting, inbox.median_days, inbox.oldest_days],
        ]
    if chart == "top-initiatives":
        trend = top_initiatives_trend(filters=filters)
        header = ["initiative"] + [str(m) for m, _ in (trend[0].points if trend else [])]
        return [header] + [[t.initiative.title, *(v for _, v in t.points)] for t in trend]
    if chart == "closed-loop":
        loop = closed_loop(filters=filters)
        return [
            ["tickets_shipped", "customers_told", "rate_percent", "median_days_to_email"],
            [loop.tickets, loop.told, loop.rate, loop.median_days],
        ]
    if chart == "decisions":
        rows = decisions_per_month(filters=filters)
        return [["month", "review_decisions", "workshop_outcomes"]] + [
            [row["month"].isoformat(), row["reviews"], row["workshops"]] for row in rows
        ]
    if chart in ("shipped-by-team", "shipped-by-segment"):
        key = "teams" if chart == "shipped-by-team" else "segments"
        return [["group", "tickets"]] + [
            [row["label"], row["n"]] for row in shipped_from(filters=filters)[key]
        ]
    raise Http404("No such chart.")


@require(ensure_may_view_insights)
@require_GET
@reads_may_lag
def insights_csv(request: HtmxHttpRequest, chart: str) -> HttpResponse:
    _, filters = _filters(request)
    rows = _csv_rows(chart, filters)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{chart}.csv"'
    writer = csv.writer(response)
    for row in rows:
        # A cell starting with = + - @ would run as a formula in a spreadsheet.
        writer.writerow([f"'{c}" if isinstance(c, str) and c[:1] in "=+-@" else c for c in row])
    return response
