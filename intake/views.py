"""Pages for filing and following tickets; htmx fragments for suggestions and the thread."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from core.db_router import reads_may_lag
from core.errors import DomainError
from core.http import HtmxHttpRequest, domain_error_response, form_errors_text, require
from core.paging import CappedPaginator
from intake.forms import (
    AnswerForm,
    CommentForm,
    CompanyLookupForm,
    CompanyNameForm,
    OntoForm,
    SimilarLookupForm,
    TicketEditForm,
    TicketFilterForm,
    TicketForm,
)
from intake.models import Comment, CommentKind, SourceTeam, Ticket, TicketStatus
from intake.policies import (
    ensure_may_answer,
    ensure_may_comment,
    ensure_may_edit_ticket,
    ensure_may_file_ticket,
    may_answer,
    may_ask,
    may_edit_ticket,
)
from intake.selectors import (
    TicketFilters,
    contact_for_unsubscribe_token,
    customer_search,
    questions_waiting_count,
    ticket_counts_of,
    ticket_get,
    ticket_list,
    tickets_of,
)
from intake.services import (
    comment_add,
    contact_unsubscribe,
    ticket_company_name,
    ticket_create,
    ticket_update,
)
from notifications.selectors import customer_email_for
from triage.models import Initiative, InitiativeStatus
from triage.policies import may_match
from triage.selectors import initiative_get, similar_feedback
from triage.services import initiative_customer_add, initiative_ticket_add, tickets_same_ask

PAGE_SIZE = 25


def _user(request: HtmxHttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _page(request: HtmxHttpRequest, rows: Any) -> Any:
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


def _default_source_team(user: User) -> str:
    return user.team if user.team in SourceTeam.values else SourceTeam.OTHER


@require(ensure_may_file_ticket)
@require_http_methods(["GET", "POST"])
def ticket_new(request: HtmxHttpRequest) -> HttpResponse:
    user = _user(request)
    form = TicketForm(request.POST or None, initial={"source_team": _default_source_team(user)})
    if request.method == "POST" and form.is_valid():
        initiative = waiting = None
        onto = OntoForm(request.POST)
        gone = "That {} no longer exists; file the ticket on its own."
        if not onto.is_valid():
            form.add_error(
                None, gone.format("ticket" if "same_as" in onto.errors else "initiative")
            )
        elif onto.cleaned_data["initiative"]:
            initiative = initiative_get(initiative_id=onto.cleaned_data["initiative"])
            if initiative is None:
                form.add_error(None, gone.format("initiative"))
        elif onto.cleaned_data["same_as"]:
            waiting = ticket_get(ticket_id=onto.cleaned_data["same_as"])
            if waiting is None:
                form.add_error(None, gone.format("ticket"))
        if not form.errors:
            try:
                if initiative is not None:
                    ticket = initiative_customer_add(
                        initiative=initiative, submitted_by=user, **form.cleaned_data
                    )
                elif waiting is not None:
                    ticket = tickets_same_ask(waiting=waiting, by=user, **form.cleaned_data)
                else:
                    ticket = ticket_create(submitted_by=user, **form.cleaned_data)
            except DomainError as error:
                return domain_error_response(
                    request,
                    error,
                    form=form,
                    template="intake/ticket_form.html",
                    context=_ticket_form_context(form),
                )
            messages.success(request, _filed_message(ticket, initiative, waiting))
            return redirect("intake:detail", ticket.pk)
    return render(request, "intake/ticket_form.html", _ticket_form_context(form))


def _filed_message(
    ticket: Ticket, initiative: Initiative | None, waiting: Ticket | None, *, filed: bool = True
) -> str:
    """What the rep reads after filing (or, from a ticket's page, matching) a ticket."""
    if waiting is not None:
        assert ticket.initiative is not None
        said = "Filed as the same ask" if filed else "The same ask"
        return (
            f"{said} as #{waiting.pk}: both count for the new proposed "
            f"“{ticket.initiative.title}”, and its product manager was told."
        )
    if initiative is None:
        return f"Filed “{ticket.title}” for {ticket.customer.name}."
    added = f"Added {ticket.customer.name} to" if filed else "Now counts for"
    if initiative.status == InitiativeStatus.SHIPPED:
        return (
            f"{added} “{initiative.title}”, which already shipped: "
            f"{ticket.contact.email} is being emailed the news now."
        )
    return f"{added} “{initiative.title}”."


def _typed(title: object, description: object) -> str:
    return f"{title or ''} {description or ''}"[:2000]


def _ticket_form_context(form: TicketForm) -> dict[str, Any]:
    text = _typed(form["title"].value(), form["description"].value())
    return {"form": form, "similar": similar_feedback(text=text), "nav": "new"}


@require(ensure_may_file_ticket)
@require_GET
def similar(request: HtmxHttpRequest) -> HttpResponse:
    """Fragment: initiatives and tickets like what is being typed."""
    typed = SimilarLookupForm(request.GET)
    text = ""
    if typed.is_valid():
        text = _typed(typed.cleaned_data["title"], typed.cleaned_data["description"])
    return render(request, "intake/partials/similar.html", {"similar": similar_feedback(text=text)})


@require(ensure_may_file_ticket)
@require_GET
def companies(request: HtmxHttpRequest) -> HttpResponse:
    """Fragment: the <datalist> of companies starting with what is typed."""
    typed = CompanyLookupForm(request.GET)
    found = customer_search(prefix=typed.cleaned_data["company"]) if typed.is_valid() else []
    return render(request, "intake/partials/company_options.html", {"companies": found})


@require_GET
def my_tickets(request: HtmxHttpRequest) -> HttpResponse:
    user = _user(request)
    page = _page(request, tickets_of(user=user))
    return render(request, "intake/my_tickets.html", {"page": page, "nav": "mine"})


@require_GET
@reads_may_lag  # its count scans; whoever just filed a ticket reads the primary (core/db_router.py)
def ticket_index(request: HtmxHttpRequest) -> HttpResponse:
    form = TicketFilterForm(request.GET or None)
    filters = TicketFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = TicketFilters(
            status=data["status"],
            source_team=data["source_team"],
            source=data["source"],
            kind=data["kind"],
            importance=data["importance"],
            product_area=data["product_area"].slug if data["product_area"] else "",
            company=data["company"],
            search=data["q"],
        )
    tickets = ticket_list(filters=filters)
    assert tickets.count is not None
    paginator = CappedPaginator(tickets.rows, PAGE_SIZE, count=tickets.count, cap=tickets.cap)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        # A search matching too many to rank lists them newest first, and says so.
        "unranked": bool(filters.search.strip()) and not tickets.ranked,
        "nav": "tickets",
        "query": query.urlencode(),
    }
    if request.htmx:
        return render(request, "intake/partials/ticket_table.html", context)
    return render(request, "intake/ticket_list.html", context)


def _ticket_or_404(ticket_id: int) -> Ticket:
    ticket = ticket_get(ticket_id=ticket_id)
    if ticket is None:
        raise Http404("No such ticket.")
    return ticket


def _comment_kinds(user: User, ticket: Ticket) -> list[tuple[str, str]]:
    kinds = [(CommentKind.COMMENT.value, "Comment")]
    if may_ask(user, ticket) and ticket.is_untriaged:
        kinds.append((CommentKind.QUESTION.value, "Ask the submitter a question"))
    if may_answer(user, ticket):
        kinds.append((CommentKind.ANSWER.value, "Answer a question"))
    return kinds


def _detail_context(user: User, ticket: Ticket, form: CommentForm | None = None) -> dict[str, Any]:
    kinds = _comment_kinds(user, ticket)
    answering = may_answer(user, ticket)
    initial_kind = (
        CommentKind.ANSWER
        if ticket.status == TicketStatus.NEEDS_INFO and answering
        else CommentKind.COMMENT
    )
    form = form or CommentForm(initial={"kind": initial_kind})
    form.fields["kind"].choices = kinds  # type: ignore[attr-defined]
    matches = None
    if ticket.is_untriaged:
        matches = similar_feedback(
            text=_typed(ticket.title, ticket.description), limit=4, exclude_ticket=ticket.pk
        )
    return {
        "ticket": ticket,
        "matches": matches,
        "may_match": may_match(user, ticket),
        "customer_email": customer_email_for(
            ticket_initiative_id=ticket.initiative_id, contact_id=ticket.contact_id
        ),
        "comment_form": form,
        "may_edit": may_edit_ticket(user, ticket) and ticket.is_untriaged,
        "may_name_company": may_edit_ticket(user, ticket) and ticket.customer.is_unnamed,
        "may_answer": answering,
        "nav": "mine" if user.pk == ticket.submitted_by_id else "tickets",
    }


@require_GET
def ticket_detail(request: HtmxHttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket_or_404(ticket_id)
    return render(request, "intake/ticket_detail.html", _detail_context(_user(request), ticket))


@require(ensure_may_comment)
@require_POST
def ticket_comment(request: HtmxHttpRequest, ticket_id: int) -> HttpResponse:
    user = _user(request)
    ticket = _ticket_or_404(ticket_id)
    form = CommentForm(request.POST)
    form.fields["kind"].choices = _comment_kinds(user, ticket)  # type: ignore[attr-defined]
    template = "intake/partials/thread.html" if request.htmx else "intake/ticket_detail.html"
    # htmx swaps 4xx answers only when told to (see base.html); the page shows the errors.
    if not form.is_valid():
        return render(request, template, _detail_context(user, ticket, form), status=400)
    was = ticket.status
    try:
        comment_add(ticket=ticket, author=user, **form.cleaned_data)
    except DomainError as error:
        context = _detail_context(user, ticket, form)
        return domain_error_response(request, error, form=form, template=template, context=context)
    if not request.htmx:
        messages.success(request, "Added to the thread.")
        return redirect("intake:detail", ticket.pk)
    ticket = _ticket_or_404(ticket_id)
    # A question or an answer moves the ticket: its badge and banner change with the thread.
    context = _detail_context(user, ticket)
    context["state_changed"] = ticket.status != was
    context["answered"] = was == TicketStatus.NEEDS_INFO and ticket.status == TicketStatus.NEW
    return render(request, template, context)


def _latest_question(ticket: Ticket) -> Comment | None:
    """The last question in a ticket's thread (read from its prefetched comments)."""
    questions = [c for c in ticket.comments.all() if c.kind == CommentKind.QUESTION]
    return questions[-1] if questions else None


@require(ensure_may_comment)
@require_POST
def ticket_answer(request: HtmxHttpRequest, ticket_id: int) -> HttpResponse:
    """From the home page's "Waiting on you": the submitter answers a product manager's question
    where it is shown; the ticket goes back to the inbox and the item says so, in place."""
    user = _user(request)
    ticket = _ticket_or_404(ticket_id)
    ensure_may_answer(user, ticket)
    form = AnswerForm(request.POST, ticket_id=ticket.pk)
    template = "intake/partials/waiting_item.html"
    ticket.question = _latest_question(ticket)  # type: ignore[attr-defined]
    context: dict[str, Any] = {"ticket": ticket, "form": form}
    if not form.is_valid():
        if not request.htmx:
            messages.error(request, form_errors_text(form))
            return redirect("home")
        return render(request, template, context, status=400)
    was = ticket.status
    try:
        comment_add(
            ticket=ticket, author=user, body=form.cleaned_data["body"], kind=CommentKind.ANSWER
        )
    except DomainError as error:
        return domain_error_response(
            request, error, form=form, template=template, context=context, redirect_to="/"
        )
    back_in_inbox = was == TicketStatus.NEEDS_INFO and ticket.status == TicketStatus.NEW
    if not request.htmx:
        messages.success(request, f"Answered on “{ticket.title}”.")
        return redirect("home")
    context.update(
        answered=True,
        back_in_inbox=back_in_inbox,
        waiting_count=questions_waiting_count(user=user),
        my_counts=ticket_counts_of(user=user),
    )
    return render(request, template, context)


@require(ensure_may_file_ticket)
@require_POST
def ticket_same_ask(request: HtmxHttpRequest, ticket_id: int) -> HttpResponse:
    """From a waiting ticket's page: it is the same ask as an initiative (open or shipped) or as
    another waiting ticket (an initiative is made of both)."""
    user = _user(request)
    ticket = _ticket_or_404(ticket_id)
    back = reverse("intake:detail", args=[ticket.pk])
    onto = OntoForm(request.POST)
    if not onto.is_valid() or not (onto.cleaned_data["initiative"] or onto.cleaned_data["same_as"]):
        messages.error(request, "Pick the initiative or ticket this is the same ask as.")
        return redirect(back)
    try:
        if onto.cleaned_data["initiative"]:
            initiative = initiative_get(initiative_id=onto.cleaned_data["initiative"])
            if initiative is None:
                raise Http404("No such initiative.")
            initiative_ticket_add(initiative=initiative, ticket=ticket, by=user)
            done = _filed_message(ticket, initiative, None, filed=False)
        else:
            waiting = ticket_get(ticket_id=onto.cleaned_data["same_as"])
            if waiting is None:
                raise Http404("No such ticket.")
            matched = tickets_same_ask(waiting=waiting, ticket=ticket, by=user)
            done = _filed_message(matched, None, waiting, filed=False)
    except DomainError as error:
        return domain_error_response(request, error, redirect_to=back)
    messages.success(request, done)
    return redirect(back)


@require(ensure_may_file_ticket)
@require_http_methods(["GET", "POST"])
def ticket_edit(request: HtmxHttpRequest, ticket_id: int) -> HttpResponse:
    user = _user(request)
    ticket = _ticket_or_404(ticket_id)
    ensure_may_edit_ticket(user, ticket)
    if not ticket.is_untriaged:
        messages.warning(request, "This ticket has been triaged; add a comment instead.")
        return redirect("intake:detail", ticket.pk)
    initial = {
        "title": ticket.title,
        "description": ticket.description,
        "source_team": ticket.source_team,
        "kind": ticket.kind,
        "importance": ticket.importance,
        "revenue_at_stake": ticket.revenue_at_stake,
        "product_area": ticket.product_area.slug if ticket.product_area else None,
        "tags": ", ".join(ticket.tags),
    }
    form = TicketEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            ticket_update(ticket=ticket, by=user, **form.cleaned_data)
        except DomainError as error:
            context = {"form": form, "ticket": ticket, "nav": "mine"}
            return domain_error_response(
                request, error, form=form, template="intake/ticket_edit.html", context=context
            )
        messages.success(request, "Saved your changes.")
        return redirect("intake:detail", ticket.pk)
    return render(
        request, "intake/ticket_edit.html", {"form": form, "ticket": ticket, "nav": "mine"}
    )


@require(ensure_may_file_ticket)
@require_http_methods(["GET", "POST"])
def ticket_company(request: HtmxHttpRequest, ticket_id: int) -> HttpResponse:
    """Name the company of a customer known only by a personal address (an emailed ticket)."""
    user = _user(request)
    ticket = _ticket_or_404(ticket_id)
    ensure_may_edit_ticket(user, ticket)
    if not ticket.customer.is_unnamed:
        messages.info(request, f"This ticket's company is {ticket.customer.name}.")
        return redirect("intake:detail", ticket.pk)
    form = CompanyNameForm(request.POST or None)
    context = {"form": form, "ticket": ticket, "nav": "mine"}
    if request.method == "POST" and form.is_valid():
        try:
            ticket_company_name(ticket=ticket, by=user, company=form.cleaned_data["company"])
        except DomainError as error:
            return domain_error_response(
                request, error, form=form, template="intake/ticket_company.html", context=context
            )
        messages.success(request, f"{ticket.contact.email} is now at {ticket.customer.name}.")
        return redirect("intake:detail", ticket.pk)
    return render(request, "intake/ticket_company.html", context)


@login_not_required
@csrf_exempt  # RFC 8058: mail clients POST the one-click unsubscribe without a CSRF token.
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """No login: GET asks to confirm, POST (from the page or a mail client) unsubscribes."""
    contact = contact_for_unsubscribe_token(token)
    if contact is None:
        return render(request, "intake/unsubscribe.html", {"contact": None}, status=400)
    done = False
    if request.method == "POST":
        contact_unsubscribe(contact=contact)
        done = True
    return render(request, "intake/unsubscribe.html", {"contact": contact, "done": done})
