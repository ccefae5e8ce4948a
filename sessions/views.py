"""Pages for reviews and workshops: the list and calendar, scheduling, the agenda, the meeting.

The review page works without reloads: each tool (a dot, a thread's message, notes, a decision,
moving, the agenda's search) posts with htmx and gets back the fragment it changed, with what it
did or why not beside the control. Every tool is also a plain form whose POST comes back to the
session page (at the item it changed), so the page works without JavaScript.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from accounts.models import Team, User
from core.dates import month_from_param, month_next, month_previous, month_start
from core.errors import DomainError
from core.forms import IdField
from core.http import HtmxHttpRequest, domain_error_response, form_errors_text, require
from core.text import TITLE_MAX
from intake.selectors import ticket_get
from sessions.forms import (
    RSVP_ANSWERS,
    AgendaAddForm,
    AgendaItemForm,
    CloseForm,
    CommentForm,
    DecisionForm,
    InviteePickerForm,
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
    asked_to_answer,
    ensure_may_decide,
    ensure_may_run_sessions,
    may_decide,
    may_run_sessions,
    may_take_part,
)
from sessions.selectors import (
    agenda_candidates,
    agenda_item_of,
    agenda_of,
    dots_left,
    invited,
    invitee_candidates,
    people_by_id,
    research_material,
    session_get,
    sessions_in_month,
    sessions_past,
    sessions_upcoming,
    team_members,
    team_sizes,
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
# Choosing whom to invite: a search and whole teams, in one picker for htmx and plain posts

PICKER_ACTIONS = ("find", "add", "drop", "add_team")


def _picking(data: QueryDict) -> bool:
    """Whether a plain post came from one of the picker's buttons, not the form's own."""
    return any(name in data for name in PICKER_ACTIONS)


def _picker_context(
    data: QueryDict, *, exclude: list[int], session: Session | None = None
) -> dict[str, Any]:
    """The picker after the button pressed: who is chosen, what the search finds, the teams.
    `exclude` are people never offered (the organiser, or whoever is invited already)."""
    form = InviteePickerForm(data)
    form.is_valid()  # what is wrong is dropped: a bad id or team adds nobody
    state = form.cleaned_data
    chosen = list(state.get("invitees") or [])
    done = ""
    if state.get("add"):
        chosen.append(state["add"])
    if state.get("drop"):
        chosen = [pk for pk in chosen if pk != state["drop"]]
    if state.get("add_team") and state.get("team"):
        members = team_members(team=state["team"], exclude=[*exclude, *chosen])
        chosen += [member.pk for member in members]
        label = Team(state["team"]).label
        done = f"Added {len(members)} from {label}." if members else f"Nobody else in {label}."
    people = people_by_id(user_ids=[pk for pk in chosen if pk not in exclude])
    query = state.get("people_q") or ""
    sizes = team_sizes()
    return {
        "chosen": people,
        "query": query,
        "results": invitee_candidates(text=query, exclude=[*exclude, *(p.pk for p in people)]),
        "teams": [(value, label, sizes.get(value, 0)) for value, label in Team.choices],
        "team": state.get("team") or "",
        "picker_done": done,
        "picker_url": reverse("sessions:people")
        + (f"?session={session.pk}" if session is not None else ""),
    }


def _invited_ids(session: Session) -> list[int]:
    return [p.user_id for p in session.participants.all()]


@require(ensure_may_run_sessions)
@require_GET
def people(request: HtmxHttpRequest) -> HttpResponse:
    """The invitee picker as someone searches, picks or adds a team (htmx); for a session's
    "invite more", whoever is invited already is not offered."""
    session = None
    if request.GET.get("session"):
        try:
            session_id = IdField().clean(request.GET["session"])
        except forms.ValidationError as error:
            raise Http404("No such session.") from error
        session = _session_or_404(session_id)
    exclude = _invited_ids(session) if session else [_user(request).pk]
    context = _picker_context(request.GET, exclude=exclude, session=session)
    return render(request, "sessions/partials/invitee_picker.html", context)


# ---------------------------------------------------------------------------------------------
# Scheduling


@require(ensure_may_run_sessions)
@require_http_methods(["GET", "POST"])
def workshop_new(request: HtmxHttpRequest) -> HttpResponse:
    user = _user(request)
    form = WorkshopForm(request.POST or None)
    picker = _picker_context(request.POST, exclude=[user.pk])
    if request.method == "POST" and _picking(request.POST):
        # A picker button without JavaScript: the form again, as typed, with the new choice.
        context = {"form": WorkshopForm(initial=request.POST.dict()), "nav": "sessions", **picker}
        return render(request, "sessions/workshop_form.html", context)
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
            context = {"form": form, "nav": "sessions", **picker}
            return domain_error_response(
                request, error, form=form, template="sessions/workshop_form.html", context=context
            )
        count = session.participants.count() - 1
        messages.success(
            request,
            f"Scheduled “{session.title}”; {count} invite{'s' if count != 1 else ''} sent.",
        )
        return redirect("sessions:detail", session.pk)
    context = {"form": form, "nav": "sessions", **picker}
    return render(request, "sessions/workshop_form.html", context)


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


def _page_context(request: HtmxHttpRequest, session: Session) -> dict[str, Any]:
    """Who is looking and what they may do here: what every part of a session page reads."""
    user = _user(request)
    return {
        "session": session,
        "me": invited(session=session, user=user),
        "organizer": may_run_sessions(user),
        "taking_part": may_take_part(user, session),
        "decider": may_decide(user, session),
        "open": session.status == SessionStatus.SCHEDULED,
        "not_started": timezone.now() < session.starts_at,
        "asked": asked_to_answer(user, session),
        "rsvp_choices": RSVP_ANSWERS,
        "nav": "sessions",
    }


def _review_context(request: HtmxHttpRequest, session: Session) -> dict[str, Any]:
    """What the agenda and each of its items read besides the items themselves."""
    return {
        **_page_context(request, session),
        "dots_left": dots_left(session=session, user=_user(request)),
        "dots_per_person": VOTES_PER_PERSON,
        "title_max": TITLE_MAX,
        "comment_form": CommentForm(),
        "decision_form": DecisionForm(),
        "initiative_options": initiative_menu(),
    }


def _agenda_context(request: HtmxHttpRequest, session: Session) -> dict[str, Any]:
    by_votes = request.GET.get("sort") == "votes"
    return {
        **_review_context(request, session),
        "by_votes": by_votes,
        "agenda": agenda_of(session=session, user=_user(request), by_votes=by_votes),
    }


@require_GET
def session_detail(request: HtmxHttpRequest, session_id: int) -> HttpResponse:
    session = _session_or_404(session_id)
    if session.is_review and request.htmx and request.htmx.target == "agenda":
        # "Sort by votes" and back: only the agenda changes.
        context = _agenda_context(request, session)
        return render(request, "sessions/partials/agenda.html", context)
    if session.is_review:
        context = _agenda_context(request, session)
    else:
        context = {
            **_page_context(request, session),
            "research": research_material(session=session),
            "outcome_form": OutcomeForm(),
            "outcomes": list(session.outcomes.select_related("initiative", "ticket", "created_by")),
        }
    if context["organizer"]:
        context.update(
            when_form=WhenForm(
                initial={
                    "starts_at": timezone.localtime(session.starts_at),
                    "duration_minutes": session.duration_minutes,
                }
            ),
            **_picker_context(QueryDict(), exclude=_invited_ids(session), session=session),
        )
    return render(request, "sessions/session_detail.html", context)


def _parsed(form: forms.Form, message: str = "") -> dict[str, Any]:
    """The form's data, or a refusal that says what is wrong with it (for the control)."""
    if not form.is_valid():
        raise DomainError(message or form_errors_text(form))
    return form.cleaned_data


def _item_answer(
    request: HtmxHttpRequest,
    session: Session,
    item_id: int,
    *,
    control: str,
    done: str = "",
    error: DomainError | None = None,
) -> HttpResponse:
    """One agenda item as it is now, for htmx, with what `control` did beside it, or why not
    (what was typed is kept)."""
    item = agenda_item_of(session=session, user=_user(request), item_id=item_id)
    if item is None:
        raise Http404("No such agenda item.")
    context = {
        **_review_context(request, session),
        "item": item,
        "control": control,
        "done": done,
        "error": error,
        "kept": control if error else "",
        "data": request.POST,
        "tools_open": control != "vote",
        "oob_dots": control == "vote",
    }
    status = error.status if error else 200
    return render(request, "sessions/partials/agenda_item.html", context, status=status)


def _on_item(
    request: HtmxHttpRequest,
    session: Session,
    item: AgendaItem,
    action: Callable[[], object],
    *,
    control: str,
    done: str = "",
) -> HttpResponse:
    """Run one change to an agenda item: htmx gets the item back with the result beside the
    control; a plain post goes back to the page at the item."""
    back = _back_url(session, f"item-{item.pk}")
    try:
        action()
    except DomainError as error:
        if not request.htmx:
            return domain_error_response(request, error, redirect_to=back)
        return _item_answer(request, session, item.pk, control=control, error=error)
    if not request.htmx:
        if done:
            messages.success(request, done)
        return redirect(back)
    return _item_answer(request, session, item.pk, control=control, done=done)


def _agenda_answer(
    request: HtmxHttpRequest, session: Session, *, done: str = "", status: int = 200
) -> HttpResponse:
    context = {**_agenda_context(request, session), "done": done}
    return render(request, "sessions/partials/agenda.html", context, status=status)


@require_POST
def rsvp(request: HtmxHttpRequest, session_id: int) -> HttpResponse:
    session = _session_or_404(session_id)
    user = _user(request)
    answer = ""

    def answer_it() -> None:
        nonlocal answer
        answer = _parsed(RsvpForm(request.POST), "Answer yes, no or maybe.")["rsvp"]
        rsvp_set(session=session, user=user, answer=answer)

    try:
        answer_it()
    except DomainError as error:
        if not request.htmx:
            return domain_error_response(request, error, redirect_to=_back_url(session, "rsvp"))
        context = {**_page_context(request, session), "control": "rsvp", "error": error}
        return render(request, "sessions/partials/rsvp.html", context, status=error.status)
    done = f"You answered {answer}."
    if not request.htmx:
        messages.success(request, done)
        return _back(session, "rsvp")
    fresh = _session_or_404(session.pk)
    context = {**_page_context(request, fresh), "control": "rsvp", "done": done, "oob": True}
    return render(request, "sessions/partials/rsvp_answered.html", context)


@require_POST
def vote(request: HtmxHttpRequest, session_id: int, item_id: int) -> HttpResponse:
    session = _session_or_404(session_id)
    item = _item_or_404(session, item_id)
    user = _user(request)
    if request.POST.get("take_back"):
        return _on_item(
            request, session, item, lambda: vote_remove(item=item, by=user), control="vote"
        )
    return _on_item(request, session, item, lambda: vote_add(item=item, by=user), control="vote")


@require_POST
def comment(request: HtmxHttpRequest, session_id: int, item_id: int) -> HttpResponse:
    session = _session_or_404(session_id)
    item = _item_or_404(session, item_id)

    def add() -> None:
        data = _parsed(CommentForm(request.POST), "Write something to add.")
        item_comment_add(item=item, by=_user(request), body=data["body"], kind=data["kind"])

    return _on_item(request, session, item, add, control="comment", done="Added.")


@require_POST
def decide(request: HtmxHttpRequest, session_id: int, item_id: int) -> HttpResponse:
    session = _session_or_404(session_id)
    item = _item_or_404(session, item_id)

    def record() -> None:
        data = _parsed(DecisionForm(request.POST))
        same_as = None
        if data["same_as"]:
            same_as = ticket_get(ticket_id=data["same_as"])
            if same_as is None:
                raise DomainError(f"There is no ticket #{data['same_as']}.", field="same_as")
        decision_record(
            item=item,
            by=_user(request),
            decision=data["decision"],
            rationale=data["rationale"],
            initiative=data["initiative"],
            title=data["title"],
            same_as=same_as,
        )

    return _on_item(request, session, item, record, control="decide", done="Decision recorded.")


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


@require(ensure_may_run_sessions)
@require_GET
def agenda_search(request: HtmxHttpRequest, session_id: int) -> HttpResponse:
    """Tickets and initiatives to add to the agenda, found by their words or number: the
    results for htmx as someone types, else a page of their own."""
    session = _session_or_404(session_id)
    query = request.GET.get("q", "")[:200].strip()
    context = {
        **_page_context(request, session),
        "query": query,
        "candidates": agenda_candidates(session=session, text=query) if query else None,
    }
    if request.htmx:
        return render(request, "sessions/partials/agenda_results.html", context)
    return render(request, "sessions/agenda_search.html", context)


def _agenda_change(request: HtmxHttpRequest, session: Session) -> HttpResponse:
    """Move an item up or down, or take it off: the agenda comes back; a refusal comes back
    beside the item's buttons."""
    user = _user(request)
    back = _back_url(session, "agenda")
    change = AgendaItemForm(request.POST)
    if not change.is_valid():
        return domain_error_response(
            request, DomainError(form_errors_text(change)), redirect_to=back
        )
    item = _item_or_404(session, change.cleaned_data["item"])
    action = change.cleaned_data["action"]
    try:
        if action == "remove":
            agenda_remove(item=item, by=user)
        else:
            agenda_move(item=item, by=user, step=-1 if action == "up" else 1)
    except DomainError as error:
        if not request.htmx:
            return domain_error_response(request, error, redirect_to=back)
        answer = _item_answer(request, session, item.pk, control="move", error=error)
        return reswap(retarget(answer, f"#item-{item.pk}"), "outerHTML")
    done = f"Took “{item}” off the agenda." if action == "remove" else ""
    if not request.htmx:
        if done:
            messages.success(request, done)
        return redirect(back)
    return _agenda_answer(request, session, done=done)


def _agenda_add(request: HtmxHttpRequest, session: Session) -> HttpResponse:
    """Add a ticket or an initiative picked from the search: the agenda comes back with it; a
    refusal comes back beside the search's results."""
    user = _user(request)

    def add() -> AgendaItem:
        data = _parsed(AgendaAddForm(request.POST), "Pick a ticket or an initiative to add.")
        ticket = initiative = None
        if data["ticket"]:
            ticket = ticket_get(ticket_id=data["ticket"])
            if ticket is None:
                raise DomainError(f"There is no ticket #{data['ticket']}.", field="item")
        elif data["initiative"]:
            initiative = initiative_get(initiative_id=data["initiative"])
            if initiative is None:
                raise DomainError(f"There is no initiative #{data['initiative']}.", field="item")
        return agenda_add(session=session, by=user, ticket=ticket, initiative=initiative)

    try:
        item = add()
    except DomainError as error:
        if not request.htmx:
            return domain_error_response(request, error, redirect_to=_back_url(session, "agenda"))
        query = request.POST.get("q", "")[:200].strip()
        context = {
            **_page_context(request, session),
            "query": query,
            "candidates": agenda_candidates(session=session, text=query) if query else None,
            "error": error,
        }
        answer = render(
            request, "sessions/partials/agenda_results.html", context, status=error.status
        )
        return retarget(answer, "#agenda-search-results")
    done = f"Added “{item}” to the agenda."
    if not request.htmx:
        messages.success(request, done)
        return _back(session, f"item-{item.pk}")
    return _agenda_answer(request, session, done=done)


@require_POST
def agenda_edit(request: HtmxHttpRequest, session_id: int) -> HttpResponse:
    """Add an item picked from the search, or move one up or down, or take it off."""
    session = _session_or_404(session_id)
    if "item" in request.POST:
        return _agenda_change(request, session)
    return _agenda_add(request, session)


@require(ensure_may_run_sessions)
@require_POST
def notes(request: HtmxHttpRequest, session_id: int) -> HttpResponse:
    """Notes on one agenda item (its fragment comes back) or on the session."""
    session = _session_or_404(session_id)
    user = _user(request)
    form = NotesForm(request.POST)
    form.is_valid()
    if request.POST.get("item"):
        # A valid id stays in cleaned_data when only the notes are wrong.
        item_id = form.cleaned_data.get("item")
        if item_id is None:
            error = DomainError(form_errors_text(form), field="item")
            return domain_error_response(request, error, redirect_to=_back_url(session, "notes"))
        item = _item_or_404(session, item_id)
        return _on_item(
            request,
            session,
            item,
            lambda: session_notes_save(
                session=session, by=user, notes=_parsed(form)["notes"], item=item
            ),
            control="notes",
            done="Notes saved.",
        )
    try:
        data = _parsed(form)
        session_notes_save(session=session, by=user, notes=data["notes"])
    except DomainError as error:
        if not request.htmx:
            return domain_error_response(request, error, redirect_to=_back_url(session, "notes"))
        context = {
            **_page_context(request, session),
            "control": "notes",
            "error": error,
            "kept": "notes",
            "data": request.POST,
        }
        return render(request, "sessions/partials/session_notes.html", context, status=error.status)
    if not request.htmx:
        messages.success(request, "Notes saved.")
        return _back(session, "notes")
    context = {**_page_context(request, session), "control": "notes", "done": "Notes saved."}
    return render(request, "sessions/partials/session_notes.html", context)


@require_POST
def close(request: HtmxHttpRequest, session_id: int) -> HttpResponse:
    """Close the session: the page comes back closed, with its summary; a refusal (closing
    before the start without confirming it) stays beside the confirmation."""
    session = _session_or_404(session_id)
    user = _user(request)
    back = _back_url(session)
    try:
        ensure_may_decide(user, session)  # before anything of the request is read
        data = _parsed(CloseForm(request.POST))
        session_close(session=session, by=user, attended=data["attended"], early=data["early"])
    except DomainError as error:
        if not request.htmx:
            return domain_error_response(request, error, redirect_to=back)
        attended = CloseForm(request.POST)
        context = {
            **_page_context(request, session),
            "control": "close",
            "error": error,
            "kept": "close",
            "attended": attended.cleaned_data["attended"] if attended.is_valid() else [],
        }
        return render(request, "sessions/partials/close.html", context, status=error.status)
    messages.success(request, "Closed; the summary went to everyone invited.")
    return HttpResponseClientRedirect(back) if request.htmx else redirect(back)


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
    """Invite the people chosen in the picker; without JavaScript, a picker button shows the
    picker on a page of its own."""
    session = _session_or_404(session_id)
    if _picking(request.POST):
        picker = _picker_context(request.POST, exclude=_invited_ids(session), session=session)
        context = {**_page_context(request, session), **picker}
        return render(request, "sessions/invite.html", context)
    form = InviteForm(request.POST)
    if not form.is_valid() or not form.cleaned_data["invitees"]:
        messages.error(request, form_errors_text(form) or "Pick who to invite.")
        return _back(session, "people")
    users = list(form.cleaned_data["invitees"])
    count = len(users)
    return _attempt(
        request,
        lambda: session_invite(session=session, by=_user(request), users=users),
        f"Invited {count} {'person' if count == 1 else 'people'}; each got the calendar invite.",
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
