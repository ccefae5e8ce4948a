"""Everything FeedbackLoop holds, as CSV or JSON: tickets, customers, initiatives and decisions.

Each dataset is a list of columns (name, JSON type, how to read it from a row of `values()`),
which gives the CSV header, the JSON objects and their schema alike. Rows are streamed from the
database in chunks, so a table of any size is sent without holding it in memory. In CSV, text
that a spreadsheet would run as a formula (=, +, -, @, a tab or a carriage return first) is
defused with a leading quote; JSON is data and is left as it is."""

from __future__ import annotations

import csv
import datetime
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.postgres.aggregates import StringAgg
from django.db.models import QuerySet

from intake.models import Customer, Ticket
from sessions.models import AgendaItem
from triage.models import Initiative

CHUNK = 2_000
FORMATS = ("csv", "json")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# A cell's JSON type in the schema: (type, format, nullable).
TEXT = ("string", None, False)
TEXT_OR_NULL = ("string", None, True)
NUMBER = ("integer", None, False)
NUMBER_OR_NULL = ("integer", None, True)
DECIMAL = ("string", "decimal", False)
DECIMAL_OR_NULL = ("string", "decimal", True)
MOMENT = ("string", "date-time", False)
MOMENT_OR_NULL = ("string", "date-time", True)
WORDS = ("array", None, False)  # tags: a list in JSON, "; "-joined in CSV


@dataclass(frozen=True)
class Column:
    name: str
    kind: tuple[str, str | None, bool]
    field: str  # the `values()` key it reads


@dataclass(frozen=True)
class Dataset:
    name: str
    description: str
    columns: tuple[Column, ...]
    rows: Callable[[], QuerySet[Any]]

    def records(self) -> Iterator[dict[str, Any]]:
        """Each row as {column: value}, read from the database in chunks."""
        fields = [column.field for column in self.columns]
        for values in self.rows().values(*fields).iterator(chunk_size=CHUNK):
            yield {column.name: values[column.field] for column in self.columns}


def _tickets() -> QuerySet[Any]:
    return Ticket.objects.order_by("id")


def _customers() -> QuerySet[Any]:
    return Customer.objects.order_by("id").annotate(
        contact_emails=StringAgg("contacts__email", delimiter="; ", order_by="contacts__email")
    )


def _initiatives() -> QuerySet[Any]:
    return Initiative.objects.order_by("id")


def _decisions() -> QuerySet[Any]:
    return AgendaItem.objects.exclude(decision="").order_by("decided_at", "id")


DATASETS: dict[str, Dataset] = {
    dataset.name: dataset
    for dataset in (
        Dataset(
            "tickets",
            "Every ticket: what the customer asked, who, how strongly, where it came from and "
            "where it went",
            (
                Column("id", NUMBER, "id"),
                Column("title", TEXT, "title"),
                Column("description", TEXT, "description"),
                Column("status", TEXT, "status"),
                Column("kind", TEXT, "kind"),
                Column("importance", TEXT, "importance"),
                Column("source_team", TEXT, "source_team"),
                Column("company", TEXT, "customer__name"),
                Column("contact_email", TEXT, "contact__email"),
                Column("contact_name", TEXT, "contact__name"),
                Column("revenue_at_stake", DECIMAL_OR_NULL, "revenue_at_stake"),
                Column("product_area", TEXT_OR_NULL, "product_area__slug"),
                Column("tags", WORDS, "tags"),
                Column("initiative_id", NUMBER_OR_NULL, "initiative_id"),
                Column("initiative", TEXT_OR_NULL, "initiative__title"),
                Column("duplicate_of", NUMBER_OR_NULL, "duplicate_of_id"),
                Column("decline_reason", TEXT, "decline_reason"),
                Column("submitted_by", TEXT, "submitted_by__username"),
                Column("source", TEXT, "source"),
                Column("source_reference", TEXT, "source_reference"),
                Column("source_sent_at", MOMENT_OR_NULL, "source_sent_at"),
                Column("created_at", MOMENT, "created_at"),
            ),
            _tickets,
        ),
        Dataset(
            "customers",
            "Every customer with its contacts' emails",
            (
                Column("id", NUMBER, "id"),
                Column("name", TEXT, "name"),
                Column("segment", TEXT, "segment"),
                Column("annual_revenue", DECIMAL_OR_NULL, "annual_revenue"),
                Column("contacts", TEXT_OR_NULL, "contact_emails"),
                Column("created_at", MOMENT, "created_at"),
            ),
            _customers,
        ),
        Dataset(
            "initiatives",
            "Every initiative with its status and priority score",
            (
                Column("id", NUMBER, "id"),
                Column("title", TEXT, "title"),
                Column("description", TEXT, "description"),
                Column("status", TEXT, "status"),
                Column("product_area", TEXT_OR_NULL, "product_area__slug"),
                Column("owner", TEXT_OR_NULL, "owner__username"),
                Column("effort", TEXT, "effort"),
                Column("priority_score", DECIMAL, "priority_score"),
                Column("customer_count", NUMBER, "customer_count"),
                Column("ticket_count", NUMBER, "ticket_count"),
                Column("critical_count", NUMBER, "critical_count"),
                Column("revenue_total", DECIMAL, "revenue_total"),
                Column("release_note", TEXT, "release_note"),
                Column("decline_reason", TEXT, "decline_reason"),
                Column("merged_into", NUMBER_OR_NULL, "merged_into_id"),
                Column("created_at", MOMENT, "created_at"),
                Column("shipped_at", MOMENT_OR_NULL, "shipped_at"),
            ),
            _initiatives,
        ),
        Dataset(
            "decisions",
            "Every decision recorded in a review or workshop, with its item and rationale",
            (
                Column("id", NUMBER, "id"),
                Column("session_id", NUMBER, "session_id"),
                Column("session", TEXT, "session__title"),
                Column("session_starts_at", MOMENT, "session__starts_at"),
                Column("ticket_id", NUMBER_OR_NULL, "ticket_id"),
                Column("ticket", TEXT_OR_NULL, "ticket__title"),
                Column("initiative_id", NUMBER_OR_NULL, "initiative_id"),
                Column("initiative", TEXT_OR_NULL, "initiative__title"),
                Column("decision", TEXT, "decision"),
                Column("rationale", TEXT, "rationale"),
                Column("decided_by", TEXT_OR_NULL, "decided_by__username"),
                Column("decided_at", MOMENT_OR_NULL, "decided_at"),
                Column("result_initiative_id", NUMBER_OR_NULL, "result_id"),
            ),
            _decisions,
        ),
    )
}


def _plain(value: Any) -> Any:
    """A value as JSON has it: moments in ISO 8601, amounts as decimal strings."""
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return value


def _cell(value: Any) -> Any:
    """A value as a CSV cell: blank for none, a list joined, text defused."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = "; ".join(str(item) for item in value)
    return defused(_plain(value))


def defused(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as the text it is: one that would start a formula gets a
    leading quote (OWASP's advice for CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Line:
    """csv.writer's file: hands back each line written, for streaming."""

    def write(self, text: str) -> str:
        return text


def csv_lines(dataset: Dataset) -> Iterator[str]:
    """The dataset as CSV (a UTF-8 BOM first, so spreadsheets read it as UTF-8), line by line."""
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow([column.name for column in dataset.columns])
    for record in dataset.records():
        yield writer.writerow([_cell(value) for value in record.values()])


def json_chunks(dataset: Dataset) -> Iterator[str]:
    """The dataset as a JSON array of objects, a row at a time."""
    yield "["
    for index, record in enumerate(dataset.records()):
        row = {name: _plain(value) for name, value in record.items()}
        yield ("," if index else "") + json.dumps(row, ensure_ascii=False)
    yield "]"


def row_schema(dataset: Dataset) -> dict[str, Any]:
    """The OpenAPI schema of one JSON row of the dataset."""
    properties: dict[str, Any] = {}
    for column in dataset.columns:
        kind, form, nullable = column.kind
        schema: dict[str, Any] = {"type": kind}
        if kind == "array":
            schema["items"] = {"type": "string"}
        if form:
            schema["format"] = form
        if form == "decimal":
            schema["pattern"] = r"^-?[0-9]+\.[0-9]{2}$"
        if nullable:
            schema["nullable"] = True
        properties[column.name] = schema
    return {
        "type": "object",
        "properties": properties,
        "required": [column.name for column in dataset.columns],
        "additionalProperties": False,
    }
