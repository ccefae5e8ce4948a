"""The staff notice list: what happened to your tickets and who asked you what."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from core.choices import any_of
from core.errors import DomainError
from core.http import domain_error_response, require
from notifications import channels, registry
from notifications.models import DeliveryStatus, Notification, NotificationKind
from notifications.policies import (
    ensure_may_manage_channels,
    ensure_may_retry_delivery,
    ensure_may_view_deliveries,
)
from notifications.selectors import (
    deliveries,
    delivery_counts,
    delivery_initiative,
    notice_of,
    notices_of,
)
from notifications.services import (
    channel_test_send,
    email_preferences_set,
    notice_mark_read,
    notices_mark_read,
    notification_retry,
)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@require_GET
def notice_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(notices_of(user=_user(request)), 25).get_page(request.GET.get("page"))
    return render(request, "notifications/notice_list.html", {"page": page, "nav": "notices"})


@require_GET
def notice_open(request: HttpRequest, notice_id: int) -> HttpResponse:
    """Follow a notice (from the list or its email): it is read now, and the count drops."""
    notice = notice_of(user=_user(request), notice_id=notice_id)
    if notice is None:
        raise Http404("No such notice.")
    notice_mark_read(notice=notice)
    # Only a path on this site: a notice's url is ours, but a redirect is checked all the same.
    if notice.url.startswith("/") and url_has_allowed_host_and_scheme(
        notice.url, allowed_hosts={request.get_host()}
    ):
        return redirect(notice.url)
    return redirect("notifications:notices")


@require_POST
def notices_read(request: HttpRequest) -> HttpResponse:
    count = notices_mark_read(user=_user(request))
    messages.success(request, f"Marked {count} notice{'s' if count != 1 else ''} read.")
    return redirect("notifications:notices")


class DeliveryFilterForm(forms.Form):
    initiative = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    status = forms.ChoiceField(choices=any_of(DeliveryStatus.choices), required=False)
    kind = forms.ChoiceField(choices=any_of(NotificationKind.choices), required=False)


@require(ensure_may_view_deliveries)
@require_GET
def delivery_log(request: HttpRequest) -> HttpResponse:
    """Who was told what and when: every email (and message on another channel, such as
    Slack), its status, attempts and last error."""
    form = DeliveryFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {
            "initiative_id": form.cleaned_data["initiative"],
            "status": form.cleaned_data["status"],
            "kind": form.cleaned_data["kind"],
        }
    page = Paginator(deliveries(**filters), 50).get_page(request.GET.get("page"))
    for row in page:
        row.channel = registry.channel_of(row.kind)  # type: ignore[attr-defined]
    initiative = None
    if filters.get("initiative_id"):
        initiative = delivery_initiative(initiative_id=filters["initiative_id"])
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "initiative": initiative,
        "counts": delivery_counts(initiative_id=initiative.pk) if initiative else None,
        "query": query.urlencode(),
        "nav": "deliveries",
    }
    return render(request, "notifications/delivery_log.html", context)


@require(ensure_may_retry_delivery)
@require_POST
def delivery_retry(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification = Notification.objects.filter(pk=notification_id).first()
    if notification is None:
        raise Http404("No such delivery.")
    back = request.POST.get("next", "")
    # Only a path on this site: "0" or "deliveries" would be taken for a view's name.
    if not back.startswith("/") or not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}
    ):
        back = reverse("notifications:deliveries")
    try:
        notification_retry(notification=notification, by=_user(request))
    except DomainError as error:
        return domain_error_response(request, error, redirect_to=back)
    messages.success(request, f"Sending to {notification.recipient_email} again.")
    return redirect(back)


@require_http_methods(["GET", "POST"])
def email_settings(request: HttpRequest) -> HttpResponse:
    """Each person chooses which notices also come by email; the in-app list always has them.
    The form sits on the account page, with the rest of what is theirs; this saves it."""
    account = reverse("people:account") + "#email-settings"
    if request.method == "POST":
        staff_kinds = registry.staff_notice_kinds()
        emailed = {kind for kind in request.POST.getlist("emailed") if kind in staff_kinds}
        email_preferences_set(user=_user(request), emailed=emailed)
        messages.success(request, "Saved your email settings.")
    return redirect(account)


@require(ensure_may_manage_channels)
@require_GET
def channel_list(request: HttpRequest) -> HttpResponse:
    """Each way feedback comes in (email, Slack): set up or not, its last message and error."""
    # The template reads plain values: it would call the channel's functions itself.
    rows = [
        {
            "key": channel.key,
            "name": channel.name,
            "state": channel.state(),
            "test_label": channel.test_label if channel.send_test else "",
        }
        for channel in channels.channels()
    ]
    return render(request, "notifications/channels.html", {"rows": rows, "nav": "channels"})


@require(ensure_may_manage_channels)
@require_POST
def channel_test(request: HttpRequest, key: str) -> HttpResponse:
    """Send a test through a channel's outbound side (through the outbox, as real replies)."""
    channel = channels.channel_get(key)
    if channel is None or channel.send_test is None:
        raise Http404("No such channel.")
    messages.success(request, channel_test_send(channel=channel, by=_user(request)))
    return redirect("channels")
