"""SCIM 2.0 at /scim/v2/, called the way Okta's and Microsoft Entra ID's provisioning clients
call it (their documented request shapes): create, find by userName, update, deactivate,
reactivate. A deactivation ends the person's browser sessions and API tokens at once; their
tickets keep their name. Bad tokens get 401; bad bodies and filters the SCIM error shape."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from audit.actions import Action
from audit.models import AuditEvent
from intake.tests.factories import TicketFactory
from people.services import api_token_create
from sso.models import ScimLink, ScimToken
from sso.provisioning import scim_token_create

pytestmark = pytest.mark.django_db

SCIM = "application/scim+json"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"

# Okta's "Create the User" request (Okta SCIM 2.0 guide).
OKTA_CREATE = {
    "schemas": [USER_SCHEMA],
    "userName": "test.user@okta.local",
    "name": {"givenName": "Test", "familyName": "User"},
    "emails": [{"primary": True, "value": "test.user@okta.local", "type": "work"}],
    "displayName": "Test User",
    "locale": "en-US",
    "externalId": "00ujl29u0le5T6Aj10h7",
    "groups": [],
    "password": "1mz050nq",
    "active": True,
}
# Entra ID's "Create User" request (its SCIM validator's documented shape).
ENTRA_CREATE = {
    "schemas": [USER_SCHEMA, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
    "active": True,
    "emails": [
        {
            "primary": True,
            "type": "work",
            "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com",
        }
    ],
    "meta": {"resourceType": "User"},
    "name": {
        "formatted": "givenName familyName",
        "familyName": "familyName",
        "givenName": "givenName",
    },
    "roles": [],
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Sales"},
}


class Scim:
    def __init__(self, key: str) -> None:
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")

    def call(self, method: str, path: str, body: Any = None, raw: str | None = None) -> Any:
        data = raw if raw is not None else (json.dumps(body) if body is not None else "")
        return self.client.generic(method, f"/scim/v2/{path}", data, content_type=SCIM)


@pytest.fixture
def scim(db: None) -> Scim:
    return Scim(scim_token_create(name="okta", by=None)[1])


def _body(response: Any) -> Any:
    return json.loads(response.content)


def _created(scim: Scim, body: dict[str, Any]) -> User:
    response = scim.call("POST", "Users", body)
    assert response.status_code == 201, response.content
    return User.objects.get(pk=int(_body(response)["id"]))


def test_okta_finds_nobody_then_creates_reads_and_updates_a_person(scim: Scim) -> None:
    found = scim.call(
        "GET", 'Users?filter=userName eq "test.user@okta.local"&startIndex=1&count=100'
    )
    assert found.status_code == 200
    assert _body(found)["totalResults"] == 0

    created = scim.call("POST", "Users", OKTA_CREATE)
    assert created.status_code == 201
    answer = _body(created)
    assert answer["userName"] == "test.user@okta.local"
    assert answer["externalId"] == "00ujl29u0le5T6Aj10h7"
    assert answer["active"] is True
    assert answer["emails"] == [{"value": "test.user@okta.local", "primary": True, "type": "work"}]
    user = User.objects.get(pk=int(answer["id"]))
    assert (user.first_name, user.last_name, user.role, user.team) == (
        "Test",
        "User",
        "submitter",
        "other",
    )
    assert not user.has_usable_password()  # Okta's password is not kept: they sign in with SSO
    assert created["Location"].endswith(f"/scim/v2/Users/{user.pk}")

    found = scim.call(
        "GET", 'Users?filter=userName eq "test.user@okta.local"&startIndex=1&count=100'
    )
    assert [r["id"] for r in _body(found)["Resources"]] == [str(user.pk)]
    assert _body(scim.call("GET", f"Users/{user.pk}"))["name"]["givenName"] == "Test"

    # Okta updates with PUT, the whole user.
    put = scim.call(
        "PUT",
        f"Users/{user.pk}",
        {**OKTA_CREATE, "name": {"givenName": "Tess", "familyName": "User"}, "id": str(user.pk)},
    )
    assert put.status_code == 200
    user.refresh_from_db()
    assert user.first_name == "Tess"
    event = AuditEvent.objects.get(action=Action.USER_CHANGED)
    assert event.actor_name == "SCIM: okta"
    assert event.changes == {"first_name": ["Test", "Tess"], "via": "scim"}
    created_event = AuditEvent.objects.get(action=Action.USER_CREATED)
    assert created_event.changes["via"] == "scim"


def test_okta_deactivates_and_reactivates_with_a_patch(scim: Scim) -> None:
    user = _created(scim, OKTA_CREATE)
    off = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": False}}]}
    response = scim.call("PATCH", f"Users/{user.pk}", off)
    assert response.status_code == 200
    assert _body(response)["active"] is False
    user.refresh_from_db()
    assert not user.is_active
    on = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": True}}]}
    assert _body(scim.call("PATCH", f"Users/{user.pk}", on))["active"] is True
    assert User.objects.get(pk=user.pk).is_active
    actions = list(
        AuditEvent.objects.filter(action__in=[Action.USER_DEACTIVATED, Action.USER_REACTIVATED])
        .order_by("created_at")
        .values_list("action", flat=True)
    )
    assert actions == [Action.USER_DEACTIVATED, Action.USER_REACTIVATED]


def test_entra_creates_updates_with_paths_and_disables(scim: Scim) -> None:
    found = scim.call(
        "GET", 'Users?filter=userName eq "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1"'
    )
    assert _body(found)["totalResults"] == 0
    user = _created(scim, ENTRA_CREATE)
    assert user.email == "test_user_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"
    assert ScimLink.objects.get(user=user).external_id == "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"

    update = {
        "schemas": [PATCH_OP],
        "Operations": [
            {
                "op": "Replace",
                "path": 'emails[type eq "work"].value',
                "value": "updatedEmail@microsoft.com",
            },
            {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
        ],
    }
    assert scim.call("PATCH", f"Users/{user.pk}", update).status_code == 200
    user.refresh_from_db()
    assert (user.email, user.last_name) == ("updatedemail@microsoft.com", "updatedFamilyName")
    rename = {
        "schemas": [PATCH_OP],
        "Operations": [
            {
                "op": "Replace",
                "path": "userName",
                "value": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com",
            }
        ],
    }
    assert scim.call("PATCH", f"Users/{user.pk}", rename).status_code == 200
    user.refresh_from_db()
    assert user.username == "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"

    disable = {
        "schemas": [PATCH_OP],
        "Operations": [{"op": "Replace", "path": "active", "value": False}],
    }
    assert scim.call("PATCH", f"Users/{user.pk}", disable).status_code == 200
    user.refresh_from_db()
    assert not user.is_active
    # Entra ID's older clients send the boolean as a string.
    enable = {
        "schemas": [PATCH_OP],
        "Operations": [{"op": "Replace", "path": "active", "value": "True"}],
    }
    assert scim.call("PATCH", f"Users/{user.pk}", enable).status_code == 200
    user.refresh_from_db()
    assert user.is_active


def test_entra_deleting_a_person_deactivates_them_and_keeps_their_tickets(scim: Scim) -> None:
    user = _created(scim, ENTRA_CREATE)
    ticket = TicketFactory.create(submitted_by=user)
    assert scim.call("DELETE", f"Users/{user.pk}").status_code == 204
    user.refresh_from_db()
    assert not user.is_active
    ticket.refresh_from_db()
    assert ticket.submitted_by == user
    assert str(ticket.submitted_by) == "givenName familyName"


@pytest.mark.parametrize(
    "backend", ["django.contrib.auth.backends.ModelBackend", "sso.backends.OidcBackend"]
)
def test_deactivation_ends_sessions_and_api_tokens_at_once(scim: Scim, backend: str) -> None:
    user = _created(scim, OKTA_CREATE)
    browser = Client()
    browser.force_login(user, backend=backend)
    assert browser.get("/").status_code == 200
    _, key = api_token_create(user=user, name="laptop")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/tickets/").status_code == 200

    off = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": False}}]}
    assert scim.call("PATCH", f"Users/{user.pk}", off).status_code == 200
    assert browser.get("/")["Location"].startswith("/login/")
    assert api.get("/api/tickets/").status_code == 401
    # Reactivated, they sign in again; the old session and token stay dead.
    on = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": True}}]}
    assert scim.call("PATCH", f"Users/{user.pk}", on).status_code == 200
    assert browser.get("/").status_code == 302
    assert api.get("/api/tickets/").status_code == 401


@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer", "Bearer not-a-token", "Basic b2t0YTpzZWNyZXQ=", "Token scim_x"],
)
def test_a_call_without_a_live_token_is_401(db: None, authorization: str) -> None:
    client = Client(HTTP_AUTHORIZATION=authorization) if authorization else Client()
    response = client.post("/scim/v2/Users", json.dumps(OKTA_CREATE), content_type=SCIM)
    assert response.status_code == 401
    assert _body(response)["schemas"] == [ERROR_SCHEMA]
    assert "Bearer" in response["WWW-Authenticate"]
    assert not User.objects.exists()


def test_a_revoked_token_is_401_and_an_admins_session_is_no_token(admin_user) -> None:
    token, key = scim_token_create(name="okta", by=None)
    from sso.provisioning import scim_token_revoke

    scim_token_revoke(token=token, by=None)
    assert Scim(key).call("GET", "Users").status_code == 401
    browser = Client()
    browser.force_login(admin_user)
    assert browser.get("/scim/v2/Users").status_code == 401


@pytest.mark.parametrize(
    ("method", "path", "raw", "scim_type"),
    [
        ("POST", "Users", "{not json", None),
        ("POST", "Users", "[1, 2]", None),
        (
            "POST",
            "Users",
            json.dumps({"schemas": [USER_SCHEMA], "name": {"givenName": "X"}}),
            "invalidValue",
        ),
        ("POST", "Users", json.dumps({**OKTA_CREATE, "active": "sometimes"}), "invalidValue"),
        (
            "POST",
            "Users",
            json.dumps({**OKTA_CREATE, "userName": "has spaces in it"}),
            "invalidValue",
        ),
        ("POST", "Users", json.dumps({**OKTA_CREATE, "favouriteColour": "blue"}), "invalidPath"),
        ("GET", "Users?filter=userName eq", None, None),
        ("GET", "Users?filter=nonsense((", None, None),
        ("GET", "Users?startIndex=0", None, None),
    ],
)
def test_malformed_calls_get_the_scim_error_shape_and_change_nothing(
    scim: Scim, method: str, path: str, raw: str | None, scim_type: str | None
) -> None:
    response = scim.call(method, path, raw=raw or "")
    assert response.status_code == 400, response.content
    body = _body(response)
    assert body["schemas"] == [ERROR_SCHEMA]
    assert body["status"] == 400
    assert body["detail"]
    if scim_type:
        assert body["scimType"] == scim_type
    assert not User.objects.exists()


def test_bad_patches_change_nothing(scim: Scim) -> None:
    user = _created(scim, OKTA_CREATE)
    for operations in (
        [{"op": "replace", "path": "active", "value": "maybe"}],
        [{"op": "frobnicate", "path": "active", "value": False}],
        [{"op": "replace", "value": "not an object"}],
        [
            {"op": "replace", "path": "name.familyName", "value": "Changed"},
            {"op": "replace", "path": "nope", "value": 1},
        ],
    ):
        response = scim.call(
            "PATCH", f"Users/{user.pk}", {"schemas": [PATCH_OP], "Operations": operations}
        )
        assert response.status_code == 400
        assert _body(response)["schemas"] == [ERROR_SCHEMA]
    user.refresh_from_db()
    assert (user.is_active, user.last_name) == (True, "User")


def test_a_taken_username_is_409_and_an_unknown_id_404(scim: Scim) -> None:
    _created(scim, OKTA_CREATE)
    again = scim.call("POST", "Users", {**OKTA_CREATE, "externalId": "other"})
    assert again.status_code == 409
    assert _body(again)["scimType"] == "uniqueness"
    assert User.objects.count() == 1
    assert scim.call("GET", "Users/999999").status_code == 404
    assert scim.call("GET", "Users/not-a-number").status_code == 404


def test_the_command_prints_a_token_that_works(db: None) -> None:
    out = io.StringIO()
    call_command("scim_token", "create", "Entra ID", stdout=out)
    key = out.getvalue().strip()
    assert key.startswith("scim_")
    assert Scim(key).call("GET", "Users").status_code == 200
    event = AuditEvent.objects.get(action=Action.SCIM_TOKEN_CREATED)
    assert (event.actor_name, event.changes["name"]) == ("manage.py scim_token", "Entra ID")
    listed = io.StringIO()
    call_command("scim_token", "list", stdout=listed)
    assert "Entra ID  (live)" in listed.getvalue()
    call_command("scim_token", "revoke", key[:10], stdout=io.StringIO())
    assert Scim(key).call("GET", "Users").status_code == 401


def test_an_admin_makes_and_revokes_scim_tokens_on_their_page(
    client: Client, admin_user, pm
) -> None:
    client.force_login(pm)
    assert client.get("/sso/scim-tokens/").status_code == 403
    client.force_login(admin_user)
    made = client.post("/sso/scim-tokens/", {"name": "Okta"})
    assert made.status_code == 200
    key = made.context["new_key"]
    assert key in made.content.decode()
    assert key not in client.get("/sso/scim-tokens/").content.decode()
    assert Scim(key).call("GET", "Users").status_code == 200
    token = ScimToken.objects.get()
    assert client.post(f"/sso/scim-tokens/{token.pk}/revoke/").status_code == 302
    assert Scim(key).call("GET", "Users").status_code == 401
    events = AuditEvent.objects.filter(action__startswith="scim.token").order_by("created_at")
    assert [(e.action, e.actor) for e in events] == [
        (Action.SCIM_TOKEN_CREATED, admin_user),
        (Action.SCIM_TOKEN_REVOKED, admin_user),
    ]
    assert client.post("/sso/scim-tokens/", {"name": ""}).status_code == 400


GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"


def test_okta_pushes_a_group_and_its_members_get_the_mapped_role(scim: Scim) -> None:
    from accounts.models import Role, Team
    from sso.models import GroupMapping, ScimGroup

    GroupMapping.objects.create(group="Product team", role=Role.PRODUCT_MANAGER, team=Team.PRODUCT)
    user = _created(scim, OKTA_CREATE)
    found = scim.call("GET", 'Groups?filter=displayName eq "Test SCIMv2"&startIndex=1&count=100')
    assert _body(found)["totalResults"] == 0
    created = scim.call(
        "POST", "Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Test SCIMv2", "members": []}
    )
    assert created.status_code == 201, created.content
    group_id = _body(created)["id"]
    # Okta renames with a replace of the whole value, then adds and removes members by path.
    rename = {
        "schemas": [PATCH_OP],
        "Operations": [{"op": "replace", "value": {"id": group_id, "displayName": "Product team"}}],
    }
    assert scim.call("PATCH", f"Groups/{group_id}", rename).status_code == 200
    add = {
        "schemas": [PATCH_OP],
        "Operations": [
            {
                "op": "add",
                "path": "members",
                "value": [{"value": str(user.pk), "display": "test.user@okta.local"}],
            }
        ],
    }
    added = scim.call("PATCH", f"Groups/{group_id}", add)
    assert added.status_code == 200
    assert _body(added)["members"] == [{"value": str(user.pk), "display": "test.user@okta.local"}]
    user.refresh_from_db()
    assert (user.role, user.team) == (Role.PRODUCT_MANAGER, Team.PRODUCT)
    role_event = AuditEvent.objects.get(action=Action.ROLE_CHANGED)
    assert role_event.changes["via"] == "scim"
    assert _body(scim.call("GET", f"Users/{user.pk}"))["groups"] == [
        {"value": group_id, "display": "Product team"}
    ]

    remove = {
        "schemas": [PATCH_OP],
        "Operations": [{"op": "remove", "path": f'members[value eq "{user.pk}"]'}],
    }
    assert scim.call("PATCH", f"Groups/{group_id}", remove).status_code == 200
    assert not ScimGroup.objects.get().members.exists()
    assert scim.call("DELETE", f"Groups/{group_id}").status_code == 204
    assert not ScimGroup.objects.exists()
    changes = [
        e.changes
        for e in AuditEvent.objects.filter(action=Action.SCIM_GROUP_CHANGED).order_by("created_at")
    ]
    assert changes[0] == {"via": "scim", "display_name": [None, "Test SCIMv2"]}
    assert changes[1] == {"via": "scim", "display_name": ["Test SCIMv2", "Product team"]}
    assert changes[2] == {"via": "scim", "added": [user.pk]}
    assert changes[3] == {"via": "scim", "removed": [user.pk]}


def test_entra_creates_a_group_adds_and_removes_a_member(scim: Scim) -> None:
    from sso.models import ScimGroup

    user = _created(scim, ENTRA_CREATE)
    body = {
        "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        "id": "c4ed2ba6-3bd6-4e1a-a2b3-0e4a8d9fa3e4",
        "displayName": "displayName",
        "meta": {"resourceType": "Group"},
        "members": [],
        "schemas": [GROUP_SCHEMA],
    }
    created = scim.call("POST", "Groups", body)
    assert created.status_code == 201
    group_id = _body(created)["id"]
    assert group_id != body["id"]  # the service provider issues ids
    found = scim.call(
        "GET", 'Groups?excludedAttributes=members&filter=displayName eq "displayName"'
    )
    assert [r["id"] for r in _body(found)["Resources"]] == [group_id]
    add = {
        "schemas": [PATCH_OP],
        "Operations": [
            {"op": "Add", "path": "members", "value": [{"$ref": None, "value": str(user.pk)}]}
        ],
    }
    assert scim.call("PATCH", f"Groups/{group_id}", add).status_code == 200
    assert list(ScimGroup.objects.get().members.all()) == [user]
    remove = {
        "schemas": [PATCH_OP],
        "Operations": [
            {"op": "Remove", "path": "members", "value": [{"$ref": None, "value": str(user.pk)}]}
        ],
    }
    assert scim.call("PATCH", f"Groups/{group_id}", remove).status_code == 200
    assert not ScimGroup.objects.get().members.exists()
    rename = {
        "schemas": [PATCH_OP],
        "Operations": [
            {
                "op": "Replace",
                "path": "displayName",
                "value": "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName",
            }
        ],
    }
    assert scim.call("PATCH", f"Groups/{group_id}", rename).status_code == 200
    assert ScimGroup.objects.get().display_name.endswith("updatedDisplayName")


def test_a_group_with_an_unknown_member_is_refused_and_changes_nothing(scim: Scim) -> None:
    from sso.models import ScimGroup

    response = scim.call(
        "POST",
        "Groups",
        {"schemas": [GROUP_SCHEMA], "displayName": "G", "members": [{"value": "424242"}]},
    )
    assert response.status_code == 400
    assert _body(response)["schemas"] == [ERROR_SCHEMA]
    assert not ScimGroup.objects.exists()
    assert scim.call("POST", "Groups", {"schemas": [GROUP_SCHEMA]}).status_code == 400
    assert scim.call("GET", "Groups?filter=displayName zz").status_code == 400
