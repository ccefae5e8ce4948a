"""How pages answer: typing for htmx requests, the one answer to a service's refusal, and the
view decorator that asks a policy first."""

from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from django.contrib import messages
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django_htmx.middleware import HtmxDetails

from core.errors import DomainError
from core.forms import add_domain_error

P = ParamSpec("P")
R = TypeVar("R")


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def form_errors_text(form: BaseForm) -> str:
    """Every message of an invalid form in one line, for a flash message."""
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


def domain_error_response(
    request: HttpRequest,
    error: DomainError,
    *,
    template: str | None = None,
    context: Mapping[str, Any] | None = None,
    form: BaseForm | None = None,
    redirect_to: str | None = None,
) -> HttpResponse:
    """How a page answers a service's refusal, with the status the API gives it (HTTP_STATUS).

    With `redirect_to`, a plain post flashes the message and goes there. Otherwise `template`
    (the page, or for htmx the fragment) is rendered again with `error` in its context and the
    message beside its field in `form`; without a template, the refusal page (or its fragment).
    """
    if form is not None:
        add_domain_error(form, error)
    htmx = bool(getattr(request, "htmx", False))
    if redirect_to is not None and not htmx:
        messages.error(request, error.message)
        return redirect(redirect_to)
    if template is None:
        template = "partials/refused.html" if htmx else "refused.html"
    return render(request, template, {**(context or {}), "error": error}, status=error.status)


def require(ensure: Callable[[Any], None]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a view taking `request` first: it runs only if the policy's `ensure_may_*` lets
    the signed-in user through; its refusal is answered by core.middleware (403, its words)."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            request: HttpRequest = args[0]  # type: ignore[assignment]
            ensure(request.user)
            return view(*args, **kwargs)

        return wrapped

    return decorator
