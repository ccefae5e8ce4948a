"""Signing in through the company's identity provider (OpenID Connect, authorization code with
PKCE), and the login page that offers it. Whatever goes wrong says so on a page of its own and
changes nothing."""

from __future__ import annotations

import time
from typing import Any

import requests
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_http_methods, require_POST
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from accounts.models import User
from core.errors import DomainError
from core.http import domain_error_response, require
from sso.models import ScimToken
from sso.policies import ensure_may_manage_provisioning
from sso.provider import SsoRefused, provider, provider_name, sso_enabled
from sso.provisioning import scim_token_create, scim_token_revoke
from sso.services import sso_refusal_record

STATE_MAX_AGE_SECONDS = 15 * 60  # a sign-in started longer ago than this starts again


def _refused(request: HttpRequest, refusal: SsoRefused) -> HttpResponse:
    sso_refusal_record(refusal=refusal)
    context = {"refusal": refusal, "provider": provider_name()}
    return render(request, "sso/refused.html", context, status=refusal.status)


@method_decorator(login_not_required, name="dispatch")
class SignInStart(OIDCAuthenticationRequestView):  # type: ignore[misc]
    """Off to the provider's sign-in page, with a fresh state, nonce and PKCE challenge kept in
    this browser's session."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID

    def get(self, request: HttpRequest) -> HttpResponseBase:
        if not sso_enabled():
            raise Http404("Single sign-on is not set up.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider().authorization_endpoint
        except SsoRefused as refusal:
            return _refused(request, refusal)
        return super().get(request)  # type: ignore[no-any-return]


@method_decorator(login_not_required, name="dispatch")
class SignInCallback(OIDCAuthenticationCallbackView):  # type: ignore[misc]
    """Where the provider sends the browser back: the code is exchanged for tokens, the ID
    token checked, and the person signed in (or told why not)."""

    def get(self, request: HttpRequest) -> HttpResponseBase:
        if not sso_enabled():
            raise Http404("Single sign-on is not set up.")
        if request.GET.get("error"):
            said = str(request.GET.get("error_description") or request.GET["error"])[:300]
            super().get(request)  # forgets the state, as the library does
            return _refused(
                request,
                SsoRefused("provider_error", f"{provider_name()} did not sign you in: {said}"),
            )
        state = request.GET.get("state", "")
        states = request.session.get("oidc_states")
        entry = states.get(state) if isinstance(states, dict) else None
        if not request.GET.get("code") or entry is None:
            return _refused(
                request,
                SsoRefused(
                    "state",
                    "This sign-in answer was already used, has expired, or was started in "
                    "another browser. Nothing was changed; start again.",
                    status=400,
                ),
            )
        if time.time() - float(entry.get("added_on", 0)) > STATE_MAX_AGE_SECONDS:
            assert isinstance(states, dict)
            del states[state]
            request.session.save()
            return _refused(
                request,
                SsoRefused("state", "This sign-in took too long. Start again.", status=400),
            )
        try:
            response = super().get(request)
        except SsoRefused as refusal:
            return _refused(request, refusal)
        except SuspiciousOperation:
            return _refused(
                request,
                SsoRefused(
                    "token",
                    f"The sign-in answer from {provider_name()} could not be verified (its "
                    "signature, or the nonce of this sign-in, does not match). Nothing was "
                    "changed; start again.",
                    status=400,
                ),
            )
        except (requests.RequestException, ValueError):
            return _refused(request, SsoRefused("unavailable", _down(), status=502))
        if self.user is None:
            return _refused(
                request,
                SsoRefused("token", "The provider's answer named nobody.", status=400),
            )
        return response  # type: ignore[no-any-return]


def _down() -> str:
    return (
        f"{provider_name()} stopped answering while you were signing in. Nothing was changed; "
        "try again in a few minutes."
    )


class PasswordForm(AuthenticationForm):
    """The username and password form; with SSO_ONLY, only for admins (the break-glass way in
    when the provider is down), everyone else signs in through the provider."""

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if settings.SSO_ONLY and not user.is_superuser:
            raise ValidationError(
                f"Sign in with {provider_name()}: passwords are for admins only here.",
                code="sso_only",
            )


class LoginView(auth_views.LoginView):
    """The login page: "Sign in with <provider>" when single sign-on is set up, and the password
    form unless SSO_ONLY hides it (`?password=1` shows it again, for admins)."""

    form_class = PasswordForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        wants_password = self.request.GET.get("password") == "1" or self.request.method == "POST"
        context["sso_name"] = provider_name() if sso_enabled() else ""
        context["password_shown"] = not (sso_enabled() and settings.SSO_ONLY) or wants_password
        return context


class ScimTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, label="Token name", help_text="Which provider uses it, such as “Okta”."
    )


@require(ensure_may_manage_provisioning)
@require_http_methods(["GET", "POST"])
def scim_tokens(request: HttpRequest) -> HttpResponse:
    """The SCIM page: the provisioning URL, the tokens (a new one shown once), revoking."""
    form = ScimTokenForm(request.POST or None)
    new_key = ""
    if request.method == "POST" and form.is_valid():
        assert isinstance(request.user, User)
        try:
            token, new_key = scim_token_create(name=form.cleaned_data["name"], by=request.user)
        except DomainError as error:
            form.add_error("name", error.message)
        else:
            messages.success(request, f"Created the SCIM token “{token.name}”. Copy it now.")
            form = ScimTokenForm()
    context = {
        "form": form,
        "new_key": new_key,
        "tokens": list(ScimToken.objects.select_related("created_by")[:100]),
        "scim_url": f"{settings.SITE_URL}/scim/v2/",
        "nav": "people",
    }
    status = 400 if form.errors else 200
    return render(request, "sso/scim_tokens.html", context, status=status)


@require(ensure_may_manage_provisioning)
@require_POST
def scim_token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    token = ScimToken.objects.filter(pk=token_id).first()
    if token is None:
        raise Http404("No such SCIM token.")
    assert isinstance(request.user, User)
    try:
        token = scim_token_revoke(token=token, by=request.user)
    except DomainError as error:
        return domain_error_response(request, error, redirect_to="/sso/scim-tokens/")
    messages.success(request, f"Revoked “{token.name}”: the provider's calls with it now fail.")
    return redirect("sso:scim-tokens")
