"""The admins' audit log: filter by who, what and when; page through; download as CSV."""

from __future__ import annotations

import csv
import datetime
import json
from collections.abc import Iterator
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

import audit
from accounts.models import User
from audit.actions import Action
from audit.forms import AuditFilterForm
from audit.models import AuditEvent
from audit.policies import ensure_may_view_audit
from audit.selectors import events_list
from core.http import require

PAGE_SIZE = 50
CSV_COLUMNS = [
    "when (UTC)",
    "actor",
    "action",
    "target type",
    "target id",
    "target",
    "ip address",
    "user agent",
    "changes",
]


@require(ensure_may_view_audit)
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Who did what, when and from where; `?format=csv` downloads every matching event."""
    form = AuditFilterForm(request.GET or None)
    filters: dict[str, Any] = form.filters() if form.is_valid() else {}
    bad = form.is_bound and not form.is_valid()
    events = events_list(**filters) if not bad else AuditEvent.objects.none()
    if request.GET.get("format") == "csv" and not bad:
        return _csv(request, events, filters)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    csv_query = query.copy()
    csv_query["format"] = "csv"
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "csv_query": csv_query.urlencode(),
        "filtered": any(filters.values()),
        "nav": "people",  # the admins' pages about people: People, tokens, the audit log
    }
    return render(request, "audit/audit_log.html", context, status=400 if bad else 200)


def _csv(request: HttpRequest, events: Any, filters: dict[str, Any]) -> StreamingHttpResponse:
    assert isinstance(request.user, User)
    # Taking the log out of the app is itself an export.
    audit.record(
        Action.DATA_EXPORTED,
        actor=request.user,
        target_label="audit log",
        changes={
            "what": "audit log",
            "format": "csv",
            "filters": {key: value for key, value in filters.items() if value},
            "rows": events.count(),
        },
        request=request,
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(_rows(events), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
    return response


class _Line:
    """A file-like object csv.writer writes one line to at a time."""

    def write(self, value: str) -> str:
        return value


def _cell(value: object) -> str:
    # A spreadsheet runs a cell that starts with = + - @ as a formula: stored text never does.
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _rows(events: Any) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(CSV_COLUMNS)
    for event in events.iterator(chunk_size=2000):
        yield writer.writerow(
            [
                event.created_at.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S"),
                _cell(event.actor_name),
                event.action,
                _cell(event.target_type),
                _cell(event.target_id),
                _cell(event.target_label),
                event.ip_address or "",
                _cell(event.user_agent),
                _cell(json.dumps(event.changes, sort_keys=True, ensure_ascii=False)),
            ]
        )
