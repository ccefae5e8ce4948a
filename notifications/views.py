"""The staff notice list: what happened to your tickets and who asked you what."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from notifications.selectors import notices_of
from notifications.services import notices_mark_read


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
