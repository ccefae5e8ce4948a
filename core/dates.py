"""Month arithmetic, in one place (the first of a month, the month after, the month before),
and the company's review calendar."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from core.errors import DomainError

# How far ahead anything may be scheduled: far enough for any real plan, near enough that
# month and duration arithmetic never reaches the end of the calendar (year 9999).
YEARS_AHEAD = 10


def horizon(now: datetime.datetime | None = None) -> datetime.datetime:
    """The latest time anything may be scheduled for."""
    now = now or timezone.now()
    return now + datetime.timedelta(days=365 * YEARS_AHEAD + YEARS_AHEAD // 4)


def month_in_window(month: datetime.date, *, field: str = "month") -> datetime.date:
    """The month's first day, if the month is this one or later and within the horizon."""
    first = month_start(month)
    if first > horizon().date():
        raise DomainError(f"Pick a month within the next {YEARS_AHEAD} years.", field=field)
    return first


def month_from_param(value: str) -> datetime.date | None:
    """The month a `YYYY-MM` query parameter names, if it is one within the horizon either side
    of today; None for anything else (so a page shows this month instead of failing)."""
    if len(value) != 7 or not value.isascii():
        return None
    try:
        month = datetime.date.fromisoformat(f"{value}-01")
    except ValueError:
        return None
    today = timezone.localdate()
    if not today.replace(year=today.year - YEARS_AHEAD, day=1) <= month <= horizon().date():
        return None
    return month


def month_start(day: datetime.date) -> datetime.date:
    """The first day of the month `day` is in."""
    return day.replace(day=1)


def month_next(day: datetime.date) -> datetime.date:
    """The first day of the month after the one `day` is in."""
    return (month_start(day) + datetime.timedelta(days=32)).replace(day=1)


def month_previous(day: datetime.date) -> datetime.date:
    """The first day of the month before the one `day` is in."""
    return (month_start(day) - datetime.timedelta(days=1)).replace(day=1)


def months_back(day: datetime.date, count: int) -> list[datetime.date]:
    """The first days of the `count` months ending with `day`'s, oldest first."""
    months = [month_start(day)]
    for _ in range(count - 1):
        months.append(month_previous(months[-1]))
    return months[::-1]


def review_day(month: datetime.date) -> datetime.datetime:
    """When a month's review starts: by default the first Tuesday at 10:00, company time."""
    first = month_start(month)
    weekday = settings.REVIEW_WEEKDAY
    day = first + datetime.timedelta(days=(weekday - first.weekday()) % 7)
    day += datetime.timedelta(weeks=settings.REVIEW_WEEK - 1)
    hour, minute = (int(part) for part in settings.REVIEW_TIME.split(":"))
    local = datetime.datetime.combine(day, datetime.time(hour, minute))
    return local.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))


# (seconds in the unit, its name): the largest that fits says how long ago, in one unit.
_UNITS = (
    (365 * 24 * 3600, "year"),
    (30 * 24 * 3600, "month"),
    (7 * 24 * 3600, "week"),
    (24 * 3600, "day"),
    (3600, "hour"),
    (60, "minute"),
)


def relative(when: datetime.datetime, now: datetime.datetime | None = None) -> str:
    """How long ago (or how soon) `when` is, in the largest whole unit: "just now" under a
    minute either way (never "0 minutes ago"), "yesterday" and "tomorrow" for one day."""
    seconds = ((now or timezone.now()) - when).total_seconds()
    span = abs(seconds)
    if span < 60:
        return "just now"
    size, name = next((size, name) for size, name in _UNITS if span >= size)
    count = int(span // size)
    if name == "day" and count == 1:
        return "yesterday" if seconds > 0 else "tomorrow"
    words = f"{count} {name}{'' if count == 1 else 's'}"
    return f"{words} ago" if seconds > 0 else f"in {words}"
