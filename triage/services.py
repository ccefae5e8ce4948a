"""Writes on initiatives and on the triage of tickets.

Every write that changes which tickets count for an initiative rescores it in the same
transaction; every change to an initiative is kept in its history (InitiativeEvent). A ticket
may join an open initiative, or one that shipped (its customer is then told at once, through
triage.shipping); never a declined one.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone

import audit
from accounts.models import Role, User
from audit.actions import Action
from audit.services import changes_between
from core.dates import month_start
from core.embeddings import item_embedding
from core.errors import DomainError
from core.events import EventType, announce
from core.text import TEXT_MAX, TITLE_MAX, line_clean, text_clean
from intake import lifecycle
from intake.models import ProductArea, Ticket, TicketStatus
from intake.services import ticket_create
from notifications.models import NotificationKind
from notifications.services import staff_notify
from triage.models import (
    Initiative,
    InitiativeEvent,
    InitiativeStatus,
    ScoreSnapshot,
    ScoringWeights,
    ThemeExclusion,
)
from triage.policies import Authority, ensure_may_change_triage, ensure_may_match
from triage.scoring import initiative_rescore, initiatives_rescore_all
from triage.shipping import initiative_shipped_notify, ticket_shipped_notify
from triage.themes import THEME_SIZE_MAX

REASON_MAX = 2_000

# The lifecycle, in order. A PM moves an open initiative to any other open status, or straight
# to shipped (with a release note) or declined (with a reason); moves a shipped one back to in
# progress (un-shipping it); and reopens a declined one (it goes back to proposed).
FLOW = [
    InitiativeStatus.PROPOSED,
    InitiativeStatus.PLANNED,
    InitiativeStatus.IN_PROGRESS,
    InitiativeStatus.SHIPPED,
]


def allowed_moves(status: str) -> list[InitiativeStatus]:
    """The statuses an initiative in `status` may move to, in the lifecycle's order."""
    if status == InitiativeStatus.DECLINED:
        return [InitiativeStatus.PROPOSED]
    if status == InitiativeStatus.SHIPPED:
        return [InitiativeStatus.IN_PROGRESS]
    return [target for target in InitiativeStatus if target != status]


def initiative_default_owner(*, by: User, product_area: ProductArea | None = None) -> User | None:
    """Who owns a new initiative when nobody is named: its creator, when a product manager;
    otherwise (a rep's "same ask", a review's facilitator) the product manager who owns the most
    open initiatives in its product area (or anywhere, without one); nobody when there is none."""
    if by.effective_role == Role.PRODUCT_MANAGER:
        return by
    owned = Q(owned_initiatives__status__in=InitiativeStatus.open())
    if product_area is not None:
        owned &= Q(owned_initiatives__product_area=product_area)
    return (
        User.objects.filter(role=Role.PRODUCT_MANAGER, is_active=True, is_superuser=False)
        .annotate(owned=Count("owned_initiatives", filter=owned))
        .order_by("-owned", "pk")
        .first()
    )


def _owner_clean(owner: User | None) -> User | None:
    if owner is not None and owner.effective_role != Role.PRODUCT_MANAGER:
        raise DomainError(f"{owner.display_name} is not a product manager.", field="owner")
    return owner


def _event(
    initiative: Initiative,
    by: User | None,
    kind: InitiativeEvent.Kind,
    *,
    from_value: str = "",
    to_value: str = "",
    note: str = "",
) -> InitiativeEvent:
    return InitiativeEvent.objects.create(
        initiative=initiative,
        actor=by,
        kind=kind,
        from_value=from_value[:200],
        to_value=to_value[:200],
        note=note,
    )


def _ticket_left(initiative_id: int | None, ticket: Ticket, by: User, why: str) -> None:
    """Note on the initiative a ticket leaves (moved, declined, duplicate elsewhere) why it went."""
    if initiative_id:
        _event(
            Initiative.objects.get(pk=initiative_id),
            by,
            InitiativeEvent.Kind.TICKET_UNLINKED,
            from_value=f"{ticket.customer.name}: {ticket.title}",
            note=why,
        )


def _rescore(*initiative_ids: int | None) -> None:
    for initiative_id in sorted({i for i in initiative_ids if i}):
        initiative_rescore(initiative=Initiative.objects.get(pk=initiative_id))


def _ticket_url(ticket: Ticket) -> str:
    return reverse("intake:detail", args=[ticket.pk])


def _tell_submitter(
    ticket: Ticket, by: User, kind: NotificationKind, text: str, key: str, details: str = ""
) -> None:
    if ticket.submitted_by_id == by.pk:
        return
    staff_notify(
        user=ticket.submitted_by,
        kind=kind,
        text=text,
        details=details,
        url=_ticket_url(ticket),
        idempotency_key=key,
    )


# ---------------------------------------------------------------------------------------------
# Initiatives


@transaction.atomic
def initiative_create(
    *,
    by: User,
    title: str,
    description: str = "",
    product_area: ProductArea | None = None,
    owner: User | None = None,
    effort: str = "",
    authority: Authority | None = None,
) -> Initiative:
    """A new proposed initiative, owned by the PM named, else by `initiative_default_owner`."""
    ensure_may_change_triage(by, authority=authority)
    return _initiative_new(
        by=by,
        title=title,
        description=description,
        product_area=product_area,
        owner=owner,
        effort=effort,
    )


def _initiative_new(
    *,
    by: User,
    title: str,
    description: str = "",
    product_area: ProductArea | None = None,
    owner: User | None = None,
    effort: str = "",
    note: str = "",
) -> Initiative:
    """Create a proposed initiative and its first history entry; the caller checked who may."""
    title = line_clean(title, field="title", label="A title", limit=TITLE_MAX, required=True)
    description = text_clean(
        description,
        field="description",
        label="The problem statement",
        limit=TEXT_MAX,
        required=False,
    )
    initiative = Initiative.objects.create(
        title=title,
        description=description,
        embedding=item_embedding(title, description),
        product_area=product_area,
        owner=_owner_clean(owner)
        if owner
        else initiative_default_owner(by=by, product_area=product_area),
        effort=line_clean(effort, field="effort", label="The effort", limit=40, required=False),
    )
    _event(initiative, by, InitiativeEvent.Kind.CREATED, to_value=initiative.title, note=note)
    announce(EventType.INITIATIVE_CREATED, initiative)
    return initiative


@transaction.atomic
def initiative_update(
    *,
    initiative: Initiative,
    by: User,
    title: str,
    description: str,
    product_area: ProductArea | None,
    owner: User | None,
    effort: str,
    version: int | None = None,
) -> Initiative:
    """Edit what an initiative is about; the history names the fields that changed. With
    `version`, an edit based on a stale view is refused instead of overwriting another's."""
    ensure_may_change_triage(by)
    if version is not None:
        initiative = _locked(initiative, version)
    values: dict[str, Any] = {
        "title": line_clean(title, field="title", label="A title", limit=TITLE_MAX, required=True),
        "description": text_clean(
            description,
            field="description",
            label="The problem statement",
            limit=TEXT_MAX,
            required=False,
        ),
        "product_area": product_area,
        # Only a newly named owner must be a PM; one whose role changed since stays until replaced.
        "owner": owner if owner == initiative.owner else _owner_clean(owner),
        "effort": line_clean(effort, field="effort", label="The effort", limit=40, required=False),
    }
    changed = [name for name, value in values.items() if getattr(initiative, name) != value]
    if not changed:
        return initiative
    for name, value in values.items():
        setattr(initiative, name, value)
    fields = [*values, "version", "updated_at"]
    if "title" in changed or "description" in changed:
        initiative.embedding = item_embedding(initiative.title, initiative.description)
        fields.append("embedding")
    initiative.version = F("version") + 1
    initiative.save(update_fields=fields)
    initiative.refresh_from_db(fields=["version"])
    labels = {"description": "problem statement"}
    _event(
        initiative,
        by,
        InitiativeEvent.Kind.EDITED,
        note="Changed " + ", ".join(labels.get(name, name.replace("_", " ")) for name in changed),
    )
    return initiative


def _locked_id(initiative_id: int) -> Initiative:
    return Initiative.objects.select_for_update().get(pk=initiative_id)


def _locked(initiative: Initiative, version: int | None) -> Initiative:
    """The initiative's row, locked; refuses when someone changed it since `version` was read."""
    current = _locked_id(initiative.pk)
    if version is not None and current.version != version:
        last = current.events.select_related("actor").first()
        who = last.actor.display_name if last and last.actor else "Someone"
        raise DomainError(
            f"{who} changed “{current.title}” while you were looking: it is now "
            f"{current.get_status_display().lower()}. Nothing was changed; try again from "
            "where it is now.",
            field="status",
            code="conflict",
        )
    return current


def _status_clean(current: Initiative, target: InitiativeStatus) -> None:
    """Refuse a move to where it already is, or one its lifecycle does not allow from there."""
    if target == current.status:
        raise DomainError(
            f"“{current.title}” is already {current.get_status_display().lower()}.",
            field="status",
            code="conflict",
        )
    allowed = allowed_moves(current.status)
    if target not in allowed:
        names = " or ".join(s.label.lower() for s in allowed)
        raise DomainError(
            f"“{current.title}” is {current.get_status_display().lower()}; it can move to "
            f"{names}, not straight to {target.label.lower()}.",
            field="status",
        )


def _status_set(
    current: Initiative, by: User, target: InitiativeStatus, fields: list[str], note: str = ""
) -> Initiative:
    previous = current.status
    current.status = target
    current.version += 1
    current.save(update_fields=["status", "version", "updated_at", *fields])
    _event(
        current, by, InitiativeEvent.Kind.STATUS, from_value=previous, to_value=target, note=note
    )
    announce(EventType.INITIATIVE_STATUS_CHANGED, current, previous_status=previous)
    if target == InitiativeStatus.SHIPPED:
        announce(EventType.INITIATIVE_SHIPPED, current)
    return current


@transaction.atomic
def initiative_move(
    *,
    initiative: Initiative,
    by: User,
    status: str,
    version: int | None = None,
    authority: Authority | None = None,
) -> Initiative:
    """Move an initiative one step along proposed → planned → in progress (or back), or reopen
    a declined one. Shipping and declining are `initiative_ship` and `initiative_decline`.
    With `version`, a move based on a stale view is refused instead of overwriting another's."""
    ensure_may_change_triage(by, authority=authority)
    if status not in InitiativeStatus.values:
        raise DomainError(
            f"“{status}” is not a status; use one of {', '.join(InitiativeStatus.values)}.",
            field="status",
        )
    target = InitiativeStatus(status)
    if target == InitiativeStatus.SHIPPED:
        raise DomainError("Shipping needs a release note: use the ship form.", field="status")
    if target == InitiativeStatus.DECLINED:
        raise DomainError("Declining needs a reason: use the decline form.", field="status")
    current = _locked(initiative, version)
    _status_clean(current, target)
    return _status_set(current, by, target, [])


@transaction.atomic
def initiative_ship(
    *, initiative: Initiative, by: User, release_note: str, version: int | None = None
) -> Initiative:
    """Ship an initiative with its release note; every customer who asked is emailed once
    (the outbox rows are written in this transaction)."""
    ensure_may_change_triage(by)
    current = _locked(initiative, version)
    _status_clean(current, InitiativeStatus.SHIPPED)
    current.release_note = text_clean(
        release_note, field="release_note", label="A release note", limit=TEXT_MAX, required=True
    )
    current.shipped_at = timezone.now()
    _status_set(current, by, InitiativeStatus.SHIPPED, ["release_note", "shipped_at"])
    # In this transaction: the ship and its outbox rows commit together or not at all.
    initiative_shipped_notify(initiative=current)
    return current


@transaction.atomic
def initiative_decline(
    *,
    initiative: Initiative,
    by: User,
    reason: str,
    version: int | None = None,
    authority: Authority | None = None,
) -> Initiative:
    """Decline an initiative that has not shipped, with the reason kept in its history."""
    ensure_may_change_triage(by, authority=authority)
    current = _locked(initiative, version)
    _status_clean(current, InitiativeStatus.DECLINED)
    current.decline_reason = text_clean(
        reason,
        field="decline_reason",
        label="A reason for declining",
        limit=REASON_MAX,
        required=True,
    )
    return _status_set(
        current, by, InitiativeStatus.DECLINED, ["decline_reason"], note=current.decline_reason
    )


@transaction.atomic
def initiative_move_undo(*, initiative: Initiative, by: User, version: int) -> Initiative:
    """Take back an initiative's last move (the board's "Undo"), as long as nobody changed it
    since `version`: it goes back to where it was, whatever the lifecycle allows from here. A
    ship is not taken back this way: its emails are on their way (moving it back un-ships it)."""
    ensure_may_change_triage(by)
    current = _locked(initiative, version)
    last = current.events.filter(kind=InitiativeEvent.Kind.STATUS).first()
    if last is None or last.to_value != current.status:
        raise DomainError(
            f"“{current.title}” has no move to undo.", field="status", code="conflict"
        )
    if current.status == InitiativeStatus.SHIPPED:
        raise DomainError(
            f"“{current.title}” shipped and its customers are being emailed, so it is not "
            "undone; move it back to in progress to un-ship it.",
            field="status",
        )
    previous = InitiativeStatus(last.from_value)
    fields = []
    if current.status == InitiativeStatus.DECLINED:
        current.decline_reason = ""
        fields.append("decline_reason")
    _status_set(current, by, previous, fields, note="undone")
    if previous == InitiativeStatus.SHIPPED:
        # Shipped again, as before the un-ship: anyone who asked since is told (once).
        initiative_shipped_notify(initiative=current)
    return current


@transaction.atomic
def initiative_merge(*, initiative: Initiative, into: Initiative, by: User) -> Initiative:
    """Move every ticket of `initiative` onto `into` and close it as merged; both are rescored."""
    ensure_may_change_triage(by)
    if initiative.pk == into.pk:
        raise DomainError("Pick another initiative to merge into.", field="into")
    # Lock both rows in one order (by id), so two merges of the same pair, either way round,
    # wait for each other instead of deadlocking.
    locked = {pk: _locked_id(pk) for pk in sorted((initiative.pk, into.pk))}
    source, target = locked[initiative.pk], locked[into.pk]
    if source.status in InitiativeStatus.closed():
        raise DomainError(
            f"“{source.title}” is {source.get_status_display().lower()}; only open initiatives "
            "are merged.",
            field="into",
        )
    if target.status in InitiativeStatus.closed():
        raise DomainError(
            f"“{target.title}” is {target.get_status_display().lower()}; merge into an open "
            "initiative.",
            field="into",
        )
    moved = Ticket.objects.filter(initiative=source).update(
        initiative=target, updated_at=timezone.now()
    )
    previous = source.status
    source.status = InitiativeStatus.DECLINED
    source.decline_reason = f"Merged into “{target.title}”."
    source.merged_into = target
    source.version += 1
    source.save(update_fields=["status", "decline_reason", "merged_into", "version", "updated_at"])
    note = f"{moved} ticket{'s' if moved != 1 else ''} moved"
    _event(
        source,
        by,
        InitiativeEvent.Kind.MERGED,
        from_value=previous,
        to_value=target.title,
        note=note,
    )
    _event(target, by, InitiativeEvent.Kind.MERGED, from_value=source.title, note=note)
    _rescore(source.pk, target.pk)
    announce(EventType.INITIATIVE_STATUS_CHANGED, source, previous_status=previous)
    target.refresh_from_db()
    return target


def scores_snapshot(*, today: datetime.date | None = None) -> int:
    """Keep every initiative's score as of the start of this month (once; safe to rerun)."""
    month = month_start(today or timezone.localdate())
    # bulk_create returns every row given, written or not, so count only the missing ones;
    # ignore_conflicts still covers two runs racing.
    rows = [
        ScoreSnapshot(initiative_id=pk, month=month, priority_score=score, customer_count=customers)
        for pk, score, customers in Initiative.objects.exclude(snapshots__month=month).values_list(
            "pk", "priority_score", "customer_count"
        )
    ]
    ScoreSnapshot.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return len(rows)


# ---------------------------------------------------------------------------------------------
# Tickets in the inbox


def _onto(ticket: Ticket, initiative: Initiative) -> int | None:
    """Count a ticket for an open or shipped initiative and rescore both ends; returns the one
    it left. Onto a shipped one, the ticket's contact is emailed that it shipped, at once and
    once (triage.shipping: the same key the ship used)."""
    if initiative.status == InitiativeStatus.DECLINED:
        reason = f" ({initiative.decline_reason})" if initiative.decline_reason else ""
        raise DomainError(
            f"“{initiative.title}” was declined{reason}; tell the customer why, or file the "
            "ticket on its own.",
            field="initiative",
        )
    previous_id = lifecycle.ticket_to_initiative(ticket=ticket, initiative_id=initiative.pk)
    _rescore(initiative.pk, previous_id)
    if initiative.status == InitiativeStatus.SHIPPED:
        ticket_shipped_notify(initiative=initiative, ticket=ticket)
    return previous_id


def _shipped_note(initiative: Initiative) -> str:
    if initiative.status != InitiativeStatus.SHIPPED:
        return ""
    return "; it had already shipped, so the customer was told at once"


@transaction.atomic
def initiative_customer_add(*, initiative: Initiative, submitted_by: User, **fields: Any) -> Ticket:
    """“Same ask — add my customer”: file a ticket straight onto an open initiative, or onto a
    shipped one (its customer is emailed that it shipped, once). The initiative's history
    records who added which customer; `fields` are `ticket_create`'s."""
    ticket = ticket_create(submitted_by=submitted_by, **fields)
    _onto(ticket, initiative)
    _event(
        initiative,
        submitted_by,
        InitiativeEvent.Kind.TICKET_LINKED,
        to_value=f"{ticket.customer.name}: {ticket.title}",
        note="filed onto it by the submitter" + _shipped_note(initiative),
    )
    return ticket


def _waiting_clean(ticket: Ticket, field: str) -> None:
    if not ticket.is_untriaged:
        raise DomainError(
            f"#{ticket.pk} “{ticket.title}” is already {ticket.get_status_display().lower()}; "
            "only a ticket still waiting in the inbox is matched this way.",
            field=field,
            code="conflict",
        )


@transaction.atomic
def initiative_ticket_add(
    *, initiative: Initiative, ticket: Ticket, by: User, authority: Authority | None = None
) -> Ticket:
    """A waiting ticket is the same ask as an open or shipped initiative: it counts for it (a
    shipped one tells its customer at once). Its submitter may say so, or a product manager."""
    ensure_may_match(by, ticket, authority=authority)
    _waiting_clean(ticket, "ticket")
    _onto(ticket, initiative)
    _event(
        initiative,
        by,
        InitiativeEvent.Kind.TICKET_LINKED,
        to_value=f"{ticket.customer.name}: {ticket.title}",
        note="called the same ask from the ticket" + _shipped_note(initiative),
    )
    _tell_submitter(
        ticket,
        by,
        NotificationKind.STAFF_LINKED,
        f"Your ticket “{ticket.title}” for {ticket.customer.name} now counts for "
        f"“{initiative.title}”",
        f"same-ask-onto:{ticket.pk}:{initiative.pk}:{timezone.now().timestamp()}",
    )
    return ticket


@transaction.atomic
def tickets_same_ask(
    *,
    waiting: Ticket,
    by: User,
    ticket: Ticket | None = None,
    authority: Authority | None = None,
    **fields: Any,
) -> Ticket:
    """“Same ask” on a waiting ticket: a proposed initiative is made from it (its title, problem
    and product area) and both tickets count for it; its owner (initiative_default_owner) and the
    waiting ticket's submitter are told, and a product manager undoes it by unlinking or declining.
    Without `ticket`, the new ticket is filed from `fields` (ticket_create's) in this transaction.
    Returns the other ticket, now on the new initiative."""
    if ticket is None:
        ticket = ticket_create(submitted_by=by, **fields)
    ensure_may_match(by, ticket, authority=authority)
    if waiting.pk == ticket.pk:
        raise DomainError(
            "Pick another ticket: this one is the same ask as itself.", field="same_as"
        )
    # Lock both in id order, so two people matching the same pair wait for each other.
    locked = {
        row.pk: row
        for row in Ticket.objects.select_related(
            "customer", "contact", "submitted_by", "product_area"
        )
        .select_for_update(of=("self",))
        .filter(pk__in=[waiting.pk, ticket.pk])
        .order_by("pk")
    }
    waiting, ticket = locked[waiting.pk], locked[ticket.pk]
    _waiting_clean(waiting, "same_as")
    _waiting_clean(ticket, "ticket")
    initiative = _initiative_new(
        by=by,
        title=waiting.title,
        description=waiting.description,
        product_area=waiting.product_area or ticket.product_area,
        note=f"#{waiting.pk} and #{ticket.pk} called the same ask by {by.display_name}",
    )
    for joined, other in ((waiting, ticket), (ticket, waiting)):
        _onto(joined, initiative)
        _event(
            initiative,
            by,
            InitiativeEvent.Kind.TICKET_LINKED,
            to_value=f"{joined.customer.name}: {joined.title}",
            note=f"the same ask as #{other.pk}",
        )
    url = reverse("triage:initiative", args=[initiative.pk])
    owner = initiative.owner
    if owner is not None and owner.pk != by.pk:
        staff_notify(
            user=owner,
            kind=NotificationKind.STAFF_SAME_ASK,
            text=f"{by.display_name} called two tickets the same ask: “{initiative.title}” is "
            f"proposed, with {waiting.customer.name} and {ticket.customer.name}",
            details="If they are not the same ask, unlink a ticket (it goes back to the inbox) "
            "or decline the initiative.",
            url=url,
            idempotency_key=f"same-ask:{initiative.pk}",
        )
    for joined in (waiting, ticket):
        if joined.submitted_by_id != (owner.pk if owner else None):
            _tell_submitter(
                joined,
                by,
                NotificationKind.STAFF_LINKED,
                f"Your ticket “{joined.title}” for {joined.customer.name} was called the same "
                f"ask as another: both count for “{initiative.title}”",
                f"same-ask:{initiative.pk}:{joined.pk}",
            )
    ticket.initiative = initiative
    return ticket


@transaction.atomic
def ticket_link(
    *, ticket: Ticket, initiative: Initiative, by: User, authority: Authority | None = None
) -> Ticket:
    """Link a ticket to an initiative (or move it to another one); the submitter is told. Onto
    a shipped initiative, the ticket's customer is told at once that it shipped."""
    _ticket_link(ticket, initiative, by, authority)
    announce(EventType.TICKET_TRIAGED, ticket, action="linked")
    return ticket


def _ticket_link(
    ticket: Ticket, initiative: Initiative, by: User, authority: Authority | None
) -> Ticket:
    ensure_may_change_triage(by, authority=authority)
    if ticket.initiative_id == initiative.pk and ticket.status == TicketStatus.LINKED:
        raise DomainError(
            f"“{ticket.title}” is already linked to “{initiative.title}”.",
            field="initiative",
            code="conflict",
        )
    previous_id = _onto(ticket, initiative)
    if previous_id != initiative.pk:
        _ticket_left(previous_id, ticket, by, f"moved to “{initiative.title}”")
    event = _event(
        initiative,
        by,
        InitiativeEvent.Kind.TICKET_LINKED,
        to_value=f"{ticket.customer.name}: {ticket.title}",
        note=_shipped_note(initiative).removeprefix("; "),
    )
    shipped = (
        f", which shipped: {ticket.customer.name} is being told"
        if initiative.status == InitiativeStatus.SHIPPED
        else ""
    )
    _tell_submitter(
        ticket,
        by,
        NotificationKind.STAFF_LINKED,
        f"Your ticket “{ticket.title}” for {ticket.customer.name} now counts for "
        f"“{initiative.title}”{shipped}",
        f"linked:{event.pk}",
    )
    return ticket


@transaction.atomic
def ticket_initiative_create(
    *,
    ticket: Ticket,
    by: User,
    title: str,
    description: str = "",
    product_area: ProductArea | None = None,
    authority: Authority | None = None,
) -> Initiative:
    """Turn a ticket into a new initiative it is linked to."""
    initiative = initiative_create(
        by=by,
        title=title,
        description=description,
        product_area=product_area,
        authority=authority,
    )
    _ticket_link(ticket, initiative, by, authority)
    announce(EventType.TICKET_TRIAGED, ticket, action="new_initiative")
    initiative.refresh_from_db()
    return initiative


@transaction.atomic
def ticket_unlink(*, ticket: Ticket, by: User) -> Ticket:
    """Take a ticket off its initiative: back to the inbox, and the initiative is rescored."""
    ensure_may_change_triage(by)
    initiative = ticket.initiative
    lifecycle.ticket_to_inbox(ticket=ticket)
    assert initiative is not None  # ticket_to_inbox refuses a ticket that is not linked
    _event(
        initiative,
        by,
        InitiativeEvent.Kind.TICKET_UNLINKED,
        from_value=f"{ticket.customer.name}: {ticket.title}",
    )
    _rescore(initiative.pk)
    return ticket


@transaction.atomic
def ticket_mark_duplicate(*, ticket: Ticket, of: Ticket, by: User) -> Ticket:
    """Mark a ticket a duplicate of another: its customer then counts wherever that one goes."""
    ensure_may_change_triage(by)
    original = of.duplicate_of if of.status == TicketStatus.DUPLICATE and of.duplicate_of else of
    if original.pk == ticket.pk:
        raise DomainError("A ticket cannot duplicate itself; pick another ticket.", field="of")
    if original.status == TicketStatus.DECLINED:
        raise DomainError(
            f"#{original.pk} “{original.title}” was declined; decline this one instead.",
            field="of",
        )
    closed = original.initiative
    if closed is not None and closed.status in InitiativeStatus.closed():
        raise DomainError(
            f"#{original.pk} is on “{closed.title}”, which is "
            f"{closed.get_status_display().lower()}; decline this one with a note, or link it "
            "to an open initiative.",
            field="of",
        )
    if ticket.status == TicketStatus.DUPLICATE and ticket.duplicate_of_id == original.pk:
        raise DomainError(
            f"“{ticket.title}” is already a duplicate of #{original.pk}.",
            field="of",
            code="conflict",
        )
    previous_id = lifecycle.ticket_to_duplicate(ticket=ticket, original=original)
    if previous_id != original.initiative_id:
        _ticket_left(previous_id, ticket, by, f"duplicate of #{original.pk}")
    _rescore(previous_id, original.initiative_id)
    where = f" (on “{original.initiative.title}”)" if original.initiative else ""
    _tell_submitter(
        ticket,
        by,
        NotificationKind.STAFF_DUPLICATE,
        f"Your ticket “{ticket.title}” for {ticket.customer.name} was marked a duplicate of "
        f"#{original.pk} “{original.title}”{where}",
        f"duplicate:{ticket.pk}:{original.pk}:{timezone.now().timestamp()}",
    )
    announce(EventType.TICKET_TRIAGED, ticket, action="duplicate")
    return ticket


@transaction.atomic
def ticket_decline(
    *, ticket: Ticket, by: User, reason: str, authority: Authority | None = None
) -> Ticket:
    """Decline a ticket with a reason the submitter is told, so they can tell the customer."""
    ensure_may_change_triage(by, authority=authority)
    reason = text_clean(
        reason, field="reason", label="A reason for declining", limit=REASON_MAX, required=True
    )
    previous_id = lifecycle.ticket_to_declined(ticket=ticket, reason=reason)
    _ticket_left(previous_id, ticket, by, "declined")
    _rescore(previous_id)
    _tell_submitter(
        ticket,
        by,
        NotificationKind.STAFF_DECLINED,
        f"Your ticket “{ticket.title}” for {ticket.customer.name} was declined",
        f"declined:{ticket.pk}:{timezone.now().timestamp()}",
        details=reason,
    )
    announce(EventType.TICKET_TRIAGED, ticket, action="declined")
    return ticket


def snooze_latest(today: datetime.date) -> datetime.date:
    """The latest day a ticket may be snoozed until: the same date next year (28 February when
    today is 29 February)."""
    try:
        return today.replace(year=today.year + 1)
    except ValueError:
        return today.replace(year=today.year + 1, day=28)


@transaction.atomic
def ticket_snooze(*, ticket: Ticket, by: User, until: datetime.date) -> Ticket:
    """Put a waiting ticket aside until a date; it comes back to the inbox by itself."""
    ensure_may_change_triage(by)
    today = timezone.localdate()
    if until <= today:
        raise DomainError("Pick a day after today to bring the ticket back.", field="until")
    if until > snooze_latest(today):
        raise DomainError("Snooze for at most a year.", field="until")
    lifecycle.ticket_to_snoozed(ticket=ticket, until=until)
    announce(EventType.TICKET_TRIAGED, ticket, action="snoozed")
    return ticket


# ---------------------------------------------------------------------------------------------
# Several waiting tickets at once, and taking back the last inbox action

BULK_MAX = 100


def _bulk_locked(tickets: Sequence[Ticket]) -> list[Ticket]:
    """The tickets picked in the inbox, locked in id order; refused unless each still waits."""
    ids = sorted({ticket.pk for ticket in tickets})
    if not ids:
        raise DomainError("Tick the tickets to act on first.", field="tickets")
    if len(ids) > BULK_MAX:
        raise DomainError(f"Pick at most {BULK_MAX} tickets at once.", field="tickets")
    locked = list(
        Ticket.objects.select_related("customer", "submitted_by", "contact", "product_area")
        .select_for_update(of=("self",))
        .filter(pk__in=ids)
        .order_by("pk")
    )
    if len(locked) != len(ids):
        raise DomainError("A ticket picked no longer exists; reload the inbox.", code="conflict")
    for ticket in locked:
        _waiting_clean(ticket, "tickets")
    return locked


@transaction.atomic
def tickets_bulk_link(
    *, tickets: Sequence[Ticket], initiative: Initiative, by: User
) -> list[Ticket]:
    """Link several waiting tickets to one initiative, each as `ticket_link` does (history,
    score, submitter told); all or none."""
    ensure_may_change_triage(by)
    return [ticket_link(ticket=t, initiative=initiative, by=by) for t in _bulk_locked(tickets)]


@transaction.atomic
def tickets_bulk_decline(*, tickets: Sequence[Ticket], reason: str, by: User) -> list[Ticket]:
    """Decline several waiting tickets with one reason, each as `ticket_decline` does; all or
    none."""
    ensure_may_change_triage(by)
    return [ticket_decline(ticket=t, by=by, reason=reason) for t in _bulk_locked(tickets)]


@transaction.atomic
def tickets_bulk_snooze(
    *, tickets: Sequence[Ticket], until: datetime.date, by: User
) -> list[Ticket]:
    """Snooze several waiting tickets until one day, each as `ticket_snooze` does; all or none."""
    ensure_may_change_triage(by)
    return [ticket_snooze(ticket=t, by=by, until=until) for t in _bulk_locked(tickets)]


@dataclass(frozen=True)
class TicketBefore:
    """Where one ticket was in the inbox before an action, and how the action left it."""

    ticket_id: int
    status: str
    snoozed_until: str  # ISO date, or ""
    followers: tuple[int, ...]
    after_status: str = ""
    after_changed: str = ""  # its updated_at after the action, ISO


@dataclass(frozen=True)
class InboxUndo:
    """The last inbox action (link, decline, snooze, duplicate, or one of them in bulk), as
    much as it takes to put its tickets back: kept in the product manager's session."""

    done: str
    tickets: tuple[TicketBefore, ...]

    def as_data(self) -> dict[str, Any]:
        return {"done": self.done, "tickets": [list(asdict(t).values()) for t in self.tickets]}

    @classmethod
    def from_data(cls, data: Any) -> InboxUndo | None:
        """The undo kept in a session, or None when there is none (or it is not one)."""
        try:
            tickets = tuple(
                TicketBefore(int(i), str(st), str(su), tuple(int(f) for f in fo), str(a), str(c))
                for i, st, su, fo, a, c in data["tickets"]
            )
            return cls(done=str(data["done"]), tickets=tickets)
        except (KeyError, TypeError, ValueError):
            return None


def inbox_undo_before(*, tickets: Sequence[Ticket]) -> list[TicketBefore]:
    """Where these tickets are in the inbox, read before an action that may be taken back
    (one query, for the tickets that duplicate them); empty when one is not in the inbox."""
    if any(not ticket.is_untriaged for ticket in tickets):
        return []
    followers: dict[int, list[int]] = {}
    for pk, original in Ticket.objects.filter(duplicate_of__in=tickets).values_list(
        "pk", "duplicate_of_id"
    ):
        followers.setdefault(original, []).append(pk)
    return [
        TicketBefore(
            ticket_id=t.pk,
            status=t.status,
            snoozed_until=t.snoozed_until.isoformat() if t.snoozed_until else "",
            followers=tuple(followers.get(t.pk, [])),
        )
        for t in tickets
    ]


def inbox_undo_after(*, before: Sequence[TicketBefore], done: str) -> InboxUndo | None:
    """The undo of an action just done, with how it left each ticket (one query)."""
    if not before:
        return None
    after = {
        pk: (status, changed)
        for pk, status, changed in Ticket.objects.filter(
            pk__in=[t.ticket_id for t in before]
        ).values_list("pk", "status", "updated_at")
    }
    return InboxUndo(
        done=done,
        tickets=tuple(
            replace(
                t,
                after_status=after[t.ticket_id][0],
                after_changed=after[t.ticket_id][1].isoformat(),
            )
            for t in before
        ),
    )


@transaction.atomic
def inbox_undo(*, undo: InboxUndo, by: User) -> list[Ticket]:
    """Take back the last inbox action: each ticket returns to where it waited (through
    intake.lifecycle), its initiative is rescored and keeps the change in its history; refused,
    with nothing changed, when any ticket was changed since."""
    ensure_may_change_triage(by)
    befores = {t.ticket_id: t for t in undo.tickets}
    locked = list(
        Ticket.objects.select_related("customer")
        .select_for_update(of=("self",))
        .filter(pk__in=befores)
        .order_by("pk")
    )
    if len(locked) != len(befores):
        raise DomainError("A ticket of that action no longer exists; nothing was undone.")
    for ticket in locked:
        before = befores[ticket.pk]
        if ticket.status != before.after_status or (
            ticket.updated_at.isoformat() != before.after_changed
        ):
            raise DomainError(
                f"#{ticket.pk} “{ticket.title}” changed since (it is "
                f"{ticket.get_status_display().lower()}); nothing was undone.",
                code="conflict",
            )
    left: list[int | None] = []
    for ticket in locked:
        before = befores[ticket.pk]
        until = datetime.date.fromisoformat(before.snoozed_until) if before.snoozed_until else None
        previous_id = lifecycle.ticket_to_inbox_again(
            ticket=ticket,
            status=TicketStatus(before.status),
            snoozed_until=until,
            followers=before.followers,
        )
        _ticket_left(previous_id, ticket, by, "undone: back in the inbox")
        left.append(previous_id)
    _rescore(*left)
    return locked


# ---------------------------------------------------------------------------------------------
# Themes in the inbox (triage.themes finds them)


def _theme_tickets_locked(tickets: Sequence[Ticket]) -> list[Ticket]:
    """The theme's tickets, locked in id order; refused unless every one still waits."""
    ids = sorted({ticket.pk for ticket in tickets})
    if len(ids) < 2:
        raise DomainError("A theme needs at least two waiting tickets.", field="tickets")
    if len(ids) > THEME_SIZE_MAX:
        raise DomainError(f"A theme holds at most {THEME_SIZE_MAX} tickets.", field="tickets")
    locked = list(
        Ticket.objects.select_related("customer", "submitted_by", "product_area")
        .select_for_update(of=("self",))
        .filter(pk__in=ids)
        .order_by("pk")
    )
    if len(locked) != len(ids):
        raise DomainError("A ticket of this theme no longer exists; reload the inbox.")
    for ticket in locked:
        _waiting_clean(ticket, "tickets")
    return locked


@transaction.atomic
def theme_merge(
    *,
    tickets: Sequence[Ticket],
    by: User,
    title: str = "",
    initiative: Initiative | None = None,
) -> Initiative:
    """One action on a theme of waiting tickets: link them all to the open `initiative`, or make
    them one new proposed initiative titled `title` (the problem statement and product area of
    the ticket it is named after). Each link is `ticket_link`'s: history, score, submitter told."""
    ensure_may_change_triage(by)
    locked = _theme_tickets_locked(tickets)
    if initiative is None:
        title = line_clean(title, field="title", label="A title", limit=TITLE_MAX, required=True)
        lead = next((t for t in locked if t.title == title), locked[0])
        areas = Counter(t.product_area_id for t in locked if t.product_area_id)
        area = next(
            (
                t.product_area
                for t in locked
                if areas and t.product_area_id == areas.most_common(1)[0][0]
            ),
            None,
        )
        initiative = _initiative_new(
            by=by,
            title=title,
            description=lead.description,
            product_area=area,
            note=f"from a theme of {len(locked)} waiting tickets",
        )
    elif initiative.status not in InitiativeStatus.open():
        raise DomainError(
            f"“{initiative.title}” is {initiative.get_status_display().lower()}; link the theme "
            "to an open initiative or make it a new one.",
            field="initiative",
            code="conflict",
        )
    for ticket in locked:
        ticket_link(ticket=ticket, initiative=initiative, by=by)
    initiative.refresh_from_db()
    return initiative


@transaction.atomic
def theme_ticket_exclude(*, ticket: Ticket, by: User) -> ThemeExclusion:
    """Take a waiting ticket out of the inbox's themes, for good; it stays in the inbox."""
    ensure_may_change_triage(by)
    _waiting_clean(ticket, "ticket")
    exclusion, _ = ThemeExclusion.objects.get_or_create(ticket=ticket, defaults={"by": by})
    return exclusion


_WEIGHT_FIELDS = ("nice_to_have", "important", "critical", "revenue_weighting")


@transaction.atomic
def scoring_weights_save(*, by: User, weights: ScoringWeights) -> int:
    """Save the admin's scoring weights, rescore every initiative with them and record the change
    in the audit log; returns how many initiatives' scores changed."""
    stored = ScoringWeights.objects.select_for_update().filter(pk=weights.pk).first()
    before = {name: getattr(stored, name) for name in _WEIGHT_FIELDS} if stored else {}
    weights.save()
    after = {name: getattr(weights, name) for name in _WEIGHT_FIELDS}
    changed = initiatives_rescore_all()
    audit.record(
        Action.SCORING_WEIGHTS_CHANGED,
        actor=by,
        target=weights,
        changes={**changes_between(before, after), "initiatives_rescored": changed},
    )
    return changed
