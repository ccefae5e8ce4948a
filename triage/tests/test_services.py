"""Initiative lifecycle and inbox actions: the moves allowed, the history kept, the submitter
told, and every refusal leaving the database exactly as it was."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from core.errors import DomainError
from intake.lifecycle import tickets_wake
from intake.models import Importance, Ticket, TicketStatus
from intake.tests.factories import FILED, ProductAreaFactory, TicketFactory
from notifications.models import Notice, Notification, NotificationKind
from triage.models import (
    Initiative,
    InitiativeEvent,
    InitiativeStatus,
    ScoreSnapshot,
)
from triage.services import (
    initiative_create,
    initiative_customer_add,
    initiative_decline,
    initiative_merge,
    initiative_move,
    initiative_move_undo,
    initiative_ship,
    initiative_update,
    ticket_decline,
    ticket_initiative_create,
    ticket_link,
    ticket_mark_duplicate,
    ticket_snooze,
    ticket_unlink,
)
from triage.tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

PROPOSED = InitiativeStatus.PROPOSED
PLANNED = InitiativeStatus.PLANNED
IN_PROGRESS = InitiativeStatus.IN_PROGRESS
SHIPPED = InitiativeStatus.SHIPPED
DECLINED = InitiativeStatus.DECLINED


def database() -> dict[str, list[Any]]:
    """Every row a triage action could touch, to show a refusal changed nothing."""
    return {
        "initiatives": list(Initiative.objects.order_by("pk").values()),
        "tickets": list(Ticket.objects.order_by("pk").values()),
        "events": list(InitiativeEvent.objects.order_by("pk").values()),
        "notices": list(Notice.objects.order_by("pk").values()),
        "notifications": list(Notification.objects.order_by("pk").values()),
        "snapshots": list(ScoreSnapshot.objects.order_by("pk").values()),
    }


def refused(action: Callable[[], object], *, code: str = "invalid") -> DomainError:
    """Run an action that must be refused with `code`, and check nothing was written."""
    before = database()
    with pytest.raises(DomainError) as error:
        action()
    assert error.value.code == code
    assert error.value.message
    assert database() == before
    return error.value


def initiative_in(status: InitiativeStatus, **fields: Any) -> Initiative:
    """An initiative already at `status` (set up directly, as history before the test)."""
    extra: dict[str, Any] = {}
    if status == SHIPPED:
        extra = {"release_note": "It shipped.", "shipped_at": timezone.now()}
    if status == DECLINED:
        extra = {"decline_reason": "Not now."}
    return InitiativeFactory.create(status=status, **extra, **fields)


def new_ticket(submitter: User, **fields: Any) -> Ticket:
    return TicketFactory.create(submitted_by=submitter, **fields)


# ---------------------------------------------------------------------------------------------
# The lifecycle


# Any open status moves to any other, or straight to shipped or declined; a shipped initiative
# moves back to in progress (un-shipping it); a declined one is reopened as proposed.
ALLOWED = [
    (PROPOSED, PLANNED),
    (PROPOSED, IN_PROGRESS),
    (PROPOSED, SHIPPED),
    (PLANNED, IN_PROGRESS),
    (PLANNED, SHIPPED),
    (IN_PROGRESS, SHIPPED),
    (PLANNED, PROPOSED),
    (IN_PROGRESS, PLANNED),
    (IN_PROGRESS, PROPOSED),
    (SHIPPED, IN_PROGRESS),
    (PROPOSED, DECLINED),
    (PLANNED, DECLINED),
    (IN_PROGRESS, DECLINED),
    (DECLINED, PROPOSED),
]

FORBIDDEN = [
    (SHIPPED, PLANNED),
    (SHIPPED, PROPOSED),
    (SHIPPED, DECLINED),
    (DECLINED, PLANNED),
    (DECLINED, IN_PROGRESS),
    (DECLINED, SHIPPED),
]


def move(
    *,
    initiative,
    by,
    status,
    version=None,
    release_note: Any = "",
    decline_reason: Any = "",
):
    """The service behind a move to `status`: shipping and declining are acts of their own."""
    if status == SHIPPED:
        return initiative_ship(
            initiative=initiative, by=by, release_note=release_note, version=version
        )
    if status == DECLINED:
        return initiative_decline(
            initiative=initiative, by=by, reason=decline_reason, version=version
        )
    return initiative_move(initiative=initiative, by=by, status=status, version=version)


@pytest.mark.parametrize(("start", "target"), ALLOWED)
def test_allowed_moves_are_made_and_kept_in_history(pm, start, target) -> None:
    initiative = initiative_in(start)
    before = timezone.now()

    moved = move(
        initiative=initiative,
        by=pm,
        status=target,
        version=initiative.version,
        release_note="CSV export is live for everyone.",
        decline_reason="We will not build this.",
    )

    stored = Initiative.objects.get(pk=initiative.pk)
    assert moved.status == stored.status == target
    assert stored.version == initiative.version + 1
    event = stored.events.get(kind=InitiativeEvent.Kind.STATUS)
    assert (event.actor, event.from_value, event.to_value) == (pm, start, target)
    assert event.created_at >= before


@pytest.mark.parametrize(("start", "target"), FORBIDDEN)
def test_other_moves_are_refused_and_change_nothing(pm, start, target) -> None:
    initiative = initiative_in(start)
    error = refused(
        lambda: move(
            initiative=initiative,
            by=pm,
            status=target,
            version=initiative.version,
            release_note="Shipped.",
            decline_reason="No.",
        )
    )
    assert error.field == "status"
    assert f"not straight to {target.label.lower()}" in error.message


def test_the_full_lifecycle_leaves_a_complete_history(pm) -> None:
    initiative = initiative_create(by=pm, title="CSV export")
    for status in (PLANNED, IN_PROGRESS, SHIPPED):
        initiative = move(
            initiative=initiative,
            by=pm,
            status=status,
            version=initiative.version,
            release_note="Export any list as CSV.",
        )

    assert initiative.version == 4
    assert initiative.shipped_at is not None
    assert initiative.release_note == "Export any list as CSV."
    history = list(initiative.events.order_by("pk").values_list("kind", "from_value", "to_value"))
    assert history == [
        (InitiativeEvent.Kind.CREATED, "", "CSV export"),
        (InitiativeEvent.Kind.STATUS, PROPOSED, PLANNED),
        (InitiativeEvent.Kind.STATUS, PLANNED, IN_PROGRESS),
        (InitiativeEvent.Kind.STATUS, IN_PROGRESS, SHIPPED),
    ]
    assert set(initiative.events.values_list("actor", flat=True)) == {pm.pk}


# ---------------------------------------------------------------------------------------------
# Undo of a move (the board's "Undo")


@pytest.mark.parametrize(
    ("start", "target"), [(PROPOSED, IN_PROGRESS), (PLANNED, DECLINED), (SHIPPED, IN_PROGRESS)]
)
def test_undo_puts_a_move_back_where_it_was(pm, start, target) -> None:
    initiative = initiative_in(start)
    moved = move(
        initiative=initiative,
        by=pm,
        status=target,
        version=initiative.version,
        decline_reason="Not now.",
    )
    back = initiative_move_undo(initiative=moved, by=pm, version=moved.version)
    stored = Initiative.objects.get(pk=initiative.pk)
    assert back.status == stored.status == start
    assert stored.decline_reason == ""
    assert stored.version == initiative.version + 2
    last = stored.events.filter(kind=InitiativeEvent.Kind.STATUS).first()
    assert last is not None
    assert (last.from_value, last.to_value, last.note, last.actor) == (target, start, "undone", pm)


def test_undoing_a_decline_from_planned_goes_back_to_planned(pm) -> None:
    # Reopening a declined initiative only goes to proposed; its undo goes back where it was.
    initiative = initiative_in(PLANNED)
    declined = initiative_decline(
        initiative=initiative, by=pm, reason="Too niche.", version=initiative.version
    )
    back = initiative_move_undo(initiative=declined, by=pm, version=declined.version)
    assert (back.status, back.decline_reason) == (PLANNED, "")


def test_undo_after_someone_else_changed_it_is_refused(pm) -> None:
    initiative = initiative_in(PROPOSED)
    moved = initiative_move(initiative=initiative, by=pm, status=PLANNED, version=1)
    again = initiative_move(initiative=moved, by=pm, status=IN_PROGRESS, version=moved.version)
    error = refused(
        lambda: initiative_move_undo(initiative=again, by=pm, version=moved.version),
        code="conflict",
    )
    assert "while you were looking" in error.message


def test_a_ship_is_not_undone_and_without_a_move_there_is_nothing_to_undo(pm, submitter) -> None:
    initiative = initiative_in(IN_PROGRESS)
    shipped = initiative_ship(initiative=initiative, by=pm, release_note="Out.", version=1)
    error = refused(lambda: initiative_move_undo(initiative=shipped, by=pm, version=2))
    assert "un-ship" in error.message
    fresh = initiative_in(PROPOSED)
    refused(lambda: initiative_move_undo(initiative=fresh, by=pm, version=1), code="conflict")
    refused(
        lambda: initiative_move_undo(initiative=fresh, by=submitter, version=1), code="forbidden"
    )


def test_undoing_an_unship_ships_it_again_and_tells_only_who_asked_since(pm) -> None:
    initiative = initiative_in(IN_PROGRESS)
    first = TicketFactory.create(initiative=initiative, status=TicketStatus.LINKED)
    shipped = initiative_ship(initiative=initiative, by=pm, release_note="Out.", version=1)
    back = initiative_move(initiative=shipped, by=pm, status=IN_PROGRESS, version=2)
    later = TicketFactory.create(initiative=initiative, status=TicketStatus.LINKED)
    initiative_move_undo(initiative=back, by=pm, version=back.version)
    told = Notification.objects.filter(
        initiative=initiative, kind=NotificationKind.CUSTOMER_SHIPPED
    ).values_list("contact_id", flat=True)
    assert sorted(told) == sorted([first.contact_id, later.contact_id])


@pytest.mark.parametrize("note", [None, "", "   \n "])
def test_shipping_needs_a_release_note(pm, note) -> None:
    initiative = initiative_in(IN_PROGRESS)
    error = refused(lambda: move(initiative=initiative, by=pm, status=SHIPPED, release_note=note))
    assert error.field == "release_note"


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_declining_needs_a_reason(pm, reason) -> None:
    initiative = initiative_in(PLANNED)
    error = refused(
        lambda: move(initiative=initiative, by=pm, status=DECLINED, decline_reason=reason)
    )
    assert error.field == "decline_reason"


def test_declining_keeps_the_reason_in_history(pm) -> None:
    initiative = initiative_in(PROPOSED)
    declined = move(initiative=initiative, by=pm, status=DECLINED, decline_reason="  Too niche.  ")
    assert declined.decline_reason == "Too niche."
    event = declined.events.get(kind=InitiativeEvent.Kind.STATUS)
    assert (event.to_value, event.note) == (DECLINED, "Too niche.")


def test_moving_to_the_same_status_or_an_unknown_one_is_refused(pm) -> None:
    initiative = initiative_in(PLANNED)
    assert (
        "already planned"
        in refused(
            lambda: move(initiative=initiative, by=pm, status=PLANNED), code="conflict"
        ).message
    )
    refused(lambda: move(initiative=initiative, by=pm, status="done"))


def test_a_move_from_a_stale_view_is_refused_as_a_conflict(pm) -> None:
    other_pm = User.objects.create(
        username="pm2", first_name="Grace", last_name="Hopper", role=pm.role
    )
    initiative = initiative_in(PROPOSED)
    seen = initiative.version
    move(initiative=initiative, by=other_pm, status=PLANNED, version=seen)

    error = refused(
        lambda: move(
            initiative=initiative, by=pm, status=DECLINED, version=seen, decline_reason="No."
        ),
        code="conflict",
    )
    assert "Grace Hopper" in error.message
    assert "planned" in error.message
    assert Initiative.objects.get(pk=initiative.pk).status == PLANNED


def test_editing_bumps_the_version_and_is_kept_in_history(pm) -> None:
    area = ProductAreaFactory.create(name="Billing", slug="billing")
    initiative = initiative_create(by=pm, title="CSV export")
    assert initiative.owner == pm
    edited = initiative_update(
        initiative=initiative,
        by=pm,
        title="CSV export of invoices",
        description="Finance wants spreadsheets.",
        product_area=area,
        owner=pm,
        effort="M",
    )
    assert edited.version == 2
    event = edited.events.get(kind=InitiativeEvent.Kind.EDITED)
    assert event.actor == pm
    assert event.note == "Changed title, problem statement, product area, effort"
    # A stale form cannot ship it past the edit.
    refused(
        lambda: move(initiative=edited, by=pm, status=PLANNED, version=1),
        code="conflict",
    )


def test_only_a_product_manager_owns_an_initiative(pm, submitter) -> None:
    error = refused(lambda: initiative_create(by=pm, title="CSV export", owner=submitter))
    assert error.field == "owner"


def test_an_initiative_needs_a_title(pm) -> None:
    assert refused(lambda: initiative_create(by=pm, title="  ")).field == "title"


# ---------------------------------------------------------------------------------------------
# Merging


def test_merging_into_itself_or_a_closed_initiative_is_refused(pm) -> None:
    initiative = initiative_in(PROPOSED)
    ticket_link(ticket=TicketFactory.create(), initiative=initiative, by=pm)
    refused(lambda: initiative_merge(initiative=initiative, into=initiative, by=pm))
    for status in (SHIPPED, DECLINED):
        closed = initiative_in(status)
        refused(partial(initiative_merge, initiative=initiative, into=closed, by=pm))
        refused(partial(initiative_merge, initiative=closed, into=initiative, by=pm))


# ---------------------------------------------------------------------------------------------
# Only product managers triage


def _triage_actions(actor: User) -> dict[str, Callable[[], object]]:
    initiative = initiative_in(PROPOSED)
    other = initiative_in(PLANNED)
    other_in_progress = initiative_in(IN_PROGRESS)
    linked_ticket = TicketFactory.create()
    Ticket.objects.filter(pk=linked_ticket.pk).update(
        status=TicketStatus.LINKED, initiative=initiative
    )
    linked_ticket.refresh_from_db()
    waiting = TicketFactory.create()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    return {
        "initiative_create": lambda: initiative_create(by=actor, title="Mine"),
        "initiative_update": lambda: initiative_update(
            initiative=initiative,
            by=actor,
            title="Renamed",
            description="",
            product_area=None,
            owner=None,
            effort="",
        ),
        "initiative_move": lambda: initiative_move(initiative=initiative, by=actor, status=PLANNED),
        "initiative_ship": lambda: initiative_ship(
            initiative=other_in_progress, by=actor, release_note="Live."
        ),
        "initiative_decline": lambda: initiative_decline(
            initiative=initiative, by=actor, reason="No."
        ),
        "initiative_merge": lambda: initiative_merge(initiative=initiative, into=other, by=actor),
        "initiative_move_undo": lambda: initiative_move_undo(
            initiative=other, by=actor, version=other.version
        ),
        "ticket_link": lambda: ticket_link(ticket=waiting, initiative=initiative, by=actor),
        "ticket_initiative_create": lambda: ticket_initiative_create(
            ticket=waiting, by=actor, title="New"
        ),
        "ticket_unlink": lambda: ticket_unlink(ticket=linked_ticket, by=actor),
        "ticket_mark_duplicate": lambda: ticket_mark_duplicate(
            ticket=waiting, of=linked_ticket, by=actor
        ),
        "ticket_decline": lambda: ticket_decline(ticket=waiting, by=actor, reason="No."),
        "ticket_snooze": lambda: ticket_snooze(ticket=waiting, by=actor, until=tomorrow),
    }


TRIAGE_ACTIONS = [
    "initiative_create",
    "initiative_update",
    "initiative_move",
    "initiative_ship",
    "initiative_decline",
    "initiative_merge",
    "initiative_move_undo",
    "ticket_link",
    "ticket_initiative_create",
    "ticket_unlink",
    "ticket_mark_duplicate",
    "ticket_decline",
    "ticket_snooze",
]


@pytest.mark.parametrize("action", TRIAGE_ACTIONS)
@pytest.mark.parametrize("role", ["submitter", "facilitator", "admin_user"])
def test_only_product_managers_triage(request, action, role) -> None:
    actor: User = request.getfixturevalue(role)
    error = refused(_triage_actions(actor)[action], code="forbidden")
    assert "product managers" in error.message


def test_the_action_list_covers_every_triage_service() -> None:
    import triage.services as services

    public = {
        name
        for name in dir(services)
        if (name.startswith(("initiative_", "ticket_")))
        and callable(getattr(services, name))
        and getattr(services, name).__module__ == services.__name__
    }
    # "Same ask — add my customer" is filing, which every member of staff may do; saying a
    # waiting ticket is the same ask as a match is its submitter's too (triage.policies).
    filing = {"initiative_customer_add", "initiative_ticket_add", "initiative_default_owner"}
    assert public - filing == set(TRIAGE_ACTIONS)


# ---------------------------------------------------------------------------------------------
# Inbox actions


def test_linking_marks_the_ticket_linked_and_records_the_history(pm, submitter) -> None:
    initiative = initiative_in(PROPOSED)
    ticket = new_ticket(submitter, title="Export invoices")
    ticket_link(ticket=ticket, initiative=initiative, by=pm)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.initiative_id) == (TicketStatus.LINKED, initiative.pk)
    event = initiative.events.get(kind=InitiativeEvent.Kind.TICKET_LINKED)
    assert event.actor == pm
    assert event.to_value == f"{ticket.customer.name}: Export invoices"


def test_linking_to_a_declined_initiative_is_refused_with_its_reason(pm) -> None:
    declined = initiative_in(DECLINED)
    ticket = TicketFactory.create()
    error = refused(lambda: ticket_link(ticket=ticket, initiative=declined, by=pm))
    assert error.field == "initiative"
    assert "Not now." in error.message


def test_linking_twice_to_the_same_initiative_is_refused(pm) -> None:
    initiative = initiative_in(PROPOSED)
    ticket = TicketFactory.create()
    ticket_link(ticket=ticket, initiative=initiative, by=pm)
    refused(lambda: ticket_link(ticket=ticket, initiative=initiative, by=pm), code="conflict")


def test_a_ticket_becomes_a_new_initiative(pm, submitter) -> None:
    ticket = new_ticket(submitter, importance=Importance.CRITICAL)
    initiative = ticket_initiative_create(ticket=ticket, by=pm, title="Audit log")
    assert initiative.status == PROPOSED
    assert initiative.owner == pm
    assert (float(initiative.priority_score), initiative.customer_count) == (3, 1)
    ticket.refresh_from_db()
    assert ticket.initiative_id == initiative.pk


def test_unlinking_puts_the_ticket_back_in_the_inbox(pm) -> None:
    initiative = initiative_in(PROPOSED)
    ticket = TicketFactory.create()
    ticket_link(ticket=ticket, initiative=initiative, by=pm)
    ticket_unlink(ticket=ticket, by=pm)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.initiative_id) == (TicketStatus.NEW, None)
    assert initiative.events.filter(kind=InitiativeEvent.Kind.TICKET_UNLINKED, actor=pm).exists()
    refused(lambda: ticket_unlink(ticket=ticket, by=pm), code="conflict")


@pytest.mark.parametrize("reason", ["", "   "])
def test_declining_a_ticket_needs_a_reason(pm, reason) -> None:
    ticket = TicketFactory.create()
    assert refused(lambda: ticket_decline(ticket=ticket, by=pm, reason=reason)).field == "reason"


def test_declining_a_ticket_twice_is_refused(pm) -> None:
    ticket = TicketFactory.create()
    ticket_decline(ticket=ticket, by=pm, reason="Out of scope.")
    refused(lambda: ticket_decline(ticket=ticket, by=pm, reason="Again."), code="conflict")


def test_a_ticket_cannot_duplicate_itself(pm) -> None:
    ticket = TicketFactory.create()
    assert refused(lambda: ticket_mark_duplicate(ticket=ticket, of=ticket, by=pm)).field == "of"


def test_a_ticket_cannot_duplicate_its_own_duplicate(pm) -> None:
    original = TicketFactory.create()
    duplicate = TicketFactory.create()
    ticket_mark_duplicate(ticket=duplicate, of=original, by=pm)
    duplicate.refresh_from_db()
    refused(lambda: ticket_mark_duplicate(ticket=original, of=duplicate, by=pm))


def test_a_duplicate_of_a_declined_ticket_is_refused(pm) -> None:
    declined = TicketFactory.create()
    ticket_decline(ticket=declined, by=pm, reason="No.")
    ticket = TicketFactory.create()
    refused(lambda: ticket_mark_duplicate(ticket=ticket, of=declined, by=pm))


# ---------------------------------------------------------------------------------------------
# Snoozing


def test_a_snoozed_ticket_comes_back_on_its_day(pm) -> None:
    ticket = TicketFactory.create()
    until = timezone.localdate() + datetime.timedelta(days=14)
    ticket_snooze(ticket=ticket, by=pm, until=until)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.snoozed_until) == (TicketStatus.SNOOZED, until)

    assert tickets_wake(today=until - datetime.timedelta(days=1)) == 0
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.SNOOZED

    assert tickets_wake(today=until) == 1
    ticket.refresh_from_db()
    assert (ticket.status, ticket.snoozed_until) == (TicketStatus.NEW, None)
    assert tickets_wake(today=until) == 0


def a_year_after(day: datetime.date) -> datetime.date:
    """The same date next year (28 February for 29 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


@pytest.mark.parametrize(
    "days_from_today", [0, -3, "a year and a day"], ids=["today", "past", "over a year"]
)
def test_a_snooze_day_must_be_after_today_and_within_a_year(pm, days_from_today) -> None:
    today = timezone.localdate()
    if days_from_today == "a year and a day":
        until = a_year_after(today) + datetime.timedelta(days=1)
    else:
        until = today + datetime.timedelta(days=int(days_from_today))
    ticket = TicketFactory.create()
    assert refused(lambda: ticket_snooze(ticket=ticket, by=pm, until=until)).field == "until"


def test_a_snooze_of_exactly_a_year_is_allowed(pm) -> None:
    until = a_year_after(timezone.localdate())
    ticket = TicketFactory.create()
    ticket_snooze(ticket=ticket, by=pm, until=until)
    assert Ticket.objects.get(pk=ticket.pk).snoozed_until == until


def test_only_waiting_tickets_are_snoozed(pm) -> None:
    ticket = TicketFactory.create()
    ticket_link(ticket=ticket, initiative=initiative_in(PROPOSED), by=pm)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    refused(lambda: ticket_snooze(ticket=ticket, by=pm, until=tomorrow), code="conflict")


# ---------------------------------------------------------------------------------------------
# The submitter is told


def test_the_submitter_is_told_when_their_ticket_is_linked(pm, submitter) -> None:
    initiative = initiative_in(PROPOSED, title="CSV export")
    ticket = new_ticket(submitter, title="Export invoices")
    ticket_link(ticket=ticket, initiative=initiative, by=pm)

    notice = Notice.objects.get()
    assert (notice.user, notice.kind) == (submitter, NotificationKind.STAFF_LINKED)
    assert "Export invoices" in notice.text
    assert "CSV export" in notice.text
    assert notice.url == reverse("intake:detail", args=[ticket.pk])
    email = Notification.objects.get()
    assert (email.recipient_user, email.recipient_email) == (submitter, submitter.email)


def test_the_submitter_is_told_why_their_ticket_was_declined(
    pm, submitter, django_capture_on_commit_callbacks
) -> None:
    ticket = new_ticket(submitter, title="Export invoices")
    reason = "Finance exports already cover this; show Acme the Reports page."
    with django_capture_on_commit_callbacks(execute=True):
        ticket_decline(ticket=ticket, by=pm, reason=reason)

    notice = Notice.objects.get()
    assert (notice.user, notice.kind) == (submitter, NotificationKind.STAFF_DECLINED)
    assert "declined" in notice.text
    notification = Notification.objects.get(kind=NotificationKind.STAFF_DECLINED)
    assert notification.recipient_email == submitter.email
    assert reason in notification.body_text
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [submitter.email]
    assert reason in str(mail.outbox[0].body)


def test_the_submitter_is_told_their_ticket_is_a_duplicate(pm, submitter) -> None:
    original = TicketFactory.create(title="CSV export")
    ticket = new_ticket(submitter, title="Spreadsheet export")
    ticket_mark_duplicate(ticket=ticket, of=original, by=pm)
    notice = Notice.objects.get()
    assert (notice.user, notice.kind) == (submitter, NotificationKind.STAFF_DUPLICATE)
    assert f"#{original.pk}" in notice.text


def test_a_pm_is_not_told_about_their_own_ticket(pm) -> None:
    initiative = initiative_in(PROPOSED)
    tickets = [TicketFactory.create(submitted_by=pm) for _ in range(3)]
    ticket_link(ticket=tickets[0], initiative=initiative, by=pm)
    ticket_mark_duplicate(ticket=tickets[1], of=tickets[0], by=pm)
    ticket_decline(ticket=tickets[2], by=pm, reason="No.")
    assert not Notice.objects.exists()
    assert not Notification.objects.exists()


def test_each_submitter_hears_about_their_own_ticket_only(pm, submitter, other_submitter) -> None:
    initiative = initiative_in(PROPOSED)
    ticket_link(ticket=new_ticket(submitter), initiative=initiative, by=pm)
    ticket_decline(ticket=new_ticket(other_submitter), by=pm, reason="Not a fit.")
    assert list(Notice.objects.filter(user=submitter).values_list("kind", flat=True)) == [
        NotificationKind.STAFF_LINKED
    ]
    assert list(Notice.objects.filter(user=other_submitter).values_list("kind", flat=True)) == [
        NotificationKind.STAFF_DECLINED
    ]


# ---------------------------------------------------------------------------------------------
# "Same ask — add my customer": filing straight onto an initiative


def test_filing_onto_an_initiative_links_scores_and_records_who_added_the_customer(
    submitter,
) -> None:
    initiative = initiative_in(PROPOSED, title="CSV export")
    ticket = initiative_customer_add(initiative=initiative, submitted_by=submitter, **FILED)

    initiative.refresh_from_db()
    assert ticket.status == TicketStatus.LINKED
    assert ticket.initiative_id == initiative.pk
    assert initiative.customer_count == 1
    assert initiative.priority_score == 3
    event = initiative.events.get(kind=InitiativeEvent.Kind.TICKET_LINKED)
    assert event.actor == submitter
    assert event.to_value == "Acme Corp: Export invoices as CSV"


def test_a_declined_initiative_takes_no_new_tickets(submitter) -> None:
    initiative = initiative_in(DECLINED)
    error = refused(
        lambda: initiative_customer_add(initiative=initiative, submitted_by=submitter, **FILED)
    )
    assert error.field == "initiative"
    assert Ticket.objects.count() == 0


# ---------------------------------------------------------------------------------------------
# Merges lock in one order


def test_merges_lock_both_initiatives_in_id_order_whichever_way_round(pm, monkeypatch) -> None:
    import triage.services as services

    first = initiative_in(PROPOSED)
    second = initiative_in(PLANNED)
    third = initiative_in(PROPOSED)
    locked: list[int] = []
    real = services._locked_id

    def spy(initiative_id: int) -> Initiative:
        locked.append(initiative_id)
        return real(initiative_id)

    monkeypatch.setattr(services, "_locked_id", spy)
    initiative_merge(initiative=second, into=first, by=pm)
    assert locked == [first.pk, second.pk]
    locked.clear()
    initiative_merge(initiative=first, into=third, by=pm)
    assert locked == [first.pk, third.pk]
