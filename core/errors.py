"""The one error type services raise, and the one table that says how each kind is answered."""

from __future__ import annotations

from typing import Literal

ErrorCode = Literal["invalid", "forbidden", "not_found", "conflict"]

# The HTTP status of each kind of refusal, for the API (core.api) and the pages (core.http).
HTTP_STATUS: dict[ErrorCode, int] = {
    "invalid": 400,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
}


class DomainError(Exception):
    """A rule of the product refused the change; nothing was written."""

    def __init__(self, message: str, *, field: str | None = None, code: ErrorCode = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code

    @property
    def status(self) -> int:
        """The HTTP status this refusal is answered with."""
        return HTTP_STATUS[self.code]
