"""Geometry for the insights page's server-drawn SVG charts: the numbers in, shapes out.

The templates draw what these return; every chart also has a table and a CSV of the same rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from intake.models import Segment, SourceTeam

TEAM_COLORS = {
    SourceTeam.SALES: "#4f46e5",
    SourceTeam.CUSTOMER_SUCCESS: "#0ea5e9",
    SourceTeam.ONBOARDING: "#10b981",
    SourceTeam.SUPPORT: "#f59e0b",
    SourceTeam.OTHER: "#9ca3af",
}
SEGMENT_COLORS = {
    Segment.ENTERPRISE: "#4f46e5",
    Segment.MID_MARKET: "#0ea5e9",
    Segment.SMB: "#10b981",
    Segment.STARTUP: "#f59e0b",
    Segment.OTHER: "#9ca3af",
}
SERIES_COLORS = ["#4f46e5", "#0ea5e9", "#10b981", "#f59e0b", "#ef4444"]

# The plot's own units. The SVG stretches to its card's width and a height the stylesheet sets
# from that width; its axis labels are HTML beside it, placed in percent of the plot, so they
# keep the page's type size however wide the card is (SVG text scaled with the drawing read at
# 5 px on a phone and 8 px in a half-width card).
WIDTH, HEIGHT = 640, 220
TOP = 6  # room for the top grid line
LABELS_MAX = 8  # x labels at most; every other one is "minor" and left out on a phone


def nice_max(value: float) -> float:
    """A round axis maximum at or above `value` (1, 2 or 5 times a power of ten)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)


@dataclass
class BarPart:
    y: float
    height: float
    color: str
    title: str


@dataclass
class Bar:
    x: float
    width: float
    label: str
    segments: list[BarPart] = field(default_factory=list)


@dataclass
class Label:
    """An x-axis label: where it sits in percent of the plot's width, and how it hangs there."""

    percent: float
    text: str
    anchor: str = "middle"  # or "end", for the last one at the right edge
    minor: bool = False


@dataclass
class Axis:
    ticks: list[tuple[float, float, str]]  # (y in plot units, y in percent from the top, text)
    width: int = WIDTH
    height: int = HEIGHT


def _axis(top_value: float, *, counts: bool = False) -> tuple[float, Axis]:
    top = nice_max(top_value)
    if counts:
        # Whole numbers on the axis: at least 4, and a multiple of 4 for even quarter ticks.
        top = float(max(4, math.ceil(top / 4) * 4))
    plot = HEIGHT - TOP
    ticks = []
    for i in range(5):
        y = HEIGHT - plot * i / 4
        ticks.append((y, 100 * y / HEIGHT, f"{top * i / 4:g}"))
    return top, Axis(ticks=ticks)


def _labels(positions: Sequence[tuple[float, str]]) -> list[Label]:
    """At most LABELS_MAX evenly spaced labels, every other one minor; the last one hangs left
    of its point when it would run off the right edge."""
    every = max(1, math.ceil(len(positions) / LABELS_MAX))
    labels = []
    for shown, index in enumerate(range(0, len(positions), every)):
        x, text = positions[index]
        percent = 100 * x / WIDTH
        labels.append(
            Label(
                percent=percent,
                text=text,
                anchor="end" if percent > 92 else "middle",
                minor=shown % 2 == 1,
            )
        )
    return labels


def stacked_bars(
    rows: Sequence[dict[str, Any]],
    *,
    keys: Sequence[tuple[str, str]],
    colors: dict[Any, str],
    label: str,
    label_format: str = "%b %-d",
) -> dict[str, Any]:
    """Bars of stacked segments, one per row; `keys` are (row key, legend label)."""
    totals = [sum(row[key] for key, _ in keys) for row in rows]
    top, axis = _axis(max(totals, default=0), counts=True)
    plot_height = HEIGHT - TOP
    slot = WIDTH / max(1, len(rows))
    bars: list[Bar] = []
    for row in rows:
        name = row[label].strftime(label_format)
        bar = Bar(x=len(bars) * slot + slot * 0.15, width=max(1.0, slot * 0.7), label=name)
        y: float = HEIGHT
        for key, legend in keys:
            height = plot_height * row[key] / top
            if height:
                y -= height
                bar.segments.append(
                    BarPart(
                        y=y, height=height, color=colors[key], title=f"{name}: {row[key]} {legend}"
                    )
                )
        bars.append(bar)
    swatches = [(text, colors[key]) for key, text in keys]
    return {
        "axis": axis,
        "bars": bars,
        "labels": _labels([(b.x + b.width / 2, b.label) for b in bars]),
        "legend": swatches,
        "empty": not any(totals),
    }


def line_chart(series: Sequence[tuple[str, Sequence[tuple[Any, float | None]]]]) -> dict[str, Any]:
    """One line per series of (x label, value) points, sharing the x positions of the first."""
    values = [value for _, points in series for _, value in points if value is not None]
    top, axis = _axis(max(values, default=0))
    plot_height = HEIGHT - TOP
    count = max((len(points) for _, points in series), default=0)
    margin = 12  # the first and last dots clear the edges
    step = (WIDTH - 2 * margin) / max(1, count - 1)
    lines = []
    for index, (name, points) in enumerate(series):
        coords = [
            (margin + i * step, HEIGHT - plot_height * value / top, value)
            for i, (_, value) in enumerate(points)
            if value is not None
        ]
        lines.append(
            {
                "name": name,
                "color": SERIES_COLORS[index % len(SERIES_COLORS)],
                "points": " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in coords),
                "dots": coords,
            }
        )
    labels = []
    if series:
        points = series[0][1]
        labels = _labels([(margin + i * step, str(x)) for i, (x, _) in enumerate(points)])
    return {"axis": axis, "lines": lines, "labels": labels, "empty": not values}


def share_bars(rows: Sequence[dict[str, Any]], *, colors: dict[Any, str]) -> dict[str, Any]:
    """Horizontal bars as shares of the total: [{label, n, percent, color}]."""
    total = sum(row["n"] for row in rows)
    return {
        "rows": [
            {
                **row,
                "percent": round(100 * row["n"] / total, 1) if total else 0,
                "color": colors[row["key"]],
            }
            for row in rows
        ],
        "total": total,
        "empty": not total,
    }
