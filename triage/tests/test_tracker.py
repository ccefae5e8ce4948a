"""Work items: which tracker URLs an initiative may link, who may link them, and what "work
done" changes (the board's ready-to-ship, a drafted release note) and does not (its status,
and nobody is emailed)."""

from __future__ import annotations

import pytest

from core.errors import DomainError
from intake.models import TicketStatus
from intake.tests.factories import TicketFactory
from notifications.models import Notification, NotificationKind
from triage.models import InitiativeEvent, InitiativeStatus, Tracker, WorkItem
from triage.tests.factories import InitiativeFactory
from triage.tracker import work_item_add, work_item_done, work_item_parse, work_item_remove

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "tracker", "key"),
    [
        ("https://github.com/Acme/App/pull/7", Tracker.GITHUB, "acme/app#7"),
        ("https://github.com/acme/app/issues/12/", Tracker.GITHUB, "acme/app#12"),
        (
            "https://gitlab.com/acme/platform/app/-/merge_requests/3",
            Tracker.GITLAB,
            "acme/platform/app!3",
        ),
        ("https://gitlab.example.com/acme/app/-/issues/3", Tracker.GITLAB, "acme/app#3"),
        ("https://acme.atlassian.net/browse/ENG-42", Tracker.JIRA, "ENG-42"),
        ("https://linear.app/acme/issue/ENG-42/csv-export", Tracker.LINEAR, "ENG-42"),
        ("https://linear.app/acme/issue/ENG-42", Tracker.LINEAR, "ENG-42"),
    ],
)
def test_tracker_links_are_understood(url, tracker, key) -> None:
    parsed = work_item_parse(url)
    assert (parsed.tracker, parsed.key) == (tracker, key)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "github.com/acme/app/pull/7",
        "https://github.com/acme/app",
        "https://github.com/acme/app/pull/seven",
        "javascript:alert(1)//github.com/acme/app/pull/7",
        "https://example.com/browse/ENG-42",
        "https://linear.app/acme/project/csv",
        "https://github.com/acme/app/pull/7" + "0" * 500,
    ],
)
def test_other_links_are_refused_with_what_is_understood(url) -> None:
    with pytest.raises(DomainError) as refused:
        work_item_parse(url)
    assert refused.value.field == "url"


def test_a_pm_links_and_unlinks_work_and_the_history_says_so(pm) -> None:
    initiative = InitiativeFactory.create(status=InitiativeStatus.IN_PROGRESS)
    item = work_item_add(initiative=initiative, by=pm, url="https://github.com/acme/app/pull/7")
    assert (item.tracker, item.key, item.added_by) == (Tracker.GITHUB, "acme/app#7", pm)
    with pytest.raises(DomainError) as twice:
        work_item_add(initiative=initiative, by=pm, url="https://github.com/ACME/app/pull/7/")
    assert twice.value.code == "conflict"
    work_item_remove(work_item=item, by=pm)
    assert not WorkItem.objects.exists()
    kinds = list(initiative.events.values_list("kind", flat=True))
    assert InitiativeEvent.Kind.WORK_ITEM_ADDED in kinds
    assert InitiativeEvent.Kind.WORK_ITEM_REMOVED in kinds


def test_only_product_managers_link_work_and_only_to_open_initiatives(
    pm, submitter, facilitator, admin_user
) -> None:
    initiative = InitiativeFactory.create()
    for user in (submitter, facilitator, admin_user):
        with pytest.raises(DomainError) as refused:
            work_item_add(initiative=initiative, by=user, url="https://github.com/a/b/pull/1")
        assert refused.value.code == "forbidden"
    shipped = InitiativeFactory.create(status=InitiativeStatus.SHIPPED)
    with pytest.raises(DomainError):
        work_item_add(initiative=shipped, by=pm, url="https://github.com/a/b/pull/1")
    assert not WorkItem.objects.exists()


def test_work_done_makes_it_ready_to_ship_with_a_draft_and_emails_nobody(pm) -> None:
    initiative = InitiativeFactory.create(status=InitiativeStatus.IN_PROGRESS)
    TicketFactory.create(initiative=initiative, status=TicketStatus.LINKED)
    work_item_add(initiative=initiative, by=pm, url="https://github.com/acme/app/pull/7")
    other = InitiativeFactory.create(status=InitiativeStatus.PLANNED)
    work_item_add(initiative=other, by=pm, url="https://github.com/acme/app/pull/7")

    done = work_item_done(tracker=Tracker.GITHUB, key="acme/app#7", title="Export invoices as CSV")
    assert {i.pk for i in done} == {initiative.pk, other.pk}
    initiative.refresh_from_db()
    assert initiative.work_done_at is not None
    assert initiative.status == InitiativeStatus.IN_PROGRESS  # a PM ships it, not the tracker
    assert initiative.release_note_draft == "Export invoices as CSV: now available."
    assert initiative.release_note == ""
    item = WorkItem.objects.get(initiative=initiative)
    assert item.done_at is not None
    assert item.title == "Export invoices as CSV"
    assert not Notification.objects.filter(kind=NotificationKind.CUSTOMER_SHIPPED).exists()
    assert initiative.events.filter(kind=InitiativeEvent.Kind.WORK_DONE).count() == 1

    # Said again: nothing more happens (the PM may have edited the draft since).
    type(initiative).objects.filter(pk=initiative.pk).update(release_note_draft="Edited.")
    work_item_done(tracker=Tracker.GITHUB, key="acme/app#7", title="Export invoices as CSV")
    initiative.refresh_from_db()
    assert initiative.release_note_draft == "Edited."
    assert initiative.events.filter(kind=InitiativeEvent.Kind.WORK_DONE).count() == 1


def test_an_item_no_open_initiative_links_is_not_found(pm) -> None:
    shipped = InitiativeFactory.create(status=InitiativeStatus.IN_PROGRESS)
    work_item_add(initiative=shipped, by=pm, url="https://github.com/acme/app/pull/7")
    type(shipped).objects.filter(pk=shipped.pk).update(status=InitiativeStatus.SHIPPED)
    for key in ("acme/app#7", "acme/app#8"):
        with pytest.raises(DomainError) as refused:
            work_item_done(tracker=Tracker.GITHUB, key=key, title="x")
        assert refused.value.code == "not_found"
    shipped.refresh_from_db()
    assert shipped.work_done_at is None
