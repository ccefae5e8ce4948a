"""The one error type services raise; views and the API map it to a clear message."""

from __future__ import annotations

from typing import Literal

ErrorCode = Literal["invalid", "forbidden", "not_found", "conflict"]


class DomainError(Exception):
    """A rule of the product refused the change; nothing was written."""

    def __init__(self, message: str, *, field: str | None = None, code: ErrorCode = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
