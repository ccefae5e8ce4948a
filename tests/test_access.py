"""Who may open or call what: one table of every URL and API call against every role.

ROUTES lists each page (GET, and POST for every form and htmx write), each API call and each
Django admin page, with the answer an anonymous visitor and each role gets. One test walks the
whole table; another fails when a URL pattern of the app has no row, so a new route cannot ship
without someone deciding who may use it.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any

import pytest
from django.contrib import messages
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from accounts.models import Role, User
from accounts.permissions import Capability, can
from accounts.tests.factories import UserFactory
from core.events import EventType
from tests.dates import day_at, month_start, tuesday_at

# ---------------------------------------------------------------------------------------------
# The answers: a status code, or for a redirect (302) where it goes.

LOGIN = "→ /login/"  # the visitor must log in first
ADMIN = "→ /admin/login/"  # Django admin wants a staff account
DONE = "→ done"  # onwards with no error message: the write happened (or the page moved)
REFUSED = "→ refused"  # back with an error message: the service said no to this role
Answer = int | str

# Future dates the forms accept, counted from today (a review two months on, so its month is not
# the one of the `world` fixture's review).
SNOOZE_UNTIL = (datetime.date.today() + datetime.timedelta(days=14)).isoformat()
WORKSHOP_AT = tuesday_at(weeks=8)
REVIEW_AT = day_at(month_start(2) + datetime.timedelta(days=3))
RESCHEDULE_AT = day_at(month_start(3))
IMPORT_CSV = (
    b"title,description,company,contact email,importance,date,source team\n"
    b"Export invoices,By hand,Acme Inc,ops@acme.example,critical,2020-01-02,sales\n"
)


class CsvFile(str):
    """The upload row's file, read afresh by each request (Django's test client posts what has
    `read` as a file); as text, its name (the fuzz tests send it as a form field)."""

    name = "feedback.csv"
    content_type = "text/csv"

    def __new__(cls) -> CsvFile:
        return super().__new__(cls, "feedback.csv")

    def read(self) -> bytes:
        return IMPORT_CSV


NEW_TICKET_FORM = {
    "title": "Export invoices",
    "description": "By hand at month end.",
    "company": "Acme Inc",
    "email": "ops@acme.example",
    "source_team": "sales",
    "kind": "feature_request",
    "importance": "important",
}
TICKET_EDIT_FORM = {
    "title": "Export invoices as CSV",
    "description": "By hand at month end.",
    "source_team": "sales",
    "kind": "feature_request",
    "importance": "critical",
}
NEW_WORKSHOP_FORM = {
    "title": "Where onboarding hurts",
    "topic": "friction_points",
    "starts_at": f"{WORKSHOP_AT:%Y-%m-%dT%H:%M}",
    "duration_minutes": "90",
}
NEW_TICKET = {
    "title": "Export invoices",
    "description": "By hand at month end.",
    "source_team": "sales",
    "kind": "feature_request",
    "importance": "important",
    "customer": {"company": "Acme Inc", "email": "ops@acme.example"},
}
NEW_WORKSHOP = {
    "kind": "workshop",
    "title": "Where onboarding hurts",
    "topic": "friction_points",
    "starts_at": WORKSHOP_AT.isoformat(),
    "duration_minutes": 90,
}
CREDENTIALS = {"username": "sales", "password": "pw"}

# Placeholders in paths and bodies, made fresh by the `world` fixture:
#   {ticket}      a new ticket filed by the submitter      {other}   another new ticket
#   {initiative}  a proposed initiative, {linked} on it    {into}    another open initiative
#   {review}      a monthly review run by the facilitator, the submitter invited, with {item}
#   {workshop}    a workshop run by the facilitator, the submitter invited
#   {delivery}    a failed email                           {unsubscribe} a contact's signed token
#   {notice}      a notice of the submitter's
#   {invitation}  an open invite, {invitetoken} its link's token
#   {guest}       a user nobody invited yet
#   {apitoken}    an API token of the submitter's
#   {mapping} {identity}  a group mapping and the submitter's single sign-on identity
#   {scimtoken}   a SCIM token
#   {inbound}     an email received at the feedback address
#   {webhook}     a webhook endpoint, {hookdelivery} a failed delivery to it
#   {workitem}    a GitHub pull request linked to {initiative}
#   {user} {group} {customer} {contact} {comment} {area} {event} {weights} {ct} and the axes
#   rows {attempt} {log} {failure}: objects for Django admin's pages
# Roles: anonymous, submitter, product manager, facilitator, admin.

# fmt: off
ROUTES: list[tuple[str, Answer, Answer, Answer, Answer, Answer]] = [
    # call                                                            anon     submit.  pm       facil.   admin
    # Logging in and out; the customer's unsubscribe link
    ("GET /login/",                                                    200,     DONE,    DONE,    DONE,    DONE),
    ("POST /login/",                                                   DONE,    DONE,    DONE,    DONE,    DONE),
    ("GET /logout/",                                                   LOGIN,   405,     405,     405,     405),
    ("POST /logout/",                                                  LOGIN,   LOGIN,   LOGIN,   LOGIN,   LOGIN),
    ("GET /unsubscribe/{unsubscribe}/",                                200,     200,     200,     200,     200),
    ("POST /unsubscribe/{unsubscribe}/",                               200,     200,     200,     200,     200),
    ("GET /unsubscribe/forged/",                                       400,     400,     400,     400,     400),
    # SCIM provisioning: only a SCIM bearer token gets in (sso/tests/test_scim.py), never a login
    ("GET /scim/v2/",                                                           401,     401,     401,     401,     401),
    ("GET /scim/v2/Users",                                                      401,     401,     401,     401,     401),
    ("GET /scim/v2/Users/.search",                                              401,     401,     401,     401,     401),
    ("GET /scim/v2/Users/{user}",                                               401,     401,     401,     401,     401),
    ("GET /scim/v2/Groups",                                                     401,     401,     401,     401,     401),
    ("GET /scim/v2/Groups/.search",                                             401,     401,     401,     401,     401),
    ("GET /scim/v2/ServiceProviderConfig",                                      401,     401,     401,     401,     401),
    ("GET /scim/v2/ResourceTypes",                                              401,     401,     401,     401,     401),
    ("GET /scim/v2/Schemas",                                                    401,     401,     401,     401,     401),
    # Single sign-on: not there until OIDC_ISSUER is set (sso/tests sign in through a provider)
    ("GET /sso/login/",                                                404,     404,     404,     404,     404),
    ("GET /sso/callback/",                                             404,     404,     404,     404,     404),
    # Slack's endpoints: only Slack, by the signature it puts on each request (slack_app's tests
    # send signed ones); a login is no signature
    ("GET /integrations/slack/commands/",                              405,     405,     405,     405,     405),
    ("POST /integrations/slack/commands/",                             401,     401,     401,     401,     401),
    ("GET /integrations/slack/interactivity/",                         405,     405,     405,     405,     405),
    ("POST /integrations/slack/interactivity/",                        401,     401,     401,     401,     401),
    ("GET /integrations/slack/events/",                                405,     405,     405,     405,     405),
    ("POST /integrations/slack/events/",                               401,     401,     401,     401,     401),
    # The trackers' webhooks: only GitHub and Linear, by their signatures (webhooks' tests send
    # signed ones)
    ("GET /integrations/github/",                                      405,     405,     405,     405,     405),
    ("POST /integrations/github/",                                     401,     401,     401,     401,     401),
    ("GET /integrations/linear/",                                      405,     405,     405,     405,     405),
    ("POST /integrations/linear/",                                     401,     401,     401,     401,     401),
    # Home
    ("GET /",                                                          LOGIN,   200,     200,     200,     200),
    # Intake: every role files tickets and comments; only the submitter edits their ticket
    ("GET /intake/new/",                                               LOGIN,   200,     200,     200,     200),
    ("POST /intake/new/",                                              LOGIN,   DONE,    DONE,    DONE,    DONE),
    ("GET /intake/new/similar/?title=export",                          LOGIN,   200,     200,     200,     200),
    ("GET /intake/new/companies/?company=com",                         LOGIN,   200,     200,     200,     200),
    ("GET /intake/mine/",                                              LOGIN,   200,     200,     200,     200),
    ("GET /intake/tickets/",                                           LOGIN,   200,     200,     200,     200),
    ("GET /intake/tickets/{ticket}/",                                  LOGIN,   200,     200,     200,     200),
    ("GET /intake/tickets/{ticket}/edit/",                             LOGIN,   200,     403,     403,     403),
    ("POST /intake/tickets/{ticket}/edit/",                            LOGIN,   DONE,    403,     403,     403),
    ("GET /intake/tickets/{ticket}/comments/",                         LOGIN,   405,     405,     405,     405),
    ("POST /intake/tickets/{ticket}/comments/",                        LOGIN,   DONE,    DONE,    DONE,    DONE),
    # "Same ask" from a waiting ticket's page: the person who filed it, or a product manager
    ("GET /intake/tickets/{ticket}/same-ask/",                         LOGIN,   405,     405,     405,     405),
    ("POST /intake/tickets/{ticket}/same-ask/",                        LOGIN,   DONE,    DONE,    REFUSED, REFUSED),
    ("GET /intake/tickets/{ticket}/answer/",                           LOGIN,   405,     405,     405,     405),
    ("POST /intake/tickets/{ticket}/answer/",                          LOGIN,   DONE,    403,     403,     403),
    # Triage: product managers only
    ("GET /triage/",                                                   LOGIN,   403,     200,     403,     403),
    ("GET /triage/move/",                                              LOGIN,   403,     405,     403,     403),
    ("POST /triage/move/",                                             LOGIN,   403,     DONE,    403,     403),
    ("GET /triage/inbox/",                                             LOGIN,   403,     200,     403,     403),
    ("GET /triage/inbox/{ticket}/",                                    LOGIN,   403,     DONE,    403,     403),
    ("GET /triage/inbox/{ticket}/link/",                               LOGIN,   403,     200,     403,     403),
    ("POST /triage/inbox/{ticket}/link/",                              LOGIN,   403,     DONE,    403,     403),
    ("GET /triage/inbox/{ticket}/create/",                             LOGIN,   403,     200,     403,     403),
    ("POST /triage/inbox/{ticket}/create/",                            LOGIN,   403,     DONE,    403,     403),
    ("GET /triage/inbox/{ticket}/duplicate/",                          LOGIN,   403,     200,     403,     403),
    ("POST /triage/inbox/{ticket}/duplicate/",                         LOGIN,   403,     DONE,    403,     403),
    ("GET /triage/inbox/{ticket}/decline/",                            LOGIN,   403,     200,     403,     403),
    ("POST /triage/inbox/{ticket}/decline/",                           LOGIN,   403,     DONE,    403,     403),
    ("GET /triage/inbox/{ticket}/ask/",                                LOGIN,   403,     200,     403,     403),
    ("POST /triage/inbox/{ticket}/ask/",                               LOGIN,   403,     DONE,    403,     403),
    ("GET /triage/inbox/{ticket}/snooze/",                             LOGIN,   403,     200,     403,     403),
    ("POST /triage/inbox/{ticket}/snooze/",                            LOGIN,   403,     DONE,    403,     403),
    ("GET /triage/inbox/{ticket}/same/",                               LOGIN,   403,     200,     403,     403),
    ("POST /triage/inbox/{ticket}/same/",                              LOGIN,   403,     DONE,    403,     403),
    ("GET /triage/inbox/{ticket}/nonsense/",                           LOGIN,   403,     404,     403,     403),
    ("GET /triage/inbox/bulk/",                                        LOGIN,   403,     405,     403,     403),
    ("POST /triage/inbox/bulk/",                                       LOGIN,   403,     DONE,    403,     403),
    ("GET /triage/inbox/undo/",                                        LOGIN,   403,     405,     403,     403),
    ("POST /triage/inbox/undo/",                                       LOGIN,   403,     DONE,    403,     403),
    ("GET /triage/inbox/themes/",                                      LOGIN,   403,     405,     403,     403),
    ("POST /triage/inbox/themes/",                                     LOGIN,   403,     DONE,    403,     403),
    ("GET /triage/inbox/themes/exclude/",                              LOGIN,   403,     405,     403,     403),
    ("POST /triage/inbox/themes/exclude/",                             LOGIN,   403,     DONE,    403,     403),
    ("GET /triage/initiatives/new/",                                   LOGIN,   403,     200,     403,     403),
    ("POST /triage/initiatives/new/",                                  LOGIN,   403,     DONE,    403,     403),
    ("GET /triage/initiatives/{initiative}/",                          LOGIN,   200,     200,     200,     200),
    ("GET /triage/initiatives/{initiative}/edit/",                     LOGIN,   403,     200,     403,     403),
    ("POST /triage/initiatives/{initiative}/edit/",                    LOGIN,   403,     DONE,    403,     403),
    ("GET /triage/initiatives/{initiative}/move/",                     LOGIN,   403,     200,     403,     403),
    ("POST /triage/initiatives/{initiative}/move/",                    LOGIN,   403,     DONE,    403,     403),
    ("GET /triage/initiatives/{moved}/undo/",                          LOGIN,   403,     405,     403,     403),
    ("POST /triage/initiatives/{moved}/undo/",                         LOGIN,   403,     DONE,    403,     403),
    ("GET /triage/initiatives/{initiative}/audience/",                 LOGIN,   403,     200,     403,     403),
    ("GET /triage/initiatives/{initiative}/status/?to=shipped",        LOGIN,   403,     200,     403,     403),
    ("POST /triage/initiatives/{initiative}/status/",                  LOGIN,   403,     DONE,    403,     403),
    ("GET /triage/initiatives/{initiative}/preview/",                  LOGIN,   403,     405,     403,     403),
    ("POST /triage/initiatives/{initiative}/preview/",                 LOGIN,   403,     200,     403,     403),
    ("GET /triage/initiatives/{initiative}/merge/",                    LOGIN,   403,     405,     403,     403),
    ("POST /triage/initiatives/{initiative}/merge/",                   LOGIN,   403,     DONE,    403,     403),
    ("GET /triage/initiatives/{initiative}/tickets/{linked}/unlink/",  LOGIN,   403,     405,     403,     403),
    ("POST /triage/initiatives/{initiative}/tickets/{linked}/unlink/", LOGIN,   403,     DONE,    403,     403),
    # Work items in the tracker: product managers link and unlink them
    ("GET /triage/initiatives/{initiative}/work/",                     LOGIN,   403,     405,     403,     403),
    ("POST /triage/initiatives/{initiative}/work/",                    LOGIN,   403,     DONE,    403,     403),
    ("GET /triage/initiatives/{initiative}/work/{workitem}/remove/",   LOGIN,   403,     405,     403,     403),
    ("POST /triage/initiatives/{initiative}/work/{workitem}/remove/",  LOGIN,   403,     DONE,    403,     403),
    # Insights: everyone but submitters
    ("GET /insights/",                                                 LOGIN,   403,     200,     200,     200),
    ("GET /insights/inbox.csv",                                        LOGIN,   403,     200,     200,     200),
    ("GET /insights/nonsense.csv",                                     LOGIN,   403,     404,     404,     404),
    # Notices for everyone; deliveries for product managers and admins
    ("GET /notices/",                                                  LOGIN,   200,     200,     200,     200),
    ("GET /notices/{notice}/",                                         LOGIN,   DONE,    404,     404,     404),
    ("GET /notices/read/",                                             LOGIN,   405,     405,     405,     405),
    ("POST /notices/read/",                                            LOGIN,   DONE,    DONE,    DONE,    DONE),
    ("GET /notices/settings/",                                         LOGIN,   DONE,    DONE,    DONE,    DONE),
    ("POST /notices/settings/",                                        LOGIN,   DONE,    DONE,    DONE,    DONE),
    ("GET /notices/deliveries/",                                       LOGIN,   403,     200,     403,     200),
    ("GET /notices/deliveries/{delivery}/retry/",                      LOGIN,   403,     405,     403,     405),
    ("POST /notices/deliveries/{delivery}/retry/",                     LOGIN,   403,     DONE,    403,     DONE),
    # Channels (email, Slack): admins see their state and send tests
    # The audit log: admins only (the CSV download too)
    ("GET /audit/",                                                    LOGIN,   403,     403,     403,     200),
    ("GET /audit/?format=csv",                                         LOGIN,   403,     403,     403,     200),
    ("GET /channels/",                                                 LOGIN,   403,     403,     403,     200),
    ("GET /channels/email-imap/test/",                                 LOGIN,   403,     403,     403,     405),
    ("POST /channels/email-imap/test/",                                LOGIN,   403,     403,     403,     DONE),
    # Webhooks: admins register endpoints, read their delivery logs and send again
    ("GET /webhooks/",                                                 LOGIN,   403,     403,     403,     200),
    ("GET /webhooks/new/",                                             LOGIN,   403,     403,     403,     200),
    ("POST /webhooks/new/",                                            LOGIN,   403,     403,     403,     DONE),
    ("GET /webhooks/{webhook}/",                                       LOGIN,   403,     403,     403,     200),
    ("GET /webhooks/{webhook}/edit/",                                  LOGIN,   403,     403,     403,     200),
    ("POST /webhooks/{webhook}/edit/",                                 LOGIN,   403,     403,     403,     DONE),
    ("GET /webhooks/{webhook}/delete/",                                LOGIN,   403,     403,     403,     200),
    ("POST /webhooks/{webhook}/delete/",                               LOGIN,   403,     403,     403,     DONE),
    ("GET /webhooks/{webhook}/deliveries/{hookdelivery}/again/",       LOGIN,   403,     403,     403,     405),
    ("POST /webhooks/{webhook}/deliveries/{hookdelivery}/again/",      LOGIN,   403,     403,     403,     DONE),
    # Emailed tickets: the reply's one-click "same ask" page (the button posts to same-ask);
    # naming the company of a personal address (the submitter; this ticket's is named: back)
    ("GET /email/tickets/{ticket}/onto/{initiative}/",                 LOGIN,   200,     200,     200,     200),
    ("GET /intake/tickets/{ticket}/company/",                          LOGIN,   DONE,    403,     403,     403),
    ("POST /intake/tickets/{ticket}/company/",                         LOGIN,   DONE,    403,     403,     403),
    # Sessions: everyone reads them; facilitators and product managers run them; invitees
    # answer, vote and comment; the session's facilitator and product managers decide
    ("GET /sessions/",                                                 LOGIN,   200,     200,     200,     200),
    ("GET /sessions/calendar/",                                        LOGIN,   200,     200,     200,     200),
    ("GET /sessions/new/workshop/",                                    LOGIN,   403,     200,     200,     403),
    ("POST /sessions/new/workshop/",                                   LOGIN,   403,     DONE,    DONE,    403),
    ("GET /sessions/new/review/",                                      LOGIN,   403,     200,     200,     403),
    ("POST /sessions/new/review/",                                     LOGIN,   403,     DONE,    DONE,    403),
    ("GET /sessions/{review}/",                                        LOGIN,   200,     200,     200,     200),
    ("GET /sessions/{workshop}/",                                      LOGIN,   200,     200,     200,     200),
    ("GET /sessions/{review}/rsvp/",                                   LOGIN,   405,     405,     405,     405),
    ("POST /sessions/{review}/rsvp/",                                  LOGIN,   DONE,    REFUSED, DONE,    REFUSED),
    ("GET /sessions/{review}/agenda/",                                 LOGIN,   405,     405,     405,     405),
    ("POST /sessions/{review}/agenda/",                                LOGIN,   REFUSED, DONE,    DONE,    REFUSED),
    ("GET /sessions/{review}/agenda/search/?q=export",                 LOGIN,   403,     200,     200,     403),
    ("GET /sessions/people/?people_q=sal",                             LOGIN,   403,     200,     200,     403),
    ("GET /sessions/{review}/items/{item}/vote/",                      LOGIN,   405,     405,     405,     405),
    ("POST /sessions/{review}/items/{item}/vote/",                     LOGIN,   DONE,    DONE,    DONE,    REFUSED),
    ("GET /sessions/{review}/items/{item}/comment/",                   LOGIN,   405,     405,     405,     405),
    ("POST /sessions/{review}/items/{item}/comment/",                  LOGIN,   DONE,    DONE,    DONE,    REFUSED),
    ("GET /sessions/{review}/items/{item}/decide/",                    LOGIN,   405,     405,     405,     405),
    ("POST /sessions/{review}/items/{item}/decide/",                   LOGIN,   REFUSED, DONE,    DONE,    REFUSED),
    ("GET /sessions/{review}/items/{item}/matches/",                   LOGIN,   200,     200,     200,     200),
    ("GET /sessions/{review}/notes/",                                  LOGIN,   403,     405,     405,     403),
    ("POST /sessions/{review}/notes/",                                 LOGIN,   403,     DONE,    DONE,    403),
    ("GET /sessions/{review}/close/",                                  LOGIN,   405,     405,     405,     405),
    ("POST /sessions/{review}/close/",                                 LOGIN,   REFUSED, DONE,    DONE,    REFUSED),
    ("GET /sessions/{review}/reschedule/",                             LOGIN,   403,     405,     405,     403),
    ("POST /sessions/{review}/reschedule/",                            LOGIN,   403,     DONE,    DONE,    403),
    ("GET /sessions/{review}/cancel/",                                 LOGIN,   403,     405,     405,     403),
    ("POST /sessions/{review}/cancel/",                                LOGIN,   403,     DONE,    DONE,    403),
    ("GET /sessions/{review}/invite/",                                 LOGIN,   403,     405,     405,     403),
    ("POST /sessions/{review}/invite/",                                LOGIN,   403,     DONE,    DONE,    403),
    ("GET /sessions/{workshop}/outcomes/",                             LOGIN,   405,     405,     405,     405),
    ("POST /sessions/{workshop}/outcomes/",                            LOGIN,   DONE,    DONE,    DONE,    REFUSED),
    # People: admins invite; the invite link needs no login; everyone keeps their own account
    ("GET /people/",                                                   LOGIN,   403,     403,     403,     200),
    ("POST /people/",                                                  LOGIN,   403,     403,     403,     DONE),
    ("GET /people/invites/{invitation}/resend/",                       LOGIN,   403,     403,     403,     405),
    ("POST /people/invites/{invitation}/resend/",                      LOGIN,   403,     403,     403,     DONE),
    ("GET /people/invites/{invitation}/revoke/",                       LOGIN,   403,     403,     403,     405),
    ("POST /people/invites/{invitation}/revoke/",                      LOGIN,   403,     403,     403,     DONE),
    ("GET /invite/{invitetoken}/",                                     200,     200,     200,     200,     200),
    ("POST /invite/{invitetoken}/",                                    DONE,    DONE,    DONE,    DONE,    DONE),
    ("GET /account/",                                                  LOGIN,   200,     200,     200,     200),
    ("POST /account/",                                                 LOGIN,   DONE,    DONE,    DONE,    DONE),
    # API tokens: each person revokes their own ({apitoken} is the submitter's), admins anyone's
    ("GET /account/tokens/{apitoken}/revoke/",                         LOGIN,   405,     405,     405,     405),
    ("POST /account/tokens/{apitoken}/revoke/",                        LOGIN,   DONE,    404,     404,     DONE),
    ("GET /people/tokens/",                                            LOGIN,   403,     403,     403,     200),
    # Provisioning: admins make and revoke SCIM tokens
    ("GET /sso/scim-tokens/",                                          LOGIN,   403,     403,     403,     200),
    ("POST /sso/scim-tokens/",                                         LOGIN,   403,     403,     403,     200),
    ("GET /sso/scim-tokens/{scimtoken}/revoke/",                       LOGIN,   403,     403,     403,     405),
    ("POST /sso/scim-tokens/{scimtoken}/revoke/",                      LOGIN,   403,     403,     403,     DONE),
    # The API (contract v1): 401 without credentials, 403 for a role the call is not for
    ("POST /api/auth/token/",                                          200,     200,     200,     200,     200),
    ("GET /api/auth/token/",                                           405,     405,     405,     405,     405),
    ("GET /api/schema/",                                               401,     200,     200,     200,     200),
    ("GET /api/docs/",                                                 401,     200,     200,     200,     200),
    ("GET /api/tickets/",                                              401,     200,     200,     200,     200),
    ("POST /api/tickets/",                                             401,     201,     201,     201,     201),
    ("GET /api/tickets/{ticket}/",                                     401,     200,     200,     200,     200),
    ("GET /api/tickets/{ticket}/comments/",                            401,     405,     405,     405,     405),
    ("POST /api/tickets/{ticket}/comments/",                           401,     201,     201,     201,     201),
    ("GET /api/tickets/{ticket}/link/",                                401,     403,     405,     403,     403),
    ("POST /api/tickets/{ticket}/link/",                               401,     403,     200,     403,     403),
    ("GET /api/tickets/{ticket}/decline/",                             401,     403,     405,     403,     403),
    ("POST /api/tickets/{ticket}/decline/",                            401,     403,     200,     403,     403),
    ("GET /api/tickets/{ticket}/duplicate/",                           401,     403,     405,     403,     403),
    ("POST /api/tickets/{ticket}/duplicate/",                          401,     403,     200,     403,     403),
    ("GET /api/initiatives/",                                          401,     200,     200,     200,     200),
    ("POST /api/initiatives/",                                         401,     403,     201,     403,     403),
    ("GET /api/initiatives/{initiative}/",                             401,     200,     200,     200,     200),
    ("PATCH /api/initiatives/{initiative}/",                           401,     403,     200,     403,     403),
    ("GET /api/notifications/",                                        401,     403,     200,     403,     200),
    ("GET /api/similar/?text=export+invoices",                         401,     200,     200,     200,     200),
    ("GET /api/sessions/",                                             401,     200,     200,     200,     200),
    ("POST /api/sessions/",                                            401,     403,     201,     201,     403),
    ("GET /api/sessions/{review}/",                                    401,     200,     200,     200,     200),
    ("GET /api/webhooks/",                                             401,     403,     403,     403,     200),
    ("POST /api/webhooks/",                                            401,     403,     403,     403,     201),
    ("GET /api/webhooks/{webhook}/",                                   401,     403,     403,     403,     200),
    ("PATCH /api/webhooks/{webhook}/",                                 401,     403,     403,     403,     200),
    ("DELETE /api/webhooks/{webhook}/",                                401,     403,     403,     403,     204),
    ("GET /api/nowhere/",                                              404,     404,     404,     404,     404),
    ("GET /data/",                                                     LOGIN,   403,     200,     403,     200),
    ("POST /data/",                                                    LOGIN,   403,     DONE,    403,     DONE),
    ("GET /data/imports/{import}/",                                    LOGIN,   403,     200,     403,     404),
    ("GET /data/imports/{import}/start/",                              LOGIN,   403,     405,     403,     405),
    ("POST /data/imports/{import}/start/",                             LOGIN,   403,     DONE,    403,     404),
    ("GET /data/exports/tickets.csv",                                  LOGIN,   403,     200,     403,     200),
    ("GET /api/exports/tickets/",                                      401,     403,     200,     403,     200),
    # Development's Sent mail: not found with DEBUG off, as here (tests/test_devmail.py: DEBUG on)
    ("GET /dev/mail/",                                                 LOGIN,   404,     404,     404,     404),
    ("GET /dev/mail/20260101-000000-000000-0123abcd.eml/",             LOGIN,   404,     404,     404,     404),
    ("GET /dev/mail/20260101-000000-000000-0123abcd.eml/raw/",         LOGIN,   404,     404,     404,     404),
    ("GET /dev/mail/20260101-000000-000000-0123abcd.eml/attachments/0/", LOGIN, 404,     404,     404,     404),
    # Django admin: admins only (everyone else is sent to its own log-in page)
    ("GET /admin/",                                                    ADMIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/login/",                                              200,     200,     200,     200,     DONE),
    ("GET /admin/logout/",                                             ADMIN,   DONE,    DONE,    DONE,    405),
    ("POST /admin/logout/",                                            ADMIN,   DONE,    DONE,    DONE,    LOGIN),
    ("GET /admin/password_change/",                                    ADMIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/password_change/done/",                               ADMIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/jsi18n/",                                             ADMIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/autocomplete/",                                       ADMIN,   ADMIN,   ADMIN,   ADMIN,   403),
    ("GET /admin/r/{ct}/{ticket}/",                                    ADMIN,   ADMIN,   ADMIN,   ADMIN,   404),
    ("GET /admin/intake/",                                             ADMIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/nothing-here",                                        ADMIN,   ADMIN,   ADMIN,   ADMIN,   404),
    ("GET /admin/accounts/user/",                                      LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/accounts/user/add/",                                  LOGIN,   ADMIN,   ADMIN,   ADMIN,   DONE),
    ("GET /admin/accounts/user/{user}/",                               LOGIN,   ADMIN,   ADMIN,   ADMIN,   DONE),
    ("GET /admin/accounts/user/{user}/change/",                        LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/accounts/user/{user}/delete/",                        LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/accounts/user/{user}/history/",                       LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/accounts/user/{user}/password/",                      LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/auth/group/",                                         LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/auth/group/add/",                                     LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/auth/group/{group}/",                                 LOGIN,   ADMIN,   ADMIN,   ADMIN,   DONE),
    ("GET /admin/auth/group/{group}/change/",                          LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/auth/group/{group}/delete/",                          LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/auth/group/{group}/history/",                         LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/axes/accessattempt/",                                 LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/axes/accessattempt/add/",                             LOGIN,   ADMIN,   ADMIN,   ADMIN,   403),
    ("GET /admin/axes/accessattempt/{attempt}/",                       LOGIN,   ADMIN,   ADMIN,   ADMIN,   DONE),
    ("GET /admin/axes/accessattempt/{attempt}/change/",                LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/axes/accessattempt/{attempt}/delete/",                LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/axes/accessattempt/{attempt}/history/",               LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/axes/accesslog/",                                     LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/axes/accesslog/add/",                                 LOGIN,   ADMIN,   ADMIN,   ADMIN,   403),
    ("GET /admin/axes/accesslog/{log}/",                               LOGIN,   ADMIN,   ADMIN,   ADMIN,   DONE),
    ("GET /admin/axes/accesslog/{log}/change/",                        LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/axes/accesslog/{log}/delete/",                        LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/axes/accesslog/{log}/history/",                       LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/axes/accessfailurelog/",                              LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/axes/accessfailurelog/add/",                          LOGIN,   ADMIN,   ADMIN,   ADMIN,   403),
    ("GET /admin/axes/accessfailurelog/{failure}/",                    LOGIN,   ADMIN,   ADMIN,   ADMIN,   DONE),
    ("GET /admin/axes/accessfailurelog/{failure}/change/",             LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/axes/accessfailurelog/{failure}/delete/",             LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/axes/accessfailurelog/{failure}/history/",            LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/email_intake/",                                       ADMIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/email_intake/inboundemail/",                          LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/email_intake/inboundemail/add/",                      LOGIN,   ADMIN,   ADMIN,   ADMIN,   403),
    ("GET /admin/email_intake/inboundemail/{inbound}/",                LOGIN,   ADMIN,   ADMIN,   ADMIN,   DONE),
    ("GET /admin/email_intake/inboundemail/{inbound}/change/",         LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/email_intake/inboundemail/{inbound}/delete/",         LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/email_intake/inboundemail/{inbound}/history/",        LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/intake/comment/",                                     LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/intake/comment/add/",                                 LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/intake/comment/{comment}/",                           LOGIN,   ADMIN,   ADMIN,   ADMIN,   DONE),
    ("GET /admin/intake/comment/{comment}/change/",                    LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/intake/comment/{comment}/delete/",                    LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/intake/comment/{comment}/history/",                   LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/intake/contact/",                                     LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/intake/contact/add/",                                 LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/intake/contact/{contact}/",                           LOGIN,   ADMIN,   ADMIN,   ADMIN,   DONE),
    ("GET /admin/intake/contact/{contact}/change/",                    LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/intake/contact/{contact}/delete/",                    LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/intake/contact/{contact}/history/",                   LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/intake/customer/",                                    LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/intake/customer/add/",                                LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/intake/customer/{customer}/",                         LOGIN,   ADMIN,   ADMIN,   ADMIN,   DONE),
    ("GET /admin/intake/customer/{customer}/change/",                  LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/intake/customer/{customer}/delete/",                  LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/intake/customer/{customer}/history/",                 LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/intake/productarea/",                                 LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/intake/productarea/add/",                             LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/intake/productarea/{area}/",                          LOGIN,   ADMIN,   ADMIN,   ADMIN,   DONE),
    ("GET /admin/intake/productarea/{area}/change/",                   LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/intake/productarea/{area}/delete/",                   LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/intake/productarea/{area}/history/",                  LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/intake/ticket/",                                      LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/intake/ticket/add/",                                  LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/intake/ticket/{ticket}/",                             LOGIN,   ADMIN,   ADMIN,   ADMIN,   DONE),
    ("GET /admin/intake/ticket/{ticket}/change/",                      LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/intake/ticket/{ticket}/delete/",                      LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/intake/ticket/{ticket}/history/",                     LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/triage/initiative/",                                  LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/triage/initiative/add/",                              LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/triage/initiative/{initiative}/",                     LOGIN,   ADMIN,   ADMIN,   ADMIN,   DONE),
    ("GET /admin/triage/initiative/{initiative}/change/",              LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/triage/initiative/{initiative}/delete/",              LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/triage/initiative/{initiative}/history/",             LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/triage/initiativeevent/",                             LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/triage/initiativeevent/add/",                         LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/triage/initiativeevent/{event}/",                     LOGIN,   ADMIN,   ADMIN,   ADMIN,   DONE),
    ("GET /admin/triage/initiativeevent/{event}/change/",              LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/triage/initiativeevent/{event}/delete/",              LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/triage/initiativeevent/{event}/history/",             LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/triage/scoringweights/",                              LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/triage/scoringweights/add/",                          LOGIN,   ADMIN,   ADMIN,   ADMIN,   403),
    ("GET /admin/triage/scoringweights/{weights}/",                    LOGIN,   ADMIN,   ADMIN,   ADMIN,   DONE),
    ("GET /admin/triage/scoringweights/{weights}/change/",             LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/triage/scoringweights/{weights}/delete/",             LOGIN,   ADMIN,   ADMIN,   ADMIN,   403),
    ("GET /admin/triage/scoringweights/{weights}/history/",            LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/sso/groupmapping/",                                   LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/sso/groupmapping/add/",                               LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/sso/groupmapping/{mapping}/",                         LOGIN,   ADMIN,   ADMIN,   ADMIN,   DONE),
    ("GET /admin/sso/groupmapping/{mapping}/change/",                  LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/sso/groupmapping/{mapping}/delete/",                  LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/sso/groupmapping/{mapping}/history/",                 LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/sso/ssoidentity/",                                    LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/sso/ssoidentity/add/",                                LOGIN,   ADMIN,   ADMIN,   ADMIN,   403),
    ("GET /admin/sso/ssoidentity/{identity}/",                         LOGIN,   ADMIN,   ADMIN,   ADMIN,   DONE),
    ("GET /admin/sso/ssoidentity/{identity}/change/",                  LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/sso/ssoidentity/{identity}/delete/",                  LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
    ("GET /admin/sso/ssoidentity/{identity}/history/",                 LOGIN,   ADMIN,   ADMIN,   ADMIN,   200),
]
# The email providers' inbound webhooks (django-anymail): no log-in but a basic-auth secret,
# so a call without it is refused (400) whoever is signed in; POST only. (Providers that sign
# their calls with a key of their own are served only once it is set.)
ANYMAIL_INBOUND = ["mailjet", "postmark", "sendgrid", "sparkpost"]
for _provider in ANYMAIL_INBOUND:
    ROUTES.append((f"GET /anymail/{_provider}/inbound/",                 405,     405,     405,     405,     405))
    ROUTES.append((f"POST /anymail/{_provider}/inbound/",                400,     400,     400,     400,     400))
# fmt: on

# What each write sends: a form for pages, JSON for the API.
BODIES: dict[str, dict[str, Any]] = {
    "POST /login/": CREDENTIALS,
    "POST /logout/": {},
    "POST /unsubscribe/{unsubscribe}/": {},
    "POST /integrations/slack/commands/": {"command": "/feedback", "user_id": "U1"},
    "POST /integrations/slack/interactivity/": {"payload": "{}"},
    "POST /integrations/slack/events/": {"type": "url_verification", "challenge": "c"},
    "POST /integrations/github/": {"action": "closed"},
    "POST /integrations/linear/": {"type": "Issue", "action": "update"},
    "POST /triage/initiatives/{initiative}/work/": {"url": "https://github.com/acme/app/pull/8"},
    "POST /triage/initiatives/{initiative}/work/{workitem}/remove/": {},
    "POST /intake/new/": NEW_TICKET_FORM,
    "POST /intake/tickets/{ticket}/edit/": TICKET_EDIT_FORM,
    "POST /intake/tickets/{ticket}/comments/": {"body": "Hi", "kind": "comment"},
    "POST /intake/tickets/{ticket}/same-ask/": {"same_as": "{other}"},
    "POST /intake/tickets/{ticket}/answer/": {"body": "The Pro plan."},
    "POST /triage/inbox/{ticket}/link/": {"initiative": "{initiative}"},
    "POST /triage/inbox/{ticket}/create/": {"title": "CSV export"},
    "POST /triage/inbox/{ticket}/duplicate/": {"of": "{other}"},
    "POST /triage/inbox/{ticket}/decline/": {"reason": "Not for us."},
    "POST /triage/inbox/{ticket}/ask/": {"body": "Which format?"},
    "POST /triage/inbox/{ticket}/snooze/": {"until": SNOOZE_UNTIL},
    "POST /triage/inbox/{ticket}/same/": {"same_as": "{other}"},
    "POST /triage/inbox/bulk/": {"tickets": ["{ticket}"], "action": "decline", "reason": "No."},
    "POST /triage/inbox/undo/": {},
    "POST /triage/inbox/themes/": {"tickets": ["{ticket}", "{other}"], "title": "Invoices"},
    "POST /triage/inbox/themes/exclude/": {"ticket": "{ticket}"},
    "POST /triage/initiatives/new/": {"title": "Dark mode"},
    "POST /triage/initiatives/{initiative}/edit/": {"title": "Renamed"},
    "POST /triage/initiatives/{initiative}/move/": {"status": "planned"},
    "POST /triage/move/": {"initiative": "{initiative}", "status": "planned", "from": "board"},
    "POST /triage/initiatives/{moved}/undo/": {"version": "1"},
    "POST /triage/initiatives/{initiative}/status/": {
        "status": "declined",
        "decline_reason": "Not now.",
    },
    "POST /triage/initiatives/{initiative}/preview/": {"release_note": "Out now."},
    "POST /triage/initiatives/{initiative}/merge/": {"into": "{into}"},
    "POST /triage/initiatives/{initiative}/tickets/{linked}/unlink/": {},
    "POST /notices/read/": {},
    "POST /notices/settings/": {"emailed": "staff_question"},
    "POST /notices/deliveries/{delivery}/retry/": {},
    "POST /channels/email-imap/test/": {},
    "POST /intake/tickets/{ticket}/company/": {"company": "Acme"},
    **{f"POST /anymail/{provider}/inbound/": {} for provider in ANYMAIL_INBOUND},
    "POST /sessions/new/workshop/": NEW_WORKSHOP_FORM,
    "POST /sessions/new/review/": {"starts_at": f"{REVIEW_AT:%Y-%m-%dT%H:%M}"},
    "POST /sessions/{review}/rsvp/": {"rsvp": "yes"},
    "POST /sessions/{review}/agenda/": {"initiative": "{into}"},
    "POST /sessions/{review}/items/{item}/vote/": {},
    "POST /sessions/{review}/items/{item}/comment/": {"body": "Seen it too.", "kind": "context"},
    "POST /sessions/{review}/items/{item}/decide/": {"decision": "needs_research"},
    "POST /sessions/{review}/notes/": {"notes": "Started late."},
    "POST /sessions/{review}/close/": {"early": "on"},
    "POST /sessions/{review}/reschedule/": {
        "starts_at": f"{RESCHEDULE_AT:%Y-%m-%dT%H:%M}",
        "duration_minutes": "45",
    },
    "POST /sessions/{review}/cancel/": {},
    "POST /sessions/{review}/invite/": {"invitees": "{guest}"},
    "POST /sessions/{workshop}/outcomes/": {"kind": "insight", "body": "Setup is long."},
    "POST /people/": {"email": "new@staff.example", "role": "submitter", "team": "sales"},
    "POST /people/invites/{invitation}/resend/": {},
    "POST /people/invites/{invitation}/revoke/": {},
    "POST /invite/{invitetoken}/": {
        "username": "newcomer",
        "password1": "long-enough-9",
        "password2": "long-enough-9",
    },
    "POST /account/": {"action": "time_zone", "time_zone": "Europe/Berlin"},
    "POST /account/tokens/{apitoken}/revoke/": {},
    "POST /sso/scim-tokens/": {"name": "Okta"},
    "POST /sso/scim-tokens/{scimtoken}/revoke/": {},
    "POST /api/auth/token/": CREDENTIALS,
    "POST /api/tickets/": NEW_TICKET,
    "POST /api/tickets/{ticket}/comments/": {"body": "Hi"},
    "POST /api/tickets/{ticket}/link/": {"initiative": "{initiative}"},
    "POST /api/tickets/{ticket}/decline/": {"reason": "Out of scope."},
    "POST /api/tickets/{ticket}/duplicate/": {"of": "{other}"},
    "POST /api/initiatives/": {"title": "Dark mode"},
    "PATCH /api/initiatives/{initiative}/": {"status": "planned"},
    "POST /api/sessions/": NEW_WORKSHOP,
    "POST /api/webhooks/": {
        "url": "https://tools.example.com/hooks",
        "secret": "a-secret-of-twenty-chars",
        "events": ["*"],
    },
    "PATCH /api/webhooks/{webhook}/": {"events": ["initiative.shipped"]},
    "DELETE /api/webhooks/{webhook}/": {},
    "POST /webhooks/new/": {
        "url": "https://tools.example.com/hooks",
        "secret": "a-secret-of-twenty-chars",
        "events": ["ticket.created"],
        "active": "on",
    },
    "POST /webhooks/{webhook}/edit/": {"url": "https://tools.example.com/v2", "events": ["*"]},
    "POST /webhooks/{webhook}/delete/": {},
    "POST /webhooks/{webhook}/deliveries/{hookdelivery}/again/": {},
    "POST /admin/logout/": {},
    "POST /data/": {"file": CsvFile()},
    "POST /data/imports/{import}/start/": {},
}

ROLES = ("anonymous", "submitter", "pm", "facilitator", "admin_user")


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: dict[str, Any] | None
    answers: dict[str, Answer]

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"


CALLS = [
    Call(
        call.split(" ", 1)[0].lower(),
        call.split(" ", 1)[1],
        BODIES.get(call),
        dict(zip(ROLES, answers, strict=True)),
    )
    for call, *answers in ROUTES
]


# ---------------------------------------------------------------------------------------------
# Every route has a row


def _routes() -> set[str]:
    """Every URL pattern of the app, as the resolver names it (ResolverMatch.route)."""
    routes: set[str] = set()

    def walk(patterns: list[URLPattern | URLResolver], prefix: str) -> None:
        for entry in patterns:
            # As ResolverMatch.route writes regexes: each part without its leading "^".
            route = prefix + str(entry.pattern).removeprefix("^")
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            else:
                routes.add(route)

    walk(get_resolver().url_patterns, "")
    return routes


def _route_of(path: str) -> str:
    concrete = re.sub(r"\{\w+\}", "1", path.split("?", 1)[0])
    return resolve(concrete).route


def test_every_route_has_a_row_in_the_table() -> None:
    tabled = {_route_of(call.path) for call in CALLS}
    assert tabled == _routes(), (
        f"routes without a row: {sorted(_routes() - tabled)}; "
        f"rows for no route: {sorted(tabled - _routes())}"
    )


def test_every_write_is_in_the_table_with_what_it_sends() -> None:
    """A route refusing GET (405) is a write: it has a row for it, and that row a body."""
    writes = {_route_of(c.path) for c in CALLS if c.method != "get"}
    for call in CALLS:
        if call.method == "get" and 405 in call.answers.values():
            assert _route_of(call.path) in writes, f"{call} has no row for its write"
    assert set(BODIES) == {str(c) for c in CALLS if c.method != "get"}


# ---------------------------------------------------------------------------------------------
# The world the table's placeholders name


@pytest.fixture
def world(submitter: User, pm: User, facilitator: User) -> dict[str, str]:
    return make_world(submitter=submitter, pm=pm, facilitator=facilitator)


def make_world(*, submitter: User, pm: User, facilitator: User) -> dict[str, str]:
    """The objects the table's placeholders name; returns placeholder -> id (or token)."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    from email_intake.models import InboundEmail
    from intake.models import ProductArea, TicketStatus
    from intake.selectors import unsubscribe_url
    from intake.tests.factories import CommentFactory, TicketFactory
    from notifications.models import DeliveryStatus, Notice, Notification, NotificationKind
    from people.services import api_token_create
    from people.tests.factories import invitation_with_token
    from sessions.models import SessionKind
    from sessions.tests.factories import AgendaItemFactory, ParticipantFactory, SessionFactory
    from sso.models import GroupMapping, SsoIdentity
    from sso.provisioning import scim_token_create
    from triage.models import InitiativeEvent, ScoringWeights, WorkItem
    from triage.tests.factories import InitiativeFactory

    ticket = TicketFactory.create(submitted_by=submitter)
    other = TicketFactory.create()
    initiative = InitiativeFactory.create(owner=pm)
    linked = TicketFactory.create(initiative=initiative, status=TicketStatus.LINKED)
    into = InitiativeFactory.create()
    # Moved once from proposed (as history before the test): the board's undo has a move to undo.
    moved = InitiativeFactory.create(status="planned")
    InitiativeEvent.objects.create(
        initiative=moved, kind="status", from_value="proposed", to_value="planned"
    )
    starts = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(days=3)
    review = SessionFactory.create(
        kind=SessionKind.MONTHLY_REVIEW,
        title="Feedback review",
        topic="",
        month=starts.date().replace(day=1),
        starts_at=starts,
        facilitator=facilitator,
    )
    workshop = SessionFactory.create(facilitator=facilitator)
    for session in (review, workshop):
        ParticipantFactory.create(session=session, user=facilitator)
        ParticipantFactory.create(session=session, user=submitter)
    item = AgendaItemFactory.create(session=review, ticket=other)
    delivery = Notification.objects.create(
        kind=NotificationKind.STAFF_QUESTION,
        idempotency_key="failed-delivery",
        recipient_email="sales@staff.example",
        subject="A question",
        body_text="A question on your ticket.",
        status=DeliveryStatus.FAILED,
        attempts=6,
        message_id="<failed@feedbackloop.test>",
    )
    axes_row = {
        "user_agent": "test",
        "ip_address": "10.0.0.1",
        "username": "someone",
        "http_accept": "*/*",
        "path_info": "/login/",
    }
    ids = {
        "ticket": ticket.pk,
        "other": other.pk,
        "initiative": initiative.pk,
        "linked": linked.pk,
        "into": into.pk,
        "moved": moved.pk,
        "review": review.pk,
        "workshop": workshop.pk,
        "item": item.pk,
        "delivery": delivery.pk,
        "notice": Notice.objects.create(
            user=submitter,
            kind=NotificationKind.STAFF_QUESTION,
            text="A question",
            url=f"/intake/tickets/{ticket.pk}/",
        ).pk,
        "user": submitter.pk,
        "guest": UserFactory.create(username="guest").pk,
        "group": Group.objects.create(name="Reviewers").pk,
        "customer": ticket.customer_id,
        "contact": ticket.contact_id,
        "comment": CommentFactory.create(ticket=ticket, author=submitter).pk,
        "area": ProductArea.objects.create(name="Billing", slug="billing").pk,
        "event": InitiativeEvent.objects.create(initiative=initiative, kind="created").pk,
        "weights": ScoringWeights.current().pk,
        "ct": ContentType.objects.get_for_model(ticket).pk,
        "attempt": AccessAttempt.objects.create(
            **axes_row, get_data="", post_data="", failures_since_start=1
        ).pk,
        "log": AccessLog.objects.create(**axes_row).pk,
        "failure": AccessFailureLog.objects.create(**axes_row).pk,
        "inbound": InboundEmail.objects.create(
            message_key="<access@staff.example>", via="webhook", size=10, outcome="dropped"
        ).pk,
    }
    ids["webhook"], ids["hookdelivery"] = _webhook_with_a_delivery(submitter)
    ids["workitem"] = WorkItem.objects.create(
        initiative=initiative,
        tracker="github",
        key="acme/app#7",
        url="https://github.com/acme/app/pull/7",
    ).pk
    world = {f"{{{name}}}": str(pk) for name, pk in ids.items()}
    world["{unsubscribe}"] = unsubscribe_url(ticket.contact).rstrip("/").rsplit("/", 1)[-1]
    invitation, token = invitation_with_token(email="invited@staff.example")
    world["{invitation}"] = str(invitation.pk)
    world["{invitetoken}"] = token
    world["{apitoken}"] = str(api_token_create(user=submitter, name="access")[0].pk)
    world["{mapping}"] = str(GroupMapping.objects.create(group="fl-access").pk)
    world["{scimtoken}"] = str(scim_token_create(name="access", by=None)[0].pk)
    world["{identity}"] = str(
        SsoIdentity.objects.create(user=submitter, issuer="https://idp.example", subject="1").pk
    )
    from transfer.models import FeedbackImport

    upload = FeedbackImport.objects.create(
        uploaded_by=pm, filename="old.csv", data=IMPORT_CSV, row_count=1
    )
    world["{import}"] = str(upload.pk)
    return world


def _webhook_with_a_delivery(by: User) -> tuple[int, int]:
    """An endpoint (every event) and the delivery of one ticket's ticket.created to it."""
    from intake.tests.factories import TicketFactory
    from notifications.models import DeliveryStatus, Notification
    from webhooks.models import WebhookDelivery, WebhookEndpoint
    from webhooks.services import event_record

    endpoint = WebhookEndpoint.objects.create(
        url="https://tools.example.com/in", secret="a-secret-of-twenty-chars", events=["*"]
    )
    event_record(EventType.TICKET_CREATED, TicketFactory.create(submitted_by=by), {})
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    Notification.objects.filter(pk=delivery.notification_id).update(status=DeliveryStatus.FAILED)
    return endpoint.pk, delivery.pk


def fill(value: Any, world: dict[str, str]) -> Any:
    """The table's path or body with its placeholders replaced by the world's ids."""
    if isinstance(value, CsvFile):
        return value
    if isinstance(value, str) and value in world and world[value].isdigit():
        return int(world[value])  # an id alone: a number (the API's ids are JSON numbers)
    if isinstance(value, str):
        return re.sub(r"\{\w+\}", lambda m: world[m.group(0)], value)
    if isinstance(value, dict):
        return {key: fill(item, world) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, world) for item in value]
    return value


def send(client: Client, call: Call, world: dict[str, str], **extra: Any) -> HttpResponse:
    """Make the table's call: forms are posted as forms, API bodies as JSON."""
    path = fill(call.path, world)
    if call.method == "get":
        return client.get(path, **extra)  # type: ignore[return-value]
    body = fill(call.body, world)
    if path.startswith("/api/"):
        return client.generic(  # type: ignore[return-value]
            call.method.upper(), path, json.dumps(body), "application/json", **extra
        )
    return client.post(path, body, **extra)  # type: ignore[return-value]


def answer_of(response: HttpResponse) -> Answer:
    if response.status_code != 302:
        return response.status_code
    location = response["Location"]
    if location.startswith("/login/"):
        return LOGIN
    if location.startswith("/admin/login/"):
        return ADMIN
    said = messages.get_messages(response.wsgi_request)  # type: ignore[attr-defined]
    return REFUSED if any(m.level == messages.ERROR for m in said) else DONE


def as_role(request: pytest.FixtureRequest, role: str, **client_kwargs: Any) -> Client:
    client = Client(**client_kwargs)
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    return client


@pytest.mark.django_db
def test_every_route_answers_every_role_as_the_table_says(
    request: pytest.FixtureRequest, world: dict[str, str], settings: Any
) -> None:
    from django.core.cache import cache

    settings.SLACK_SIGNING_SECRET, settings.SLACK_BOT_TOKEN = "a-signing-secret", "xoxb-token"

    # One client per role, logged in once; each call starts from its cookies as they were then
    # (so a log-out or a flash message does not leak into the next call) and runs in a
    # savepoint that is rolled back (so each call meets the same world).
    clients = {role: as_role(request, role) for role in ROLES}
    cookies = {role: {k: m.value for k, m in c.cookies.items()} for role, c in clients.items()}
    wrong = []
    for call in CALLS:
        for role, expected in call.answers.items():
            client = clients[role]
            client.cookies = SimpleCookie(cookies[role])
            cache.clear()  # the token view's throttle counts in the cache
            sid = transaction.savepoint()
            try:
                got = answer_of(send(client, call, world))
            finally:
                transaction.savepoint_rollback(sid)
            if got != expected:
                wrong.append(f"{call} as {role}: expected {expected}, got {got}")
    assert not wrong, "\n".join(wrong)


# ---------------------------------------------------------------------------------------------
# Roles and capabilities


def test_roles_grant_what_the_design_says() -> None:
    matrix = {
        Role.SUBMITTER: {Capability.FILE_TICKET, Capability.COMMENT},
        Role.PRODUCT_MANAGER: {
            Capability.FILE_TICKET,
            Capability.COMMENT,
            Capability.TRIAGE,
            Capability.RUN_SESSIONS,
            Capability.VIEW_DELIVERIES,
            Capability.VIEW_INSIGHTS,
        },
        Role.FACILITATOR: {
            Capability.FILE_TICKET,
            Capability.COMMENT,
            Capability.RUN_SESSIONS,
            Capability.VIEW_INSIGHTS,
        },
        Role.ADMIN: {
            Capability.FILE_TICKET,
            Capability.COMMENT,
            Capability.VIEW_DELIVERIES,
            Capability.VIEW_INSIGHTS,
            Capability.ADMINISTER,
        },
    }
    for role, granted in matrix.items():
        user = UserFactory.build(role=role)
        assert {c for c in Capability if can(user, c)} == granted, role


def test_an_inactive_user_can_do_nothing() -> None:
    user = UserFactory.build(role=Role.PRODUCT_MANAGER, is_active=False)
    assert not any(can(user, c) for c in Capability)


@pytest.mark.django_db
def test_api_token_login(api, submitter) -> None:
    response = api.post("/api/auth/token/", CREDENTIALS, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/schema/").status_code == 200
    bad = api.post("/api/auth/token/", {"username": "sales", "password": "no"}, format="json")
    assert bad.status_code == 401
