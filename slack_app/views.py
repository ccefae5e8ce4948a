"""Slack's requests to FeedbackLoop: slash commands, interactivity (the message shortcut, the
modal's company menu and its submission) and events.

Each is checked for Slack's signature and timestamp before anything in it is read; one that
fails is refused with 401 and changes nothing but the Channels page's "last error". Slack waits
three seconds for an answer, so only what cannot wait happens here: who the Slack user is
(users.info), views.open (its trigger_id expires), and the filing itself, whose refusals the
modal shows. The permalink and similar initiatives follow in a task (views.update); messages
back to Slack go through the outbox.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

import kombu.exceptions
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from slack_sdk.errors import SlackApiError

from accounts.models import User
from core.errors import DomainError
from intake.policies import may_file_ticket
from slack_app import client, tasks
from slack_app.modal import (
    CALLBACK_ID,
    Origin,
    company_options,
    errors_response,
    filed_view,
    filing_view,
    message_view,
    slack_text_plain,
    submission_read,
)
from slack_app.selectors import company_suggestions, product_areas
from slack_app.services import (
    activity_error,
    activity_request,
    app_removed,
    feedback_file,
    not_staff_tell,
    not_staff_text,
    permalink_fill,
    staff_for_slack_user,
)

log = logging.getLogger(__name__)

SlackView = Callable[[HttpRequest], HttpResponse]


def slack_request(view: SlackView) -> SlackView:
    """Only Slack may call this: a POST whose signature and timestamp Slack's way checks out
    (slack_sdk's SignatureVerifier). It carries no session and no CSRF token; the signature
    stands for both."""

    @csrf_exempt
    @login_not_required
    @require_POST
    @wraps(view)
    def checked(request: HttpRequest) -> HttpResponse:
        if not client.configured():
            return HttpResponse("Slack is not connected here.", status=404)
        if not client.request_is_from_slack(request.body, request.headers):
            activity_error(
                "Refused a request whose signature or timestamp did not check out: is "
                "SLACK_SIGNING_SECRET the app's signing secret, and the server's clock right?"
            )
            return HttpResponse("The request's signature did not check out.", status=401)
        activity_request()
        return view(request)

    return checked


def _bad(what: str) -> HttpResponse:
    return HttpResponse(what, status=400, content_type="text/plain; charset=utf-8")


def _ephemeral(text: str) -> JsonResponse:
    """A slash command's answer only its user sees."""
    return JsonResponse({"response_type": "ephemeral", "text": text})


def _staff(slack_user: str) -> tuple[User | None, str, str]:
    """(the member of staff, the Slack profile's email, what went wrong asking Slack)."""
    try:
        user, email = staff_for_slack_user(slack_user=slack_user)
    except (SlackApiError, OSError) as exc:
        error = client.api_error(exc)
        activity_error(f"users.info: {error}")
        return None, "", f"FeedbackLoop could not ask Slack who you are ({error}); try again."
    if user is not None and not may_file_ticket(user):
        user = None
    return user, email, ""


def _open(trigger_id: str, origin: Origin) -> str:
    """Open the filing modal now (a trigger_id lasts three seconds), then have a task fill in
    its permalink and similar initiatives. What went wrong, or ""."""
    view = filing_view(origin=origin, product_areas=product_areas())
    try:
        web = client.web_client(timeout=client.IN_REQUEST_TIMEOUT)
        opened = web.views_open(trigger_id=trigger_id, view=view)["view"]
    except (SlackApiError, OSError) as exc:
        error = client.api_error(exc)
        activity_error(f"views.open: {error}")
        return f"Slack would not open the form ({error}); try again."

    def fill_in() -> None:
        try:
            tasks.modal_similar.delay(opened["id"], opened["hash"], origin.dumps(), origin.text)
        except kombu.exceptions.OperationalError as exc:
            # The form works without them: it files on its own, and the rep can still file.
            log.warning("could not queue the modal's similar initiatives: %s", exc)

    transaction.on_commit(fill_in)
    return ""


@slack_request
def commands(request: HttpRequest) -> HttpResponse:
    """`/feedback [what the customer said]`: the filing modal, with the text to start from."""
    slack_user = request.POST.get("user_id", "")
    trigger_id = request.POST.get("trigger_id", "")
    if not slack_user or not trigger_id:
        return _bad("A slash command carries user_id and trigger_id.")
    user, email, error = _staff(slack_user)
    if error:
        return _ephemeral(error)
    if user is None:
        return _ephemeral(not_staff_text(email))
    origin = Origin(
        user_id=user.pk,
        slack_user=slack_user,
        text=slack_text_plain(request.POST.get("text", "")),
        channel=request.POST.get("channel_id", ""),
    )
    error = _open(trigger_id, origin)
    return _ephemeral(error) if error else HttpResponse(status=200)


def _payload(request: HttpRequest) -> dict[str, Any] | None:
    try:
        payload = json.loads(request.POST.get("payload", ""))
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _field(payload: dict[str, Any], name: str, key: str = "id") -> str:
    part = payload.get(name)
    return _text(part.get(key)) if isinstance(part, dict) else ""


@slack_request
def interactivity(request: HttpRequest) -> HttpResponse:
    """Shortcuts, the company menu's suggestions and the modal's submission."""
    payload = _payload(request)
    if payload is None:
        return _bad("Interactivity carries a JSON payload.")
    kind = payload.get("type")
    if kind == "message_action" and payload.get("callback_id") == CALLBACK_ID:
        return _shortcut(payload)
    if kind == "block_suggestion" and payload.get("block_id") == "company":
        typed = _text(payload.get("value"))
        return JsonResponse({"options": company_options(company_suggestions(typed=typed), typed)})
    if kind == "view_submission" and _field(payload, "view", "callback_id") == CALLBACK_ID:
        return _submission(payload)
    return HttpResponse(status=200)  # a closed modal, a button: nothing to do


def _shortcut(payload: dict[str, Any]) -> HttpResponse:
    """ "File as feedback" on a message: the modal, prefilled with the message."""
    slack_user = _field(payload, "user")
    trigger_id = _text(payload.get("trigger_id"))
    if not slack_user or not trigger_id:
        return _bad("A shortcut carries a user and a trigger_id.")
    user, email, error = _staff(slack_user)
    if user is None:
        if not error:
            not_staff_tell(slack_user=slack_user, email=email, interaction=trigger_id)
        return HttpResponse(status=200)
    message = payload.get("message") if isinstance(payload.get("message"), dict) else {}
    assert isinstance(message, dict)
    origin = Origin(
        user_id=user.pk,
        slack_user=slack_user,
        text=slack_text_plain(_text(message.get("text"))),
        channel=_field(payload, "channel"),
        message_ts=_text(payload.get("message_ts")) or _text(message.get("ts")),
        author=_text(message.get("user")),
    )
    _open(trigger_id, origin)
    return HttpResponse(status=200)


def _submission(payload: dict[str, Any]) -> HttpResponse:
    """The modal's File: the ticket, or the refusals under their fields."""
    view = payload["view"]
    try:
        origin = Origin.loads(_text(view.get("private_metadata")))
        values = view["state"]["values"]
    except (ValueError, KeyError, TypeError):
        return _bad("This form was not opened by FeedbackLoop.")
    if not isinstance(values, dict) or _field(payload, "user") != origin.slack_user:
        return _bad("This form was not opened by FeedbackLoop.")
    user = User.objects.filter(pk=origin.user_id, is_active=True).first()
    if user is None or not may_file_ticket(user):
        return JsonResponse(
            {"response_action": "update", "view": message_view("Not filed", not_staff_text(""))}
        )
    try:
        ticket, initiative = feedback_file(
            user=user, origin=permalink_fill(origin=origin), submission=submission_read(values)
        )
    except DomainError as error:
        blocks = view.get("blocks") if isinstance(view.get("blocks"), list) else []
        return JsonResponse(errors_response({error.field or "": error.message}, blocks))
    return JsonResponse({"response_action": "update", "view": filed_view(ticket, initiative)})


@slack_request
def events(request: HttpRequest) -> HttpResponse:
    """The Events API: the url_verification challenge when the URL is set, and the app's
    removal from the workspace (kept as the Channels page's last error)."""
    try:
        event = json.loads(request.body)
    except ValueError:
        return _bad("Events are JSON.")
    if not isinstance(event, dict):
        return _bad("Events are JSON objects.")
    if event.get("type") == "url_verification":
        return JsonResponse({"challenge": _text(event.get("challenge"))})
    inner = event.get("event") if isinstance(event.get("event"), dict) else {}
    assert isinstance(inner, dict)
    if inner.get("type") in ("app_uninstalled", "tokens_revoked"):
        app_removed(event_type=str(inner["type"]), team_id=_text(event.get("team_id")))
    return HttpResponse(status=200)
