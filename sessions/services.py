"""Writes on monthly reviews and workshops: scheduling, invites, the agenda, votes, decisions.

Decisions act through the triage services, so the inbox and the board change at once; every email
is an outbox row (notifications.services.staff_notify), with the calendar invite attached.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from core.dates import (
    YEARS_AHEAD,
    horizon,
    month_in_window,
    month_next,
    review_day,
)
from core.errors import DomainError
from core.text import MESSAGE_MAX, TEXT_MAX, TITLE_MAX, line_clean, text_clean
from intake.models import ProductArea, Ticket, TicketStatus
from notifications.models import NotificationKind
from notifications.services import staff_notify
from sessions.calendar import session_ics
from sessions.models import (
    AgendaItem,
    Decision,
    ItemComment,
    Outcome,
    Participant,
    Rsvp,
    Session,
    SessionKind,
    SessionStatus,
    Topic,
    Vote,
)
from sessions.policies import (
    decision_authority,
    ensure_may_decide,
    ensure_may_organize,
    ensure_may_record_outcome,
    ensure_may_rsvp,
    ensure_may_take_part,
)
from triage.models import Initiative, InitiativeStatus
from triage.services import (
    initiative_create,
    initiative_decline,
    initiative_move,
    ticket_decline,
    ticket_initiative_create,
    ticket_link,
    tickets_same_ask,
)

DURATION_MIN = 5
DURATION_MAX = 8 * 60
VOTES_PER_PERSON = 5
AGENDA_TICKETS = 10
AGENDA_INITIATIVES = 5


def _session_url(session: Session) -> str:
    return reverse("sessions:detail", args=[session.pk])


def _open(session: Session) -> None:
    if session.status != SessionStatus.SCHEDULED:
        raise DomainError(
            f"“{session.title}” is {session.get_status_display().lower()}; nothing more changes.",
            code="conflict",
        )


# ---------------------------------------------------------------------------------------------
# When


def _when_clean(starts_at: datetime.datetime, duration_minutes: int) -> None:
    if timezone.is_naive(starts_at):
        raise DomainError("Give the start time with its time zone.", field="starts_at")
    if starts_at <= timezone.now():
        raise DomainError(
            "The start time has passed; pick a time in the future.", field="starts_at"
        )
    if starts_at > horizon():
        raise DomainError(f"Pick a start within the next {YEARS_AHEAD} years.", field="starts_at")
    if not DURATION_MIN <= duration_minutes <= DURATION_MAX:
        raise DomainError(
            f"A session lasts between {DURATION_MIN} minutes and {DURATION_MAX // 60} hours.",
            field="duration_minutes",
        )


# ---------------------------------------------------------------------------------------------
# Invites and their calendar updates


def _invitees(session: Session) -> list[User]:
    return [p.user for p in session.participants.select_related("user")]


def _tell_invitees(
    session: Session, users: Iterable[User], *, what: str, cancel: bool = False
) -> None:
    """Email each person a notice with the calendar invite (or cancellation) attached."""
    attendees = _invitees(session)
    ics = session_ics(session=session, attendees=attendees, cancel=cancel)
    when = timezone.localtime(session.starts_at, ZoneInfo(settings.TIME_ZONE))
    for user in users:
        staff_notify(
            user=user,
            kind=NotificationKind.SESSION_INVITE,
            text=f"{what}: {session.title}, {when:%a %b %-d, %H:%M} ({settings.TIME_ZONE})",
            details=session.description,
            url=_session_url(session),
            idempotency_key=f"invite:{session.pk}:{user.pk}:{session.sequence}:{what}",
            ics=ics,
        )


def _add_participants(session: Session, users: Sequence[User]) -> list[User]:
    known = set(session.participants.values_list("user_id", flat=True))
    new = []
    # The organizer may also be on the list they send; one invite each all the same.
    for user in users:
        if user.pk not in known and user.is_active:
            known.add(user.pk)
            new.append(user)
    Participant.objects.bulk_create(
        [
            # The organiser is coming: she is not asked to answer her own invite.
            Participant(
                session=session,
                user=user,
                rsvp=Rsvp.YES if user.pk == session.facilitator_id else Rsvp.PENDING,
            )
            for user in new
        ]
    )
    return new


def users_by_username(usernames: Iterable[str]) -> list[User]:
    """The active users with these usernames; an unknown one is bad input, named."""
    names = [name.strip() for name in usernames if name.strip()]
    users = {u.username: u for u in User.objects.filter(username__in=names, is_active=True)}
    unknown = [name for name in names if name not in users]
    if unknown:
        raise DomainError(
            f"No active user named {', '.join(repr(n) for n in unknown)}.", field="participants"
        )
    return [users[name] for name in dict.fromkeys(names)]


# ---------------------------------------------------------------------------------------------
# Workshops


@transaction.atomic
def workshop_schedule(
    *,
    by: User,
    title: str,
    topic: str,
    starts_at: datetime.datetime,
    duration_minutes: int,
    description: str = "",
    location: str = "",
    invitees: Sequence[User] = (),
    product_area: ProductArea | None = None,
    tags: Sequence[str] = (),
) -> Session:
    """Schedule a workshop and send each invitee an email with a calendar invite."""
    ensure_may_organize(by)
    if topic not in Topic.values:
        raise DomainError(f"Pick a topic: {', '.join(Topic.values)}.", field="topic")
    _when_clean(starts_at, duration_minutes)
    session = Session.objects.create(
        kind=SessionKind.WORKSHOP,
        title=line_clean(title, field="title", label="A title", limit=TITLE_MAX, required=True),
        topic=topic,
        description=text_clean(
            description,
            field="description",
            label="The description",
            limit=TEXT_MAX,
            required=False,
        ),
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        location=line_clean(
            location, field="location", label="The place", limit=500, required=False
        ),
        product_area=product_area,
        tags=[tag.strip()[:40] for tag in tags if tag.strip()][:20],
        facilitator=by,
    )
    new = _add_participants(session, [by, *invitees])
    _tell_invitees(session, [u for u in new if u.pk != by.pk], what="Invitation")
    return session


@transaction.atomic
def session_reschedule(
    *, session: Session, by: User, starts_at: datetime.datetime, duration_minutes: int
) -> Session:
    """Move a session; everyone invited gets an update (same UID, higher SEQUENCE)."""
    ensure_may_organize(by)
    _open(session)
    _when_clean(starts_at, duration_minutes)
    if (starts_at, duration_minutes) == (session.starts_at, session.duration_minutes):
        raise DomainError("That is when it already is.", field="starts_at", code="conflict")
    session.starts_at = starts_at
    session.duration_minutes = duration_minutes
    session.sequence += 1
    session.reminder_sent_at = None
    session.save(
        update_fields=[
            "starts_at",
            "duration_minutes",
            "sequence",
            "reminder_sent_at",
            "updated_at",
        ]
    )
    _tell_invitees(session, _invitees(session), what="Moved")
    return session


@transaction.atomic
def session_invite(*, session: Session, by: User, users: Sequence[User]) -> list[User]:
    """Invite more people; only they get the invite."""
    ensure_may_organize(by)
    _open(session)
    new = _add_participants(session, users)
    _tell_invitees(session, new, what="Invitation")
    return new


@transaction.atomic
def session_cancel(*, session: Session, by: User) -> Session:
    """Call a session off; calendars remove it (METHOD:CANCEL)."""
    ensure_may_organize(by)
    _open(session)
    session.status = SessionStatus.CANCELLED
    session.sequence += 1
    session.save(update_fields=["status", "sequence", "updated_at"])
    _tell_invitees(session, _invitees(session), what="Cancelled", cancel=True)
    return session


@transaction.atomic
def rsvp_set(*, session: Session, user: User, answer: str) -> Participant:
    """An invitee answers yes, no or maybe."""
    if answer not in (Rsvp.YES, Rsvp.NO, Rsvp.MAYBE):
        raise DomainError("Answer yes, no or maybe.", field="rsvp")
    ensure_may_rsvp(user, session)
    participant = Participant.objects.get(session=session, user=user)
    _open(session)
    participant.rsvp = answer
    participant.save(update_fields=["rsvp"])
    return participant


def sessions_remind(*, now: datetime.datetime | None = None) -> int:
    """A day before, remind everyone who has not said no (once per schedule; safe to rerun)."""
    now = now or timezone.now()
    due = Session.objects.filter(
        status=SessionStatus.SCHEDULED,
        reminder_sent_at__isnull=True,
        starts_at__gt=now,
        starts_at__lte=now + datetime.timedelta(hours=24),
    )
    count = 0
    for session in due:
        with transaction.atomic():
            locked = (
                Session.objects.select_for_update(skip_locked=True)
                .filter(pk=session.pk, reminder_sent_at__isnull=True)
                .first()
            )
            if locked is None:
                continue
            when = timezone.localtime(locked.starts_at, ZoneInfo(settings.TIME_ZONE))
            for participant in locked.participants.select_related("user").exclude(rsvp=Rsvp.NO):
                staff_notify(
                    user=participant.user,
                    kind=NotificationKind.SESSION_REMINDER,
                    text=f"Tomorrow: {locked.title}, {when:%a %H:%M} ({settings.TIME_ZONE})",
                    details=locked.location,
                    url=_session_url(locked),
                    idempotency_key=f"remind:{locked.pk}:{participant.user_id}:{locked.sequence}",
                )
            locked.reminder_sent_at = now
            locked.save(update_fields=["reminder_sent_at"])
            count += 1
    return count


@transaction.atomic
def outcome_add(
    *,
    session: Session,
    by: User,
    kind: str,
    body: str,
    initiative: Initiative | None = None,
    ticket: Ticket | None = None,
    create_initiative: bool = False,
) -> Outcome:
    """Record a workshop outcome; an action item can become a new initiative."""
    if kind not in Outcome.Kind.values:
        raise DomainError("Pick note, insight or action item.", field="kind")
    ensure_may_record_outcome(by, session)
    body = text_clean(body, field="body", label="The outcome", limit=TEXT_MAX, required=True)
    if create_initiative:
        if kind != Outcome.Kind.ACTION:
            raise DomainError("Only an action item becomes an initiative.", field="kind")
        authority = decision_authority(by, session)
        initiative = initiative_create(
            by=by,
            title=body.splitlines()[0][:TITLE_MAX],
            description=f"From the workshop “{session.title}”:\n\n{body}",
            product_area=session.product_area,
            authority=authority,
        )
    return Outcome.objects.create(
        session=session, kind=kind, body=body, initiative=initiative, ticket=ticket, created_by=by
    )


# ---------------------------------------------------------------------------------------------
# Monthly reviews


def _agenda_for_review(session: Session, previous: Session | None) -> None:
    """The inbox's most important waiting tickets, the top proposed initiatives, and what the
    last review deferred or did not reach."""
    items: list[AgendaItem] = []
    if previous is not None:
        for item in previous.agenda.filter(decision__in=Decision.moved_on()):
            items.append(
                AgendaItem(
                    session=session,
                    ticket_id=item.ticket_id,
                    initiative_id=item.initiative_id,
                    deferred_from=item,
                    notes=f"Deferred from {previous.title}: {item.rationale}".strip(": "),
                )
            )
    taken_tickets = {item.ticket_id for item in items if item.ticket_id}
    taken_initiatives = {item.initiative_id for item in items if item.initiative_id}
    # Importance first; among equals, the ask whose words most other waiting tickets share
    # would be best, but age is the honest proxy here: the longest waiting first.
    waiting = (
        Ticket.objects.filter(status=TicketStatus.NEW)
        .exclude(pk__in=taken_tickets)
        .order_by("-importance_rank", "created_at")
        .values_list("pk", flat=True)[:AGENDA_TICKETS]
    )
    items += [AgendaItem(session=session, ticket_id=pk) for pk in waiting]
    proposed = (
        Initiative.objects.filter(status=InitiativeStatus.PROPOSED)
        .exclude(pk__in=taken_initiatives)
        .order_by("-priority_score", "-id")
        .values_list("pk", flat=True)[:AGENDA_INITIATIVES]
    )
    items += [AgendaItem(session=session, initiative_id=pk) for pk in proposed]
    for position, item in enumerate(items, start=1):
        item.position = position
    AgendaItem.objects.bulk_create(items)


def _previous_review(month: datetime.date) -> Session | None:
    return (
        Session.objects.filter(kind=SessionKind.MONTHLY_REVIEW, month__lt=month)
        .order_by("-month")
        .first()
    )


def review_create(
    *,
    month: datetime.date,
    by: User | None = None,
    starts_at: datetime.datetime | None = None,
    duration_minutes: int = 60,
    title: str = "",
    description: str = "",
    location: str = "",
    invitees: Sequence[User] = (),
) -> tuple[Session, bool]:
    """The month's review with its agenda; creating it twice gives the one that exists.
    Blank text takes the month's defaults; organizers are always invited, `invitees` as well."""
    if by is not None:
        ensure_may_organize(by)
    if starts_at is not None:
        _when_clean(starts_at, duration_minutes)
    title = line_clean(title, field="title", label="A title", limit=TITLE_MAX, required=False)
    description = text_clean(
        description, field="description", label="The description", limit=TEXT_MAX, required=False
    )
    location = line_clean(location, field="location", label="The place", limit=500, required=False)
    month = month_in_window(month)
    existing = Session.objects.filter(kind=SessionKind.MONTHLY_REVIEW, month=month).first()
    if existing is not None:
        return existing, False
    starts_at = starts_at or review_day(month)
    try:
        with transaction.atomic():
            session = Session.objects.create(
                kind=SessionKind.MONTHLY_REVIEW,
                title=title or f"Feedback review, {month:%B %Y}",
                description=description
                or "The month's top feedback and initiatives, to decide what comes next.",
                starts_at=starts_at,
                duration_minutes=duration_minutes,
                location=location,
                month=month,
                facilitator=by,
            )
            _agenda_for_review(session, _previous_review(month))
            organizers = User.objects.filter(
                is_active=True, role__in=["product_manager", "facilitator"]
            )
            _add_participants(session, [*organizers, *invitees])
            _tell_invitees(session, _invitees(session), what="Invitation")
    except IntegrityError:
        # Another run (the beat task twice, or a person at the same moment) made it first.
        return Session.objects.get(kind=SessionKind.MONTHLY_REVIEW, month=month), False
    return session, True


def reviews_schedule(*, today: datetime.date | None = None) -> Session | None:
    """The beat task's job: make sure next month's review exists (returns it if new)."""
    today = today or timezone.localdate()
    session, created = review_create(month=month_next(today))
    return session if created else None


@transaction.atomic
def agenda_add(
    *,
    session: Session,
    by: User,
    ticket: Ticket | None = None,
    initiative: Initiative | None = None,
) -> AgendaItem:
    ensure_may_organize(by)
    _open(session)
    if (ticket is None) == (initiative is None):
        raise DomainError("Add a ticket or an initiative.", field="item")
    if session.agenda.filter(ticket=ticket, initiative=initiative).exists():
        raise DomainError("That is already on the agenda.", field="item", code="conflict")
    last = session.agenda.aggregate(last=Max("position"))["last"] or 0
    return AgendaItem.objects.create(
        session=session, ticket=ticket, initiative=initiative, position=last + 1
    )


@transaction.atomic
def agenda_remove(*, item: AgendaItem, by: User) -> None:
    ensure_may_organize(by)
    _open(item.session)
    if item.decision:
        raise DomainError("A decided item stays on the record.", code="conflict")
    item.delete()


@transaction.atomic
def agenda_move(*, item: AgendaItem, by: User, step: int) -> None:
    """Move an item up (-1) or down (+1) the agenda."""
    ensure_may_organize(by)
    _open(item.session)
    items = list(item.session.agenda.select_for_update().order_by("position", "id"))
    at = next(i for i, other in enumerate(items) if other.pk == item.pk)
    to = max(0, min(len(items) - 1, at + step))
    items.insert(to, items.pop(at))
    for position, other in enumerate(items, start=1):
        other.position = position
    AgendaItem.objects.bulk_update(items, ["position"])


@transaction.atomic
def item_comment_add(*, item: AgendaItem, by: User, body: str, kind: str) -> ItemComment:
    """Context, a question or an answer on an agenda item, from anyone invited."""
    if kind not in ItemComment.Kind.values:
        raise DomainError("Pick context, question or answer.", field="kind")
    ensure_may_take_part(by, item.session)
    _open(item.session)
    body = text_clean(body, field="body", label="The message", limit=MESSAGE_MAX, required=True)
    return ItemComment.objects.create(item=item, author=by, kind=kind, body=body)


@transaction.atomic
def vote_add(*, item: AgendaItem, by: User) -> int:
    """Put one of your dots on an item; returns the dots you have left in this session."""
    ensure_may_take_part(by, item.session)
    _open(item.session)
    # Lock this person's participation so two quick clicks cannot both take the fifth dot.
    Participant.objects.select_for_update().filter(session=item.session, user=by).first()
    used = Vote.objects.filter(item__session=item.session, user=by).count()
    if used >= VOTES_PER_PERSON:
        raise DomainError(
            f"You have used your {VOTES_PER_PERSON} dots in this session; take one back first.",
            field="vote",
            code="conflict",
        )
    Vote.objects.create(item=item, user=by)
    return VOTES_PER_PERSON - used - 1


@transaction.atomic
def vote_remove(*, item: AgendaItem, by: User) -> int:
    _open(item.session)
    vote = Vote.objects.filter(item=item, user=by).order_by("-id").first()
    if vote is None:
        raise DomainError("You have no dot on this item.", field="vote", code="conflict")
    vote.delete()
    used = Vote.objects.filter(item__session=item.session, user=by).count()
    return VOTES_PER_PERSON - used


@transaction.atomic
def decision_record(
    *,
    item: AgendaItem,
    by: User,
    decision: str,
    rationale: str = "",
    initiative: Initiative | None = None,
    title: str = "",
    same_as: Ticket | None = None,
) -> AgendaItem:
    """Decide an agenda item; the decision acts through triage, so inbox and board change now.
    Linking to a shipped initiative tells the ticket's customer at once; "same ask" makes an
    initiative of the item's ticket and the waiting ticket `same_as`."""
    session = item.session
    authority = decision_authority(by, session)
    _open(session)
    if item.decision:
        raise DomainError(
            f"This item is already decided ({item.get_decision_display().lower()}).",
            field="decision",
            code="conflict",
        )
    chosen = [value for value, _ in Decision.chosen()]
    if decision not in chosen:
        raise DomainError(f"Pick a decision: {', '.join(chosen)}.", field="decision")
    rationale = text_clean(
        rationale,
        field="rationale",
        label=(
            "A reason for declining (the submitter is told it)"
            if decision == Decision.DECLINE
            else "The rationale"
        ),
        limit=TEXT_MAX,
        required=decision == Decision.DECLINE,
    )
    ticket = item.ticket
    result: Initiative | None = None
    if decision == Decision.CREATE_INITIATIVE:
        if ticket is None:
            raise DomainError("Only a ticket becomes a new initiative.", field="decision")
        result = ticket_initiative_create(
            ticket=ticket,
            by=by,
            title=line_clean(
                title or ticket.title,
                field="title",
                label="A title",
                limit=TITLE_MAX,
                required=True,
            ),
            description=ticket.description,
            product_area=ticket.product_area,
            authority=authority,
        )
    elif decision == Decision.LINK:
        if ticket is None:
            raise DomainError("Only a ticket is linked to an initiative.", field="decision")
        if initiative is None:
            raise DomainError("Pick the initiative to link to.", field="initiative")
        ticket_link(ticket=ticket, initiative=initiative, by=by, authority=authority)
        result = initiative
    elif decision == Decision.SAME_ASK:
        if ticket is None:
            raise DomainError("Only a ticket is the same ask as another.", field="decision")
        if same_as is None:
            raise DomainError("Pick the waiting ticket it is the same ask as.", field="same_as")
        result = tickets_same_ask(
            waiting=same_as, ticket=ticket, by=by, authority=authority
        ).initiative
    elif decision == Decision.PLAN:
        target = item.initiative or (ticket.initiative if ticket else None)
        if target is None:
            raise DomainError(
                "Plan an initiative: create or link one for this ticket first.",
                field="decision",
            )
        # Work already planned or under way stays where it is; "plan it" never moves it back.
        if target.status not in (InitiativeStatus.PLANNED, InitiativeStatus.IN_PROGRESS):
            initiative_move(
                initiative=target, by=by, status=InitiativeStatus.PLANNED, authority=authority
            )
        result = target
    elif decision == Decision.DECLINE:
        if item.initiative is not None:
            initiative_decline(
                initiative=item.initiative, by=by, reason=rationale, authority=authority
            )
        else:
            assert ticket is not None
            ticket_decline(ticket=ticket, by=by, reason=rationale, authority=authority)
    item.decision = decision
    item.rationale = rationale
    item.decided_by = by
    item.decided_at = timezone.now()
    item.result = result
    item.save(update_fields=["decision", "rationale", "decided_by", "decided_at", "result"])
    return item


@transaction.atomic
def session_notes_save(
    *, session: Session, by: User, notes: str, item: AgendaItem | None = None
) -> None:
    """Notes for the session, or for one agenda item."""
    ensure_may_take_part(by, session)
    notes = text_clean(notes, field="notes", label="The notes", limit=TEXT_MAX * 5, required=False)
    if item is not None:
        item.notes = notes
        item.save(update_fields=["notes"])
    else:
        session.notes = notes
        session.save(update_fields=["notes", "updated_at"])


def _summary(session: Session) -> str:
    items = list(session.agenda.select_related("ticket__customer", "initiative", "result"))
    came = [p.user.display_name for p in session.participants.select_related("user") if p.attended]
    return render_to_string(
        "sessions/summary.txt",
        {
            "session": session,
            "decided": [i for i in items if i.decision and i.decision not in Decision.moved_on()],
            "new_initiatives": [
                i.result for i in items if i.decision == Decision.CREATE_INITIATIVE
            ],
            "deferred": [i for i in items if i.decision == Decision.DEFER],
            "not_reached": [i for i in items if i.decision == Decision.NOT_REACHED],
            "came": came,
        },
    ).strip()


def _not_started(session: Session, now: datetime.datetime) -> bool:
    return now < session.starts_at


@transaction.atomic
def session_close(
    *, session: Session, by: User, attended: Sequence[int] = (), early: bool = False
) -> Session:
    """Close with a summary on its page and by email to everyone invited; a review's deferred
    (and unreached) items move to the next review. Before it starts only with `early`: the
    decider confirms the meeting really is over, not a click on the wrong session."""
    ensure_may_decide(by, session)
    _open(session)
    now = timezone.now()
    if _not_started(session, now) and not early:
        when = timezone.localtime(session.starts_at, ZoneInfo(settings.TIME_ZONE))
        raise DomainError(
            f"“{session.title}” has not started yet (it starts {when:%a %b %-d, %H:%M} "
            f"{settings.TIME_ZONE}). Confirm closing it early to close it now.",
            field="early",
            code="conflict",
        )
    session.participants.update(attended=False)
    session.participants.filter(user_id__in=list(attended)).update(attended=True)
    # What nobody decided moves on too, so nothing on the agenda is dropped silently; it is
    # marked "not reached" (no decider, no time), never counted as a decision.
    session.agenda.filter(decision="").update(
        decision=Decision.NOT_REACHED,
        rationale="Not reached in the meeting.",
        decided_by=None,
        decided_at=None,
    )
    session.status = SessionStatus.CLOSED
    session.closed_at = now
    session.summary = _summary(session)
    session.save(update_fields=["status", "closed_at", "summary", "updated_at"])
    if session.is_review and session.month:
        following, created = review_create(month=month_next(session.month))
        if not created:
            _carry_deferred(session, following)
    for user in _invitees(session):
        staff_notify(
            user=user,
            kind=NotificationKind.SESSION_SUMMARY,
            text=f"Summary: {session.title}",
            details=session.summary,
            url=_session_url(session),
            idempotency_key=f"summary:{session.pk}:{user.pk}",
        )
    return session


def _carry_deferred(session: Session, following: Session) -> None:
    """Add this session's deferred items to a review that already exists."""
    if following.status != SessionStatus.SCHEDULED:
        return
    last = following.agenda.aggregate(last=Max("position"))["last"] or 0
    present = set(following.agenda.values_list("ticket_id", "initiative_id"))
    new = []
    for item in session.agenda.filter(decision__in=Decision.moved_on()):
        if (item.ticket_id, item.initiative_id) in present:
            continue
        last += 1
        new.append(
            AgendaItem(
                session=following,
                ticket_id=item.ticket_id,
                initiative_id=item.initiative_id,
                deferred_from=item,
                position=last,
                notes=f"Deferred from {session.title}: {item.rationale}".strip(": "),
            )
        )
    AgendaItem.objects.bulk_create(new)
