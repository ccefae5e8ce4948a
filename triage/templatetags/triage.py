"""Template helpers for the board and initiative pages."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from triage.models import Initiative, InitiativeStatus
from triage.services import allowed_moves

register = template.Library()


@register.filter
def move_targets(initiative: Initiative) -> str:
    """Where this initiative may move next, as the card's data attribute ("planned shipped")."""
    return " ".join(allowed_moves(initiative.status))


@register.simple_tag
def score_change(initiative: Initiative) -> SafeString:
    """'▲ 2.5 since last month', 'new this month' or nothing, from the month's snapshot."""
    start = getattr(initiative, "month_start_score", None)
    if start is None:
        return mark_safe('<span class="delta new">new this month</span>')
    change = Decimal(initiative.priority_score) - Decimal(start)
    if not change:
        return mark_safe('<span class="delta flat">no change this month</span>')
    arrow, css = ("▲", "up") if change > 0 else ("▼", "down")
    return format_html(
        '<span class="delta {}" title="Change since the start of the month">'
        "{} {} this month</span>",
        css,
        arrow,
        f"{abs(change):.2f}".rstrip("0").rstrip("."),
    )


# The inbox's actions: (action, button label, keyboard shortcut).
INBOX_BUTTONS = [
    ("link", "Link", "l"),
    ("create", "New initiative", "n"),
    ("duplicate", "Duplicate", "d"),
    ("decline", "Decline", "x"),
    ("ask", "Ask", "q"),
    ("snooze", "Snooze", "s"),
]


@register.simple_tag
def inbox_buttons() -> list[tuple[str, str, str]]:
    return INBOX_BUTTONS


@register.filter
def status_label(value: str) -> str:
    """'in_progress' → 'In progress'."""
    try:
        return str(InitiativeStatus(value).label)
    except ValueError:
        return value


@register.filter
def get_item(row: dict[str, object], key: str) -> object:
    """A dict's value by a key held in a variable."""
    return row.get(key, "")
