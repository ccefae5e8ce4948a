"""Sign-ins, their failures and sign-outs, whichever way they happen (the password form, single
sign-on, Django admin): Django sends these signals for each."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

import audit
from accounts.models import User
from audit.actions import Action

USERNAME_KEPT = 150


@receiver(user_logged_in, dispatch_uid="audit_login")
def _logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    backend = getattr(user, "backend", "") or ""
    audit.record(
        Action.LOGIN,
        actor=user,
        target=user,
        changes={"method": _method(backend)},
        request=request,
    )


@receiver(user_logged_out, dispatch_uid="audit_logout")
def _logged_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is None:
        return
    audit.record(Action.LOGOUT, actor=user, target=user, request=request)


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Single sign-on's refusals are recorded by its callback, with the reason.
    if "username" not in credentials:
        return
    # The password is never kept: Django has already masked it, and only the username is read.
    username = str(credentials.get("username", ""))[:USERNAME_KEPT]
    user = User.objects.filter(username=username).first() if username else None
    audit.record(
        Action.LOGIN_FAILED,
        actor=None,
        actor_name=username,
        target=user,
        target_label=username,
        changes={"username": username},
        request=request,
    )


def _method(backend: str) -> str:
    """How they signed in, in words: "password", or the name of the single sign-on backend."""
    if backend.endswith(("ModelBackend", "AxesStandaloneBackend")):
        return "password"
    if backend.startswith("sso."):
        return "sso"
    return backend.rsplit(".", 1)[-1] or "password"
