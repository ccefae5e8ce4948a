"""Signing in through a real OpenID Connect provider (tests/oidc_provider, django-oauth-toolkit,
on a local port): the first sign-in makes the person with their mapped role; refusals (another
domain, an unverified address, a forged, tampered, expired or misdirected token, a replayed
answer, a provider that is down) say why on a page and change nothing."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from accounts.models import Role, Team, User
from accounts.tests.factories import UserFactory
from audit.actions import Action
from audit.models import AuditEvent
from sso.backends import OidcBackend
from sso.models import GroupMapping, SsoIdentity
from tests.oidc import (
    CLIENT_ID,
    DOMAIN,
    OTHER_CLIENT_ID,
    PEOPLE,
    _rsa_pem,
    tampered,
    through_provider,
)

pytestmark = pytest.mark.django_db


def _start(client: Client) -> str:
    start = client.get("/sso/login/")
    assert start.status_code == 302
    return str(start["Location"])


def _callback(client: Client, location: str) -> Any:
    parts = urlsplit(location)
    assert parts.path == "/sso/callback/"
    return client.get(f"{parts.path}?{parts.query}")


def _sign_in(client: Client, username: str) -> Any:
    location = through_provider(_start(client), username, PEOPLE[username]["password"])
    return _callback(client, location)


def _nothing_made() -> None:
    assert not User.objects.exists()
    assert not SsoIdentity.objects.exists()


def _refusal(reason: str) -> AuditEvent:
    event = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
    assert event.changes == {"method": "sso", "reason": reason}
    return event


def test_the_login_page_offers_the_provider(client: Client, oidc) -> None:
    page = client.get("/login/").content.decode()
    assert "Sign in with Northwind SSO" in page
    assert 'name="password"' in page  # SSO_ONLY is off


def test_the_first_sign_in_makes_the_person_with_their_mapped_role(client: Client, oidc) -> None:
    GroupMapping.objects.create(group="fl-product", role=Role.PRODUCT_MANAGER, team=Team.PRODUCT)
    start = _start(client)
    query = urlsplit(start).query
    assert "code_challenge=" in query
    assert "nonce=" in query
    assert start.startswith(oidc.issuer + "/authorize/")
    response = _callback(client, through_provider(start, "nora", "nora-pw-123"))
    assert response.status_code == 302
    assert response["Location"] == "/"
    nora = User.objects.get(email="nora@northwind.example")
    assert (nora.username, nora.first_name, nora.last_name) == ("nora", "Nora", "Lindqvist")
    assert (nora.role, nora.team) == (Role.PRODUCT_MANAGER, Team.PRODUCT)
    assert not nora.has_usable_password()
    assert SsoIdentity.objects.get(user=nora).issuer == oidc.issuer
    assert client.get("/triage/").status_code == 200  # signed in, as a product manager
    created = AuditEvent.objects.get(action=Action.USER_CREATED)
    assert created.changes == {
        "via": "sso",
        "role": "product_manager",
        "team": "product",
        "groups": ["fl-product"],
    }
    assert AuditEvent.objects.get(action=Action.LOGIN).changes == {"method": "sso"}


def test_without_a_mapping_a_newcomer_is_a_submitter_of_the_team_their_claim_says(
    client: Client, oidc
) -> None:
    assert _sign_in(client, "sam").status_code == 302
    sam = User.objects.get(email="sam@northwind.example")
    assert (sam.role, sam.team) == (Role.SUBMITTER, Team.ONBOARDING)


def test_a_known_person_is_found_by_email_then_by_their_identity(client: Client, oidc) -> None:
    nora = UserFactory.create(username="nora.l", email="Nora@Northwind.example")
    assert _sign_in(client, "nora").status_code == 302
    assert SsoIdentity.objects.get().user == nora
    # The provider's address changes; the identity still finds her.
    people = {
        **PEOPLE,
        "nora": {
            **PEOPLE["nora"],
            "claims": {**PEOPLE["nora"]["claims"], "email": f"nora.lindqvist@{DOMAIN}"},
        },
    }
    oidc.people_set(people)
    other = Client()
    assert _sign_in(other, "nora").status_code == 302
    assert User.objects.count() == 1
    assert not AuditEvent.objects.filter(action=Action.USER_CREATED).exists()


def test_a_changed_group_changes_the_role_at_the_next_sign_in(client: Client, oidc) -> None:
    GroupMapping.objects.create(group="fl-product", role=Role.ADMIN)
    nora = UserFactory.create(username="nora", email=f"nora@{DOMAIN}", role=Role.SUBMITTER)
    assert _sign_in(client, "nora").status_code == 302
    nora.refresh_from_db()
    assert (nora.role, nora.is_staff, nora.is_superuser) == (Role.ADMIN, True, True)
    changed = AuditEvent.objects.get(action=Action.ROLE_CHANGED)
    assert changed.changes["role"] == ["submitter", "admin"]
    assert changed.actor_name == "Northwind SSO (groups)"


def test_someone_outside_the_allowed_domains_is_refused(client: Client, oidc) -> None:
    response = _sign_in(client, "eve")
    assert response.status_code == 403
    page = response.content.decode()
    assert "Not a company account" in page
    assert "eve@elsewhere.example is not an address of the company" in page
    _nothing_made()
    assert _refusal("domain").actor_name == "eve@elsewhere.example"
    assert client.get("/").status_code == 302  # not signed in


def test_an_unverified_address_is_refused(client: Client, oidc) -> None:
    response = _sign_in(client, "una")
    assert response.status_code == 403
    assert "is not verified yet" in response.content.decode()
    _nothing_made()
    _refusal("email_unverified")


def test_a_deactivated_person_is_refused(client: Client, oidc) -> None:
    UserFactory.create(username="nora", email=f"nora@{DOMAIN}", is_active=False)
    response = _sign_in(client, "nora")
    assert response.status_code == 403
    assert "Your FeedbackLoop account is deactivated" in response.content.decode()
    assert not SsoIdentity.objects.exists()
    _refusal("deactivated")


def test_a_replayed_answer_is_refused(client: Client, oidc) -> None:
    location = through_provider(_start(client), "sam", "sam-pw-123")
    assert _callback(client, location).status_code == 302
    client.post("/logout/")
    again = _callback(client, location)
    assert again.status_code == 400
    assert "already used" in again.content.decode()
    assert AuditEvent.objects.get(action=Action.LOGIN_FAILED).changes["reason"] == "state"


def test_an_answer_started_in_another_browser_is_refused(client: Client, oidc) -> None:
    location = through_provider(_start(client), "sam", "sam-pw-123")
    response = _callback(Client(), location)
    assert response.status_code == 400
    _nothing_made()


def _with_id_token(monkeypatch: pytest.MonkeyPatch, change: Any) -> None:
    """The provider's real token answer, with its ID token replaced by change(id_token)."""
    real = OidcBackend.get_token

    def get_token(self: OidcBackend, payload: dict[str, Any]) -> Any:
        answer = real(self, payload)
        answer["id_token"] = change(answer["id_token"])
        return answer

    monkeypatch.setattr(OidcBackend, "get_token", get_token)


def _claims(oidc: Any, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"iss": oidc.issuer, "aud": CLIENT_ID, "sub": "1", "iat": now, "exp": now + 300}
    claims.update(changes)
    return {key: value for key, value in claims.items() if value is not None}


@pytest.mark.parametrize(
    ("forge", "said"),
    [
        ("tampered", "could not be verified"),
        ("other key", "could not be verified"),
        ("wrong nonce", "could not be verified"),
        ("expired", "it has expired"),
        ("wrong audience", "meant for another application"),
        ("wrong issuer", "issued by someone else"),
    ],
)
def test_a_bad_id_token_is_refused_and_nothing_is_made(
    client: Client, oidc, monkeypatch: pytest.MonkeyPatch, forge: str, said: str
) -> None:
    start = _start(client)
    nonce = dict(part.split("=", 1) for part in urlsplit(start).query.split("&"))["nonce"]

    def change(id_token: str) -> Any:
        if forge == "tampered":
            return tampered(id_token, email=f"someone-else@{DOMAIN}")
        if forge == "other key":
            return oidc.id_token(_claims(oidc, nonce=nonce), key_pem=_rsa_pem())
        if forge == "wrong nonce":
            return oidc.id_token(_claims(oidc, nonce="not-this-sign-ins"))
        if forge == "expired":
            past = int(time.time()) - 3600
            return oidc.id_token(_claims(oidc, nonce=nonce, iat=past - 300, exp=past))
        if forge == "wrong audience":
            return oidc.id_token(_claims(oidc, nonce=nonce, aud=OTHER_CLIENT_ID))
        return oidc.id_token(_claims(oidc, nonce=nonce, iss="https://impostor.example"))

    _with_id_token(monkeypatch, change)
    response = _callback(client, through_provider(start, "nora", "nora-pw-123"))
    assert response.status_code == 400
    assert said in response.content.decode()
    _nothing_made()
    _refusal("token")
    assert client.get("/").status_code == 302


def test_a_genuine_token_passes_the_same_checks(client: Client, oidc, monkeypatch) -> None:
    # The forging above is only refused for what it changes: the provider's own token, read and
    # signed again unchanged with its key, signs in.
    start = _start(client)
    import base64
    import json

    def same(id_token: str) -> Any:
        payload = id_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return oidc.id_token(claims)

    _with_id_token(monkeypatch, same)
    assert _callback(client, through_provider(start, "sam", "sam-pw-123")).status_code == 302
    assert User.objects.filter(email=f"sam@{DOMAIN}").exists()


def test_a_provider_that_is_down_is_said_plainly(client: Client, oidc, settings) -> None:
    from tests.smtp import free_port

    settings.OIDC_ISSUER = f"http://127.0.0.1:{free_port()}/o"
    response = client.get("/sso/login/")
    assert response.status_code == 502
    assert "Northwind SSO is not answering" in response.content.decode()
    _refusal("unavailable")


def test_a_provider_that_goes_down_mid_sign_in_is_said_plainly(client: Client, oidc) -> None:
    location = through_provider(_start(client), "sam", "sam-pw-123")
    oidc.stop()
    try:
        response = _callback(client, location)
    finally:
        oidc.start()
    assert response.status_code == 502
    assert "stopped answering" in response.content.decode()
    _nothing_made()


def test_the_provider_saying_no_is_said_plainly(client: Client, oidc) -> None:
    start = _start(client)
    state = dict(part.split("=", 1) for part in urlsplit(start).query.split("&"))["state"]
    response = client.get(
        "/sso/callback/",
        {"error": "access_denied", "error_description": "<b>No</b>", "state": state},
    )
    assert response.status_code == 403
    assert "did not sign you in: &lt;b&gt;No&lt;/b&gt;" in response.content.decode()
    _refusal("provider_error")


def test_sso_only_hides_the_password_form_but_admins_break_glass(
    client: Client, oidc, settings, submitter, admin_user
) -> None:
    settings.SSO_ONLY = True
    page = client.get("/login/").content.decode()
    assert "Sign in with Northwind SSO" in page
    assert 'name="password"' not in page
    glass = client.get("/login/?password=1").content.decode()
    assert 'name="password"' in glass
    refused = client.post("/login/?password=1", {"username": "sales", "password": "pw"})
    assert refused.status_code == 200
    assert "passwords are for admins only here" in refused.content.decode()
    assert (
        client.post("/login/?password=1", {"username": "admin", "password": "pw"}).status_code
        == 302
    )


def test_without_oidc_settings_there_is_no_sso(client: Client, db) -> None:
    assert client.get("/sso/login/").status_code == 404
    assert client.get("/sso/callback/?code=x&state=y").status_code == 404
    assert "Sign in with" not in client.get("/login/").content.decode()


def test_an_admin_changing_a_group_mapping_is_recorded(client: Client, admin_user) -> None:
    client.force_login(admin_user)
    add = {"group": "fl-product", "role": "product_manager", "team": "product", "position": "0"}
    assert client.post("/admin/sso/groupmapping/add/", add).status_code == 302
    mapping = GroupMapping.objects.get()
    change = {**add, "role": "admin"}
    assert client.post(f"/admin/sso/groupmapping/{mapping.pk}/change/", change).status_code == 302
    assert (
        client.post(f"/admin/sso/groupmapping/{mapping.pk}/delete/", {"post": "yes"}).status_code
        == 302
    )
    events = AuditEvent.objects.filter(action=Action.SSO_MAPPING_CHANGED).order_by("created_at")
    assert [event.changes for event in events] == [
        {
            "group": [None, "fl-product"],
            "role": [None, "product_manager"],
            "team": [None, "product"],
            "position": [None, 0],
        },
        {"role": ["product_manager", "admin"]},
        {
            "group": ["fl-product", None],
            "role": ["admin", None],
            "team": ["product", None],
            "position": [0, None],
        },
    ]
    assert all(event.actor == admin_user for event in events)


def test_a_sign_in_left_too_long_starts_again(client: Client, oidc) -> None:
    location = through_provider(_start(client), "sam", "sam-pw-123")
    session = client.session
    states = session["oidc_states"]
    for entry in states.values():
        entry["added_on"] -= 3600
    session["oidc_states"] = states
    session.save()
    response = _callback(client, location)
    assert response.status_code == 400
    assert "took too long" in response.content.decode()
    _nothing_made()
