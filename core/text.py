"""Cleaning what people type, once for every app: every text field goes through one of these."""

from __future__ import annotations

import re

from core.errors import DomainError

# How long what people type may be, the same in every app (forms, services and the API).
TITLE_MAX = 200  # a title, a name: one line
TEXT_MAX = 10_000  # what a customer said, a description, a release note
MESSAGE_MAX = 5_000  # a comment, a question, a note in a thread

# C0 and C1 control characters, DEL, and lone surrogates: nothing a person types on purpose.
# Line breaks and tabs are kept in multi-line text; single-line text folds them into a space.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x85]")


def without_control(value: str) -> str:
    """Text that came from a machine (an email), with its control characters dropped: what a
    person types is refused for them instead (text_clean), but a mail client's stray form feed
    is no reason to lose a customer's words."""
    return CONTROL_CHARACTERS.sub("", value)


def text_clean(value: str | None, *, field: str, label: str, limit: int, required: bool) -> str:
    """Multi-line text, stripped, with line breaks as \\n and within its limit; control
    characters (NUL, escapes) are refused with a DomainError naming the field."""
    return _clean(_LINE_BREAKS.sub("\n", value or ""), field, label, limit, required)


def line_clean(value: str | None, *, field: str, label: str, limit: int, required: bool) -> str:
    """One line (a title, a name, a place): line breaks and runs of white space fold into one
    space, so nothing typed can reach an email header as a second line."""
    return _clean(" ".join((value or "").split()), field, label, limit, required)


def _refuse_control(value: str, field: str, label: str) -> None:
    if CONTROL_CHARACTERS.search(value):
        raise DomainError(
            f"{label} contains a control character (such as NUL); remove it and try again.",
            field=field,
        )


def _clean(value: str, field: str, label: str, limit: int, required: bool) -> str:
    _refuse_control(value, field, label)
    value = value.strip()
    if required and not value:
        raise DomainError(f"{label} is required.", field=field)
    if len(value) > limit:
        raise DomainError(
            f"{label} is {len(value):,} characters; keep it under {limit:,}.", field=field
        )
    return value
