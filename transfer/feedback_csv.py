"""Reading a feedback CSV (a spreadsheet's, or another feedback tool's export) into rows the
import can file, or into the reasons it cannot. Nothing here touches the database.

Python's csv module does the quoting (quoted commas, quotes and line breaks inside cells); the
delimiter (comma, semicolon, tab) is sniffed from the header line. Text is UTF-8 (a BOM is
dropped) or UTF-16 with its BOM (a spreadsheet's "Unicode text"); anything else is refused with
what to do."""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils import timezone

from core.errors import DomainError
from core.text import TEXT_MAX, TITLE_MAX, line_clean, text_clean
from intake.models import Importance, Kind, SourceTeam
from intake.services import company_name_clean, email_clean, tags_clean

MAX_ROWS = 20_000
MAX_BYTES = 20 * 1024 * 1024

# Each column: the names a header may give it (compared lower-cased, with spaces, dashes and
# underscores alike), and whether every file must have it.
COLUMNS: dict[str, tuple[tuple[str, ...], bool]] = {
    "title": (("title", "subject", "summary"), True),
    "description": (("description", "details", "feedback", "body"), True),
    "company": (("company", "customer", "account", "organization", "organisation"), True),
    "email": (("contact email", "email", "contact", "customer email"), True),
    "importance": (("importance", "priority"), True),
    "date": (("date", "created", "created at", "submitted", "submitted at"), True),
    "source_team": (("source team", "team", "source"), True),
    "tags": (("tags", "labels"), False),
    "initiative": (("initiative", "initiative title", "group"), False),
    "contact_name": (("contact name", "name"), False),
    "kind": (("kind", "type"), False),
}

# What the columns with a choice accept besides the stored value and its label.
IMPORTANCE_WORDS = {
    "nice to have": Importance.NICE_TO_HAVE,
    "nice": Importance.NICE_TO_HAVE,
    "low": Importance.NICE_TO_HAVE,
    "important": Importance.IMPORTANT,
    "medium": Importance.IMPORTANT,
    "high": Importance.CRITICAL,
    "critical": Importance.CRITICAL,
    "urgent": Importance.CRITICAL,
}
TEAM_WORDS = {
    "cs": SourceTeam.CUSTOMER_SUCCESS,
    "customer success": SourceTeam.CUSTOMER_SUCCESS,
    "success": SourceTeam.CUSTOMER_SUCCESS,
    "sales": SourceTeam.SALES,
    "onboarding": SourceTeam.ONBOARDING,
    "support": SourceTeam.SUPPORT,
    "other": SourceTeam.OTHER,
}
KIND_WORDS = {
    "feature": Kind.FEATURE_REQUEST,
    "feature request": Kind.FEATURE_REQUEST,
    "bug": Kind.BUG,
    "friction": Kind.FRICTION,
    "friction point": Kind.FRICTION,
    "other": Kind.OTHER,
}
_TAG_SEPARATORS = re.compile(r"[,;|]")


@dataclass(frozen=True)
class FeedbackRow:
    """One row, cleaned as the intake services clean a ticket, with the key that makes
    importing it again a no-op."""

    line: int
    key: str
    title: str
    description: str
    company: str
    email: str
    contact_name: str
    importance: str
    kind: str
    source_team: str
    date: datetime.datetime
    tags: list[str]
    initiative: str

    @property
    def importance_label(self) -> str:
        return str(Importance(self.importance).label)


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    message: str


@dataclass
class ParsedFile:
    rows: list[FeedbackRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    # Rows that repeat an earlier row of the same file, by line: the line they repeat.
    repeats: dict[int, int] = field(default_factory=dict)
    delimiter: str = ","


def decode(data: bytes) -> str:
    """The file's text; a file in another encoding is refused with what to do."""
    if len(data) > MAX_BYTES:
        raise DomainError(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; at most "
            f"{MAX_BYTES // 1024 // 1024} MB is read. Split it and import the parts.",
            field="file",
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DomainError("The file says it is UTF-16 but is not.", field="file") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DomainError(
            f"The file is not UTF-8 text (line {line} has a byte UTF-8 does not use, as "
            "Windows-1252 or Latin-1 files do). Save it as “CSV UTF-8” and upload it again.",
            field="file",
        ) from exc


def _header_key(name: str) -> str:
    return " ".join(re.split(r"[\s_\-]+", name.strip().lower())).strip()


def _columns(header: list[str]) -> dict[str, int]:
    """Which position holds each column; missing required ones are refused, all named."""
    positions: dict[str, int] = {}
    wanted = {alias: name for name, (aliases, _) in COLUMNS.items() for alias in aliases}
    for index, cell in enumerate(header):
        name = wanted.get(_header_key(cell))
        if name is not None and name not in positions:
            positions[name] = index
    missing = [name.replace("_", " ") for name, (_, required) in COLUMNS.items() if required]
    missing = [m for m in missing if m.replace(" ", "_") not in positions]
    if missing:
        raise DomainError(
            f"The first line must name the columns; missing: {', '.join(missing)} "
            f"(found: {', '.join(repr(c) for c in header) or 'nothing'}).",
            field="file",
        )
    return positions


def _choice(value: str, words: Mapping[str, str], values: list[str], what: str) -> str:
    key = _header_key(value)
    if key.replace(" ", "_") in values:
        return key.replace(" ", "_")
    if key in words:
        return words[key]
    raise DomainError(f"“{value}” is not {what}; use one of: {', '.join(values)}.")


def _date(value: str) -> datetime.datetime:
    """An ISO 8601 date or date and time; a day without a time is noon in the company's zone.
    Day-first and month-first dates (03/04/2025) are refused: they cannot be told apart."""
    text = value.strip()
    if not text:
        raise DomainError("The date is required (YYYY-MM-DD).", field="date")
    try:
        if len(text) == 10:
            day = datetime.date.fromisoformat(text)
            moment = datetime.datetime.combine(day, datetime.time(12))
        else:
            moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise DomainError(
            f"“{text[:40]}” is not a date like 2025-03-14 (or 2025-03-14T09:30:00+01:00).",
            field="date",
        ) from exc
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    if moment > timezone.now() + datetime.timedelta(days=1):
        raise DomainError(f"{text} is in the future; feedback is dated when it was given.")
    return moment


def row_key(cells: dict[str, str]) -> str:
    """The same feedback gives the same key whatever the file's order, spacing or case: a
    hash of the row's normalized cells. Stored as the ticket's source reference."""
    normalized = {name: " ".join(value.split()).casefold() for name, value in cells.items()}
    digest = hashlib.sha256(json.dumps(normalized, sort_keys=True).encode()).hexdigest()
    return f"import:{digest[:40]}"


def parse(data: bytes) -> ParsedFile:
    """Every row of the file, cleaned, or every reason a row cannot be imported."""
    text = decode(data)
    # Only the delimiter is sniffed, from the header line; quoting is the spreadsheets' own
    # (excel: "" inside quotes is a quote), which a header without quotes cannot show.
    try:
        delimiter = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise DomainError("The file is empty.", field="file") from None
    except csv.Error as exc:
        raise DomainError(f"The first line cannot be read as CSV: {exc}.", field="file") from exc
    positions = _columns(header)
    parsed = ParsedFile(delimiter=delimiter)
    seen: dict[str, int] = {}
    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(parsed.rows) + len(parsed.repeats) + len(parsed.errors) >= MAX_ROWS:
                raise DomainError(
                    f"The file has more than {MAX_ROWS:,} rows; import it in parts of at "
                    f"most {MAX_ROWS:,}.",
                    field="file",
                )
            values = {
                name: cells[index] if index < len(cells) else ""
                for name, index in positions.items()
            }
            row, errors = _row(line, values)
            if errors:
                parsed.errors.extend(errors)
                continue
            assert row is not None
            if row.key in seen:
                parsed.repeats[line] = seen[row.key]
                continue
            seen[row.key] = line
            parsed.rows.append(row)
    except csv.Error as exc:
        raise DomainError(
            f"Line {reader.line_num} cannot be read as CSV ({exc}); check its quotes.",
            field="file",
        ) from exc
    if not parsed.rows and not parsed.errors and not parsed.repeats:
        raise DomainError("The file has a header but no rows.", field="file")
    return parsed


def _row(line: int, values: dict[str, str]) -> tuple[FeedbackRow | None, list[RowError]]:
    errors: list[RowError] = []
    clean: dict[str, object] = {}

    def attempt(column: str, produce: object) -> None:
        try:
            clean[column] = produce() if callable(produce) else produce
        except DomainError as exc:
            errors.append(RowError(line, column.replace("_", " "), exc.message))

    attempt(
        "title",
        lambda: line_clean(
            values["title"], field="title", label="The title", limit=TITLE_MAX, required=True
        ),
    )
    attempt(
        "description",
        lambda: text_clean(
            values["description"],
            field="description",
            label="The description",
            limit=TEXT_MAX,
            required=True,
        ),
    )
    attempt("company", lambda: _company(values["company"]))
    attempt("email", lambda: email_clean(values["email"]))
    attempt(
        "contact_name",
        lambda: line_clean(
            values.get("contact_name", ""),
            field="contact_name",
            label="The contact's name",
            limit=TITLE_MAX,
            required=False,
        ),
    )
    attempt(
        "importance",
        lambda: _choice(
            values["importance"], IMPORTANCE_WORDS, list(Importance.values), "an importance"
        ),
    )
    attempt(
        "kind",
        lambda: (
            _choice(values["kind"], KIND_WORDS, list(Kind.values), "a kind")
            if values.get("kind", "").strip()
            else Kind.FEATURE_REQUEST.value
        ),
    )
    attempt(
        "source_team",
        lambda: _choice(values["source_team"], TEAM_WORDS, list(SourceTeam.values), "a team"),
    )
    attempt("date", lambda: _date(values["date"]))
    attempt(
        "tags",
        lambda: tags_clean(
            [tag for tag in _TAG_SEPARATORS.split(values.get("tags", "")) if tag.strip()]
        ),
    )
    attempt(
        "initiative",
        lambda: line_clean(
            values.get("initiative", ""),
            field="initiative",
            label="The initiative's title",
            limit=TITLE_MAX,
            required=False,
        ),
    )
    if errors:
        return None, errors
    return (
        FeedbackRow(
            line=line,
            key=row_key(values),
            title=str(clean["title"]),
            description=str(clean["description"]),
            company=str(clean["company"]),
            email=str(clean["email"]),
            contact_name=str(clean["contact_name"]),
            importance=str(clean["importance"]),
            kind=str(clean["kind"]),
            source_team=str(clean["source_team"]),
            date=clean["date"],  # type: ignore[arg-type]
            tags=list(clean["tags"]),  # type: ignore[call-overload]
            initiative=str(clean["initiative"]),
        ),
        [],
    )


def _company(value: str) -> str:
    name = company_name_clean(value)
    if not name:
        raise DomainError("The company is required.", field="company")
    if len(name) > TITLE_MAX:
        raise DomainError(f"Company names are at most {TITLE_MAX} characters.", field="company")
    return name
