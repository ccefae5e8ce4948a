"""Hostile input at every row of the routes-and-roles table (tests/test_access.py): never a 5xx,
and a refusal leaves the database as it was.

For each row of ROUTES, each parameter its view reads (PARAMS: form fields, JSON fields,
query-string parameters) is sent hostile values one at a time while the rest of the table's valid
body stays, so the value gets past the form to the code behind it: first a fixed catalogue (NUL,
control characters, lone surrogates, 10k and 50k strings, 2**63, 1e308, 5,000 digits, "²", "٣",
impossible and year-1/year-9999 dates, wrong JSON types, a list where one value belongs, the field
missing), then values hypothesis generates (up to 100k characters). Each body is also broken as a
whole (empty, extra fields, the wrong content type, invalid UTF-8, over 1,000 fields; for the API
non-object, invalid, 33-deep, 10k-key and 100k-element JSON), GET rows get a junk query string, and
the ids in each path become 2**63 and 30 digits. Django admin's rows get the junk query string,
and its changelists their search and list_filter parameters (where the app's config meets input).

Roles: each catalogue value goes as one role that may use the route (in turn: value i as the i-th
allowed role) and as one the table turns away (a REFUSED one first, as it gets furthest); each
value hypothesis generates goes as every allowed role and the turned-away one. Every request runs
in a savepoint rolled back afterwards, over one world (make_world) built once for the module.
The properties: never a 5xx nor an exception out of the view; and when the answer is a refusal (a
4xx, a form shown again with errors, or a redirect with an error message) the main tables are as
they were (row counts, newest updated_at, and an md5 of their rows).

The API is also fuzzed against its own OpenAPI schema by schemathesis in tests/test_contract.py
(test_the_api_keeps_its_schema_under_every_schemathesis_check); this file adds the
values a schema-driven generator does not reach (surrogates, NUL, huge strings, 2**63, "²") and
the pages. FUZZ_EXAMPLES=n makes hypothesis generate n values per case instead of 1 for a deeper
run (derandomized: the same values on every run); a failure it finds is shrunk to its smallest
input. A known failure is an xfail(strict=True) in XFAILS, one case each: fix it, then delete it.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus

import pytest
from django import forms
from django.contrib import admin, messages
from django.core.cache import cache
from django.db import connection, transaction
from django.http import HttpResponse
from django.template.context import Context
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from accounts.models import Role, Team, User
from accounts.tests.factories import UserFactory
from tests.test_access import (
    ADMIN,
    ANYMAIL_INBOUND,
    BODIES,
    CALLS,
    DONE,
    LOGIN,
    REFUSED,
    ROUTES,
    Call,
    fill,
    make_world,
)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "1"))
REPO = Path(__file__).resolve().parent.parent


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()  # the parameter left out of the request

# ---------------------------------------------------------------------------------------------
# What each view reads. Keys are the table's rows; values name each parameter and its kind.
# Write rows list the form or JSON fields (the valid body is the table's BODIES); GET rows the
# query-string parameters. A row that reads nothing maps to {} and still gets the whole-body (or
# junk query-string) and path cases. Django admin's rows are derived (see _admin_params).

TICKET_FIELDS = {
    "title": "text",
    "description": "text",
    "source_team": "choice",
    "kind": "choice",
    "importance": "choice",
    "revenue_at_stake": "decimal",
    "product_area": "text",
    "tags": "text",
}
BOARD_FILTERS = {
    "period": "choice",
    "source_team": "choice",
    "product_area": "text",
    "segment": "choice",
}
INSIGHT_FILTERS = {
    "months": "int",
    "source_team": "choice",
    "source": "choice",
    "product_area": "text",
}
API_TICKET_FIELDS = {
    **{name: kind for name, kind in TICKET_FIELDS.items() if name != "tags"},
    "tags": "list",
    "initiative": "int",
    "customer": "object",
    "customer.company": "text",
    "customer.email": "email",
    "customer.name": "text",
    "customer.segment": "choice",
}

PARAMS: dict[str, dict[str, str]] = {
    "GET /login/": {"next": "url"},
    "POST /login/": {"username": "text", "password": "text", "next": "url"},
    "GET /logout/": {},
    "POST /logout/": {"next": "url"},
    "GET /unsubscribe/{unsubscribe}/": {},
    "POST /unsubscribe/{unsubscribe}/": {},
    "GET /unsubscribe/forged/": {},
    # Slack's endpoints read nothing before the signature checks out (unsigned here: refused);
    # signed hostile input is slack_app/tests/test_requests.py's.
    "GET /integrations/slack/commands/": {},
    "POST /integrations/slack/commands/": {"command": "text", "user_id": "text", "text": "text"},
    "GET /integrations/slack/interactivity/": {},
    "POST /integrations/slack/interactivity/": {"payload": "text"},
    "GET /integrations/slack/events/": {},
    "POST /integrations/slack/events/": {"type": "text", "challenge": "text"},
    "GET /": {},
    "GET /intake/new/": {},
    "POST /intake/new/": {
        **TICKET_FIELDS,
        "company": "text",
        "segment": "choice",
        "contact_name": "text",
        "email": "email",
        "initiative": "int",
    },
    "GET /intake/new/similar/?title=export": {"title": "text", "description": "text"},
    "GET /intake/new/companies/?company=com": {"company": "text"},
    "GET /intake/mine/": {"page": "int"},
    "GET /intake/tickets/": {
        "q": "text",
        "status": "choice",
        "source_team": "choice",
        "source": "choice",
        "kind": "choice",
        "importance": "choice",
        "product_area": "text",
        "company": "text",
        "page": "int",
    },
    "GET /intake/tickets/{ticket}/": {},
    "GET /intake/tickets/{ticket}/edit/": {},
    "POST /intake/tickets/{ticket}/edit/": TICKET_FIELDS,
    "GET /intake/tickets/{ticket}/comments/": {},
    "POST /intake/tickets/{ticket}/comments/": {"body": "text", "kind": "choice"},
    "GET /intake/tickets/{ticket}/same-ask/": {},
    "POST /intake/tickets/{ticket}/same-ask/": {"same_as": "int", "initiative": "int"},
    "GET /intake/tickets/{ticket}/answer/": {},
    "POST /intake/tickets/{ticket}/answer/": {"body": "text"},
    "GET /triage/": BOARD_FILTERS,
    "GET /triage/inbox/": {"view": "choice", "page": "int"},
    "GET /triage/inbox/{ticket}/": {},
    "GET /triage/inbox/{ticket}/link/": {},
    "POST /triage/inbox/{ticket}/link/": {"initiative": "int"},
    "GET /triage/inbox/{ticket}/create/": {},
    "POST /triage/inbox/{ticket}/create/": {
        "title": "text",
        "description": "text",
        "product_area": "text",
    },
    "GET /triage/inbox/{ticket}/duplicate/": {},
    "POST /triage/inbox/{ticket}/duplicate/": {"of": "int"},
    "GET /triage/inbox/{ticket}/decline/": {},
    "POST /triage/inbox/{ticket}/decline/": {"reason": "text"},
    "GET /triage/inbox/{ticket}/ask/": {},
    "POST /triage/inbox/{ticket}/ask/": {"body": "text"},
    "GET /triage/inbox/{ticket}/snooze/": {},
    "POST /triage/inbox/{ticket}/snooze/": {"until": "date"},
    "GET /triage/inbox/{ticket}/same/": {},
    "POST /triage/inbox/{ticket}/same/": {"same_as": "int"},
    "GET /triage/inbox/{ticket}/nonsense/": {},
    "GET /triage/inbox/themes/": {},
    "POST /triage/inbox/themes/": {"tickets": "ids", "title": "text", "initiative": "int"},
    "GET /triage/inbox/themes/exclude/": {},
    "POST /triage/inbox/themes/exclude/": {"ticket": "int"},
    "GET /triage/initiatives/new/": {},
    "POST /triage/initiatives/new/": {
        "title": "text",
        "description": "text",
        "product_area": "text",
        "owner": "int",
        "effort": "text",
    },
    "GET /triage/initiatives/{initiative}/": {"page": "int"},
    "GET /triage/initiatives/{initiative}/edit/": {},
    "POST /triage/initiatives/{initiative}/edit/": {
        "title": "text",
        "description": "text",
        "product_area": "text",
        "owner": "int",
        "effort": "text",
    },
    "GET /triage/initiatives/{initiative}/move/": {},
    "POST /triage/initiatives/{initiative}/move/": {
        "status": "choice",
        "version": "int",
        "release_note": "text",
        "decline_reason": "text",
        "unship": "text",
        "from": "choice",
    },
    "GET /triage/inbox/bulk/": {},
    "POST /triage/inbox/bulk/": {
        "tickets": "ids",
        "action": "choice",
        "initiative": "int",
        "reason": "text",
        "until": "date",
        "view": "choice",
        "page": "int",
    },
    "GET /triage/inbox/undo/": {},
    "POST /triage/inbox/undo/": {"view": "choice", "page": "int"},
    "GET /triage/move/": {},
    "POST /triage/move/": {
        "initiative": "int",
        "status": "choice",
        "version": "int",
        "release_note": "text",
        "decline_reason": "text",
        "unship": "text",
        "from": "choice",
    },
    "GET /triage/initiatives/{moved}/undo/": {},
    "POST /triage/initiatives/{moved}/undo/": {"version": "int", "from": "choice"},
    "GET /triage/initiatives/{initiative}/audience/": {},
    "GET /triage/initiatives/{initiative}/status/?to=shipped": {"to": "choice"},
    "POST /triage/initiatives/{initiative}/status/": {
        "status": "choice",
        "version": "int",
        "release_note": "text",
        "decline_reason": "text",
    },
    "GET /triage/initiatives/{initiative}/preview/": {},
    "POST /triage/initiatives/{initiative}/preview/": {"release_note": "text"},
    "GET /triage/initiatives/{initiative}/merge/": {},
    "POST /triage/initiatives/{initiative}/merge/": {"into": "int"},
    "GET /triage/initiatives/{initiative}/tickets/{linked}/unlink/": {},
    "POST /triage/initiatives/{initiative}/tickets/{linked}/unlink/": {},
    "GET /insights/": INSIGHT_FILTERS,
    "GET /insights/inbox.csv": INSIGHT_FILTERS,
    "GET /insights/nonsense.csv": {},
    "GET /notices/": {"page": "int"},
    "GET /notices/{notice}/": {},
    "GET /people/": {"page": "int"},
    "POST /people/": {
        "email": "email",
        "first_name": "text",
        "last_name": "text",
        "role": "choice",
        "team": "choice",
    },
    "GET /people/invites/{invitation}/resend/": {},
    "POST /people/invites/{invitation}/resend/": {},
    "GET /people/invites/{invitation}/revoke/": {},
    "POST /people/invites/{invitation}/revoke/": {},
    "GET /invite/{invitetoken}/": {},
    "POST /invite/{invitetoken}/": {"username": "text", "password1": "text", "password2": "text"},
    "GET /account/": {},
    "POST /account/": {
        "action": "choice",
        "name": "text",
        "time_zone": "choice",
        "old_password": "text",
        "new_password1": "text",
        "new_password2": "text",
    },
    "GET /notices/read/": {},
    "POST /notices/read/": {},
    "GET /notices/settings/": {},
    "POST /notices/settings/": {"emailed": "ids"},
    "GET /notices/deliveries/": {
        "initiative": "int",
        "status": "choice",
        "kind": "choice",
        "page": "int",
    },
    "GET /notices/deliveries/{delivery}/retry/": {},
    "POST /notices/deliveries/{delivery}/retry/": {"next": "url"},
    "GET /account/tokens/{apitoken}/revoke/": {},
    "POST /account/tokens/{apitoken}/revoke/": {"next": "choice"},
    "GET /people/tokens/": {"page": "int"},
    "GET /audit/": {
        "actor": "int",
        "action": "choice",
        "since": "date",
        "until": "date",
        "page": "int",
    },
    "GET /audit/?format=csv": {
        "actor": "int",
        "action": "choice",
        "since": "date",
        "until": "date",
    },
    # Single sign-on is off here (404 before anything is read); its hostile answers (forged
    # tokens, replayed states) are sso/tests/test_sign_in.py's, against a real provider.
    "GET /sso/login/": {"next": "url"},
    "GET /sso/callback/": {"code": "text", "state": "text", "error": "text"},
    "GET /sso/scim-tokens/": {},
    "POST /sso/scim-tokens/": {"name": "text"},
    "GET /sso/scim-tokens/{scimtoken}/revoke/": {},
    "POST /sso/scim-tokens/{scimtoken}/revoke/": {},
    # SCIM reads nothing before the bearer token checks out (none here: 401); its malformed
    # bodies and filters are sso/tests/test_scim.py's.
    "GET /scim/v2/": {},
    "GET /scim/v2/Users": {"filter": "text", "startIndex": "int", "count": "int"},
    "GET /scim/v2/Users/.search": {},
    "GET /scim/v2/Users/{user}": {},
    "GET /scim/v2/Groups": {"filter": "text", "startIndex": "int", "count": "int"},
    "GET /scim/v2/Groups/.search": {},
    "GET /scim/v2/ServiceProviderConfig": {},
    "GET /scim/v2/ResourceTypes": {},
    "GET /scim/v2/Schemas": {},
    "GET /webhooks/": {},
    "GET /webhooks/new/": {},
    "POST /webhooks/new/": {
        "url": "url",
        "secret": "text",
        "events": "choice",
        "description": "text",
        "active": "bool",
    },
    "GET /webhooks/{webhook}/": {"page": "int"},
    "GET /webhooks/{webhook}/edit/": {},
    "POST /webhooks/{webhook}/edit/": {
        "url": "url",
        "secret": "text",
        "events": "choice",
        "description": "text",
        "active": "bool",
    },
    "GET /webhooks/{webhook}/delete/": {},
    "POST /webhooks/{webhook}/delete/": {},
    "GET /webhooks/{webhook}/deliveries/{hookdelivery}/again/": {},
    "POST /webhooks/{webhook}/deliveries/{hookdelivery}/again/": {},
    "GET /triage/initiatives/{initiative}/work/": {},
    "POST /triage/initiatives/{initiative}/work/": {"url": "url"},
    "GET /triage/initiatives/{initiative}/work/{workitem}/remove/": {},
    "POST /triage/initiatives/{initiative}/work/{workitem}/remove/": {},
    # GitHub's and Linear's webhooks read nothing before the signature checks out (unsigned
    # here: refused); signed hostile input is webhooks/tests/test_inbound.py's.
    "GET /integrations/github/": {},
    "POST /integrations/github/": {"action": "text"},
    "GET /integrations/linear/": {},
    "POST /integrations/linear/": {"type": "text", "action": "text"},
    "GET /channels/": {},
    "GET /channels/email-imap/test/": {},
    "POST /channels/email-imap/test/": {},
    "GET /email/tickets/{ticket}/onto/{initiative}/": {},
    "GET /intake/tickets/{ticket}/company/": {},
    "POST /intake/tickets/{ticket}/company/": {"company": "text"},
    # The provider webhooks read their body whole (anymail parses the provider's format); the
    # whole-body cases break it every way, and without the basic auth each call is refused.
    **{
        f"{method} /anymail/{provider}/inbound/": {}
        for provider in ANYMAIL_INBOUND
        for method in ("GET", "POST")
    },
    "GET /sessions/": {"page": "int"},
    "GET /sessions/calendar/": {"month": "month"},
    "GET /sessions/new/workshop/": {},
    "POST /sessions/new/workshop/": {
        "title": "text",
        "topic": "choice",
        "starts_at": "datetime",
        "duration_minutes": "int",
        "description": "text",
        "location": "text",
        "product_area": "int",
        "tags": "text",
        "invitees": "ids",
        "people_q": "text",
        "add": "int",
        "drop": "int",
        "team": "choice",
        "add_team": "bool",
    },
    "GET /sessions/people/?people_q=sal": {
        "people_q": "text",
        "invitees": "ids",
        "add": "int",
        "drop": "int",
        "team": "choice",
        "add_team": "bool",
        "session": "int",
    },
    "GET /sessions/new/review/": {},
    "POST /sessions/new/review/": {"starts_at": "datetime"},
    "GET /sessions/{review}/": {"sort": "choice"},
    "GET /sessions/{workshop}/": {"sort": "choice"},
    "GET /sessions/{review}/rsvp/": {},
    "POST /sessions/{review}/rsvp/": {"rsvp": "choice"},
    "GET /sessions/{review}/agenda/": {},
    "POST /sessions/{review}/agenda/": {
        "item": "int",
        "action": "choice",
        "ticket": "int",
        "initiative": "int",
        "q": "text",
    },
    "GET /sessions/{review}/agenda/search/?q=export": {"q": "text"},
    "GET /sessions/{review}/items/{item}/vote/": {},
    "POST /sessions/{review}/items/{item}/vote/": {"take_back": "bool"},
    "GET /sessions/{review}/items/{item}/comment/": {},
    "POST /sessions/{review}/items/{item}/comment/": {"body": "text", "kind": "choice"},
    "GET /sessions/{review}/items/{item}/decide/": {},
    "POST /sessions/{review}/items/{item}/decide/": {
        "decision": "choice",
        "rationale": "text",
        "initiative": "int",
        "title": "text",
        "same_as": "int",
    },
    "GET /sessions/{review}/items/{item}/matches/": {},
    "GET /sessions/{review}/notes/": {},
    "POST /sessions/{review}/notes/": {"notes": "text", "item": "int"},
    "GET /sessions/{review}/close/": {},
    "POST /sessions/{review}/close/": {"attended": "ids", "early": "bool"},
    "GET /sessions/{review}/reschedule/": {},
    "POST /sessions/{review}/reschedule/": {"starts_at": "datetime", "duration_minutes": "int"},
    "GET /sessions/{review}/cancel/": {},
    "POST /sessions/{review}/cancel/": {},
    "GET /sessions/{review}/invite/": {},
    "POST /sessions/{review}/invite/": {"invitees": "ids", "add": "int", "team": "choice"},
    "GET /sessions/{workshop}/outcomes/": {},
    "POST /sessions/{workshop}/outcomes/": {
        "kind": "choice",
        "body": "text",
        "create_initiative": "bool",
    },
    # Development's Sent mail (not found with DEBUG off, as here)
    "GET /dev/mail/": {"page": "int"},
    "GET /dev/mail/20260101-000000-000000-0123abcd.eml/": {},
    "GET /dev/mail/20260101-000000-000000-0123abcd.eml/raw/": {},
    "GET /dev/mail/20260101-000000-000000-0123abcd.eml/attachments/0/": {},
    # The API
    "GET /api/nowhere/": {},
    "GET /data/": {},
    "POST /data/": {"file": "text"},
    "GET /data/imports/{import}/": {"status": "text"},
    "GET /data/imports/{import}/start/": {},
    "POST /data/imports/{import}/start/": {},
    "GET /data/exports/tickets.csv": {},
    "GET /api/exports/tickets/": {"format": "choice"},
    "POST /api/auth/token/": {"username": "text", "password": "text"},
    "GET /api/auth/token/": {},
    "GET /api/schema/": {"format": "choice", "lang": "choice"},
    "GET /api/docs/": {},
    "GET /api/tickets/": {
        "status": "choice",
        "source_team": "choice",
        "source": "choice",
        "initiative": "int",
        "search": "text",
        "page": "int",
    },
    "POST /api/tickets/": API_TICKET_FIELDS,
    "GET /api/tickets/{ticket}/": {},
    "GET /api/tickets/{ticket}/comments/": {},
    "POST /api/tickets/{ticket}/comments/": {"body": "text", "kind": "choice"},
    "GET /api/tickets/{ticket}/link/": {},
    "POST /api/tickets/{ticket}/link/": {"initiative": "int"},
    "GET /api/tickets/{ticket}/decline/": {},
    "POST /api/tickets/{ticket}/decline/": {"reason": "text"},
    "GET /api/tickets/{ticket}/duplicate/": {},
    "POST /api/tickets/{ticket}/duplicate/": {"of": "int"},
    "GET /api/initiatives/": {"status": "choice", "ordering": "choice", "page": "int"},
    "POST /api/initiatives/": {
        "title": "text",
        "description": "text",
        "product_area": "text",
        "effort": "text",
    },
    "GET /api/initiatives/{initiative}/": {},
    "GET /api/similar/?text=export+invoices": {"text": "text", "limit": "int"},
    "PATCH /api/initiatives/{initiative}/": {
        "status": "choice",
        "release_note": "text",
        "decline_reason": "text",
        "version": "int",
        "title": "text",
        "description": "text",
        "product_area": "text",
        "effort": "text",
    },
    "GET /api/notifications/": {"initiative": "int", "status": "choice", "page": "int"},
    "GET /api/sessions/": {"kind": "choice", "upcoming": "bool", "page": "int"},
    "POST /api/sessions/": {
        "kind": "choice",
        "title": "text",
        "topic": "choice",
        "starts_at": "datetime",
        "duration_minutes": "int",
        "participants": "list",
        "description": "text",
        "location": "text",
    },
    "GET /api/sessions/{review}/": {},
    "GET /api/webhooks/": {"page": "int"},
    "POST /api/webhooks/": {
        "url": "url",
        "secret": "text",
        "events": "list",
        "active": "bool",
        "description": "text",
    },
    "GET /api/webhooks/{webhook}/": {},
    "PATCH /api/webhooks/{webhook}/": {
        "url": "url",
        "secret": "text",
        "events": "list",
        "active": "bool",
        "description": "text",
    },
    "DELETE /api/webhooks/{webhook}/": {},
}


def _admin_params(row: str) -> dict[str, str]:
    """Django admin: a changelist reads its search and list_filter parameters, where the app's
    configuration (search_fields, list_filter) meets input; every other admin page gets the
    junk query-string case only."""
    match = re.fullmatch(r"GET /admin/(\w+)/(\w+)/", row)
    if not match:
        return {}
    for model, model_admin in admin.site._registry.items():
        if (model._meta.app_label, model._meta.model_name) == match.groups():
            search = {"q": "admin"} if model_admin.search_fields else {}
            filters = [name for name in model_admin.list_filter if isinstance(name, str)]
            return {**search, **{f"{name}__exact": "admin" for name in filters}}
    return {}


def params_of(row: str) -> dict[str, str] | None:
    if row.split(" ", 1)[1].startswith("/admin/"):
        return _admin_params(row)
    return PARAMS.get(row)


# ---------------------------------------------------------------------------------------------
# Hostile values: a fixed catalogue per kind, then hypothesis's own


def _long(char: str, n: int) -> str:
    return char * n


TEXT = [
    MISSING,
    "",
    "Ac\x00me",
    "\x01\x1b[2J\x7f\x9b\r\n\u2028\u202e\ufeff🙂",
    "\ud800 lone \udfff",
    _long("é", 10_001),
    _long("x", 50_001),
    ["a", "b"],
]
INT = [MISSING, "0", str(2**63), _long("9", 5_000), "1e308", "²", "٣", "\x00", ["1", "2"]]
DECIMAL = [*INT, "NaN", "Infinity"]
DATE = [
    MISSING,
    "9999-12-31",
    "9999-12-31T23:59",
    "0001-01-01",
    "2026-02-30",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00+14:00",
    "10000-01-01",
    "²٣٣٣-01-01",
]
MONTH = ["9999-12", "0001-01", "0000-00", "2026-13", "10000-01", "²٣٣٣-01", "\x00"]
CHOICE = [MISSING, "nope", "\x00", "\ud800", ["a", "b"]]
BOOL = [MISSING, "²", "\x00", ["on", "off"]]
EMAIL = [
    MISSING,
    "a\x00@acme.example",
    _long("x", 65) + "@acme.example",
    "a@" + _long("b", 10_000) + ".example",
    "\ud800@acme.example",
    "é@é.example",
    "@",
]
URL = ["//evil.example/", "javascript:alert(1)", "/\\evil.example", "0", "\x00", _long("/", 10_001)]
IDS = [
    MISSING,
    "²",
    _long("9", 5_000),
    str(2**63),
    "\x00",
    ["1", "²", "-1"],
    list(map(str, range(999))),
]
# Django admin's own parameters: only the values that reach the database as they are.
ADMIN_VALUES = ["\x00", "\ud800", _long("é", 10_001), ["a", "b"]]
CATALOGUE: dict[str, list[Any]] = {
    "admin": ADMIN_VALUES,
    "text": TEXT,
    "int": INT,
    "decimal": DECIMAL,
    "date": DATE,
    "datetime": DATE,
    "month": MONTH,
    "choice": CHOICE,
    "bool": BOOL,
    "email": EMAIL,
    "url": URL,
    "ids": IDS,
}
# In a JSON body a field may also be of the wrong type; a list may be huge.
JSON_WRONG: list[Any] = [None, 2**63, [], {"x": "y"}]
JSON_CATALOGUE: dict[str, list[Any]] = {
    **{kind: [*values, *JSON_WRONG] for kind, values in CATALOGUE.items()},
    "list": [MISSING, None, "x", [None], [{}], [_long("x", 10_001)], ["\x00"], ["x"] * 100_000],
    "object": [MISSING, None, "x", [], {}, {"company": {}}],
}

HOSTILE_CHARS = "\x00\x01\x1b\x7f\x85\u2028\u202e\ufeff\ud800\udfff²٣🙂é<>\"'&%\\/;"
_text = st.text(st.characters(exclude_categories=()), max_size=40) | st.text(
    st.sampled_from(HOSTILE_CHARS), min_size=1, max_size=40
)
_long_text = st.builds(
    _long, st.sampled_from(["x", "é", "\x00", "\ud800", "9", " "]), st.integers(10_000, 100_000)
)
_number = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.floats().map(repr),
    st.text(st.characters(categories=["Nd", "No"]), min_size=1, max_size=8),
    st.integers(4_000, 6_000).map(lambda n: "9" * n),
)
_offset = st.integers(-1439, 1439).map(lambda m: datetime.timezone(datetime.timedelta(minutes=m)))
_datetime = st.one_of(
    st.datetimes(timezones=st.none() | _offset).map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: f"{d:%Y-%m-%dT%H:%M}"),
    st.tuples(*(st.integers(0, n) for n in (10_000, 13, 32, 25, 61))).map(
        lambda t: "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}".format(*t)
    ),
)
_month = st.tuples(st.integers(-1, 10_001), st.integers(-1, 13)).map(
    lambda t: f"{t[0]:04d}-{t[1]:02d}"
)
_scalar = st.one_of(_text, _number)
STRATEGIES: dict[str, st.SearchStrategy[Any]] = {
    "admin": _text,
    "text": _text | _long_text,
    "int": _number,
    "decimal": _number,
    "date": _datetime | _datetime.map(lambda d: d[:10]),
    "datetime": _datetime,
    "month": _month,
    "choice": _scalar,
    "bool": _scalar,
    "email": st.builds("{}@{}".format, _text, _text) | _text,
    "url": _text,
    "ids": st.lists(_number, max_size=20),
    "list": st.lists(_text, max_size=20),
    "object": st.dictionaries(_text, _text, max_size=5),
}
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=20,
)


def _form_value(value: Any) -> Any:
    """A form or query string carries text: generated numbers and lists become text."""
    if isinstance(value, list):
        return [str(item) for item in value]
    return value if value is MISSING else str(value)


def strategy(kind: str, api: bool) -> st.SearchStrategy[Any]:
    base = STRATEGIES[kind]
    return (base | _json) if api else base.map(_form_value)


# ---------------------------------------------------------------------------------------------
# Requests: built by hand, so a value the test client would not encode (a lone surrogate) still
# goes on the wire as a hostile client would send it.


def _q(text: str) -> str:
    return quote_plus(text.encode("utf-8", "surrogatepass"))


def urlencode(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{_q(key)}={_q(value)}" for key, value in pairs)


def _json_bytes(value: Any) -> bytes:
    # ensure_ascii writes a lone surrogate as its \\ud800 escape, which json.loads gives back.
    return json.dumps(value).encode()


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str = ""
    body: bytes = b""
    content_type: str = ""

    def send(self, client: Client) -> HttpResponse:
        url = f"{self.path}?{self.query}" if self.query else self.path
        if self.method == "get":
            return client.get(url)  # type: ignore[return-value]
        return client.generic(  # type: ignore[return-value]
            self.method.upper(), url, self.body, self.content_type
        )

    def __str__(self) -> str:
        body = self.body[:120] + (b"..." if len(self.body) > 120 else b"")
        query = self.query[:120] + ("..." if len(self.query) > 120 else "")
        return (
            f"{self.method.upper()} {self.path}"
            + (f"?{query}" if query else "")
            + (f" body={body!r} ({len(self.body)} bytes)" if self.body else "")
        )


def _pairs(values: dict[str, Any]) -> list[tuple[str, str]]:
    pairs = []
    for key, value in values.items():
        if value is MISSING:
            continue
        for item in value if isinstance(value, list) else [value]:
            pairs.append((key, str(item)))
    return pairs


def _set(body: dict[str, Any], name: str, value: Any) -> dict[str, Any]:
    """The body with one (possibly dotted: customer.email) field set, or dropped if MISSING."""
    body = json.loads(json.dumps(body))
    *parents, leaf = name.split(".")
    node = body
    for parent in parents:
        node = node[parent]
    if value is MISSING:
        node.pop(leaf, None)
    else:
        node[leaf] = value
    return body


FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@dataclass(frozen=True)
class Case:
    """One row of the table and the one parameter (or the whole body, or the path) fuzzed."""

    call: Call
    param: str  # a parameter's name, or BODY, or PATH
    kind: str

    @property
    def id(self) -> str:
        return f"{self.call} [{self.param}]"

    @property
    def explores(self) -> bool:
        """Whether hypothesis adds values to the catalogue's: not for ids in paths, nor for
        the junk query string of Django admin's pages."""
        return self.param != PATH and not (
            self.param == BODY and self.call.path.startswith("/admin/")
        )

    @property
    def api(self) -> bool:
        return self.call.path.startswith("/api/")

    def _path_and_query(self, world: dict[str, str]) -> tuple[str, dict[str, Any]]:
        path, _, query = self.call.path.partition("?")
        return fill(path, world), dict(parse_qsl(query))

    def request(self, world: dict[str, str], value: Any) -> Request:
        """The table's call with this case's parameter set to the value."""
        method = self.call.method
        path, query = self._path_and_query(world)
        names = self.param.split(",") if self.param not in (BODY, PATH) else []
        if method == "get":
            query.update(dict.fromkeys(names, value))
            return Request(method, path, urlencode(_pairs(query)))
        body = fill(self.call.body or {}, world)
        for name in names:
            body = _set(body, name, value)
        if self.api:
            return Request(method, path, body=_json_bytes(body), content_type=JSON)
        return Request(method, path, body=urlencode(_pairs(body)).encode(), content_type=FORM)

    def catalogue(self, world: dict[str, str]) -> list[Request]:
        if self.param == BODY:
            return self._whole_bodies(world)
        if self.param == PATH:
            return [self._with_path(world, name, value) for name, value in self._path_values()]
        values = (JSON_CATALOGUE if self.api and self.call.method != "get" else CATALOGUE)[
            self.kind
        ]
        return [self.request(world, value) for value in values]

    def generated(self, world: dict[str, str]) -> st.SearchStrategy[Request]:
        if self.param == BODY:
            if self.call.method == "get":
                pairs = st.lists(st.tuples(_text, _text | _long_text), max_size=8)
                return pairs.map(lambda p: self._with_query(world, p))
            if self.api:
                return _json.map(lambda v: self._raw(world, _json_bytes(v), JSON))
            pairs = st.lists(st.tuples(_text, _text | _long_text), max_size=8)
            return pairs.map(lambda p: self._raw(world, urlencode(p).encode(), FORM))
        api = self.api and self.call.method != "get"
        return strategy(self.kind, api).map(lambda v: self.request(world, v))

    # The whole body broken, or the path's ids swapped

    def _raw(self, world: dict[str, str], body: bytes, content_type: str) -> Request:
        path, query = self._path_and_query(world)
        return Request(self.call.method, path, urlencode(_pairs(query)), body, content_type)

    def _with_query(self, world: dict[str, str], pairs: list[tuple[str, str]]) -> Request:
        path, query = self._path_and_query(world)
        return Request("get", path, urlencode([*_pairs(query), *pairs]))

    def _whole_bodies(self, world: dict[str, str]) -> list[Request]:
        if self.call.method == "get":
            junk = [
                [("x", "\x00"), ("_to_field", "\x00"), ("_popup", "²"), ("format", "\ud800")]
                + [(name, value) for name in self._names() for value in ("1", "²")],
                [(f"f{n}", "x") for n in range(1_001)],  # past DATA_UPLOAD_MAX_NUMBER_FIELDS
            ]
            return [self._with_query(world, pairs) for pairs in junk]
        valid = fill(self.call.body or {}, world)
        extra = {
            "id": 1,
            "pk": 1,
            "status": "shipped",
            "submitted_by": 1,
            "owner": "admin",
            "is_staff": True,
            "role": "admin",
            "version": -1,
        }
        if self.api:
            bodies = [
                (b"", JSON),
                (urlencode(_pairs(valid)).encode(), FORM),  # a form where JSON belongs
                (_json_bytes({**valid, **extra}), JSON),
                (b"null", JSON),
                (b'["x"]', JSON),
                (b'"x"', JSON),
                (b"{", JSON),
                (b'{"title": NaN, "x": Infinity}', JSON),
                (b'{"title": 1e999}', JSON),
                (b'{"title": ' + b"9" * 5_000 + b"}", JSON),
                (b'{"title": "\xff"}', JSON),
                (b"\xef\xbb\xbf" + _json_bytes(valid), JSON),
                (b"[" * 33 + b"]" * 33, JSON),
                (b'{"a":' * 31 + b"1" + b"}" * 31, JSON),
                (_json_bytes({f"k{n}": n for n in range(10_000)}), JSON),
                (_json_bytes(["x"] * 100_000), JSON),
            ]
        else:
            many = "&".join(f"f{n}=x" for n in range(1_001)).encode()
            bodies = [
                (b"", FORM),
                (b"\xff\xfe\x00title=\xff", FORM),
                (many, FORM),  # past DATA_UPLOAD_MAX_NUMBER_FIELDS
                (
                    urlencode(_pairs({**valid, **{k: str(v) for k, v in extra.items()}})).encode(),
                    FORM,
                ),
                (urlencode([(k, v) for k, v in _pairs(valid) for _ in "ab"]).encode(), FORM),
                (_json_bytes(valid), JSON),  # JSON where a form belongs
                (
                    b'--b\r\nContent-Disposition: form-data; name="x"; filename="x.txt"\r\n\r\n'
                    b"\x00\r\n--b--\r\n",
                    "multipart/form-data; boundary=b",
                ),
            ]
        return [self._raw(world, body, content_type) for body, content_type in bodies]

    def _names(self) -> list[str]:
        params = ",".join(params_of(str(self.call)) or {})
        return [name for name in params.split(",") if name and "." not in name]

    def _path_values(self) -> list[tuple[str, str]]:
        values = []
        for name in re.findall(r"\{(\w+)\}", self.call.path):
            if name in ("unsubscribe", "invitetoken"):  # tokens, not ids
                hostile = ["%00", _long("x", 10_000), "%ED%A0%80", "%FF"]
            else:
                hostile = [str(2**63), _long("9", 30)]
            values += [(name, value) for value in hostile]
        return values

    def _with_path(self, world: dict[str, str], name: str, value: str) -> Request:
        token = name in ("unsubscribe", "invitetoken")
        swapped = {**world, f"{{{name}}}": value if token else quote(value)}
        return self.request(swapped, MISSING)


BODY = "*body*"
PATH = "*path*"


def cases() -> list[Case]:
    found = []
    for call in CALLS:
        row = str(call)
        for name, kind in (params_of(row) or {}).items():
            found.append(Case(call, name, kind))
        found.append(Case(call, BODY, ""))
        if "{" in call.path and not call.path.startswith("/admin/"):
            found.append(Case(call, PATH, ""))
    return found


CASES = cases()

# ---------------------------------------------------------------------------------------------
# Known failures: the cases a fix will turn green. strict: once fixed, the xfail itself fails,
# to be removed. Keep each to one case.

# None now: the cases issue 13 listed, and those this harness found, are fixed.
XFAILS: dict[str, str] = {}


def _params() -> Iterator[Any]:
    for case in CASES:
        marks = []
        if case.id in XFAILS:
            marks.append(pytest.mark.xfail(strict=True, reason=f"issue 13: {XFAILS[case.id]}"))
        yield pytest.param(case, id=case.id, marks=marks)


# ---------------------------------------------------------------------------------------------
# Roles: every role the table lets through, and one it turns away (the one that gets furthest)

REACHES = {200, 201, 400, 404, 405, DONE}
TURNED_AWAY = [REFUSED, 403, 401, ADMIN, LOGIN]


# Logged in, the log-in page only sends you on (the table's DONE): it is the visitor's.
VISITOR_ONLY = {"GET /login/", "POST /login/"}


def roles_for(call: Call) -> tuple[list[str], list[str]]:
    """The roles the table lets through, and one it turns away (the one that gets furthest)."""
    if str(call) in VISITOR_ONLY:
        return ["anonymous"], ["submitter"]
    allowed = [role for role, answer in call.answers.items() if answer in REACHES]
    for answer in TURNED_AWAY:
        others = [role for role, a in call.answers.items() if a == answer]
        if others:
            return allowed, others[:1]
    return allowed, []


def rotation(call: Call, index: int) -> list[str]:
    """The catalogue's index-th value goes as one allowed role, in turn, and the turned-away
    one; hypothesis's values go as every role (roles_for)."""
    allowed, other = roles_for(call)
    return allowed[index % len(allowed) : index % len(allowed) + 1] + other if allowed else other


# ---------------------------------------------------------------------------------------------
# The database, cheaply: row counts, newest updated_at, and a digest of the rows


def _tables() -> list[tuple[str, bool]]:
    from intake.models import Comment, Contact, Customer, Ticket
    from notifications.models import Notice, Notification
    from people.models import Invitation
    from sessions.models import AgendaItem, ItemComment, Outcome, Participant, Session, Vote
    from triage.models import Initiative, InitiativeEvent

    models = [
        Ticket,
        Customer,
        Contact,
        Comment,
        Initiative,
        InitiativeEvent,
        Session,
        AgendaItem,
        Participant,
        ItemComment,
        Vote,
        Outcome,
        Notification,
        Notice,
        Invitation,
    ]
    return [(m._meta.db_table, any(f.name == "updated_at" for f in m._meta.fields)) for m in models]


def snapshot() -> dict[str, Any]:
    parts = []
    for table, has_updated in _tables():
        newest = "max(t.updated_at)::text" if has_updated else "NULL"
        parts.append(
            f"SELECT '{table}', count(*), {newest}, md5(coalesce(string_agg(t::text, '|' "
            f"ORDER BY t::text), '')) FROM {table} t"
        )
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return {row[0]: row[1:] for row in cursor.fetchall()}


def _changed(before: dict[str, Any], after: dict[str, Any]) -> str:
    return ", ".join(
        f"{table} {before[table][0]}→{after[table][0]} rows"
        + ("" if before[table][1] == after[table][1] else ", newer updated_at")
        for table in before
        if before[table] != after[table]
    )


# ---------------------------------------------------------------------------------------------
# One request as one role, judged


PLUMBING = re.compile(r"site-packages/(psycopg/|django/(db|core/handlers|utils/deprecation)/)")


def _app_frame(exc: BaseException) -> str:
    """The innermost frame of the app's own code; failing that, of the library code the
    request went through (not the database layer nor the request plumbing)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if f.filename.startswith(str(REPO)) and "/tests/" not in f.filename]
    if ours:
        return f"{Path(ours[-1].filename).relative_to(REPO)}:{ours[-1].lineno} in {ours[-1].name}"
    libraries = [f for f in frames if "site-packages/" in f.filename]
    for frame in ([f for f in libraries if not PLUMBING.search(f.filename)] or libraries)[-1:]:
        where = frame.filename.split("site-packages/", 1)[1]
        return f"no app frame; {where}:{frame.lineno} in {frame.name}"
    return "no app frame"


def _describe(exc: BaseException) -> str:
    message = str(exc).splitlines()[0][:160] if str(exc) else ""
    return f"{type(exc).__name__}: {message} [{_app_frame(exc)}]"


def _has_form_errors(response: HttpResponse) -> bool:
    contexts = getattr(response, "context", None)
    if contexts is None:
        return False
    for context in contexts if isinstance(contexts, list) else [contexts]:
        dicts = context.dicts if isinstance(context, Context) else [context]
        for values in dicts:
            for value in values.values() if isinstance(values, dict) else []:
                if isinstance(value, forms.BaseForm) and value.is_bound and value.errors:
                    return True
    return False


def _refusal(response: HttpResponse) -> str:
    """What kind of no the answer is, or "" for a yes."""
    if 400 <= response.status_code < 500:
        return str(response.status_code)
    if response.status_code == 302:
        said = messages.get_messages(response.wsgi_request)  # type: ignore[attr-defined]
        if any(m.level == messages.ERROR for m in said):
            return "redirect with an error message"
        return ""
    if _has_form_errors(response):
        return f"{response.status_code} with form errors"
    return ""


@dataclass
class Harness:
    world: dict[str, str]
    clients: dict[str, Client]
    cookies: dict[str, dict[str, str]]
    baseline: dict[str, Any] = field(default_factory=dict)

    def problems(self, request: Request, roles: list[str]) -> list[str]:
        """Send the request as each role; what went wrong, one line each."""
        found = []
        for role in roles:
            problem = self.judge(role, request)
            if problem:
                found.append(f"{request} as {role}: {problem}")
        return found

    def judge(self, role: str, request: Request) -> str:
        client = self.clients[role]
        client.cookies = SimpleCookie(self.cookies[role])
        cache.clear()  # the token view's throttle counts in the cache
        sid = transaction.savepoint()
        try:
            try:
                response = request.send(client)
            except Exception as exc:
                return _describe(exc)
            if response.status_code >= 500:
                return f"answered {response.status_code}"
            refusal = _refusal(response)
            if refusal:
                try:
                    after = snapshot()
                except Exception as exc:
                    return f"answered {refusal}, then the database failed: {_describe(exc)}"
                if after != self.baseline:
                    return f"answered {refusal} but wrote: {_changed(self.baseline, after)}"
            return ""
        finally:
            transaction.savepoint_rollback(sid)


# The users of tests/conftest.py's role fixtures, made once for the module.
USERS: dict[str, dict[str, Any]] = {
    "submitter": {"username": "sales", "role": Role.SUBMITTER, "team": Team.SALES},
    "pm": {"username": "pm", "role": Role.PRODUCT_MANAGER, "team": Team.PRODUCT},
    "facilitator": {"username": "facilitator", "role": Role.FACILITATOR, "team": Team.PRODUCT},
    "admin_user": {
        "username": "admin",
        "role": Role.ADMIN,
        "team": Team.OTHER,
        "is_staff": True,
        "is_superuser": True,
    },
}


@pytest.fixture(scope="module")
def harness(django_db_setup: None, django_db_blocker: Any) -> Iterator[Harness]:
    """The table's world and a logged-in client per role, built once for the module inside a
    transaction rolled back at its end; each test and each request nests a savepoint in it."""
    with django_db_blocker.unblock(), transaction.atomic():
        users: dict[str, User] = {role: UserFactory.create(**spec) for role, spec in USERS.items()}
        world = make_world(
            submitter=users["submitter"], pm=users["pm"], facilitator=users["facilitator"]
        )
        clients = {"anonymous": Client()}
        for role, user in users.items():
            clients[role] = Client()
            clients[role].force_login(user)
        cookies = {role: {k: m.value for k, m in c.cookies.items()} for role, c in clients.items()}
        yield Harness(world, clients, cookies, snapshot())
        transaction.set_rollback(True)


def _explore(harness: Harness, case: Case) -> list[str]:
    """hypothesis's values for the case; the first failing one, shrunk, if any."""
    found: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(request=case.generated(harness.world))
    def explore(request: Request) -> None:
        allowed, other = roles_for(case.call)
        problems = harness.problems(request, allowed + other)
        if problems:
            found[:] = problems
        assert not problems, problems

    try:
        explore()
    except (AssertionError, ExceptionGroup):
        if not found:
            raise
    return found


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(_params()))
def test_hostile_input_never_breaks_a_route(harness: Harness, case: Case) -> None:
    problems = []
    for index, request in enumerate(case.catalogue(harness.world)):
        problems += harness.problems(request, rotation(case.call, index))
    if not problems and case.explores and EXAMPLES:
        problems = _explore(harness, case)
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------------
# The harness itself


def test_every_row_of_the_route_table_is_fuzzed() -> None:
    """A new row of ROUTES (tests/test_access.py makes one for each new URL) gets fuzzed: an app
    row must say here which parameters its view reads, and every row has its cases."""
    rows = [str(call) for call in CALLS]
    assert len(rows) == len(ROUTES)
    unlisted = [row for row in rows if params_of(row) is None]
    assert not unlisted, f"rows with no entry in PARAMS (what does the view read?): {unlisted}"
    assert set(PARAMS) <= set(rows), f"PARAMS for no row: {sorted(set(PARAMS) - set(rows))}"
    fuzzed = {str(case.call) for case in CASES}
    assert fuzzed == set(rows), f"rows without a case: {sorted(set(rows) - fuzzed)}"
    writes = {str(c) for c in CALLS if c.method != "get"}
    assert writes <= set(BODIES)
    assert set(XFAILS) <= {case.id for case in CASES}, "an xfail names no case"
    for call in CALLS:
        assert any(roles_for(call)), f"{call}: no role to send it as"


@pytest.mark.django_db
def test_the_harness_sees_a_write_and_a_refusal(harness: Harness) -> None:
    """The snapshot notices a ticket filed, and a refused form leaves it as it was."""
    call = next(c for c in CALLS if str(c) == "POST /intake/new/")
    case = Case(call, "title", "text")
    client = harness.clients["submitter"]
    client.cookies = SimpleCookie(harness.cookies["submitter"])
    sid = transaction.savepoint()
    try:
        response = case.request(harness.world, "Export invoices").send(client)
        assert response.status_code == 302
        assert not _refusal(response)
        assert snapshot() != harness.baseline
    finally:
        transaction.savepoint_rollback(sid)
    assert snapshot() == harness.baseline
    refused = case.request(harness.world, MISSING)
    assert harness.judge("submitter", refused) == ""
    client.cookies = SimpleCookie(harness.cookies["submitter"])
    sid = transaction.savepoint()
    try:
        assert _refusal(refused.send(client)) == "200 with form errors"
    finally:
        transaction.savepoint_rollback(sid)
