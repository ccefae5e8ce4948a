"""Typing for requests that went through django-htmx's middleware, and small view helpers."""

from django.forms import BaseForm
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def form_errors_text(form: BaseForm) -> str:
    """Every message of an invalid form in one line, for a flash message."""
    return " ".join(str(error) for errors in form.errors.values() for error in errors)
