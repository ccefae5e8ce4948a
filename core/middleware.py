"""The one middleware that answers a page's uncaught refusal."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBase

from core.errors import DomainError
from core.http import domain_error_response


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
