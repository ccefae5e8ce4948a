"""How a page answers a DomainError: the API's status table, for htmx fragments, re-rendered forms,
flash-and-redirect posts and refusals no view caught."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest
from django.test import RequestFactory
from django_htmx.middleware import HtmxDetails

from core.api import exception_handler
from core.errors import HTTP_STATUS, DomainError, ErrorCode
from core.http import domain_error_response
from core.middleware import DomainErrorMiddleware

CODES: list[tuple[ErrorCode, int]] = [
    ("invalid", 400),
    ("forbidden", 403),
    ("not_found", 404),
    ("conflict", 409),
]


class NameForm(forms.Form):
    name = forms.CharField(required=False)


def _request(*, htmx: bool, method: str = "post") -> HttpRequest:
    headers = {"HX-Request": "true"} if htmx else {}
    factory = RequestFactory()
    make = factory.post if method == "post" else factory.get
    request = make("/somewhere/", headers=headers)
    request.user = AnonymousUser()
    request.htmx = HtmxDetails(request)  # type: ignore[attr-defined]
    request._messages = CookieStorage(request)  # type: ignore[attr-defined]
    return request


def _flashed(request: HttpRequest) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in request._messages]  # type: ignore[attr-defined]


def test_the_pages_and_the_api_share_one_table() -> None:
    assert dict(CODES) == HTTP_STATUS
    for code, status in CODES:
        error = DomainError("No.", code=code)
        assert error.status == status
        response = exception_handler(error, {})
        assert response is not None
        assert response.status_code == status


@pytest.mark.parametrize(("code", "status"), CODES)
def test_an_htmx_request_gets_the_message_as_a_fragment_with_the_status(
    code: ErrorCode, status: int
) -> None:
    response = domain_error_response(
        _request(htmx=True), DomainError(f"Refused as {code}.", code=code)
    )
    body = response.content.decode()
    assert response.status_code == status
    assert f'<div class="message error" role="alert">Refused as {code}.</div>' in body
    assert "<html" not in body


@pytest.mark.parametrize(("code", "status"), CODES)
def test_a_plain_request_gets_the_refusal_page_with_the_status(
    code: ErrorCode, status: int
) -> None:
    response = domain_error_response(
        _request(htmx=False, method="get"), DomainError(f"Refused as {code}.", code=code)
    )
    body = response.content.decode()
    assert response.status_code == status
    assert "<html" in body
    assert f"Refused as {code}." in body


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize(("code", "status"), CODES)
def test_a_form_is_rendered_again_with_the_error_beside_its_field(
    code: ErrorCode, status: int, htmx: bool
) -> None:
    form = NameForm({"name": "Acme"})
    assert form.is_valid()
    error = DomainError("That name is taken.", field="name", code=code)
    response = domain_error_response(
        _request(htmx=htmx),
        error,
        form=form,
        template="partials/field.html",
        context={"field": form["name"]},
    )
    assert response.status_code == status
    assert '<p class="error-text" id="id_name_error">That name is taken.</p>' in (
        response.content.decode()
    )


def test_an_error_naming_no_field_of_the_form_goes_above_it() -> None:
    form = NameForm({"name": "Acme"})
    assert form.is_valid()
    error = DomainError("Nothing was changed.", field="version", code="conflict")
    domain_error_response(
        _request(htmx=False),
        error,
        form=form,
        template="partials/field.html",
        context={"field": form["name"]},
    )
    assert form.non_field_errors() == ["Nothing was changed."]


def test_a_plain_post_that_redirects_today_flashes_and_redirects() -> None:
    request = _request(htmx=False)
    error = DomainError("Only the facilitator decides.", code="forbidden")
    response = domain_error_response(request, error, redirect_to="/sessions/1/#item-2")
    assert response.status_code == 302
    assert response["Location"] == "/sessions/1/#item-2"
    assert _flashed(request) == [("error", "Only the facilitator decides.")]


def test_an_htmx_post_to_such_a_page_gets_the_fragment_and_status_instead() -> None:
    request = _request(htmx=True)
    error = DomainError("That is already on the agenda.", code="conflict")
    response = domain_error_response(request, error, redirect_to="/sessions/1/")
    assert response.status_code == 409
    assert "That is already on the agenda." in response.content.decode()
    assert _flashed(request) == []


@pytest.mark.parametrize(("code", "status"), CODES)
def test_the_middleware_answers_a_refusal_no_view_caught(code: ErrorCode, status: int) -> None:
    def view(request: HttpRequest) -> Any:
        raise AssertionError("not called")

    middleware = DomainErrorMiddleware(view)
    response = middleware.process_exception(
        _request(htmx=True), DomainError("Your role may not do that.", code=code)
    )
    assert response is not None
    assert response.status_code == status
    assert "Your role may not do that." in response.content.decode()
    assert middleware.process_exception(_request(htmx=True), ValueError("boom")) is None
