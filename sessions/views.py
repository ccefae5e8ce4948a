"""Pages for reviews and workshops: the list and calendar, scheduling, the agenda, the meeting.

Every write is a small POST that calls one service and comes back to the session page (at the
item it changed), so the page works without JavaScript.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from core.dates import month_from_param, month_next, month_previous, month_start
from core.errors import DomainError
from core.http import HtmxHttpRequest, domain_error_response, form_errors_text, require
from core.text import TITLE_MAX
from intake.selectors import ticket_get
from sessions.forms import (
    AgendaAddForm,
    AgendaItemForm,
    CloseForm,
    CommentForm,
    DecisionForm,
    InviteForm,
    NotesForm,
    OutcomeForm,
    ReviewForm,
    RsvpForm,
    WhenForm,
    WorkshopForm,
)
from sessions.models import AgendaItem, Session, SessionStatus
from sessions.policies import (
    ensure_may_decide,
    ensure_may_run_sessions,
    may_decide,
    may_run_sessions,
    may_take_part,
)
from sessions.selectors import (
    agenda_of,
    dots_left,
    invited,
    research_material,
    session_get,
    sessions_in_month,
    sessions_past,
    sessions_upcoming,
)
from sessions.services import (
    VOTES_PER_PERSON,
    agenda_add,
    agenda_move,
    agenda_remove,
    decision_record,
    item_comment_add,
    outcome_add,
    review_create,
    rsvp_set,
    session_cancel,
    session_close,
    session_invite,
    session_notes_save,
    session_reschedule,
    vote_add,
    vote_remove,
    workshop_schedule,
)
from triage.selectors import initiative_get, initiative_menu, similar_feedback


def _user(request: HtmxHttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _session_or_404(session_id: int) -> Session:
    session = session_get(session_id=session_id)
    if session is None:
        raise Http404("No such session.")
    return session


def _item_or_404(session: Session, item_id: int) -> AgendaItem:
    item = session.agenda.select_related("ticket", "initiative").filter(pk=item_id).first()
    if item is None:
        raise Http404("No such agenda item.")
    item.session = session
    return item


def _back_url(session: Session, anchor: str = "") -> str:
    url = reverse("sessions:detail", args=[session.pk])
    return f"{url}#{anchor}" if anchor else url


def _back(session: Session, anchor: str = "") -> HttpResponse:
    return redirect(_back_url(session, anchor))


def _attempt(
    request: HtmxHttpRequest, action: Callable[[], object], done: str, *, back: str
) -> HttpResponse:
    """Run one service call and go `back`: say what happened, or why it was refused."""
    try:
        action()
    except DomainError as error:
        return domain_error_response(request, error, redirect_to=back)
    if done:
        messages.success(request, done)
    return redirect(back)


# ---------------------------------------------------------------------------------------------
# The list and the calendar


@require_GET
def session_list(request: HtmxHttpRequest) -> HttpResponse:
    page = Paginator(sessions_past(), 20).get_page(request.GET.get("page"))
    context = {
        "upcoming": list(sessions_upcoming()[:50]),
        "page": page,
        "nav": "sessions",
    }
    return render(request, "sessions/session_list.html", context)


@require_GET
def session_calendar(request: HtmxHttpRequest) -> HttpResponse:
    today = timezone.localdate()
    month = month_from_param(request.GET.get("month", "")) or month_start(today)
    sessions = sessions_in_month(month=month)
    by_day: dict[datetime.date, list[Session]] = {}
    for session in sessions:
        by_day.setdefault(timezone.localtime(session.starts_at).date(), []).append(session)
    weeks = [
        [(day, by_day.get(day, []), day.month == month.month) for day in week]
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month)
    ]
    previous = month_previous(month)
    following = month_next(month)
    context = {
        "month": month,
        "weeks": weeks,
        "day_names": list(calendar.day_abbr),
        "today": today,
        "previous": previous,
        "following": following,
        "nav": "sessions",
    }
    return render(request, "sessions/calendar.html", context)


# ---------------------------------------------------------------------------------------------
# Scheduling


@require(ensure_may_run_sessions)
@require_http_methods(["GET", "POST"])
def workshop_new(request: HtmxHttpRequest) -> HttpResponse:
    user = _user(request)
    form = WorkshopForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            session = workshop_schedule(
                by=user,
                title=data["title"],
                topic=data["topic"],
                starts_at=data["starts_at"],
                duration_minutes=data["duration_minutes"],
                description=data["description"],
                location=data["location"],
                invitees=list(data["invitees"]),
                product_area=data["product_area"],
                tags=data["tags"],
            )
        except DomainError as error:
            context = {"form": form, "nav": "sessions"}
            return domain_error_response(
                request, error, form=form, template="sessions/workshop_form.html", context=context
            )
        count = session.participants.count() - 1
        messages.success(
            request,
            f"Scheduled “{session.title}”; {count} invite{'s' if count != 1 else ''} sent.",
        )
        return redirect("sessions:detail", session.pk)
    return render(request, "sessions/workshop_form.html", {"form": form, "nav": "sessions"})


@require(ensure_may_run_sessions)
@require_http_methods(["GET", "POST"])
def review_new(request: HtmxHttpRequest) -> HttpResponse:
    user = _user(request)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        starts_at = form.cleaned_data["starts_at"]
        # The review belongs to the month of the company's calendar, as the beat task counts.
        month = month_start(timezone.localtime(starts_at, ZoneInfo(settings.TIME_ZONE)).date())
        try:
            session, created = review_create(month=month, by=user, starts_at=starts_at)
        except DomainError as error:
            context = {"form": form, "nav": "sessions"}
            return domain_error_response(
                request, error, form=form, template="sessions/review_form.html", context=context
            )
        if created:
            messages.success(request, f"Created “{session.title}” with its agenda.")
        else:
            messages.warning(request, f"{month:%B %Y} already has its review; here it is.")
        return redirect("sessions:detail", session.pk)
    return render(request, "sessions/review_form.html", {"form": form, "nav": "sessions"})


# ---------------------------------------------------------------------------------------------
# A session


@require_GET
def session_detail(request: HtmxHttpRequest, session_id: int) -> HttpResponse:
    user = _user(request)
    session = _session_or_404(session_id)
    by_votes = request.GET.get("sort") == "votes"
    me = invited(session=session, user=user)
    organizer = may_run_sessions(user)
    context: dict[str, Any] = {
        "session": session,
        "me": me,
        "organizer": organizer,
        "taking_part": may_take_part(user, session),
        "decider": may_decide(user, session),
        "open": session.status == SessionStatus.SCHEDULED,
        "not_started": timezone.now() < session.starts_at,
        "by_votes": by_votes,
        "rsvp_form": RsvpForm(),
        "nav": "sessions",
    }
    if session.is_review:
        context.update(
            agenda=agenda_of(session=session, user=user, by_votes=by_votes),
            dots_left=dots_left(session=session, user=user),
            dots_per_person=VOTES_PER_PERSON,
            title_max=TITLE_MAX,
            comment_form=CommentForm(),
            decision_form=DecisionForm(),
            initiative_options=initiative_menu(),
            agenda_form=AgendaAddForm(),
        )
    else:
        context.update(
            research=research_material(session=session),
            outcome_form=OutcomeForm(),
            outcomes=list(session.outcomes.select_related("initiative", "ticket", "created_by")),
        )
    if organizer:
        context.update(
            notes_form=NotesForm(initial={"notes": session.notes}),
            when_form=WhenForm(
                initial={
                    "starts_at": timezone.localtime(session.starts_at),
                    "duration_minutes": session.duration_minutes,
                }
            ),
            invite_form=InviteForm(),
        )
    return render(request, "sessions/session_detail.html", context)


@require_POST
def rsvp(request: HtmxHttpRequest, session_id: int) -> HttpResponse:
    session = _session_or_404(session_id)
    form = RsvpForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Answer yes, no or maybe.")
        return _back(session, "rsvp")
    answer = form.cleaned_data["rsvp"]
    return _attempt(
        request,
        lambda: rsvp_set(session=session, user=_user(request), answer=answer),
        f"You answered {answer}.",
        back=_back_url(session, "rsvp"),
    )


@require_POST
def vote(request: HtmxHttpRequest, session_id: int, item_id: int) -> HttpResponse:
    session = _session_or_404(session_id)
    item = _item_or_404(session, item_id)
    user = _user(request)
    back = _back_url(session, f"item-{item.pk}")
    if request.POST.get("take_back"):
        return _attempt(request, lambda: vote_remove(item=item, by=user), "", back=back)
    return _attempt(request, lambda: vote_add(item=item, by=user), "", back=back)


@require_POST
def comment(request: HtmxHttpRequest, session_id: int, item_id: int) -> HttpResponse:
    session = _session_or_404(session_id)
    item = _item_or_404(session, item_id)
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write something to add.")
        return _back(session, f"item-{item.pk}")
    data = form.cleaned_data
    return _attempt(
        request,
        lambda: item_comment_add(
            item=item, by=_user(request), body=data["body"], kind=data["kind"]
        ),
        "Added.",
        back=_back_url(session, f"item-{item.pk}"),
    )


@require_POST
def decide(request: HtmxHttpRequest, session_id: int, item_id: int) -> HttpResponse:
    session = _session_or_404(session_id)
    item = _item_or_404(session, item_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return _back(session, f"item-{item.pk}")
    data = form.cleaned_data
    same_as = None
    if data["same_as"]:
        same_as = ticket_get(ticket_id=data["same_as"])
        if same_as is None:
            messages.error(request, f"There is no ticket #{data['same_as']}.")
            return _back(session, f"item-{item.pk}")
    return _attempt(
        request,
        lambda: decision_record(
            item=item,
            by=_user(request),
            decision=data["decision"],
            rationale=data["rationale"],
            initiative=data["initiative"],
            title=data["title"],
            same_as=same_as,
        ),
        "Decision recorded.",
        back=_back_url(session, f"item-{item.pk}"),
    )


@require_GET
def item_matches(request: HtmxHttpRequest, session_id: int, item_id: int) -> HttpResponse:
    """What an agenda ticket could be the same ask as, each with the decision it takes (for the
    session's deciders): the fragment for htmx, else a page of its own."""
    user = _user(request)
    session = _session_or_404(session_id)
    item = _item_or_404(session, item_id)
    matches = None
    if item.ticket is not None and item.ticket.is_untriaged:
        ticket = item.ticket
        matches = similar_feedback(
            text=f"{ticket.title} {ticket.description}"[:2000], limit=4, exclude_ticket=ticket.pk
        )
    context = {
        "session": session,
        "item": item,
        "matches": matches,
        "decider": may_decide(user, session)
        and session.status == SessionStatus.SCHEDULED
        and not item.decision,
        "nav": "sessions",
    }
    if request.htmx:
        return render(request, "sessions/partials/item_matches.html", context)
    return render(request, "sessions/item_matches.html", context)


@require_POST
def agenda_edit(request: HtmxHttpRequest, session_id: int) -> HttpResponse:
    """Add an item by number, or move one up or down, or take it off."""
    session = _session_or_404(session_id)
    user = _user(request)
    back = _back_url(session, "agenda")
    if "item" in request.POST:
        change = AgendaItemForm(request.POST)
        if not change.is_valid():
            messages.error(request, form_errors_text(change))
            return redirect(back)
        item = _item_or_404(session, change.cleaned_data["item"])
        action = change.cleaned_data["action"]
        if action == "remove":
            return _attempt(
                request,
                lambda: agenda_remove(item=item, by=user),
                "Taken off the agenda.",
                back=back,
            )
        step = -1 if action == "up" else 1
        return _attempt(request, lambda: agenda_move(item=item, by=user, step=step), "", back=back)
    form = AgendaAddForm(request.POST)
    if not form.is_valid() or not (form.cleaned_data["ticket"] or form.cleaned_data["initiative"]):
        messages.error(request, "Give a ticket number or an initiative number to add.")
        return redirect(back)
    ticket = initiative = None
    if form.cleaned_data["ticket"]:
        ticket = ticket_get(ticket_id=form.cleaned_data["ticket"])
        if ticket is None:
            messages.error(request, f"There is no ticket #{form.cleaned_data['ticket']}.")
            return redirect(back)
    else:
        initiative = initiative_get(initiative_id=form.cleaned_data["initiative"])
        if initiative is None:
            messages.error(request, f"There is no initiative #{form.cleaned_data['initiative']}.")
            return redirect(back)
    return _attempt(
        request,
        lambda: agenda_add(session=session, by=user, ticket=ticket, initiative=initiative),
        "Added to the agenda.",
        back=back,
    )


@require(ensure_may_run_sessions)
@require_POST
def notes(request: HtmxHttpRequest, session_id: int) -> HttpResponse:
    session = _session_or_404(session_id)
    form = NotesForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(_back_url(session, "notes"))
    item = _item_or_404(session, form.cleaned_data["item"]) if form.cleaned_data["item"] else None
    back = _back_url(session, f"item-{item.pk}" if item else "notes")
    return _attempt(
        request,
        lambda: session_notes_save(
            session=session, by=_user(request), notes=form.cleaned_data["notes"], item=item
        ),
        "Notes saved.",
        back=back,
    )


@require_POST
def close(request: HtmxHttpRequest, session_id: int) -> HttpResponse:
    session = _session_or_404(session_id)
    user = _user(request)
    try:
        ensure_may_decide(user, session)  # before anything of the request is read
    except DomainError as error:
        return domain_error_response(request, error, redirect_to=_back_url(session))
    form = CloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(_back_url(session))
    attended = form.cleaned_data["attended"]
    early = form.cleaned_data["early"]
    return _attempt(
        request,
        lambda: session_close(session=session, by=user, attended=attended, early=early),
        "Closed; the summary went to everyone invited.",
        back=_back_url(session),
    )


@require(ensure_may_run_sessions)
@require_POST
def reschedule(request: HtmxHttpRequest, session_id: int) -> HttpResponse:
    session = _session_or_404(session_id)
    form = WhenForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return _back(session)
    return _attempt(
        request,
        lambda: session_reschedule(
            session=session,
            by=_user(request),
            starts_at=form.cleaned_data["starts_at"],
            duration_minutes=form.cleaned_data["duration_minutes"],
        ),
        "Moved; everyone invited got the calendar update.",
        back=_back_url(session),
    )


@require(ensure_may_run_sessions)
@require_POST
def cancel(request: HtmxHttpRequest, session_id: int) -> HttpResponse:
    session = _session_or_404(session_id)
    return _attempt(
        request,
        lambda: session_cancel(session=session, by=_user(request)),
        "Cancelled; calendars were told.",
        back=_back_url(session),
    )


@require(ensure_may_run_sessions)
@require_POST
def invite(request: HtmxHttpRequest, session_id: int) -> HttpResponse:
    session = _session_or_404(session_id)
    form = InviteForm(request.POST)
    if not form.is_valid() or not form.cleaned_data["invitees"]:
        messages.error(request, "Pick who to invite.")
        return _back(session, "people")
    users = list(form.cleaned_data["invitees"])
    return _attempt(
        request,
        lambda: session_invite(session=session, by=_user(request), users=users),
        "Invited.",
        back=_back_url(session, "people"),
    )


@require_POST
def outcome(request: HtmxHttpRequest, session_id: int) -> HttpResponse:
    session = _session_or_404(session_id)
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say what the outcome is.")
        return _back(session, "outcomes")
    data = form.cleaned_data
    return _attempt(
        request,
        lambda: outcome_add(
            session=session,
            by=_user(request),
            kind=data["kind"],
            body=data["body"],
            create_initiative=data["create_initiative"],
        ),
        "Recorded.",
        back=_back_url(session, "outcomes"),
    )
