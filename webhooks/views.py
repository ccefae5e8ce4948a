"""The admins' Webhooks pages: the endpoints, registering and changing one, and each one's
delivery log with "send again"."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from core.errors import DomainError
from core.http import domain_error_response, require
from webhooks.forms import EndpointForm, new_secret
from webhooks.inbound import (
    Done,
    Refused,
    github_done,
    github_verify,
    linear_done,
    linear_fresh,
    linear_verify,
    parsed,
)
from webhooks.models import WebhookEndpoint
from webhooks.policies import ensure_may_manage_webhooks
from webhooks.selectors import delivery_get, endpoint_deliveries, endpoint_get, endpoint_list
from webhooks.services import (
    delivery_send_again,
    endpoint_create,
    endpoint_delete,
    endpoint_update,
    tracker_delivery_receive,
)

LOG_PAGE = 25


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _endpoint_or_404(endpoint_id: int) -> WebhookEndpoint:
    endpoint = endpoint_get(endpoint_id=endpoint_id)
    if endpoint is None:
        raise Http404("No such webhook endpoint.")
    return endpoint


@require(ensure_may_manage_webhooks)
@require_GET
def endpoint_list_view(request: HttpRequest) -> HttpResponse:
    return render(
        request, "webhooks/endpoint_list.html", {"endpoints": endpoint_list(), "nav": "channels"}
    )


@require(ensure_may_manage_webhooks)
@require_http_methods(["GET", "POST"])
def endpoint_new(request: HttpRequest) -> HttpResponse:
    form = EndpointForm(request.POST or None, initial={"secret": new_secret(), "events": ["*"]})
    context = {"form": form, "nav": "channels"}
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = endpoint_create(by=_user(request), **form.cleaned_data)
        except DomainError as error:
            return domain_error_response(
                request, error, form=form, template="webhooks/endpoint_form.html", context=context
            )
        messages.success(request, f"Registered {endpoint.url}. Events go to it from now on.")
        return redirect("webhooks:detail", endpoint.pk)
    return render(request, "webhooks/endpoint_form.html", context)


@require(ensure_may_manage_webhooks)
@require_http_methods(["GET", "POST"])
def endpoint_edit(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint_or_404(endpoint_id)
    initial = {
        "url": endpoint.url,
        "events": endpoint.events,
        "description": endpoint.description,
        "active": endpoint.active,
    }
    form = EndpointForm(request.POST or None, initial=initial, editing=True)
    context = {"form": form, "endpoint": endpoint, "nav": "channels"}
    if request.method == "POST" and form.is_valid():
        try:
            endpoint_update(endpoint=endpoint, by=_user(request), **form.changes())
        except DomainError as error:
            return domain_error_response(
                request, error, form=form, template="webhooks/endpoint_form.html", context=context
            )
        messages.success(request, "Saved.")
        return redirect("webhooks:detail", endpoint.pk)
    return render(request, "webhooks/endpoint_form.html", context)


@require(ensure_may_manage_webhooks)
@require_GET
def endpoint_detail(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    """An endpoint and its delivery log, newest first."""
    endpoint = _endpoint_or_404(endpoint_id)
    page = Paginator(endpoint_deliveries(endpoint=endpoint), LOG_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "webhooks/endpoint_detail.html",
        {"endpoint": endpoint, "page": page, "nav": "channels"},
    )


@require(ensure_may_manage_webhooks)
@require_http_methods(["GET", "POST"])
def endpoint_delete_view(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    """GET asks to confirm; POST removes the endpoint and its log."""
    endpoint = _endpoint_or_404(endpoint_id)
    if request.method == "POST":
        endpoint_delete(endpoint=endpoint, by=_user(request))
        messages.success(request, f"Removed {endpoint.url}; nothing more is sent to it.")
        return redirect("webhooks:list")
    return render(
        request, "webhooks/endpoint_delete.html", {"endpoint": endpoint, "nav": "channels"}
    )


@require(ensure_may_manage_webhooks)
@require_POST
def delivery_again(request: HttpRequest, endpoint_id: int, delivery_id: int) -> HttpResponse:
    """Send an event to the endpoint again, as it was: a new row at the top of the log."""
    endpoint = _endpoint_or_404(endpoint_id)
    delivery = delivery_get(endpoint=endpoint, delivery_id=delivery_id)
    if delivery is None:
        raise Http404("No such delivery.")
    try:
        delivery_send_again(delivery=delivery, by=_user(request))
    except DomainError as error:
        return domain_error_response(
            request, error, redirect_to=reverse("webhooks:detail", args=[endpoint.pk])
        )
    messages.success(request, f"Sending {delivery.event.type} to {endpoint.url} again.")
    return redirect("webhooks:detail", endpoint.pk)


# ---------------------------------------------------------------------------------------------
# The trackers' webhooks: no login and no CSRF token, the signature stands for both.


def _answer(status: int, detail: str, **more: object) -> JsonResponse:
    return JsonResponse({"detail": detail, **more}, status=status)


def _tracker_receive(
    request: HttpRequest, *, source: str, delivery_id: str, read: Callable[[bytes], Done | None]
) -> HttpResponse:
    """Verify, read and act on one tracker delivery; every refusal is a 4xx that says why, and
    changes nothing."""
    try:
        body = request.body
    except RequestDataTooBig:
        return _answer(413, "The delivery is larger than FeedbackLoop takes.")
    try:
        done = read(body)
    except Refused as refused:
        return _answer(refused.status, refused.message)
    if done is None:
        return _answer(202, "Nothing to do: only finished work items are acted on.")
    try:
        initiatives = tracker_delivery_receive(source=source, delivery_id=delivery_id, done=done)
    except DomainError as error:
        return _answer(error.status, error.message)
    return _answer(
        200,
        f"{done.key} is done: {len(initiatives)} initiative(s) ready to ship.",
        initiatives=[initiative.pk for initiative in initiatives],
    )


@csrf_exempt
@login_not_required
@require_POST
def github_receive(request: HttpRequest) -> HttpResponse:
    """GitHub's webhook: issues closed as completed and pull requests merged mark the linked
    initiatives work done."""
    event = request.headers.get("X-GitHub-Event", "")

    def read(body: bytes) -> Done | None:
        github_verify(
            secret=settings.GITHUB_WEBHOOK_SECRET,
            body=body,
            header=request.headers.get("X-Hub-Signature-256", ""),
        )
        payload = parsed(body)
        if event == "ping":
            return None
        return github_done(event=event, payload=payload)

    return _tracker_receive(
        request,
        source="github",
        delivery_id=request.headers.get("X-GitHub-Delivery", ""),
        read=read,
    )


@csrf_exempt
@login_not_required
@require_POST
def linear_receive(request: HttpRequest) -> HttpResponse:
    """Linear's webhook: an issue moved to a completed state marks the linked initiatives work
    done."""

    def read(body: bytes) -> Done | None:
        linear_verify(
            secret=settings.LINEAR_WEBHOOK_SECRET,
            body=body,
            header=request.headers.get("Linear-Signature", ""),
        )
        payload = parsed(body)
        linear_fresh(payload=payload)
        return linear_done(payload=payload)

    return _tracker_receive(
        request,
        source="linear",
        delivery_id=request.headers.get("Linear-Delivery", ""),
        read=read,
    )
