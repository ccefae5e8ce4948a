"""The product managers' pages: the inbox, the board and initiatives.

Inbox actions and board moves answer htmx with the fragment that changed, and plain posts with a
redirect, so every page also works without JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from accounts.models import User
from core.errors import DomainError
from core.http import HtmxHttpRequest, domain_error_response, form_errors_text, require
from core.paging import CappedPaginator, count_shown
from core.text import TEXT_MAX
from intake.models import CommentKind, Ticket
from intake.selectors import ticket_get, tickets_by_id
from intake.services import comment_add
from notifications.selectors import delivery_counts
from notifications.senders import company_from_email
from triage.forms import (
    AskForm,
    BoardFilterForm,
    BoardMoveForm,
    DeclineForm,
    DuplicateForm,
    InboxBulkForm,
    InitiativeForm,
    InitiativeFromTicketForm,
    LinkForm,
    MergeForm,
    MoveForm,
    SameAskForm,
    SnoozeForm,
    ThemeExcludeForm,
    ThemeForm,
    UndoForm,
    WorkItemForm,
)
from triage.models import Initiative, InitiativeStatus
from triage.policies import ensure_may_triage
from triage.selectors import (
    INBOX_COUNT_CAP,
    INBOX_VIEWS,
    BoardFilters,
    board,
    inbox_counts,
    inbox_list,
    initiative_asks,
    initiative_get,
    initiative_history,
    initiative_revenue_at_stake,
    initiative_work_items,
    similar_feedback,
    work_item_get,
)
from triage.services import (
    InboxUndo,
    allowed_moves,
    inbox_undo,
    inbox_undo_after,
    inbox_undo_before,
    initiative_create,
    initiative_decline,
    initiative_merge,
    initiative_move,
    initiative_move_undo,
    initiative_ship,
    initiative_update,
    theme_merge,
    theme_ticket_exclude,
    ticket_decline,
    ticket_initiative_create,
    ticket_link,
    ticket_mark_duplicate,
    ticket_snooze,
    ticket_unlink,
    tickets_bulk_decline,
    tickets_bulk_link,
    tickets_bulk_snooze,
    tickets_same_ask,
)
from triage.shipping import (
    customer_email_context,
    customer_email_render,
    customer_email_subject,
    ship_audience,
)
from triage.themes import Theme, inbox_themes
from triage.tracker import work_item_add, work_item_remove

INBOX_PAGE_SIZE = 20
# Moves that need more than a click: a release note to ship, a reason to decline.
NEEDS_FORM = (InitiativeStatus.SHIPPED, InitiativeStatus.DECLINED)


def _user(request: HtmxHttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _ticket_or_404(ticket_id: int) -> Ticket:
    ticket = ticket_get(ticket_id=ticket_id)
    if ticket is None:
        raise Http404("No such ticket.")
    return ticket


def _initiative_or_404(initiative_id: int) -> Initiative:
    initiative = initiative_get(initiative_id=initiative_id)
    if initiative is None:
        raise Http404("No such initiative.")
    return initiative


# ---------------------------------------------------------------------------------------------
# The inbox


def _count_shown(count: int) -> str:
    """An inbox count as shown: "10,000+" past the cap (triage.selectors.INBOX_COUNT_CAP)."""
    return count_shown(count, INBOX_COUNT_CAP)


def _tabs(counts: dict[str, int]) -> list[tuple[str, str, str]]:
    return [(key, label, _count_shown(counts[key])) for key, (_, label, _) in INBOX_VIEWS.items()]


def _inbox_list_context(data: QueryDict) -> dict[str, Any]:
    """One page of an inbox view, as the list and its bulk bar draw it."""
    view = data.get("view", "waiting")
    if view not in INBOX_VIEWS:
        view = "waiting"
    counts = inbox_counts()
    paginator = CappedPaginator(
        inbox_list(view=view), INBOX_PAGE_SIZE, count=counts[view], cap=INBOX_COUNT_CAP
    )
    page = paginator.get_page(data.get("page"))
    return {
        "page": page,
        "view": view,
        "tabs": _tabs(counts),
        "counts": counts,
        "bulk_form": InboxBulkForm(auto_id="bulk_%s"),
        "query": f"view={view}",
    }


@require(ensure_may_triage)
@require_GET
def inbox(request: HtmxHttpRequest) -> HttpResponse:
    context = _inbox_list_context(request.GET)
    themes: list[Theme] = []
    if context["view"] == "waiting" and context["page"].number == 1:
        themes = inbox_themes()
    context.update({"view_help": INBOX_VIEWS[context["view"]][2], "themes": themes, "nav": "inbox"})
    return render(request, "triage/inbox.html", context)


# The last inbox action that can be taken back, in the product manager's session.
UNDO_KEY = "triage_inbox_undo"


def _undo_keep(request: HtmxHttpRequest, undo: InboxUndo | None) -> None:
    """Remember the action just done as the one to undo; one that cannot be undone (or none)
    forgets the one before, so Undo never takes back an older action than the last."""
    if undo is None:
        request.session.pop(UNDO_KEY, None)
    else:
        request.session[UNDO_KEY] = undo.as_data()


def _inbox_list_answer(
    request: HtmxHttpRequest,
    *,
    done: str = "",
    undo: InboxUndo | None = None,
    error: DomainError | None = None,
    level: int = messages.SUCCESS,
) -> HttpResponse:
    """After a bulk action or an undo: htmx gets the list as it is now (with the message and
    its undo, and fresh counts); a plain post goes back to the inbox with the message."""
    view = request.POST.get("view", "waiting")
    if not request.htmx:
        if error is not None:
            messages.error(request, error.message)
        else:
            messages.add_message(request, level, done)
        return redirect(reverse("triage:inbox") + f"?view={view if view in INBOX_VIEWS else ''}")
    context = {
        **_inbox_list_context(request.POST),
        "done": done,
        "done_level": "success" if level == messages.SUCCESS else "info",
        "undo": undo,
        "error": error,
    }
    status = error.status if error is not None else 200
    return render(request, "triage/partials/inbox_list.html", context, status=status)


def _bulk_link(tickets: list[Ticket], by: User, data: dict[str, Any]) -> str:
    initiative = data["initiative"]
    tickets_bulk_link(tickets=tickets, initiative=initiative, by=by)
    return f"Linked {len(tickets)} ticket{pluralize(len(tickets))} to “{initiative.title}”."


def _bulk_decline(tickets: list[Ticket], by: User, data: dict[str, Any]) -> str:
    tickets_bulk_decline(tickets=tickets, reason=data["reason"], by=by)
    return (
        f"Declined {len(tickets)} ticket{pluralize(len(tickets))}; their submitters were told why."
    )


def _bulk_snooze(tickets: list[Ticket], by: User, data: dict[str, Any]) -> str:
    tickets_bulk_snooze(tickets=tickets, until=data["until"], by=by)
    return (
        f"Snoozed {len(tickets)} ticket{pluralize(len(tickets))} until {data['until']:%b %-d, %Y}."
    )


BULK_ACTIONS: dict[str, Callable[[list[Ticket], User, dict[str, Any]], str]] = {
    "link": _bulk_link,
    "decline": _bulk_decline,
    "snooze": _bulk_snooze,
}


@require(ensure_may_triage)
@require_POST
def inbox_bulk(request: HtmxHttpRequest) -> HttpResponse:
    """The ticked tickets linked, declined or snoozed together: one transaction, all or none."""
    user = _user(request)
    form = InboxBulkForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError(form_errors_text(form), field="tickets")
        data = form.cleaned_data
        tickets = tickets_by_id(ticket_ids=data["tickets"])
        if len(tickets) != len(set(data["tickets"])):
            raise DomainError(
                "A ticket picked no longer exists; reload the inbox.", code="conflict"
            )
        before = inbox_undo_before(tickets=tickets)
        done = BULK_ACTIONS[data["action"]](tickets, user, data)
    except DomainError as error:
        return _inbox_list_answer(request, error=error)
    undo = inbox_undo_after(before=before, done=done)
    _undo_keep(request, undo)
    return _inbox_list_answer(request, done=done, undo=undo)


@require(ensure_may_triage)
@require_POST
def inbox_undo_view(request: HtmxHttpRequest) -> HttpResponse:
    """Take back the last inbox action: its tickets wait in the inbox again."""
    user = _user(request)
    undo = InboxUndo.from_data(request.session.get(UNDO_KEY))
    if undo is None:
        # Already undone, or the last action was one that is not (asking, a new initiative).
        return _inbox_list_answer(request, done="There is nothing to undo.", level=messages.INFO)
    try:
        tickets = inbox_undo(undo=undo, by=user)
    except DomainError as error:
        return _inbox_list_answer(request, error=error)
    request.session.pop(UNDO_KEY, None)
    if len(tickets) == 1:
        done = f"Undone: “{tickets[0].title}” is back in the inbox."
    else:
        done = f"Undone: {len(tickets)} tickets are back in the inbox."
    return _inbox_list_answer(request, done=done)


def _text(ticket: Ticket) -> str:
    return f"{ticket.title} {ticket.description}"[:2000]


def _link_context(ticket: Ticket) -> dict[str, Any]:
    matches = similar_feedback(text=_text(ticket), limit=4, exclude_ticket=ticket.pk)
    return {"suggestions": matches.initiatives, "same_asks": matches.tickets}


def _duplicate_context(ticket: Ticket) -> dict[str, Any]:
    similar = similar_feedback(text=_text(ticket), limit=4, exclude_ticket=ticket.pk)
    return {"suggestions": similar.tickets}


def _do_link(ticket: Ticket, by: User, data: dict[str, Any]) -> str:
    initiative = data["initiative"]
    ticket_link(ticket=ticket, initiative=initiative, by=by)
    if initiative.status == InitiativeStatus.SHIPPED:
        return f"Linked to “{initiative.title}”, which shipped: {ticket.customer.name} is told now."
    return f"Linked to “{initiative.title}”."


def _do_same(ticket: Ticket, by: User, data: dict[str, Any]) -> str:
    waiting = ticket_get(ticket_id=data["same_as"])
    if waiting is None:
        raise DomainError(f"There is no ticket #{data['same_as']}.", field="same_as")
    initiative = tickets_same_ask(waiting=waiting, ticket=ticket, by=by).initiative
    assert initiative is not None
    return f"The same ask as #{waiting.pk}: both count for the new proposed “{initiative.title}”."


def _do_create(ticket: Ticket, by: User, data: dict[str, Any]) -> str:
    initiative = ticket_initiative_create(ticket=ticket, by=by, **data)
    return f"Created “{initiative.title}” and linked this ticket to it."


def _do_duplicate(ticket: Ticket, by: User, data: dict[str, Any]) -> str:
    original = ticket_get(ticket_id=data["of"])
    if original is None:
        raise DomainError(f"There is no ticket #{data['of']}.", field="of")
    ticket_mark_duplicate(ticket=ticket, of=original, by=by)
    return f"Marked a duplicate of #{original.pk} “{original.title}”."


def _do_decline(ticket: Ticket, by: User, data: dict[str, Any]) -> str:
    ticket_decline(ticket=ticket, by=by, reason=data["reason"])
    return f"Declined; {ticket.submitted_by.display_name} was told why."


def _do_ask(ticket: Ticket, by: User, data: dict[str, Any]) -> str:
    comment_add(ticket=ticket, author=by, body=data["body"], kind=CommentKind.QUESTION)
    return f"Asked {ticket.submitted_by.display_name}; it waits under “Asked” until they answer."


def _do_snooze(ticket: Ticket, by: User, data: dict[str, Any]) -> str:
    ticket_snooze(ticket=ticket, by=by, until=data["until"])
    return f"Snoozed until {data['until']:%b %-d, %Y}."


InboxAction = tuple[
    str,
    type[forms.Form],
    Callable[[Ticket, User, dict[str, Any]], str],
    Callable[[Ticket], dict[str, Any]] | None,
]

INBOX_ACTIONS: dict[str, InboxAction] = {
    "link": ("Link to an initiative", LinkForm, _do_link, _link_context),
    "create": ("New initiative", InitiativeFromTicketForm, _do_create, None),
    "duplicate": ("Mark duplicate", DuplicateForm, _do_duplicate, _duplicate_context),
    "same": ("Same ask as a waiting ticket", SameAskForm, _do_same, _duplicate_context),
    "decline": ("Decline", DeclineForm, _do_decline, None),
    "ask": ("Ask the submitter", AskForm, _do_ask, None),
    "snooze": ("Snooze", SnoozeForm, _do_snooze, None),
}


def _undoable(action: str, data: dict[str, Any]) -> bool:
    """Whether an inbox action can be taken back: a link (unless the initiative shipped, when
    its customer is emailed at once), a decline, a snooze or a duplicate."""
    if action == "link":
        return bool(data["initiative"].status != InitiativeStatus.SHIPPED)
    return action in ("decline", "snooze", "duplicate")


def _initial(action: str, ticket: Ticket) -> dict[str, Any]:
    if action == "create":
        return {
            "title": ticket.title,
            "description": ticket.description,
            "product_area": ticket.product_area.slug if ticket.product_area else None,
        }
    return {}


@require(ensure_may_triage)
@require_http_methods(["GET", "POST"])
def inbox_action(request: HtmxHttpRequest, ticket_id: int, action: str) -> HttpResponse:
    """One triage action on one inbox ticket: GET shows its form, POST does it."""
    user = _user(request)
    ticket = _ticket_or_404(ticket_id)
    if not action:
        # Cancel: the ticket as it is in the inbox, without a form open.
        if not request.htmx:
            return redirect("triage:inbox")
        return render(request, "triage/partials/inbox_item.html", {"ticket": ticket})
    if action not in INBOX_ACTIONS:
        raise Http404("No such action.")
    label, form_class, do, extra = INBOX_ACTIONS[action]
    form = form_class(request.POST or None, initial=_initial(action, ticket))
    context: dict[str, Any] = {
        "ticket": ticket,
        "action": action,
        "action_label": label,
        "form": form,
        "nav": "inbox",
        **(extra(ticket) if extra else {}),
    }
    template = "triage/partials/inbox_item.html" if request.htmx else "triage/inbox_action.html"
    if request.method != "POST":
        return render(request, template, context)
    if not form.is_valid():
        return render(request, template, context, status=400)
    before = inbox_undo_before(tickets=[ticket]) if _undoable(action, form.cleaned_data) else []
    try:
        done = do(ticket, user, form.cleaned_data)
    except DomainError as error:
        return domain_error_response(request, error, form=form, template=template, context=context)
    undo = inbox_undo_after(before=before, done=done)
    _undo_keep(request, undo)
    if not request.htmx:
        messages.success(request, f"“{ticket.title}”: {done}")
        return redirect(reverse("triage:inbox") + "?" + request.GET.urlencode())
    done_context = {"ticket": ticket, "done": done, "undo": undo, "tabs": _tabs(inbox_counts())}
    return render(request, "triage/partials/inbox_done.html", done_context)


# ---------------------------------------------------------------------------------------------
# Themes in the inbox


def _themes_answer(
    request: HtmxHttpRequest,
    done: str,
    merged: list[Ticket] | None = None,
    made: Initiative | None = None,
) -> HttpResponse:
    """After a theme action: htmx gets the themes as they are now (and the merged tickets'
    rows done, and fresh counts); a plain post goes back to the inbox."""
    if not request.htmx:
        messages.success(request, done)
        return redirect("triage:inbox")
    context = {
        "themes": inbox_themes(),
        "done": done,
        "merged": merged or [],
        "made": made,
        "tabs": _tabs(inbox_counts()),
    }
    return render(request, "triage/partials/themes_done.html", context)


def _themes_refused(request: HtmxHttpRequest, error: DomainError) -> HttpResponse:
    context = {"themes": inbox_themes()}
    return domain_error_response(
        request,
        error,
        template="triage/partials/themes.html",
        context=context,
        redirect_to=reverse("triage:inbox"),
    )


@require(ensure_may_triage)
@require_POST
def theme_merge_view(request: HtmxHttpRequest) -> HttpResponse:
    """A theme's one action: its tickets become one new initiative, or all join the one
    suggested for them."""
    user = _user(request)
    form = ThemeForm(request.POST)
    if not form.is_valid():
        return _themes_refused(request, DomainError(form_errors_text(form), field="tickets"))
    data = form.cleaned_data
    tickets = tickets_by_id(ticket_ids=data["tickets"])
    if len(tickets) != len(data["tickets"]):
        raise Http404("No such ticket.")
    initiative = None
    if data["initiative"]:
        initiative = _initiative_or_404(data["initiative"])
    try:
        target = theme_merge(tickets=tickets, by=user, title=data["title"], initiative=initiative)
    except DomainError as error:
        return _themes_refused(request, error)
    verb = "Linked" if initiative is not None else "Made one initiative of"
    done = f"{verb} {len(tickets)} tickets: “{target.title}” ({target.score_explanation})."
    return _themes_answer(request, done, tickets, target)


@require(ensure_may_triage)
@require_POST
def theme_exclude_view(request: HtmxHttpRequest) -> HttpResponse:
    """Take a ticket out of the themes: it is not grouped again and stays in the inbox."""
    user = _user(request)
    form = ThemeExcludeForm(request.POST)
    if not form.is_valid():
        return _themes_refused(request, DomainError("Pick the ticket to take out.", field="ticket"))
    ticket = _ticket_or_404(form.cleaned_data["ticket"])
    try:
        theme_ticket_exclude(ticket=ticket, by=user)
    except DomainError as error:
        return _themes_refused(request, error)
    return _themes_answer(request, f"Took #{ticket.pk} “{ticket.title}” out of the themes.")


# ---------------------------------------------------------------------------------------------
# The board


def _board_filters(data: QueryDict) -> tuple[BoardFilterForm, BoardFilters]:
    form = BoardFilterForm(data or None)
    if form.is_valid():
        values = form.cleaned_data
        area = values["product_area"]
        return form, BoardFilters(
            period=values["period"] or "all",
            source_team=values["source_team"],
            product_area=area.slug if area else "",
            segment=values["segment"],
        )
    return form, BoardFilters()


def _board_context(filters: BoardFilters, **extra: Any) -> dict[str, Any]:
    return {"columns": board(filters=filters), **extra}


def _menu_form(initiative: Initiative | None = None) -> MoveForm:
    """The move menu's fields: one shared by every card on the board (filled in by the card
    that opens it), or one initiative's on its own move page."""
    initial = {"version": initiative.version} if initiative else {}
    return MoveForm(initial=initial, auto_id="move_%s")


@require(ensure_may_triage)
@require_GET
def board_page(request: HtmxHttpRequest) -> HttpResponse:
    form, filters = _board_filters(request.GET)
    if request.htmx and request.htmx.target == "board":
        return render(request, "triage/partials/board.html", _board_context(filters))
    context = {
        "form": form,
        "nav": "board",
        "menu": _menu_form(),
        "statuses": list(InitiativeStatus),
        **_board_context(filters),
    }
    return render(request, "triage/board.html", context)


class UnshipUnconfirmed(Exception):
    """A move out of Shipped that nobody confirmed: the un-ship page asks first."""


def _move(initiative: Initiative, by: User, data: dict[str, Any]) -> tuple[Initiative, str]:
    """The move the menu or a button asked for, through the service that owns it (shipping
    with its release note, declining with its reason); returns the initiative and what to say."""
    target = data["status"]
    if target == InitiativeStatus.SHIPPED:
        audience = ship_audience(initiative=initiative)
        moved = initiative_ship(
            initiative=initiative,
            by=by,
            release_note=data["release_note"],
            version=data["version"],
        )
        told = (
            f"{audience.told} customer contact{pluralize(audience.told)} "
            f"{pluralize(audience.told, 'is,are')} being emailed"
        )
        if audience.already_told:
            told += f"; {audience.already_told} told before are not emailed again"
        return moved, f"Shipped “{moved.title}”: {told}."
    if target == InitiativeStatus.DECLINED:
        moved = initiative_decline(
            initiative=initiative,
            by=by,
            reason=data["decline_reason"],
            version=data["version"],
        )
        return moved, f"Declined “{moved.title}”."
    if initiative.status == InitiativeStatus.SHIPPED and not data["unship"]:
        raise UnshipUnconfirmed
    moved = initiative_move(initiative=initiative, by=by, status=target, version=data["version"])
    if initiative.status == InitiativeStatus.SHIPPED:
        return moved, f"Un-shipped “{moved.title}”: it is in progress again."
    return moved, f"Moved “{moved.title}” to {moved.get_status_display().lower()}."


def _board_answer(request: HtmxHttpRequest, **extra: Any) -> HttpResponse:
    """The board as the filters the request carries show it, with a message (and its undo)."""
    _, filters = _board_filters(request.POST)
    return render(request, "triage/partials/board.html", _board_context(filters, **extra))


def _move_refused(
    request: HtmxHttpRequest, error: DomainError, on_board: bool, back: str
) -> HttpResponse:
    """A refused move: in the board's menu, beside the field it is about (a conflict redraws
    the board as it is now); elsewhere the page the move came from, with the message."""
    if not (request.htmx and on_board):
        return domain_error_response(request, error, redirect_to=back)
    if error.code == "conflict":
        return domain_error_response(
            request,
            error,
            template="triage/partials/board.html",
            context=_board_context(_board_filters(request.POST)[1]),
        )
    response = render(request, "triage/partials/move_error.html", {"error": error}, status=400)
    return reswap(retarget(response, "#move-error"), "innerHTML")


def _came_from(request: HtmxHttpRequest, initiative: Initiative) -> tuple[bool, str]:
    """Whether a move came from the board, and the page to go back to."""
    if request.POST.get("from") == "board":
        return True, reverse("triage:board")
    return False, reverse("triage:initiative", args=[initiative.pk])


def _move_answer(request: HtmxHttpRequest, initiative: Initiative, form: MoveForm) -> HttpResponse:
    """Do a move from the board's menu or an initiative's page and answer where it came from:
    the board redrawn with the move confirmed and its undo, or the page with a message."""
    user = _user(request)
    on_board, back = _came_from(request, initiative)
    status_url = reverse("triage:status", args=[initiative.pk])
    try:
        if not form.is_valid():
            raise DomainError("Pick a status to move it to.", field="status")
        data = form.cleaned_data
        if (
            not on_board
            and data["status"] in NEEDS_FORM
            and not (data["release_note"] or data["decline_reason"])
        ):
            # A button without the note's field: the ship or decline page asks for it.
            url = f"{status_url}?to={data['status']}"
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
        moved, done = _move(initiative, user, data)
    except UnshipUnconfirmed:
        url = f"{status_url}?to={InitiativeStatus.IN_PROGRESS}"
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    except DomainError as error:
        return _move_refused(request, error, on_board, back)
    if request.htmx and on_board:
        undo = moved if moved.status != InitiativeStatus.SHIPPED else None
        return _board_answer(request, done=done, undo=undo, moved=moved)
    messages.success(request, done)
    return redirect(back)


@require(ensure_may_triage)
@require_POST
def board_move(request: HtmxHttpRequest) -> HttpResponse:
    """The board's one move menu: the card that opened it names the initiative."""
    form = BoardMoveForm(request.POST)
    initiative_id = form.data.get("initiative", "")
    initiative = initiative_get(initiative_id=initiative_id) if initiative_id.isdigit() else None
    if initiative is None:
        raise Http404("No such initiative.")
    return _move_answer(request, initiative, form)


@require(ensure_may_triage)
@require_http_methods(["GET", "POST"])
def initiative_move_view(request: HtmxHttpRequest, initiative_id: int) -> HttpResponse:
    """GET: one initiative's move menu on a page of its own (the board's menu without
    JavaScript). POST: a status button on the initiative's page."""
    initiative = _initiative_or_404(initiative_id)
    if request.method == "POST":
        return _move_answer(request, initiative, MoveForm(request.POST))
    context = {
        "initiative": initiative,
        "menu": _menu_form(initiative),
        "statuses": allowed_moves(initiative.status),
        "nav": "board",
    }
    return render(request, "triage/initiative_move.html", context)


@require(ensure_may_triage)
@require_POST
def initiative_undo_view(request: HtmxHttpRequest, initiative_id: int) -> HttpResponse:
    """The board's "Undo": the initiative goes back to where it was before its last move."""
    user = _user(request)
    initiative = _initiative_or_404(initiative_id)
    form = UndoForm(request.POST)
    on_board, back = _came_from(request, initiative)
    try:
        if not form.is_valid():
            raise DomainError("This undo is out of date; reload the board.", code="conflict")
        moved = initiative_move_undo(
            initiative=initiative, by=user, version=form.cleaned_data["version"]
        )
    except DomainError as error:
        if request.htmx and on_board:
            return domain_error_response(
                request,
                error,
                template="triage/partials/board.html",
                context=_board_context(_board_filters(request.POST)[1]),
            )
        return domain_error_response(request, error, redirect_to=back)
    done = f"Undone: “{moved.title}” is {moved.get_status_display().lower()} again."
    if request.htmx and on_board:
        return _board_answer(request, done=done, moved=moved)
    messages.success(request, done)
    return redirect(back)


@require(ensure_may_triage)
@require_GET
def ship_audience_view(request: HtmxHttpRequest, initiative_id: int) -> HttpResponse:
    """Fragment: who shipping this initiative emails, for the board's move menu."""
    initiative = _initiative_or_404(initiative_id)
    context = {"audience": ship_audience(initiative=initiative), "initiative": initiative}
    return render(request, "triage/partials/ship_audience.html", context)


def _status_form(initiative: Initiative, target: str, data: QueryDict | None) -> MoveForm:
    """The ship or decline form, with the one field that move needs made required."""
    initial: dict[str, Any] = {"status": target, "version": initiative.version}
    if target == InitiativeStatus.SHIPPED:
        # Shipping again keeps its note; work done in the tracker drafted one (triage.tracker).
        initial["release_note"] = initiative.release_note or initiative.release_note_draft
    form = MoveForm(data, initial=initial)
    needed = "release_note" if target == InitiativeStatus.SHIPPED else "decline_reason"
    form.fields[needed].required = True
    form.fields[needed].error_messages["required"] = (
        "A release note is required."
        if target == InitiativeStatus.SHIPPED
        else "A reason for declining is required."
    )
    return form


def _unship_page(request: HtmxHttpRequest, initiative: Initiative) -> HttpResponse:
    """Before a shipped initiative moves back: what un-shipping does to the emails sent."""
    context = {
        "initiative": initiative,
        "deliveries": delivery_counts(initiative_id=initiative.pk),
        "nav": "board",
    }
    return render(request, "triage/initiative_unship.html", context)


@require(ensure_may_triage)
@require_http_methods(["GET", "POST"])
def initiative_status(request: HtmxHttpRequest, initiative_id: int) -> HttpResponse:
    """Ship (with a release note and who will be told) or decline (with a reason); for a
    shipped initiative moving back, the page that asks first."""
    user = _user(request)
    initiative = _initiative_or_404(initiative_id)
    target = request.POST.get("status") or request.GET.get("to", "")
    if (
        target == InitiativeStatus.IN_PROGRESS
        and request.method == "GET"
        and initiative.status == InitiativeStatus.SHIPPED
    ):
        return _unship_page(request, initiative)
    if target not in NEEDS_FORM:
        raise Http404("Only shipping, declining and un-shipping need this page.")
    form = _status_form(initiative, target, request.POST or None)
    refusal: DomainError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            _moved, done = _move(initiative, user, {**form.cleaned_data, "unship": False})
        except DomainError as error:
            refusal = error
        else:
            messages.success(request, done)
            return redirect("triage:initiative", initiative.pk)
    context: dict[str, Any] = {
        "initiative": initiative,
        "form": form,
        "target": InitiativeStatus(target),
        "allowed": target in allowed_moves(initiative.status),
        "nav": "board",
    }
    if target == InitiativeStatus.SHIPPED:
        form.fields["release_note"].widget.attrs.update(
            {
                "hx-post": reverse("triage:preview", args=[initiative.pk]),
                "hx-trigger": "input changed delay:500ms",
                "hx-target": "#ship-preview",
            }
        )
        note = form["release_note"].value() or ""
        context.update(_ship_preview_context(initiative, note))
    if refusal is not None:
        return domain_error_response(
            request, refusal, form=form, template="triage/initiative_status.html", context=context
        )
    return render(
        request, "triage/initiative_status.html", context, status=400 if form.errors else 200
    )


def _ship_preview_context(initiative: Initiative, release_note: str) -> dict[str, Any]:
    audience = ship_audience(initiative=initiative)
    preview = None
    if audience.sample is not None:
        contact, tickets = audience.sample
        context = customer_email_context(
            initiative=initiative,
            contact=contact,
            tickets=tickets,
            release_note=release_note.strip() or "(Your release note goes here.)",
        )
        _text, html = customer_email_render(context)
        preview = {
            "to": contact,
            "from_email": company_from_email(),
            "rep": context["rep"],
            "subject": customer_email_subject(initiative),
            "html": html,
        }
    return {"audience": audience, "preview": preview, "note_typed": bool(release_note.strip())}


@require(ensure_may_triage)
@require_POST
def ship_preview(request: HtmxHttpRequest, initiative_id: int) -> HttpResponse:
    """Fragment: the customer email as it reads with the release note being typed (and, once
    one is typed, the "release note is required" message gone)."""
    initiative = _initiative_or_404(initiative_id)
    note = request.POST.get("release_note", "")[:TEXT_MAX]
    context = _ship_preview_context(initiative, note)
    return render(request, "triage/partials/ship_preview.html", context)


# ---------------------------------------------------------------------------------------------
# Initiatives


def _initiative_form_initial(initiative: Initiative) -> dict[str, Any]:
    return {
        "title": initiative.title,
        "description": initiative.description,
        "product_area": initiative.product_area.slug if initiative.product_area else None,
        "owner": initiative.owner_id,
        "effort": initiative.effort,
    }


@require(ensure_may_triage)
@require_http_methods(["GET", "POST"])
def initiative_new(request: HtmxHttpRequest) -> HttpResponse:
    user = _user(request)
    form = InitiativeForm(request.POST or None, initial={"owner": user.pk})
    if request.method == "POST" and form.is_valid():
        try:
            initiative = initiative_create(by=user, **form.cleaned_data)
        except DomainError as error:
            context = {"form": form, "nav": "board"}
            return domain_error_response(
                request, error, form=form, template="triage/initiative_form.html", context=context
            )
        messages.success(request, f"Proposed “{initiative.title}”.")
        return redirect("triage:initiative", initiative.pk)
    return render(request, "triage/initiative_form.html", {"form": form, "nav": "board"})


@require(ensure_may_triage)
@require_http_methods(["GET", "POST"])
def initiative_edit(request: HtmxHttpRequest, initiative_id: int) -> HttpResponse:
    user = _user(request)
    initiative = _initiative_or_404(initiative_id)
    form = InitiativeForm(request.POST or None, initial=_initiative_form_initial(initiative))
    context = {"form": form, "initiative": initiative, "nav": "board"}
    if request.method == "POST" and form.is_valid():
        try:
            initiative_update(initiative=initiative, by=user, **form.cleaned_data)
        except DomainError as error:
            return domain_error_response(
                request, error, form=form, template="triage/initiative_form.html", context=context
            )
        messages.success(request, "Saved.")
        return redirect("triage:initiative", initiative.pk)
    return render(request, "triage/initiative_form.html", context)


@require_GET
def initiative_detail(request: HtmxHttpRequest, initiative_id: int) -> HttpResponse:
    """Anyone on staff may read an initiative; only product managers see its controls."""
    initiative = _initiative_or_404(initiative_id)
    asks_page, asks = initiative_asks(initiative=initiative, page=request.GET.get("page"))
    context = {
        "initiative": initiative,
        "asks_page": asks_page,
        "asks": asks,
        "history": initiative_history(initiative=initiative),
        "at_stake": initiative_revenue_at_stake(initiative=initiative),
        "moves": allowed_moves(initiative.status),
        "merge_form": MergeForm(exclude=initiative.pk),
        "deliveries": delivery_counts(initiative_id=initiative.pk),
        "work_items": initiative_work_items(initiative=initiative),
        "work_item_form": WorkItemForm(),
        "nav": "board",
    }
    return render(request, "triage/initiative_detail.html", context)


@require(ensure_may_triage)
@require_POST
def work_item_add_view(request: HtmxHttpRequest, initiative_id: int) -> HttpResponse:
    """Link an issue or pull request in the tracker to the initiative."""
    initiative = _initiative_or_404(initiative_id)
    back = reverse("triage:initiative", args=[initiative.pk]) + "#work"
    form = WorkItemForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(back)
    try:
        item = work_item_add(initiative=initiative, by=_user(request), url=form.cleaned_data["url"])
    except DomainError as error:
        return domain_error_response(request, error, redirect_to=back)
    messages.success(request, f"Linked {item.get_tracker_display()} {item.key}.")
    return redirect(back)


@require(ensure_may_triage)
@require_POST
def work_item_remove_view(
    request: HtmxHttpRequest, initiative_id: int, work_item_id: int
) -> HttpResponse:
    initiative = _initiative_or_404(initiative_id)
    item = work_item_get(initiative=initiative, work_item_id=work_item_id)
    if item is None:
        raise Http404("No such work item.")
    work_item_remove(work_item=item, by=_user(request))
    messages.success(request, f"Unlinked {item.get_tracker_display()} {item.key}.")
    return redirect(reverse("triage:initiative", args=[initiative.pk]) + "#work")


@require(ensure_may_triage)
@require_POST
def initiative_merge_view(request: HtmxHttpRequest, initiative_id: int) -> HttpResponse:
    user = _user(request)
    initiative = _initiative_or_404(initiative_id)
    form = MergeForm(request.POST, exclude=initiative.pk)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect("triage:initiative", initiative.pk)
    try:
        target = initiative_merge(initiative=initiative, into=form.cleaned_data["into"], by=user)
    except DomainError as error:
        back = reverse("triage:initiative", args=[initiative.pk])
        return domain_error_response(request, error, redirect_to=back)
    messages.success(request, f"Merged “{initiative.title}” into “{target.title}”.")
    return redirect("triage:initiative", target.pk)


@require(ensure_may_triage)
@require_POST
def ticket_unlink_view(
    request: HtmxHttpRequest, initiative_id: int, ticket_id: int
) -> HttpResponse:
    user = _user(request)
    initiative = _initiative_or_404(initiative_id)
    ticket = _ticket_or_404(ticket_id)
    if ticket.initiative_id != initiative.pk:
        messages.error(request, f"“{ticket.title}” is not on this initiative any more.")
    else:
        try:
            ticket_unlink(ticket=ticket, by=user)
        except DomainError as error:
            back = reverse("triage:initiative", args=[initiative.pk])
            return domain_error_response(request, error, redirect_to=back)
        messages.success(request, f"Unlinked “{ticket.title}”; it is back in the inbox.")
    return redirect("triage:initiative", initiative.pk)
