"""Forms that show a service's refusal beside the field it names."""

from __future__ import annotations

from core.errors import DomainError


class DomainErrorMixin:
    """Show a service's DomainError beside the field it names."""

    def add_domain_error(self, error: DomainError) -> None:
        field = error.field if error.field in self.fields else None  # type: ignore[attr-defined]
        self.add_error(field, error.message)  # type: ignore[attr-defined]
