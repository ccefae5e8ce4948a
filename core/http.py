"""Typing for requests that went through django-htmx's middleware, and small view helpers."""

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from django.core.exceptions import PermissionDenied
from django.forms import BaseForm
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from core.errors import DomainError

P = ParamSpec("P")
R = TypeVar("R")


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def form_errors_text(form: BaseForm) -> str:
    """Every message of an invalid form in one line, for a flash message."""
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


def require(ensure: Callable[[Any], None]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a view taking `request` first: it runs only if the policy's `ensure_may_*` lets
    the signed-in user through; else 403 with the policy's words."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            request: HttpRequest = args[0]  # type: ignore[assignment]
            try:
                ensure(request.user)
            except DomainError as error:
                raise PermissionDenied(error.message) from error
            return view(*args, **kwargs)

        return wrapped

    return decorator
