from __future__ import annotations

import sys
from typing import Any

from django.core.paginator import Paginator
from django.db import InterfaceError, OperationalError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseServerError,
    JsonResponse,
)
from django.shortcuts import render
from django.template import loader
from django.utils.http import content_disposition_header

from accounts.models import User
from feedbackloop.devmail import (
    sent_attachment,
    sent_get,
    sent_names,
    sent_raw,
    sent_summaries,
)
from feedbackloop.policies import may_read_sent_mail
from insights.policies import may_view_insights
from intake.forms import AnswerForm
from intake.selectors import (
    questions_waiting_on,
    ticket_counts_of,
    tickets_of,
    waiting_for_triage_count,
)
from triage.selectors import initiatives_top


def home(request: HttpRequest) -> HttpResponse:
    """Each role's starting point: what needs doing now, and what to do first when empty."""
    user = request.user
    assert isinstance(user, User)
    context: dict[str, Any] = {"nav": "home"}
    # First what waits on this person: product managers' questions, answered in place.
    waiting = questions_waiting_on(user=user)
    context["waiting"] = waiting
    context["waiting_items"] = [(t, AnswerForm(ticket_id=t.pk)) for t in waiting.tickets]
    context["waiting_more"] = waiting.count - len(waiting.tickets)
    context["my_tickets"] = list(tickets_of(user=user)[:5])
    context["my_counts"] = ticket_counts_of(user=user)
    # The inbox's size and the best-scored initiatives: the first figures of the insights.
    if may_view_insights(user):
        context["waiting"] = waiting_for_triage_count()
        context["top_initiatives"] = initiatives_top(limit=5)
    return render(request, "home.html", context)


DATABASE_UNREACHABLE = "The database is unreachable; nothing was saved. Try again in a moment."


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a lost database connection is a 503 that says so (try again); anything else
    the plain 500 page. Touches no database and uses no context processors, as Django's own."""
    _, exc, _ = sys.exc_info()
    if isinstance(exc, OperationalError | InterfaceError):
        response: HttpResponse
        if request.path_info.startswith("/api/"):
            response = JsonResponse({"detail": DATABASE_UNREACHABLE}, status=503)
        else:
            response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = "30"
        return response
    return HttpResponseServerError(loader.get_template("500.html").render())


# ---------------------------------------------------------------------------------------------
# Sent mail (development only)

SENT_PER_PAGE = 25


def _sent_mail_allowed(request: HttpRequest) -> None:
    """Not found, rather than refused, outside development: production has no such page."""
    if not may_read_sent_mail(request.user):
        raise Http404("No such page.")


def sent_mail(request: HttpRequest) -> HttpResponse:
    """Every message the app wrote instead of sending, newest first."""
    _sent_mail_allowed(request)
    page = Paginator(sent_names(), SENT_PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "sent": sent_summaries(list(page)), "nav": "sent_mail"}
    return render(request, "devmail/sent_list.html", context)


def sent_mail_message(request: HttpRequest, name: str) -> HttpResponse:
    """One message as its recipient sees it: the HTML in a sandboxed frame, the text, the
    headers and the attachments."""
    _sent_mail_allowed(request)
    message = sent_get(name)
    if message is None:
        raise Http404("No such message.")
    # Links open in a new tab: the frame is sandboxed, and this site may not be framed.
    srcdoc = f'<base target="_blank">{message.html}' if message.html else ""
    context = {"message": message, "srcdoc": srcdoc, "nav": "sent_mail"}
    return render(request, "devmail/sent_detail.html", context)


def _download(filename: str, content: bytes, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def sent_mail_attachment(request: HttpRequest, name: str, index: int) -> HttpResponse:
    """An attachment as a download, never shown inline (it is the sender's bytes)."""
    _sent_mail_allowed(request)
    found = sent_attachment(name, index)
    if found is None:
        raise Http404("No such attachment.")
    filename, content = found
    return _download(filename, content, "application/octet-stream")


def sent_mail_raw(request: HttpRequest, name: str) -> HttpResponse:
    """The .eml file itself, to open in a mail program."""
    _sent_mail_allowed(request)
    content = sent_raw(name)
    if content is None:
        raise Http404("No such message.")
    return _download(name, content, "message/rfc822")
