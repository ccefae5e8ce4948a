"""The staff notice list: what happened to your tickets and who asked you what."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from notifications.selectors import notices_of
from notifications.services import (
    contact_for_unsubscribe_token,
    contact_unsubscribe,
    notices_mark_read,
)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@require_GET
def notice_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(notices_of(user=_user(request)), 25).get_page(request.GET.get("page"))
    return render(request, "notifications/notice_list.html", {"page": page, "nav": "notices"})


@require_POST
def notices_read(request: HttpRequest) -> HttpResponse:
    count = notices_mark_read(user=_user(request))
    messages.success(request, f"Marked {count} notice{'s' if count != 1 else ''} read.")
    return redirect("notifications:notices")


@login_not_required
@csrf_exempt  # RFC 8058: mail clients POST the one-click unsubscribe without a CSRF token.
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """No login: GET asks to confirm, POST (from the page or a mail client) unsubscribes."""
    contact = contact_for_unsubscribe_token(token)
    if contact is None:
        return render(request, "notifications/unsubscribe.html", {"contact": None}, status=400)
    done = False
    if request.method == "POST":
        contact_unsubscribe(contact=contact)
        done = True
    return render(request, "notifications/unsubscribe.html", {"contact": contact, "done": done})
