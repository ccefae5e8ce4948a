"""Cleaning what people type, once for every app."""

from __future__ import annotations

from core.errors import DomainError


def text_clean(value: str | None, *, field: str, label: str, limit: int, required: bool) -> str:
    """Stripped text within its limit, or a DomainError naming the field."""
    value = (value or "").strip()
    if required and not value:
        raise DomainError(f"{label} is required.", field=field)
    if len(value) > limit:
        raise DomainError(
            f"{label} is {len(value):,} characters; keep it under {limit:,}.", field=field
        )
    return value
