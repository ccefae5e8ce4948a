"""Relative times ("just now", never "0 minutes ago") and the words for nothing chosen, said
one way on every page."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import timezone

from core.choices import ANY, CHOOSE, NONE, any_of
from core.dates import relative

NOW = datetime.datetime(2021, 3, 10, 12, 0, tzinfo=datetime.UTC)
SECOND = datetime.timedelta(seconds=1)
MINUTE = datetime.timedelta(minutes=1)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


@pytest.mark.parametrize(
    ("before", "said"),
    [
        (0 * SECOND, "just now"),
        (59 * SECOND, "just now"),
        (60 * SECOND, "1 minute ago"),
        (119 * SECOND, "1 minute ago"),
        (5 * MINUTE, "5 minutes ago"),
        (59 * MINUTE, "59 minutes ago"),
        (HOUR, "1 hour ago"),
        (23 * HOUR, "23 hours ago"),
        (DAY, "yesterday"),
        (47 * HOUR, "yesterday"),
        (2 * DAY, "2 days ago"),
        (6 * DAY, "6 days ago"),
        (7 * DAY, "1 week ago"),
        (29 * DAY, "4 weeks ago"),
        (30 * DAY, "1 month ago"),
        (364 * DAY, "12 months ago"),
        (365 * DAY, "1 year ago"),
        (800 * DAY, "2 years ago"),
    ],
)
def test_a_past_time_in_its_largest_whole_unit(before: datetime.timedelta, said: str) -> None:
    assert relative(NOW - before, NOW) == said


@pytest.mark.parametrize(
    ("after", "said"),
    [
        (30 * SECOND, "just now"),
        (5 * MINUTE, "in 5 minutes"),
        (HOUR, "in 1 hour"),
        (DAY, "tomorrow"),
        (3 * DAY, "in 3 days"),
        (14 * DAY, "in 2 weeks"),
    ],
)
def test_a_future_time_says_in(after: datetime.timedelta, said: str) -> None:
    assert relative(NOW + after, NOW) == said


def test_the_filter_gives_a_time_element_with_the_full_date() -> None:
    moment = timezone.now() - 3 * MINUTE
    html = Template("{{ moment|ago }}").render(Context({"moment": moment}))
    local = timezone.localtime(moment)
    assert html == (
        f'<time datetime="{local.isoformat()}" title="{local:%b} {local.day}, '
        f'{local:%Y %H:%M}">3 minutes ago</time>'
    )
    assert (
        Template("{{ moment|ago }}")
        .render(Context({"moment": timezone.now()}))
        .endswith(">just now</time>")
    )
    assert Template("{{ moment|ago }}").render(Context({"moment": None})) == ""


@pytest.mark.parametrize("empty", [None, "", [], ()])
def test_an_empty_value_reads_none(empty: object) -> None:
    html = Template("{{ value|or_none }}").render(Context({"value": empty}))
    assert html == f'<span class="muted">{NONE}</span>'


def test_a_value_is_shown_escaped() -> None:
    html = Template("{{ value|or_none }}").render(Context({"value": "<b>Acme</b>"}))
    assert html == "&lt;b&gt;Acme&lt;/b&gt;"


def test_a_filter_narrows_nothing_first() -> None:
    assert any_of([("a", "A")]) == [("", ANY), ("a", "A")]
    assert {ANY, NONE, CHOOSE} == {"Any", "None", "Choose…"}


def test_no_template_says_time_another_way_or_nothing_chosen_in_other_words() -> None:
    """timesince says "0 minutes"; the old dashes and "Every …" said "nothing" five ways."""
    root = Path(settings.BASE_DIR)
    sources = [
        *root.glob("templates/**/*.html"),
        *root.glob("*/forms.py"),
        *root.glob("*/views.py"),
    ]
    for source in sources:
        text = source.read_text()
        for old in (
            "timesince",
            "naturaltime",
            "— not sure —",
            "— none —",
            "— any —",
            "— nobody yet —",
            "— pick",
            "Every team",
            '"Any ',
            '<option value="">—',
        ):
            assert old not in text, (source, old)
