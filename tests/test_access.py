"""Every page needs a login, every API call a token or session, and roles are enforced."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import Role
from accounts.permissions import Capability, can
from accounts.tests.factories import UserFactory

# Pages anyone may open: logging in, and what a customer reaches from an email.
PUBLIC = {"/login/", "/logout/", "/admin/login/", "/admin/logout/"}
PUBLIC_PREFIXES = ("/static/", "/unsubscribe/")


def _all_paths() -> list[str]:
    """Every URL of the app, with placeholder values for its parameters."""
    paths: list[str] = []

    def walk(patterns: list[URLPattern | URLResolver], prefix: str) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            else:
                paths.append(route)

    walk(get_resolver().url_patterns, "/")
    concrete = []
    for route in paths:
        if route.startswith("/^") or "(?P" in route:  # admin's regex routes
            route = re.sub(r"\(\?P<[^>]+>[^)]*\)", "1", route).replace("^", "").replace("$", "")
            route = route.replace("\\", "")
        route = re.sub(r"<int:[^>]+>", "1", route)
        route = re.sub(r"<(?:str|slug|path):?[^>]*>", "x", route)
        route = re.sub(r"<[^>]+>", "x", route)
        concrete.append(route)
    return sorted(set(concrete))


PATHS = _all_paths()


def test_the_url_walk_covers_the_app() -> None:
    assert "/" in PATHS
    assert "/api/auth/token/" in PATHS
    assert len(PATHS) > 10


@pytest.mark.django_db
@pytest.mark.parametrize("path", [p for p in PATHS if not p.startswith("/api/")])
def test_every_page_sends_an_anonymous_visitor_to_login(client, path: str) -> None:
    if path in PUBLIC or path.startswith(PUBLIC_PREFIXES):
        return
    response = client.get(path)
    assert response.status_code == 302, path
    assert "/login/" in response["Location"], path


@pytest.mark.django_db
@pytest.mark.parametrize("path", [p for p in PATHS if p.startswith("/api/")])
def test_every_api_call_refuses_an_anonymous_caller(api, path: str) -> None:
    if path in ("/api/auth/token/",):
        assert api.get(path).status_code == 405  # POST only, and open to log in
        return
    response = api.get(path)
    assert response.status_code in (401, 403), path


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
def test_only_admins_reach_django_admin(client, submitter, admin_user) -> None:
    client.force_login(submitter)
    assert client.get("/admin/").status_code == 302
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_api_token_login(api, submitter) -> None:
    response = api.post("/api/auth/token/", {"username": "sales", "password": "pw"}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/schema/").status_code == 200
    bad = api.post("/api/auth/token/", {"username": "sales", "password": "no"}, format="json")
    assert bad.status_code == 400


# Every API call, with a body it accepts and the answer for each role allowed to make it; every
# other role gets 403. A new call goes here too (test_every_api_call_is_in_the_table says so).
# In paths and bodies, "{ticket}", "{other}", "{initiative}" and "{session}" stand for objects
# made per test.
STAFF = ("submitter", "pm", "facilitator", "admin_user")
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
    "starts_at": "2099-05-07T10:00:00+02:00",
    "duration_minutes": 90,
}
API_CALLS: list[tuple[str, str, dict[str, Any] | None, dict[str, int]]] = [
    ("get", "/api/tickets/", None, dict.fromkeys(STAFF, 200)),
    ("post", "/api/tickets/", NEW_TICKET, dict.fromkeys(STAFF, 201)),
    ("get", "/api/tickets/{ticket}/", None, dict.fromkeys(STAFF, 200)),
    ("post", "/api/tickets/{ticket}/comments/", {"body": "Hi"}, dict.fromkeys(STAFF, 201)),
    ("post", "/api/tickets/{ticket}/link/", {"initiative": "{initiative}"}, {"pm": 200}),
    ("post", "/api/tickets/{ticket}/decline/", {"reason": "Out of scope."}, {"pm": 200}),
    ("post", "/api/tickets/{ticket}/duplicate/", {"of": "{other}"}, {"pm": 200}),
    ("get", "/api/initiatives/", None, dict.fromkeys(STAFF, 200)),
    ("post", "/api/initiatives/", {"title": "Dark mode"}, {"pm": 201}),
    ("get", "/api/initiatives/{initiative}/", None, dict.fromkeys(STAFF, 200)),
    ("patch", "/api/initiatives/{initiative}/", {"status": "planned"}, {"pm": 200}),
    ("get", "/api/notifications/", None, {"pm": 200, "admin_user": 200}),
    ("get", "/api/sessions/", None, dict.fromkeys(STAFF, 200)),
    ("post", "/api/sessions/", NEW_WORKSHOP, {"pm": 201, "facilitator": 201}),
    ("get", "/api/sessions/{session}/", None, dict.fromkeys(STAFF, 200)),
]
# Open to log in, or documentation of the calls above.
API_NOT_CALLS = {"/api/auth/token/", "/api/schema/", "/api/docs/"}


def test_every_api_call_is_in_the_table() -> None:
    tabled = {re.sub(r"\{\w+\}", "1", path) for _, path, _, _ in API_CALLS}
    walked = {p for p in PATHS if p.startswith("/api/")} - API_NOT_CALLS
    assert walked == tabled


@pytest.mark.django_db
@pytest.mark.parametrize("role", STAFF)
@pytest.mark.parametrize(
    ("method", "path", "body", "allowed"),
    API_CALLS,
    ids=[f"{method} {path}" for method, path, _, _ in API_CALLS],
)
def test_every_api_call_answers_each_role_as_the_contract_says(
    request,
    role: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    allowed: dict[str, int],
) -> None:
    from intake.tests.factories import TicketFactory
    from sessions.tests.factories import SessionFactory
    from tests.helpers import api_as
    from triage.tests.factories import InitiativeFactory

    ids = {
        "{ticket}": TicketFactory.create().pk,
        "{other}": TicketFactory.create().pk,
        "{initiative}": InitiativeFactory.create().pk,
        "{session}": SessionFactory.create().pk,
    }
    for placeholder, pk in ids.items():
        path = path.replace(placeholder, str(pk))
    if body is not None:
        body = {
            key: ids.get(value, value) if isinstance(value, str) else value
            for key, value in body.items()
        }
    client = api_as(request.getfixturevalue(role))
    response = getattr(client, method)(path, body, format="json")
    assert response.status_code == allowed.get(role, 403), (role, response.json())
