"""Forms that show a service's refusal beside the field it names."""

from __future__ import annotations

from typing import Any

from django import forms
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


# Ids are bigint primary keys: anything outside this range names no row (and would overflow).
ID_MAX = 2**63 - 1


class IdField(forms.IntegerField):
    """A row's id from a form or query string: a positive whole number that fits a bigint
    ("²", "1e3" and 5,000 nines are field errors, not server errors)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        kwargs.setdefault("widget", forms.HiddenInput)
        super().__init__(**kwargs)


class IdListField(forms.Field):
    """Several ids under one name (checkboxes, or one value of ids separated by commas), at most
    `max_items`, counted before any is read."""

    widget = forms.MultipleHiddenInput

    def __init__(self, *, max_items: int, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.max_items = max_items

    def to_python(self, value: Any) -> list[int]:
        # Each value may hold several, comma-separated (a long list in one hidden input).
        values = [part for item in value or [] for part in str(item).split(",")]
        if len(values) > self.max_items:
            raise forms.ValidationError(f"Pick at most {self.max_items:,}.")
        one = IdField()
        return sorted({one.clean(item) for item in values})
