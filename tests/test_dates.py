"""The suite does not depend on the day it runs: with the clock two years ahead, the dates the
tests are given (tests.dates) are still in the future, and the scheduling services, which
refuse the past, still take them. A fixed date the tests once used is refused then, which shows
the clock really moved.

No clock-freezing library is a dependency, so `django.utils.timezone.now` is patched: the
services, `timezone.localdate()` and the models' auto_now fields all read it. PostgreSQL's own
now() is not moved, and nothing here uses it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import User
from core.dates import month_next
from core.errors import DomainError
from sessions.services import (
    review_create,
    reviews_schedule,
    session_reschedule,
    workshop_schedule,
)
from tests.dates import day_at, month_start, tuesday_at

pytestmark = pytest.mark.django_db

REAL_NOW = timezone.now()
# Two years on, and two years on at the last minute of a year (the month and the year roll over
# within hours in every zone).
LATER = [
    REAL_NOW + datetime.timedelta(days=730),
    datetime.datetime(REAL_NOW.year + 2, 12, 31, 23, 59, tzinfo=datetime.UTC),
]


@pytest.fixture(params=LATER, ids=["two years on", "new year's eve two years on"])
def later(request: pytest.FixtureRequest) -> Iterator[datetime.datetime]:
    with patch("django.utils.timezone.now", return_value=request.param):
        yield request.param


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Pacific/Kiritimati"])
def test_the_tests_dates_are_accepted_whatever_the_day(
    settings, later: datetime.datetime, zone: str, facilitator: User
) -> None:
    settings.TIME_ZONE = zone
    assert timezone.now() == later

    # The helpers count from the moved clock.
    this_month = timezone.localdate(timezone=ZoneInfo(zone)).replace(day=1)
    assert month_start(0) == this_month
    assert month_start(2) == month_next(month_next(this_month))
    tuesday = tuesday_at(weeks=1)
    assert tuesday.weekday() == 1
    assert later < tuesday <= later + datetime.timedelta(days=8)

    # The services that refuse the past take them.
    workshop = workshop_schedule(
        by=facilitator,
        title="Onboarding friction",
        topic="friction_points",
        starts_at=tuesday_at(weeks=2, hour=9, minute=30, tz=ZoneInfo("America/New_York")),
        duration_minutes=90,
    )
    session_reschedule(
        session=workshop, by=facilitator, starts_at=tuesday_at(weeks=4), duration_minutes=45
    )
    review, created = review_create(
        month=month_start(2), by=facilitator, starts_at=day_at(month_start(2), 9)
    )
    assert created
    assert review.starts_at > later
    following = reviews_schedule(today=month_start(2))
    assert following is not None
    assert following.month == month_start(3)
    assert following.starts_at > later

    # A date the suite once had written out is in the past by then, and refused.
    with pytest.raises(DomainError) as error:
        workshop_schedule(
            by=facilitator,
            title="Onboarding friction",
            topic="friction_points",
            starts_at=REAL_NOW + datetime.timedelta(days=365),  # past, two years on
            duration_minutes=90,
        )
    assert error.value.field == "starts_at"
