"""Middleware at the edge: an uncaught refusal becomes an answer; a query string with control
characters never reaches a view."""

from __future__ import annotations

from collections.abc import Callable

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
    JsonResponse,
)

from core.errors import DomainError
from core.http import domain_error_response
from core.text import CONTROL_CHARACTERS as _CONTROL


class DomainErrorMiddleware:
    """A DomainError no view caught (a policy's refusal before the view ran, or a service's on a
    page with no form to show it in) becomes the refusal page or fragment, with the status the
    API gives it. The API answers its own through core.api.exception_handler."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DomainError):
            return domain_error_response(request, exception)
        return None


class RefuseControlCharactersMiddleware:
    """An address whose query string carries a NUL (or another control character) names nothing
    any page can look up, and PostgreSQL cannot even compare it: answer 400 before any view, the
    Django admin's included, hands it to the database. Form fields refuse them one by one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        for key, values in request.GET.lists():
            if any(_CONTROL.search(value) for value in [key, *values]):
                message = "The address contains a control character (such as NUL); remove it."
                if request.path.startswith("/api/"):
                    # The API's bad input, in the shape its schema documents (core.schema).
                    return JsonResponse({"non_field_errors": [message]}, status=400)
                return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
