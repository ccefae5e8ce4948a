"""Dates for tests, counted from now, so the suite gives the same answers on any day it runs.

The code refuses sessions that start in the past, and the insight windows move with the month,
so a test that needs a day asks for one here instead of writing a literal date (which
would turn red once that day has passed). tests/test_dates.py runs these helpers, and the
scheduling code they feed, with the clock two years ahead.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

UTC = datetime.UTC
TUESDAY = 1


def company_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def month_start(ahead: int = 0) -> datetime.date:
    """The first day of the month `ahead` months after this one (company time); negative for
    months before."""
    this = timezone.localdate(timezone=company_zone())
    index = this.year * 12 + this.month - 1 + ahead
    return datetime.date(index // 12, index % 12 + 1, 1)


def day_at(
    day: datetime.date, hour: int = 10, minute: int = 0, tz: datetime.tzinfo | None = None
) -> datetime.datetime:
    """`hour:minute` on `day` in zone `tz` (the company's by default)."""
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=tz or company_zone())


def tuesday_at(
    weeks: int = 2, hour: int = 10, minute: int = 0, tz: datetime.tzinfo | None = None
) -> datetime.datetime:
    """`hour:minute` in zone `tz` (the company's by default) on the first Tuesday after the day
    `weeks - 1` weeks from today: 7*weeks - 6 to 7*weeks days ahead, so always in the future
    for weeks >= 1, and always on a Tuesday."""
    zone = tz or company_zone()
    day = timezone.localdate(timezone=zone) + datetime.timedelta(weeks=weeks - 1)
    day += datetime.timedelta(days=(TUESDAY - day.weekday() - 1) % 7 + 1)
    return day_at(day, hour, minute, zone)


def long_ago(days: int = 400) -> datetime.datetime:
    """A moment well in the past."""
    return timezone.now() - datetime.timedelta(days=days)
