"""Month arithmetic on known calendar dates: pure functions, nothing here compares with now."""

import datetime

import pytest

from core.dates import month_next, month_previous, month_start, months_back

D = datetime.date


@pytest.mark.parametrize(
    ("day", "following"),
    [
        (D(2018, 11, 21), D(2018, 12, 1)),
        (D(2018, 12, 31), D(2019, 1, 1)),
        (D(2019, 1, 31), D(2019, 2, 1)),
        (D(2020, 2, 29), D(2020, 3, 1)),
    ],
)
def test_month_next(day, following) -> None:
    assert month_next(day) == following


@pytest.mark.parametrize(
    ("day", "previous"),
    [
        (D(2019, 1, 1), D(2018, 12, 1)),
        (D(2019, 3, 31), D(2019, 2, 1)),
        (D(2018, 11, 21), D(2018, 10, 1)),
    ],
)
def test_month_previous(day, previous) -> None:
    assert month_previous(day) == previous
    assert month_start(day) == day.replace(day=1)


def test_months_back_lists_the_months_ending_with_this_one_oldest_first() -> None:
    assert months_back(D(2019, 2, 14), 3) == [D(2018, 12, 1), D(2019, 1, 1), D(2019, 2, 1)]
    assert months_back(D(2019, 2, 14), 1) == [D(2019, 2, 1)]
