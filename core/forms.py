"""Forms that show a service's refusal beside the field it names."""

from __future__ import annotations

from django.forms import BaseForm

from core.errors import DomainError


def add_domain_error(form: BaseForm, error: DomainError) -> None:
    """Show a service's DomainError beside the field it names, or above the form."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


class DomainErrorMixin:
    """Show a service's DomainError beside the field it names."""

    def add_domain_error(self, error: DomainError) -> None:
        add_domain_error(self, error)  # type: ignore[arg-type]
