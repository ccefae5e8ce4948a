"""Pages of long lists that count only so far: past a few thousand rows an exact count costs
more than the page (a quarter of a second for a common word at 1,000,000 tickets), and nobody
pages that far; they filter instead. The count then shows as "10,000+"."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet


def count_up_to(rows: QuerySet[Any], cap: int) -> int:
    """How many rows there are, counted up to `cap + 1` (one query that stops there)."""
    return rows.order_by().values("pk")[: cap + 1].count()


def count_shown(count: int, cap: int) -> str:
    """A count as shown: "10,000+" past the cap."""
    return f"{cap:,}+" if count > cap else f"{count:,}"


class CappedPaginator(Paginator):  # type: ignore[type-arg]
    """Pages of rows counted already, up to `cap` (the pages past it are not offered)."""

    def __init__(self, rows: Any, per_page: int, *, count: int, cap: int) -> None:
        super().__init__(rows, per_page)
        self.count = min(count, cap)  # Paginator reads it instead of counting
        self.count_shown = count_shown(count, cap)
