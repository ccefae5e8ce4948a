"""Admins invite people by email; the invitee sets a password through the link; each person keeps
their password, time zone and email settings on one page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from accounts.services import user_password_set, user_time_zone_set
from core.errors import DomainError
from core.http import domain_error_response, require
from notifications import registry
from notifications.selectors import email_opt_outs
from people.forms import AcceptForm, ApiTokenForm, InviteForm, PasswordForm, TimeZoneForm
from people.models import Invitation, InvitationState
from people.policies import ensure_may_invite, ensure_may_see_every_token, may_manage_tokens
from people.selectors import (
    api_token_get,
    api_tokens_live,
    api_tokens_of,
    invitation_for_token,
    invitation_get,
    invitations_pending,
    people_list,
)
from people.services import (
    INVITE_DAYS,
    api_token_create,
    api_token_revoke,
    invitation_accept,
    invitation_create,
    invitation_resend,
    invitation_revoke,
)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _people_context(request: HttpRequest, form: InviteForm) -> dict[str, Any]:
    return {
        "form": form,
        "invitations": list(invitations_pending()[:200]),
        "page": Paginator(people_list(), 50).get_page(request.GET.get("page")),
        "days": INVITE_DAYS,
        "nav": "people",
    }


@require(ensure_may_invite)
@require_http_methods(["GET", "POST"])
def people_index(request: HttpRequest) -> HttpResponse:
    """Who has an account, whose invite is pending, and the form to invite someone."""
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = invitation_create(by=_user(request), **form.cleaned_data)
        except DomainError as error:
            context = _people_context(request, form)
            return domain_error_response(
                request, error, form=form, template="people/people.html", context=context
            )
        messages.success(
            request,
            f"Invited {invitation.email}: the email is on its way, and its link works for "
            f"{INVITE_DAYS} days.",
        )
        return redirect("people:list")
    status = 400 if form.errors else 200
    return render(request, "people/people.html", _people_context(request, form), status=status)


def _invitation_or_404(invitation_id: int) -> Invitation:
    invitation = invitation_get(invitation_id=invitation_id)
    if invitation is None:
        raise Http404("No such invite.")
    return invitation


@require(ensure_may_invite)
@require_POST
def invite_resend(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = _invitation_or_404(invitation_id)
    try:
        invitation = invitation_resend(invitation=invitation, by=_user(request))
    except DomainError as error:
        return domain_error_response(request, error, redirect_to="/people/")
    messages.success(request, f"Sent {invitation.email} a new link; the one before stops working.")
    return redirect("people:list")


@require(ensure_may_invite)
@require_POST
def invite_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = _invitation_or_404(invitation_id)
    try:
        invitation = invitation_revoke(invitation=invitation, by=_user(request))
    except DomainError as error:
        return domain_error_response(request, error, redirect_to="/people/")
    messages.success(
        request, f"Took back the invite for {invitation.email}; its link no longer works."
    )
    return redirect("people:list")


@login_not_required
@require_http_methods(["GET", "POST"])
def invite_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The invite link: choose a username and a password, and you are in. A link that was used,
    taken back, replaced or has expired says so, and what to do."""
    invitation = invitation_for_token(token=token)
    if invitation is None or invitation.state != InvitationState.OPEN:
        status = 404 if invitation is None else 410
        return render(request, "people/invite_gone.html", {"invitation": invitation}, status=status)
    suggested = invitation.email.split("@", 1)[0]
    form = AcceptForm(request.POST or None, initial={"username": suggested})
    context = {"form": form, "invitation": invitation}
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(
                token=token,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
            )
        except DomainError as error:
            return domain_error_response(
                request, error, form=form, template="people/invite_accept.html", context=context
            )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome to FeedbackLoop, {user.display_name}.")
        return redirect("home")
    status = 400 if form.errors else 200
    return render(request, "people/invite_accept.html", context, status=status)


@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    """One page for what is each person's own: password, time zone and which notices also come
    by email (that form posts to notifications' own view, which owns those settings)."""
    user = _user(request)
    action = request.POST.get("action") if request.method == "POST" else None
    zone_form = TimeZoneForm(
        request.POST if action == "time_zone" else None, initial={"time_zone": user.time_zone}
    )
    password_form = PasswordForm(user, request.POST if action == "password" else None)
    token_form = ApiTokenForm(request.POST if action == "token" else None)
    new_key = ""
    if action == "time_zone" and zone_form.is_valid():
        user_time_zone_set(user=user, time_zone=zone_form.cleaned_data["time_zone"])
        messages.success(request, f"Times now show in {user.time_zone.replace('_', ' ')}.")
        return redirect("people:account")
    if action == "password" and password_form.is_valid():
        user_password_set(user=user, password=password_form.cleaned_data["new_password1"])
        update_session_auth_hash(request, user)  # this session stays logged in
        messages.success(request, "Changed your password.")
        return redirect("people:account")
    if action == "token" and token_form.is_valid():
        try:
            token, new_key = api_token_create(user=user, name=token_form.cleaned_data["name"])
        except DomainError as error:
            token_form.add_error("name", error.message)
        else:
            # The key is shown on this answer only (no redirect to a page that could show it).
            messages.success(request, f"Created the token “{token.name}”. Copy it now.")
            token_form = ApiTokenForm()
    off = email_opt_outs(user=user)
    kinds = [
        (kind.value, kind.label, kind.value not in off) for kind in registry.staff_notice_kinds()
    ]
    context = {
        "zone_form": zone_form,
        "password_form": password_form,
        "kinds": kinds,
        "token_form": token_form,
        "tokens": list(api_tokens_of(user=user)[:100]),
        "new_key": new_key,
        "nav": "account",
    }
    status = 400 if request.method == "POST" and not new_key else 200
    return render(request, "people/account.html", context, status=status)


@require(ensure_may_see_every_token)
@require_GET
def api_tokens(request: HttpRequest) -> HttpResponse:
    """Every live API token, whoever holds it: admins revoke any of them here."""
    page = Paginator(api_tokens_live(), 50).get_page(request.GET.get("page"))
    return render(request, "people/api_tokens.html", {"page": page, "nav": "people"})


@require_POST
def api_token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    """Revoke one token: its owner from the Account page, an admin from the tokens list."""
    token = api_token_get(token_id=token_id)
    back = "/people/tokens/" if request.POST.get("next") == "tokens" else "/account/#api-tokens"
    # Someone else's token is not there at all for those who may not manage it.
    if token is None or not may_manage_tokens(request.user, owner=token.user):
        raise Http404("No such token.")
    try:
        token = api_token_revoke(token=token, by=_user(request))
    except DomainError as error:
        return domain_error_response(request, error, redirect_to=back)
    messages.success(request, f"Revoked “{token.name}”: it no longer works.")
    return redirect(back)
