"""Month arithmetic, in one place: the first of a month, the month after, the month before."""

from __future__ import annotations

import datetime


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
